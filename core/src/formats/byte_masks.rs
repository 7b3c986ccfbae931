//! Where three chosen bytes occur in a line, as bit masks (one bit per byte, 64 bytes per word).
//!
//! A delimited format's splitter then finds each field's end with a few bit operations instead
//! of looking at every byte: on `$logs` lines (≈600 bytes, ≈50 `;`) the classic byte-by-byte or
//! word-at-a-time scans spent about a quarter of the whole ingest there. On x86-64 the masks are
//! built thirty-two bytes at a time with AVX2 when the CPU has it (checked at run time: the build
//! targets every x86-64), else sixteen at a time with SSE2 (always present there); elsewhere (the
//! page's WebAssembly, other CPUs) eight bytes at a time with integer arithmetic.

/// The masks of one line: `words[k][c]` has bit `j` set when byte `64 * k + j` equals the
/// `c`-th byte asked for. Bits past the end of the line are clear.
#[derive(Default)]
pub(crate) struct ByteMasks {
    words: Vec<[u64; 3]>,
}

impl ByteMasks {
    /// Classifies `line` against `bytes` (reusing this value's memory).
    pub(crate) fn fill(&mut self, line: &[u8], bytes: [u8; 3]) {
        self.words.clear();
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, just checked (the answer is cached by `std`).
            unsafe { self.fill_avx2(line, bytes) };
            return;
        }
        self.fill_with(line, bytes, classify);
    }

    /// [`ByteMasks::fill`] with `classify` for each 64-byte block (inlined into each caller, so
    /// that the AVX2 one is compiled with AVX2 throughout).
    #[inline(always)]
    fn fill_with(
        &mut self,
        line: &[u8],
        bytes: [u8; 3],
        classify: impl Fn(&[u8; 64], [u8; 3]) -> [u64; 3],
    ) {
        let mut blocks = line.chunks_exact(64);
        for block in blocks.by_ref() {
            let block: &[u8; 64] = block.try_into().expect("chunks_exact gives 64 bytes");
            self.words.push(classify(block, bytes));
        }
        let rest = blocks.remainder();
        if !rest.is_empty() {
            // Zero padding, whose bits are cleared for a class that asks for the byte 0.
            let mut block = [0u8; 64];
            block[..rest.len()].copy_from_slice(rest);
            let mut w = classify(&block, bytes);
            for (c, want) in w.iter_mut().zip(bytes) {
                if want == 0 {
                    *c &= (1u64 << rest.len()) - 1;
                }
            }
            self.words.push(w);
        }
    }

    /// # Safety
    /// The CPU must have AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn fill_avx2(&mut self, line: &[u8], bytes: [u8; 3]) {
        // SAFETY: this function runs only where AVX2 is present (its own contract).
        self.fill_with(line, bytes, |block, bytes| unsafe {
            classify_avx2(block, bytes)
        });
    }

    /// The first position `>= from` whose byte is class `c`, if any.
    #[inline]
    pub(crate) fn next(&self, c: usize, from: usize) -> Option<usize> {
        let mut k = from / 64;
        let first = self.words.get(k)?[c] & (!0u64 << (from % 64));
        if first != 0 {
            return Some(k * 64 + first.trailing_zeros() as usize);
        }
        loop {
            k += 1;
            let w = self.words.get(k)?[c];
            if w != 0 {
                return Some(k * 64 + w.trailing_zeros() as usize);
            }
        }
    }

    /// The first position `>= from` whose byte is class `c` and whose previous byte is class
    /// `p` (for example a `;` right after a `"`), if any.
    #[inline]
    pub(crate) fn next_after(&self, c: usize, p: usize, from: usize) -> Option<usize> {
        let mut k = from / 64;
        let mut mask = !0u64 << (from % 64);
        loop {
            let w = self.words.get(k)?;
            // The previous byte of bit 0 is the last byte of the word before.
            let carry = k.checked_sub(1).map_or(0, |j| self.words[j][p] >> 63);
            let hits = w[c] & ((w[p] << 1) | carry) & mask;
            if hits != 0 {
                return Some(k * 64 + hits.trailing_zeros() as usize);
            }
            mask = !0;
            k += 1;
        }
    }

    /// The masks, one `[u64; 3]` per 64 bytes of the line (for splitters that combine classes
    /// word by word).
    #[inline]
    pub(crate) fn words(&self) -> &[[u64; 3]] {
        &self.words
    }

    /// The positions in `from..to` whose byte is class `c`, in order.
    #[inline]
    pub(crate) fn positions(
        &self,
        c: usize,
        from: usize,
        to: usize,
    ) -> impl Iterator<Item = usize> + '_ {
        let first = (from / 64).min(self.words.len());
        let end = to.div_ceil(64).min(self.words.len()).max(first);
        self.words[first..end]
            .iter()
            .enumerate()
            .flat_map(move |(j, w)| {
                let k = first + j;
                let mut bits = w[c];
                if k == from / 64 {
                    bits &= !0u64 << (from % 64);
                }
                if to < (k + 1) * 64 {
                    // `to` is inside this word (not at its start: then the word is not read).
                    bits &= (1u64 << (to % 64)) - 1;
                }
                std::iter::from_fn(move || {
                    let t = bits.trailing_zeros();
                    bits &= bits.wrapping_sub(1);
                    (t < 64).then_some(k * 64 + t as usize)
                })
            })
    }

    /// Whether any byte in `from..to` is class `c`.
    #[inline]
    pub(crate) fn any_in(&self, c: usize, from: usize, to: usize) -> bool {
        if from >= to {
            return false;
        }
        if from / 64 == (to - 1) / 64 {
            // Within one word (the usual short field): one mask test.
            let Some(w) = self.words.get(from / 64) else {
                return false;
            };
            let upto = !0u64 >> (63 - (to - 1) % 64);
            return w[c] & (!0u64 << (from % 64)) & upto != 0;
        }
        self.next(c, from).is_some_and(|i| i < to)
    }
}

