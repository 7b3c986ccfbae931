//! Whole JSON objects out of a stream of lines, for the formats whose records are JSON objects
//! written in several layouts: one per line (JSON Lines), pretty-printed over many lines,
//! several concatenated, inside a top-level array, or inside an Event Hubs envelope
//! `{"records": [ … ]}`.
//!
//! The scanner tracks only brackets and strings, so it can hand over each record as soon as its
//! closing brace arrives, and a file that is not valid JSON as a whole (cut short, fragments of
//! documentation, a stray word) still gives every record that is whole. Parsing a record is left
//! to the caller (serde into the format's own structs).

use crate::input::Line;

/// Nesting deeper than this is not a log record.
const MAX_DEPTH: usize = 128;
/// A record longer than this is not a log record either (and would hold memory for nothing).
const MAX_RECORD_BYTES: usize = 8 << 20;

/// Why the brackets of a record stopped making sense.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Broken {
    /// A `}` closing a `[` or the reverse.
    BadBracket,
    /// A string still open at the end of a line (JSON strings cannot hold a raw newline).
    StringPastLineEnd,
    TooDeep,
    TooLong,
    /// The input ended inside the record.
    Truncated,
}

impl Broken {
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Broken::BadBracket => "its brackets do not match (a '}' closes a '[' or the reverse)",
            Broken::StringPastLineEnd => "a quoted string runs past the end of a line",
            Broken::TooDeep => "it is nested too deeply to be a log record",
            Broken::TooLong => "it is larger than 8 MB, too large to be a log record",
            Broken::Truncated => "the input ends before the record does (the file looks cut short)",
        }
    }
}

