//! The timeline: requests over time as stacked bars by status class, the error and warning
//! findings as bands above them, and a brush that sets the requests table's time range.
//!
//! The SVG is drawn by this file (no charting library). The bars, axis and markers are one
//! child component whose props are `Rc`s set once per analysis, so they render once; dragging
//! re-renders only the brush rectangle. Ways to choose a range: drag across the bars (pointer
//! events with pointer capture), click a finding's band, arrow keys on the focused chart, or the
//! From/To inputs. Every way ends in `on_range`, which the page turns into the table query's
//! inclusive `from`/`to`.

use std::rc::Rc;

use storage_doctor_core::model::Timestamp;
use storage_doctor_core::report::timeline::{Timeline, CLASSES};
use web_sys::{Element, HtmlInputElement};
use yew::prelude::*;

use super::time::show;
use crate::report_view::FindingView;

/// SVG user units: the chart scales to the page's width.
const W: f64 = 1000.0;
const PAD_L: f64 = 48.0;
const PAD_R: f64 = 12.0;
const TOP: f64 = 4.0;
const LANE: f64 = 10.0;
const MAX_LANES: usize = 6;
const BARS_H: f64 = 120.0;
const AXIS_H: f64 = 26.0;
const MICROS: i64 = 1_000_000;

/// An error or warning finding's time range, drawn above the bars.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Marker {
    pub rule: String,
    pub severity: String,
    pub title: String,
    /// First and last time seen (ISO 8601 UTC) and the same in µs since the epoch.
    pub first: String,
    pub last: String,
    pub from: i64,
    pub to: i64,
}

/// The findings worth a marker: errors and warnings with a time range.
pub fn markers_of(findings: &[FindingView]) -> Vec<Marker> {
    findings
        .iter()
        .filter(|f| f.severity == "error" || f.severity == "warning")
        .filter_map(|f| {
            let (a, b) = (f.first_seen.as_deref()?, f.last_seen.as_deref()?);
            let (from, to) = (Timestamp::parse(a)?.0, Timestamp::parse(b)?.0);
            Some(Marker {
                rule: f.rule.clone(),
                severity: f.severity.clone(),
                title: f.title.clone(),
                first: a.to_string(),
                last: b.to_string(),
                from: from.min(to),
                to: from.max(to),
            })
        })
        .collect()
}

/// Where things are on the chart: buckets along x, marker lanes above the bars.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Scale {
    /// First bucket's start and the bucket width, µs.
    start: i64,
    width: i64,
    n: usize,
    lanes: usize,
}

impl Scale {
    fn new(t: &Timeline, markers: usize) -> Scale {
        Scale {
            start: t.start.saturating_mul(MICROS),
            width: (t.bucket_seconds as i64).saturating_mul(MICROS).max(1),
            n: t.buckets.len().max(1),
            lanes: markers.min(MAX_LANES),
        }
    }

    fn plot_w() -> f64 {
        W - PAD_L - PAD_R
    }

    /// Top of the bars (below the marker lanes).
    fn bars_top(&self) -> f64 {
        TOP + self.lanes as f64 * LANE + if self.lanes > 0 { 4.0 } else { 0.0 }
    }

    fn bars_bottom(&self) -> f64 {
        self.bars_top() + BARS_H
    }

    fn height(&self) -> f64 {
        self.bars_bottom() + AXIS_H
    }

    fn x_of_bucket(&self, i: usize) -> f64 {
        PAD_L + i as f64 * Self::plot_w() / self.n as f64
    }

    fn x_of_time(&self, us: i64) -> f64 {
        let span = self.n as f64 * self.width as f64;
        let x = PAD_L + (us as f64 - self.start as f64) / span * Self::plot_w();
        x.clamp(PAD_L, W - PAD_R)
    }

    fn bucket_at(&self, x: f64) -> usize {
        let i = ((x - PAD_L) / Self::plot_w() * self.n as f64).floor();
        i.clamp(0.0, (self.n - 1) as f64) as usize
    }

    fn bucket_of_time(&self, us: i64) -> usize {
        let i = (us as i128 - self.start as i128).div_euclid(self.width as i128);
        i.clamp(0, self.n as i128 - 1) as usize
    }
}

