//! "Share": the whole report as a link (`#/report/<payload>`) to this copy of the page. The link
//! carries the findings, their evidence rows and the files' names — redacted again by the core —
//! and never the logs. It is copied to the clipboard when the browser allows it and always shown,
//! so it can be copied by hand.

use std::rc::Rc;

use storage_doctor_core::report::share;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::components::shared_report::capitalize;
use crate::routes::{page_address, Route};

#[derive(Properties, PartialEq)]
pub struct ShareProps {
    /// The report in the CLI's JSON schema (what the worker sent).
    pub report_json: Rc<str>,
}

#[derive(Clone, PartialEq)]
enum Shared {
    Link {
        url: String,
        /// Evidence rows per finding when the lists were shortened to fit.
        trimmed: Option<usize>,
        /// None while copying; then whether the clipboard took it.
        copied: Option<bool>,
    },
    Failed(String),
}

/// Writes to the clipboard if this browser exposes it here (it does only in secure contexts:
/// https, localhost or a file opened from disk).
async fn copy(text: String) -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let navigator = window.navigator();
    let available = js_sys::Reflect::get(&navigator, &JsValue::from_str("clipboard"))
        .map(|c| !c.is_undefined() && !c.is_null())
        .unwrap_or(false);
    if !available {
        return false;
    }
    JsFuture::from(navigator.clipboard().write_text(&text))
        .await
        .is_ok()
}

#[component]
pub fn ShareReport(props: &ShareProps) -> Html {
    let shared = use_state(|| None::<Shared>);
    // A new report makes an earlier link stale.
    {
        let shared = shared.clone();
        use_effect_with(props.report_json.clone(), move |_| shared.set(None));
    }
    let onclick = {
        let shared = shared.clone();
        let json = props.report_json.clone();
        Callback::from(move |_: MouseEvent| match share::encode_json(&json) {
            Ok(enc) => {
                let url = format!(
                    "{}{}",
                    page_address(),
                    Route::SharedReport(enc.payload).to_hash()
                );
                let trimmed = enc.evidence_per_finding;
                shared.set(Some(Shared::Link {
                    url: url.clone(),
                    trimmed,
                    copied: None,
                }));
                let shared = shared.clone();
                spawn_local(async move {
                    let ok = copy(url.clone()).await;
                    shared.set(Some(Shared::Link {
                        url,
                        trimmed,
                        copied: Some(ok),
                    }));
                });
            }
            Err(e) => shared.set(Some(Shared::Failed(capitalize(&e.to_string())))),
        })
    };
    let select_all = Callback::from(|e: FocusEvent| {
        if let Some(input) = e
            .target()
            .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
        {
            input.select();
        }
    });
    html! {
        <section class="share" aria-label="Share this report">
            <button class="button" data-action="share" {onclick}>{ "Share these findings…" }</button>
            {
                match &*shared {
                    None => html! {},
                    Some(Shared::Link { url, trimmed, copied }) => html! {
                        <div class="share-result" role="status">
                            <p>
                                {
                                    match copied {
                                        None => "Copying the link…",
                                        Some(true) => "Link copied to the clipboard.",
                                        Some(false) => "Copy this link:",
                                    }
                                }
                            </p>
                            <input class="share-link" data-share-link="" type="text" readonly=true
                                   aria-label="Link to these findings" value={url.clone()} onfocus={select_all} />
                            <p class="muted">
                                { "The link holds the findings, their evidence rows and the file names, with secrets removed — not your logs. Anyone who has it can read them; opening it sends nothing to a server." }
                            </p>
                            if let Some(n) = trimmed {
                                <p class="muted">{ format!("To fit in a link, each finding keeps its first {n} evidence row{}.", if *n == 1 { "" } else { "s" }) }</p>
                            }
                        </div>
                    },
                    Some(Shared::Failed(message)) => html! {
                        <p class="notice" role="alert">{ message }</p>
                    },
                }
            }
        </section>
    }
}
