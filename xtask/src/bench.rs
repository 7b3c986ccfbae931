//! `cargo xtask bench`: builds the release binaries, generates large realistic files, measures
//! ingest throughput, index memory and diagnosis cost per format, the CLI end to end, DuckDB on
//! the same resource-log file when a Python with `duckdb` is at hand, and the page in headless
//! Chromium; prints a table and writes the figures into docs/PERFORMANCE.md (between the
//! `bench:begin` and `bench:end` markers; the prose around them is kept).
//!
//! ```text
//! cargo xtask bench [--mb N] [--repeat N] [--dir PATH] [--no-page] [--no-doc]
//! ```
//! The machine may be shared: every figure is the best of `--repeat` runs, and throughput is
//! given both against CPU time (getrusage, what the code costs) and wall time (what a user waits).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use crate::{cargo, root, run, tools};

/// Formats generated and measured, heavy server logs first.
const FORMATS: &[&str] = &[
    "storage-analytics",
    "resource-log-json",
    "dotnet-legacy-trace",
    "dotnet-azure-core",
];
/// Formats whose large files the CLI reads in parallel line ranges.
const SPLIT: &[&str] = &["storage-analytics", "resource-log-json"];

struct Opts {
    mb: u32,
    repeat: u32,
    dir: PathBuf,
    page: bool,
    doc: bool,
}

fn parse(args: &[String]) -> Result<Opts, String> {
    let mut o = Opts {
        mb: 500,
        repeat: 3,
        dir: std::env::temp_dir().join("storage-doctor-bench"),
        page: true,
        doc: true,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().cloned().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--mb" => o.mb = value()?.parse().map_err(|e| format!("--mb: {e}"))?,
            "--repeat" => o.repeat = value()?.parse().map_err(|e| format!("--repeat: {e}"))?,
            "--dir" => o.dir = PathBuf::from(value()?),
            "--no-page" => o.page = false,
            "--no-doc" => o.doc = false,
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(o)
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| if p.is_relative() { root().join(p) } else { p })
        .unwrap_or_else(|| root().join("target"))
}