/// Axis ticks: the narrowest nice step (seconds) giving at most 6 labels, and the ticks (seconds
/// since the epoch) inside the timeline.
fn ticks(t: &Timeline) -> (u64, Vec<i64>) {
    const NICE: [u64; 14] = [
        1,
        5,
        10,
        30,
        60,
        5 * 60,
        15 * 60,
        3600,
        3 * 3600,
        6 * 3600,
        86_400,
        7 * 86_400,
        30 * 86_400,
        365 * 86_400,
    ];
    let span = t.bucket_seconds.saturating_mul(t.buckets.len() as u64);
    let want = (span / 6).max(t.bucket_seconds).max(1);
    let mut step = NICE
        .iter()
        .copied()
        .find(|&s| s >= want)
        .unwrap_or(NICE[13]);
    while step < want {
        step *= 2;
    }
    let end = t.start.saturating_add(span as i64);
    let first = t.start.div_euclid(step as i64) * step as i64;
    let mut out = Vec::new();
    let mut s = if first < t.start {
        first + step as i64
    } else {
        first
    };
    while s <= end && out.len() < 12 {
        out.push(s);
        s = s.saturating_add(step as i64);
    }
    (step, out)
}

/// Civil time of `us` (µs since the epoch) in UTC or in the browser's zone.
fn civil(us: i64, local: bool) -> (i64, u32, u32, u32, u32, u32) {
    if local {
        let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64((us / 1000) as f64));
        if !d.get_time().is_nan() {
            return (
                d.get_full_year() as i64,
                d.get_month() + 1,
                d.get_date(),
                d.get_hours(),
                d.get_minutes(),
                d.get_seconds(),
            );
        }
    }
    let (y, m, d, hh, mm, ss, _) = Timestamp(us).civil();
    (y, m, d, hh, mm, ss)
}

/// An axis label: as precise as the step between ticks needs.
fn tick_label(secs: i64, step: u64, local: bool) -> String {
    let (y, m, d, hh, mm, ss) = civil(secs.saturating_mul(MICROS), local);
    if step < 60 {
        format!("{hh:02}:{mm:02}:{ss:02}")
    } else if step < 86_400 {
        format!("{hh:02}:{mm:02}")
    } else {
        format!("{y:04}-{m:02}-{d:02}")
    }
}

/// A bucket width in words.
fn width_label(secs: u64) -> String {
    match secs {
        s if s % 86_400 == 0 => format!("{} day{}", s / 86_400, if s == 86_400 { "" } else { "s" }),
        s if s % 3600 == 0 => format!("{} h", s / 3600),
        s if s % 60 == 0 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

/// The value of a `datetime-local` input for `us`.
fn input_value(us: i64, local: bool) -> String {
    let (y, m, d, hh, mm, ss) = civil(us, local);
    format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}")
}

/// Reads a `datetime-local` value (UTC or the browser's zone) as µs; `end` makes it the last
/// microsecond of that second (the range is inclusive).
fn parse_input(value: &str, local: bool, end: bool) -> Option<i64> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    let us = if local {
        let ms = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(value)).get_time();
        if ms.is_nan() {
            return None;
        }
        ms as i64 * 1000
    } else {
        Timestamp::parse(&format!("{value}Z"))?.0
    };
    Some(if end { us + (MICROS - 1) } else { us })
}

fn iso(us: i64) -> String {
    Timestamp(us).to_string()
}

fn class_css(c: usize) -> &'static str {
    ["tl-c2", "tl-c3", "tl-c4", "tl-c5", "tl-cn"][c]
}

#[derive(Properties, PartialEq)]
pub struct TimelineProps {
    pub timeline: Rc<Timeline>,
    pub markers: Rc<Vec<Marker>>,
    pub local_time: bool,
    /// The table's current time range (inclusive ISO 8601 bounds).
    pub from: Option<String>,
    pub to: Option<String>,
    /// Set (or, with `(None, None)`, clear) the table's time range.
    pub on_range: Callback<(Option<String>, Option<String>)>,
}

