//! One request in detail: every observation side by side (client log, HAR, server log) with its
//! raw lines re-read from the file, the attempts in order, and the SAS on its URL decoded.

use std::rc::Rc;

use storage_doctor_core::report::table::RequestDetail;
use yew::prelude::*;

use super::time::show;
use crate::protocol::RawText;

#[derive(Properties, PartialEq)]
pub struct DetailProps {
    pub detail: Rc<(RequestDetail, Vec<RawText>)>,
    pub local_time: bool,
    pub on_close: Callback<()>,
}

#[component]
pub fn RequestDetailPanel(props: &DetailProps) -> Html {
    let (d, raw) = &*props.detail;
    let close = props.on_close.clone();
    let close_key = props.on_close.clone();
    let heading = use_node_ref();
    {
        // Move focus to the panel so keyboard users land on what they opened.
        let heading = heading.clone();
        use_effect_with(d.request, move |_| {
            if let Some(h) = heading.cast::<web_sys::HtmlElement>() {
                let _ = h.focus();
            }
        });
    }
    let attempts = d.observations.len();
    html! {
        <section class="request-detail" data-request-detail={d.request.to_string()} aria-label="Request detail"
            onkeydown={Callback::from(move |e: KeyboardEvent| if e.key() == "Escape" { close_key.emit(()) })}>
            <header>
                <h2 tabindex="-1" ref={heading}>{ format!("Request detail — {attempts} observation{}", if attempts == 1 { "" } else { "s" }) }</h2>
                <button class="button" data-action="close-detail" onclick={Callback::from(move |_: MouseEvent| close.emit(()))}>{ "Close" }</button>
            </header>
            <ol class="observations">
                { for d.observations.iter().map(|o| {
                    let text = raw.iter().find(|r| r.event == o.event);
                    html! {
                        <li class={classes!("observation", format!("src-{}", o.source))} data-observation={o.source.clone()}>
                            <h3>
                                <span class={classes!("src", format!("src-{}", o.source))}>{ &o.source }</span>
                                { format!(" {}:{}", o.path, o.line) }
                            </h3>
                            <dl class="fields">
                                if let Some(t) = &o.time { <><dt>{ "time" }</dt><dd>{ show(t, props.local_time) }</dd></> }
                                if !o.method.is_empty() { <><dt>{ "method" }</dt><dd>{ &o.method }</dd></> }
                                if !o.operation.is_empty() { <><dt>{ "operation" }</dt><dd>{ &o.operation }</dd></> }
                                if o.status != 0 { <><dt>{ "status" }</dt><dd>{ o.status }</dd></> }
                                if !o.error_code.is_empty() { <><dt>{ "error code" }</dt><dd>{ &o.error_code }</dd></> }
                                if !o.client_request_id.is_empty() { <><dt>{ "client request id" }</dt><dd>{ &o.client_request_id }</dd></> }
                                if !o.request_id.is_empty() { <><dt>{ "request id" }</dt><dd>{ &o.request_id }</dd></> }
                                { for o.fields.iter().map(|(k, v)| html! { <><dt>{ k.replace('_', " ") }</dt><dd>{ v }</dd></> }) }
                            </dl>
                            if let Some(t) = text {
                                if let Some(why) = &t.unavailable {
                                    <p class="muted">{ why }</p>
                                } else {
                                    <details class="raw" open=true>
                                        <summary>{ "Raw lines" }</summary>
                                        <pre class="raw-lines" data-raw="" tabindex="0" aria-label={format!("Raw lines of {} from line {}", o.path, o.line)}>
                                            { for t.lines.iter().map(|(n, l)| html! {
                                                <span class="raw-line"><span class="ln">{ format!("{n:>6}  ") }</span>{ l }{ "\n" }</span>
                                            }) }
                                        </pre>
                                    </details>
                                }
                            }
                        </li>
                    }
                }) }
            </ol>
            if !d.sas.is_empty() {
                <div class="sas-decoded">
                    <h3>{ "SAS on this request" }</h3>
                    <table>
                        <thead><tr><th scope="col">{ "field" }</th><th scope="col">{ "meaning" }</th><th scope="col">{ "value" }</th></tr></thead>
                        <tbody>
                            { for d.sas.iter().map(|(k, name, v)| html! { <tr><td><code>{ k }</code></td><td>{ name }</td><td class="mono">{ v }</td></tr> }) }
                        </tbody>
                    </table>
                </div>
            }
        </section>
    }
}
