//! The CLI binary against the scenario fixtures and the CONTRACTS.md promises.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_storage-doctor"))
}

fn scenarios() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/fixtures/scenarios")
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("binary runs")
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn analyze_json_reports_sas_expired() {
    let trace = scenarios().join("sas-expired.dotnet-legacy-trace.log");
    let out = run(&["analyze", "--format", "json", trace.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out);
    assert_eq!(v["version"], 1);
    assert_eq!(v["inputs"][0]["format"], "dotnet-legacy-trace");
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "sas-expired")
        .expect("sas-expired");
    assert_eq!(f["severity"], "error");
    assert_eq!(f["count"], 3);
    assert_eq!(f["evidence"][0]["line"], 19);
    // Secrets never reach the output.
    assert!(!String::from_utf8_lossy(&out.stdout).contains("Q2xpZW50U2VjcmV0"));
}

#[test]
fn every_scenario_through_the_binary() {
    // Each scenario's expected rules appear when its inputs go through the binary.
    let mut checked = 0;
    for entry in std::fs::read_dir(scenarios()).unwrap().flatten() {
        let p = entry.path();
        if p.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        // JSON inputs (resource logs, CORS rule lists) live beside the scenarios; the core's
        // scenario test checks that every such file is named by a scenario.
        let Ok(spec) =
            serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(&p).unwrap())
        else {
            continue;
        };
        if !spec["inputs"].is_array() {
            continue;
        }
        if let Some(pending) = spec["pending_format"].as_str() {
            if !storage_doctor_core::formats::ids().contains(&pending) {
                continue;
            }
        }
        let mut args: Vec<String> = vec!["analyze".into(), "--format".into(), "json".into()];
        for i in spec["inputs"].as_array().unwrap() {
            let f = scenarios().join(i["file"].as_str().unwrap());
            if let Some(fmt) = i["force_format"].as_str() {
                args.push(format!("--format-of={}={fmt}", f.display()));
            }
            args.push(f.display().to_string());
        }
        let out = bin().args(&args).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}: {}",
            p.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let v = json(&out);
        let got: Vec<&str> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f["rule"].as_str())
            .collect();
        for want in spec["present"].as_array().into_iter().flatten() {
            let rule = want["rule"].as_str().unwrap();
            assert!(
                got.contains(&rule),
                "{}: expected {rule}, got {got:?}",
                p.display()
            );
        }
        for absent in spec["absent"].as_array().into_iter().flatten() {
            let rule = absent.as_str().unwrap();
            assert!(
                !got.contains(&rule),
                "{}: {rule} must be absent",
                p.display()
            );
        }
        // The summary's skew per input (rounded to 0.1 s) agrees with the scenario's.
        for want in spec["clock_skew"].as_array().into_iter().flatten() {
            let source = want["source"].as_str().unwrap();
            let seconds = want["seconds"].as_f64().unwrap();
            let tolerance = want["tolerance"].as_f64().unwrap_or(1.0) + 0.05;
            let got = v["summary"]["clock_skew"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["source"].as_str().is_some_and(|p| p.ends_with(source)))
                .and_then(|s| s["seconds"].as_f64());
            assert!(
                got.is_some_and(|g| (g - seconds).abs() <= tolerance),
                "{}: clock skew of {source} is {got:?}, expected {seconds}",
                p.display()
            );
        }
        checked += 1;
    }
    assert!(checked > 0);
}

#[test]
fn fail_on_sets_exit_code_one() {
    let trace = scenarios().join("sas-expired.dotnet-legacy-trace.log");
    let out = run(&[
        "analyze",
        "--format",
        "text",
        "--fail-on",
        "error",
        trace.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("sas-expired"));
}

#[test]
fn bad_arguments_and_paths_exit_two_with_a_message() {
    for args in [
        vec!["analyze"],
        vec!["analyze", "/no/such/file.log"],
        vec!["analyze", "--format", "yaml", "x"],
        vec!["analyze", "--fail-on", "info", "x"],
        vec!["analyze", "--format-of", "x=nope", "x"],
        vec!["analyze", "--bogus", "x"],
        vec!["frobnicate"],
    ] {
        let out = run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            !out.stderr.is_empty(),
            "{args:?} must explain itself on stderr"
        );
    }
}

