//! `cargo xtask fuzz [SECONDS] [TARGET...]`: runs the cargo-fuzz targets of `fuzz/` one after the
//! other (docs/FUZZING.md), SECONDS each (default 60), and prints one line per target.
//!
//! Each target starts from its committed seeds (`fuzz/corpus/<target>/`, read only) and keeps what
//! it discovers in `fuzz/work/<target>/` (ignored by git), so a second run continues where the
//! first stopped. libFuzzer's own output goes to `fuzz/work/<target>.log`. A crash, timeout or
//! out-of-memory input is left in `fuzz/artifacts/<target>/` (crashes also minimized there), the
//! command that reproduces it is printed, and the exit status is non-zero.
//!
//! It is not part of `cargo xtask test`: it needs the nightly toolchain and minutes per target.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use crate::{root, run, tools};

/// Limits of one input: a parser that takes longer or grows larger than this has a bug.
const LIMITS: [&str; 2] = ["-timeout=10", "-rss_limit_mb=2048"];

/// `rustup run nightly cargo fuzz …`: cargo-fuzz needs nightly (sanitizer flags). Through rustup
/// rather than `cargo +nightly`, because the `cargo` that runs the xtask is the stable toolchain's
/// own binary, which does not understand `+toolchain`.
fn cargo_fuzz() -> Command {
    let mut c = Command::new("rustup");
    c.args(["run", "nightly", "cargo", "fuzz"])
        .env("PATH", tools::path_with_tools());
    c
}

fn works(cmd: &mut Command) -> bool {
    cmd.stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The nightly toolchain and cargo-fuzz, installed when missing.
fn ensure_tools() -> bool {
    let nightly = || works(Command::new("rustup").args(["run", "nightly", "cargo", "--version"]));
    if !nightly() {
        eprintln!("xtask: installing the nightly toolchain (cargo-fuzz needs it)");
        if !run(Command::new("rustup").args([
            "toolchain",
            "install",
            "nightly",
            "--profile",
            "minimal",
        ])) || !nightly()
        {
            eprintln!(
                "xtask: no nightly toolchain; install it with `rustup toolchain install nightly`"
            );
            return false;
        }
    }
    if works(cargo_fuzz().arg("--version")) {
        return true;
    }
    eprintln!(
        "xtask: installing cargo-fuzz into {}",
        tools::cargo_home().join("bin").display()
    );
    run(Command::new("cargo")
        .args(["install", "cargo-fuzz", "--locked", "--root"])
        .arg(tools::cargo_home()))
        && works(cargo_fuzz().arg("--version"))
}

/// The targets `cargo fuzz list` knows, in its order.
fn list_targets() -> Option<Vec<String>> {
    let out = cargo_fuzz().arg("list").current_dir(root()).output().ok()?;
    out.status.success().then(|| {
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    })
}

/// The value libFuzzer prints after `key` in its final statistics or its last status line.
fn stat(log: &str, key: &str) -> Option<u64> {
    log.lines()
        .rev()
        .find_map(|l| l.split(key).nth(1))
        .and_then(|rest| {
            rest.trim_start()
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|n| n.parse().ok())
        })
}

fn artifacts(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    v.sort();
    v
}

fn is_failure(p: &Path) -> bool {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    ["crash-", "timeout-", "oom-", "leak-"]
        .iter()
        .any(|k| name.starts_with(k))
}

fn rel(p: &Path) -> String {
    p.strip_prefix(root()).unwrap_or(p).display().to_string()
}