#[component]
pub fn TimelineChart(props: &TimelineProps) -> Html {
    let t = &props.timeline;
    let scale = Scale::new(t, props.markers.len());
    let svg = use_node_ref();
    // The drag in progress: its start x (read by the pointer handlers, always current) and the
    // rectangle shown (state, so moving re-renders the brush).
    let drag_start = use_mut_ref(|| None::<f64>);
    let drag = use_state_eq(|| None::<(f64, f64)>);
    let from_input = use_node_ref();
    let to_input = use_node_ref();

    let from_us = props
        .from
        .as_deref()
        .and_then(Timestamp::parse)
        .map(|x| x.0);
    let to_us = props.to.as_deref().and_then(Timestamp::parse).map(|x| x.0);
    let has_range = from_us.is_some() || to_us.is_some();

    let emit_buckets = {
        let on_range = props.on_range.clone();
        let t = props.timeline.clone();
        move |a: usize, b: usize| {
            let (from, to) = t.range_of_buckets(a, b);
            on_range.emit((Some(from), Some(to)));
        }
    };

    // Pointer position in SVG units.
    let svg_point = {
        let svg = svg.clone();
        move |e: &PointerEvent| -> Option<(f64, f64)> {
            let el = svg.cast::<Element>()?;
            let r = el.get_bounding_client_rect();
            if r.width() <= 0.0 {
                return None;
            }
            let k = W / r.width();
            Some((
                (e.client_x() as f64 - r.left()) * k,
                (e.client_y() as f64 - r.top()) * k,
            ))
        }
    };
    let onpointerdown = {
        let (svg_point, drag_start, drag) = (svg_point.clone(), drag_start.clone(), drag.clone());
        let svg = svg.clone();
        Callback::from(move |e: PointerEvent| {
            if e.button() != 0 {
                return;
            }
            let Some((x, y)) = svg_point(&e) else { return };
            if y < scale.bars_top() - 2.0 {
                return; // the marker lanes: their own click
            }
            e.prevent_default();
            // Captured by the chart itself (Yew delegates events from its root: the event's
            // current target is not the chart), so the drag goes on outside it.
            if let Some(el) = svg.cast::<Element>() {
                let _ = el.set_pointer_capture(e.pointer_id());
            }
            let x = x.clamp(PAD_L, W - PAD_R);
            *drag_start.borrow_mut() = Some(x);
            drag.set(Some((x, x)));
        })
    };
    let onpointermove = {
        let (svg_point, drag_start, drag) = (svg_point.clone(), drag_start.clone(), drag.clone());
        Callback::from(move |e: PointerEvent| {
            let Some(x0) = *drag_start.borrow() else {
                return;
            };
            if let Some((x, _)) = svg_point(&e) {
                drag.set(Some((x0, x.clamp(PAD_L, W - PAD_R))));
            }
        })
    };
    let onpointerup = {
        let (svg_point, drag_start, drag) = (svg_point.clone(), drag_start.clone(), drag.clone());
        let emit_buckets = emit_buckets.clone();
        Callback::from(move |e: PointerEvent| {
            let Some(x0) = drag_start.borrow_mut().take() else {
                return;
            };
            drag.set(None);
            let x1 = svg_point(&e).map_or(x0, |(x, _)| x.clamp(PAD_L, W - PAD_R));
            emit_buckets(scale.bucket_at(x0.min(x1)), scale.bucket_at(x0.max(x1)));
        })
    };
    let onpointercancel = {
        let (drag_start, drag) = (drag_start.clone(), drag.clone());
        Callback::from(move |_: PointerEvent| {
            *drag_start.borrow_mut() = None;
            drag.set(None);
        })
    };

    // Keyboard: arrows move a one-bucket selection, Shift+arrows widen or narrow it, Home/End
    // jump to the ends, Escape clears.
    let selected = has_range.then(|| {
        (
            from_us.map_or(0, |f| scale.bucket_of_time(f)),
            to_us.map_or(scale.n - 1, |t| scale.bucket_of_time(t)),
        )
    });
    let onkeydown = {
        let emit_buckets = emit_buckets.clone();
        let on_range = props.on_range.clone();
        let last = scale.n - 1;
        Callback::from(move |e: KeyboardEvent| {
            let (a, b) = match (e.key().as_str(), selected, e.shift_key()) {
                ("ArrowRight", None, _) => (0, 0),
                ("ArrowLeft", None, _) => (last, last),
                ("ArrowRight", Some((a, b)), true) => (a, (b + 1).min(last)),
                ("ArrowLeft", Some((a, b)), true) => (a, b.saturating_sub(1).max(a)),
                ("ArrowRight", Some((a, b)), false) => {
                    let d = if b < last { 1 } else { 0 };
                    (a + d, b + d)
                }
                ("ArrowLeft", Some((a, b)), false) => {
                    let d = if a > 0 { 1 } else { 0 };
                    (a - d, b - d)
                }
                ("Home", _, _) => (0, 0),
                ("End", _, _) => (last, last),
                ("Escape", Some(_), _) => {
                    e.prevent_default();
                    on_range.emit((None, None));
                    return;
                }
                _ => return,
            };
            e.prevent_default();
            emit_buckets(a, b);
        })
    };

    let on_marker = {
        let on_range = props.on_range.clone();
        let markers = props.markers.clone();
        use_callback((on_range, markers), move |i: usize, (on_range, markers)| {
            if let Some(m) = markers.get(i) {
                on_range.emit((Some(iso(m.from)), Some(iso(m.to))));
            }
        })
    };

    let onsubmit = {
        let (from_input, to_input) = (from_input.clone(), to_input.clone());
        let on_range = props.on_range.clone();
        let local = props.local_time;
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let read = |r: &NodeRef, end: bool| {
                r.cast::<HtmlInputElement>()
                    .and_then(|i| parse_input(&i.value(), local, end))
            };
            let (mut a, mut b) = (read(&from_input, false), read(&to_input, true));
            if let (Some(x), Some(y)) = (a, b) {
                if x > y {
                    // Swapped: take the whole of both seconds.
                    (a, b) = (Some(y - (MICROS - 1)), Some(x + (MICROS - 1)));
                }
            }
            on_range.emit((a.map(iso), b.map(iso)));
        })
    };
    let on_clear = {
        let on_range = props.on_range.clone();
        Callback::from(move |_: MouseEvent| on_range.emit((None, None)))
    };

    // The brush: the drag in progress (snapped to buckets), else the table's range.
    let brush = match *drag {
        Some((x0, x1)) => {
            let (a, b) = (scale.bucket_at(x0.min(x1)), scale.bucket_at(x0.max(x1)));
            Some((scale.x_of_bucket(a), scale.x_of_bucket(b + 1), true))
        }
        None if has_range => {
            let a = from_us.map_or(PAD_L, |f| scale.x_of_time(f));
            let b = to_us.map_or(W - PAD_R, |t| scale.x_of_time(t));
            Some((a, b.max(a), false))
        }
        None => None,
    };
    let range_text = if has_range {
        format!(
            "Table shows requests from {} to {}.",
            props
                .from
                .as_deref()
                .map_or("the start".to_string(), |f| show(f, props.local_time)),
            props
                .to
                .as_deref()
                .map_or("the end".to_string(), |t| show(t, props.local_time)),
        )
    } else {
        "Table shows requests of any time.".to_string()
    };
    let zone = if props.local_time {
        "local time"
    } else {
        "UTC"
    };
    let caption = format!(
        "{} request{} from {} to {}, {} per bar{}.",
        t.timed(),
        if t.timed() == 1 { "" } else { "s" },
        show(&t.first, props.local_time),
        show(&t.last, props.local_time),
        width_label(t.bucket_seconds),
        if t.without_time > 0 {
            format!(
                "; {} without a time are in the table but not in the bars",
                t.without_time
            )
        } else {
            String::new()
        }
    );
    let mut totals = [0u64; 5];
    for b in t.buckets.iter() {
        for (k, n) in b.iter().enumerate() {
            totals[k] += *n as u64;
        }
    }

    html! {
        <section class="timeline" data-timeline="" aria-labelledby="timeline-title">
            <h2 id="timeline-title">{ "Timeline" }</h2>
            <p class="muted" id="timeline-caption">{ caption }</p>
            <svg class="tl-chart" ref={svg} viewBox={format!("0 0 {W} {}", scale.height())}
                role="group" tabindex="0" aria-labelledby="timeline-title" aria-describedby="timeline-caption timeline-help"
                {onpointerdown} {onpointermove} {onpointerup} {onpointercancel} {onkeydown}>
                <ChartBody timeline={props.timeline.clone()} markers={props.markers.clone()}
                    local_time={props.local_time} on_marker={on_marker} />
                if let Some((a, b, dragging)) = brush {
                    <rect class={classes!("tl-brush", dragging.then_some("dragging"))} data-timeline-brush=""
                        data-from={props.from.clone().unwrap_or_default()} data-to={props.to.clone().unwrap_or_default()}
                        x={format!("{a:.1}")} y={format!("{:.1}", scale.bars_top())}
                        width={format!("{:.1}", (b - a).max(2.0))} height={format!("{BARS_H}")} />
                }
            </svg>
            <p class="visually-hidden" id="timeline-help">
                { "Drag across the bars to show only the requests of that time in the table. With the chart focused, the arrow keys select one bar, Shift with an arrow widens or narrows the selection, Escape clears it." }
            </p>
            <ul class="tl-legend" aria-label="Status classes">
                { for CLASSES.iter().enumerate().map(|(k, name)| html! {
                    <li>
                        <svg class="tl-swatch" viewBox="0 0 14 14" aria-hidden="true">
                            <rect class={classes!("tl-seg", class_css(k))} x="0" y="0" width="14" height="14" />
                        </svg>
                        { format!("{name} ({})", totals[k]) }
                    </li>
                }) }
            </ul>
            <form class="tl-range" onsubmit={onsubmit} aria-label="Time range of the table">
                <label for="timeline-from">{ format!("From ({zone})") }</label>
                <input id="timeline-from" type="datetime-local" step="1" ref={from_input}
                    value={from_us.map(|u| input_value(u, props.local_time)).unwrap_or_default()} />
                <label for="timeline-to">{ format!("To, inclusive ({zone})") }</label>
                <input id="timeline-to" type="datetime-local" step="1" ref={to_input}
                    value={to_us.map(|u| input_value(u, props.local_time)).unwrap_or_default()} />
                <button class="button" type="submit" data-action="apply-time-range">{ "Apply" }</button>
                <button class="button" type="button" data-action="clear-time-range" disabled={!has_range} onclick={on_clear}>
                    { "Clear time range" }
                </button>
            </form>
            <p class="tl-status" role="status">{ range_text }</p>
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct ChartBodyProps {
    timeline: Rc<Timeline>,
    markers: Rc<Vec<Marker>>,
    local_time: bool,
    on_marker: Callback<usize>,
}

/// Patterns, bars, axis and markers: drawn once per analysis (and when the time zone toggles).
#[component]
fn ChartBody(props: &ChartBodyProps) -> Html {
    let t = &props.timeline;
    let scale = Scale::new(t, props.markers.len());
    let local = props.local_time;
    let max = t
        .buckets
        .iter()
        .map(|b| b.iter().map(|&n| n as u64).sum::<u64>())
        .max()
        .unwrap_or(0)
        .max(1);
    let top = scale.bars_top();
    let bottom = scale.bars_bottom();
    let slot = Scale::plot_w() / scale.n as f64;
    let gap = if slot > 4.0 { 1.0 } else { 0.0 };
    let width_us = scale.width;
    let bars = t.buckets.iter().enumerate().filter_map(|(i, b)| {
        let total: u64 = b.iter().map(|&n| n as u64).sum();
        if total == 0 {
            return None;
        }
        let x = scale.x_of_bucket(i);
        let start = t.bucket_start_micros(i);
        let what: Vec<String> = b
            .iter()
            .zip(CLASSES)
            .filter(|(n, _)| **n > 0)
            .map(|(n, c)| format!("{n} {c}"))
            .collect();
        let title = format!(
            "{} – {}: {}",
            show(&iso(start), local),
            show(&iso(start.saturating_add(width_us)), local),
            what.join(", ")
        );
        let mut y = bottom;
        let segs = b.iter().enumerate().filter(|(_, n)| **n > 0).map(|(k, n)| {
            let h = *n as f64 / max as f64 * BARS_H;
            y -= h;
            html! {
                <rect class={classes!("tl-seg", class_css(k))} x={format!("{x:.2}")} y={format!("{y:.2}")}
                    width={format!("{:.2}", (slot - gap).max(0.5))} height={format!("{h:.2}")} />
            }
        }).collect::<Html>();
        Some(html! {
            <g class="tl-bar" data-bucket={i.to_string()} data-count={total.to_string()}>
                <title>{ title }</title>
                { segs }
            </g>
        })
    });
    let (step, tick_secs) = ticks(t);
    let axis = tick_secs.into_iter().map(|s| {
        let x = scale.x_of_time(s.saturating_mul(MICROS));
        html! {
            <g class="tl-tick">
                <line x1={format!("{x:.1}")} x2={format!("{x:.1}")} y1={format!("{bottom}")} y2={format!("{}", bottom + 4.0)} />
                <text x={format!("{x:.1}")} y={format!("{}", bottom + 17.0)} text-anchor="middle">{ tick_label(s, step, local) }</text>
            </g>
        }
    });
    let markers = props.markers.iter().enumerate().map(|(i, m)| {
        let lane = i % MAX_LANES;
        let a = scale.x_of_time(m.from);
        let b = scale.x_of_time(m.to).max(a + 3.0);
        let label = format!(
            "{} ({}), {} to {}: show these requests",
            m.rule,
            m.severity,
            show(&m.first, local),
            show(&m.last, local)
        );
        let on_click = props.on_marker.reform(move |_: MouseEvent| i);
        let on_key = {
            let on_marker = props.on_marker.clone();
            Callback::from(move |e: KeyboardEvent| {
                if e.key() == "Enter" || e.key() == " " {
                    e.prevent_default();
                    e.stop_propagation();
                    on_marker.emit(i);
                }
            })
        };
        html! {
            <rect class={classes!("tl-marker", format!("sev-{}", m.severity))} data-timeline-marker={m.rule.clone()}
                role="button" tabindex="0" aria-label={label}
                x={format!("{a:.1}")} y={format!("{}", TOP + lane as f64 * LANE)} width={format!("{:.1}", b - a)} height={format!("{}", LANE - 3.0)}
                onclick={on_click} onkeydown={on_key}>
                <title>{ format!("{}: {}", m.rule, m.title) }</title>
            </rect>
        }
    });
    html! {
        <>
            <defs>
                <pattern id="tl-p3" width="4" height="4" patternUnits="userSpaceOnUse">
                    <rect class="tl-bg3" width="4" height="4" />
                    <path class="tl-ink" d="M1 0V4" />
                </pattern>
                <pattern id="tl-p4" width="5" height="5" patternUnits="userSpaceOnUse">
                    <rect class="tl-bg4" width="5" height="5" />
                    <path class="tl-ink" d="M-1 1L1 -1M0 5L5 0M4 6L6 4" />
                </pattern>
                <pattern id="tl-p5" width="5" height="5" patternUnits="userSpaceOnUse">
                    <rect class="tl-bg5" width="5" height="5" />
                    <path class="tl-ink" d="M0 0L5 5M5 0L0 5" />
                </pattern>
                <pattern id="tl-pn" width="4" height="4" patternUnits="userSpaceOnUse">
                    <rect class="tl-bgn" width="4" height="4" />
                    <circle class="tl-dot" cx="2" cy="2" r="0.9" />
                </pattern>
            </defs>
            <rect class="tl-plot" x={format!("{PAD_L}")} y={format!("{top}")} width={format!("{}", Scale::plot_w())} height={format!("{BARS_H}")} />
            <line class="tl-axis" x1={format!("{PAD_L}")} x2={format!("{}", W - PAD_R)} y1={format!("{bottom}")} y2={format!("{bottom}")} />
            <text class="tl-ylabel" x={format!("{}", PAD_L - 6.0)} y={format!("{}", top + 10.0)} text-anchor="end">{ max.to_string() }</text>
            <text class="tl-ylabel" x={format!("{}", PAD_L - 6.0)} y={format!("{bottom}")} text-anchor="end">{ "0" }</text>
            <g class="tl-bars">{ for bars }</g>
            <g class="tl-axis-labels" aria-hidden="true">{ for axis }</g>
            <g class="tl-markers">{ for markers }</g>
        </>
    }
}

#[cfg(test)]
#[path = "timeline_tests.rs"]
mod tests;
