//! A global allocator for the native binaries (CLI, benchmarks) that asks Linux to back large
//! blocks with 2 MiB pages.
//!
//! Why: an ingest fills a few large tables (the events, the string table, the duplicate-record
//! table of `$logs`) — about 160 MB for a 500 MB `$logs` file. With 4 KiB pages every page is a
//! fault the kernel serves on first touch (about 40 000 for that file, 80–120 ms of system
//! time, a tenth of the ingest), and the tables read at random places (duplicate records,
//! strings) miss the TLB. Marked for transparent huge pages (`madvise(MADV_HUGEPAGE)`), a block
//! faults once per 2 MiB. This is what glibc's `glibc.malloc.hugetlb=1` tunable does, which can
//! only be set from the environment before the program starts.
//!
//! What it does not change: the cost of memory no one has touched yet. In a VM whose host backs
//! guest memory lazily (this project's benchmark machine), a process's first ingest pays for
//! every fresh page either way, and a 2 MiB page is 512 of them at once: there, repeated
//! ingests gain (system time 80–120 → 25–55 ms on the 500 MB `$logs` file) and a first one
//! costs about the same CPU (more system time, less user time; `docs/PERFORMANCE.md`, item 15).
//!
//! The advice is a hint: where the kernel has transparent huge pages off, or no free 2 MiB page
//! at hand, it keeps using small pages and nothing else changes. Only blocks of
//! [`LARGE_BLOCK`] bytes or more are advised (the allocator serves those from their own
//! mappings), and only their whole 2 MiB-aligned stretches, so no memory outside a block is
//! touched. The page (WebAssembly) has no such thing and does not use this.

use std::alloc::{GlobalAlloc, Layout, System};

/// Blocks at least this large are advised (at least one whole aligned 2 MiB stretch fits).
pub const LARGE_BLOCK: usize = 4 << 20;

const HUGE_PAGE: usize = 2 << 20;

/// The system allocator, with large blocks advised for 2 MiB pages (see the module's notes).
/// Install with `#[global_allocator] static ALLOC: LargePages = LargePages;`.
pub struct LargePages;

/// The 2 MiB-aligned stretch inside `start..start + len`, as (start, length), if there is one.
pub fn aligned_stretch(start: usize, len: usize) -> Option<(usize, usize)> {
    let first = start.checked_add(HUGE_PAGE - 1)? & !(HUGE_PAGE - 1);
    let end = start.checked_add(len)? & !(HUGE_PAGE - 1);
    (end > first).then(|| (first, end - first))
}

fn advise(p: *mut u8, len: usize) {
    if p.is_null() || len < LARGE_BLOCK {
        return;
    }
    if let Some((start, len)) = aligned_stretch(p as usize, len) {
        // SAFETY: the stretch lies inside the block just allocated (`aligned_stretch` rounds
        // inwards); `madvise` with MADV_HUGEPAGE changes no contents and no access rights, and
        // a failure (a kernel without transparent huge pages) leaves the pages as they were,
        // so its result is not needed.
        unsafe {
            libc::madvise(start as *mut libc::c_void, len, libc::MADV_HUGEPAGE);
        }
    }
}

