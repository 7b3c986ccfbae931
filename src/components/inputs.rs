//! Per-file results: detected format, confidence, counts, notices, skipped lines.

use storage_doctor_core::formats;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

use crate::report_view::InputView;

#[derive(Properties, PartialEq)]
pub struct InputsProps {
    pub inputs: Vec<InputView>,
    /// Re-run with this input read as the given format (`None`: detect again).
    #[prop_or_default]
    pub on_format: Callback<(String, Option<String>)>,
}

#[component]
pub fn InputsPanel(props: &InputsProps) -> Html {
    html! {
        <section class="inputs" aria-label="Files read">
            <h2>{ "Files" }</h2>
            <ul>
                { for props.inputs.iter().map(|i| html! { <InputRow input={i.clone()} on_format={props.on_format.clone()} /> }) }
            </ul>
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct InputRowProps {
    input: InputView,
    on_format: Callback<(String, Option<String>)>,
}

fn format_label(id: &str) -> &str {
    if id == "unknown" {
        "not recognised"
    } else {
        id
    }
}

#[component]
fn InputRow(props: &InputRowProps) -> Html {
    let i = &props.input;
    let unknown = i.format == "unknown";
    let class = classes!("input", unknown.then_some("unknown"));
    let forced = i
        .notices
        .iter()
        .any(|n| n.starts_with("format set by the user"));
    let on_change = {
        let cb = props.on_format.clone();
        let path = i.path.clone();
        Callback::from(move |e: Event| {
            let sel: HtmlSelectElement = e.target_unchecked_into();
            let v = sel.value();
            cb.emit((path.clone(), (!v.is_empty()).then_some(v)));
        })
    };
    let select_id = format!(
        "format-{}",
        i.path.replace(|c: char| !c.is_ascii_alphanumeric(), "-")
    );
    html! {
        <li {class} data-input="" data-format={i.format.clone()} data-events={i.events.to_string()} data-skipped={i.skipped_total.to_string()}>
            <div class="input-head">
                <span class="input-name">{ &i.path }</span>
                <span class="badge format">{ format_label(&i.format) }</span>
                if !unknown {
                    <span class="muted">{ format!("{:.0}% sure", i.confidence * 100.0) }</span>
                }
                if i.format != "zip" {
                    <label class="format-override" for={select_id.clone()}>
                        <span class="visually-hidden">{ format!("Format of {}", i.path) }</span>
                        <select id={select_id} data-format-select="" onchange={on_change}>
                            <option value="" selected={!forced}>{ "detect automatically" }</option>
                            { for formats::registry().iter().map(|f| html! {
                                <option value={f.id()} selected={forced && f.id() == i.format}>{ format!("read as {}", f.name()) }</option>
                            }) }
                        </select>
                    </label>
                }
            </div>
            <div class="input-counts">
                { format!("{} events from {} lines", i.events, i.lines) }
                if i.skipped_total > 0 {
                    { format!(", {} lines skipped", i.skipped_total) }
                }
                if let Some([a, b]) = &i.time_range {
                    <span class="muted">{ format!(" · {a} → {b}") }</span>
                }
            </div>
            { for i.notices.iter().map(|n| html! { <p class="notice" role="note">{ n }</p> }) }
            if !i.skipped.is_empty() {
                <details class="skipped">
                    <summary>{ format!("Skipped lines ({})", i.skipped_total) }</summary>
                    <table>
                        <thead><tr><th scope="col">{ "line" }</th><th scope="col">{ "why" }</th></tr></thead>
                        <tbody>
                            { for i.skipped.iter().map(|s| html! {
                                <tr><td class="num">{ s.line }</td><td>{ &s.reason }</td></tr>
                            }) }
                        </tbody>
                    </table>
                    if i.skipped_total as usize > i.skipped.len() {
                        <p class="muted">{ format!("First {} of {} shown.", i.skipped.len(), i.skipped_total) }</p>
                    }
                </details>
            }
        </li>
    }
}
