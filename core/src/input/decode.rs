//! Encoding detection and transcoding to UTF-8, streaming.
//!
//! Windows trace listeners often write UTF-16 with a BOM; everything else is UTF-8, with or
//! without a BOM. The decoder looks at the first bytes once, then converts every chunk, carrying
//! an odd trailing byte (UTF-16) or an unfinished surrogate pair to the next chunk.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16Le,
    Utf16Be,
}

impl Encoding {
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Utf16Le => "UTF-16 LE",
            Encoding::Utf16Be => "UTF-16 BE",
        }
    }
}

/// Bytes looked at before deciding the encoding of a file without a BOM.
const DETECT_BYTES: usize = 64;

#[derive(Debug, Default)]
pub struct Decoder {
    encoding: Option<Encoding>,
    /// Bytes held back: the start of a BOM, an odd UTF-16 byte, or a high surrogate.
    carry: Vec<u8>,
    /// Decide the encoding now, even on few bytes (end of input).
    force: bool,
    bom_len: usize,
}

impl Decoder {
    pub fn new() -> Decoder {
        Decoder::default()
    }

    pub fn encoding(&self) -> Option<Encoding> {
        self.encoding
    }

    /// Length of the byte-order mark that was dropped (decoded offsets start after it).
    pub fn bom_len(&self) -> usize {
        self.bom_len
    }

    /// True when [`Decoder::decode`] would append its input unchanged (UTF-8 decided, nothing
    /// held back), so a caller may use the bytes as they are instead of copying them.
    pub fn passes_through(&self) -> bool {
        self.encoding == Some(Encoding::Utf8) && self.carry.is_empty()
    }

    /// Converts `input` to UTF-8, appending to `out`. UTF-8 input is passed through unchanged
    /// (invalid sequences are dealt with per line by the scanner).
    pub fn decode(&mut self, input: &[u8], out: &mut Vec<u8>) {
        let owned;
        let mut data: &[u8] = input;
        if !self.carry.is_empty() {
            let mut v = std::mem::take(&mut self.carry);
            v.extend_from_slice(input);
            owned = v;
            data = &owned;
        }
        if self.encoding.is_none() {
            // Hold the first bytes back until a BOM, or UTF-16 without one, can be told apart.
            if !self.force
                && data.len() < DETECT_BYTES
                && !data.is_empty()
                && (data.len() < 3 && is_bom_prefix(data) || !data.contains(&b'\n'))
            {
                self.carry.extend_from_slice(data);
                return;
            }
            let (enc, skip) = if data.starts_with(&[0xEF, 0xBB, 0xBF]) {
                (Encoding::Utf8, 3)
            } else if data.starts_with(&[0xFF, 0xFE]) {
                (Encoding::Utf16Le, 2)
            } else if data.starts_with(&[0xFE, 0xFF]) {
                (Encoding::Utf16Be, 2)
            } else if looks_utf16(data, true) {
                (Encoding::Utf16Le, 0)
            } else if looks_utf16(data, false) {
                (Encoding::Utf16Be, 0)
            } else {
                (Encoding::Utf8, 0)
            };
            if data.is_empty() {
                return;
            }
            self.encoding = Some(enc);
            self.bom_len = skip;
            data = &data[skip..];
        }
        match self.encoding {
            Some(Encoding::Utf8) | None => out.extend_from_slice(data),
            Some(enc) => self.decode_utf16(data, enc == Encoding::Utf16Le, out),
        }
    }

