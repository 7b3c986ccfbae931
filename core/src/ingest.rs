//! Driving the ingest: bytes of one or more inputs in, a [`Dataset`] out.
//!
//! The same driver serves the CLI (whole files or stdin, in slices), the web worker (slices of a
//! `File`), and the tests (any split, to prove chunk-boundary independence).

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::formats::{self, Format, LineParser, UnknownParser, MIN_CONFIDENCE, SAMPLE_BYTES};
use crate::input::archive::{self, Inflater, Packing};
use crate::input::{Decoder, LineScanner};
use crate::model::{Dataset, EventSink, InputInfo};
use crate::report::Report;
use crate::CoreError;

/// One input being read.
struct Current {
    input: u16,
    decoder: Decoder,
    scanner: LineScanner,
    /// Decoded bytes kept until there is enough to detect the format.
    sample: Vec<u8>,
    parser: Option<Box<dyn LineParser>>,
    forced: Option<&'static dyn Format>,
    /// Parser options given by the user (see [`Format::parser_with_options`]).
    options: BTreeMap<String, String>,
    decoded: Vec<u8>,
    raw_bytes: u64,
    /// Decided from the first bytes; `None` until 4 bytes have arrived.
    packing: Option<Packing>,
    /// The first bytes, held until the packing is known.
    head: Vec<u8>,
    inflater: Option<Inflater>,
    /// A zip archive is kept whole, then each entry is read as an input of its own.
    zip: Vec<u8>,
    /// Size of the input when the caller knows it (see [`Ingest::expect_bytes`]).
    expected: u64,
}

/// Largest zip archive read (it is held in memory to reach its central directory).
const MAX_ZIP_BYTES: usize = 1 << 30;

/// Streaming ingest of several inputs into one dataset.
pub struct Ingest {
    ds: Dataset,
    current: Option<Current>,
}

impl Default for Ingest {
    fn default() -> Self {
        Ingest::new()
    }
}

impl Ingest {
    pub fn new() -> Ingest {
        Ingest {
            ds: Dataset::new(),
            current: None,
        }
    }

    /// Starts an input. `format` forces a format id instead of detecting one.
    pub fn begin(&mut self, path: &str, format: Option<&str>) -> Result<(), CoreError> {
        self.begin_with_options(path, format, &BTreeMap::new())
    }

    /// Like [`Ingest::begin`], with parser options for the chosen format (for example the
    /// column mapping of a metrics CSV; each format's module documents its keys).
    pub fn begin_with_options(
        &mut self,
        path: &str,
        format: Option<&str>,
        options: &BTreeMap<String, String>,
    ) -> Result<(), CoreError> {
        self.end();
        let forced = match format {
            Some(id) => Some(formats::by_id(id).ok_or_else(|| {
                CoreError::UnknownFormat(id.to_string(), formats::ids().join(", "))
            })?),
            None => None,
        };
        let input = self.ds.add_input(path, "", 0.0);
        self.current = Some(Current {
            input,
            decoder: Decoder::new(),
            scanner: LineScanner::new(),
            sample: Vec::new(),
            parser: None,
            forced,
            options: options.clone(),
            decoded: Vec::new(),
            raw_bytes: 0,
            packing: None,
            head: Vec::new(),
            inflater: None,
            zip: Vec::new(),
            expected: 0,
        });
        Ok(())
    }

    /// Tells the size in bytes of the input just begun, when known (a file): the index then
    /// reserves room for its events once instead of growing step by step. Only address space is
    /// reserved beyond what the events fill, and it is given back at [`Ingest::finish`].
    pub fn expect_bytes(&mut self, bytes: u64) {
        if let Some(cur) = self.current.as_mut() {
            cur.expected = bytes;
        }
    }

