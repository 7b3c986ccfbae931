//! Joining observations: the events of one request (client log, HAR, server log) grouped together.
//!
//! A *request* is one logical operation as the client issued it; an *attempt* is one HTTP exchange
//! of it. The guide's mechanics (SCENARIOS.md §0.1) decide the joins:
//!
//! 1. The service's request id (`x-ms-request-id`) is unique per attempt: events that share it are
//!    the same attempt, seen by several sources.
//! 2. The client request id is shared by every attempt of one operation (retries keep it), so it
//!    joins attempts into a request. A request with several attempts of the same operation on the
//!    same resource is a retry chain.
//! 3. Observations with neither id (a browser that could not read the response headers, a log that
//!    does not print them) are matched to a server row of the same operation and resource that is
//!    nearest in time, after correcting the source's clock by the skew estimated from the pairs
//!    that the ids did join.
//!
//! Clocks: every client or network input gets a skew estimate against the server log from the
//! id-joined pairs (client time minus server time), or, without a server log, from its own
//! request `x-ms-date` against the response `Date`.

use std::collections::HashMap;

pub use crate::model::Sources;
use crate::model::{Dataset, EventView, Field, SourceKind, Sym, Timestamp};

/// The strongest statement the correlation can make about why a request's events belong together.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum JoinedBy {
    /// A single observation.
    #[default]
    Alone,
    /// Every observation carries the same service request id.
    RequestId,
    /// Attempts joined by their shared client request id.
    ClientRequestId,
    /// At least one observation was placed here by time, operation and resource only.
    Time,
}

/// One request as seen by every source that observed it.
#[derive(Clone, Debug, Default)]
pub struct Request {
    /// Indices into `Dataset::events`, attempt by attempt: attempts in time order, and the
    /// observations of one attempt in time order. Also knows where each attempt starts.
    pub events: Members,
    pub sources: Sources,
    pub joined_by: JoinedBy,
}

/// The event indices of one request, read as a slice, and where its attempts start: a single
/// attempt of up to three observations inline, anything else on the heap. A large server log
/// has about as many requests as rows, nearly all seen once: a vector each cost an allocation
/// and a free per row, and every byte of a request is written for each of them (24 bytes a
/// request with this layout, 56 with a vector of attempt starts beside the members).
#[derive(Clone)]
pub struct Members(MembersRepr);

#[derive(Clone)]
enum MembersRepr {
    Inline { len: u8, items: [u32; 3] },
    Heap(Box<Spilled>),
}

#[derive(Clone, Default)]
struct Spilled {
    events: Vec<u32>,
    /// Where each attempt after the first starts in `events`.
    attempt_starts: Vec<u32>,
}

impl Members {
    pub fn push(&mut self, i: u32) {
        match &mut self.0 {
            MembersRepr::Inline { len, items } if (*len as usize) < items.len() => {
                items[*len as usize] = i;
                *len += 1;
            }
            MembersRepr::Inline { .. } => {
                self.spill().events.push(i);
            }
            MembersRepr::Heap(h) => h.events.push(i),
        }
    }

    /// The next pushed event starts a new attempt.
    fn start_attempt(&mut self) {
        let h = self.spill();
        let at = h.events.len() as u32;
        h.attempt_starts.push(at);
    }

    /// Moves inline members to the heap (once), and returns the heap part.
    fn spill(&mut self) -> &mut Spilled {
        if let MembersRepr::Inline { len, items } = &self.0 {
            let mut events = Vec::with_capacity(2 * items.len());
            events.extend_from_slice(&items[..*len as usize]);
            self.0 = MembersRepr::Heap(Box::new(Spilled {
                events,
                attempt_starts: Vec::new(),
            }));
        }
        match &mut self.0 {
            MembersRepr::Heap(h) => h,
            MembersRepr::Inline { .. } => unreachable!("spilled just above"),
        }
    }

    /// Where each attempt after the first starts.
    fn attempt_starts(&self) -> &[u32] {
        match &self.0 {
            MembersRepr::Inline { .. } => &[],
            MembersRepr::Heap(h) => &h.attempt_starts,
        }
    }

    fn one(i: u32) -> Members {
        Members(MembersRepr::Inline {
            len: 1,
            items: [i, 0, 0],
        })
    }
}

