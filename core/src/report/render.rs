//! Text and Markdown renderings of a report (Markdown is meant for pasting into a ticket).

use std::fmt::Write;

use super::Report;

pub fn to_text(r: &Report) -> String {
    let mut s = String::new();
    for i in &r.inputs {
        let _ = writeln!(
            s,
            "{}: {} ({:.0}%), {} events from {} lines, {} skipped",
            i.path,
            i.format,
            i.confidence * 100.0,
            i.events,
            i.lines,
            i.skipped_total
        );
        for n in &i.notices {
            let _ = writeln!(s, "  note: {n}");
        }
        for k in i.skipped.iter().take(5) {
            let _ = writeln!(s, "  skipped line {}: {}", k.line, k.reason);
        }
    }
    let _ = writeln!(s);
    if r.findings.is_empty() {
        let _ = writeln!(s, "No problems found.");
    }
    for f in &r.findings {
        let _ = writeln!(s, "[{}] {} — {}", f.severity.as_str(), f.rule, f.title);
        let _ = writeln!(s, "  {}", f.explanation);
        for (n, step) in f.fix.iter().enumerate() {
            let _ = writeln!(s, "  {}. {}", n + 1, step);
        }
        let _ = writeln!(s, "  confidence: {:?}", f.confidence.level);
        if !f.confidence.raise_with.is_empty() {
            let _ = writeln!(s, "  to be surer: {}", f.confidence.raise_with);
        }
        for e in f.evidence.iter().take(10) {
            let _ = writeln!(
                s,
                "  - {}:{} {} {} {}",
                e.path,
                e.line,
                e.time.as_deref().unwrap_or(""),
                e.status.map(|x| x.to_string()).unwrap_or_default(),
                e.fields
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
        }
        if f.count as usize > f.evidence.len().min(10) {
            let _ = writeln!(s, "  … {} rows in all", f.count);
        }
        for form in &f.cors_forms {
            let _ = writeln!(s, "  -- {} --", form.name);
            for line in form.text.lines() {
                let _ = writeln!(s, "    {line}");
            }
        }
        let _ = writeln!(s);
    }
    if let Some(p) = r.summary.success_percent {
        let _ = writeln!(
            s,
            "Success: {p}% ({}% once expected errors are set aside)",
            r.summary.adjusted_success_percent.unwrap_or(p)
        );
    }
    s
}

/// Escapes text for a Markdown table cell or line.
fn md(s: &str) -> String {
    s.replace('|', "\\|")
        .replace('\n', " ")
        .replace('<', "&lt;")
}

pub fn to_markdown(r: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Storage Doctor report\n");
    let _ = writeln!(s, "## Inputs\n");
    let _ = writeln!(s, "| file | format | events | lines | skipped |");
    let _ = writeln!(s, "|---|---|---|---|---|");
    for i in &r.inputs {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} |",
            md(&i.path),
            i.format,
            i.events,
            i.lines,
            i.skipped_total
        );
    }
    let _ = writeln!(s, "\n## Findings\n");
    if r.findings.is_empty() {
        let _ = writeln!(s, "No problems found.");
    }
    for f in &r.findings {
        let _ = writeln!(
            s,
            "### {} `{}` ({})\n",
            md(&f.title),
            f.rule,
            f.severity.as_str()
        );
        let _ = writeln!(s, "{}\n", md(&f.explanation));
        let _ = writeln!(s, "**Fix**\n");
        for (n, step) in f.fix.iter().enumerate() {
            let _ = writeln!(s, "{}. {}", n + 1, md(step));
        }
        let _ = writeln!(
            s,
            "\n**Confidence:** {:?}{}\n",
            f.confidence.level,
            if f.confidence.raise_with.is_empty() {
                String::new()
            } else {
                format!(" — {}", md(&f.confidence.raise_with))
            }
        );
        let _ = writeln!(s, "**Evidence** ({} rows)\n", f.count);
        let _ = writeln!(s, "| where | time | status | client request id | details |");
        let _ = writeln!(s, "|---|---|---|---|---|");
        for e in &f.evidence {
            let _ = writeln!(
                s,
                "| {}:{} | {} | {} | {} | {} |",
                md(&e.path),
                e.line,
                e.time.as_deref().unwrap_or(""),
                e.status.map(|x| x.to_string()).unwrap_or_default(),
                md(&e.client_request_id),
                md(&e
                    .fields
                    .iter()
                    .map(|(k, v)| format!("{k}: {v}"))
                    .collect::<Vec<_>>()
                    .join("; "))
            );
        }
        if let Some(k) = &f.kql {
            let _ = writeln!(s, "\n```kusto\n{k}\n```");
        }
        for form in &f.cors_forms {
            let lang = match form.name.as_str() {
                "Azure CLI" => "bash",
                "Azure PowerShell" => "powershell",
                "Bicep" => "bicep",
                "ARM template (JSON)" => "json",
                "Set Service Properties (REST XML body)" => "xml",
                ".NET (Azure SDK v12)" => "csharp",
                "JavaScript (Azure SDK)" => "js",
                _ => "text",
            };
            let _ = writeln!(s, "\n**{}**\n\n```{lang}\n{}```", md(&form.name), form.text);
        }
        let _ = writeln!(s);
    }
    if let Some(p) = r.summary.success_percent {
        let _ = writeln!(
            s,
            "**Success rate:** {p}% ({}% once expected errors are set aside)",
            r.summary.adjusted_success_percent.unwrap_or(p)
        );
    }
    s
}
