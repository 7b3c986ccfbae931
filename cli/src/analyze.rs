//! `storage-doctor analyze`.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use storage_doctor_core::report::{to_markdown, to_text};
use storage_doctor_core::rules::Severity;
use storage_doctor_core::{formats, parallel, Ingest, Report};

/// Bytes read per slice: the same streaming path as the page's worker.
const SLICE: usize = 8 << 20;

enum Output {
    Json,
    Markdown,
    Text,
}

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("storage-doctor: {msg}");
    ExitCode::from(2)
}

/// Every file under `path` (folders recursed, sorted for stable output).
fn collect(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if meta.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| format!("{}: {e}", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for e in entries {
            let hidden = e
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'));
            if !hidden {
                collect(&e, out)?;
            }
        }
    } else {
        out.push(path.to_path_buf());
    }
    Ok(())
}

/// Threads for reading one large file: `STORAGE_DOCTOR_THREADS` when set (1 reads serially),
/// else the machine's parallelism, at most 8.
fn threads() -> usize {
    std::env::var("STORAGE_DOCTOR_THREADS")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .min(8)
        })
}

fn feed_reader(ing: &mut Ingest, mut r: impl Read, name: &str) -> Result<(), String> {
    let mut buf = vec![0u8; SLICE];
    loop {
        let n = r.read(&mut buf).map_err(|e| format!("{name}: {e}"))?;
        if n == 0 {
            return Ok(());
        }
        ing.feed(&buf[..n]);
    }
}

pub fn main(argv: &[String]) -> ExitCode {
    let known = ["--format", "--kql", "--fail-on", "--format-of"];
    let args = match crate::args::Args::parse(argv, &["format", "fail-on", "format-of"]) {
        Ok(a) => a,
        Err(e) => return fail(e),
    };
    if let Some(u) = args.unknown(&known).first() {
        return fail(format!("unknown option {u} (see storage-doctor --help)"));
    }
    let output = match args.value("--format").as_deref() {
        Some("json") => Output::Json,
        Some("markdown" | "md") => Output::Markdown,
        Some("text") => Output::Text,
        Some(other) => {
            return fail(format!(
                "--format must be json, markdown or text, not `{other}`"
            ))
        }
        None if std::io::stdout().is_terminal() => Output::Text,
        None => Output::Json,
    };
    let fail_on = match args.value("--fail-on").as_deref() {
        None => None,
        Some("error") => Some(Severity::Error),
        Some("warning") => Some(Severity::Warning),
        Some(other) => return fail(format!("--fail-on must be error or warning, not `{other}`")),
    };
    let mut forced: BTreeMap<String, String> = BTreeMap::new();
    for spec in args.values("--format-of") {
        let Some((file, id)) = spec.rsplit_once('=') else {
            return fail(format!("--format-of takes FILE=FORMAT_ID, not `{spec}`"));
        };
        if formats::by_id(id).is_none() {
            return fail(format!(
                "unknown format id `{id}` (known: {})",
                formats::ids().join(", ")
            ));
        }
        forced.insert(file.to_string(), id.to_string());
    }
    if args.positional.is_empty() {
        return fail("no input: give one or more files, folders, or - for standard input");
    }

    // Resolve every path before reading anything, so a typo fails fast with exit code 2.
    let mut inputs: Vec<(String, Option<PathBuf>)> = Vec::new();
    for p in &args.positional {
        if p == "-" {
            inputs.push(("-".into(), None));
            continue;
        }
        let mut files = Vec::new();
        if let Err(e) = collect(Path::new(p), &mut files) {
            return fail(e);
        }
        for f in files {
            inputs.push((f.display().to_string(), Some(f)));
        }
    }

    let threads = threads();
    let mut ing = Ingest::new();
    for (name, path) in &inputs {
        let format = forced.get(name).map(String::as_str);
        let res = match path {
            None => match ing.begin("<stdin>", format) {
                Ok(()) => feed_reader(&mut ing, std::io::stdin().lock(), "<stdin>"),
                Err(e) => Err(e.to_string()),
            },
            // Large `$logs` and JSON-lines files are parsed in line ranges on several threads;
            // the result is the same as a serial read.
            Some(p) => parallel::ingest_file(&mut ing, name, p, format, threads),
        };
        if let Err(e) = res {
            return fail(e);
        }
    }
    let ds = ing.finish();
    let report = Report::build_on(&ds, threads);
    let kql = args.flag("--kql");
    let text = match output {
        Output::Json => report.to_json(),
        Output::Markdown => with_kql(to_markdown(&report), &report, kql, true),
        Output::Text => with_kql(to_text(&report), &report, kql, false),
    };
    if let Err(e) = crate::output::emit(&format!("{text}\n")) {
        return fail(e);
    }
    match fail_on {
        Some(threshold) if report.findings.iter().any(|f| f.severity <= threshold) => {
            ExitCode::from(1)
        }
        _ => ExitCode::SUCCESS,
    }
}

/// Appends the KQL of every finding that has one (`--kql`).
fn with_kql(mut out: String, r: &Report, kql: bool, markdown: bool) -> String {
    if !kql {
        return out;
    }
    let queries: Vec<_> = r
        .findings
        .iter()
        .filter_map(|f| f.kql.as_ref().map(|k| (f.rule, k)))
        .collect();
    if queries.is_empty() {
        out.push_str("\nNo finding has a Log Analytics query (KQL).\n");
        return out;
    }
    out.push_str(if markdown {
        "\n## Log Analytics queries\n"
    } else {
        "\nLog Analytics queries (KQL):\n"
    });
    for (rule, k) in queries {
        if markdown {
            out.push_str(&format!("\n### `{rule}`\n\n```kusto\n{k}\n```\n"));
        } else {
            out.push_str(&format!("\n# {rule}\n{k}\n"));
        }
    }
    out
}