impl Default for Members {
    fn default() -> Members {
        Members(MembersRepr::Inline {
            len: 0,
            items: [0; 3],
        })
    }
}

impl std::ops::Deref for Members {
    type Target = [u32];
    fn deref(&self) -> &[u32] {
        match &self.0 {
            MembersRepr::Inline { len, items } => &items[..*len as usize],
            MembersRepr::Heap(h) => &h.events,
        }
    }
}

impl<'a> IntoIterator for &'a Members {
    type Item = &'a u32;
    type IntoIter = std::slice::Iter<'a, u32>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl std::fmt::Debug for Members {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Request {
    /// Number of attempts (HTTP exchanges) of this request.
    pub fn attempt_count(&self) -> usize {
        if self.events.is_empty() {
            0
        } else {
            self.events.attempt_starts().len() + 1
        }
    }

    /// The observations of attempt `k` (0-based), as event indices.
    pub fn attempt(&self, k: usize) -> &[u32] {
        let starts = self.events.attempt_starts();
        let start = if k == 0 {
            0
        } else {
            starts.get(k - 1).map_or(self.events.len(), |s| *s as usize)
        };
        let end = starts.get(k).map_or(self.events.len(), |s| *s as usize);
        self.events.get(start..end).unwrap_or(&[])
    }

    /// Every attempt's observations, in time order.
    pub fn attempts(&self) -> impl Iterator<Item = &[u32]> {
        (0..self.attempt_count()).map(move |k| self.attempt(k))
    }

    /// The observation that speaks for an attempt: the service's own row when there is one (its
    /// status is authoritative), else the first observation that saw a response, else the first.
    pub fn primary(ds: &Dataset, attempt: &[u32]) -> u32 {
        // Most attempts of a large log have one observation: no row to read.
        if let [i] = attempt {
            return *i;
        }
        let ev = |i: &&u32| &ds.events[**i as usize];
        attempt
            .iter()
            .find(|i| ev(i).source == SourceKind::Server)
            .or_else(|| attempt.iter().find(|i| ev(i).status != 0))
            .or_else(|| attempt.first())
            .copied()
            .unwrap_or(0)
    }

    /// Retry chains inside this request: groups of attempts (indices for [`Request::attempt`])
    /// of the same operation on the same resource, in time order, each with at least two attempts.
    /// Different operations under one client request id (the existence check and the create of
    /// `CreateIfNotExists`, the parts of a batch) are not retries of each other.
    pub fn retry_chains(&self, ds: &Dataset) -> Vec<Vec<usize>> {
        if self.attempt_count() < 2 {
            return Vec::new();
        }
        let mut chains: Vec<(u32, Sym, Vec<usize>)> = Vec::new();
        for k in 0..self.attempt_count() {
            let p = ds.view(Request::primary(ds, self.attempt(k)) as usize);
            let key = operation_key(&p);
            let res = p.ev.resource;
            match chains.iter_mut().find(|(o, r, _)| *o == key && *r == res) {
                Some((_, _, v)) => v.push(k),
                None => chains.push((key, res, vec![k])),
            }
        }
        chains
            .into_iter()
            .filter(|(_, _, v)| v.len() > 1)
            .map(|(_, _, v)| v)
            .collect()
    }
}

/// What the skew estimate of an input rests on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SkewBasis {
    /// Observations joined to server-log rows by request id or client request id.
    MatchedRequests,
    /// The input's own request `x-ms-date` against the response `Date` header.
    HttpDates,
}

/// How far one input's clock is from the service's.
#[derive(Clone, Debug, PartialEq)]
pub struct ClockSkewEstimate {
    pub input: u16,
    /// Seconds the input's clock is ahead of the service's (negative: behind). Includes the
    /// one-way network delay, which is small against the skews that matter.
    pub seconds: f64,
    /// How many pairs the median was taken over.
    pub pairs: u32,
    pub basis: SkewBasis,
}

/// All requests of a dataset.
#[derive(Clone, Debug, Default)]
pub struct Correlation {
    pub requests: Vec<Request>,
    /// For each event, the request it belongs to.
    pub request_of: Vec<u32>,
    /// One estimate per client or network input that could be compared with the service's clock.
    pub skew: Vec<ClockSkewEstimate>,
    skew_by_input: Vec<Option<f64>>,
}