#[test]
fn stdin_folders_and_empty_files() {
    let dir = std::env::temp_dir().join(format!("sd-cli-{}", std::process::id()));
    let sub = dir.join("sub");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::write(dir.join("empty.log"), b"").unwrap();
    std::fs::write(sub.join("junk.txt"), b"hello\nworld\n").unwrap();
    let out = run(&["analyze", "--format", "json", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    let inputs = v["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), 2, "folders are recursed");
    let empty = inputs
        .iter()
        .find(|i| i["path"].as_str().unwrap().ends_with("empty.log"))
        .unwrap();
    assert!(empty["notices"].to_string().contains("empty"));
    let junk = inputs
        .iter()
        .find(|i| i["path"].as_str().unwrap().ends_with("junk.txt"))
        .unwrap();
    assert_eq!(junk["format"], "unknown");
    assert_eq!(junk["skipped_total"], 2);
    assert_eq!(junk["skipped"][0]["line"], 1);

    let trace = std::fs::read(scenarios().join("sas-expired.dotnet-legacy-trace.log")).unwrap();
    let mut child = bin()
        .args(["analyze", "--format", "json", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(&trace).unwrap();
    let out = child.wait_with_output().unwrap();
    let v = json(&out);
    assert_eq!(v["inputs"][0]["path"], "<stdin>");
    assert!(v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule"] == "sas-expired"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn markdown_output_is_ticket_ready() {
    let trace = scenarios().join("sas-expired.dotnet-legacy-trace.log");
    let out = run(&["analyze", "--format", "markdown", trace.to_str().unwrap()]);
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(md.starts_with("# Storage Doctor report"));
    assert!(md.contains("`sas-expired`"));
    assert!(md.contains("| where | time | status |"));
    assert!(!md.contains("Q2xpZW50U2VjcmV0"));
}

#[test]
fn cors_check_verdicts_and_generated_rule() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/fixtures/cors-rules");
    let file = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().and_then(|e| e.to_str()) == Some("xml"))
        .expect("an XML rules fixture");
    let out = run(&[
        "cors",
        "--rules",
        file.to_str().unwrap(),
        "--service",
        "blob",
        "--origin",
        "https://nowhere.example",
        "--method",
        "PUT",
        "--header",
        "x-ms-blob-type",
        "--format",
        "json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out);
    assert_eq!(v["verdict"], "blocked");
    assert!(
        v.to_string().contains("https://nowhere.example"),
        "the generated rule allows the origin"
    );
    let text = run(&[
        "cors",
        "--rules",
        file.to_str().unwrap(),
        "--origin",
        "https://nowhere.example",
        "--method",
        "PUT",
    ]);
    assert_eq!(text.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&text.stdout).contains("az storage cors"));
}

#[test]
fn cors_bad_arguments_exit_two() {
    for args in [
        vec!["cors"],
        vec![
            "cors",
            "--rules",
            "/no/such.xml",
            "--origin",
            "https://a",
            "--method",
            "GET",
        ],
        vec![
            "cors",
            "--rules",
            "x",
            "--origin",
            "https://a",
            "--method",
            "GET",
            "--service",
            "disk",
        ],
        vec!["cors", "--rules", "x", "--origin", "https://a"],
    ] {
        let out = run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!out.stderr.is_empty());
    }
}

#[test]
fn a_large_file_read_in_parallel_gives_the_serial_report() {
    // Over the 32 MiB from which the CLI splits a file: the scenario's hour of `$logs` repeated
    // with fresh request ids (repeats of the same id would be duplicates, read serially).
    let hour = std::fs::read_to_string(
        scenarios().join("ops-benign-client-other-errors.storage-analytics.log"),
    )
    .unwrap();
    let mut text = String::new();
    let mut copy = 0u32;
    while text.len() < 34 << 20 {
        for line in hour.lines() {
            // Field 14 is the request id; its first eight hex digits become the copy number.
            let mut fields: Vec<&str> = line.split(';').collect();
            let rid = fields.get(13).map(|r| format!("{copy:08x}{}", &r[8..]));
            if let Some(r) = &rid {
                fields[13] = r;
            }
            text.push_str(&fields.join(";"));
            text.push('\n');
        }
        copy += 1;
    }
    let path = std::env::temp_dir().join(format!("storage-doctor-cli-{}.log", std::process::id()));
    std::fs::write(&path, &text).unwrap();
    let analyze = |threads: &str| {
        bin()
            .args(["analyze", "--format", "json", path.to_str().unwrap()])
            .env("STORAGE_DOCTOR_THREADS", threads)
            .output()
            .expect("binary runs")
    };
    let serial = analyze("1");
    let parallel = analyze("3");
    let _ = std::fs::remove_file(&path);
    assert_eq!(serial.status.code(), Some(0));
    let v = json(&serial);
    assert!(v["inputs"][0]["events"].as_u64().unwrap() > 60_000);
    assert_eq!(v["inputs"][0]["skipped_total"], 0);
    assert!(
        serial.stdout == parallel.stdout,
        "the parallel read changed the report"
    );
}

/// `storage-doctor analyze - | head`: the reader is gone before the report is written. The
/// command ends quietly with its usual exit code instead of panicking on the closed pipe.
#[test]
fn closed_output_pipe_is_not_a_crash() {
    use std::io::Write;
    use std::process::Stdio;
    let input = std::fs::read(scenarios().join("sas-expired.dotnet-legacy-trace.log")).unwrap();
    let mut child = bin()
        .args(["analyze", "--format", "markdown", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    // Close the read end of its output first, then give it the log: the report's write fails.
    drop(child.stdout.take());
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&input).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}
