//! Messages between the page and the ingest worker.

use serde::{Deserialize, Serialize};

/// One input to analyze: a `File` (also used for pasted text and built-in examples, wrapped in a
/// `File` by the page) and an optional forced format id.
#[derive(Serialize, Deserialize, Clone, Debug)]
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
    /// The analysis finished: the report in the CLI's JSON schema.
    Done {
        job: u32,
        report_json: String,
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
