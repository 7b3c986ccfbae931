//! The page: state, the worker bridge, routes, and the layout.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_worker::{Spawnable, WorkerBridge};
use storage_doctor_core::report::table::TableQuery;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::File;
use yew::prelude::*;

use crate::codec::JsCodec;
use crate::components::detail::RequestDetailPanel;
use crate::components::drop_zone::DropZone;
use crate::components::failures::FailureSummary;
use crate::components::findings::FindingsList;
use crate::components::inputs::InputsPanel;
use crate::components::progress::ProgressPanel;
use crate::components::progressive::{use_drawn_progressively, yield_to_browser};
use crate::components::requests::RequestsTable;
use crate::components::share::ShareReport;
use crate::components::timeline::TimelineChart;
use crate::components::tools::{CorsTool, SasTool};
use crate::examples;
use crate::protocol::{ExportKind, FileJob, FromWorker, ToWorker};
use crate::report_view::ReportView;
use crate::routes::{use_route, Route};
use crate::state::{Action, Phase, Progress, State, TableWindow};
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

/// Offers `text` as a file download (a `blob:` URL: nothing leaves the browser).
fn download(file_name: &str, text: &str) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type("text/plain;charset=utf-8");
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    if let Ok(a) = doc.create_element("a") {
        let a: web_sys::HtmlAnchorElement = a.unchecked_into();
        a.set_href(&url);
        a.set_download(file_name);
        a.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

/// Dark/light choice: follows the system unless the user picked one.
fn set_theme(theme: Option<&str>) {
    if let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = match theme {
            Some(t) => root.set_attribute("data-theme", t),
            None => root.remove_attribute("data-theme"),
        };
    }
}

fn system_dark() -> bool {
    web_sys::window()
        .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
        .map(|m| m.matches())
        .unwrap_or(false)
}