/// Bit `j` of the result is the parity of the set bits at positions `0..=j` of `x`: with `x`
/// the quote bits of a word, the bits inside quotes (opening quote included, closing excluded).
#[inline]
pub(crate) fn prefix_xor(mut x: u64) -> u64 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x
}

#[cfg(target_arch = "x86_64")]
fn classify(block: &[u8; 64], bytes: [u8; 3]) -> [u64; 3] {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
    };
    // SAFETY: SSE2 is part of every x86-64 CPU (the intrinsics are only `unsafe` because of
    // their `#[target_feature]`), and each load reads the 16 bytes at `16 * k`, inside the
    // 64-byte block; an unaligned load needs no alignment.
    unsafe {
        let want = bytes.map(|b| _mm_set1_epi8(b as i8));
        let mut out = [0u64; 3];
        for k in 0..4 {
            let v = _mm_loadu_si128(block.as_ptr().add(16 * k).cast::<__m128i>());
            for (o, w) in out.iter_mut().zip(want) {
                *o |= u64::from(_mm_movemask_epi8(_mm_cmpeq_epi8(v, w)) as u16) << (16 * k);
            }
        }
        out
    }
}

/// [`classify`] thirty-two bytes at a time.
///
/// # Safety
/// The CPU must have AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn classify_avx2(block: &[u8; 64], bytes: [u8; 3]) -> [u64; 3] {
    use std::arch::x86_64::{
        __m256i, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_movemask_epi8, _mm256_set1_epi8,
    };
    // SAFETY: AVX2 is present (this function's contract), and each load reads the 32 bytes at
    // `32 * k`, inside the 64-byte block; an unaligned load needs no alignment.
    unsafe {
        let lo = _mm256_loadu_si256(block.as_ptr().cast::<__m256i>());
        let hi = _mm256_loadu_si256(block.as_ptr().add(32).cast::<__m256i>());
        bytes.map(|b| {
            let w = _mm256_set1_epi8(b as i8);
            let l = _mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, w)) as u32;
            let h = _mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, w)) as u32;
            u64::from(l) | (u64::from(h) << 32)
        })
    }
}

#[cfg(not(target_arch = "x86_64"))]
use classify_words as classify;

/// [`classify`] with plain integer arithmetic, eight bytes at a time.
#[cfg(any(test, not(target_arch = "x86_64")))]
fn classify_words(block: &[u8; 64], bytes: [u8; 3]) -> [u64; 3] {
    const LO7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const ONES: u64 = 0x0101_0101_0101_0101;
    let mut out = [0u64; 3];
    for (k, word) in block.chunks_exact(8).enumerate() {
        let x = u64::from_le_bytes(word.try_into().expect("chunks_exact gives 8 bytes"));
        for (o, b) in out.iter_mut().zip(bytes) {
            let y = x ^ (ONES * u64::from(b));
            // High bit set exactly in the bytes where `y` is zero (no carry crosses a byte).
            let high = !(((y & LO7) + LO7) | y | LO7);
            // Gather the eight high bits into the low byte, byte 0 first.
            let bits = ((high >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56) as u8;
            *o |= u64::from(bits) << (8 * k);
        }
    }
    out
}

#[cfg(test)]
#[path = "byte_masks_tests.rs"]
mod tests;
