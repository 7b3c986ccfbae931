//! `storage-doctor cors`: check a browser request against an account's CORS rules.

use std::process::ExitCode;

use storage_doctor_core::knowledge::cors::check;
use storage_doctor_core::model::Service;

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("storage-doctor cors: {msg}");
    ExitCode::from(2)
}

pub fn main(argv: &[String]) -> ExitCode {
    let known = [
        "--rules",
        "--service",
        "--origin",
        "--method",
        "--header",
        "--format",
    ];
    let args = match crate::args::Args::parse(
        argv,
        &["rules", "service", "origin", "method", "header", "format"],
    ) {
        Ok(a) => a,
        Err(e) => return fail(e),
    };
    if let Some(u) = args.unknown(&known).first() {
        return fail(format!("unknown option {u} (see storage-doctor --help)"));
    }
    if let Some(p) = args.positional.first() {
        return fail(format!("unexpected argument `{p}`"));
    }
    let Some(rules_path) = args.value("--rules") else {
        return fail(
            "--rules FILE is required (service-properties XML or `az storage cors list` JSON)",
        );
    };
    let Some(origin) = args.value("--origin") else {
        return fail("--origin ORIGIN is required (e.g. https://app.contoso.com)");
    };
    let Some(method) = args.value("--method") else {
        return fail("--method METHOD is required (the actual request's method, e.g. PUT)");
    };
    let service = match args.value("--service").as_deref() {
        None => None,
        Some(w @ ("blob" | "queue" | "table" | "file" | "dfs")) => Some(Service::from_word(w)),
        Some(other) => {
            return fail(format!(
                "--service must be blob, queue, table or file, not `{other}`"
            ))
        }
    };
    let json = match args.value("--format").as_deref() {
        None | Some("text") => false,
        Some("json") => true,
        Some(other) => return fail(format!("--format must be json or text, not `{other}`")),
    };
    let rules_text = match std::fs::read(&rules_path) {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(e) => return fail(format!("{rules_path}: {e}")),
    };
    let headers = args.values("--header");
    match check(&rules_text, service, &origin, &method, &headers) {
        Ok(c) => {
            let text = if json {
                format!(
                    "{}\n",
                    serde_json::to_string_pretty(&c).expect("serializable")
                )
            } else {
                c.to_text()
            };
            if let Err(e) = crate::output::emit(&text) {
                return fail(e);
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}
