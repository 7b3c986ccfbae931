//! String interning: each distinct string is stored once and events hold a 4-byte [`Sym`].

/// An interned string. `Sym(0)` is the empty string, so "absent" costs nothing to test.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Sym(pub u32);

impl Sym {
    pub const EMPTY: Sym = Sym(0);
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// The empty slot where a missing string belongs (`None` before the table exists), from
/// [`Interner::entry`].
pub(crate) struct Vacant(Option<usize>);

/// Append-only string table. Strings live in one buffer; an open-addressing table of ids finds
/// them by hash, so there is no per-string allocation and about 20 bytes of overhead per string
/// (span, hash, table slot).
#[derive(Debug)]
pub struct Interner {
    buf: String,
    spans: Vec<(u32, u32)>,
    /// Hash of each string (by id), kept so the table can grow without rehashing text.
    hashes: Vec<u32>,
    /// Slots hold ids, tagged: with `mask = table.len() - 1`, a slot is `(hash & !mask) | id`
    /// (ids stay below the table's length, so the bits above them are free), and 0 is empty. The
    /// tag rejects almost every other string met while probing without reading its hash or text,
    /// each a likely cache miss in a table of millions. Length is a power of two, at most 7/8 full.
    table: Vec<u32>,
}

impl Default for Interner {
    fn default() -> Self {
        Interner {
            buf: String::new(),
            spans: vec![(0, 0)],
            hashes: vec![0],
            table: Vec::new(),
        }
    }
}

const K: u64 = 0x9e37_79b9_7f4a_7c15;

/// A fast string hash, eight bytes at a time, the same on native and wasm (explicit little-endian
/// reads). Not for untrusted-key DoS resistance: the input is the user's own log.
///
/// Most strings interned per row are short (operation, account, address, version), so those
/// are read with two loads that may overlap, which together cover every byte (so strings of one
/// length that differ give different words), instead of a loop and a padded copy of the tail;
/// a longer string's tail is likewise its last eight bytes.
pub(crate) fn hash_bytes(b: &[u8]) -> u64 {
    let n = b.len();
    let step = |h: u64, w: u64| (h ^ w).wrapping_mul(K).rotate_left(31);
    let h = (n as u64).wrapping_mul(K);
    if n <= 16 {
        let (x, y) = match n {
            8.. => (read8(b, 0), read8(b, n - 8)),
            4.. => (u64::from(read4(b, 0)), u64::from(read4(b, n - 4))),
            1.. => (
                u64::from(b[0]) | u64::from(b[n / 2]) << 8 | u64::from(b[n - 1]) << 16,
                0,
            ),
            0 => (0, 0),
        };
        return mix(step(step(h, x), y));
    }
    let mut h = h;
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        h = step(h, u64::from_le_bytes(c.try_into().expect("chunks of 8")));
    }
    if !chunks.remainder().is_empty() {
        h = step(h, read8(b, n - 8));
    }
    mix(h)
}

/// The eight bytes at `i` as a little-endian word.
#[inline]
fn read8(b: &[u8], i: usize) -> u64 {
    u64::from_le_bytes(b[i..i + 8].try_into().expect("eight bytes"))
}

/// The four bytes at `i` as a little-endian word.
#[inline]
fn read4(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes(b[i..i + 4].try_into().expect("four bytes"))
}

/// `a == b`, compared eight bytes at a time (the last word overlapping) rather than through a
/// call to `memcmp`: the strings compared per row are short (names, addresses, queries of a
/// few hundred bytes at most), and besides its own cost the call made the interner's probe loop
/// keep its state on the stack.
#[inline]
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    match n {
        8.. => {
            let mut i = 0;
            while i + 8 < n {
                if read8(a, i) != read8(b, i) {
                    return false;
                }
                i += 8;
            }
            read8(a, n - 8) == read8(b, n - 8)
        }
        4..=7 => read4(a, 0) == read4(b, 0) && read4(a, n - 4) == read4(b, n - 4),
        _ => a.iter().zip(b).all(|(x, y)| x == y),
    }
}

/// splitmix64's finaliser: every output bit depends on every input bit.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The hash the interner uses for `s` (callers may compute it once and use it twice).
pub fn hash_str(s: &str) -> u64 {
    hash_bytes(s.as_bytes())
}

/// The table slot for string `id` with hash `h` in a table of `len` slots (see
/// [`Interner::table`]).
#[inline]
fn tagged(h: u32, id: u32, len: usize) -> u32 {
    let ids = (len - 1) as u32;
    debug_assert!(id <= ids);
    (h & !ids) | id
}

impl Interner {
    pub fn intern(&mut self, s: &str) -> Sym {
        self.intern_hashed(hash_str(s), s)
    }

    /// [`Interner::intern`] with the hash already computed by `hash_str`.
    pub fn intern_hashed(&mut self, h: u64, s: &str) -> Sym {
        if s.is_empty() {
            return Sym::EMPTY;
        }
        match self.probe(h as u32, s) {
            Ok(found) => found,
            Err(slot) => self.insert_vacant(h, s, Vacant(slot)),
        }
    }

    /// Where `s` (hash `h` from [`hash_str`], not empty) is, or the place it would go: lets a
    /// caller decide what to store for a string it has not seen without searching twice.
    pub(crate) fn entry(&self, h: u64, s: &str) -> Result<Sym, Vacant> {
        debug_assert!(!s.is_empty());
        self.probe(h as u32, s).map_err(Vacant)
    }

