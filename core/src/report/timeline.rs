//! The timeline: correlated requests over time, counted per bucket and per status class. The
//! page draws it as stacked bars above the requests table; brushing a range of it sets the
//! table's `from`/`to` filter ([`super::table::TableQuery`]).
//!
//! A request's time and status are the table's (its earliest observation's time, the status of
//! the observation that best represents it), so the bars of a brushed range add up to the rows
//! the table shows for it.

use serde::{Deserialize, Serialize};

use super::table::RequestIndex;
use crate::model::Timestamp;

/// At most this many buckets over the data's time span.
pub const MAX_BUCKETS: usize = 120;

/// Status classes, in the order of [`Timeline::buckets`]' counts.
pub const CLASSES: [&str; 5] = ["2xx", "3xx", "4xx", "5xx", "no response"];

/// Bucket widths in seconds, from the narrowest. Past the last one the width doubles until the
/// span fits (only damaged or very long logs get there).
const NICE_SECONDS: [u64; 13] = [
    1,
    5,
    10,
    30,
    60,
    5 * 60,
    15 * 60,
    3600,
    6 * 3600,
    86_400,
    7 * 86_400,
    30 * 86_400,
    365 * 86_400,
];

const MICROS: i64 = 1_000_000;

/// Requests per time bucket and status class.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Timeline {
    /// Start of the first bucket, in seconds since the epoch (UTC), a multiple of the width.
    pub start: i64,
    /// Bucket width in seconds (one of 1, 5, 10, 30 s, 1, 5, 15 min, 1, 6 h, 1, 7, 30, 365 days).
    pub bucket_seconds: u64,
    /// Per bucket, requests answered 2xx, 3xx, 4xx, 5xx, and with no response (no status, or a
    /// status that is not a final answer: 1xx, or above 599). Bucket `i` covers
    /// `[start + i·width, start + (i+1)·width)`.
    pub buckets: Vec<[u32; 5]>,
    /// The earliest and the latest request time (ISO 8601 UTC).
    pub first: String,
    pub last: String,
    /// Requests that have no time (they are in the table, not in the bars).
    pub without_time: u64,
}

/// Index into a bucket's counts for an HTTP status (0: no response).
pub fn class_index(status: u16) -> usize {
    match status {
        200..=299 => 0,
        300..=399 => 1,
        400..=499 => 2,
        500..=599 => 3,
        _ => 4,
    }
}

/// The narrowest nice width (seconds) that covers `first..=last` (µs) in at most
/// [`MAX_BUCKETS`] aligned buckets.
pub fn bucket_width(first: i64, last: i64) -> u64 {
    let fits = |w: u64| bucket_count(first, last, w) <= MAX_BUCKETS as u64;
    if let Some(w) = NICE_SECONDS.iter().copied().find(|&w| fits(w)) {
        return w;
    }
    let mut w = NICE_SECONDS[NICE_SECONDS.len() - 1];
    while !fits(w) {
        w *= 2;
    }
    w
}

fn bucket_start(t: i64, width: u64) -> i64 {
    let w = width as i64 * MICROS;
    t.div_euclid(w) * w
}

fn bucket_count(first: i64, last: i64, width: u64) -> u64 {
    let w = width as i128 * MICROS as i128;
    ((last as i128 - bucket_start(first, width) as i128) / w + 1) as u64
}

impl Timeline {
    /// The timeline of every request in the index; `None` when no request has a time.
    pub fn build(index: &RequestIndex) -> Option<Timeline> {
        Timeline::from_requests(index.outcomes())
    }

    /// The timeline of `(time in µs since the epoch, status)` pairs; `None` when none has a
    /// time.
    pub fn from_requests(
        requests: impl Iterator<Item = (Option<i64>, u16)> + Clone,
    ) -> Option<Timeline> {
        let mut range: Option<(i64, i64)> = None;
        let mut without_time = 0u64;
        for (t, _) in requests.clone() {
            match t {
                Some(t) => {
                    range = Some(range.map_or((t, t), |(a, b)| (a.min(t), b.max(t))));
                }
                None => without_time += 1,
            }
        }
        let (first, last) = range?;
        let width = bucket_width(first, last);
        let start = bucket_start(first, width);
        let w = width as i128 * MICROS as i128;
        let mut buckets = vec![[0u32; 5]; bucket_count(first, last, width) as usize];
        for (t, status) in requests {
            if let Some(t) = t {
                let i = ((t as i128 - start as i128) / w) as usize;
                let slot = &mut buckets[i][class_index(status)];
                *slot = slot.saturating_add(1);
            }
        }
        Some(Timeline {
            start: start.div_euclid(MICROS),
            bucket_seconds: width,
            buckets,
            first: Timestamp(first).to_string(),
            last: Timestamp(last).to_string(),
            without_time,
        })
    }

    /// Start of bucket `i` in µs since the epoch.
    pub fn bucket_start_micros(&self, i: usize) -> i64 {
        (self.start as i128 * MICROS as i128
            + i as i128 * self.bucket_seconds as i128 * MICROS as i128)
            .clamp(i64::MIN as i128, i64::MAX as i128) as i64
    }

    /// The inclusive table filter (`from`, `to`, ISO 8601) that selects buckets `a..=b`: from
    /// the start of `a` to the last microsecond of `b`.
    pub fn range_of_buckets(&self, a: usize, b: usize) -> (String, String) {
        let (a, b) = (a.min(b), a.max(b));
        (
            Timestamp(self.bucket_start_micros(a)).to_string(),
            Timestamp(self.bucket_start_micros(b + 1) - 1).to_string(),
        )
    }

    /// Requests with a time.
    pub fn timed(&self) -> u64 {
        self.buckets
            .iter()
            .map(|b| b.iter().map(|&n| n as u64).sum::<u64>())
            .sum()
    }
}

#[cfg(test)]
#[path = "timeline_tests.rs"]
mod tests;
