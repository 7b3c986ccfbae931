//! Runs every declarative scenario in `fixtures/scenarios/*.json` through the core.
//!
//! A scenario names its input files (with the format each must be recognised as) and the
//! findings that must and must not appear. The same files drive the CLI tests and the browser
//! end-to-end suite; see `fixtures/scenarios/README.md`.

use std::path::{Path, PathBuf};

use serde_json::Value;
use storage_doctor_core::correlate::Correlation;
use storage_doctor_core::model::Dataset;
use storage_doctor_core::report::table::RequestIndex;
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
    // The CLI runs the rules on several threads: the report must not change.
    for threads in [2, 3, 8] {
        if Report::build_on(&ds, threads).to_json() != report.to_json() {
            return Err(format!(
                "the rules run on {threads} threads gave another report than on one"
            ));
        }
    }
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
        if let Some(want) = p["cors_rule"].as_object() {
            let got = f
                .cors_rule
                .as_ref()
                .map(|r| serde_json::to_value(r).expect("cors rule serializes"))
                .ok_or_else(|| format!("{rule}: no cors_rule"))?;
            for (k, v) in want {
                if &got[k] != v {
                    return Err(format!("{rule}: cors_rule.{k} is {}, expected {v}", got[k]));
                }
            }
        }
        // The rule written out in every form users apply it in (portal, az, PowerShell…).
        for needle in p["cors_forms_contain"].as_array().into_iter().flatten() {
            let needle = needle.as_str().unwrap_or("");
            if !f.cors_forms.iter().any(|c| c.text.contains(needle)) {
                return Err(format!("{rule}: no CORS form mentions {needle:?}"));
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
    check_requests(&spec, &ds)?;
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
    if spec["no_findings"].as_bool() == Some(true) && !report.findings.is_empty() {
        return Err(format!("expected no finding at all; got {got:?}"));
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

/// The correlation's view of the scenario: `requests` (how the observations of one client
/// request id were joined) and `clock_skew` (the skew estimated for an input).
fn check_requests(spec: &Value, ds: &Dataset) -> Result<(), String> {
    let wants_requests = spec["requests"].as_array().is_some_and(|a| !a.is_empty());
    let wants_skew = spec["clock_skew"].as_array().is_some_and(|a| !a.is_empty());
    if !wants_requests && !wants_skew {
        return Ok(());
    }
    let c = Correlation::build(ds);
    let index = RequestIndex::build(ds, &c);
    for want in spec["requests"].as_array().into_iter().flatten() {
        let crid = want["client_request_id"]
            .as_str()
            .ok_or("requests[].client_request_id missing")?;
        // Every observation carrying the id must have been joined into one request.
        let mut found: Vec<u32> = (0..ds.events.len())
            .filter(|&i| ds.view(i).client_request_id().eq_ignore_ascii_case(crid))
            .map(|i| c.request_of[i])
            .collect();
        found.sort_unstable();
        found.dedup();
        let r = match found[..] {
            [r] => r,
            [] => return Err(format!("request {crid}: no event carries this id")),
            _ => return Err(format!("request {crid}: split over requests {found:?}")),
        };
        let req = &c.requests[r as usize];
        let row = index.row(ds, &c, r);
        if let Some(sources) = want["sources"].as_array() {
            let mut exp: Vec<&str> = sources.iter().filter_map(Value::as_str).collect();
            exp.sort_unstable();
            let mut got: Vec<&str> = row.sources.iter().map(String::as_str).collect();
            got.sort_unstable();
            if got != exp {
                return Err(format!("request {crid}: sources {got:?}, expected {exp:?}"));
            }
        }
        if let Some(n) = want["attempts"].as_u64() {
            if req.attempt_count() as u64 != n {
                return Err(format!(
                    "request {crid}: {} attempts, expected {n}",
                    req.attempt_count()
                ));
            }
        }
        // Which kinds of source saw each attempt, in time order.
        if let Some(per) = want["attempt_sources"].as_array() {
            let got: Vec<Vec<String>> = req
                .attempts()
                .map(|a| {
                    let mut k: Vec<String> = a
                        .iter()
                        .map(|&i| ds.events[i as usize].source.as_str().to_string())
                        .collect();
                    k.sort();
                    k.dedup();
                    k
                })
                .collect();
            let exp: Vec<Vec<String>> = per
                .iter()
                .map(|a| {
                    let mut k: Vec<String> = a
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect();
                    k.sort();
                    k
                })
                .collect();
            if got != exp {
                return Err(format!(
                    "request {crid}: attempt sources {got:?}, expected {exp:?}"
                ));
            }
        }
        if let Some(n) = want["retry_chain"].as_u64() {
            let longest = req.retry_chains(ds).iter().map(Vec::len).max().unwrap_or(0);
            if longest as u64 != n {
                return Err(format!(
                    "request {crid}: longest retry chain {longest}, expected {n}"
                ));
            }
        }
        if let Some(n) = want["status"].as_u64() {
            if u64::from(row.status) != n {
                return Err(format!(
                    "request {crid}: status {}, expected {n}",
                    row.status
                ));
            }
        }
        if let Some(n) = want["observations"].as_u64() {
            if u64::from(row.observations) != n {
                return Err(format!(
                    "request {crid}: {} observations, expected {n}",
                    row.observations
                ));
            }
        }
    }
    for want in spec["clock_skew"].as_array().into_iter().flatten() {
        let source = want["source"]
            .as_str()
            .ok_or("clock_skew[].source missing")?;
        let seconds = want["seconds"]
            .as_f64()
            .ok_or("clock_skew[].seconds missing")?;
        let tolerance = want["tolerance"].as_f64().unwrap_or(1.0);
        let input = ds
            .inputs
            .iter()
            .position(|i| i.path == source)
            .ok_or_else(|| format!("clock_skew: no input {source}"))?;
        let got = c
            .skew_of(input as u16)
            .ok_or_else(|| format!("clock_skew: no estimate for {source}"))?;
        if (got - seconds).abs() > tolerance {
            return Err(format!(
                "clock_skew: {source} is {got:.3} s, expected {seconds} ± {tolerance}"
            ));
        }
    }
    Ok(())
}

/// The scenario files of the folder. Inputs may be JSON too (resource logs, HAR-like exports,
/// CORS rule lists), so a `.json` file is a scenario when it has `inputs`; any other `.json`
/// file must be an input named by a scenario, so a broken scenario cannot go unnoticed.
fn scenario_files() -> (Vec<PathBuf>, Vec<String>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(scenarios_dir())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("json"))
        .collect();
    entries.sort();
    let mut specs = Vec::new();
    let mut inputs: Vec<String> = Vec::new();
    let mut others = Vec::new();
    for path in entries {
        let spec: Value = std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or(Value::Null);
        match spec["inputs"].as_array() {
            Some(list) => {
                inputs.extend(
                    list.iter()
                        .filter_map(|i| i["file"].as_str().map(String::from)),
                );
                specs.push(path);
            }
            None => others.push(path),
        }
    }
    let problems = others
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .filter(|name| !inputs.contains(name))
        .map(|name| format!("{name}: neither a scenario (no inputs) nor the input of one"))
        .collect();
    (specs, problems)
}

#[test]
fn every_scenario_holds() {
    let (specs, mut failures) = scenario_files();
    let mut n = 0;
    for path in specs {
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
