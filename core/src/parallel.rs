//! Reading one large file on several threads (the CLI; the page reads in a single worker).
//!
//! For formats whose records never span lines ([`Format::splits_at_lines`]: `$logs`, resource
//! logs written one record per line), a plain UTF-8 file is cut at line boundaries into byte
//! ranges. Each range is parsed on its own thread into its own [`Dataset`], starting at its
//! exact first line number and byte offset (lines are counted first, in parallel), and the
//! ranges are merged in file order, which numbers strings and SAS tokens exactly as a serial
//! read would. The result is the same dataset a serial read gives; whenever that cannot be
//! proved — a range holding a multi-line record or a notice, a record key seen in two ranges
//! (a duplicate the serial read would have skipped) — the file is read again serially.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use crate::formats::{self, Format, RangeEnd};
use crate::ingest::{choose_parser, closing_notice, detection_text};
use crate::input::archive::{self, Packing};
use crate::input::{Decoder, Encoding, LineScanner};
use crate::model::{Dataset, InputInfo};
use crate::Ingest;

/// Bytes read at a time, the slice size of the CLI's serial read (and of the page's worker).
pub const SLICE_BYTES: usize = 8 << 20;

/// Files smaller than this are read serially: the threads would not pay for themselves.
pub const MIN_PARALLEL_BYTES: u64 = 32 << 20;

/// Reads the file at `path` as input `name` of `ing` (optionally in a forced format), on up to
/// `threads` threads when the file and its format allow it, serially otherwise. Either way the
/// dataset is the one a serial read gives. Errors are I/O errors and unknown format ids.
pub fn ingest_file(
    ing: &mut Ingest,
    name: &str,
    path: &Path,
    format: Option<&str>,
    threads: usize,
) -> Result<(), String> {
    ingest_file_from(ing, name, path, format, threads, MIN_PARALLEL_BYTES)
}

/// [`ingest_file`] with the size from which a file is split (tests split tiny fixtures).
#[doc(hidden)]
pub fn ingest_file_from(
    ing: &mut Ingest,
    name: &str,
    path: &Path,
    format: Option<&str>,
    threads: usize,
    min_bytes: u64,
) -> Result<(), String> {
    let io = |e: std::io::Error| format!("{name}: {e}");
    let size = std::fs::metadata(path).map_err(io)?.len();
    if threads >= 2 && size >= min_bytes.max(4) {
        if let Some(ds) = read_in_ranges(name, path, format, threads, size)? {
            ing.add_dataset(ds);
            return Ok(());
        }
    }
    ing.begin(name, format).map_err(|e| e.to_string())?;
    ing.expect_bytes(size);
    let mut f = File::open(path).map_err(io)?;
    let mut buf = vec![0u8; SLICE_BYTES];
    loop {
        let n = f.read(&mut buf).map_err(io)?;
        if n == 0 {
            return Ok(());
        }
        ing.feed(&buf[..n]);
    }
}

/// What one range gave.
struct Piece {
    ds: Dataset,
    end: Option<RangeEnd>,
    /// Line number of the range's last line.
    last_line: u64,
}

impl Piece {
    /// Moves a range parsed with its lines numbered from 1 to its place in the file, where its
    /// first line is `first`: its events and skipped lines. Not for a range whose reasons cite
    /// lines ([`RangeEnd::reasons_cite_lines`]), which is read again instead.
    fn renumber(&mut self, first: u64) {
        debug_assert!(first == 1 || !self.end.as_ref().is_some_and(|e| e.reasons_cite_lines));
        let shift = first - 1;
        self.ds.shift_lines(shift);
        self.last_line += shift;
    }
}

