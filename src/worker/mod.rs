//! The ingest worker: reads each `File` in slices, feeds the core, reports, and then keeps the
//! dataset to answer the page's small queries (a window of table rows, one request's detail with
//! its raw lines, an export).
//!
//! Reading is asynchronous (`Blob.arrayBuffer()` per slice), so between two slices the worker's
//! event loop delivers incoming messages: that is what lets Cancel stop a 1 GB ingest promptly.

use gloo_worker::{HandlerId, Worker, WorkerScope};
use js_sys::Uint8Array;
use storage_doctor_core::correlate::Correlation;
use storage_doctor_core::knowledge::redact::{neutralize_bidi, redact};
use storage_doctor_core::model::Dataset;
use storage_doctor_core::report::table::{RequestDetail, RequestIndex, TableQuery};
use storage_doctor_core::report::timeline::Timeline;
use storage_doctor_core::report::{to_markdown, Report};
use storage_doctor_core::Ingest;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::protocol::{ExportKind, FileJob, FromWorker, RawText, ToWorker, RAW_LINES, SLICE_BYTES};

/// Internal steps of the read loop.
pub enum Step {
    /// A slice of the current file arrived.
    Slice { job: u32, bytes: Vec<u8> },
    /// Reading a slice failed.
    ReadFailed { job: u32, message: String },
    /// Raw lines for a request detail were read.
    DetailRead {
        job: u32,
        who: HandlerId,
        detail: RequestDetail,
        raw: Vec<RawText>,
    },
}

struct Running {
    job: u32,
    who: HandlerId,
    files: Vec<FileJob>,
    file: usize,
    offset: f64,
    all_done: f64,
    all_total: f64,
    ingest: Ingest,
}

/// A finished analysis, kept for queries.
struct Analysis {
    job: u32,
    files: Vec<FileJob>,
    ds: Dataset,
    correlation: Correlation,
    index: RequestIndex,
    report: Report,
    /// The last table query and its rows in order: scrolling asks for new windows of the same
    /// query, and filtering and sorting a million rows again for each would cost the worker
    /// most of a frame's time.
    order: Option<(TableQuery, Vec<u32>)>,
}

impl Analysis {
    /// Filters and sorts the rows for `query` unless the last query was the same one (scrolling
    /// and the CSV export of what the table shows ask for it again and again).
    fn prepare(&mut self, query: &TableQuery) {
        if self.order.as_ref().is_none_or(|(q, _)| q != query) {
            self.order = Some((query.clone(), self.index.query(&self.ds, query)));
        }
    }

    /// The rows of the last prepared query, in order.
    fn ordered(&self) -> &[u32] {
        self.order.as_ref().map_or(&[], |(_, o)| o.as_slice())
    }
}

#[derive(Default)]
pub struct IngestWorker {
    running: Option<Running>,
    done: Option<Analysis>,
}

fn js_error(e: wasm_bindgen::JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .unwrap_or_else(|| "the browser could not read the file".into())
}

async fn read_slice(file: web_sys::File, start: f64, end: f64) -> Result<Vec<u8>, String> {
    let blob = file.slice_with_f64_and_f64(start, end).map_err(js_error)?;
    let buf = JsFuture::from(blob.array_buffer())
        .await
        .map_err(js_error)?;
    Ok(Uint8Array::new(&buf).to_vec())
}

/// Re-reads up to [`RAW_LINES`] lines of an observation from its file.
async fn read_raw(
    file: Option<web_sys::File>,
    raw_offset: Option<u64>,
    event: u32,
    line: u32,
    offset: u64,
) -> RawText {
    let (Some(file), Some(base)) = (file, raw_offset) else {
        return RawText {
            event,
            unavailable: Some(
                "The original text cannot be re-read for this input (compressed, UTF-16, or inside an archive); the parsed fields are shown."
                    .into(),
            ),
            ..Default::default()
        };
    };
    let start = (base + offset) as f64;
    match read_slice(file, start, start + 64.0 * 1024.0).await {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let lines = text
                .split('\n')
                .take(RAW_LINES)
                .enumerate()
                .map(|(k, l)| {
                    (
                        line + k as u32,
                        neutralize_bidi(&redact(l.trim_end_matches('\r'))).into_owned(),
                    )
                })
                .collect();
            RawText {
                event,
                lines,
                unavailable: None,
            }
        }
        Err(e) => RawText {
            event,
            unavailable: Some(format!("Could not re-read the file: {e}")),
            ..Default::default()
        },
    }
}

