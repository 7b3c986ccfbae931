//! Bytes → lines: encoding detection, UTF-16 transcoding, and a line scanner that carries an
//! incomplete line across chunk boundaries (so a record split between two slices of a file parses
//! exactly as if it had arrived whole).

pub mod archive;
mod decode;
mod lines;

pub use decode::{Decoder, Encoding};
pub use lines::{Line, LineScanner};
