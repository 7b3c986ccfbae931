//! A line scanner over UTF-8 chunks that carries an incomplete last line to the next chunk.

use std::borrow::Cow;

/// One line of input, without its terminator (`\n`, `\r\n`).
#[derive(Clone, Copy, Debug)]
pub struct Line<'a> {
    /// 1-based line number.
    pub number: u64,
    /// Byte offset of the line's start in the decoded input.
    pub offset: u64,
    pub text: &'a str,
}

#[derive(Debug, Default)]
pub struct LineScanner {
    carry: Vec<u8>,
    next_number: u64,
    offset: u64,
}

impl LineScanner {
    pub fn new() -> LineScanner {
        LineScanner {
            carry: Vec::new(),
            next_number: 1,
            offset: 0,
        }
    }

    /// A scanner for a piece of an input that starts at line `number` and decoded byte
    /// `offset` (parallel ingest of line ranges).
    pub fn starting_at(number: u64, offset: u64) -> LineScanner {
        LineScanner {
            carry: Vec::new(),
            next_number: number,
            offset,
        }
    }

    /// Lines seen so far (including a final unterminated one after [`LineScanner::finish`]).
    pub fn lines(&self) -> u64 {
        self.next_number - 1
    }

    /// Decoded bytes seen so far.
    pub fn bytes(&self) -> u64 {
        self.offset + self.carry.len() as u64
    }

    /// Feeds a chunk; calls `on_line` for every line it completes.
    pub fn feed(&mut self, chunk: &[u8], mut on_line: impl FnMut(Line<'_>)) {
        let mut rest = chunk;
        if !self.carry.is_empty() {
            match memchr::memchr(b'\n', rest) {
                None => {
                    self.carry.extend_from_slice(rest);
                    return;
                }
                Some(i) => {
                    let mut carry = std::mem::take(&mut self.carry);
                    carry.extend_from_slice(&rest[..i]);
                    self.emit(&carry, &mut on_line);
                    self.offset += 1;
                    rest = &rest[i + 1..];
                    carry.clear();
                    self.carry = carry; // keep the allocation
                }
            }
        }
        let mut start = 0;
        for nl in memchr::memchr_iter(b'\n', rest) {
            self.emit(&rest[start..nl], &mut on_line);
            self.offset += 1;
            start = nl + 1;
        }
        self.carry.extend_from_slice(&rest[start..]);
    }

    /// Emits the last line if the input did not end with a newline.
    pub fn finish(&mut self, mut on_line: impl FnMut(Line<'_>)) {
        if !self.carry.is_empty() {
            let carry = std::mem::take(&mut self.carry);
            self.emit(&carry, &mut on_line);
        }
    }

    fn emit(&mut self, raw: &[u8], on_line: &mut impl FnMut(Line<'_>)) {
        let len = raw.len() as u64;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let text: Cow<'_, str> = match std::str::from_utf8(raw) {
            Ok(s) => Cow::Borrowed(s),
            // Not UTF-8 (often Windows-1252 text): keep what can be read.
            Err(_) => String::from_utf8_lossy(raw),
        };
        on_line(Line {
            number: self.next_number,
            offset: self.offset,
            text: &text,
        });
        self.next_number += 1;
        self.offset += len;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(input: &[u8], size: usize) -> Vec<(u64, u64, String)> {
        let mut s = LineScanner::new();
        let mut out = Vec::new();
        for c in input.chunks(size) {
            s.feed(c, |l| out.push((l.number, l.offset, l.text.to_string())));
        }
        s.finish(|l| out.push((l.number, l.offset, l.text.to_string())));
        out
    }

    #[test]
    fn same_lines_at_every_split() {
        let input = b"first\r\nsecond\n\nfourth \xC3\xA9\nlast";
        let whole = collect(input, input.len());
        assert_eq!(whole.len(), 5);
        assert_eq!(whole[1], (2, 7, "second".to_string()));
        assert_eq!(whole[4].2, "last");
        for size in 1..input.len() {
            assert_eq!(collect(input, size), whole, "chunk size {size}");
        }
    }

    #[test]
    fn invalid_utf8_is_kept_lossily() {
        let out = collect(b"caf\xE9\n", 100);
        assert_eq!(out[0].2, "caf\u{FFFD}");
    }
}
