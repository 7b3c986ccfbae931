//! Test helpers for the request-level rules: datasets built event by event through the sink, the
//! way parsers fill them, without depending on any parser.

use std::borrow::Cow;

use super::{run_all, Context, Finding, Rule, Severity};
use crate::correlate::Correlation;
use crate::model::{
    AuthKind, Dataset, EventSink, Field, Location, Method, RawEvent, ResponseType, Service,
    SourceKind, Timestamp,
};

/// 2024-06-03T10:33:00Z in microseconds.
pub const T0: i64 = 1_717_410_780_000_000;

pub fn at(secs: f64) -> Option<Timestamp> {
    Some(Timestamp(T0).add_seconds(secs))
}

pub struct Builder {
    pub ds: Dataset,
    next_line: Vec<u32>,
}

impl Builder {
    pub fn new() -> Builder {
        Builder {
            ds: Dataset::new(),
            next_line: Vec::new(),
        }
    }

    pub fn input(&mut self, path: &str) -> u16 {
        self.next_line.push(1);
        self.ds.add_input(path, "test", 1.0)
    }

    /// Pushes an event; lines are numbered per input in push order.
    pub fn push(&mut self, input: u16, mut ev: RawEvent<'_>) -> u32 {
        let line = self.next_line[input as usize];
        self.next_line[input as usize] += 1;
        ev.location = Location { line, offset: 0 };
        self.ds.sink(input).event(ev);
        line
    }

    pub fn run(mut self, rule: &dyn Rule) -> Vec<Finding> {
        self.ds.finish();
        let c = Correlation::build(&self.ds);
        rule.run(&Context::new(&self.ds, &c))
    }

    pub fn run_all(mut self) -> Vec<Finding> {
        self.ds.finish();
        let c = Correlation::build(&self.ds);
        run_all(&Context::new(&self.ds, &c))
    }
}

/// A server-log row: the service names the operation and the object key.
#[allow(clippy::too_many_arguments)]
pub fn server<'a>(
    secs: f64,
    op: &'a str,
    key: &'a str,
    status: u16,
    code: &'a str,
    crid: &'a str,
    rid: &'a str,
) -> RawEvent<'a> {
    let service = match key.split('/').nth(1).unwrap_or("") {
        a if a.ends_with("queue") => Service::Queue,
        a if a.ends_with("table") => Service::Table,
        a if a.ends_with("files") => Service::File,
        _ => Service::Blob,
    };
    RawEvent {
        time: at(secs),
        source: SourceKind::Server,
        service,
        operation: op.into(),
        resource: key.into(),
        status,
        error_code: code.into(),
        response_type: if (200..300).contains(&status) {
            ResponseType::Success
        } else if status == 503 {
            ResponseType::ThrottlingError
        } else if status == 403 {
            ResponseType::AuthorizationError
        } else if status >= 500 {
            ResponseType::ServerOtherError
        } else {
            ResponseType::ClientOtherError
        },
        client_request_id: crid.into(),
        request_id: rid.into(),
        auth: AuthKind::SharedKey,
        e2e_ms: Some(12.0),
        server_ms: Some(10.0),
        ..Default::default()
    }
}

/// A client-log observation: method and URL, the operation inferred as a client parser would.
pub fn client<'a>(
    secs: f64,
    method: Method,
    url: &'a str,
    status: u16,
    crid: &'a str,
    rid: &'a str,
) -> RawEvent<'a> {
    RawEvent {
        time: at(secs),
        source: SourceKind::Client,
        method,
        operation: crate::knowledge::operations::infer(method, url).into(),
        url: url.into(),
        status,
        client_request_id: crid.into(),
        request_id: rid.into(),
        ..Default::default()
    }
}

pub fn with<'a>(mut ev: RawEvent<'a>, f: Field, v: impl Into<Cow<'a, str>>) -> RawEvent<'a> {
    ev.push(f, v);
    ev
}

pub fn only<'a>(fs: &'a [Finding], rule: &str) -> &'a Finding {
    let hits: Vec<&Finding> = fs.iter().filter(|f| f.rule == rule).collect();
    assert_eq!(hits.len(), 1, "one {rule} finding expected, got {fs:#?}");
    hits[0]
}

/// No finding above benign/info.
pub fn assert_quiet(fs: &[Finding]) {
    let loud: Vec<_> = fs
        .iter()
        .filter(|f| matches!(f.severity, Severity::Error | Severity::Warning))
        .map(|f| f.rule)
        .collect();
    assert!(loud.is_empty(), "unexpected findings {loud:?}");
}

/// Every finding carries the parts RULES.md requires.
pub fn assert_complete(f: &Finding) {
    assert!(!f.title.is_empty() && !f.explanation.is_empty(), "{f:#?}");
    assert!(!f.fix.is_empty(), "{f:#?}");
    assert!(!f.evidence.is_empty(), "{f:#?}");
    let q = f.kql.as_deref().unwrap_or("");
    assert!(q.contains("Storage") && q.contains("TimeGenerated"), "{q}");
    if f.confidence.level != super::Level::High {
        assert!(!f.confidence.raise_with.is_empty(), "{f:#?}");
    }
}
