//! `storage-doctor-bench`: the measuring half of `cargo xtask bench` (the xtask stays
//! standard-library only, so the code that links the core lives here).
//!
//! ```text
//! storage-doctor-bench gen FORMAT OUT (--mb N | --requests N)
//! storage-doctor-bench ingest FILE [--repeat N] [--diag-repeat N] [--threads N]
//! storage-doctor-bench run -- COMMAND [ARGS...]
//! ```
//! Every command prints one line of `key=value` pairs on standard output.

mod gen;

use std::io::{BufWriter, Read, Write};
use std::process::ExitCode;
use std::time::Instant;

use storage_doctor_core::{Ingest, Report};

/// Large tables on 2 MiB pages where Linux offers them (see `storage_doctor_core::large_pages`).
#[cfg(target_os = "linux")]
#[global_allocator]
static ALLOC: storage_doctor_core::large_pages::LargePages =
    storage_doctor_core::large_pages::LargePages;

/// Slice size the CLI and the page's worker feed the ingest with.
const SLICE: usize = 8 << 20;

/// CPU time (user + system) and system time in seconds, and peak resident set in bytes, of
/// `who`.
fn rusage(who: libc::c_int) -> (f64, f64, u64) {
    // SAFETY: getrusage only writes the struct it is given.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(who, &mut u) };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    (
        secs(u.ru_utime) + secs(u.ru_stime),
        secs(u.ru_stime),
        u.ru_maxrss as u64 * 1024,
    )
}

/// This thread's CPU time (user + system), to the nanosecond: `getrusage` counts in scheduler
/// ticks (4 ms here), too coarse for the per-rule figures of `--rules`.
fn thread_cpu() -> f64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes the struct it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    t.tv_sec as f64 + t.tv_nsec as f64 / 1e9
}

fn process_cpu() -> f64 {
    rusage(libc::RUSAGE_SELF).0
}

fn arg<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

fn gen_cmd(args: &[String]) -> Result<(), String> {
    let (Some(format), Some(out)) = (args.first(), args.get(1)) else {
        return Err("gen FORMAT OUT (--mb N | --requests N)".into());
    };
    let mb: f64 = arg(args, "--mb")
        .map_or(Ok(500.0), str::parse)
        .map_err(|e| format!("--mb: {e}"))?;
    let requests = arg(args, "--requests")
        .map(str::parse)
        .transpose()
        .map_err(|e| format!("--requests: {e}"))?;
    let file = std::fs::File::create(out).map_err(|e| format!("{out}: {e}"))?;
    let mut w = BufWriter::with_capacity(4 << 20, file);
    let written = gen::generate(format, (mb * 1e6) as u64, requests, &mut w)
        .and_then(|w2| w.flush().map(|_| w2))
        .map_err(|e| format!("{out}: {e}"))?;
    println!(
        "format={format} bytes={} requests={}",
        written.bytes, written.requests
    );
    Ok(())
}

