//! What the fuzz targets share: driving a whole ingest the way the CLI and the page do, and
//! cutting one fuzz input into several text fields.

use storage_doctor_core::correlate::Correlation;
use storage_doctor_core::report::table::{RequestIndex, TableQuery};
use storage_doctor_core::report::{to_markdown, to_text};
use storage_doctor_core::{Ingest, Report};

/// Two cut points (`a <= b <= data.len()`) taken from the input itself, so the fuzzer explores
/// chunk boundaries along with the content: a record split between two `feed` calls must parse as
/// if it had arrived whole, and the code that carries the partial record is where slicing bugs
/// hide. The bytes used are read, not consumed, so a seed file is fed exactly as it is on disk.
pub fn cuts(data: &[u8]) -> (usize, usize) {
    let n = data.len();
    if n == 0 {
        return (0, 0);
    }
    let x = data[n - 1] as usize;
    let y = data[n / 2] as usize;
    let a = n * x / 255;
    let b = a + (n - a) * y / 255;
    (a.min(n), b.min(n))
}

/// Ingests `data` as one input (its format forced when `format` is given, detected otherwise),
/// fed in two or three slices, then builds the report (correlation and every rule), renders it in
/// each output form and queries the request table as the page does.
pub fn ingest(format: Option<&str>, data: &[u8]) {
    let (a, b) = cuts(data);
    let mut ing = Ingest::new();
    ing.begin("fuzz-input.log", format)
        .expect("every fuzz target names a registered format id");
    ing.feed(&data[..a]);
    ing.feed(&data[a..b]);
    ing.feed(&data[b..]);
    let ds = ing.finish();
    let c = Correlation::build(&ds);
    let report = Report::from_correlation(&ds, &c);
    let _ = report.to_json();
    let _ = to_text(&report);
    let _ = to_markdown(&report);

    let index = RequestIndex::build(&ds, &c);
    let rows = index.query(&ds, &TableQuery::default());
    let _ = index.facets(&ds);
    let _ = index.failure_summary(&ds, &c);
    for &r in rows.iter().take(4) {
        let _ = index.row(&ds, &c, r);
        let _ = index.detail(&ds, &c, r);
    }
    let _ = index.to_csv(&ds, &c, &rows);
}

/// Splits `data` at NUL bytes into exactly `n` text fields (missing ones empty, the last one
/// takes the rest), for targets whose API takes several strings. Invalid UTF-8 is replaced, as the
/// callers of these APIs only ever hold `&str`.
pub fn fields(data: &[u8], n: usize) -> Vec<String> {
    let mut out: Vec<String> = data
        .splitn(n, |&b| b == 0)
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect();
    out.resize(n, String::new());
    out
}
