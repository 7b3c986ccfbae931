//! Runs every declarative scenario in `fixtures/scenarios/*.json` through the core.
//!
//! A scenario names its input files (with the format each must be recognised as) and the
//! findings that must and must not appear. The same files drive the CLI tests and the browser
//! end-to-end suite; see `fixtures/scenarios/README.md`.

use std::path::{Path, PathBuf};

use serde_json::Value;
use storage_doctor_core::{Ingest, Report};

fn scenarios_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/scenarios")
}

fn run(path: &Path) -> Result<(), String> {
    let spec: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap())
        .map_err(|e| format!("bad scenario JSON: {e}"))?;
    let mut ing = Ingest::new();
    for input in spec["inputs"].as_array().ok_or("inputs missing")? {
        let file = input["file"].as_str().ok_or("file missing")?;
        let bytes =
            std::fs::read(scenarios_dir().join(file)).map_err(|e| format!("{file}: {e}"))?;
        ing.begin(file, input["force_format"].as_str())
            .map_err(|e| e.to_string())?;
        // Odd slice size, so every scenario also exercises the chunk-boundary carry.
        for chunk in bytes.chunks(4093) {
            ing.feed(chunk);
        }
    }
    let ds = ing.finish();
    let report = Report::build(&ds);
    for (i, input) in spec["inputs"].as_array().unwrap().iter().enumerate() {
        if let Some(fmt) = input["format"].as_str() {
            let got = &report.inputs[i].format;
            if got != fmt {
                return Err(format!(
                    "{}: detected {got}, expected {fmt}",
                    report.inputs[i].path
                ));
            }
        }
    }
    let got: Vec<String> = report
        .findings
        .iter()
        .map(|f| format!("{}:{}", f.rule, f.severity.as_str()))
        .collect();
    for p in spec["present"].as_array().into_iter().flatten() {
        let rule = p["rule"].as_str().ok_or("present.rule missing")?;
        let f = report
            .findings
            .iter()
            .find(|f| f.rule == rule)
            .ok_or_else(|| format!("expected finding {rule}; got {got:?}"))?;
        if let Some(sev) = p["severity"].as_str() {
            if f.severity.as_str() != sev {
                return Err(format!(
                    "{rule}: severity {} expected {sev}",
                    f.severity.as_str()
                ));
            }
        }
        if let Some(n) = p["count"].as_u64() {
            if f.count != n {
                return Err(format!("{rule}: count {} expected {n}", f.count));
            }
        }
        for want in p["evidence"].as_array().into_iter().flatten() {
            let ok = f.evidence.iter().any(|e| {
                want["line"].as_u64().is_none_or(|l| e.line == l)
                    && want["path"].as_str().is_none_or(|x| e.path == x)
                    && want["client_request_id"]
                        .as_str()
                        .is_none_or(|x| e.client_request_id == x)
                    && want["request_id"]
                        .as_str()
                        .is_none_or(|x| e.request_id == x)
                    && want["status"]
                        .as_u64()
                        .is_none_or(|x| e.status == Some(x as u16))
                    && want["fields"].as_object().is_none_or(|m| {
                        m.iter()
                            .all(|(k, v)| e.fields.get(k).map(String::as_str) == v.as_str())
                    })
            });
            if !ok {
                return Err(format!(
                    "{rule}: no evidence matching {want}; have {:#?}",
                    f.evidence
                ));
            }
        }
        for needle in p["text_contains"].as_array().into_iter().flatten() {
            let needle = needle.as_str().unwrap_or("");
            let all = format!("{} {} {}", f.title, f.explanation, f.fix.join(" "));
            if !all.contains(needle) {
                return Err(format!("{rule}: text does not mention {needle:?}"));
            }
        }
    }
    for a in spec["absent"].as_array().into_iter().flatten() {
        let rule = a.as_str().unwrap_or("");
        if report.findings.iter().any(|f| f.rule == rule) {
            return Err(format!("finding {rule} must be absent; got {got:?}"));
        }
    }
    if spec["no_other_errors"].as_bool() == Some(true) {
        let listed: Vec<&str> = spec["present"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p["rule"].as_str())
            .collect();
        for f in &report.findings {
            if matches!(f.severity.as_str(), "error" | "warning") && !listed.contains(&f.rule) {
                return Err(format!(
                    "unexpected {} finding {}",
                    f.severity.as_str(),
                    f.rule
                ));
            }
        }
    }
    if spec["clean"].as_bool() == Some(true) {
        if let Some(f) = report
            .findings
            .iter()
            .find(|f| matches!(f.severity.as_str(), "error" | "warning"))
        {
            return Err(format!(
                "clean scenario produced {} {}",
                f.severity.as_str(),
                f.rule
            ));
        }
    }
    Ok(())
}

#[test]
fn every_scenario_holds() {
    let mut failures = Vec::new();
    let mut n = 0;
    let mut entries: Vec<_> = std::fs::read_dir(scenarios_dir())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        // A scenario written before its format's parser exists waits for it, so it starts
        // running the moment the parser is registered.
        let spec: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap_or(Value::Null);
        if let Some(f) = spec["pending_format"].as_str() {
            if !storage_doctor_core::formats::ids().contains(&f) {
                println!(
                    "skipping {}: format {f} is not available yet",
                    path.file_name().unwrap().to_string_lossy()
                );
                continue;
            }
        }
        n += 1;
        if let Err(e) = run(&path) {
            failures.push(format!(
                "{}: {e}",
                path.file_name().unwrap().to_string_lossy()
            ));
        }
    }
    assert!(n > 0, "no scenarios found");
    assert!(
        failures.is_empty(),
        "{} of {n} scenarios failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
