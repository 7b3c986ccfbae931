//! Compressed inputs: gzip files (a `$logs` download or a rotated log, `.gz`) are inflated on the
//! fly while streaming; zip archives are listed from their central directory and each entry
//! becomes an input of its own.
//!
//! Zip reading is split into small pure steps so both front ends can drive it with their own I/O:
//! the CLI with `Read + Seek`, the web worker with `Blob.slice` reads.
//! 1. read the last [`ZIP_TAIL_BYTES`] of the file → [`find_central_directory`];
//! 2. read the central directory → [`parse_central_directory`];
//! 3. per entry, read its 30-byte local header → [`local_data_offset`], then stream the
//!    compressed bytes through an [`Inflater`].

use std::io::Write;

use flate2::write::{DeflateDecoder, GzDecoder};

/// How the bytes of an input are packed, from their first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Packing {
    Plain,
    Gzip,
    Zip,
}

pub fn sniff(first: &[u8]) -> Packing {
    if first.starts_with(&[0x1f, 0x8b]) {
        Packing::Gzip
    } else if first.starts_with(b"PK\x03\x04") || first.starts_with(b"PK\x05\x06") {
        Packing::Zip
    } else {
        Packing::Plain
    }
}

/// A push decoder for one compressed stream: feed compressed bytes, get plain bytes.
pub struct Inflater {
    inner: InflaterKind,
    failed: Option<String>,
}

enum InflaterKind {
    Gzip(GzDecoder<Vec<u8>>),
    Deflate(DeflateDecoder<Vec<u8>>),
    Stored,
}

impl Inflater {
    pub fn gzip() -> Inflater {
        Inflater {
            inner: InflaterKind::Gzip(GzDecoder::new(Vec::new())),
            failed: None,
        }
    }

    /// For a zip entry's data with the given compression method (0 stored, 8 deflate).
    pub fn zip_method(method: u16) -> Result<Inflater, String> {
        let inner = match method {
            0 => InflaterKind::Stored,
            8 => InflaterKind::Deflate(DeflateDecoder::new(Vec::new())),
            other => {
                return Err(format!(
                    "compression method {other} is not supported (only stored and deflate)"
                ))
            }
        };
        Ok(Inflater {
            inner,
            failed: None,
        })
    }

    /// Inflates `input`, appending plain bytes to `out`. After an error it stops producing
    /// output; [`Inflater::error`] says why.
    pub fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) {
        if self.failed.is_some() {
            return;
        }
        let res = match &mut self.inner {
            InflaterKind::Stored => {
                out.extend_from_slice(input);
                return;
            }
            InflaterKind::Gzip(d) => d
                .write_all(input)
                .and_then(|_| d.flush())
                .map(|_| std::mem::take(d.get_mut())),
            InflaterKind::Deflate(d) => d
                .write_all(input)
                .and_then(|_| d.flush())
                .map(|_| std::mem::take(d.get_mut())),
        };
        match res {
            Ok(bytes) => out.extend_from_slice(&bytes),
            Err(e) => self.failed = Some(format!("the compressed data is damaged: {e}")),
        }
    }

    /// Flushes the end of the stream.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        if self.failed.is_some() {
            return;
        }
        let res = match &mut self.inner {
            InflaterKind::Stored => return,
            InflaterKind::Gzip(d) => d.try_finish().map(|_| std::mem::take(d.get_mut())),
            InflaterKind::Deflate(d) => d.try_finish().map(|_| std::mem::take(d.get_mut())),
        };
        match res {
            Ok(bytes) => out.extend_from_slice(&bytes),
            Err(e) => {
                self.failed = Some(format!("the compressed data ends early or is damaged: {e}"))
            }
        }
    }

    pub fn error(&self) -> Option<&str> {
        self.failed.as_deref()
    }
}

/// Bytes to read from the end of a zip file to find its central directory (the end record is
/// 22 bytes plus a comment of at most 65535).
pub const ZIP_TAIL_BYTES: u64 = 22 + 65_535;

fn u16le(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}
fn u32le(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Finds the central directory from the file's tail. `tail` holds the last bytes of a file of
/// `file_len` bytes. Returns (offset, size) of the central directory.
pub fn find_central_directory(tail: &[u8], file_len: u64) -> Result<(u64, u64), String> {
    let tail_start = file_len.saturating_sub(tail.len() as u64);
    let pos = (0..tail.len().saturating_sub(21))
        .rev()
        .find(|&i| tail[i..].starts_with(b"PK\x05\x06"))
        .ok_or("not a zip archive (no end of central directory record)")?;
    let size = u32le(tail, pos + 12).ok_or("truncated zip end record")? as u64;
    let offset = u32le(tail, pos + 16).ok_or("truncated zip end record")? as u64;
    if offset == 0xFFFF_FFFF || size == 0xFFFF_FFFF {
        return Err("ZIP64 archives (over 4 GB) are not supported; unpack it first".into());
    }
    if offset + size > tail_start + pos as u64 {
        return Err("the zip archive is damaged (central directory out of range)".into());
    }
    Ok((offset, size))
}

/// One file inside a zip archive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZipEntry {
    pub name: String,
    pub method: u16,
    pub compressed_size: u64,
    pub uncompressed_size: u64,
    pub local_header_offset: u64,
}

/// Lists the files (not folders) of a central directory.
pub fn parse_central_directory(cd: &[u8]) -> Result<Vec<ZipEntry>, String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i + 46 <= cd.len() {
        if !cd[i..].starts_with(b"PK\x01\x02") {
            return Err("the zip central directory is damaged".into());
        }
        let bad = || "the zip central directory is damaged".to_string();
        let method = u16le(cd, i + 10).ok_or_else(bad)?;
        let csize = u32le(cd, i + 20).ok_or_else(bad)? as u64;
        let usize_ = u32le(cd, i + 24).ok_or_else(bad)? as u64;
        let nlen = u16le(cd, i + 28).ok_or_else(bad)? as usize;
        let xlen = u16le(cd, i + 30).ok_or_else(bad)? as usize;
        let clen = u16le(cd, i + 32).ok_or_else(bad)? as usize;
        let local = u32le(cd, i + 42).ok_or_else(bad)? as u64;
        let name_bytes = cd.get(i + 46..i + 46 + nlen).ok_or_else(bad)?;
        let name = String::from_utf8_lossy(name_bytes).into_owned();
        if !name.ends_with('/') {
            out.push(ZipEntry {
                name,
                method,
                compressed_size: csize,
                uncompressed_size: usize_,
                local_header_offset: local,
            });
        }
        i += 46 + nlen + xlen + clen;
    }
    Ok(out)
}

/// Length of an entry's local header (30 bytes + name + extra), read from its first 30 bytes;
/// the compressed data starts this many bytes after `local_header_offset`.
pub fn local_data_offset(header30: &[u8]) -> Result<u64, String> {
    if !header30.starts_with(b"PK\x03\x04") {
        return Err("the zip archive is damaged (bad local header)".into());
    }
    let n = u16le(header30, 26).ok_or("truncated local header")? as u64;
    let x = u16le(header30, 28).ok_or("truncated local header")? as u64;
    Ok(30 + n + x)
}

#[cfg(test)]
#[path = "archive_tests.rs"]
pub(crate) mod tests;
