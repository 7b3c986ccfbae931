//! `storage-doctor`: the command line on the diagnosis core (CONTRACTS.md § CLI).
//!
//! ```text
//! storage-doctor analyze [--format json|markdown|text] [--kql] [--fail-on error|warning]
//!                        [--format-of FILE=FORMAT_ID]... PATH...      (PATH may be a folder or -)
//! storage-doctor cors --rules FILE [--service blob|queue|table|file] --origin ORIGIN
//!                     --method METHOD [--header NAME]... [--format json|text]
//! ```
//! Exit codes: 0 the analysis ran, 1 the `--fail-on` threshold was met, 2 it could not run.

mod analyze;
mod args;
mod cors;
mod output;

use std::process::ExitCode;

/// Large tables on 2 MiB pages where Linux offers them (see `storage_doctor_core::large_pages`).
#[cfg(target_os = "linux")]
#[global_allocator]
static ALLOC: storage_doctor_core::large_pages::LargePages =
    storage_doctor_core::large_pages::LargePages;

const USAGE: &str = "\
Storage Doctor: find out why Azure Storage requests failed, from your logs.

usage:
  storage-doctor analyze [OPTIONS] PATH...
  storage-doctor cors --rules FILE [--service blob|queue|table|file] --origin ORIGIN
                      --method METHOD [--header NAME]... [--format json|text]
  storage-doctor formats

analyze options:
  --format json|markdown|text   output format (default: text on a terminal, json otherwise)
  --kql                         also print the Log Analytics (KQL) query of each finding
                                (text and markdown; JSON always carries it)
  --fail-on error|warning       exit with 1 when a finding of this severity or worse exists
                                (default: exit 0 whatever is found)
  --format-of FILE=FORMAT_ID    read FILE as FORMAT_ID instead of detecting its format
                                (repeatable; FILE as given on the command line)
  PATH                          a file, a folder (read recursively) or - for standard input

cors options:
  --rules FILE       the account's current CORS rules: Set Service Properties XML,
                     `az storage cors list` JSON, or ARM corsRules JSON
  --service S        which service's rules (default: the only one in FILE, else blob)
  --origin ORIGIN    the page's origin, as the browser sends it
  --method METHOD    the actual request's method (not OPTIONS)
  --header NAME      a request header the browser asks about (repeatable)
  --format F         text (default) or json
  prints the verdict (allowed/blocked), the closest rule and the failing element, and the
  smallest rule change in every form (portal, az CLI, PowerShell, Bicep, ARM, XML, .NET, JS).

exit codes: 0 analysis ran, 1 --fail-on threshold met, 2 could not run (bad arguments,
unreadable path); messages go to standard error.
";

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    match argv.first().map(String::as_str) {
        Some("analyze") => analyze::main(&argv[1..]),
        Some("cors") => cors::main(&argv[1..]),
        Some("formats") => {
            let list: String = storage_doctor_core::formats::registry()
                .iter()
                .map(|f| format!("{:<22} {}\n", f.id(), f.name()))
                .collect();
            print_or_fail(&list)
        }
        Some("-h" | "--help" | "help") => print_or_fail(USAGE),
        Some("-V" | "--version") => {
            print_or_fail(&format!("storage-doctor {}\n", env!("CARGO_PKG_VERSION")))
        }
        Some(other) => {
            eprintln!("storage-doctor: unknown command `{other}`\n\n{USAGE}");
            ExitCode::from(2)
        }
        None => {
            eprint!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn print_or_fail(text: &str) -> ExitCode {
    match output::emit(text) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("storage-doctor: {e}");
            ExitCode::from(2)
        }
    }
}
