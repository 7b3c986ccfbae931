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

#[wasm_bindgen_test]
async fn the_search_box_keeps_unsubmitted_typing_when_an_answer_redraws_the_table() {
    use std::cell::RefCell;
    use std::rc::Rc;
    use storage_doctor::components::requests::{RequestsProps, RequestsTable};
    use storage_doctor::state::TableWindow;
    use storage_doctor_core::report::table::{Facets, RowView, TableQuery};
    use wasm_bindgen::JsCast;

    let rows = |codes: &[&str]| {
        codes
            .iter()
            .enumerate()
            .map(|(i, c)| RowView {
                request: i as u32,
                status: if c.is_empty() { 200 } else { 409 },
                error_code: c.to_string(),
                ..RowView::default()
            })
            .collect::<Vec<_>>()
    };
    let window = |query: TableQuery, codes: &[&str]| TableWindow {
        query,
        total: codes.len() as u32,
        start: 0,
        rows: rows(codes),
        stale: false,
    };
    let asked: Rc<RefCell<Vec<TableQuery>>> = Rc::default();
    let sink = asked.clone();
    let props = |w: TableWindow, sink: Rc<RefCell<Vec<TableQuery>>>| RequestsProps {
        window: w,
        facets: Facets {
            status_classes: vec![(2, 2), (4, 1)],
            ..Facets::default()
        },
        local_time: false,
        on_query: yew::Callback::from(move |(q, _, _): (TableQuery, u32, u32)| {
            sink.borrow_mut().push(q)
        }),
        on_open: yew::Callback::noop(),
    };
    let root = output();
    let mut handle = yew::Renderer::<RequestsTable>::with_root_and_props(
        root.clone(),
        props(
            window(TableQuery::default(), &["", "", "ContainerAlreadyExists"]),
            sink.clone(),
        ),
    )
    .render();
    yew::scheduler::flush().await;
    let input = || {
        root.query_selector("#request-search")
            .unwrap()
            .unwrap()
            .dyn_into::<web_sys::HtmlInputElement>()
            .unwrap()
    };
    let fire = |el: &web_sys::Element, kind: &str| {
        let init = web_sys::EventInit::new();
        init.set_bubbles(true);
        let ev = web_sys::Event::new_with_event_init_dict(kind, &init).unwrap();
        el.dispatch_event(&ev).unwrap();
    };

    // Typing, not yet submitted; then an answer to an earlier query redraws the table.
    input().set_value("ContainerAlready");
    fire(&input(), "input");
    handle.update(props(
        window(TableQuery::default(), &["", "ContainerAlreadyExists", ""]),
        sink.clone(),
    ));
    yew::scheduler::flush().await;
    assert_eq!(
        input().value(),
        "ContainerAlready",
        "typing survives a redraw"
    );

    // A chip applies what the box shows.
    let chip = root
        .query_selector("[data-facet=\"status\"]")
        .unwrap()
        .unwrap();
    fire(&chip, "click");
    let last = asked.borrow().last().cloned().expect("a query was asked");
    assert_eq!(last.search, "ContainerAlready");
    assert_eq!(last.status_class, Some(2));

    // Enter (change) submits the box's text.
    input().set_value("ContainerAlreadyExists");
    fire(&input(), "input");
    fire(&input(), "change");
    let last = asked.borrow().last().cloned().unwrap();
    assert_eq!(last.search, "ContainerAlreadyExists");
    let answered = TableQuery {
        search: "ContainerAlreadyExists".into(),
        ..TableQuery::default()
    };
    handle.update(props(
        window(answered, &["ContainerAlreadyExists"]),
        sink.clone(),
    ));
    yew::scheduler::flush().await;
    assert_eq!(input().value(), "ContainerAlreadyExists");

    // Clear filters empties the box as well.
    let clear = root
        .query_selector("[data-facet=\"clear\"]")
        .unwrap()
        .expect("a clear chip while a search is applied");
    fire(&clear, "click");
    yew::scheduler::flush().await;
    assert_eq!(asked.borrow().last().unwrap(), &TableQuery::default());
    assert_eq!(input().value(), "");

    // A query set elsewhere (a failure-summary row) replaces the box's text.
    input().set_value("abc");
    fire(&input(), "input");
    fire(&input(), "change");
    let elsewhere = TableQuery {
        status_class: Some(4),
        ..TableQuery::default()
    };
    handle.update(props(
        window(
            TableQuery {
                search: "abc".into(),
                ..TableQuery::default()
            },
            &[],
        ),
        sink.clone(),
    ));
    yew::scheduler::flush().await;
    handle.update(props(window(elsewhere, &["ContainerAlreadyExists"]), sink));
    yew::scheduler::flush().await;
    assert_eq!(input().value(), "");
}
