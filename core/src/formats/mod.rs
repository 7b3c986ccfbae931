//! Input formats: one module per format, each declaring how to recognise it and how to parse it.
//!
//! Adding a format means one new file implementing [`Format`] and one line in [`registry`].

use crate::input::Line;
use crate::model::EventSink;

mod azcopy_log;
mod browser_console;
mod byte_masks;
mod cors_rules;
mod csv_util;
mod dotnet_azure_core;
mod dotnet_legacy_trace;
mod error_text;
mod har;
mod java_azure_core;
mod js_azure_logger;
mod json_stream;
mod log_analytics_export;
mod metrics_export;
mod python_azure_core;
mod resource_log_json;
#[doc(hidden)]
pub use resource_log_json::fast_reader_agrees_with_serde;
mod sdk_common;
#[cfg(test)]
mod server_formats_testkit;
mod storage_analytics;

/// How many bytes of decoded text detection looks at (whole lines only).
pub const SAMPLE_BYTES: usize = 64 * 1024;

/// A format the analyzer reads.
pub trait Format: Sync {
    /// Stable id (CONTRACTS.md § Names).
    fn id(&self) -> &'static str;
    /// Human name for the page and messages.
    fn name(&self) -> &'static str;
    /// Confidence in 0..=1 that `sample` (the first lines of a file) is in this format.
    fn detect(&self, sample: &str) -> f32;
    /// A fresh streaming parser.
    fn parser(&self) -> Box<dyn LineParser>;
    /// A fresh parser with user-given options (e.g. which CSV column holds the time). Formats
    /// without options ignore them; each format documents the keys it understands.
    fn parser_with_options(
        &self,
        options: &std::collections::BTreeMap<String, String>,
    ) -> Box<dyn LineParser> {
        let _ = options;
        self.parser()
    }
    /// True when a record never spans lines, so that a large file may be cut at line boundaries
    /// and the pieces parsed at once (see [`crate::parallel`]). Its parser must then answer
    /// [`LineParser::range_end`].
    fn splits_at_lines(&self) -> bool {
        false
    }
}

/// What a parser that read one range of a file's lines tells the parallel ingest, so that it
/// can prove the pieces parse exactly as the whole file would.
#[derive(Debug, Default)]
pub struct RangeEnd {
    /// Sorted keys of the records this range read that a later record could repeat (the
    /// parser skips such repeats). A key found in two ranges means a serial read would have
    /// skipped a record the ranges kept, so the file is read again serially. Hashes are fine:
    /// a collision only costs that serial read.
    pub record_keys: Vec<u64>,
    /// Some reason this range gave for a skipped line names another line (a duplicate names
    /// the line of its first copy). Ranges are read with their lines numbered from 1 and moved
    /// to their place afterwards; such a range is read again at its place instead, since the
    /// text of a reason cannot be renumbered.
    pub reasons_cite_lines: bool,
}

/// A streaming parser: receives every line of one input in order, pushes events into the sink,
/// and reports every line it cannot use with [`EventSink::skipped`].
pub trait LineParser {
    fn line(&mut self, line: Line<'_>, sink: &mut dyn EventSink);
    /// End of input: flush whatever is pending (a multi-line record, a buffered document).
    fn finish(&mut self, sink: &mut dyn EventSink);
    /// The input is about `bytes` long (0: unknown), told before the first line, so that a
    /// parser that keeps a table per record can size it once instead of growing it step by step.
    fn expect_bytes(&mut self, _bytes: u64) {}
    /// For formats that [`Format::splits_at_lines`]: called after the parser read a range of
    /// whole lines (and, for the last range, after [`LineParser::finish`]). `None` when the
    /// range held something that ties lines together (a record over several lines, a notice
    /// that depends on earlier lines), so the file must be read serially.
    fn range_end(&mut self) -> Option<RangeEnd> {
        None
    }
}

/// Every format, in the order detection ties are broken.
pub fn registry() -> &'static [&'static dyn Format] {
    &[
        &dotnet_legacy_trace::DotnetLegacyTrace,
        &storage_analytics::StorageAnalytics,
        &resource_log_json::ResourceLogJson,
        &log_analytics_export::LogAnalyticsExport,
        &metrics_export::MetricsExport,
        &dotnet_azure_core::DotnetAzureCore,
        &python_azure_core::PythonAzureCore,
        &js_azure_logger::JsAzureLogger,
        &java_azure_core::JavaAzureCore,
        &azcopy_log::AzcopyLog,
        &cors_rules::CorsRulesFormat,
        &har::Har,
        &browser_console::BrowserConsole,
        &error_text::ErrorText,
    ]
}

pub fn by_id(id: &str) -> Option<&'static dyn Format> {
    registry().iter().copied().find(|f| f.id() == id)
}

/// All known format ids, for messages.
pub fn ids() -> Vec<&'static str> {
    registry().iter().map(|f| f.id()).collect()
}

/// Confidence below which a file is reported as `unknown`.
pub const MIN_CONFIDENCE: f32 = 0.3;

/// Every format's confidence for a sample, best first.
pub fn rank(sample: &str) -> Vec<(&'static dyn Format, f32)> {
    let mut v: Vec<_> = registry().iter().map(|f| (*f, f.detect(sample))).collect();
    v.sort_by(|a, b| b.1.total_cmp(&a.1));
    v
}

/// The parser used when no format fits: every line is skipped with a reason.
pub struct UnknownParser;

impl LineParser for UnknownParser {
    fn line(&mut self, line: Line<'_>, sink: &mut dyn EventSink) {
        if !line.text.trim().is_empty() {
            sink.skipped(line.number, "the file is in no format this analyzer reads");
        }
    }
    fn finish(&mut self, _sink: &mut dyn EventSink) {}
}

/// Share of non-blank lines in `sample` for which `pred` holds (detection helper).
pub fn share_of_lines(sample: &str, pred: impl Fn(&str) -> bool) -> f32 {
    let mut total = 0u32;
    let mut hits = 0u32;
    for l in sample.lines().filter(|l| !l.trim().is_empty()).take(200) {
        total += 1;
        if pred(l) {
            hits += 1;
        }
    }
    if total == 0 {
        0.0
    } else {
        hits as f32 / total as f32
    }
}
