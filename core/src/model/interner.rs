//! String interning: each distinct string is stored once and events hold a 4-byte [`Sym`].

use std::collections::HashMap;

/// An interned string. `Sym(0)` is the empty string, so "absent" costs nothing to test.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Sym(pub u32);

impl Sym {
    pub const EMPTY: Sym = Sym(0);
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// Append-only string table. Strings live in one buffer; the map points into it by offset so
/// there is no per-string allocation.
#[derive(Debug)]
pub struct Interner {
    buf: String,
    spans: Vec<(u32, u32)>,
    /// Hash → most recent id with that hash; `next` chains earlier ids with the same hash.
    map: HashMap<u64, u32>,
    next: Vec<u32>,
}

impl Default for Interner {
    fn default() -> Self {
        Interner {
            buf: String::new(),
            spans: vec![(0, 0)],
            map: HashMap::new(),
            next: vec![0],
        }
    }
}

// FNV-1a: fast for short keys and deterministic across native and wasm.
fn hash(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.as_bytes() {
        h ^= *b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

impl Interner {
    pub fn intern(&mut self, s: &str) -> Sym {
        if s.is_empty() {
            return Sym::EMPTY;
        }
        let h = hash(s);
        let head = self.map.get(&h).copied().unwrap_or(0);
        if let Some(found) = self.chain_find(head, s) {
            return found;
        }
        let start = self.buf.len() as u32;
        self.buf.push_str(s);
        let id = self.spans.len() as u32;
        self.spans.push((start, s.len() as u32));
        self.next.push(head);
        self.map.insert(h, id);
        Sym(id)
    }

    /// Looks a string up without adding it.
    pub fn find(&self, s: &str) -> Option<Sym> {
        if s.is_empty() {
            return Some(Sym::EMPTY);
        }
        self.chain_find(*self.map.get(&hash(s))?, s)
    }

    fn chain_find(&self, mut id: u32, s: &str) -> Option<Sym> {
        while id != 0 {
            if self.get(Sym(id)) == s {
                return Some(Sym(id));
            }
            id = self.next[id as usize];
        }
        None
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

    /// Bytes held, for the memory accounting in benchmarks.
    pub fn heap_bytes(&self) -> usize {
        self.buf.capacity()
            + self.spans.capacity() * 8
            + self.next.capacity() * 4
            + self.map.capacity() * (8 + 4 + 1)
    }
}
