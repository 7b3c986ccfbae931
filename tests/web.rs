//! Browser tests (wasm-bindgen-test in headless Chromium): the core running as wasm, and the
//! page's components rendering into a real DOM.
#![cfg(target_arch = "wasm32")]

use storage_doctor::components::findings::{FindingCard, FindingCardProps};
use storage_doctor::examples::EXAMPLES;
use storage_doctor::report_view::{EvidenceView, FindingView, ReportView};
use storage_doctor_core::analyze_bytes;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn output() -> web_sys::Element {
    let doc = web_sys::window().unwrap().document().unwrap();
    let el = doc.create_element("div").unwrap();
    doc.body().unwrap().append_child(&el).unwrap();
    el
}

#[wasm_bindgen_test]
fn every_example_is_diagnosed_in_wasm() {
    for ex in EXAMPLES {
        let mut ing = storage_doctor_core::Ingest::new();
        for (name, text) in ex.files {
            ing.begin(name, None).unwrap();
            // Small slices, like the worker's, but smaller: exercise the carry in wasm too.
            for c in text.as_bytes().chunks(1000) {
                ing.feed(c);
            }
        }
        let ds = ing.finish();
        let report = storage_doctor_core::Report::build(&ds);
        assert!(
            report.findings.iter().any(|f| f.rule == ex.expect),
            "example {} did not produce its finding",
            ex.id
        );
        // The JSON the worker sends is what the page reads back.
        let view = ReportView::parse(&report.to_json()).unwrap();
        assert_eq!(view.findings.len(), report.findings.len());
    }
    let (_, r) = analyze_bytes("empty.log", b"", None).unwrap();
    assert!(r.findings.is_empty());
}

#[wasm_bindgen_test]
async fn finding_card_renders_contract_attributes_and_inert_log_text() {
    let root = output();
    let finding = FindingView {
        rule: "sas-expired".into(),
        severity: "error".into(),
        title: "<img src=x onerror=alert(1)>".into(),
        explanation: "<script>window.__pwned = true</script>".into(),
        fix: vec!["renew".into()],
        count: 1,
        evidence: vec![EvidenceView {
            path: "a.log".into(),
            line: 7,
            ..Default::default()
        }],
        ..Default::default()
    };
    yew::Renderer::<FindingCard>::with_root_and_props(
        root.clone(),
        FindingCardProps {
            finding,
            on_evidence: yew::Callback::noop(),
        },
    )
    .render();
    yew::scheduler::flush().await;
    let card = root
        .query_selector("[data-rule=\"sas-expired\"][data-severity=\"error\"]")
        .unwrap();
    assert!(card.is_some(), "finding card with contract attributes");
    assert!(
        root.query_selector("img").unwrap().is_none(),
        "log text must not become elements"
    );
    assert!(root.query_selector("script").unwrap().is_none());
    assert!(root
        .text_content()
        .unwrap()
        .contains("<script>window.__pwned"));
    assert!(root.text_content().unwrap().contains("a.log:7"));
}