/// Ingests the whole file `repeat` times (best time kept), then diagnoses it `--diag-repeat`
/// times (default: `repeat`; a diagnosis is short, and comparing two builds of it on a shared
/// machine needs more runs than the ingest).
fn ingest_cmd(args: &[String]) -> Result<(), String> {
    let Some(path) = args.first() else {
        return Err("ingest FILE [--repeat N] [--diag-repeat N] [--threads N]".into());
    };
    let repeat: usize = arg(args, "--repeat")
        .map_or(Ok(3), str::parse)
        .map_err(|e| format!("--repeat: {e}"))?;
    let threads: usize = arg(args, "--threads")
        .map_or(Ok(1), str::parse)
        .map_err(|e| format!("--threads: {e}"))?;
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(|e| format!("{path}: {e}"))?;
    let mut best = (f64::MAX, f64::MAX);
    let mut sys_best = f64::MAX;
    // The first run's CPU time: its memory is fresh from the kernel, as a CLI run's is; later
    // runs reuse pages the allocator or the kernel has at hand.
    let mut first_cpu = None;
    let mut ds = None;
    for _ in 0..repeat.max(1) {
        drop(ds.take());
        // System time in scheduler ticks (a few milliseconds): page faults of the memory the
        // ingest fills are most of it. The whole process's when threads share the work.
        let who = if threads > 1 {
            libc::RUSAGE_SELF
        } else {
            libc::RUSAGE_THREAD
        };
        let s0 = rusage(who).1;
        let (w0, c0) = (
            Instant::now(),
            if threads > 1 {
                process_cpu()
            } else {
                thread_cpu()
            },
        );
        let d = if threads > 1 {
            let mut ing = Ingest::new();
            storage_doctor_core::parallel::ingest_file(
                &mut ing,
                path,
                std::path::Path::new(path),
                None,
                threads,
            )?;
            ing.finish()
        } else {
            let mut ing = Ingest::new();
            ing.begin(path, None).map_err(|e| e.to_string())?;
            ing.expect_bytes(bytes.len() as u64);
            for c in bytes.chunks(SLICE) {
                ing.feed(c);
            }
            ing.finish()
        };
        let wall = w0.elapsed().as_secs_f64();
        let cpu = if threads > 1 {
            process_cpu()
        } else {
            thread_cpu()
        } - c0;
        best = (best.0.min(wall), best.1.min(cpu));
        first_cpu.get_or_insert(cpu);
        sys_best = sys_best.min(rusage(who).1 - s0);
        ds = Some(d);
    }
    let ds = ds.expect("ran at least once");
    let mut diag = (f64::NAN, f64::NAN);
    let mut findings = 0;
    let diag_runs = if args.iter().any(|a| a == "--no-diag") {
        0
    } else {
        arg(args, "--diag-repeat")
            .map_or(Ok(repeat), str::parse)
            .map_err(|e| format!("--diag-repeat: {e}"))?
            .max(1)
    };
    for _ in 0..diag_runs {
        let (w0, c0) = (Instant::now(), thread_cpu());
        let report = Report::build(&ds);
        // `f64::min` ignores the NaN start.
        diag = (
            diag.0.min(w0.elapsed().as_secs_f64()),
            diag.1.min(thread_cpu() - c0),
        );
        findings = report.findings.len();
    }
    if args.iter().any(|a| a == "--rules") {
        rule_profile(&ds, repeat.max(1));
    }
    let info = &ds.inputs[0];
    println!(
        "file={path} format={} bytes={} events={} lines={} skipped={} threads={threads} ingest_wall={:.4} ingest_cpu={:.4} ingest_sys={:.3} ingest_cpu_first={:.4} diag_wall={:.4} diag_cpu={:.4} heap_bytes={} findings={findings}",
        info.format,
        bytes.len(),
        ds.events.len(),
        info.lines,
        info.skipped_total,
        best.0,
        best.1,
        sys_best,
        first_cpu.unwrap_or(f64::NAN),
        diag.0,
        diag.1,
        ds.heap_bytes(),
    );
    Ok(())
}

/// Where diagnosis time goes: correlation, then each rule (thread CPU seconds, the best of
/// `runs`, on stderr). A rule's time includes the shared indexes it is the first to ask for.
fn rule_profile(ds: &storage_doctor_core::model::Dataset, runs: usize) {
    use storage_doctor_core::correlate::Correlation;
    use storage_doctor_core::rules::{registry, Context};
    let mut correlation_best = f64::MAX;
    let mut best = vec![f64::MAX; registry().len()];
    let mut found = vec![0; registry().len()];
    for _ in 0..runs {
        let c0 = thread_cpu();
        let correlation = Correlation::build(ds);
        correlation_best = correlation_best.min(thread_cpu() - c0);
        let cx = Context::new(ds, &correlation);
        for (k, r) in registry().iter().enumerate() {
            let c0 = thread_cpu();
            found[k] = r.run(&cx).len();
            best[k] = best[k].min(thread_cpu() - c0);
        }
    }
    eprintln!("  correlation {correlation_best:.4}");
    for (k, r) in registry().iter().enumerate() {
        eprintln!("  {:<40} {:.4}  ({} findings)", r.id(), best[k], found[k]);
    }
}

/// Runs a command with its output discarded; reports its wall time, CPU time and peak memory.
fn run_cmd(args: &[String]) -> Result<(), String> {
    let cmd = match args.first().map(String::as_str) {
        Some("--") => &args[1..],
        _ => args,
    };
    let Some(program) = cmd.first() else {
        return Err("run -- COMMAND [ARGS...]".into());
    };
    let t = Instant::now();
    let status = std::process::Command::new(program)
        .args(&cmd[1..])
        .stdout(std::process::Stdio::null())
        .status()
        .map_err(|e| format!("{program}: {e}"))?;
    let wall = t.elapsed().as_secs_f64();
    let (cpu, _, rss) = rusage(libc::RUSAGE_CHILDREN);
    println!(
        "status={} wall={wall:.4} cpu={cpu:.4} max_rss={rss}",
        status.code().unwrap_or(-1)
    );
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rest = args.get(1..).unwrap_or(&[]);
    let res = match args.first().map(String::as_str) {
        Some("gen") => gen_cmd(rest),
        Some("ingest") => ingest_cmd(rest),
        Some("run") => run_cmd(rest),
        _ => Err("usage: storage-doctor-bench gen|ingest|run … (see cargo xtask bench)".into()),
    };
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("storage-doctor-bench: {e}");
            ExitCode::from(2)
        }
    }
}
