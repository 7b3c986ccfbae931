//! The normalized event model: what every parser produces and every rule reads.

mod dataset;
mod event;
pub mod guid;
mod interner;
mod small_key_map;
mod time;

pub use dataset::{Dataset, EventView, InputInfo, InputSink, Skipped, MAX_SKIPPED_LISTED};
pub(crate) use event::{is_failure, presence_flag, SYM_ID_NOT_GUID};
pub use event::{
    reuse_extras, AuthKind, Event, EventSink, Field, Location, Method, RawEvent, ResponseType,
    Service, SourceKind, Sources,
};
pub(crate) use interner::mix;
pub use interner::{Interner, Sym};
pub(crate) use small_key_map::SmallKeyMap;
pub use time::{HourReader, Timestamp};