/// The parallel read; `Ok(None)` when the file must be read serially instead.
fn read_in_ranges(
    name: &str,
    path: &Path,
    format: Option<&str>,
    threads: usize,
    size: u64,
) -> Result<Option<Dataset>, String> {
    let io = |e: std::io::Error| format!("{name}: {e}");
    let forced = match format {
        Some(id) => Some(formats::by_id(id).ok_or_else(|| {
            crate::CoreError::UnknownFormat(id.to_string(), formats::ids().join(", ")).to_string()
        })?),
        None => None,
    };
    // The first slice, exactly as the serial read feeds it: detection sees the same sample.
    let mut file = File::open(path).map_err(io)?;
    let mut head = vec![0u8; SLICE_BYTES.min(size as usize)];
    file.read_exact(&mut head).map_err(io)?;
    if archive::sniff(&head) != Packing::Plain {
        return Ok(None);
    }
    let mut decoder = Decoder::new();
    let mut decoded = Vec::new();
    decoder.decode(&head, &mut decoded);
    if decoder.encoding() != Some(Encoding::Utf8) {
        return Ok(None);
    }
    let bom = decoder.bom_len() as u64;
    let mut info = InputInfo {
        path: name.to_string(),
        ..Default::default()
    };
    let (_, chosen) = choose_parser(
        &detection_text(&decoded),
        forced,
        &BTreeMap::new(),
        &mut info,
    );
    let Some(fmt) = chosen.filter(|f| f.splits_at_lines()) else {
        return Ok(None);
    };
    drop((head, decoded));

    let bounds = boundaries(&mut file, size, bom, threads).map_err(io)?;
    if bounds.len() < 3 {
        return Ok(None);
    }
    let ranges: Vec<(u64, u64)> = bounds.windows(2).map(|w| (w[0], w[1])).collect();

    // Every range is parsed at once with its lines numbered from 1; once all are read, each
    // knows where its lines start in the file, and its events and skipped lines are
    // renumbered. A range whose reasons cite a line (a duplicate's does) is parsed again with
    // the right numbers instead: the file is read once, not a first time to count its lines.
    let last = ranges.len() - 1;
    let parse_all = |jobs: &[(usize, u64)]| {
        std::thread::scope(|s| {
            let handles: Vec<_> = jobs
                .iter()
                .map(|&(k, first_line)| {
                    let range = ranges[k];
                    s.spawn(move || read_range(name, path, fmt, range, first_line, bom, k == last))
                })
                .collect();
            handles
                .into_iter()
                .map(|j| j.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect::<std::io::Result<Vec<Piece>>>()
        })
    };
    let all: Vec<(usize, u64)> = (0..ranges.len()).map(|k| (k, 1)).collect();
    let mut pieces = parse_all(&all).map_err(io)?;
    // Whether the ranges may be joined does not depend on how their lines are numbered: asked
    // first, so that a file read serially anyway reads no range twice.
    if !pieces_agree(&pieces) {
        return Ok(None);
    }
    let mut again = Vec::new();
    let mut first = 1;
    for (k, p) in pieces.iter_mut().enumerate() {
        let lines = p.last_line;
        if first > 1 && p.end.as_ref().is_some_and(|e| e.reasons_cite_lines) {
            again.push((k, first));
        } else {
            p.renumber(first);
        }
        first += lines;
    }
    for (&(k, _), p) in again.iter().zip(parse_all(&again).map_err(io)?) {
        pieces[k] = p;
    }
    let last_line = pieces.last().map_or(0, |p| p.last_line);
    let mut pieces = pieces.into_iter();
    let Some(first) = pieces.next() else {
        return Ok(None);
    };
    let mut ds = first.ds;
    for p in pieces {
        ds.append_range(0, p.ds);
    }
    // The input's own accounting: detection's choice and notices, the whole file's lines and
    // bytes, and the note an input gets when it gave nothing.
    let merged = &mut ds.inputs[0];
    info.events = merged.events;
    info.skipped = std::mem::take(&mut merged.skipped);
    info.skipped_total = merged.skipped_total;
    info.time_range = merged.time_range;
    info.lines = last_line;
    info.bytes = size;
    info.raw_offset = Some(bom);
    closing_notice(&mut info);
    *merged = info;
    Ok(Some(ds))
}

/// Whether the pieces parsed exactly as one serial read: every range ended clean, none raised
/// a notice or carried CORS rules, and no record key appears in two ranges.
fn pieces_agree(pieces: &[Piece]) -> bool {
    let ends: Option<Vec<&RangeEnd>> = pieces.iter().map(|p| p.end.as_ref()).collect();
    let Some(ends) = ends else {
        return false;
    };
    if pieces
        .iter()
        .any(|p| !p.ds.cors_rules.is_empty() || p.ds.inputs.iter().any(|i| !i.notices.is_empty()))
    {
        return false;
    }
    for (i, a) in ends.iter().enumerate() {
        for b in &ends[i + 1..] {
            if sorted_overlap(&a.record_keys, &b.record_keys) {
                return false;
            }
        }
    }
    true
}

fn sorted_overlap(a: &[u64], b: &[u64]) -> bool {
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => return true,
        }
    }
    false
}

