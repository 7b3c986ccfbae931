//! `cargo xtask <command>`: the project's one entry point for setting up, building, serving and
//! testing. Standard library only, so it builds in seconds on a fresh machine.
//!
//! - `serve [--port N]`   install what is missing, build the release page, serve it locally
//! - `test`               install what is missing, run every test (fmt, clippy, native, wasm, e2e)
//! - `dist [--single-file]` build the release page into `dist/` (and `dist-single/storage-doctor.html`)
//! - `bench`              throughput and memory benchmarks (see docs/PERFORMANCE.md)
//! - `fuzz [SECONDS] [TARGET...]` run the cargo-fuzz targets (nightly), SECONDS each (default 60)
//! - `setup`              only install the tools

mod bench;
mod encode;
mod fuzz;
mod postbuild;
mod serve;
mod single;
mod tools;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// Runs a command in the workspace root, echoing it; returns whether it succeeded.
pub fn run(cmd: &mut Command) -> bool {
    cmd.current_dir(root());
    eprintln!("$ {}", describe(cmd));
    match cmd.status() {
        Ok(s) => s.success(),
        Err(e) => {
            eprintln!("xtask: could not start {}: {e}", describe(cmd));
            false
        }
    }
}

fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// `cargo` with the tool directories on PATH.
pub fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.env("PATH", tools::path_with_tools());
    c
}

pub fn trunk_build() -> bool {
    // `--offline` also stops Trunk from downloading a tool whose version does not match; fetch the
    // crates first so cargo has them.
    run(cargo().args(["fetch", "--locked"]))
        && run(Command::new(tools::cargo_bin("trunk"))
            .args(["build", "--release", "--offline", "--locked"])
            .env("PATH", tools::path_with_tools())
            .env("TRUNK_SKIP_VERSION_CHECK", "true")
            .env("NO_COLOR", "1"))
        && report(
            "finish dist/ (CSP hash, offline file list)",
            postbuild::finish(&root().join("dist")),
        )
}

/// Packs `dist/` (already built) into `dist-single/storage-doctor.html`.
pub fn single_file() -> bool {
    match single::build(&root().join("dist"), &root().join("dist-single")) {
        Ok(path) => {
            let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            eprintln!(
                "xtask: single-file page {} ({:.2} MB)",
                path.display(),
                size as f64 / 1_000_000.0
            );
            true
        }
        Err(e) => {
            eprintln!("xtask: single-file build failed: {e}");
            false
        }
    }
}

fn report(what: &str, r: Result<(), String>) -> bool {
    match r {
        Ok(()) => true,
        Err(e) => {
            eprintln!("xtask: {what} failed: {e}");
            false
        }
    }
}

struct Step {
    name: &'static str,
    ok: bool,
    secs: f64,
}

fn test() -> ExitCode {
    let mut steps: Vec<Step> = Vec::new();
    let mut step = |name: &'static str, f: &mut dyn FnMut() -> bool| {
        eprintln!("\n==> {name}");
        let t = Instant::now();
        let ok = f();
        steps.push(Step {
            name,
            ok,
            secs: t.elapsed().as_secs_f64(),
        });
        ok
    };
    let tools_ok = step("install tools", &mut || tools::ensure_all(true));
    step("fmt", &mut || {
        run(cargo().args(["fmt", "--all", "--", "--check"]))
    });
    step("clippy", &mut || {
        run(cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--locked",
            "--",
            "-D",
            "warnings",
        ])) && run(cargo().args([
            "clippy",
            "-p",
            "storage-doctor",
            "--target",
            "wasm32-unknown-unknown",
            "--all-targets",
            "--locked",
            "--",
            "-D",
            "warnings",
        ]))
    });
    step("native tests", &mut || {
        run(cargo().args(["test", "--workspace", "--locked"]))
    });
    if tools_ok {
        step("wasm tests (headless Chromium)", &mut || {
            run(cargo()
                .args([
                    "test",
                    "-p",
                    "storage-doctor",
                    "--target",
                    "wasm32-unknown-unknown",
                    "--test",
                    "web",
                    "--locked",
                ])
                .env("CHROMEDRIVER", tools::CHROMEDRIVER)
                .env(
                    "WASM_BINDGEN_TEST_WEBDRIVER_JSON",
                    root().join("tests/webdriver.json"),
                )
                .env("WASM_BINDGEN_TEST_TIMEOUT", "60"))
        });
        let built = step("release build (trunk, single file)", &mut || {
            trunk_build() && single_file()
        });
        if built {
            step("end-to-end tests (Chromium)", &mut || {
                run(Command::new("node")
                    .args(["--test", "--test-concurrency=1", "tests/e2e/"])
                    .env("PATH", tools::path_with_tools())
                    .env("STORAGE_DOCTOR_DIST", root().join("dist"))
                    .env(
                        "STORAGE_DOCTOR_SINGLE",
                        root().join("dist-single").join(single::FILE_NAME),
                    )
                    .env("CHROMIUM", tools::CHROMIUM))
            });
        }
    }
    eprintln!("\nSummary:");
    for s in &steps {
        eprintln!(
            "  {:<34} {:>6.1}s  {}",
            s.name,
            s.secs,
            if s.ok { "ok" } else { "FAILED" }
        );
    }
    let failed = steps.iter().filter(|s| !s.ok).count();
    let passed = steps.len() - failed;
    if !tools_ok {
        eprintln!("  (wasm and end-to-end tests need the tools above; they were not run)");
    }
    println!("xtask: {passed} passed, {failed} failed");
    if failed == 0 && tools_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cmd = args.first().map(String::as_str).unwrap_or("help");
    match cmd {
        "setup" => {
            if tools::ensure_all(args.iter().any(|a| a == "--browser")) {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        "test" => test(),
        "fuzz" => fuzz::main(&args[1..]),
        "bench" => bench::main(&args[1..]),
        "dist" => {
            let single = args.iter().any(|a| a == "--single-file");
            if tools::ensure_all(false) && trunk_build() && (!single || single_file()) {
                eprintln!("xtask: the page is in {}", root().join("dist").display());
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        "serve" => {
            let port = args
                .iter()
                .position(|a| a == "--port")
                .and_then(|i| args.get(i + 1))
                .and_then(|p| p.parse().ok())
                .unwrap_or(8080u16);
            if !(tools::ensure_all(false) && trunk_build()) {
                return ExitCode::FAILURE;
            }
            serve::serve(&root().join("dist"), port)
        }
        _ => {
            eprintln!(
                "usage: cargo xtask <serve [--port N] | test | dist [--single-file] | bench [...] | setup [--browser] | fuzz [SECONDS] [TARGET...]>\n\n\
                 serve   install what is missing, build the page, serve it on http://127.0.0.1:8080/\n\
                 test    install what is missing and run every test\n\
                 dist    build the release page into dist/ (--single-file: also dist-single/storage-doctor.html)\n\
                 bench   measure ingest, memory, the CLI and the page (docs/PERFORMANCE.md)\n\
                 setup   install the tools only (--browser: Chromium and ChromeDriver too)\n\
                 fuzz    run the fuzz targets (nightly), SECONDS each (default 60); see docs/FUZZING.md"
            );
            if cmd == "help" || cmd == "--help" {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            }
        }
    }
}
