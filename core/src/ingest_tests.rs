use std::io::Write;

use super::*;
use crate::input::archive::tests::make_zip;

const TRACE: &[u8] = include_bytes!("../fixtures/scenarios/sas-expired.dotnet-legacy-trace.log");

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[test]
fn gzip_input_is_read_like_plain_text() {
    let packed = gz(TRACE);
    for slice in [1, 3, 4096, packed.len()] {
        let ds = crate::testing::ingest_in_slices("trace.log.gz", &packed, None, slice);
        assert_eq!(ds.inputs[0].format, "dotnet-legacy-trace", "slice {slice}");
        assert_eq!(ds.events.len(), 4);
        assert_eq!(ds.inputs[0].bytes, packed.len() as u64);
    }
    let report = Report::build(&crate::testing::ingest_in_slices(
        "t.gz", &packed, None, 100,
    ));
    assert!(report.findings.iter().any(|f| f.rule == "sas-expired"));
}

#[test]
fn zip_entries_become_inputs() {
    let zip = make_zip(&[
        ("logs/trace.log", TRACE, true),
        ("logs/notes.txt", b"hello\n", false),
        ("logs/t2.log.gz", &gz(TRACE), false),
    ]);
    let ds = crate::testing::ingest_in_slices("logs.zip", &zip, None, 777);
    let names: Vec<&str> = ds.inputs.iter().map(|i| i.path.as_str()).collect();
    assert_eq!(
        names,
        [
            "logs.zip",
            "logs.zip/logs/trace.log",
            "logs.zip/logs/notes.txt",
            "logs.zip/logs/t2.log.gz"
        ]
    );
    assert_eq!(ds.inputs[0].format, "zip");
    assert_eq!(ds.inputs[1].format, "dotnet-legacy-trace");
    assert_eq!(ds.inputs[2].format, "unknown");
    assert_eq!(ds.inputs[3].format, "dotnet-legacy-trace");
    assert_eq!(ds.events.len(), 8);
}

#[test]
fn damaged_archives_are_reported_not_fatal() {
    let mut zip = make_zip(&[("a.log", TRACE, true)]);
    zip.truncate(zip.len() - 10);
    let ds = crate::testing::ingest_in_slices("bad.zip", &zip, None, 1000);
    assert!(
        ds.inputs[0]
            .notices
            .iter()
            .any(|n| n.contains("Could not read this zip")),
        "{:?}",
        ds.inputs[0].notices
    );
    let mut g = gz(TRACE);
    g.truncate(g.len() / 2);
    let ds = crate::testing::ingest_in_slices("bad.gz", &g, None, 1000);
    assert!(
        ds.inputs[0].notices.iter().any(|n| n.starts_with("gzip:")),
        "{:?}",
        ds.inputs[0].notices
    );
}

#[test]
fn tiny_inputs_are_plain_text() {
    for bytes in [&b""[..], b"a", b"ab\n", b"\x1f"] {
        let ds = crate::testing::ingest_in_slices("tiny", bytes, None, 1);
        assert_eq!(ds.inputs.len(), 1);
        assert_eq!(ds.inputs[0].bytes, bytes.len() as u64);
    }
}

#[test]
fn forcing_an_unknown_format_id_is_an_error() {
    let mut ing = Ingest::new();
    assert!(ing.begin("x", Some("no-such-format")).is_err());
}
