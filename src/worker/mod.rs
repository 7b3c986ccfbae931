//! The ingest worker: reads each `File` in slices, feeds the core, and reports.
//!
//! Reading is asynchronous (`Blob.arrayBuffer()` per slice), so between two slices the worker's
//! event loop delivers incoming messages: that is what lets Cancel stop a 1 GB ingest promptly.

use gloo_worker::{HandlerId, Worker, WorkerScope};
use js_sys::Uint8Array;
use storage_doctor_core::{Ingest, Report};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::protocol::{FileJob, FromWorker, ToWorker, SLICE_BYTES};

/// Internal steps of the read loop.
pub enum Step {
    /// A slice of the current file arrived.
    Slice { job: u32, bytes: Vec<u8> },
    /// Reading a slice failed.
    ReadFailed { job: u32, message: String },
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

#[derive(Default)]
pub struct IngestWorker {
    running: Option<Running>,
}

async fn read_slice(file: web_sys::File, start: f64, end: f64) -> Result<Vec<u8>, String> {
    let blob = file
        .slice_with_f64_and_f64(start, end)
        .map_err(|e| format!("{e:?}"))?;
    let buf = JsFuture::from(blob.array_buffer()).await.map_err(|e| {
        e.dyn_ref::<js_sys::Error>()
            .map(|e| String::from(e.message()))
            .unwrap_or_else(|| "the browser could not read the file".into())
    })?;
    Ok(Uint8Array::new(&buf).to_vec())
}

impl IngestWorker {
    /// Starts the read of the next slice, or moves on to the next file, or finishes.
    fn advance(&mut self, scope: &WorkerScope<Self>) {
        let Some(r) = self.running.as_mut() else {
            return;
        };
        loop {
            let Some(job) = r.files.get(r.file) else {
                // All inputs read: diagnose and report.
                let r = self.running.take().expect("running");
                let ds = r.ingest.finish();
                let report = Report::build(&ds);
                scope.respond(
                    r.who,
                    FromWorker::Done {
                        job: r.job,
                        report_json: report.to_json(),
                    },
                );
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
        }
    }

    fn received(&mut self, scope: &WorkerScope<Self>, msg: ToWorker, who: HandlerId) {
        match msg {
            ToWorker::Analyze { job, files } => {
                let all_total = files.iter().map(|f| f.file.size()).sum();
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
        }
    }
}
