//! A shared report (`#/report/<payload>`): someone's findings, read only, on whatever copy of the
//! page the link points at. The payload is decoded by the core into the CLI's JSON schema and
//! read through [`ReportView`], like every report the page shows, so the same components render
//! it. Nothing of it is sent anywhere: the fragment stays in the browser.

use std::rc::Rc;

use storage_doctor_core::report::share;
use yew::prelude::*;

use crate::components::findings::FindingsList;
use crate::components::inputs::InputsPanel;
use crate::report_view::ReportView;

#[derive(Properties, PartialEq)]
pub struct SharedReportProps {
    /// The text after `#/report/`.
    pub payload: String,
}

/// Decodes a payload, with the message the page shows when it cannot.
pub fn read_payload(payload: &str) -> Result<ReportView, String> {
    let json = share::decode_to_json(payload).map_err(|e| capitalize(&e.to_string()))?;
    ReportView::parse(&json)
}

/// Core messages are sentence fragments ("the link is damaged…"); the page shows them alone.
pub(crate) fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[component]
pub fn SharedReportPage(props: &SharedReportProps) -> Html {
    let report = use_memo(props.payload.clone(), |p| read_payload(p).map(Rc::new));
    html! {
        <>
            <header class="top">
                <a class="brand" href="#/">{ "Storage Doctor" }</a>
                <span class="tagline">{ "Why did my Azure Storage requests fail?" }</span>
            </header>
            {
                match &*report {
                    Ok(r) => html! {
                        <main data-state="done">
                            <p class="shared-banner" data-shared-report="" role="note">
                                <strong>{ "Shared report — read only; the logs are not included." }</strong>
                                { " Someone sent you these findings in a link. To diagnose your own logs, " }
                                <a href="#/">{ "open the analyzer" }</a>
                                { "." }
                            </p>
                            <FindingsList report={r.clone()} />
                            <InputsPanel inputs={r.inputs.clone()} />
                        </main>
                    },
                    Err(message) => html! {
                        <main data-state="error">
                            <div class="error-box" role="alert" data-share-error="">
                                <h2>{ "This shared report cannot be opened" }</h2>
                                <p>{ message }</p>
                                <p>{ "Ask for the link again, copied in full. " }<a href="#/">{ "Open the analyzer" }</a></p>
                            </div>
                        </main>
                    },
                }
            }
            <footer class="bottom">
                <p>{ "This report was decoded inside this page from the link itself; opening it sent nothing anywhere." }</p>
            </footer>
        </>
    }
}
