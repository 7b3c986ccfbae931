//! The normalized event model: what every parser produces and every rule reads.

mod dataset;
mod event;
mod interner;
mod time;

pub use dataset::{Dataset, EventView, InputInfo, InputSink, Skipped, MAX_SKIPPED_LISTED};
pub use event::{
    AuthKind, Event, EventSink, Field, Location, Method, RawEvent, ResponseType, Service,
    SourceKind,
};
pub use interner::{Interner, Sym};
pub use time::Timestamp;
