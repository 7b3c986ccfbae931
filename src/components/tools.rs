//! The standalone tools (`#/cors`, `#/sas`): small inputs, computed on the page with the core.

use storage_doctor_core::knowledge::cors::check;
use storage_doctor_core::knowledge::sas::SasToken;
use storage_doctor_core::model::{Field, Service, Timestamp};
use storage_doctor_core::Ingest;
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

use super::cors_forms::CorsForms;
use crate::report_view::CorsFormView;

/// The failing request found in pasted console text (or HAR/log text): origin, method, headers.
fn request_from_text(text: &str) -> Option<(String, String, Vec<String>, Service)> {
    let mut ing = Ingest::new();
    ing.begin("pasted text", None).ok()?;
    ing.feed(text.as_bytes());
    let ds = ing.finish();
    let found = ds.iter().find_map(|v| {
        let origin = v.extra(Field::Origin)?.to_string();
        let method = v
            .extra(Field::AccessControlRequestMethod)
            .map(str::to_string)
            .or_else(|| {
                (!v.ev.method.as_str().is_empty()).then(|| v.ev.method.as_str().to_string())
            })
            .filter(|m| m != "OPTIONS")
            .unwrap_or_else(|| "GET".to_string());
        let headers = v
            .extra(Field::AccessControlRequestHeaders)
            .map(|h| {
                h.split(',')
                    .map(|x| x.trim().to_string())
                    .filter(|x| !x.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        Some((origin, method, headers, v.ev.service))
    });
    found
}

#[component]
pub fn CorsTool() -> Html {
    let rules = use_node_ref();
    let console = use_node_ref();
    let origin = use_node_ref();
    let method = use_node_ref();
    let headers = use_node_ref();
    let service = use_node_ref();
    let result =
        use_state(|| None::<Result<storage_doctor_core::knowledge::cors::CorsCheck, String>>);

    let run = {
        let (rules, console, origin, method, headers, service, result) = (
            rules.clone(),
            console.clone(),
            origin.clone(),
            method.clone(),
            headers.clone(),
            service.clone(),
            result.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let val = |r: &NodeRef| {
                r.cast::<HtmlInputElement>()
                    .map(|i| i.value())
                    .unwrap_or_default()
            };
            let area = |r: &NodeRef| {
                r.cast::<HtmlTextAreaElement>()
                    .map(|i| i.value())
                    .unwrap_or_default()
            };
            let mut o = val(&origin);
            let mut m = val(&method);
            let mut h: Vec<String> = val(&headers)
                .split(',')
                .map(|x| x.trim().to_string())
                .filter(|x| !x.is_empty())
                .collect();
            let mut svc = match service
                .cast::<HtmlSelectElement>()
                .map(|s| s.value())
                .as_deref()
            {
                Some("queue") => Some(Service::Queue),
                Some("table") => Some(Service::Table),
                Some("file") => Some(Service::File),
                Some("blob") => Some(Service::Blob),
                _ => None,
            };
            let text = area(&console);
            if !text.trim().is_empty() {
                match request_from_text(&text) {
                    Some((to, tm, th, ts)) => {
                        if o.trim().is_empty() {
                            o = to;
                        }
                        if m.trim().is_empty() {
                            m = tm;
                        }
                        if h.is_empty() {
                            h = th;
                        }
                        if svc.is_none() && ts != Service::Unknown {
                            svc = Some(ts);
                        }
                    }
                    None => {
                        result.set(Some(Err("No CORS failure was found in the pasted text. Paste the browser console's error line(s), or fill in the origin and method.".into())));
                        return;
                    }
                }
            }
            if m.trim().is_empty() {
                m = "GET".into();
            }
            result.set(Some(check(&area(&rules), svc, o.trim(), m.trim(), &h)));
        })
    };

    html! {
        <section class="tool cors-tool" aria-label="CORS rule check">
            <h1>{ "CORS rule check" }</h1>
            <p class="muted">{ "Paste your storage account's current CORS rules and the failing request (or the browser's console error). You get the verdict, the rule that comes closest, what fails, and the change to make." }</p>
            <form onsubmit={run}>
                <label for="cors-rules">{ "Current CORS rules (Set Service Properties XML, or JSON from az storage cors list)" }</label>
                <textarea id="cors-rules" ref={rules} rows="8" spellcheck="false" />
                <label for="cors-console">{ "Console error text (optional: fills the fields below)" }</label>
                <textarea id="cors-console" ref={console} rows="4" spellcheck="false" />
                <div class="row">
                    <label>{ "Origin " }<input id="cors-origin" ref={origin} placeholder="https://app.contoso.com" /></label>
                    <label>{ "Method " }<input id="cors-method" ref={method} placeholder="PUT" size="8" /></label>
                    <label>{ "Request headers " }<input id="cors-headers" ref={headers} placeholder="x-ms-blob-type, content-type" /></label>
                    <label>{ "Service " }
                        <select id="cors-service" ref={service}>
                            <option value="">{ "from the rules / URL" }</option>
                            <option value="blob">{ "blob" }</option>
                            <option value="queue">{ "queue" }</option>
                            <option value="table">{ "table" }</option>
                            <option value="file">{ "file" }</option>
                        </select>
                    </label>
                </div>
                <button class="button primary" type="submit" data-action="cors-check">{ "Check" }</button>
            </form>
            { match &*result {
                None => html! {},
                Some(Err(e)) => html! { <p class="error-box" role="alert">{ e }</p> },
                Some(Ok(c)) => html! {
                    <div class={classes!("verdict", c.verdict)} data-verdict={c.verdict} role="status">
                        <h2>{ if c.verdict == "allowed" { "Allowed: the service lets this request through" } else { "Blocked: no rule allows this request" } }</h2>
                        <p>{ &c.explanation }</p>
                        { for c.warnings.iter().map(|w| html! { <p class="notice">{ w }</p> }) }
                        if !c.forms.is_empty() {
                            <h3>{ "The change to make" }</h3>
                            <CorsForms forms={c.forms.iter().map(|f| CorsFormView { name: f.name.clone(), text: f.text.clone() }).collect::<Vec<_>>()} />
                        }
                    </div>
                },
            } }
        </section>
    }
}

#[component]
pub fn SasTool() -> Html {
    let input = use_node_ref();
    let at = use_node_ref();
    let token = use_state(|| None::<Result<SasToken, String>>);
    let when = use_state(|| None::<Timestamp>);
    let run = {
        let (input, at, token, when) = (input.clone(), at.clone(), token.clone(), when.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let text = input
                .cast::<HtmlTextAreaElement>()
                .map(|t| t.value())
                .unwrap_or_default();
            let t = text.trim();
            let t = if t.contains('?') || t.contains('=') {
                t.to_string()
            } else {
                String::new()
            };
            token.set(Some(SasToken::from_url(&t).ok_or_else(|| {
                "No SAS token found: paste a URL with ?sv=…&sig=… or the query string itself."
                    .to_string()
            })));
            let a = at
                .cast::<HtmlInputElement>()
                .map(|i| i.value())
                .unwrap_or_default();
            when.set(Timestamp::parse(a.trim()));
        })
    };
    html! {
        <section class="tool sas-tool" aria-label="SAS decoder">
            <h1>{ "SAS decoder" }</h1>
            <p class="muted">{ "Paste a SAS URL or token. Every field is named and explained; the signature is never shown. It is decoded in this page only." }</p>
            <form onsubmit={run}>
                <label for="sas-input">{ "SAS URL or token" }</label>
                <textarea id="sas-input" ref={input} rows="4" spellcheck="false" />
                <label for="sas-at">{ "Request time to check it against (optional, UTC, e.g. 2024-03-05T02:00:13Z)" }</label>
                <input id="sas-at" ref={at} />
                <button class="button primary" type="submit" data-action="sas-decode">{ "Decode" }</button>
            </form>
            { match &*token {
                None => html! {},
                Some(Err(e)) => html! { <p class="error-box" role="alert">{ e }</p> },
                Some(Ok(t)) => {
                    let window = match (*when, t.start(), t.expiry()) {
                        (Some(w), _, Some(se)) if w >= se => Some(format!("At {w} this token had expired ({} after its expiry {se}).", human(w.seconds_since(se)))),
                        (Some(w), Some(st), _) if w < st => Some(format!("At {w} this token was not valid yet: it starts at {st}, {} later.", human(st.seconds_since(w)))),
                        (Some(w), _, Some(_)) => Some(format!("At {w} this token was inside its validity window.")),
                        _ => None,
                    };
                    html! {
                        <div class="sas-decoded" data-sas-decoded="">
                            if let Some(w) = window { <p class="notice" data-sas-window="">{ w }</p> }
                            if t.si.is_some() {
                                <p class="notice">{ "This token refers to a stored access policy (si). The policy's permissions and times live on the container, share, queue or table, not in the token: check them there." }</p>
                            }
                            if let Some(l) = t.lifetime_seconds() {
                                <p>{ format!("Lifetime: {}", human(l)) }</p>
                            }
                            <table>
                                <thead><tr><th scope="col">{ "field" }</th><th scope="col">{ "meaning" }</th><th scope="col">{ "value" }</th></tr></thead>
                                <tbody>
                                    { for t.described_fields().into_iter().map(|(k, name, v)| html! {
                                        <tr data-sas-field={k}><td><code>{ k }</code></td><td>{ name }</td><td class="mono">{ v }</td></tr>
                                    }) }
                                    if t.has_signature {
                                        <tr data-sas-field="sig"><td><code>{ "sig" }</code></td><td>{ "signature" }</td><td>{ "REDACTED (never shown)" }</td></tr>
                                    }
                                </tbody>
                            </table>
                        </div>
                    }
                }
            } }
        </section>
    }
}

fn human(secs: f64) -> String {
    let s = secs.abs().round() as i64;
    match s {
        0..=119 => format!("{s} s"),
        120..=7199 => format!("{} min", s / 60),
        7200..=172_799 => format!("{:.1} h", s as f64 / 3600.0),
        _ => format!("{} days", s / 86_400),
    }
}