    /// Feeds the next slice of the current input (any size, any split).
    pub fn feed(&mut self, bytes: &[u8]) {
        let Some(cur) = self.current.as_mut() else {
            return;
        };
        cur.raw_bytes += bytes.len() as u64;
        let owned;
        let mut bytes = bytes;
        if cur.packing.is_none() {
            cur.head.extend_from_slice(bytes);
            if cur.head.len() < 4 {
                return;
            }
            let packing = archive::sniff(&cur.head);
            cur.packing = Some(packing);
            if packing == Packing::Gzip {
                cur.inflater = Some(Inflater::gzip());
            }
            owned = std::mem::take(&mut cur.head);
            bytes = &owned;
        }
        match cur.packing {
            Some(Packing::Zip) => {
                if cur.zip.len() + bytes.len() <= MAX_ZIP_BYTES {
                    cur.zip.extend_from_slice(bytes);
                }
            }
            Some(Packing::Gzip) => {
                let mut plain = Vec::new();
                if let Some(inf) = cur.inflater.as_mut() {
                    inf.feed(bytes, &mut plain);
                }
                self.feed_plain(&plain);
            }
            _ => self.feed_plain(bytes),
        }
    }

    /// Feeds bytes as they are after decompression.
    fn feed_plain(&mut self, bytes: &[u8]) {
        let Some(cur) = self.current.as_mut() else {
            return;
        };
        if cur.decoder.passes_through() {
            // UTF-8 once past the first bytes: no copy.
            self.push_decoded(bytes);
            return;
        }
        let mut decoded = std::mem::take(&mut cur.decoded);
        decoded.clear();
        cur.decoder.decode(bytes, &mut decoded);
        self.push_decoded(&decoded);
        if let Some(cur) = self.current.as_mut() {
            cur.decoded = decoded;
        }
    }

    fn push_decoded(&mut self, data: &[u8]) {
        let cur = self.current.as_mut().expect("an input is open");
        if cur.parser.is_none() {
            cur.sample.extend_from_slice(data);
            if cur.sample.len() < SAMPLE_BYTES {
                return;
            }
            self.start_parser();
            return;
        }
        Self::scan(&mut self.ds, cur, data);
    }

    fn scan(ds: &mut Dataset, cur: &mut Current, data: &[u8]) {
        let parser = cur.parser.as_mut().expect("parser started");
        let mut sink = ds.sink(cur.input);
        cur.scanner.feed(data, |line| parser.line(line, &mut sink));
    }

    /// Detects the format from the sample and replays the sample into the parser.
    fn start_parser(&mut self) {
        let cur = self.current.as_mut().expect("an input is open");
        let text = detection_text(&cur.sample);
        let info = &mut self.ds.inputs[cur.input as usize];
        let (mut parser, format) = choose_parser(&text, cur.forced, &cur.options, info);
        if format.is_some() {
            self.ds.reserve_for_bytes(cur.expected);
            parser.expect_bytes(cur.expected);
        }
        cur.parser = Some(parser);
        let sample = std::mem::take(&mut cur.sample);
        Self::scan(&mut self.ds, cur, &sample);
    }