/// Runs a command and parses the `key=value` pairs of its last output line.
fn measure(cmd: &mut Command) -> Result<BTreeMap<String, String>, String> {
    cmd.current_dir(root());
    let out = cmd
        .output()
        .map_err(|e| format!("could not start {cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().last().unwrap_or("");
    Ok(line
        .split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect())
}

fn num(m: &BTreeMap<String, String>, k: &str) -> f64 {
    m.get(k).and_then(|v| v.parse().ok()).unwrap_or(f64::NAN)
}

fn sh(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or("unknown CPU", |(_, v)| v.trim())
        .to_string();
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mem_gb = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0 / 1024.0);
    format!(
        "{model}, {cpus} CPUs, {mem_gb:.0} GiB; {}; {}",
        sh("rustc", &["-V"]),
        sh(tools::CHROMIUM, &["--version"])
    )
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Generates `format` into the bench folder unless that file is there already (the generator
/// is deterministic).
fn generate(bench: &Path, dir: &Path, format: &str, size: &str) -> Result<PathBuf, String> {
    let (flag, value, name) = match size.strip_suffix("requests") {
        Some(n) => (
            "--requests",
            n.to_string(),
            format!("{format}-{n}-requests.log"),
        ),
        None => ("--mb", size.to_string(), format!("{format}-{size}MB.log")),
    };
    let path = dir.join(name);
    if !path.exists() {
        let tmp = path.with_extension("partial");
        let p = tmp.to_string_lossy().to_string();
        measure(Command::new(bench).args(["gen", format, &p, flag, &value]))?;
        std::fs::rename(&tmp, &path).map_err(|e| e.to_string())?;
    }
    Ok(path)
}

struct Row {
    format: String,
    mb: f64,
    events: f64,
    cpu: f64,
    /// The first run's CPU time (fresh memory, as in a CLI run).
    first_cpu: f64,
    wall: f64,
    bytes_per_event: f64,
    diag_cpu: f64,
    par_cpu: f64,
    par_wall: f64,
    cli_wall: f64,
    cli_cpu: f64,
    cli_rss: f64,
}

pub fn main(args: &[String]) -> ExitCode {
    match bench(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn bench(args: &[String]) -> Result<(), String> {
    let o = parse(args)?;
    let load_before = load();
    if !run(cargo().args([
        "build",
        "--release",
        "--locked",
        "-p",
        "storage-doctor-bench",
        "-p",
        "storage-doctor-cli",
    ])) {
        return Err("release build failed".into());
    }
    let release = target_dir().join("release");
    let bench = release.join("storage-doctor-bench");
    let cli = release.join("storage-doctor");
    std::fs::create_dir_all(&o.dir).map_err(|e| format!("{}: {e}", o.dir.display()))?;
    let repeat = o.repeat.max(1).to_string();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());

    let mut rows = Vec::new();
    for format in FORMATS {
        eprintln!("\n==> {format}: generating {} MB", o.mb);
        let file = generate(&bench, &o.dir, format, &o.mb.to_string())?;
        let f = file.to_string_lossy().to_string();
        eprintln!("==> {format}: ingest, single thread");
        let one = measure(Command::new(&bench).args(["ingest", &f, "--repeat", &repeat]))?;
        if num(&one, "skipped") != 0.0 {
            return Err(format!("{f}: lines were skipped: {one:?}"));
        }
        let par = if SPLIT.contains(format) && threads > 1 {
            eprintln!("==> {format}: ingest, {threads} threads");
            measure(Command::new(&bench).args([
                "ingest",
                &f,
                "--repeat",
                &repeat,
                "--threads",
                &threads.to_string(),
                "--no-diag",
            ]))?
        } else {
            BTreeMap::new()
        };
        eprintln!("==> {format}: storage-doctor analyze");
        let mut best: Option<BTreeMap<String, String>> = None;
        for _ in 0..o.repeat.max(1) {
            let m = measure(Command::new(&bench).args([
                "run",
                "--",
                &cli.to_string_lossy(),
                "analyze",
                "--format",
                "json",
                &f,
            ]))?;
            if best
                .as_ref()
                .is_none_or(|b| num(&m, "wall") < num(b, "wall"))
            {
                best = Some(m);
            }
        }
        let cli_m = best.unwrap_or_default();
        let events = num(&one, "events");
        rows.push(Row {
            format: format.to_string(),
            mb: num(&one, "bytes") / 1e6,
            events,
            cpu: num(&one, "ingest_cpu"),
            first_cpu: num(&one, "ingest_cpu_first"),
            wall: num(&one, "ingest_wall"),
            bytes_per_event: num(&one, "heap_bytes") / events,
            diag_cpu: num(&one, "diag_cpu"),
            par_cpu: num(&par, "ingest_cpu"),
            par_wall: num(&par, "ingest_wall"),
            cli_wall: num(&cli_m, "wall"),
            cli_cpu: num(&cli_m, "cpu"),
            cli_rss: num(&cli_m, "max_rss"),
        });
    }

    let duck = duckdb(&o.dir.join(format!("resource-log-json-{}MB.log", o.mb)));
    let page = if o.page {
        page(&bench, &o.dir, &o.mb.to_string())?
    } else {
        String::new()
    };
    let report = render(&rows, &duck, &page, threads, &load_before);
    println!("{report}");
    if o.doc {
        write_doc(&report)?;
    }
    Ok(())
}

/// DuckDB reading the resource-log file and grouping it by status, when a Python with the
/// `duckdb` module is at hand (`STORAGE_DOCTOR_BENCH_PYTHON`, default `python3`).
fn duckdb(file: &Path) -> String {
    let python =
        std::env::var("STORAGE_DOCTOR_BENCH_PYTHON").unwrap_or_else(|_| "python3".to_string());
    const SCRIPT: &str = "import duckdb, resource, sys, time\n\
        w, c = time.perf_counter(), time.process_time()\n\
        rows = duckdb.connect().execute(\"SELECT statusCode, count(*) FROM read_json_auto(?, format='newline_delimited') GROUP BY 1\", [sys.argv[1]]).fetchall()\n\
        print(f'version={duckdb.__version__} groups={len(rows)} wall={time.perf_counter() - w:.4f} cpu={time.process_time() - c:.4f} max_rss={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}')\n";
    let mut best: Option<BTreeMap<String, String>> = None;
    for _ in 0..3 {
        match measure(Command::new(&python).args(["-c", SCRIPT, &file.to_string_lossy()])) {
            Ok(m)
                if best
                    .as_ref()
                    .is_none_or(|b| num(&m, "wall") < num(b, "wall")) =>
            {
                best = Some(m)
            }
            Ok(_) => {}
            Err(e) => {
                eprintln!("xtask bench: DuckDB not measured ({python} with duckdb): {e}");
                return String::new();
            }
        }
    }
    let Some(m) = best else {
        return String::new();
    };
    let mb = std::fs::metadata(file).map_or(f64::NAN, |m| m.len() as f64 / 1e6);
    format!(
        "| DuckDB {} `read_json_auto` + `GROUP BY statusCode` | {mb:.0} MB | {:.2} s | {:.0} MB/s | {:.2} s | {:.0} MiB |\n",
        m.get("version").map_or("?", String::as_str),
        num(&m, "wall"),
        mb / num(&m, "wall"),
        num(&m, "cpu"),
        num(&m, "max_rss") / 1048576.0
    )
}

/// The page in headless Chromium: builds dist/, then runs bench/page.mjs.
fn page(bench: &Path, dir: &Path, mb: &str) -> Result<String, String> {
    eprintln!("\n==> page: release build");
    if !(tools::ensure_all(false) && crate::trunk_build()) {
        return Err("the release page did not build".into());
    }
    let ingest = generate(bench, dir, "storage-analytics", mb)?;
    let scroll = generate(bench, dir, "storage-analytics", "1000000requests")?;
    eprintln!("==> page: headless Chromium");
    let out = Command::new("node")
        .args([
            "bench/page.mjs",
            "--ingest",
            &ingest.to_string_lossy(),
            "--scroll",
            &scroll.to_string_lossy(),
        ])
        .current_dir(root())
        .env("PATH", tools::path_with_tools())
        .env("STORAGE_DOCTOR_DIST", root().join("dist"))
        .env("CHROMIUM", tools::CHROMIUM)
        .output()
        .map_err(|e| format!("node: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "bench/page.mjs failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Pulls `"key":number` out of one JSON line (the page script's output; no JSON crate here).
fn json_num(line: &str, key: &str) -> f64 {
    let pat = format!("\"{key}\":");
    line.find(&pat)
        .map(|i| &line[i + pat.len()..])
        .and_then(|r| {
            r.split([',', '}', ']'])
                .next()
                .and_then(|v| v.trim().parse().ok())
        })
        .unwrap_or(f64::NAN)
}

/// Every value of `"key":number` in a line.
fn json_nums(line: &str, key: &str) -> Vec<f64> {
    let pat = format!("\"{key}\":");
    line.match_indices(&pat)
        .filter_map(|(i, _)| {
            line[i + pat.len()..]
                .split([',', '}'])
                .next()
                .and_then(|v| v.trim().parse().ok())
        })
        .collect()
}

fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn render(rows: &[Row], duck: &str, page: &str, threads: usize, load_before: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Measured {} on {}. Load average {load_before} before, {} after (the machine is shared).\n",
        sh("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
        machine(),
        load()
    );
    let _ = writeln!(s, "### Native ingest, one thread (best of the runs)\n");
    let _ = writeln!(s, "| format | file | events | MB/s (CPU) | MB/s (wall) | first run, MB/s (CPU) | index bytes/event | diagnosis / ingest (CPU) |");
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|");
    for r in rows {
        let _ = writeln!(
            s,
            "| `{}` | {:.0} MB | {:.0} | {:.0} | {:.0} | {:.0} | {:.1} | {:.0} % |",
            r.format,
            r.mb,
            r.events,
            r.mb / r.cpu,
            r.mb / r.wall,
            r.mb / r.first_cpu,
            r.bytes_per_event,
            100.0 * r.diag_cpu / r.cpu
        );
    }
    let _ = writeln!(
        s,
        "\n### Native ingest, {threads} threads (line ranges, merged)\n"
    );
    let _ = writeln!(s, "| format | MB/s (wall) | CPU s | wall s |");
    let _ = writeln!(s, "|---|---|---|---|");
    for r in rows.iter().filter(|r| !r.par_wall.is_nan()) {
        let _ = writeln!(
            s,
            "| `{}` | {:.0} | {:.2} | {:.2} |",
            r.format,
            r.mb / r.par_wall,
            r.par_cpu,
            r.par_wall
        );
    }
    let _ = writeln!(
        s,
        "\n### End to end: `storage-doctor analyze --format json FILE` (read, diagnose, print)\n"
    );
    let _ = writeln!(
        s,
        "| format | file | wall | MB/s (wall) | CPU | peak memory |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|");
    for r in rows {
        let _ = writeln!(
            s,
            "| `{}` | {:.0} MB | {:.2} s | {:.0} | {:.2} s | {:.0} MiB |",
            r.format,
            r.mb,
            r.cli_wall,
            r.mb / r.cli_wall,
            r.cli_cpu,
            r.cli_rss / 1048576.0
        );
    }
    if !duck.is_empty() {
        let _ = writeln!(s, "\n### Side by side on the resource-log file\n");
        let _ = writeln!(s, "| run | file | wall | MB/s (wall) | CPU | peak memory |");
        let _ = writeln!(s, "|---|---|---|---|---|---|");
        s.push_str(duck);
        if let Some(r) = rows.iter().find(|r| r.format == "resource-log-json") {
            let _ = writeln!(
                s,
                "| `storage-doctor analyze` (ingest, correlation, every rule, JSON report) | {:.0} MB | {:.2} s | {:.0} MB/s | {:.2} s | {:.0} MiB |",
                r.mb,
                r.cli_wall,
                r.mb / r.cli_wall,
                r.cli_cpu,
                r.cli_rss / 1048576.0
            );
        }
    }
    if !page.is_empty() {
        let _ = writeln!(s, "\n### The page (headless Chromium, release build)\n");
        for line in page.lines() {
            let mb = json_num(line, "bytes") / 1e6;
            let ms = json_num(line, "ms");
            if line.contains("\"kind\":\"ingest\"") || line.contains("\"kind\":\"scroll\"") {
                let _ = writeln!(
                    s,
                    "- {:.0} MB `$logs` file: `done` after {:.1} s ({:.0} MB/s); main-thread tasks over 50 ms meanwhile: {} (longest {:.0} ms).",
                    mb,
                    ms / 1000.0,
                    mb / (ms / 1000.0),
                    json_num(line, "longTasks"),
                    json_num(line, "longestTaskMs")
                );
            }
            if line.contains("\"scroll\":{") {
                let mut busiest = json_nums(line, "busiestTaskMs");
                let mut shown = json_nums(line, "rowsShownMs");
                let max_busy = busiest.iter().copied().fold(0.0, f64::max);
                let max_shown = shown.iter().copied().fold(0.0, f64::max);
                let _ = writeln!(
                    s,
                    "- Requests table with {:.0} requests, {} scroll steps across it: longest main-thread task per step median {:.1} ms, max {:.1} ms; new rows on screen after median {:.0} ms, max {:.0} ms (the worker's answer included).",
                    json_num(line, "total"),
                    busiest.len(),
                    median(&mut busiest),
                    max_busy,
                    median(&mut shown),
                    max_shown
                );
            }
        }
    }
    s
}

fn write_doc(report: &str) -> Result<(), String> {
    let path = root().join("docs/PERFORMANCE.md");
    let doc = std::fs::read_to_string(&path).unwrap_or_default();
    const BEGIN: &str = "<!-- bench:begin (written by cargo xtask bench) -->";
    const END: &str = "<!-- bench:end -->";
    let block = format!("{BEGIN}\n{report}\n{END}");
    let new = match (doc.find(BEGIN), doc.find(END)) {
        (Some(a), Some(b)) if b > a => format!("{}{block}{}", &doc[..a], &doc[b + END.len()..]),
        _ => format!("{doc}\n## Latest figures\n\n{block}\n"),
    };
    std::fs::write(&path, new).map_err(|e| format!("{}: {e}", path.display()))?;
    eprintln!("xtask bench: figures written to {}", path.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_numbers_out_of_the_page_output() {
        let line = r#"{"kind":"scroll","ms":1234.5,"scroll":{"steps":[{"rowsShownMs":20,"busiestTaskMs":3.5},{"rowsShownMs":40,"busiestTaskMs":7}]}}"#;
        assert_eq!(json_num(line, "ms"), 1234.5);
        assert_eq!(json_nums(line, "busiestTaskMs"), vec![3.5, 7.0]);
        assert!(json_num(line, "absent").is_nan());
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
    }

    #[test]
    fn options() {
        let o = parse(&["--mb".into(), "20".into(), "--no-page".into()]).unwrap();
        assert_eq!((o.mb, o.page, o.doc), (20, false, true));
        assert!(parse(&["--bogus".into()]).is_err());
    }
}