// SAFETY: every call is passed to `System` unchanged; the advice only applies to the memory of
// the block `System` returned.
unsafe impl GlobalAlloc for LargePages {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract is `System`'s.
        let p = unsafe { System.alloc(layout) };
        advise(p, layout.size());
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`. A large zeroed block is fresh mapped memory not touched yet,
        // so the advice applies before its first page is.
        let p = unsafe { System.alloc_zeroed(layout) };
        advise(p, layout.size());
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as for `alloc`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as for `alloc`. A growing table is moved to a larger mapping (or grown in
        // place): the advice covers the new size either way.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        advise(p, new_size);
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_advised_stretch_is_whole_huge_pages_inside_the_block() {
        const M2: usize = HUGE_PAGE;
        assert_eq!(aligned_stretch(M2, 2 * M2), Some((M2, 2 * M2)));
        assert_eq!(aligned_stretch(M2 + 16, 2 * M2), Some((2 * M2, M2)));
        assert_eq!(aligned_stretch(M2 + 16, 2 * M2 - 32), None);
        assert_eq!(aligned_stretch(16, M2), None);
        assert_eq!(aligned_stretch(usize::MAX - 10, M2), None);
        for start in [0, 1, 4095, M2 - 1, M2, 3 * M2 + 77] {
            for len in [0, 1, M2 - 1, M2, M2 + 1, 5 * M2 + 3] {
                if let Some((a, n)) = aligned_stretch(start, len) {
                    assert!(a >= start && a + n <= start + len, "{start} {len}");
                    assert_eq!(a % M2, 0);
                    assert_eq!(n % M2, 0);
                    assert!(n > 0);
                }
            }
        }
    }

    /// Whether the kernel marks the mapping that holds `p` as able to take huge pages (the
    /// `THPeligible` line of `/proc/self/smaps`), or `None` when it does not say.
    fn eligible(p: usize) -> Option<bool> {
        let smaps = std::fs::read_to_string("/proc/self/smaps").ok()?;
        let mut inside = false;
        for line in smaps.lines() {
            let range = line
                .split_whitespace()
                .next()
                .and_then(|r| r.split_once('-'));
            if let Some((a, b)) = range {
                if let (Ok(a), Ok(b)) = (usize::from_str_radix(a, 16), usize::from_str_radix(b, 16))
                {
                    inside = a <= p && p < b;
                    continue;
                }
            }
            if inside {
                if let Some(v) = line.strip_prefix("THPeligible:") {
                    return Some(v.trim() == "1");
                }
            }
        }
        None
    }

    #[test]
    fn large_blocks_are_advised_where_the_kernel_takes_the_advice() {
        // Only where transparent huge pages are on request ("madvise"): with "always" every
        // mapping is eligible anyway, with "never" none is.
        let mode = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled");
        if !mode.is_ok_and(|m| m.contains("[madvise]")) {
            eprintln!("transparent huge pages are not in madvise mode here: nothing to check");
            return;
        }
        let a = LargePages;
        let big = Layout::from_size_align(LARGE_BLOCK * 2, 64).expect("layout");
        let small = Layout::from_size_align(64 << 10, 64).expect("layout");
        // SAFETY: non-zero sizes; each block is freed with the layout it has.
        unsafe {
            let p = a.alloc(big);
            let (start, _) = aligned_stretch(p as usize, big.size()).expect("a whole 2 MiB page");
            assert_eq!(eligible(start), Some(true), "a large block");
            let q = a.realloc(p, big, LARGE_BLOCK * 4);
            let (start, _) = aligned_stretch(q as usize, LARGE_BLOCK * 4).expect("pages");
            assert_eq!(eligible(start), Some(true), "a large block after growing");
            a.dealloc(
                q,
                Layout::from_size_align(LARGE_BLOCK * 4, 64).expect("layout"),
            );
            // A small block is left to the allocator's own heap, not advised.
            let s = a.alloc(small);
            assert_ne!(eligible(s as usize), Some(true), "a small block");
            a.dealloc(s, small);
        }
    }

    #[test]
    fn large_blocks_allocate_grow_and_keep_their_contents() {
        let a = LargePages;
        let layout = Layout::from_size_align(LARGE_BLOCK * 2, 64).expect("layout");
        // SAFETY: a non-zero size; the block is written within its size, then freed with
        // the layout it was allocated (or reallocated) with.
        unsafe {
            let p = a.alloc_zeroed(layout);
            assert!(!p.is_null());
            assert!(std::slice::from_raw_parts(p, layout.size())
                .iter()
                .all(|&b| b == 0));
            p.write_bytes(7, layout.size());
            let q = a.realloc(p, layout, LARGE_BLOCK * 3);
            assert!(!q.is_null());
            assert!(std::slice::from_raw_parts(q, layout.size())
                .iter()
                .all(|&b| b == 7));
            a.dealloc(
                q,
                Layout::from_size_align(LARGE_BLOCK * 3, 64).expect("layout"),
            );
        }
    }
}
