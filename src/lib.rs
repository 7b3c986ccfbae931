//! Storage Doctor's web front end: a Yew page (`bin/app.rs`) and an ingest Web Worker
//! (`bin/worker.rs`) around `storage-doctor-core`.
//!
//! The page never parses logs: it hands `File` handles to the worker, which reads them in
//! slices, runs the core, keeps the dataset, and answers with progress and the report (JSON in
//! the CLI's schema). See ARCHITECTURE.md.

pub mod app;
pub mod codec;
pub mod components;
pub mod examples;
pub mod protocol;
pub mod pwa;
pub mod report_view;
pub mod root;
pub mod routes;
pub mod state;
pub mod worker;