/// Sorts keys with two passes of a radix sort on their leading 8 and next 8 bits, then a
/// comparison sort of each of the 65,536 small ranges. A comparison sort of the whole array, or
/// one pass into 4,096 buckets (each write to another memory page), took several times as long
/// on a million ids. The result is the order of a full sort, as the ranges follow the leading
/// bits.
fn sort_by_leading_bits(v: &mut [u64], tmp: &mut Vec<u64>) {
    if v.len() < 1 << 14 {
        v.sort_unstable();
        return;
    }
    tmp.clear();
    tmp.resize(v.len(), 0);
    let top = scatter(v, tmp, 56);
    for w in top.windows(2) {
        let (src, dst) = (&tmp[w[0]..w[1]], &mut v[w[0]..w[1]]);
        let sub = scatter(src, dst, 48);
        for s in sub.windows(2) {
            dst[s[0]..s[1]].sort_unstable();
        }
    }
}

/// A stable counting sort of `src` into `dst` on the byte at `shift` of the keys;
/// returns where each of the 256 ranges starts, and the end.
fn scatter(src: &[u64], dst: &mut [u64], shift: u32) -> Vec<usize> {
    let digit = |e: &u64| (e >> shift) as u8 as usize;
    let mut starts = vec![0usize; 257];
    for e in src {
        starts[digit(e) + 1] += 1;
    }
    for k in 0..256 {
        starts[k + 1] += starts[k];
    }
    let mut fill = starts.clone();
    for e in src {
        let d = digit(e);
        dst[fill[d]] = *e;
        fill[d] += 1;
    }
    starts
}

/// How an (id fingerprint, event index) pair is packed into one `u64` for sorting: the index in
/// the low bits (as few as the event count needs), the fingerprint's leading bits above it. Half
/// the size of a (u64, u32) pair, which halves the fresh memory and the bytes each radix pass
/// moves; the fingerprint keeps at least 32 bits, and equal fingerprints are compared in full
/// anyway.
#[derive(Clone, Copy)]
struct Packing {
    index_bits: u32,
}

impl Packing {
    fn for_events(n: usize) -> Packing {
        // Event indexes are u32 (the dataset refuses more).
        let largest = n.saturating_sub(1) as u64;
        Packing {
            index_bits: (64 - largest.leading_zeros()).clamp(1, 32),
        }
    }

    fn pack(self, fingerprint: u64, index: usize) -> u64 {
        (fingerprint & (!0u64 << self.index_bits)) | index as u64
    }

    fn fingerprint(self, key: u64) -> u64 {
        key >> self.index_bits
    }

    fn index(self, key: u64) -> u32 {
        (key & !(!0u64 << self.index_bits)) as u32
    }
}

/// A join key for an id: GUIDs compare case-insensitively, anything else exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum IdKey {
    Guid(u128),
    Text(u32),
}

/// Which events carry the same id: for each event, the lowest index of an event with the same
/// id, or [`IdClasses::NONE`]. Built by sorting (id, index) pairs rather than with a hash table:
/// on a million-row log the two tables (one per kind of id) took about 190 MB and a cache miss
/// per row; the sorted arrays take about a quarter of that memory and an eighth of the time.
struct IdClasses(Vec<u32>);

impl IdClasses {
    const NONE: u32 = u32::MAX;

    /// The classes of the service request ids and of the client request ids, from one walk
    /// over the events.
    fn build_both(ds: &Dataset) -> (IdClasses, IdClasses) {
        let packing = Packing::for_events(ds.events.len());
        let mut rids: Vec<u64> = Vec::with_capacity(ds.events.len());
        let mut crids: Vec<u64> = Vec::with_capacity(ds.events.len());
        for v in ds.iter() {
            if let Some(k) = rid_of(&v) {
                rids.push(packing.pack(Self::fingerprint(k), v.index));
            }
            if let Some(k) = crid_of(&v) {
                crids.push(packing.pack(Self::fingerprint(k), v.index));
            }
        }
        // One scratch buffer for both sorts: fresh memory costs page faults, here as much as
        // the sorting.
        let mut tmp = Vec::new();
        (
            Self::from_keyed(ds, packing, rids, rid_of, &mut tmp),
            Self::from_keyed(ds, packing, crids, crid_of, &mut tmp),
        )
    }

