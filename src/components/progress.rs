//! Progress of the running analysis, with Cancel.

use yew::prelude::*;

use crate::state::Progress;

#[derive(Properties, PartialEq)]
pub struct ProgressProps {
    pub progress: Option<Progress>,
    pub names: Vec<String>,
    pub on_cancel: Callback<()>,
}

fn mb(x: f64) -> String {
    format!("{:.1} MB", x / 1_000_000.0)
}

#[component]
pub fn ProgressPanel(props: &ProgressProps) -> Html {
    let (value, max, label) = match &props.progress {
        Some(p) if p.all_total > 0.0 => (
            p.all_done,
            p.all_total,
            format!(
                "Reading {} — {} of {}",
                p.file_name,
                mb(p.all_done),
                mb(p.all_total)
            ),
        ),
        _ => (0.0, 1.0, format!("Reading {}", props.names.join(", "))),
    };
    let on_cancel = props.on_cancel.clone();
    html! {
        <section class="progress-panel" aria-live="polite">
            <label for="ingest-progress">{ label }</label>
            <progress id="ingest-progress" data-progress="" value={value.to_string()} max={max.to_string()}></progress>
            <button class="button" data-action="cancel" onclick={Callback::from(move |_: MouseEvent| on_cancel.emit(()))}>
                { "Cancel" }
            </button>
        </section>
    }
}