impl IngestWorker {
    /// Starts the read of the next slice, or moves on to the next file, or finishes.
    fn advance(&mut self, scope: &WorkerScope<Self>) {
        let Some(r) = self.running.as_mut() else {
            return;
        };
        loop {
            let Some(job) = r.files.get(r.file) else {
                self.finish(scope);
                return;
            };
            let size = job.file.size();
            if r.offset == 0.0 {
                if let Err(e) = r.ingest.begin(&job.name, job.format.as_deref()) {
                    let r = self.running.take().expect("running");
                    scope.respond(
                        r.who,
                        FromWorker::Failed {
                            job: r.job,
                            message: e.to_string(),
                        },
                    );
                    return;
                }
            }
            if r.offset >= size {
                r.ingest.end();
                r.file += 1;
                r.offset = 0.0;
                continue;
            }
            let end = (r.offset + SLICE_BYTES).min(size);
            let file = job.file.clone();
            let start = r.offset;
            let id = r.job;
            scope.send_future(async move {
                match read_slice(file, start, end).await {
                    Ok(bytes) => Step::Slice { job: id, bytes },
                    Err(message) => Step::ReadFailed { job: id, message },
                }
            });
            return;
        }
    }

    /// All inputs read: diagnose, report, and keep the analysis for queries.
    fn finish(&mut self, scope: &WorkerScope<Self>) {
        let r = self.running.take().expect("running");
        let ds = r.ingest.finish();
        let correlation = Correlation::build(&ds);
        let report = Report::from_correlation(&ds, &correlation);
        let index = RequestIndex::build(&ds, &correlation);
        scope.respond(
            r.who,
            FromWorker::Done {
                job: r.job,
                report_json: report.to_json(),
                requests: index.len() as u32,
                facets: index.facets(&ds),
                failures: index.failure_summary(&ds, &correlation),
                timeline: Timeline::build(&index),
            },
        );
        self.done = Some(Analysis {
            job: r.job,
            files: r.files,
            ds,
            correlation,
            index,
            report,
            order: None,
        });
    }

    fn analysis(&self, job: u32) -> Option<&Analysis> {
        self.done.as_ref().filter(|a| a.job == job)
    }
}

impl Worker for IngestWorker {
    type Message = Step;
    type Input = ToWorker;
    type Output = FromWorker;

    fn create(_scope: &WorkerScope<Self>) -> Self {
        IngestWorker::default()
    }

    fn update(&mut self, scope: &WorkerScope<Self>, msg: Step) {
        match msg {
            Step::Slice { job, bytes } => {
                let Some(r) = self.running.as_mut().filter(|r| r.job == job) else {
                    return; // a cancelled or replaced job's late slice
                };
                r.ingest.feed(&bytes);
                r.offset += bytes.len() as f64;
                r.all_done += bytes.len() as f64;
                let f = &r.files[r.file];
                scope.respond(
                    r.who,
                    FromWorker::Progress {
                        job,
                        file_index: r.file as u32,
                        file_name: f.name.clone(),
                        done: r.offset,
                        total: f.file.size(),
                        all_done: r.all_done,
                        all_total: r.all_total,
                    },
                );
                if bytes.is_empty() {
                    // The file shrank while being read: treat what was read as all of it.
                    r.offset = f.file.size();
                }
                self.advance(scope);
            }
            Step::ReadFailed { job, message } => {
                if let Some(r) = self.running.take_if(|r| r.job == job) {
                    let name = r
                        .files
                        .get(r.file)
                        .map(|f| f.name.clone())
                        .unwrap_or_default();
                    scope.respond(
                        r.who,
                        FromWorker::Failed {
                            job,
                            message: format!("Could not read {name}: {message}"),
                        },
                    );
                }
            }
            Step::DetailRead {
                job,
                who,
                detail,
                raw,
            } => {
                scope.respond(who, FromWorker::Detail { job, detail, raw });
            }
        }
    }

