//! The requests table: every correlated request, filtered, sorted and searched by the worker,
//! and windowed here so that only the visible rows exist in the DOM (a million rows scroll like
//! ten).
//!
//! Browsers cap an element's height (Chromium near 16.7 M px), so the scrollable height is capped
//! too; past the cap a scroll position maps to a row proportionally ("stretching").

use storage_doctor_core::model::SourceKind;
use storage_doctor_core::report::table::{Facets, SortKey, TableQuery};
use web_sys::{Element, HtmlInputElement};
use yew::prelude::*;

use super::time::show;
use crate::state::TableWindow;

pub const ROW_HEIGHT: f64 = 30.0;
const VIEW_HEIGHT: f64 = 450.0;
const MAX_SCROLL_HEIGHT: f64 = 8_000_000.0;
/// Rows fetched beyond the visible ones, above and below.
const OVERSCAN: u32 = 40;

#[derive(Properties, PartialEq)]
pub struct RequestsProps {
    pub window: TableWindow,
    pub facets: Facets,
    pub local_time: bool,
    /// Ask the worker for rows `start..start+count` of `query`.
    pub on_query: Callback<(TableQuery, u32, u32)>,
    /// Open a request's detail.
    pub on_open: Callback<u32>,
}

/// Where the viewport is: the first visible row and the pixel offset inside it.
fn viewport(scroll_top: f64, total: u32) -> (u32, f64, f64) {
    let full = total as f64 * ROW_HEIGHT;
    let visible = (VIEW_HEIGHT / ROW_HEIGHT).ceil() as u32 + 1;
    if full <= MAX_SCROLL_HEIGHT {
        let first = (scroll_top / ROW_HEIGHT).floor() as u32;
        (
            first.min(total.saturating_sub(1)),
            scroll_top % ROW_HEIGHT,
            full,
        )
    } else {
        let ratio = (scroll_top / (MAX_SCROLL_HEIGHT - VIEW_HEIGHT)).clamp(0.0, 1.0);
        let first = (ratio * total.saturating_sub(visible) as f64).round() as u32;
        (first, 0.0, MAX_SCROLL_HEIGHT)
    }
}

fn status_label(class: u16) -> String {
    if class == 0 {
        "no response".into()
    } else {
        format!("{class}xx")
    }
}

