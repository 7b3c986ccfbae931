//! Test helpers shared by the tests of the server-side and metrics formats (`storage-analytics`,
//! `resource-log-json`, `log-analytics-export`, `metrics-export`).

use crate::formats::{self, MIN_CONFIDENCE};
use crate::testing::ingest_in_slices;
use crate::Report;

/// Detection ranks `id` first for `bytes` with enough confidence, the ingest picks it, and the
/// legacy .NET trace format does not claim the file.
pub fn assert_detected_as(id: &str, name: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let ranked = formats::rank(&text);
    let shown: Vec<(&str, f32)> = ranked.iter().map(|(f, c)| (f.id(), *c)).collect();
    assert_eq!(ranked[0].0.id(), id, "{name}: ranking {shown:?}");
    assert!(ranked[0].1 >= MIN_CONFIDENCE, "{name}: ranking {shown:?}");
    let legacy = ranked
        .iter()
        .find(|(f, _)| f.id() == "dotnet-legacy-trace")
        .map_or(0.0, |(_, c)| *c);
    assert!(
        legacy < MIN_CONFIDENCE,
        "{name}: dotnet-legacy-trace claims it ({legacy})"
    );
    let ds = ingest_in_slices(name, bytes, None, bytes.len().max(1));
    assert_eq!(ds.inputs[0].format, id, "{name}");
}

/// Confidence that format `id` gives to `bytes`.
pub fn confidence(id: &str, bytes: &[u8]) -> f32 {
    formats::by_id(id)
        .expect("registered format")
        .detect(&String::from_utf8_lossy(bytes))
}

fn ingest_and_report(name: &str, bytes: &[u8], format: Option<&str>) {
    let ds = ingest_in_slices(name, bytes, format, 977);
    let _ = Report::build(&ds);
}

/// Feeds damaged copies of `bytes` (cut at many points, started mid-file, bytes replaced by
/// structural characters or invalid UTF-8) to the parser of `id` and to detection: nothing may
/// panic, and every copy must finish.
pub fn assert_survives_damage(id: &str, bytes: &[u8]) {
    let n = bytes.len();
    if n == 0 {
        return;
    }
    let step = (n / 80).max(1);
    let mut at = 0;
    while at < n {
        ingest_and_report("cut", &bytes[..at], None);
        ingest_and_report("cut", &bytes[..at], Some(id));
        ingest_and_report("tail", &bytes[at..], Some(id));
        at += step;
    }
    const SUBSTITUTES: [u8; 8] = [b'"', b';', b',', b'{', b'}', b'\n', b'\\', 0xFF];
    let mut copy = bytes.to_vec();
    let mut at = step / 2;
    while at < n {
        let orig = copy[at];
        for s in SUBSTITUTES {
            copy[at] = s;
            ingest_and_report("flipped", &copy, Some(id));
        }
        copy[at] = orig;
        at += step;
    }
}

/// On-CPU time of this thread in seconds (Linux), so that throughput measurements are not
/// skewed by other processes sharing the machine; wall time elsewhere.
pub fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .map(|ns| ns as f64 / 1e9)
        .unwrap_or_else(|| {
            use std::sync::OnceLock;
            static START: OnceLock<std::time::Instant> = OnceLock::new();
            START
                .get_or_init(std::time::Instant::now)
                .elapsed()
                .as_secs_f64()
        })
}

/// The server-side and metrics formats must not claim any other sample: every file in
/// `fixtures/samples` that is not theirs gets a score below the detection threshold from each.
#[test]
fn server_formats_do_not_claim_other_samples() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/samples");
    let mine = ["storage-analytics", "resourcelog-", "log-analytics-export"];
    let ids = [
        "storage-analytics",
        "resource-log-json",
        "log-analytics-export",
        "metrics-export",
    ];
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).expect("samples folder") {
        let path = entry.expect("entry").path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if mine.iter().any(|m| name.starts_with(m))
            || name.ends_with("MAP.md")
            || name == "SOURCES.md"
        {
            continue;
        }
        let bytes = std::fs::read(&path).expect("readable sample");
        for id in ids {
            let c = confidence(id, &bytes);
            assert!(c < MIN_CONFIDENCE, "{id} claims {name} ({c})");
        }
        checked += 1;
    }
    assert!(checked > 30, "only {checked} samples checked");
}
