//! A CORS rule written out in every form, in tabs, each with a copy button.

use wasm_bindgen::JsValue;
use yew::prelude::*;

use crate::report_view::CorsFormView;

#[derive(Properties, PartialEq)]
pub struct CorsFormsProps {
    pub forms: Vec<CorsFormView>,
}

/// Copies text with the asynchronous clipboard API (no permission prompt for a user gesture).
pub fn copy_to_clipboard(text: &str) {
    let Some(w) = web_sys::window() else { return };
    let nav = w.navigator();
    let Ok(clip) = js_sys::Reflect::get(&nav, &JsValue::from_str("clipboard")) else {
        return;
    };
    if let Ok(f) = js_sys::Reflect::get(&clip, &JsValue::from_str("writeText")) {
        if let Some(f) = wasm_bindgen::JsCast::dyn_ref::<js_sys::Function>(&f) {
            let _ = f.call1(&clip, &JsValue::from_str(text));
        }
    }
}

#[component]
pub fn CorsForms(props: &CorsFormsProps) -> Html {
    let tab = use_state(|| 0usize);
    let copied = use_state(|| false);
    if props.forms.is_empty() {
        return html! {};
    }
    let current = (*tab).min(props.forms.len() - 1);
    let form = &props.forms[current];
    let on_copy = {
        let text = form.text.clone();
        let copied = copied.clone();
        Callback::from(move |_: MouseEvent| {
            copy_to_clipboard(&text);
            copied.set(true);
        })
    };
    html! {
        <div class="cors-forms" data-cors-forms="">
            <div role="tablist" aria-label="Where to apply the rule" class="tabs">
                { for props.forms.iter().enumerate().map(|(i, f)| {
                    let tab = tab.clone();
                    let copied = copied.clone();
                    html! {
                        <button role="tab" aria-selected={(i == current).to_string()} class={classes!("tab", (i == current).then_some("active"))}
                            onclick={Callback::from(move |_: MouseEvent| { tab.set(i); copied.set(false); })}>
                            { &f.name }
                        </button>
                    }
                }) }
            </div>
            <div role="tabpanel" class="tab-panel">
                <button class="button copy" data-action="copy" onclick={on_copy}>{ if *copied { "Copied" } else { "Copy" } }</button>
                <pre tabindex="0" aria-label={format!("{} form", form.name)}><code>{ &form.text }</code></pre>
            </div>
        </div>
    }
}