    /// Ends the current input (flushes carried bytes and the parser).
    pub fn end(&mut self) {
        if self.current.is_none() {
            return;
        }
        // Fewer than 4 bytes in all: plain text.
        if let Some(cur) = self.current.as_mut() {
            if cur.packing.is_none() {
                cur.packing = Some(Packing::Plain);
                let head = std::mem::take(&mut cur.head);
                self.feed_plain(&head);
            }
        }
        let cur = self.current.as_mut().unwrap();
        if cur.packing == Some(Packing::Zip) {
            return self.end_zip();
        }
        if let Some(mut inf) = cur.inflater.take() {
            let mut tail = Vec::new();
            inf.finish(&mut tail);
            let err = inf.error().map(str::to_string);
            self.feed_plain(&tail);
            if let Some(e) = err {
                let cur = self.current.as_ref().unwrap();
                self.ds
                    .sink(cur.input)
                    .notice(&format!("gzip: {e}; the lines before the damage were read"));
            }
        }
        {
            let cur = self.current.as_mut().unwrap();
            let mut tail = Vec::new();
            cur.decoder.finish(&mut tail);
            cur.sample.extend_from_slice(&tail);
            if cur.parser.is_some() && !cur.sample.is_empty() {
                let s = std::mem::take(&mut cur.sample);
                Self::scan(&mut self.ds, cur, &s);
            }
        }
        if self.current.as_ref().unwrap().parser.is_none() {
            self.start_parser();
        }
        let mut cur = self.current.take().unwrap();
        let mut parser = cur.parser.take().unwrap();
        let mut sink = self.ds.sink(cur.input);
        cur.scanner.finish(|line| parser.line(line, &mut sink));
        parser.finish(&mut sink);
        sink.set_lines(cur.scanner.lines(), cur.raw_bytes);
        let info = &mut self.ds.inputs[cur.input as usize];
        closing_notice(info);
        let plain_utf8 = cur.packing != Some(Packing::Gzip)
            && cur
                .decoder
                .encoding()
                .is_none_or(|e| e == crate::input::Encoding::Utf8);
        info.raw_offset = plain_utf8.then_some(cur.decoder.bom_len() as u64);
        if let Some(enc) = cur.decoder.encoding() {
            if enc != crate::input::Encoding::Utf8 {
                info.notices.push(format!("decoded from {}", enc.as_str()));
            }
        }
    }

    /// Reads a buffered zip archive: the archive itself is listed as an input with a notice, and
    /// every file inside becomes an input named `archive.zip/path/in/archive`.
    fn end_zip(&mut self) {
        let cur = self.current.take().expect("an input is open");
        let input = cur.input;
        let zip = cur.zip;
        let path = self.ds.inputs[input as usize].path.clone();
        {
            let info = &mut self.ds.inputs[input as usize];
            info.format = "zip".to_string();
            info.confidence = 1.0;
            info.bytes = cur.raw_bytes;
        }
        if cur.raw_bytes as usize > MAX_ZIP_BYTES {
            self.ds.sink(input).notice(
                "This zip archive is larger than 1 GB; unpack it and add its files instead.",
            );
            return;
        }
        let listing = (|| {
            let tail_len = (zip.len() as u64).min(archive::ZIP_TAIL_BYTES) as usize;
            let (off, size) =
                archive::find_central_directory(&zip[zip.len() - tail_len..], zip.len() as u64)?;
            let cd = zip
                .get(off as usize..(off + size) as usize)
                .ok_or("the zip archive is damaged")?;
            archive::parse_central_directory(cd)
        })();
        let entries = match listing {
            Ok(e) => e,
            Err(e) => {
                self.ds
                    .sink(input)
                    .notice(&format!("Could not read this zip archive: {e}"));
                return;
            }
        };
        self.ds.sink(input).notice(&format!(
            "zip archive with {} files; each is listed on its own",
            entries.len()
        ));
        for e in entries {
            let name = format!("{path}/{}", e.name);
            let start = e.local_header_offset as usize;
            let data = zip
                .get(start..start + 30)
                .ok_or_else(|| "the zip archive is damaged".to_string())
                .and_then(archive::local_data_offset)
                .and_then(|d| {
                    let a = start + d as usize;
                    zip.get(a..a + e.compressed_size as usize)
                        .ok_or_else(|| "the zip archive is damaged".to_string())
                });
            let _ = self.begin(&name, None);
            match data.and_then(|d| Inflater::zip_method(e.method).map(|i| (d, i))) {
                Ok((d, mut inf)) => {
                    let mut plain = Vec::new();
                    for chunk in d.chunks(8 << 20) {
                        plain.clear();
                        inf.feed(chunk, &mut plain);
                        self.feed(&plain);
                    }
                    plain.clear();
                    inf.finish(&mut plain);
                    self.feed(&plain);
                    if let Some(err) = inf.error().map(str::to_string) {
                        let i = self.current.as_ref().map(|c| c.input).unwrap_or(input);
                        self.ds.sink(i).notice(&err);
                    }
                }
                Err(err) => {
                    let i = self.current.as_ref().map(|c| c.input).unwrap_or(input);
                    self.ds.sink(i).notice(&err);
                }
            }
            self.end();
        }
    }