#[component]
pub fn RequestsTable(props: &RequestsProps) -> Html {
    let scroll_top = use_state_eq(|| 0.0f64);
    let scroller = use_node_ref();
    let w = &props.window;
    let (first, offset, content_height) = viewport(*scroll_top, w.total);
    let visible = (VIEW_HEIGHT / ROW_HEIGHT).ceil() as u32 + 1;

    // Fetch when the visible rows are not all in the window the page holds.
    {
        let on_query = props.on_query.clone();
        let query = w.query.clone();
        let have = (w.start, w.start + w.rows.len() as u32);
        let total = w.total;
        let stale = w.stale;
        use_effect_with(
            (first, query.clone(), have, total),
            move |(first, query, have, total)| {
                let want_end = (*first + visible).min(*total);
                if !stale && *total > 0 && (*first < have.0 || want_end > have.1) {
                    let start = first.saturating_sub(OVERSCAN);
                    on_query.emit((query.clone(), start, visible + 2 * OVERSCAN));
                }
            },
        );
    }

    // Sizes go through the CSS object model, not `style` attributes: the page's Content Security
    // Policy (style-src 'self') refuses inline style attributes.
    let spacer = use_node_ref();
    let rows_block = use_node_ref();
    {
        let (scroller, spacer, rows_block) = (scroller.clone(), spacer.clone(), rows_block.clone());
        let view = (w.total as f64 * ROW_HEIGHT).clamp(ROW_HEIGHT, VIEW_HEIGHT);
        use_effect_with(
            (view.to_bits(), content_height.to_bits(), offset.to_bits()),
            move |_| {
                let set = |r: &NodeRef, k: &str, v: String| {
                    if let Some(el) = r.cast::<web_sys::HtmlElement>() {
                        let _ = el.style().set_property(k, &v);
                    }
                };
                set(&scroller, "height", format!("{view}px"));
                set(&spacer, "height", format!("{content_height}px"));
                set(&rows_block, "transform", format!("translateY(-{offset}px)"));
            },
        );
    }

    let onscroll = {
        let scroll_top = scroll_top.clone();
        Callback::from(move |e: Event| {
            let el: Element = e.target_unchecked_into();
            scroll_top.set(el.scroll_top() as f64);
        })
    };

    // The search box holds what the user typed, not the answered query's text: Yew writes a
    // controlled input's value back on every render, and the worker's answers re-render the
    // table at any moment, so binding the box to `w.query.search` erased typing that had not been
    // submitted yet whenever an answer arrived in between.
    let typed = use_mut_ref(|| w.query.search.clone());
    // The search text of the last query this table asked for: an answer with another search
    // came from elsewhere (a row of the failure summary) and replaces what the box shows.
    let asked = use_mut_ref(|| w.query.search.clone());
    let redraw = use_force_update();
    {
        let (typed, asked, redraw) = (typed.clone(), asked.clone(), redraw.clone());
        use_effect_with(w.query.search.clone(), move |search| {
            if *asked.borrow() != *search {
                *asked.borrow_mut() = search.clone();
                *typed.borrow_mut() = search.clone();
                redraw.force_update();
            }
        });
    }

    // A new query starts at the top.
    let requery = {
        let on_query = props.on_query.clone();
        let scroll_top = scroll_top.clone();
        let scroller = scroller.clone();
        let (typed, asked, redraw) = (typed.clone(), asked.clone(), redraw.clone());
        Callback::from(move |q: TableQuery| {
            *asked.borrow_mut() = q.search.clone();
            if *typed.borrow() != q.search {
                *typed.borrow_mut() = q.search.clone();
                redraw.force_update();
            }
            scroll_top.set(0.0);
            if let Some(el) = scroller.cast::<Element>() {
                el.set_scroll_top(0);
            }
            on_query.emit((q, 0, visible + 2 * OVERSCAN));
        })
    };

    // The query was changed elsewhere (the timeline's brush): ask again from the top.
    {
        let requery = requery.clone();
        use_effect_with((w.stale, w.query.clone()), move |(stale, query)| {
            if *stale {
                requery.emit(query.clone());
            }
        });
    }

    // Sorting and the chips apply what the search box shows, submitted or not.
    let sort_by = |key: SortKey| {
        let requery = requery.clone();
        let q = w.query.clone();
        let typed = typed.clone();
        Callback::from(move |_: MouseEvent| {
            let mut q = q.clone();
            q.search = typed.borrow().clone();
            q.descending = if q.sort == key { !q.descending } else { false };
            q.sort = key;
            requery.emit(q);
        })
    };
    let header = |label: &'static str, key: SortKey| {
        let aria = if w.query.sort == key {
            if w.query.descending {
                "descending"
            } else {
                "ascending"
            }
        } else {
            "none"
        };
        let arrow = match aria {
            "ascending" => " ▲",
            "descending" => " ▼",
            _ => "",
        };
        html! {
            <div role="columnheader" aria-sort={aria} class="cell">
                <button class="sort" data-sort={format!("{key:?}").to_lowercase()} onclick={sort_by(key)}>{ label }{ arrow }</button>
            </div>
        }
    };

    let chip = |label: String,
                active: bool,
                f: Box<dyn Fn(&mut TableQuery)>,
                facet: &'static str| {
        let requery = requery.clone();
        let q = w.query.clone();
        let typed = typed.clone();
        html! {
            <button class={classes!("chip", active.then_some("active"))} aria-pressed={active.to_string()} data-facet={facet}
                onclick={Callback::from(move |_: MouseEvent| {
                    let mut q = q.clone();
                    q.search = typed.borrow().clone();
                    f(&mut q);
                    requery.emit(q);
                })}>
                { label }
            </button>
        }
    };

    let on_typing = {
        let typed = typed.clone();
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            *typed.borrow_mut() = input.value();
        })
    };
    // Enter (or leaving the box) submits.
    let on_search = {
        let requery = requery.clone();
        let q = w.query.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let mut q = q.clone();
            q.search = input.value();
            requery.emit(q);
        })
    };
    let search_text = typed.borrow().clone();

    let q = &w.query;
    let rows_html = (first..(first + visible).min(w.total)).filter_map(|i| {
        let k = i.checked_sub(w.start)? as usize;
        let r = w.rows.get(k)?;
        let open = props.on_open.clone();
        let open_key = props.on_open.clone();
        let request = r.request;
        let cls = classes!("req-row", match r.status { 0 => "st-none", s if s >= 500 => "st-5", s if s >= 400 => "st-4", s if s >= 300 => "st-3", _ => "st-2" });
        Some(html! {
            <div role="row" class={cls} data-request={request.to_string()} data-row={i.to_string()} tabindex="0"
                onclick={Callback::from(move |_: MouseEvent| open.emit(request))}
                onkeydown={Callback::from(move |e: KeyboardEvent| if e.key() == "Enter" || e.key() == " " { e.prevent_default(); open_key.emit(request) })}>
                <div role="cell" class="cell c-time">{ r.time.as_deref().map(|t| show(t, props.local_time)).unwrap_or_default() }</div>
                <div role="cell" class="cell c-src" title={r.sources.join(", ")}>
                    { for r.sources.iter().map(|s| html! { <span class={classes!("src", format!("src-{s}"))}>{ &s[..1].to_uppercase() }</span> }) }
                </div>
                <div role="cell" class="cell c-svc">{ &r.service }</div>
                <div role="cell" class="cell c-op">{ if r.operation.is_empty() { r.method.clone() } else { r.operation.clone() } }</div>
                <div role="cell" class="cell c-res" title={r.resource.clone()}>{ &r.resource }</div>
                <div role="cell" class="cell c-status">{ if r.status == 0 { "—".to_string() } else { r.status.to_string() } }</div>
                <div role="cell" class="cell c-code">{ &r.error_code }</div>
                <div role="cell" class="cell c-crid mono" title={r.client_request_id.clone()}>{ &r.client_request_id }</div>
                <div role="cell" class="cell c-lat">
                    { r.e2e_ms.map(|x| format!("{x:.0}")).unwrap_or_default() }
                    { r.server_ms.map(|x| format!(" / {x:.0}")).unwrap_or_default() }
                </div>
            </div>
        })
    });

    html! {
        <section class="requests" aria-label="Requests">
            <h2>{ format!("Requests ({} shown)", w.total) }</h2>
            <div class="facets" aria-label="Filters">
                <label class="search">
                    <span class="visually-hidden">{ "Search requests" }</span>
                    <input type="search" id="request-search" placeholder="Search resource, operation, error code, request id…"
                        value={search_text} oninput={on_typing} onchange={on_search} />
                </label>
                <div class="chips">
                    { for props.facets.status_classes.iter().map(|(c, n)| {
                        let c = *c;
                        chip(format!("{} ({n})", status_label(c)), q.status_class == Some(c),
                            Box::new(move |q: &mut TableQuery| q.status_class = if q.status_class == Some(c) { None } else { Some(c) }), "status")
                    }) }
                    { for props.facets.sources.iter().map(|(s, n)| {
                        let kind = match s.as_str() { "server" => SourceKind::Server, "network" => SourceKind::Network, "console" => SourceKind::Console, "metrics" => SourceKind::Metrics, _ => SourceKind::Client };
                        chip(format!("{s} ({n})"), q.source == Some(kind),
                            Box::new(move |q: &mut TableQuery| q.source = if q.source == Some(kind) { None } else { Some(kind) }), "source")
                    }) }
                    { for props.facets.error_codes.iter().take(8).map(|(code, n)| {
                        let code = code.clone();
                        let active = q.error_code.as_deref() == Some(code.as_str());
                        chip(format!("{code} ({n})"), active,
                            Box::new(move |q: &mut TableQuery| q.error_code = if q.error_code.as_deref() == Some(code.as_str()) { None } else { Some(code.clone()) }), "error_code")
                    }) }
                    { for props.facets.operations.iter().take(8).map(|(op, n)| {
                        let op = op.clone();
                        let active = q.operation.as_deref() == Some(op.as_str());
                        chip(format!("{op} ({n})"), active,
                            Box::new(move |q: &mut TableQuery| q.operation = if q.operation.as_deref() == Some(op.as_str()) { None } else { Some(op.clone()) }), "operation")
                    }) }
                    if *q != TableQuery::default() {
                        { chip("Clear filters".to_string(), false, Box::new(|q: &mut TableQuery| *q = TableQuery::default()), "clear") }
                    }
                </div>
            </div>
            <div class="req-table" role="table" aria-rowcount={w.total.to_string()} aria-label="Requests, one row per request">
                <div role="rowgroup" class="req-head">
                    <div role="row" class="req-row head">
                        { header("time", SortKey::Time) }
                        <div role="columnheader" class="cell c-src">{ "seen by" }</div>
                        { header("service", SortKey::Service) }
                        { header("operation", SortKey::Operation) }
                        { header("resource", SortKey::Resource) }
                        { header("status", SortKey::Status) }
                        { header("error code", SortKey::ErrorCode) }
                        <div role="columnheader" class="cell c-crid">{ "client request id" }</div>
                        { header("ms (e2e / server)", SortKey::Latency) }
                    </div>
                </div>
                <div class="req-scroll" ref={scroller} onscroll={onscroll} role="rowgroup">
                    <div class="req-spacer" ref={spacer}>
                        <div class="req-rows" ref={rows_block}>
                            { for rows_html }
                        </div>
                    </div>
                </div>
            </div>
            if w.total == 0 {
                <p class="muted">{ "No request matches these filters." }</p>
            }
        </section>
    }
}