/// Range starts: 0, then the byte after the first newline at or past each `k / n` of the file,
/// then the file size. Ranges that would be empty are dropped.
fn boundaries(file: &mut File, size: u64, bom: u64, n: usize) -> std::io::Result<Vec<u64>> {
    let mut out = vec![0u64];
    let mut window = vec![0u8; 64 << 10];
    for k in 1..n as u64 {
        let mut pos = (size * k / n as u64)
            .max(bom)
            .max(*out.last().unwrap_or(&0));
        let found = loop {
            if pos >= size {
                break None;
            }
            file.seek(SeekFrom::Start(pos))?;
            let got = file.read(&mut window)?;
            if got == 0 {
                break None;
            }
            match memchr::memchr(b'\n', &window[..got]) {
                Some(i) => break Some(pos + i as u64 + 1),
                None => pos += got as u64,
            }
        };
        match found {
            Some(b) if b < size && b > *out.last().unwrap_or(&0) => out.push(b),
            _ => {}
        }
    }
    out.push(size);
    Ok(out)
}

/// Parses bytes `start..end` of the file (whole lines) into a dataset of its own.
fn read_range(
    name: &str,
    path: &Path,
    fmt: &'static dyn Format,
    (start, end): (u64, u64),
    first_line: u64,
    bom: u64,
    last: bool,
) -> std::io::Result<Piece> {
    let mut f = File::open(path)?;
    f.seek(SeekFrom::Start(start))?;
    let mut ds = Dataset::new();
    ds.reserve_for_bytes(end - start);
    let input = ds.add_input(name, "", 0.0);
    let mut parser = fmt.parser_with_options(&BTreeMap::new());
    parser.expect_bytes(end - start);
    // Decoded offsets start after the byte-order mark, which only the first range holds.
    let skip = if start == 0 { bom } else { 0 };
    let mut scanner = LineScanner::starting_at(first_line, start + skip - bom);
    let mut buf = vec![0u8; SLICE_BYTES];
    let mut left = end - start;
    let mut to_skip = skip as usize;
    while left > 0 {
        let want = left.min(SLICE_BYTES as u64) as usize;
        let got = f.read(&mut buf[..want])?;
        if got == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        left -= got as u64;
        let data = &buf[to_skip.min(got)..got];
        to_skip = to_skip.saturating_sub(got);
        let mut sink = ds.sink(input);
        scanner.feed(data, |l| parser.line(l, &mut sink));
    }
    if last {
        let mut sink = ds.sink(input);
        scanner.finish(|l| parser.line(l, &mut sink));
        parser.finish(&mut sink);
    }
    let end = parser.range_end();
    Ok(Piece {
        ds,
        end,
        last_line: scanner.lines(),
    })
}

#[cfg(test)]
#[path = "parallel_tests.rs"]
mod tests;
