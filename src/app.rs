//! The page: state, the worker bridge, and the layout.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_worker::{Spawnable, WorkerBridge};
use wasm_bindgen::JsValue;
use web_sys::File;
use yew::prelude::*;

use crate::codec::JsCodec;
use crate::components::drop_zone::DropZone;
use crate::components::findings::FindingsList;
use crate::components::inputs::InputsPanel;
use crate::components::progress::ProgressPanel;
use crate::components::share::ShareReport;
use crate::examples;
use crate::protocol::{FileJob, FromWorker, ToWorker};
use crate::report_view::ReportView;
use crate::state::{Action, Phase, Progress, State};
use crate::worker::IngestWorker;

/// Where the worker's loader is, relative to the page (so any sub-path works).
const WORKER_PATH: &str = "./worker_loader.js";

/// A `File` made from text (pasted text and built-in examples go through the same worker path
/// as dropped files).
fn text_file(name: &str, text: &str) -> Result<File, JsValue> {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    File::new_with_str_sequence(&parts, name)
}

/// The path to show for a file: the folder-relative path when picked from a folder.
fn display_name(f: &File) -> String {
    js_sys::Reflect::get(f, &JsValue::from_str("webkitRelativePath"))
        .ok()
        .and_then(|v| v.as_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| f.name())
}

#[component]
pub fn App() -> Html {
    let state = use_reducer(State::default);
    let next_job = use_mut_ref(|| 0u32);

    // One worker for the page's lifetime; its messages go through the reducer.
    let bridge: Rc<RefCell<Option<WorkerBridge<IngestWorker>>>> = {
        let dispatcher = state.dispatcher();
        use_memo((), move |_| {
            let cb = move |out: FromWorker| {
                let action = match out {
                    FromWorker::Progress {
                        job,
                        file_name,
                        done,
                        total,
                        all_done,
                        all_total,
                        ..
                    } => Action::Progress {
                        job,
                        progress: Progress {
                            file_name,
                            done,
                            total,
                            all_done,
                            all_total,
                        },
                    },
                    FromWorker::Done { job, report_json } => {
                        match ReportView::parse(&report_json) {
                            Ok(report) => Action::Finished { job, report },
                            Err(message) => Action::Failed { job, message },
                        }
                    }
                    FromWorker::Cancelled { job } => Action::Cancelled { job },
                    FromWorker::Failed { job, message } => Action::Failed { job, message },
                };
                dispatcher.dispatch(action);
            };
            let bridge = IngestWorker::spawner()
                .callback(cb)
                .encoding::<JsCodec>()
                .with_loader(true)
                .spawn(WORKER_PATH);
            RefCell::new(Some(bridge))
        })
    };

    let analyze = {
        let bridge = bridge.clone();
        let dispatcher = state.dispatcher();
        let next_job = next_job.clone();
        Callback::from(move |files: Vec<FileJob>| {
            let job = {
                let mut n = next_job.borrow_mut();
                *n += 1;
                *n
            };
            dispatcher.dispatch(Action::Started {
                job,
                names: files.iter().map(|f| f.name.clone()).collect(),
            });
            if let Some(b) = bridge.borrow().as_ref() {
                b.send(ToWorker::Analyze { job, files });
            }
        })
    };

    let on_files = {
        let analyze = analyze.clone();
        Callback::from(move |files: Vec<File>| {
            let jobs = files
                .into_iter()
                .map(|file| FileJob {
                    name: display_name(&file),
                    file,
                    format: None,
                })
                .collect();
            analyze.emit(jobs);
        })
    };
    let on_paste = {
        let analyze = analyze.clone();
        let dispatcher = state.dispatcher();
        Callback::from(move |text: String| match text_file("pasted text", &text) {
            Ok(file) => analyze.emit(vec![FileJob {
                file,
                name: "pasted text".into(),
                format: None,
            }]),
            Err(e) => dispatcher.dispatch(Action::Failed {
                job: 0,
                message: format!("{e:?}"),
            }),
        })
    };
    let on_example = {
        let analyze = analyze.clone();
        Callback::from(move |id: &'static str| {
            let Some(ex) = examples::by_id(id) else {
                return;
            };
            let jobs: Vec<FileJob> = ex
                .files
                .iter()
                .filter_map(|(name, text)| {
                    text_file(name, text).ok().map(|file| FileJob {
                        file,
                        name: name.to_string(),
                        format: None,
                    })
                })
                .collect();
            analyze.emit(jobs);
        })
    };
    let on_cancel = {
        let bridge = bridge.clone();
        let job = state.job;
        Callback::from(move |_| {
            if let Some(b) = bridge.borrow().as_ref() {
                b.send(ToWorker::Cancel { job });
            }
        })
    };
    let on_reset = {
        let dispatcher = state.dispatcher();
        Callback::from(move |_: MouseEvent| dispatcher.dispatch(Action::Reset))
    };

    let phase = state.phase;
    html! {
        <>
            <header class="top">
                <a class="brand" href="#/" onclick={on_reset.clone()}>{ "Storage Doctor" }</a>
                <span class="tagline">{ "Why did my Azure Storage requests fail?" }</span>
                <span class="privacy-chip" title="Files are read by this page only; nothing is sent anywhere.">{ "Runs in your browser · nothing is uploaded" }</span>
            </header>
            <main data-state={phase.as_str()}>
                if phase == Phase::Working {
                    <ProgressPanel progress={state.progress.clone()} names={state.names.clone()} on_cancel={on_cancel} />
                } else {
                    <DropZone on_files={on_files} on_paste={on_paste} on_example={on_example} compact={phase == Phase::Done} />
                }
                if state.cancelled && phase == Phase::Empty {
                    <p class="notice" role="status">{ "Analysis cancelled." }</p>
                }
                if let (Phase::Error, Some(msg)) = (phase, &state.error) {
                    <div class="error-box" role="alert">
                        <h2>{ "The analysis could not run" }</h2>
                        <p>{ msg }</p>
                        <button class="button" onclick={on_reset}>{ "Start again" }</button>
                    </div>
                }
                if let (Phase::Done, Some(report)) = (phase, &state.report) {
                    <FindingsList findings={report.findings.clone()} summary={report.summary.clone()} />
                    <ShareReport report_json={report.json.clone()} />
                    <InputsPanel inputs={report.inputs.clone()} />
                }
            </main>
            <footer class="bottom">
                <p>{ "Storage Doctor reads your logs inside this page. No file, text or result leaves your browser." }</p>
            </footer>
        </>
    }
}
