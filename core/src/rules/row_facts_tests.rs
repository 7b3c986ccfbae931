//! The compact row facts and the walks that filter on them: the filters must never change what a
//! rule finds, only how many rows it reads.
use super::*;
use crate::model::{EventSink, Field, SourceKind};

/// Every log of the scenario fixtures, each alone and all together (several sources at once).
fn datasets() -> Vec<(String, Dataset)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/scenarios");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        // Inputs are named `scenario.format.ext`; the scenarios themselves `scenario.json`.
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .matches('.')
                .count()
                >= 2
        })
        .collect();
    files.sort();
    assert!(files.len() > 50, "fixtures: {}", files.len());
    let mut out = Vec::new();
    let mut all = crate::Ingest::new();
    for p in &files {
        let name = p.display().to_string();
        let bytes = std::fs::read(p).unwrap();
        let mut one = crate::Ingest::new();
        if one.begin(&name, None).is_err() || all.begin(&name, None).is_err() {
            continue;
        }
        one.feed(&bytes);
        all.feed(&bytes);
        out.push((name, one.finish()));
    }
    out.push(("all fixtures together".into(), all.finish()));
    // Rows no fixture has: server rows whose request-status class alone says a SAS was not
    // authorized (no error code, no detail, not a 403)…
    let mut ds = Dataset::new();
    let input = ds.add_input("blob.log", "test", 1.0);
    for status in [404, 200, 0] {
        ds.sink(input).event(crate::model::RawEvent {
            source: SourceKind::Server,
            status,
            response_type: crate::model::ResponseType::AuthorizationError,
            url:
                "https://a.blob.core.windows.net/c/b?sv=2022-11-02&sp=r&se=2020-01-01&sig=eA%3D%3D"
                    .into(),
            ..Default::default()
        });
    }
    // A client that gave up with 408 and one whose connection broke: only their detail and
    // status say so.
    for (status, detail) in [(408, "Request Timeout"), (0, "connection reset by peer")] {
        ds.sink(input).event(
            crate::model::RawEvent {
                source: SourceKind::Client,
                status,
                url: "https://a.blob.core.windows.net/c/b".into(),
                ..Default::default()
            }
            .with(Field::Detail, detail),
        );
    }
    ds.finish();
    out.push(("rows no fixture has".into(), ds));
    out
}

#[test]
fn a_rows_facts_say_what_its_event_says() {
    for (name, ds) in datasets() {
        let c = Correlation::build(&ds);
        let cx = Context::new(&ds, &c);
        assert_eq!(cx.facts().len(), ds.events.len());
        // The size ARCHITECTURE.md and PERFORMANCE.md give.
        assert_eq!(std::mem::size_of::<RowFacts>(), 12);
        for (v, r) in ds.iter().zip(cx.facts()) {
            assert_eq!(r.status, v.ev.status, "{name}");
            assert_eq!(r.source, v.ev.source, "{name}");
            assert_eq!(r.response_type, v.ev.response_type, "{name}");
            assert_eq!(r.is_failure(), v.ev.is_failure(), "{name}");
            assert_eq!(r.has_error_code(), !v.error_code().is_empty(), "{name}");
            for f in [
                Field::Detail,
                Field::CorsFailure,
                Field::Sas,
                Field::StringToSign,
            ] {
                assert_eq!(r.has(f), v.extra(f).is_some(), "{name}: {f:?}");
            }
        }
    }
}

#[test]
fn filtering_rows_by_their_facts_changes_no_finding_and_no_summary() {
    let mut with_findings = 0;
    for (name, ds) in datasets() {
        let c = Correlation::build(&ds);
        let filtered = Context::new(&ds, &c);
        let mut every_row = Context::new(&ds, &c);
        every_row.facts_off = true;
        let a = run_all(&filtered);
        assert_eq!(a, run_all(&every_row), "{name}");
        with_findings += usize::from(!a.is_empty());
        let listed: Vec<usize> = filtered.auth_failures().map(|v| v.index).collect();
        let walked: Vec<usize> = ds
            .iter()
            .filter(|v| {
                crate::knowledge::auth_failure::is_forbidden(v)
                    || crate::knowledge::auth_failure::classify(v).is_some()
            })
            .map(|v| v.index)
            .collect();
        assert_eq!(listed, walked, "{name}");
        // The report's success rates, counted from the facts, against a walk over the events.
        let report = crate::report::Report::from_correlation(&ds, &c);
        let has_server = ds.sources().contains(SourceKind::Server);
        let counted: Vec<_> = ds
            .iter()
            .filter(|v| v.ev.status != 0 && (!has_server || v.ev.source == SourceKind::Server))
            .filter(|v| !matches!(v.ev.source, SourceKind::Metrics | SourceKind::Console))
            .collect();
        let ok = counted
            .iter()
            .filter(|v| v.ev.status < 400 && v.ev.status != 304)
            .count();
        if has_server && !counted.is_empty() {
            let want = (ok as f64 * 1000.0 / counted.len() as f64).round() / 10.0;
            assert_eq!(report.summary.success_percent, Some(want), "{name}");
        }
    }
    assert!(
        with_findings > 20,
        "only {with_findings} fixtures had findings"
    );
}
