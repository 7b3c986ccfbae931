//! The landing: drop zone, file and folder pickers, paste box, examples.

use wasm_bindgen::JsCast;
use web_sys::{DragEvent, File, HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;

use crate::examples::EXAMPLES;

#[derive(Properties, PartialEq)]
pub struct DropZoneProps {
    pub on_files: Callback<Vec<File>>,
    pub on_paste: Callback<String>,
    pub on_example: Callback<&'static str>,
    /// Smaller layout once a report is shown (adding files re-runs the analysis).
    #[prop_or_default]
    pub compact: bool,
}

fn files_of(list: Option<web_sys::FileList>) -> Vec<File> {
    let Some(list) = list else {
        return Vec::new();
    };
    (0..list.length()).filter_map(|i| list.get(i)).collect()
}

#[component]
pub fn DropZone(props: &DropZoneProps) -> Html {
    let hover = use_state(|| false);
    let paste = use_node_ref();

    let ondragover = {
        let hover = hover.clone();
        Callback::from(move |e: DragEvent| {
            // Without preventDefault the browser never fires `drop`.
            e.prevent_default();
            hover.set(true);
        })
    };
    let ondragleave = {
        let hover = hover.clone();
        Callback::from(move |_: DragEvent| hover.set(false))
    };
    let ondrop = {
        let hover = hover.clone();
        let on_files = props.on_files.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            hover.set(false);
            let files = files_of(e.data_transfer().and_then(|d| d.files()));
            if !files.is_empty() {
                on_files.emit(files);
            }
        })
    };
    let onchange = {
        let on_files = props.on_files.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let files = files_of(input.files());
            // Reset so choosing the same file again fires `change` again.
            input.set_value("");
            if !files.is_empty() {
                on_files.emit(files);
            }
        })
    };
    let on_paste_click = {
        let paste = paste.clone();
        let on_paste = props.on_paste.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(t) = paste.cast::<HtmlTextAreaElement>() {
                let text = t.value();
                if !text.trim().is_empty() {
                    on_paste.emit(text);
                }
            }
        })
    };
    let on_paste_key = {
        let paste = paste.clone();
        let on_paste = props.on_paste.clone();
        Callback::from(move |e: KeyboardEvent| {
            // Ctrl/Cmd+Enter analyses the pasted text.
            if e.key() == "Enter" && (e.ctrl_key() || e.meta_key()) {
                e.prevent_default();
                if let Some(t) = e
                    .target()
                    .and_then(|t| t.dyn_into::<HtmlTextAreaElement>().ok())
                {
                    let text = t.value();
                    if !text.trim().is_empty() {
                        on_paste.emit(text);
                    }
                }
                let _ = &paste;
            }
        })
    };

    let zone_class = classes!(
        "drop-zone",
        hover.then_some("hover"),
        props.compact.then_some("compact")
    );
    html! {
        <section class="landing" aria-label="Add logs">
            <div class={zone_class} data-drop-zone="" {ondragover} {ondragleave} {ondrop}>
                <p class="drop-title">{ "Drop log files or a folder here" }</p>
                <p class="drop-sub">
                    { "SDK client logs, server-side logs ($logs, resource logs), metrics exports, HAR files, console text. " }
                    { "They are read in this browser tab; nothing is uploaded." }
                </p>
                <div class="pickers">
                    <label class="button primary" for="file-input">{ "Choose files…" }</label>
                    <input id="file-input" type="file" multiple=true class="visually-hidden" onchange={onchange.clone()} />
                    <label class="button" for="folder-input">{ "Choose a folder…" }</label>
                    <input id="folder-input" type="file" webkitdirectory=true multiple=true class="visually-hidden" onchange={onchange} />
                </div>
            </div>
            if !props.compact {
                <div class="paste">
                    <label for="paste-input">{ "…or paste text: console errors, an error response, a SAS URL, log lines" }</label>
                    <textarea id="paste-input" ref={paste} rows="5" spellcheck="false" onkeydown={on_paste_key}
                        placeholder="Access to XMLHttpRequest at 'https://…' from origin '…' has been blocked by CORS policy…" />
                    <button class="button" data-action="analyze-paste" onclick={on_paste_click}>{ "Analyze pasted text" }</button>
                </div>
                <div class="examples">
                    <h2>{ "Try an example" }</h2>
                    <ul>
                        { for EXAMPLES.iter().map(|ex| {
                            let on_example = props.on_example.clone();
                            let id = ex.id;
                            html! {
                                <li>
                                    <button class="example" data-example={id} data-expect={ex.expect} onclick={Callback::from(move |_: MouseEvent| on_example.emit(id))}>
                                        <span class="example-title">{ ex.title }</span>
                                        <span class="example-blurb">{ ex.blurb }</span>
                                    </button>
                                </li>
                            }
                        }) }
                    </ul>
                </div>
            }
        </section>
    }
}