    /// A 64-bit fingerprint per id keeps the sorted elements at 16 bytes (an id is 16 bytes by
    /// itself); ids whose fingerprints agree are compared in full, so a collision costs time,
    /// never a wrong join.
    fn fingerprint(k: IdKey) -> u64 {
        match k {
            IdKey::Guid(g) => crate::model::mix((g >> 64) as u64 ^ crate::model::mix(g as u64)),
            IdKey::Text(sym) => crate::model::mix(sym as u64 ^ 0x5bd1_e995_0000_0000),
        }
    }

    fn from_keyed(
        ds: &Dataset,
        packing: Packing,
        mut keyed: Vec<u64>,
        key_of: fn(&EventView<'_>) -> Option<IdKey>,
        tmp: &mut Vec<u64>,
    ) -> IdClasses {
        // The index is the key's low bits, so the sort puts each run's lowest index first.
        sort_by_leading_bits(&mut keyed, tmp);
        let mut class = vec![Self::NONE; ds.events.len()];
        let mut start = 0;
        while start < keyed.len() {
            let fp = packing.fingerprint(keyed[start]);
            let end = start
                + keyed[start..]
                    .iter()
                    .position(|&e| packing.fingerprint(e) != fp)
                    .unwrap_or(keyed.len() - start);
            if end - start == 1 {
                let i = packing.index(keyed[start]);
                class[i as usize] = i;
            } else {
                // One id seen several times (or, rarely, two ids with one fingerprint): order the
                // run by the full id, then index, and point each event at its id's first.
                let mut run: Vec<(IdKey, u32)> = keyed[start..end]
                    .iter()
                    .map(|&e| packing.index(e))
                    .filter_map(|i| Some((key_of(&ds.view(i as usize))?, i)))
                    .collect();
                run.sort_unstable();
                let mut first: Option<(IdKey, u32)> = None;
                for (k, i) in run {
                    let f = match first {
                        Some((fk, fi)) if fk == k => fi,
                        _ => {
                            first = Some((k, i));
                            i
                        }
                    };
                    class[i as usize] = f;
                }
            }
            start = end;
        }
        IdClasses(class)
    }

    /// The first event with event `i`'s id, if it has one.
    fn get(&self, i: u32) -> Option<u32> {
        match self.0.get(i as usize) {
            Some(&c) if c != Self::NONE => Some(c),
            _ => None,
        }
    }
}

fn id_key(ds: &Dataset, key: Option<(bool, [u64; 2])>) -> Option<IdKey> {
    let (sym, bits) = key?;
    if !sym {
        return Some(IdKey::Guid(((bits[0] as u128) << 64) | bits[1] as u128));
    }
    if bits[1] == crate::model::SYM_ID_NOT_GUID {
        return Some(IdKey::Text(bits[0] as u32));
    }
    let s = ds.str(Sym(bits[0] as u32));
    Some(
        match crate::model::guid::parse(s, crate::model::guid::Case::Any) {
            Some(g) => IdKey::Guid(g),
            None => IdKey::Text(bits[0] as u32),
        },
    )
}

fn rid_of(v: &EventView<'_>) -> Option<IdKey> {
    id_key(v.ds, v.request_key())
}

fn crid_of(v: &EventView<'_>) -> Option<IdKey> {
    id_key(v.ds, v.client_request_key())
}

/// The operation as a comparable key: its name, or the HTTP method when a source could not name it.
fn operation_key(v: &EventView<'_>) -> u32 {
    if !v.ev.operation.is_empty() {
        v.ev.operation.0
    } else {
        u32::MAX - v.ev.method as u32
    }
}

/// Whether two observations can be the same HTTP exchange: same resource and same operation
/// where both sources name them.
pub fn compatible(a: &EventView<'_>, b: &EventView<'_>) -> bool {
    let (ra, rb) = (a.resource(), b.resource());
    if !ra.is_empty()
        && !rb.is_empty()
        && !ra
            .trim_end_matches('/')
            .eq_ignore_ascii_case(rb.trim_end_matches('/'))
    {
        return false;
    }
    let (oa, ob) = (a.operation(), b.operation());
    if !oa.is_empty() && !ob.is_empty() {
        return oa == ob;
    }
    use crate::model::Method::Unknown;
    a.ev.method == Unknown || b.ev.method == Unknown || a.ev.method == b.ev.method
}

/// Union-find with the smallest index as root, so roots are deterministic.
struct Dsu(Vec<u32>);

impl Dsu {
    fn new(n: usize) -> Dsu {
        Dsu((0..n as u32).collect())
    }
    fn find(&mut self, mut x: u32) -> u32 {
        while self.0[x as usize] != x {
            let p = self.0[x as usize];
            self.0[x as usize] = self.0[p as usize];
            x = p;
        }
        x
    }
    fn union(&mut self, a: u32, b: u32) -> u32 {
        let (ra, rb) = (self.find(a), self.find(b));
        let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
        self.0[hi as usize] = lo;
        lo
    }
}

/// Groups larger than this (a client request id reused for thousands of unrelated calls) skip the
/// pairwise steps, which are quadratic in the group size.
const MAX_PAIRWISE: usize = 256;
/// How far apart (after clock correction) an observation without ids may be from the server row
/// it is matched to, when the input's skew is known / unknown.
const WINDOW_KNOWN_SKEW: f64 = 5.0;
const WINDOW_UNKNOWN_SKEW: f64 = 60.0;
/// Inside one client request id the ids already say "same operation"; time only picks the attempt.
const WINDOW_SAME_REQUEST: f64 = 120.0;

fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    })
}

