//! Findings: cards ordered by severity, expected errors grouped apart.

use yew::prelude::*;

use super::cors_forms::CorsForms;
use super::progressive::use_drawn_progressively;
use std::rc::Rc;

use crate::report_view::{FindingView, ReportView};

#[derive(Properties)]
pub struct FindingsProps {
    /// The report whose findings and summary are shown.
    pub report: Rc<ReportView>,
    /// An evidence row was chosen: (path, line) of the observation.
    #[prop_or_default]
    pub on_evidence: Callback<(String, u64)>,
}

impl PartialEq for FindingsProps {
    /// The same report object: a report is never changed in place, and comparing its findings
    /// field by field on every render of the page (each scroll of the table renders it) cost
    /// more than drawing the table's rows.
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.report, &other.report) && self.on_evidence == other.on_evidence
    }
}

/// Finding cards drawn in the first task, then per later task.
const CARDS_FIRST: usize = 4;
const CARDS_PER_STEP: usize = 3;

#[component]
pub fn FindingsList(props: &FindingsProps) -> Html {
    let (benign, main): (Vec<&FindingView>, Vec<&FindingView>) = props
        .report
        .findings
        .iter()
        .partition(|f| f.severity == "benign");
    // Cards in list order (problems, then expected errors), a few per task.
    let drawn = use_drawn_progressively(props.report.findings.len(), CARDS_FIRST, CARDS_PER_STEP);
    let main_drawn = drawn.min(main.len());
    let benign_drawn = drawn - main_drawn;
    let s = &props.report.summary;
    html! {
        <section class="findings" aria-label="Findings">
            <h2>{ "Findings" }</h2>
            if let Some(p) = s.success_percent {
                <p class="success-rate">
                    { format!("Success rate {p}%") }
                    if let Some(a) = s.adjusted_success_percent {
                        { format!(" — {a}% once expected errors are set aside") }
                    }
                </p>
            }
            if main.is_empty() && benign.is_empty() {
                <p class="all-clear">{ "No problems found in these logs." }</p>
            }
            { for main.iter().take(main_drawn).map(|f| html! { <FindingCard finding={(*f).clone()} on_evidence={props.on_evidence.clone()} /> }) }
            if !benign.is_empty() {
                <details class="expected" open={main.is_empty()}>
                    <summary>{ format!("Expected errors ({})", benign.len()) }</summary>
                    { for benign.iter().take(benign_drawn).map(|f| html! { <FindingCard finding={(*f).clone()} on_evidence={props.on_evidence.clone()} /> }) }
                </details>
            }
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct FindingCardProps {
    pub finding: FindingView,
    #[prop_or_default]
    pub on_evidence: Callback<(String, u64)>,
}

fn severity_label(s: &str) -> &'static str {
    match s {
        "error" => "Error",
        "warning" => "Warning",
        "info" => "Info",
        "benign" => "Expected",
        _ => "Note",
    }
}

/// Evidence rows drawn per finding before "Show all".
pub const EVIDENCE_ROWS_FIRST: usize = 10;

#[component]
pub fn FindingCard(props: &FindingCardProps) -> Html {
    let f = &props.finding;
    let class = classes!("finding", format!("sev-{}", f.severity));
    let shown = f.evidence.len();
    // A large log gives dozens of findings with up to 50 evidence rows each: drawing them all at
    // once made one main-thread task of a third of a second when the analysis finished. The
    // first rows are drawn; the rest on request.
    let all_rows = use_state(|| false);
    let drawn = if *all_rows {
        shown
    } else {
        shown.min(EVIDENCE_ROWS_FIRST)
    };
    let show_all = {
        let all_rows = all_rows.clone();
        Callback::from(move |_: MouseEvent| all_rows.set(true))
    };
    html! {
        <article {class} data-rule={f.rule.clone()} data-severity={f.severity.clone()} tabindex="-1">
            <header>
                <span class="badge severity">{ severity_label(&f.severity) }</span>
                <h3>{ &f.title }</h3>
                <code class="rule-id">{ &f.rule }</code>
            </header>
            <p class="meta">
                { format!("{} occurrence{}", f.count, if f.count == 1 { "" } else { "s" }) }
                if let (Some(a), Some(b)) = (&f.first_seen, &f.last_seen) {
                    { if a == b { format!(" · {a}") } else { format!(" · {a} → {b}") } }
                }
                { format!(" · confidence {}", f.confidence.level) }
            </p>
            <p class="explanation">{ &f.explanation }</p>
            <h4>{ "How to fix it" }</h4>
            <ol class="fix">
                { for f.fix.iter().map(|s| html! { <li>{ s }</li> }) }
            </ol>
            if !f.confidence.raise_with.is_empty() {
                <p class="raise"><strong>{ "To be surer: " }</strong>{ &f.confidence.raise_with }</p>
            }
            if !f.evidence.is_empty() {
                <details class="evidence" open=true>
                    <summary>{ format!("Evidence ({} of {})", shown, f.count) }</summary>
                    <div class="table-wrap">
                        <table>
                            <thead>
                                <tr>
                                    <th scope="col">{ "where" }</th>
                                    <th scope="col">{ "time (UTC)" }</th>
                                    <th scope="col">{ "status" }</th>
                                    <th scope="col">{ "client request id" }</th>
                                    <th scope="col">{ "details" }</th>
                                </tr>
                            </thead>
                            <tbody>
                                { for f.evidence.iter().take(drawn).map(|e| {
                                    let pick = props.on_evidence.clone();
                                    let pick_key = props.on_evidence.clone();
                                    let at = (e.path.clone(), e.line);
                                    let at_key = at.clone();
                                    html! {
                                    <tr data-evidence="" tabindex="0" title="Open this request"
                                        onclick={Callback::from(move |_: MouseEvent| pick.emit(at.clone()))}
                                        onkeydown={Callback::from(move |e: KeyboardEvent| if e.key() == "Enter" { pick_key.emit(at_key.clone()) })}>
                                        <td class="where">{ format!("{}:{}", e.path, e.line) }</td>
                                        <td>{ e.time.clone().unwrap_or_default() }</td>
                                        <td>{ e.status.map(|s| s.to_string()).unwrap_or_default() }{ " " }{ &e.error_code }</td>
                                        <td class="mono">{ &e.client_request_id }</td>
                                        <td>
                                            <dl class="fields">
                                                { for e.fields.iter().map(|(k, v)| html! {
                                                    <><dt>{ k }</dt><dd>{ v }</dd></>
                                                }) }
                                            </dl>
                                        </td>
                                    </tr>
                                }}) }
                            </tbody>
                        </table>
                    </div>
                    if drawn < shown {
                        <button class="button show-all-evidence" data-action="show-all-evidence" onclick={show_all}>
                            { format!("Show all {shown} evidence rows") }
                        </button>
                    }
                </details>
            }
            if let Some(rule) = &f.cors_rule {
                <div class="cors-rule" data-cors-rule={rule.service.clone()}>
                    <h4>{ format!("CORS rule to add on the {} service", rule.service) }</h4>
                    <dl class="fields">
                        <dt>{ "allowed origins" }</dt><dd>{ rule.allowed_origins.join(", ") }</dd>
                        <dt>{ "allowed methods" }</dt><dd>{ rule.allowed_methods.join(", ") }</dd>
                        <dt>{ "allowed headers" }</dt><dd>{ rule.allowed_headers.join(", ") }</dd>
                        <dt>{ "exposed headers" }</dt><dd>{ rule.exposed_headers.join(", ") }</dd>
                        <dt>{ "max age" }</dt><dd>{ format!("{} s", rule.max_age_seconds) }</dd>
                    </dl>
                    <CorsForms forms={f.cors_forms.clone()} />
                </div>
            }
            if let Some(k) = &f.kql {
                <details class="kql">
                    <summary>{ "Find this in Log Analytics (KQL)" }</summary>
                    <pre tabindex="0" aria-label="KQL query"><code>{ k }</code></pre>
                </details>
            }
        </article>
    }
}