/// What the scanner found.
pub(crate) enum Item<'a> {
    /// A whole object in a record position, from its `{` to its `}`.
    Object {
        first_line: u64,
        last_line: u64,
        /// Byte offset of the first line.
        offset: u64,
        text: &'a str,
    },
    /// A line with text outside any JSON value.
    Stray { line: u64 },
    /// Lines that cannot be read as JSON structure.
    Broken {
        first_line: u64,
        last_line: u64,
        why: Broken,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Top {
    None,
    /// A top-level object whose first key is not known yet.
    Pending,
    /// A top-level object that is itself the record.
    Record,
    /// `{"records": [ … ]}`.
    Envelope,
    /// `[ … ]`.
    Array,
}

struct Candidate {
    /// Stack depth with the record's own `{` pushed.
    depth: usize,
    first_line: u64,
    offset: u64,
}

pub(crate) struct JsonObjects {
    stack: Vec<u8>,
    in_str: bool,
    esc: bool,
    top: Top,
    awaiting_first_key: bool,
    cand: Option<Candidate>,
    /// Text of the record being collected when it spans lines.
    buf: String,
    last_line: u64,
    /// The open record's last line ended inside a string: broken if another line follows,
    /// cut short if the input ends here.
    string_open_at_eol: bool,
}

impl Default for JsonObjects {
    fn default() -> Self {
        JsonObjects {
            stack: Vec::with_capacity(16),
            in_str: false,
            esc: false,
            top: Top::None,
            awaiting_first_key: false,
            cand: None,
            buf: String::new(),
            last_line: 0,
            string_open_at_eol: false,
        }
    }
}

impl JsonObjects {
    /// True between values: a line that is a whole object by itself may be parsed directly.
    pub(crate) fn is_idle(&self) -> bool {
        self.stack.is_empty() && !self.in_str
    }

    fn reset(&mut self) {
        self.stack.clear();
        self.in_str = false;
        self.esc = false;
        self.top = Top::None;
        self.awaiting_first_key = false;
        self.cand = None;
        self.buf.clear();
        self.string_open_at_eol = false;
    }

    fn is_record_slot(&self, depth_before: usize) -> bool {
        let parent_is_array = self.stack.get(depth_before.wrapping_sub(1)) == Some(&b'[');
        parent_is_array
            && match self.top {
                Top::Array => depth_before == 1,
                Top::Envelope => depth_before == 2,
                _ => false,
            }
    }

    /// Scans one line; calls `f` for every record completed, broken or stray text found.
    pub(crate) fn line(&mut self, line: &Line<'_>, f: &mut dyn FnMut(Item<'_>)) {
        if self.string_open_at_eol {
            let last = self.last_line;
            self.broken(Broken::StringPastLineEnd, last, f);
            self.reset();
        }
        self.last_line = line.number;
        let text = line.text;
        let b = text.as_bytes();
        // Start of the part of this line that belongs to the open record.
        let mut seg: Option<usize> = self.cand.as_ref().map(|_| 0);
        let mut stray = false;
        let mut reported = false;
        let mut key_start: Option<usize> = None;
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            if self.in_str {
                if self.esc {
                    self.esc = false;
                } else if c == b'\\' {
                    self.esc = true;
                } else if c == b'"' {
                    self.in_str = false;
                    if let Some(ks) = key_start.take() {
                        // The first key of a top-level object tells a record from an envelope.
                        if &text[ks..i] == "records" {
                            self.top = Top::Envelope;
                            self.cand = None;
                            self.buf.clear();
                            seg = None;
                        } else {
                            self.top = Top::Record;
                        }
                    }
                }
                i += 1;
                continue;
            }
            if self.awaiting_first_key && self.stack.len() == 1 && !c.is_ascii_whitespace() {
                self.awaiting_first_key = false;
                if c == b'"' {
                    key_start = Some(i + 1);
                } else {
                    self.top = Top::Record;
                }
            }
            match c {
                b'"' => {
                    self.in_str = true;
                    if self.stack.is_empty() {
                        stray = true;
                    }
                }
                b'{' | b'[' => {
                    let depth_before = self.stack.len();
                    if depth_before >= MAX_DEPTH {
                        self.broken(Broken::TooDeep, line.number, f);
                        reported = true;
                        self.reset();
                        seg = None;
                        i += 1;
                        continue;
                    }
                    self.stack.push(c);
                    let starts_record = if depth_before == 0 {
                        if c == b'{' {
                            self.top = Top::Pending;
                            self.awaiting_first_key = true;
                            true
                        } else {
                            self.top = Top::Array;
                            false
                        }
                    } else {
                        c == b'{' && self.cand.is_none() && self.is_record_slot(depth_before)
                    };
                    if starts_record {
                        self.cand = Some(Candidate {
                            depth: depth_before + 1,
                            first_line: line.number,
                            offset: line.offset,
                        });
                        self.buf.clear();
                        seg = Some(i);
                    }
                }
                b'}' | b']' => {
                    let open = if c == b'}' { b'{' } else { b'[' };
                    match self.stack.last() {
                        None => stray = true,
                        Some(&o) if o != open => {
                            self.broken(Broken::BadBracket, line.number, f);
                            reported = true;
                            self.reset();
                            seg = None;
                        }
                        Some(_) => {
                            self.stack.pop();
                            let done = self
                                .cand
                                .as_ref()
                                .is_some_and(|k| self.stack.len() + 1 == k.depth);
                            if done {
                                let k = self.cand.take().expect("checked above");
                                let s = seg.take().unwrap_or(0);
                                let part = &text[s..=i];
                                if self.buf.is_empty() {
                                    f(Item::Object {
                                        first_line: k.first_line,
                                        last_line: line.number,
                                        offset: k.offset,
                                        text: part,
                                    });
                                } else {
                                    let mut whole = std::mem::take(&mut self.buf);
                                    whole.push_str(part);
                                    f(Item::Object {
                                        first_line: k.first_line,
                                        last_line: line.number,
                                        offset: k.offset,
                                        text: &whole,
                                    });
                                    whole.clear();
                                    self.buf = whole;
                                }
                            }
                            if self.stack.is_empty() {
                                self.top = Top::None;
                                self.awaiting_first_key = false;
                            }
                        }
                    }
                }
                b',' | b' ' | b'\t' | b'\r' => {}
                _ => {
                    if self.stack.is_empty() {
                        stray = true;
                    }
                }
            }
            i += 1;
        }
        if self.in_str {
            if self.cand.is_some() {
                // Decided by what comes next: another line, or the end of the input.
                self.string_open_at_eol = true;
            } else {
                stray = true;
                self.reset();
                seg = None;
            }
        }
        if let Some(s) = seg {
            if self.cand.is_some() {
                self.buf.push_str(&text[s..]);
                self.buf.push('\n');
                if self.buf.len() > MAX_RECORD_BYTES {
                    self.broken(Broken::TooLong, line.number, f);
                    reported = true;
                    self.reset();
                }
            }
        }
        if stray && !reported {
            f(Item::Stray { line: line.number });
        }
    }

    fn broken(&mut self, why: Broken, line: u64, f: &mut dyn FnMut(Item<'_>)) {
        let first_line = self.cand.as_ref().map_or(line, |k| k.first_line);
        f(Item::Broken {
            first_line,
            last_line: line,
            why,
        });
    }

    /// End of input: reports a record left open. Returns true when an enclosing array or
    /// envelope was never closed (the file was cut after a whole record).
    pub(crate) fn finish(&mut self, f: &mut dyn FnMut(Item<'_>)) -> bool {
        let container_open = matches!(self.top, Top::Array | Top::Envelope);
        if self.cand.is_some() {
            let last = self.last_line;
            self.broken(Broken::Truncated, last, f);
        }
        self.reset();
        container_open
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    enum Got {
        Obj(u64, u64, String),
        Stray(u64),
        Broken(u64, u64, Broken),
    }

    fn scan(text: &str) -> (Vec<Got>, bool) {
        let mut s = JsonObjects::default();
        let mut out = Vec::new();
        let mut offset = 0;
        for (n, l) in text.split('\n').enumerate() {
            let line = Line {
                number: n as u64 + 1,
                offset,
                text: l,
            };
            offset += l.len() as u64 + 1;
            s.line(&line, &mut |it| out.push(got(it)));
        }
        let open = s.finish(&mut |it| out.push(got(it)));
        (out, open)
    }

    fn got(it: Item<'_>) -> Got {
        match it {
            Item::Object {
                first_line,
                last_line,
                text,
                ..
            } => Got::Obj(first_line, last_line, text.to_string()),
            Item::Stray { line } => Got::Stray(line),
            Item::Broken {
                first_line,
                last_line,
                why,
            } => Got::Broken(first_line, last_line, why),
        }
    }

    #[test]
    fn json_lines_and_pretty_records() {
        let (out, open) = scan("{\"a\":1}\n{\n  \"b\": {\"c\": \"}\"}\n}\n");
        assert!(!open);
        assert_eq!(
            out,
            vec![
                Got::Obj(1, 1, "{\"a\":1}".into()),
                Got::Obj(2, 4, "{\n  \"b\": {\"c\": \"}\"}\n}".into()),
            ]
        );
    }

    #[test]
    fn envelope_and_array_give_their_elements() {
        let (out, _) = scan("{\"records\": [\n {\"a\":1},\n {\"a\":\n2}\n]}");
        assert_eq!(
            out,
            vec![
                Got::Obj(2, 2, "{\"a\":1}".into()),
                Got::Obj(3, 4, "{\"a\":\n2}".into()),
            ]
        );
        let (out, _) = scan("[{\"x\":[1,{\"y\":2}]},{\"z\":3}]");
        assert_eq!(
            out,
            vec![
                Got::Obj(1, 1, "{\"x\":[1,{\"y\":2}]}".into()),
                Got::Obj(1, 1, "{\"z\":3}".into()),
            ]
        );
    }

    #[test]
    fn damage_is_contained() {
        // A cut envelope: the whole record is kept, the open one reported, the envelope open.
        let (out, open) = scan("{\"records\":[{\"a\":1},\n{\"b\":");
        assert!(open);
        assert_eq!(
            out,
            vec![
                Got::Obj(1, 1, "{\"a\":1}".into()),
                Got::Broken(2, 2, Broken::Truncated),
            ]
        );
        // Stray text, a bad bracket and an unterminated string each cost only their record.
        let (out, _) = scan("Content\n{\"a\":[}\n{\"s\":\"abc\n{\"ok\":true}\n{\"cut\":\"ab");
        assert_eq!(
            out,
            vec![
                Got::Stray(1),
                Got::Broken(2, 2, Broken::BadBracket),
                Got::Broken(3, 3, Broken::StringPastLineEnd),
                Got::Obj(4, 4, "{\"ok\":true}".into()),
                Got::Broken(5, 5, Broken::Truncated),
            ]
        );
    }

    #[test]
    fn multibyte_text_is_sliced_safely() {
        let (out, _) = scan("{\"é\":\"ü}\"}\n\u{FFFD}{\"k\":\"v\"}");
        assert_eq!(out.len(), 3);
        assert_eq!(out[0], Got::Obj(1, 1, "{\"é\":\"ü}\"}".into()));
        assert_eq!(out[1], Got::Obj(2, 2, "{\"k\":\"v\"}".into()));
        assert_eq!(out[2], Got::Stray(2));
    }
}
