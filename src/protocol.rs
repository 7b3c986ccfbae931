//! Messages between the page and the ingest worker.

use serde::{Deserialize, Serialize};
use storage_doctor_core::report::table::{Facets, FailureRow, RequestDetail, RowView, TableQuery};
use storage_doctor_core::report::timeline::Timeline;

/// One input to analyze: a `File` (also used for pasted text and built-in examples, wrapped in a
/// `File` by the page) and an optional forced format id.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct FileJob {
    #[serde(with = "serde_wasm_bindgen::preserve")]
    pub file: web_sys::File,
    /// Path shown to the user (folder uploads keep their relative path).
    pub name: String,
    pub format: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub enum ToWorker {
    /// Analyze these inputs together (replaces any earlier analysis).
    Analyze { job: u32, files: Vec<FileJob> },
    /// Stop the running analysis as soon as the current slice is done.
    Cancel { job: u32 },
    /// A window of the requests table (the worker keeps the dataset; only visible rows travel).
    Rows {
        job: u32,
        query: TableQuery,
        start: u32,
        count: u32,
    },
    /// Every observation of one request, with its raw lines re-read from the files.
    Detail { job: u32, request: u32 },
    /// The detail of the request an evidence row (file and line) belongs to.
    DetailAt { job: u32, path: String, line: u64 },
    /// A file to download: the report as Markdown or JSON, or the filtered table as CSV.
    Export {
        job: u32,
        kind: ExportKind,
        query: TableQuery,
    },
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportKind {
    Markdown,
    Json,
    Csv,
}

/// Raw text of one observation, re-read from its file.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct RawText {
    pub event: u32,
    /// (line number, text) pairs, redacted.
    pub lines: Vec<(u32, String)>,
    /// Why there is no raw text (compressed input, archive entry…), when there is none.
    pub unavailable: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub enum FromWorker {
    Progress {
        job: u32,
        file_index: u32,
        file_name: String,
        /// Bytes read of this file, and its size.
        done: f64,
        total: f64,
        /// Bytes read of all files, and their total size.
        all_done: f64,
        all_total: f64,
    },
    /// The analysis finished: the report in the CLI's JSON schema, plus what the requests view
    /// needs up front.
    Done {
        job: u32,
        report_json: String,
        requests: u32,
        facets: Facets,
        failures: Vec<FailureRow>,
        /// Requests per time bucket and status class (at most 120 buckets × 5 counts); `None`
        /// when no request has a time.
        timeline: Option<Timeline>,
    },
    Rows {
        job: u32,
        total: u32,
        start: u32,
        rows: Vec<RowView>,
        query: TableQuery,
    },
    Detail {
        job: u32,
        detail: RequestDetail,
        raw: Vec<RawText>,
    },
    Export {
        job: u32,
        kind: ExportKind,
        file_name: String,
        text: String,
    },
    Cancelled {
        job: u32,
    },
    Failed {
        job: u32,
        message: String,
    },
}

/// Bytes read per slice. Big enough that per-slice overhead vanishes, small enough that progress
/// moves and Cancel is honoured within a fraction of a second.
pub const SLICE_BYTES: f64 = 8.0 * 1024.0 * 1024.0;

/// Lines of raw text shown per observation (from its first line on).
pub const RAW_LINES: usize = 12;