#[component]
pub fn App() -> Html {
    let state = use_reducer(State::default);
    let next_job = use_mut_ref(|| 0u32);
    let route = use_route();
    let dark = use_state(system_dark);
    let exporting = use_mut_ref(|| false);

    // One worker for the page's lifetime; its messages go through the reducer.
    let bridge: Rc<RefCell<Option<WorkerBridge<IngestWorker>>>> = {
        let dispatcher = state.dispatcher();
        use_memo((), move |_| {
            let cb = move |out: FromWorker| {
                let action = match out {
                    FromWorker::Progress {
                        job,
                        file_index,
                        file_name,
                        done,
                        total,
                        all_done,
                        all_total,
                    } => Action::Progress {
                        job,
                        progress: Progress {
                            file_index,
                            file_name,
                            done,
                            total,
                            all_done,
                            all_total,
                        },
                    },
                    FromWorker::Done {
                        job,
                        report_json,
                        requests,
                        facets,
                        failures,
                        timeline,
                    } => {
                        // Receiving a large report already fills one main-thread task (the
                        // message is decoded in it); reading the report and drawing its first
                        // findings each get a task of their own, so none of the three keeps the
                        // page from answering for long.
                        let dispatcher = dispatcher.clone();
                        yew::platform::spawn_local(async move {
                            yield_to_browser().await;
                            let action = match ReportView::parse(&report_json) {
                                Ok(report) => Action::Finished {
                                    job,
                                    report,
                                    requests,
                                    facets,
                                    failures,
                                    timeline: timeline.map(Rc::new),
                                },
                                Err(message) => Action::Failed { job, message },
                            };
                            yield_to_browser().await;
                            dispatcher.dispatch(action);
                        });
                        return;
                    }
                    FromWorker::Rows {
                        job,
                        total,
                        start,
                        rows,
                        query,
                    } => Action::Rows {
                        job,
                        window: TableWindow {
                            query,
                            total,
                            start,
                            rows,
                            stale: false,
                        },
                    },
                    FromWorker::Detail { job, detail, raw } => Action::Detail { job, detail, raw },
                    FromWorker::Export {
                        file_name, text, ..
                    } => {
                        download(&file_name, &text);
                        return;
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
    let send = {
        let bridge = bridge.clone();
        Callback::from(move |m: ToWorker| {
            if let Some(b) = bridge.borrow().as_ref() {
                b.send(m);
            }
        })
    };

    let analyze = {
        let send = send.clone();
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
                files: files.clone(),
            });
            send.emit(ToWorker::Analyze { job, files });
        })
    };

    let on_files = {
        let analyze = analyze.clone();
        let state = state.clone();
        Callback::from(move |files: Vec<File>| {
            // Files added after an analysis join the earlier ones: the diagnosis covers all.
            let mut jobs: Vec<FileJob> = if state.phase == Phase::Done {
                state.files.clone()
            } else {
                Vec::new()
            };
            jobs.extend(files.into_iter().map(|file| FileJob {
                name: display_name(&file),
                file,
                format: None,
            }));
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
    let on_format = {
        let analyze = analyze.clone();
        let state = state.clone();
        Callback::from(move |(path, format): (String, Option<String>)| {
            let jobs = state
                .files
                .iter()
                .cloned()
                .map(|mut f| {
                    if f.name == path {
                        f.format = format.clone();
                    }
                    f
                })
                .collect();
            analyze.emit(jobs);
        })
    };
    let on_cancel = {
        let send = send.clone();
        let job = state.job;
        Callback::from(move |_| send.emit(ToWorker::Cancel { job }))
    };
    let on_reset = {
        let dispatcher = state.dispatcher();
        Callback::from(move |_: MouseEvent| dispatcher.dispatch(Action::Reset))
    };
    // The callbacks handed to the report's components stay the same object while the job does,
    // so that a new window of table rows re-renders the table only, not every finding.
    let on_query = {
        let send = send.clone();
        use_callback(
            state.job,
            move |(query, start, count): (TableQuery, u32, u32), job: &u32| {
                send.emit(ToWorker::Rows {
                    job: *job,
                    query,
                    start,
                    count,
                })
            },
        )
    };
    let on_open = {
        let send = send.clone();
        use_callback(state.job, move |request: u32, job: &u32| {
            send.emit(ToWorker::Detail { job: *job, request })
        })
    };
    let on_evidence = {
        let send = send.clone();
        use_callback(state.job, move |(path, line): (String, u64), job: &u32| {
            send.emit(ToWorker::DetailAt {
                job: *job,
                path,
                line,
            })
        })
    };
    // Stable for the page's lifetime (the dispatcher is), so the timeline's bars never re-render
    // because of it.
    let on_time_range = {
        let dispatcher = state.dispatcher();
        use_callback(
            (),
            move |(from, to): (Option<String>, Option<String>), _| {
                dispatcher.dispatch(Action::TimeRange { from, to })
            },
        )
    };
    let on_close_detail = {
        let dispatcher = state.dispatcher();
        Callback::from(move |_| dispatcher.dispatch(Action::CloseDetail))
    };
    let on_pick_failure = {
        let send = send.clone();
        use_callback(
            state.job,
            move |r: storage_doctor_core::report::table::FailureRow, job: &u32| {
                let query = TableQuery {
                    status_class: Some(if r.status == 0 { 0 } else { r.status / 100 }),
                    error_code: (!r.error_code.is_empty()).then(|| r.error_code.clone()),
                    operation: (!r.operation.is_empty()).then(|| r.operation.clone()),
                    ..TableQuery::default()
                };
                send.emit(ToWorker::Rows {
                    job: *job,
                    query,
                    start: 0,
                    count: 100,
                });
            },
        )
    };
    let export = |kind: ExportKind| {
        let send = send.clone();
        let job = state.job;
        let query = state.table.query.clone();
        let exporting = exporting.clone();
        Callback::from(move |_: MouseEvent| {
            *exporting.borrow_mut() = true;
            send.emit(ToWorker::Export {
                job,
                kind,
                query: query.clone(),
            })
        })
    };
    let toggle_time = {
        let dispatcher = state.dispatcher();
        Callback::from(move |_: MouseEvent| dispatcher.dispatch(Action::ToggleLocalTime))
    };
    let toggle_theme = {
        let dark = dark.clone();
        Callback::from(move |_: MouseEvent| {
            let next = !*dark;
            set_theme(Some(if next { "dark" } else { "light" }));
            dark.set(next);
        })
    };

    let phase = state.phase;
    // A finished analysis is drawn in three tasks rather than one (findings; then the failure
    // summary and the timeline; then the requests table and the files), so the page answers in
    // between. `data-state` says "done" once all three are on screen.
    let stages = use_drawn_progressively(if phase == Phase::Done { 3 } else { 0 }, 1, 1);
    let state_word = if phase == Phase::Done && stages < 3 {
        Phase::Working.as_str()
    } else {
        phase.as_str()
    };
    let analyzer = html! {
        <main data-state={state_word}>
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
                    <button class="button" onclick={on_reset.clone()}>{ "Start again" }</button>
                </div>
            }
            if let (Phase::Done, Some(report)) = (phase, &state.report) {
                <div class="toolbar" role="toolbar" aria-label="Report actions">
                    <button class="button" data-export="markdown" onclick={export(ExportKind::Markdown)}>{ "Export Markdown" }</button>
                    <button class="button" data-export="json" onclick={export(ExportKind::Json)}>{ "Export JSON" }</button>
                    <button class="button" data-export="csv" onclick={export(ExportKind::Csv)}>{ "Export table (CSV)" }</button>
                    <button class="button" data-action="toggle-time" aria-pressed={state.local_time.to_string()} onclick={toggle_time.clone()}>
                        { if state.local_time { "Times: local" } else { "Times: UTC" } }
                    </button>
                </div>
                <FindingsList report={report.clone()} on_evidence={on_evidence} />
                <ShareReport report_json={report.json.clone()} />
                if !report.summary.clock_skew.is_empty() {
                    <section class="skew" aria-label="Clock skew">
                        <h2>{ "Clocks" }</h2>
                        <ul>
                            { for report.summary.clock_skew.iter().map(|s| html! {
                                <li>{ format!("{}: {:+.1} s against the service", s.source, s.seconds) }</li>
                            }) }
                        </ul>
                    </section>
                }
                if stages >= 2 {
                    <FailureSummary rows={state.failures.clone()} on_pick={on_pick_failure} />
                }
                if let Some(d) = &state.detail {
                    <RequestDetailPanel detail={d.clone()} local_time={state.local_time} on_close={on_close_detail} />
                }
                if let (true, Some(timeline)) = (state.requests > 0 && stages >= 2, &state.timeline) {
                    <TimelineChart timeline={timeline.clone()} markers={state.markers.clone()} local_time={state.local_time}
                        from={state.table.query.from.clone()} to={state.table.query.to.clone()} on_range={on_time_range} />
                }
                if state.requests > 0 && stages >= 3 {
                    <RequestsTable window={state.table.clone()} facets={state.facets.clone()} local_time={state.local_time}
                        on_query={on_query} on_open={on_open} />
                }
                if stages >= 3 {
                    <InputsPanel inputs={report.inputs.clone()} on_format={on_format} />
                }
            }
        </main>
    };
    let body = match &route {
        Route::Cors => html! { <main data-state="done" class="tool-page"><CorsTool /></main> },
        Route::Sas => html! { <main data-state="done" class="tool-page"><SasTool /></main> },
        Route::Analyzer | Route::SharedReport(_) => analyzer,
    };
    html! {
        <>
            <a class="skip-link" href="#main-content" onclick={Callback::from(|e: MouseEvent| {
                e.prevent_default();
                if let Some(m) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.query_selector("main").ok().flatten()) {
                    let _ = m.unchecked_into::<web_sys::HtmlElement>().focus();
                }
            })}>{ "Skip to content" }</a>
            <header class="top">
                <a class="brand" href="#/" onclick={on_reset}>{ "Storage Doctor" }</a>
                <nav aria-label="Tools">
                    <a href="#/" aria-current={(route == Route::Analyzer).then_some("page")}>{ "Analyzer" }</a>
                    <a href="#/cors" aria-current={(route == Route::Cors).then_some("page")}>{ "CORS rule check" }</a>
                    <a href="#/sas" aria-current={(route == Route::Sas).then_some("page")}>{ "SAS decoder" }</a>
                </nav>
                <span class="privacy-chip" title="Files are read by this page only; nothing is sent anywhere.">{ "Runs in your browser · nothing is uploaded" }</span>
                <button class="button theme" data-action="toggle-theme" aria-label={if *dark { "Switch to light mode" } else { "Switch to dark mode" }} onclick={toggle_theme}>
                    { if *dark { "Light" } else { "Dark" } }
                </button>
            </header>
            { body }
            <footer class="bottom">
                <p>{ "Storage Doctor reads your logs inside this page. No file, text or result leaves your browser." }</p>
            </footer>
        </>
    }
}