fn is_observer(k: SourceKind) -> bool {
    matches!(k, SourceKind::Client | SourceKind::Network)
}

/// The events of each set of `dsu`, each set in time order, the sets ordered by root: one flat
/// array and its offsets rather than a vector per set (a large server log has as many sets as
/// rows, and allocating each one cost more than the sort).
struct Groups {
    members: Vec<u32>,
    /// Start of each set in `members`, plus its end.
    starts: Vec<u32>,
}

impl Groups {
    fn len(&self) -> usize {
        self.starts.len() - 1
    }

    fn iter(&self) -> impl Iterator<Item = &[u32]> {
        self.starts
            .windows(2)
            .map(|w| &self.members[w[0] as usize..w[1] as usize])
    }
}

fn groups(ds: &Dataset, dsu: &mut Dsu) -> Groups {
    let n = ds.events.len();
    // A counting sort on the root: nearly every set of a large server log is one row, so a
    // comparison sort of all rows (tens of millions of comparisons) mostly compared singletons.
    // Sets come out ordered by root, members by index; each set of two or more is then put in
    // time order on its own.
    let roots: Vec<u32> = (0..n as u32).map(|i| dsu.find(i)).collect();
    let mut starts = vec![0u32; n + 1];
    for &r in &roots {
        starts[r as usize + 1] += 1;
    }
    for k in 0..n {
        starts[k + 1] += starts[k];
    }
    let mut fill = starts.clone();
    let mut members = vec![0u32; n];
    for (i, &r) in roots.iter().enumerate() {
        members[fill[r as usize] as usize] = i as u32;
        fill[r as usize] += 1;
    }
    drop(fill);
    // Only roots start a set: drop the empty ranges of the other indices.
    starts.dedup();
    for w in starts.windows(2) {
        let set = &mut members[w[0] as usize..w[1] as usize];
        if set.len() > 1 {
            set.sort_unstable_by_key(|&i| (ds.events[i as usize].time, i));
        }
    }
    Groups { members, starts }
}