/// Runs one target; prints its line; returns whether it found nothing.
fn run_target(target: &str, seconds: u64) -> bool {
    let work = root().join("fuzz/work");
    let corpus = work.join(target);
    let art_dir = root().join("fuzz/artifacts").join(target);
    let log_path = work.join(format!("{target}.log"));
    if let Err(e) = fs::create_dir_all(&corpus) {
        eprintln!("xtask: {}: {e}", corpus.display());
        return false;
    }
    let before = artifacts(&art_dir);
    let log = match fs::File::create(&log_path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("xtask: {}: {e}", log_path.display());
            return false;
        }
    };
    let err = match log.try_clone() {
        Ok(f) => f,
        Err(e) => {
            eprintln!("xtask: {}: {e}", log_path.display());
            return false;
        }
    };
    let t = Instant::now();
    let status = cargo_fuzz()
        .args(["run", target])
        .arg(&corpus)
        .arg(root().join("fuzz/corpus").join(target))
        .arg("--")
        .arg(format!("-max_total_time={seconds}"))
        .args(LIMITS)
        .arg("-print_final_stats=1")
        .current_dir(root())
        .stdout(log)
        .stderr(err)
        .status();
    let text = fs::read_to_string(&log_path).unwrap_or_default();
    // Fuzzing time as libFuzzer counts it (the wall time also holds a rebuild, if any).
    let secs = stat(&text, "runs in").unwrap_or_else(|| t.elapsed().as_secs());
    let execs =
        stat(&text, "stat::number_of_executed_units:").map_or("?".to_string(), |n| n.to_string());
    let cov = stat(&text, "cov:").map_or("?".to_string(), |n| n.to_string());
    let found: Vec<PathBuf> = artifacts(&art_dir)
        .into_iter()
        .filter(|p| !before.contains(p) && is_failure(p))
        .collect();
    let ok = matches!(&status, Ok(s) if s.success()) && found.is_empty();
    if ok {
        println!("{target:<30} ok      {secs:>5} s  {execs:>11} execs  cov {cov}");
        return true;
    }
    if found.is_empty() {
        let why = if text.contains("run interrupted") {
            "interrupted by a signal"
        } else {
            "did not run to the end"
        };
        println!(
            "{target:<30} FAILED  {secs:>5} s  {why}; see {}",
            rel(&log_path)
        );
        return false;
    }
    for f in found {
        let name = f
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let mut input = f.clone();
        // Crashes shrink well and quickly; a timeout or out-of-memory input is kept as it is.
        if name.starts_with("crash-") {
            let had = artifacts(&art_dir);
            let tmin_log = work.join(format!("{target}.tmin.log"));
            let minimized = fs::File::create(&tmin_log).ok().and_then(|l| {
                let e = l.try_clone().ok()?;
                cargo_fuzz()
                    .args(["tmin", target])
                    .arg(&f)
                    .arg("--")
                    .args(LIMITS)
                    .current_dir(root())
                    .stdout(l)
                    .stderr(e)
                    .status()
                    .ok()?;
                // libFuzzer writes every smaller input it finds; the smallest is the result.
                artifacts(&art_dir)
                    .into_iter()
                    .filter(|p| !had.contains(p) && p.to_string_lossy().contains("minimized-from-"))
                    .min_by_key(|p| fs::metadata(p).map_or(u64::MAX, |m| m.len()))
            });
            if let Some(m) = minimized {
                input = m;
            }
        }
        let kind = name
            .split('-')
            .next()
            .unwrap_or("crash")
            .to_ascii_uppercase();
        println!(
            "{target:<30} {kind:<7} {secs:>5} s  {execs:>11} execs  input {}\n    reproduce: cargo +nightly fuzz run {target} {}\n    log: {}",
            rel(&input),
            rel(&input),
            rel(&log_path)
        );
    }
    false
}

pub fn main(args: &[String]) -> ExitCode {
    let (seconds, wanted) = match args.first().map(|a| a.parse::<u64>()) {
        Some(Ok(s)) => (s, &args[1..]),
        _ => (60, args),
    };
    if !ensure_tools() {
        return ExitCode::FAILURE;
    }
    // Builds every target once, visibly; the runs below then start at once.
    if !run(cargo_fuzz().arg("build")) {
        return ExitCode::FAILURE;
    }
    let Some(all) = list_targets() else {
        eprintln!("xtask: `cargo fuzz list` failed");
        return ExitCode::FAILURE;
    };
    let targets: Vec<String> = if wanted.is_empty() {
        all
    } else if let Some(bad) = wanted.iter().find(|w| !all.contains(w)) {
        eprintln!(
            "xtask: no fuzz target '{bad}'; the targets are: {}",
            all.join(", ")
        );
        return ExitCode::from(2);
    } else {
        wanted.to_vec()
    };
    eprintln!(
        "xtask: fuzzing {} targets for {seconds} s each (libFuzzer output in fuzz/work/<target>.log)",
        targets.len()
    );
    let failed = targets.iter().filter(|t| !run_target(t, seconds)).count();
    println!(
        "xtask: fuzz: {} targets clean, {failed} failed",
        targets.len() - failed
    );
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
