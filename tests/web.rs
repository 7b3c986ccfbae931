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

/// Draws one finding card into `root` and waits for it to be on the page.
async fn render_card(root: &web_sys::Element, finding: FindingView) {
    yew::Renderer::<FindingCard>::with_root_and_props(
        root.clone(),
        FindingCardProps {
            finding,
            on_evidence: yew::Callback::noop(),
        },
    )
    .render();
    yew::scheduler::flush().await;
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
    render_card(&root, finding).await;
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

#[wasm_bindgen_test]
async fn a_long_evidence_list_draws_its_first_rows_then_all_on_request() {
    use storage_doctor::components::findings::EVIDENCE_ROWS_FIRST;
    use wasm_bindgen::JsCast;
    let root = output();
    let finding = FindingView {
        rule: "container-missing".into(),
        severity: "error".into(),
        title: "missing".into(),
        count: 120,
        evidence: (1..=50)
            .map(|line| EvidenceView {
                path: "big.log".into(),
                line,
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    };
    render_card(&root, finding).await;
    let rows = || root.query_selector_all("[data-evidence]").unwrap().length() as usize;
    assert_eq!(rows(), EVIDENCE_ROWS_FIRST);
    let button = root
        .query_selector("[data-action=\"show-all-evidence\"]")
        .unwrap()
        .expect("a Show all button");
    assert!(button.text_content().unwrap().contains("50"));
    button.unchecked_into::<web_sys::HtmlElement>().click();
    yew::scheduler::flush().await;
    assert_eq!(rows(), 50);
    assert!(root
        .query_selector("[data-action=\"show-all-evidence\"]")
        .unwrap()
        .is_none());
}

#[wasm_bindgen_test]
async fn timeline_draws_bars_and_markers_and_a_marker_selects_its_range() {
    use std::cell::RefCell;
    use std::rc::Rc;
    use storage_doctor::components::timeline::{Marker, TimelineChart, TimelineProps};
    use storage_doctor_core::report::timeline::Timeline;
    type Range = (Option<String>, Option<String>);

    let root = output();
    let timeline = Timeline::from_requests(
        [
            (Some(1_709_604_013_000_000), 200),
            (Some(1_709_604_015_000_000), 403),
            (Some(1_709_604_015_500_000), 503),
            (None, 0),
        ]
        .into_iter(),
    )
    .unwrap();
    let marker = Marker {
        rule: "sas-expired".into(),
        severity: "error".into(),
        title: "<img src=x onerror=alert(1)>".into(),
        first: "2024-03-05T02:00:15Z".into(),
        last: "2024-03-05T02:00:15.500Z".into(),
        from: 1_709_604_015_000_000,
        to: 1_709_604_015_500_000,
    };
    let picked: Rc<RefCell<Vec<Range>>> = Rc::default();
    let sink = picked.clone();
    yew::Renderer::<TimelineChart>::with_root_and_props(
        root.clone(),
        TimelineProps {
            timeline: Rc::new(timeline),
            markers: Rc::new(vec![marker]),
            local_time: false,
            from: None,
            to: None,
            on_range: yew::Callback::from(move |r| sink.borrow_mut().push(r)),
        },
    )
    .render();
    yew::scheduler::flush().await;
    let q = |s: &str| root.query_selector_all(s).unwrap().length();
    assert_eq!(q("[data-timeline] svg.tl-chart"), 1);
    // 13 s and 15 s: two 1 s buckets with requests, three requests in the bars.
    assert_eq!(q(".tl-bar"), 2);
    assert_eq!(q(".tl-bar[data-bucket=\"2\"][data-count=\"2\"] .tl-seg"), 2);
    assert_eq!(q("[data-timeline-brush]"), 0);
    assert!(root.text_content().unwrap().contains("1 without a time"));
    assert_eq!(q("img"), 0, "a finding's title stays text");
    let marker = root
        .query_selector("[data-timeline-marker=\"sas-expired\"][role=\"button\"]")
        .unwrap()
        .expect("marker");
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    let click = web_sys::Event::new_with_event_init_dict("click", &init).unwrap();
    marker.dispatch_event(&click).unwrap();
    assert_eq!(
        *picked.borrow(),
        vec![(
            Some("2024-03-05T02:00:15Z".to_string()),
            Some("2024-03-05T02:00:15.500Z".to_string())
        )]
    );
}