    /// Flushes what is held back at the end of the input.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        if self.encoding.is_none()
            && !self.carry.is_empty()
            && !(self.carry.len() < 3 && is_bom_prefix(&self.carry))
        {
            // Force a decision on what there is.
            self.force = true;
            self.decode(&[], out);
            return self.finish(out);
        }
        if !self.carry.is_empty() {
            if self.encoding.is_none() || self.encoding == Some(Encoding::Utf8) {
                out.extend_from_slice(&self.carry);
            } else {
                // A lone byte or unpaired surrogate at the very end.
                out.extend_from_slice("\u{FFFD}".as_bytes());
            }
            self.carry.clear();
        }
    }

    fn decode_utf16(&mut self, data: &[u8], le: bool, out: &mut Vec<u8>) {
        let mut units = data.chunks_exact(2);
        let mut pending_high: Option<u16> = None;
        for pair in &mut units {
            let u = if le {
                u16::from_le_bytes([pair[0], pair[1]])
            } else {
                u16::from_be_bytes([pair[0], pair[1]])
            };
            let mut buf = [0u8; 4];
            if let Some(h) = pending_high.take() {
                if (0xDC00..0xE000).contains(&u) {
                    let c = 0x10000 + (((h as u32) - 0xD800) << 10) + (u as u32 - 0xDC00);
                    let ch = char::from_u32(c).unwrap_or('\u{FFFD}');
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                    continue;
                }
                out.extend_from_slice("\u{FFFD}".as_bytes());
            }
            if (0xD800..0xDC00).contains(&u) {
                pending_high = Some(u);
                continue;
            }
            let ch = char::from_u32(u as u32).unwrap_or('\u{FFFD}');
            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
        }
        if let Some(h) = pending_high {
            let b = if le { h.to_le_bytes() } else { h.to_be_bytes() };
            self.carry.extend_from_slice(&b);
        }
        self.carry.extend_from_slice(units.remainder());
    }
}

fn is_bom_prefix(d: &[u8]) -> bool {
    [&[0xEF, 0xBB, 0xBF][..], &[0xFF, 0xFE], &[0xFE, 0xFF]]
        .iter()
        .any(|bom| bom.starts_with(d))
}

/// UTF-16 without a BOM: ASCII text has a zero in every other byte.
fn looks_utf16(d: &[u8], le: bool) -> bool {
    let n = d.len().min(512) / 2 * 2;
    if n < 8 {
        return false;
    }
    let zeros = d[..n]
        .chunks_exact(2)
        .filter(|p| {
            if le {
                p[1] == 0 && p[0] != 0
            } else {
                p[0] == 0 && p[1] != 0
            }
        })
        .count();
    zeros * 10 >= (n / 2) * 9
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_in_pieces(bytes: &[u8], size: usize) -> String {
        let mut d = Decoder::new();
        let mut out = Vec::new();
        for c in bytes.chunks(size.max(1)) {
            d.decode(c, &mut out);
        }
        d.finish(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn utf16le_with_bom_any_split() {
        let text = "Hé 🎉\r\nline2";
        let mut bytes = vec![0xFF, 0xFE];
        for u in text.encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        for size in 1..bytes.len() {
            assert_eq!(decode_in_pieces(&bytes, size), text, "split {size}");
        }
    }

    #[test]
    fn utf16be_and_utf8_bom() {
        let mut bytes = vec![0xFE, 0xFF];
        for u in "abc".encode_utf16() {
            bytes.extend_from_slice(&u.to_be_bytes());
        }
        assert_eq!(decode_in_pieces(&bytes, 1), "abc");
        assert_eq!(decode_in_pieces(b"\xEF\xBB\xBFabc", 1), "abc");
        assert_eq!(decode_in_pieces(b"plain", 2), "plain");
        let mut d = Decoder::new();
        let mut out = Vec::new();
        d.decode(b"\xEF", &mut out);
        d.finish(&mut out);
        assert_eq!(
            out, b"\xEF",
            "a lone byte that could start a BOM is passed through"
        );
    }

    #[test]
    fn utf16le_without_bom_is_detected() {
        let mut bytes = Vec::new();
        for u in "Microsoft.WindowsAzure.Storage Information".encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        assert_eq!(
            decode_in_pieces(&bytes, 7),
            "Microsoft.WindowsAzure.Storage Information"
        );
    }
}