    fn received(&mut self, scope: &WorkerScope<Self>, msg: ToWorker, who: HandlerId) {
        match msg {
            ToWorker::Analyze { job, files } => {
                let all_total = files.iter().map(|f| f.file.size()).sum();
                self.done = None;
                self.running = Some(Running {
                    job,
                    who,
                    files,
                    file: 0,
                    offset: 0.0,
                    all_done: 0.0,
                    all_total,
                    ingest: Ingest::new(),
                });
                self.advance(scope);
            }
            ToWorker::Cancel { job } => {
                if self.running.take_if(|r| r.job == job).is_some() {
                    scope.respond(who, FromWorker::Cancelled { job });
                }
            }
            ToWorker::Rows {
                job,
                query,
                start,
                count,
            } => {
                let Some(a) = self.done.as_mut().filter(|a| a.job == job) else {
                    return;
                };
                a.prepare(&query);
                let order = a.ordered();
                let end = (start as usize + count as usize).min(order.len());
                let rows = order
                    .get(start as usize..end)
                    .unwrap_or(&[])
                    .iter()
                    .map(|&r| a.index.row(&a.ds, &a.correlation, r))
                    .collect();
                scope.respond(
                    who,
                    FromWorker::Rows {
                        job,
                        total: order.len() as u32,
                        start,
                        rows,
                        query,
                    },
                );
            }
            ToWorker::DetailAt { job, path, line } => {
                let Some(a) = self.analysis(job) else { return };
                let found =
                    a.ds.iter()
                        .find(|v| v.ev.line as u64 == line && v.input().path == path);
                if let Some(v) = found {
                    let request = a.correlation.request_of[v.index];
                    self.received(scope, ToWorker::Detail { job, request }, who);
                }
            }
            ToWorker::Detail { job, request } => {
                let Some(a) = self.analysis(job) else { return };
                if request as usize >= a.index.len() {
                    return;
                }
                let detail = a.index.detail(&a.ds, &a.correlation, request);
                let reads: Vec<_> = detail
                    .observations
                    .iter()
                    .map(|o| {
                        let input = &a.ds.inputs[o.input as usize];
                        let file = a
                            .files
                            .iter()
                            .find(|f| f.name == input.path)
                            .map(|f| f.file.clone());
                        (file, input.raw_offset, o.event, o.line, o.offset)
                    })
                    .collect();
                scope.send_future(async move {
                    let mut raw = Vec::new();
                    for (file, base, event, line, offset) in reads {
                        raw.push(read_raw(file, base, event, line, offset).await);
                    }
                    Step::DetailRead {
                        job,
                        who,
                        detail,
                        raw,
                    }
                });
            }
            ToWorker::Export { job, kind, query } => {
                let Some(a) = self.done.as_mut().filter(|a| a.job == job) else {
                    return;
                };
                let (file_name, text) = match kind {
                    ExportKind::Markdown => (
                        "storage-doctor-report.md".to_string(),
                        to_markdown(&a.report),
                    ),
                    ExportKind::Json => {
                        ("storage-doctor-report.json".to_string(), a.report.to_json())
                    }
                    ExportKind::Csv => {
                        a.prepare(&query);
                        let rows = a.ordered();
                        (
                            "storage-doctor-requests.csv".to_string(),
                            a.index.to_csv(&a.ds, &a.correlation, rows),
                        )
                    }
                };
                scope.respond(
                    who,
                    FromWorker::Export {
                        job,
                        kind,
                        file_name,
                        text,
                    },
                );
            }
        }
    }
}