    /// Adds every input of a dataset read elsewhere (a file read in parallel ranges, see
    /// [`crate::parallel`]) after the inputs read so far.
    pub fn add_dataset(&mut self, ds: Dataset) {
        self.end();
        self.ds.merge(ds);
    }

    /// The inputs read so far (for progress reports).
    pub fn dataset(&self) -> &Dataset {
        &self.ds
    }

    /// Ends the last input and returns the dataset, sorted by time.
    pub fn finish(mut self) -> Dataset {
        self.end();
        self.ds.finish();
        self.ds
    }
}

/// The text format detection looks at: whole lines of the first [`SAMPLE_BYTES`] of the sample
/// (a first slice of several megabytes would otherwise be scanned by every format's detector),
/// or the first line when that is longer.
pub(crate) fn detection_text(sample: &[u8]) -> Cow<'_, str> {
    let head = &sample[..sample.len().min(SAMPLE_BYTES)];
    let cut = memchr::memrchr(b'\n', head)
        .map(|i| i + 1)
        .or_else(|| memchr::memchr(b'\n', sample).map(|i| i + 1))
        .unwrap_or(sample.len());
    String::from_utf8_lossy(&sample[..cut])
}

/// Chooses the parser for an input from the detection text: the format the user forced, else
/// the best-scoring format above [`MIN_CONFIDENCE`], else the unknown parser (with the closest
/// guesses as a notice). Records the choice in `info`; returns the parser and its format.
pub(crate) fn choose_parser(
    text: &str,
    forced: Option<&'static dyn Format>,
    options: &BTreeMap<String, String>,
    info: &mut InputInfo,
) -> (Box<dyn LineParser>, Option<&'static dyn Format>) {
    if let Some(f) = forced {
        info.format = f.id().to_string();
        info.confidence = f.detect(text).max(0.0);
        info.notices
            .push(format!("format set by the user: {}", f.name()));
        return (f.parser_with_options(options), Some(f));
    }
    let ranked = formats::rank(text);
    match ranked.first() {
        Some((f, c)) if *c >= MIN_CONFIDENCE => {
            info.format = f.id().to_string();
            info.confidence = *c;
            (f.parser_with_options(options), Some(*f))
        }
        _ => {
            info.format = "unknown".to_string();
            info.confidence = 0.0;
            if !text.trim().is_empty() {
                let guesses: Vec<String> = ranked
                    .iter()
                    .filter(|(_, c)| *c > 0.0)
                    .take(3)
                    .map(|(f, c)| format!("{} ({:.0}%)", f.id(), c * 100.0))
                    .collect();
                info.notices.push(if guesses.is_empty() {
                    "Not recognised: this does not look like any log format Storage Doctor reads.".to_string()
                } else {
                    format!(
                        "Not recognised with enough confidence. Closest guesses: {}. Choose a format to parse it anyway.",
                        guesses.join(", ")
                    )
                });
            }
            (Box::new(UnknownParser), None)
        }
    }
}

/// The notice an input gets at its end when it is empty or gave nothing to analyse.
pub(crate) fn closing_notice(info: &mut InputInfo) {
    if info.bytes == 0 {
        info.notices.push("The file is empty.".to_string());
    } else if info.events == 0 && info.format != "unknown" && info.notices.is_empty() {
        info.notices.push(format!(
            "Recognised as {}, but it holds no request that could be analysed.",
            info.format
        ));
    }
}

/// Reads one input held in memory and diagnoses it (tests, small pastes).
pub fn analyze_bytes(
    path: &str,
    bytes: &[u8],
    format: Option<&str>,
) -> Result<(Dataset, Report), CoreError> {
    let mut ing = Ingest::new();
    ing.begin(path, format)?;
    ing.feed(bytes);
    let ds = ing.finish();
    let report = Report::build(&ds);
    Ok((ds, report))
}

#[cfg(test)]
#[path = "ingest_tests.rs"]
mod tests;
