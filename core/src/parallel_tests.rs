use std::path::{Path, PathBuf};

use super::*;
use crate::report::Report;
use crate::testing::dump;

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rel)
}

/// A scratch copy of `bytes` (removed when dropped).
struct Temp(PathBuf);

impl Temp {
    fn new(tag: &str, bytes: &[u8]) -> Temp {
        let p = std::env::temp_dir().join(format!(
            "storage-doctor-parallel-{}-{tag}.log",
            std::process::id()
        ));
        std::fs::write(&p, bytes).unwrap();
        Temp(p)
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The dump and the JSON report of a serial read of `path`.
fn serial(path: &Path) -> (String, String) {
    let bytes = std::fs::read(path).unwrap();
    let mut ing = Ingest::new();
    ing.begin("input.log", None).unwrap();
    for c in bytes.chunks(SLICE_BYTES) {
        ing.feed(c);
    }
    let ds = ing.finish();
    (dump(&ds), Report::build(&ds).to_json())
}

fn through_ingest_file(path: &Path, threads: usize) -> (String, String) {
    let mut ing = Ingest::new();
    ingest_file_from(&mut ing, "input.log", path, None, threads, 0).unwrap();
    let ds = ing.finish();
    (dump(&ds), Report::build(&ds).to_json())
}

/// True when the file was split (not read again serially).
fn splits(path: &Path, threads: usize) -> bool {
    let size = std::fs::metadata(path).unwrap().len();
    read_in_ranges("input.log", path, None, threads, size)
        .unwrap()
        .is_some()
}

#[test]
fn ranges_give_the_serial_dataset_and_report() {
    let files = [
        "scenarios/ops-benign-client-other-errors.storage-analytics.log",
        "scenarios/ops-name-being-deleted.storage-analytics.log",
        "scenarios/ops-retry-after-unacknowledged-success.storage-analytics.log",
        "samples/storage-analytics-mixed_docs-2022-per-service-examples.log",
        "samples/storage-analytics-v2_docs-oauth-examples.log",
    ];
    for rel in files {
        let path = fixture(rel);
        let want = serial(&path);
        for threads in [2, 3, 5, 16] {
            assert!(splits(&path, threads), "{rel} was not split");
            assert_eq!(
                through_ingest_file(&path, threads),
                want,
                "{rel}, {threads} threads"
            );
        }
    }
}

#[test]
fn json_lines_split() {
    // The archive layout without the fixture's deliberate damage, five times over.
    let text = std::fs::read_to_string(fixture("resource-log-json/PT1H.json")).unwrap();
    let clean: String = text
        .lines()
        .filter(|l| {
            serde_json::from_str::<serde_json::Value>(l).is_ok_and(|v| v.get("time").is_some())
        })
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(clean.lines().count() >= 15);
    let t = Temp::new("jsonl", clean.repeat(5).as_bytes());
    let want = serial(&t.0);
    for threads in [2, 3, 8] {
        assert!(splits(&t.0, threads));
        assert_eq!(
            through_ingest_file(&t.0, threads),
            want,
            "{threads} threads"
        );
    }
}

#[test]
fn a_newer_version_notice_or_a_duplicate_means_a_serial_read() {
    // This hour holds a version-3.0 line (a notice given once per file) and a duplicate.
    let path = fixture("storage-analytics/contoso-hour.log");
    for threads in [2, 4, 9] {
        assert!(!splits(&path, threads));
        assert_eq!(through_ingest_file(&path, threads), serial(&path));
    }
}

#[test]
fn a_duplicate_across_ranges_is_read_serially() {
    // The same hour of `$logs` twice: every record of the second copy is a duplicate that the
    // serial read skips, and some of them fall in another range than their first copy.
    let one = std::fs::read(fixture(
        "scenarios/ops-benign-client-other-errors.storage-analytics.log",
    ))
    .unwrap();
    let twice = [one.as_slice(), one.as_slice()].concat();
    let t = Temp::new("dup", &twice);
    assert!(!splits(&t.0, 2));
    assert_eq!(through_ingest_file(&t.0, 2), serial(&t.0));
}

#[test]
fn multi_line_json_is_read_serially() {
    let path = fixture("resource-log-json/concatenated-pretty.json");
    assert!(!splits(&path, 3));
    assert_eq!(through_ingest_file(&path, 3), serial(&path));
    let cut = fixture("resource-log-json/eventhubs-envelope-cut.json");
    assert_eq!(through_ingest_file(&cut, 4), serial(&cut));
}

#[test]
fn bom_crlf_blank_lines_and_a_last_line_without_newline() {
    let text = std::fs::read_to_string(fixture(
        "scenarios/ops-benign-client-other-errors.storage-analytics.log",
    ))
    .unwrap();
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    for (i, l) in text.lines().enumerate() {
        bytes.extend_from_slice(l.as_bytes());
        bytes.extend_from_slice(if i % 3 == 0 { b"\r\n\r\n" } else { b"\r\n" });
    }
    bytes.extend_from_slice(b"not a record at all");
    let t = Temp::new("bom", &bytes);
    assert!(splits(&t.0, 4));
    let (d, json) = through_ingest_file(&t.0, 4);
    assert_eq!((d.clone(), json), serial(&t.0));
    assert!(d.contains("skipped"), "{d}");
}

#[test]
fn other_formats_and_small_files_are_read_serially() {
    let trace = fixture("scenarios/sas-expired.dotnet-legacy-trace.log");
    assert!(!splits(&trace, 4));
    assert_eq!(through_ingest_file(&trace, 4), serial(&trace));
    // Below the size limit nothing is split, whatever the format.
    let mut ing = Ingest::new();
    let log = fixture("storage-analytics/contoso-hour.log");
    ingest_file(&mut ing, "input.log", &log, None, 4).unwrap();
    assert_eq!(dump(&ing.finish()), serial(&log).0);
}

#[test]
fn a_forced_format_and_a_second_input_keep_their_place() {
    let log = fixture("storage-analytics/contoso-hour.log");
    let trace = fixture("scenarios/sas-expired.dotnet-legacy-trace.log");
    let run = |threads: usize| {
        let mut ing = Ingest::new();
        ingest_file_from(&mut ing, "trace.log", &trace, None, threads, 0).unwrap();
        ingest_file_from(
            &mut ing,
            "hour.log",
            &log,
            Some("storage-analytics"),
            threads,
            0,
        )
        .unwrap();
        let ds = ing.finish();
        (dump(&ds), Report::build(&ds).to_json())
    };
    let (d, json) = run(3);
    assert!(d.contains("format set by the user"), "{d}");
    assert_eq!((d, json), run(1));
}

#[test]
fn a_later_range_that_skips_lines_is_numbered_as_a_serial_read_numbers_it() {
    // Clean records first, then, in the last range only, a damaged line (its skipped line is
    // renumbered with the range's events) and, in the second file, a record repeated right
    // after itself (skipped as a duplicate whose reason cites the first copy's line: that range
    // is read again at its place).
    let text = std::fs::read_to_string(fixture(
        "scenarios/ops-benign-client-other-errors.storage-analytics.log",
    ))
    .unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() >= 6);
    let (head, tail) = lines.split_at(lines.len() - 2);
    for (tag, repeat) in [("damaged", false), ("duplicate", true)] {
        let mut bytes = Vec::new();
        for l in head {
            bytes.extend_from_slice(l.as_bytes());
            bytes.push(b'\n');
        }
        bytes.extend_from_slice(b"2.0;not a timestamp;GetBlob\n");
        let last: &[&str] = if repeat {
            &[tail[0], tail[0], tail[1]]
        } else {
            &[tail[0], tail[1]]
        };
        for l in last {
            bytes.extend_from_slice(l.as_bytes());
            bytes.push(b'\n');
        }
        let t = Temp::new(tag, &bytes);
        assert!(splits(&t.0, 2), "{tag}");
        let (d, json) = through_ingest_file(&t.0, 2);
        assert!(d.contains(&format!("skipped {}:", head.len() + 1)), "{d}");
        assert_eq!(d.contains("duplicate record"), repeat, "{d}");
        assert_eq!((d, json), serial(&t.0), "{tag}");
    }
}