impl Correlation {
    pub fn build(ds: &Dataset) -> Correlation {
        let n = ds.events.len();
        let mut rq = Dsu::new(n);
        let mut at = Dsu::new(n);

        // 1. Ids: events that share a service request id are one attempt; events that share a
        //    client request id are one request.
        let (rids, crids) = IdClasses::build_both(ds);
        for i in 0..n as u32 {
            if let Some(first) = rids.get(i).filter(|&f| f != i) {
                rq.union(first, i);
                at.union(first, i);
            }
            if let Some(first) = crids.get(i).filter(|&f| f != i) {
                rq.union(first, i);
            }
        }

        // 2. Clock skew of each observing input against the server log.
        // Only observers (client logs, captures) have a clock to compare: a dataset of server
        // logs alone skips the grouping this needs, and the walks of step 3.
        let has_observers = ds.sources().iter().any(is_observer);
        let skew = if has_observers {
            estimate_skew(ds, &groups(ds, &mut rq), &rids)
        } else {
            Vec::new()
        };
        let mut skew_by_input = vec![None; ds.inputs.len()];
        for s in &skew {
            if let Some(slot) = skew_by_input.get_mut(s.input as usize) {
                *slot = Some(s.seconds);
            }
        }
        let corrected = |i: u32| -> Option<Timestamp> {
            let e = &ds.events[i as usize];
            let t = e.time()?;
            if is_observer(e.source) {
                let s = skew_by_input.get(e.input as usize).copied().flatten();
                Some(t.add_seconds(-s.unwrap_or(0.0)))
            } else {
                Some(t)
            }
        };

        // 3. Observations with no id that joined nothing: nearest compatible server row in time.
        let mut time_joined = vec![false; n];
        // Observers without a service request id whose request no server row joined.
        let observers: Vec<u32> = if has_observers {
            (0..n as u32)
                .filter(|&i| {
                    let e = &ds.events[i as usize];
                    is_observer(e.source) && rids.get(i).is_none() && e.time().is_some()
                })
                .collect()
        } else {
            Vec::new()
        };
        let mut group_has_server = vec![false; if observers.is_empty() { 0 } else { n }];
        if !observers.is_empty() {
            for i in 0..n as u32 {
                if ds.events[i as usize].source == SourceKind::Server {
                    group_has_server[rq.find(i) as usize] = true;
                }
            }
        }
        let candidates: Vec<u32> = observers
            .into_iter()
            .filter(|&i| !group_has_server[rq.find(i) as usize])
            .collect();
        let has_server = ds.sources().contains(SourceKind::Server);
        if has_server && !candidates.is_empty() {
            let mut servers: Vec<(Timestamp, u32)> = (0..n as u32)
                .filter(|&i| ds.events[i as usize].source == SourceKind::Server)
                .filter_map(|i| Some((ds.events[i as usize].time()?, i)))
                .collect();
            servers.sort();
            // Which observing inputs each request already has (a server row can be matched by
            // at most one observation per input). Server inputs never ask, so they are left out.
            let mut inputs_of: HashMap<u32, Vec<u16>> = HashMap::new();
            for i in 0..n as u32 {
                let e = &ds.events[i as usize];
                if !is_observer(e.source) {
                    continue;
                }
                let v = inputs_of.entry(rq.find(i)).or_default();
                if !v.contains(&e.input) {
                    v.push(e.input);
                }
            }
            for i in candidates {
                let e = &ds.events[i as usize];
                let r = rq.find(i);
                if group_has_server[r as usize] {
                    continue; // joined by an earlier match in this loop
                }
                let Some(tc) = corrected(i) else { continue };
                let known = skew_by_input
                    .get(e.input as usize)
                    .copied()
                    .flatten()
                    .is_some();
                let w = if known {
                    WINDOW_KNOWN_SKEW
                } else {
                    WINDOW_UNKNOWN_SKEW
                };
                let lo = servers.partition_point(|(t, _)| *t < tc.add_seconds(-w));
                let me = ds.view(i as usize);
                let mut best: Option<(f64, u32)> = None;
                for &(ts, s) in servers[lo..].iter() {
                    let d = ts.seconds_since(tc);
                    if d > w {
                        break;
                    }
                    // Two different client request ids are two different requests.
                    if crids.get(i).is_some() && crids.get(s).is_some() {
                        continue;
                    }
                    let rs = rq.find(s);
                    if inputs_of.get(&rs).is_some_and(|v| v.contains(&e.input)) {
                        continue;
                    }
                    if !compatible(&me, &ds.view(s as usize)) {
                        continue;
                    }
                    if best.is_none_or(|(bd, _)| d.abs() < bd) {
                        best = Some((d.abs(), s));
                    }
                }
                if let Some((_, s)) = best {
                    let rs = rq.find(s);
                    let mut merged = inputs_of.remove(&rs).unwrap_or_default();
                    for x in inputs_of.remove(&r).unwrap_or_default() {
                        if !merged.contains(&x) {
                            merged.push(x);
                        }
                    }
                    let root = rq.union(r, rs);
                    inputs_of.insert(root, merged);
                    group_has_server[root as usize] = true;
                    at.union(i, s);
                    time_joined[i as usize] = true;
                    time_joined[s as usize] = true;
                }
            }
        }

        // 4. Inside each request, observations without a service request id join the nearest
        //    compatible attempt that this input has not already observed.
        let request_groups = groups(ds, &mut rq);
        for g in request_groups.iter() {
            if g.len() < 2 || g.len() > MAX_PAIRWISE {
                continue;
            }
            for &i in g {
                let e = &ds.events[i as usize];
                if rids.get(i).is_some() || !is_observer(e.source) {
                    continue;
                }
                if g.iter().any(|&j| j != i && at.find(j) == at.find(i)) {
                    continue; // already joined to an attempt by time
                }
                let Some(tc) = corrected(i) else { continue };
                let me = ds.view(i as usize);
                let mut best: Option<(f64, u32)> = None;
                for &j in g {
                    if j == i || !compatible(&me, &ds.view(j as usize)) {
                        continue;
                    }
                    let aj = at.find(j);
                    let seen_by_me = g
                        .iter()
                        .any(|&k| at.find(k) == aj && ds.events[k as usize].input == e.input);
                    if seen_by_me {
                        continue;
                    }
                    let Some(tj) = corrected(j) else { continue };
                    let d = tj.seconds_since(tc).abs();
                    if d <= WINDOW_SAME_REQUEST && best.is_none_or(|(bd, _)| d < bd) {
                        best = Some((d, j));
                    }
                }
                if let Some((_, j)) = best {
                    at.union(i, j);
                }
            }
        }

        // 5. Requests, attempts in time order.
        let mut requests: Vec<Request> = Vec::with_capacity(request_groups.len());
        let mut request_of = vec![0u32; n];
        // Requests in dataset order (time order once the dataset is finished): the groups come
        // ordered by root, and a root is its set's lowest index (`Dsu::union` keeps the lower).
        #[cfg(debug_assertions)]
        let mut previous_first = None;
        for g in request_groups.iter() {
            #[cfg(debug_assertions)]
            {
                let first = g.iter().copied().min();
                assert!(first > previous_first, "request groups out of order");
                previous_first = first;
            }
            let r = requests.len() as u32;
            if let [i] = g[..] {
                // Most rows of a large server log are requests seen once.
                let mut req = Request {
                    events: Members::one(i),
                    ..Default::default()
                };
                req.sources.insert(ds.events[i as usize].source);
                request_of[i as usize] = r;
                requests.push(req);
                continue;
            }
            let mut rows: Vec<(Option<Timestamp>, u32, Option<Timestamp>, u32)> = g
                .iter()
                .map(|&i| (None, at.find(i), corrected(i), i))
                .collect();
            // An attempt's time is its earliest observation (the service row's, when present).
            let mut attempt_time: Vec<(u32, Option<Timestamp>)> = Vec::new();
            for &(_, a, t, _) in &rows {
                match attempt_time.iter_mut().find(|(x, _)| *x == a) {
                    Some((_, slot)) => {
                        if t.is_some() && (slot.is_none() || t < *slot) {
                            *slot = t;
                        }
                    }
                    None => attempt_time.push((a, t)),
                }
            }
            for row in &mut rows {
                row.0 = attempt_time
                    .iter()
                    .find(|(x, _)| *x == row.1)
                    .and_then(|(_, t)| *t);
            }
            rows.sort();
            let mut req = Request::default();
            let mut last_attempt = None;
            for &(_, a, _, i) in &rows {
                if last_attempt.is_some() && last_attempt != Some(a) {
                    req.events.start_attempt();
                }
                last_attempt = Some(a);
                req.events.push(i);
                req.sources.insert(ds.events[i as usize].source);
                request_of[i as usize] = r;
            }
            req.joined_by = if g.len() == 1 {
                JoinedBy::Alone
            } else if g.iter().any(|&i| time_joined[i as usize]) {
                JoinedBy::Time
            } else {
                let first = rids.get(g[0]);
                if first.is_some() && g.iter().all(|&i| rids.get(i) == first) {
                    JoinedBy::RequestId
                } else {
                    JoinedBy::ClientRequestId
                }
            };
            requests.push(req);
        }
        Correlation {
            requests,
            request_of,
            skew,
            skew_by_input,
        }
    }

