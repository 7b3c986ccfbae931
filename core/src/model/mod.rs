//! The normalized event model: what every parser produces and every rule reads.

mod dataset;
mod event;
pub mod guid;
mod interner;
mod time;

pub use dataset::{Dataset, EventView, InputInfo, InputSink, Skipped, MAX_SKIPPED_LISTED};
pub use event::{
    AuthKind, Event, EventSink, Field, Location, Method, RawEvent, ResponseType, Service,
    SourceKind,
};
pub(crate) use interner::mix;
pub use interner::{Interner, Sym};
pub use time::Timestamp;
