//! Standard output. A reader that stops early (`storage-doctor analyze … | head`) closes the
//! pipe; that ends the output quietly, where `println!` would panic on the failed write.

use std::io::Write;

/// Writes `text` to standard output. A closed pipe is not an error (the reader has what it
/// wanted); any other failure is, with the reason.
pub fn emit(text: &str) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(format!("could not write to standard output: {e}")),
    }
}