    /// The request an event belongs to.
    pub fn request_for(&self, event: usize) -> Option<&Request> {
        self.requests.get(*self.request_of.get(event)? as usize)
    }

    /// The estimated skew of an input's clock (seconds ahead of the service), when known.
    pub fn skew_of(&self, input: u16) -> Option<f64> {
        self.skew_by_input.get(input as usize).copied().flatten()
    }

    /// An event's time on the service's clock: client and network times corrected by their
    /// input's estimated skew; server times as they are.
    pub fn corrected_time(&self, ds: &Dataset, event: usize) -> Option<Timestamp> {
        let e = ds.events.get(event)?;
        let t = e.time()?;
        if is_observer(e.source) {
            Some(t.add_seconds(-self.skew_of(e.input).unwrap_or(0.0)))
        } else {
            Some(t)
        }
    }
}

/// Skew per observing input: the median of (observer time − server time) over id-joined pairs
/// (pairs joined by the service request id preferred over those joined by client request id
/// only), else the median of (request `x-ms-date` − response `Date`).
fn estimate_skew(ds: &Dataset, groups: &Groups, rids: &IdClasses) -> Vec<ClockSkewEstimate> {
    #[derive(Default)]
    struct Pairs {
        by_rid: Vec<f64>,
        by_crid: Vec<f64>,
        by_dates: Vec<f64>,
    }
    let mut per_input: Vec<Pairs> = (0..ds.inputs.len()).map(|_| Pairs::default()).collect();
    for g in groups.iter() {
        let observed = g.iter().any(|&i| is_observer(ds.events[i as usize].source));
        if !observed {
            continue;
        }
        let servers: Vec<u32> = g
            .iter()
            .copied()
            .filter(|&i| {
                let e = &ds.events[i as usize];
                e.source == SourceKind::Server && e.time().is_some()
            })
            .collect();
        if servers.is_empty() {
            continue;
        }
        for &i in g {
            let e = &ds.events[i as usize];
            if !is_observer(e.source) {
                continue;
            }
            let Some(t) = e.time() else { continue };
            let Some(p) = per_input.get_mut(e.input as usize) else {
                continue;
            };
            if let Some(k) = rids.get(i) {
                if let Some(&s) = servers.iter().find(|&&s| rids.get(s) == Some(k)) {
                    if let Some(ts) = ds.events[s as usize].time() {
                        p.by_rid.push(t.seconds_since(ts));
                    }
                    continue;
                }
            }
            if g.len() > MAX_PAIRWISE {
                continue;
            }
            let me = ds.view(i as usize);
            let nearest = servers
                .iter()
                .filter(|&&s| compatible(&me, &ds.view(s as usize)))
                .filter_map(|&s| ds.events[s as usize].time())
                .map(|ts| t.seconds_since(ts))
                .min_by(|a, b| a.abs().total_cmp(&b.abs()));
            if let Some(d) = nearest {
                p.by_crid.push(d);
            }
        }
    }
    for v in ds.iter() {
        if !is_observer(v.ev.source) {
            continue;
        }
        let req = v.extra(Field::RequestDate).and_then(Timestamp::parse);
        let resp = v.extra(Field::ResponseDate).and_then(Timestamp::parse);
        if let (Some(a), Some(b), Some(p)) = (req, resp, per_input.get_mut(v.ev.input as usize)) {
            // The service dates its answer when the request is done: a 60 s upload is answered
            // 60 s after it was signed. The client's own duration of the exchange takes that
            // time back out, or every long transfer would read as a clock running behind.
            let took = if v.ev.e2e_ms.is_finite() && v.ev.e2e_ms > 0.0 {
                v.ev.e2e_ms as f64 / 1000.0
            } else {
                0.0
            };
            p.by_dates.push(a.seconds_since(b) + took);
        }
    }
    let mut out = Vec::new();
    for (input, mut p) in per_input.into_iter().enumerate() {
        let (set, basis) = if !p.by_rid.is_empty() {
            (&mut p.by_rid, SkewBasis::MatchedRequests)
        } else if !p.by_crid.is_empty() {
            (&mut p.by_crid, SkewBasis::MatchedRequests)
        } else {
            (&mut p.by_dates, SkewBasis::HttpDates)
        };
        let pairs = set.len() as u32;
        if let Some(m) = median(set) {
            out.push(ClockSkewEstimate {
                input: input as u16,
                // HTTP dates have whole seconds: a finer estimate from them would be noise.
                seconds: if basis == SkewBasis::HttpDates {
                    // `+ 0.0` turns a rounded -0.0 into 0.0.
                    m.round() + 0.0
                } else {
                    m
                },
                pairs,
                basis,
            });
        }
    }
    out
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
