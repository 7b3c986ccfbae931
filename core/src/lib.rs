//! Storage Doctor's diagnosis core.
//!
//! Everything that decides what a log means lives here, with no web dependency, so the page (in a
//! Web Worker), the CLI and the tests all drive the same code:
//!
//! ```text
//! bytes ─► input::Decoder ─► input::LineScanner ─► formats::<parser> ─► model::Dataset (EventSink)
//!                                                                          │
//!                                            rules::run_all ◄── correlate ◄┘
//!                                                  │
//!                                            report (JSON / Markdown / text)
//! ```
//!
//! The push model (a parser pushes events into a sink) is what lets the CLI, the worker and the
//! tests be different callers of the same ingest (see [`ingest::Ingest`]).

pub mod correlate;
pub mod error;
pub mod formats;
pub mod ingest;
pub mod input;
pub mod knowledge;
#[cfg(target_os = "linux")]
pub mod large_pages;
pub mod model;
pub mod parallel;
pub mod report;
pub mod rules;
#[doc(hidden)]
pub mod testing;

pub use error::CoreError;
pub use ingest::{analyze_bytes, Ingest};
pub use report::Report;