    /// Stores `s`, which [`Interner::entry`] just reported missing, at the place it reported
    /// (nothing was stored in between).
    pub(crate) fn insert_vacant(&mut self, h: u64, s: &str, vacant: Vacant) -> Sym {
        let slot = vacant.0;
        let start = self.buf.len() as u32;
        self.buf.push_str(s);
        let id = self.spans.len() as u32;
        self.spans.push((start, s.len() as u32));
        self.hashes.push(h as u32);
        match slot {
            Some(i) => self.table[i] = tagged(h as u32, id, self.table.len()),
            None => self.insert_id(id),
        }
        if (self.spans.len() - 1) * 8 > self.table.len() * 7 {
            self.grow();
        }
        Sym(id)
    }

    /// Looks a string up without adding it.
    pub fn find(&self, s: &str) -> Option<Sym> {
        self.find_hashed(hash_str(s), s)
    }

    /// [`Interner::find`] with the hash already computed by `hash_str`.
    pub fn find_hashed(&self, h: u64, s: &str) -> Option<Sym> {
        if s.is_empty() {
            return Some(Sym::EMPTY);
        }
        self.probe(h as u32, s).ok()
    }

    /// `Ok(sym)` when present; otherwise `Err(Some(slot))`, the empty slot where it belongs, or
    /// `Err(None)` when the table has not been allocated yet.
    #[inline(always)]
    fn probe(&self, h: u32, s: &str) -> Result<Sym, Option<usize>> {
        if self.table.is_empty() {
            return Err(None);
        }
        let mask = self.table.len() - 1;
        let ids = mask as u32;
        let mut i = h as usize & mask;
        loop {
            let slot = self.table[i];
            if slot == 0 {
                return Err(Some(i));
            }
            if (slot ^ h) & !ids == 0 && same_bytes(self.bytes(slot & ids), s.as_bytes()) {
                return Ok(Sym(slot & ids));
            }
            i = (i + 1) & mask;
        }
    }

    fn insert_id(&mut self, id: u32) {
        if self.table.is_empty() {
            self.table = vec![0; 64];
        }
        let mask = self.table.len() - 1;
        let h = self.hashes[id as usize];
        let mut i = h as usize & mask;
        while self.table[i] != 0 {
            i = (i + 1) & mask;
        }
        self.table[i] = tagged(h, id, self.table.len());
    }

    fn grow(&mut self) {
        let size = (self.table.len() * 2).max(64);
        self.table = vec![0; size];
        for id in 1..self.spans.len() as u32 {
            self.insert_id(id);
        }
    }

    /// The bytes of string `id` (an id from the table): compared as bytes, the text needs no
    /// char-boundary checks, which `get` makes on every probe that meets a tag match.
    #[inline]
    fn bytes(&self, id: u32) -> &[u8] {
        let (start, len) = self.spans[id as usize];
        &self.buf.as_bytes()[start as usize..(start + len) as usize]
    }

    pub fn get(&self, sym: Sym) -> &str {
        let (start, len) = self.spans.get(sym.0 as usize).copied().unwrap_or((0, 0));
        &self.buf[start as usize..(start + len) as usize]
    }

    pub fn len(&self) -> usize {
        self.spans.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Releases spare capacity once nothing more will be added.
    pub fn shrink_to_fit(&mut self) {
        self.buf.shrink_to_fit();
        self.spans.shrink_to_fit();
        self.hashes.shrink_to_fit();
    }

    /// Bytes held, for the memory accounting in benchmarks.
    pub fn heap_bytes(&self) -> usize {
        self.buf.capacity()
            + self.spans.capacity() * 8
            + self.hashes.capacity() * 4
            + self.table.capacity() * 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interns_once_and_finds() {
        let mut t = Interner::default();
        let words: Vec<String> = (0..1000).map(|i| format!("word-{i}")).collect();
        let syms: Vec<Sym> = words.iter().map(|w| t.intern(w)).collect();
        for (w, s) in words.iter().zip(&syms) {
            assert_eq!(t.intern(w), *s);
            assert_eq!(t.find(w), Some(*s));
            assert_eq!(t.get(*s), w);
        }
        assert_eq!(t.len(), 1000);
        assert_eq!(t.intern(""), Sym::EMPTY);
        assert_eq!(t.find("absent"), None);
    }

    #[test]
    fn finds_every_string_across_many_growths() {
        // Enough strings for the table to grow past 2^18 slots, so the tags (the hash bits above
        // the id) shrink to a few bits and unequal strings with equal tags are met while probing.
        let mut t = Interner::default();
        let syms: Vec<Sym> = (0..300_000).map(|i| t.intern(&format!("{i:x}"))).collect();
        for (i, s) in syms.iter().enumerate() {
            assert_eq!(t.find(&format!("{i:x}")), Some(*s));
            assert_eq!(t.get(*s), format!("{i:x}"));
        }
        assert_eq!(t.len(), 300_000);
        assert_eq!(t.find("not-hex"), None);
    }

    #[test]
    fn hash_depends_on_every_byte() {
        assert_ne!(hash_str("abcdefgh1"), hash_str("abcdefgh2"));
        assert_ne!(hash_str("a"), hash_str("a\0"));
        // Every length up to 70 (the short forms and the long one with its overlapping tail):
        // changing any one byte changes the hash, and the word comparison agrees with `==`.
        for n in 0..70usize {
            let base: Vec<u8> = (0..n as u8).map(|i| b'a' + i % 26).collect();
            for i in 0..n {
                let mut other = base.clone();
                other[i] ^= 1;
                assert_ne!(
                    hash_bytes(&base),
                    hash_bytes(&other),
                    "length {n}, byte {i}"
                );
                assert!(!same_bytes(&base, &other), "length {n}, byte {i}");
                assert!(same_bytes(&other, &other.clone()));
            }
            assert!(same_bytes(&base, &base.clone()));
            assert!(!same_bytes(&base, &base[..n.saturating_sub(1)]) || n == 0);
        }
    }
}
