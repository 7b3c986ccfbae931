//! Log Analytics (KQL) queries that look for a finding's pattern over a whole workspace, so the
//! user can check how often it happens beyond the files they gave us.
//!
//! Queries use the resource-log tables (`StorageBlobLogs`, `StorageQueueLogs`, `StorageTableLogs`,
//! `StorageFileLogs`) and their columns; `StatusCode` is a string column there.

use crate::model::{Service, Timestamp};

/// The resource-log table of one service (`dfs` requests are logged with the blob ones).
pub fn table(service: Service) -> &'static str {
    match service {
        Service::Queue => "StorageQueueLogs",
        Service::Table => "StorageTableLogs",
        Service::File => "StorageFileLogs",
        Service::Blob | Service::Dfs | Service::Unknown => "StorageBlobLogs",
    }
}

/// The table expression for a set of services: one table, or a `union` of several. Unknown
/// services alone mean "all four".
pub fn tables(services: &[Service]) -> String {
    let mut names: Vec<&'static str> = Vec::new();
    let known: Vec<Service> = services
        .iter()
        .copied()
        .filter(|s| *s != Service::Unknown)
        .collect();
    let all = [Service::Blob, Service::Queue, Service::Table, Service::File];
    for s in if known.is_empty() {
        &all[..]
    } else {
        &known[..]
    } {
        let t = table(*s);
        if !names.contains(&t) {
            names.push(t);
        }
    }
    if names.len() == 1 {
        names[0].to_string()
    } else {
        format!("union {}", names.join(", "))
    }
}

/// A KQL string literal.
pub fn lit(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `("a", "b")` for `in` / `has_any`.
pub fn list<S: AsRef<str>>(items: &[S]) -> String {
    let v: Vec<String> = items.iter().map(|s| lit(s.as_ref())).collect();
    format!("({})", v.join(", "))
}

/// `("404", "409")`: status codes as the string column holds them.
pub fn statuses(codes: &[u16]) -> String {
    let v: Vec<String> = codes.iter().map(|c| c.to_string()).collect();
    list(&v)
}

/// The container, queue, table or share name from `ObjectKey` (`/account/name/...`).
pub const CONTAINER_OF_OBJECT_KEY: &str = "tostring(split(ObjectKey, \"/\")[2])";

/// A query under construction: `let` statements, then one pipeline.
#[derive(Clone, Debug)]
pub struct Kql {
    lets: Vec<String>,
    body: Vec<String>,
}

impl Kql {
    /// Starts from the tables of `services`, restricted to the hour around the evidence (or the
    /// last day when the evidence has no time).
    pub fn from(services: &[Service], first: Option<&str>, last: Option<&str>) -> Kql {
        Kql {
            lets: Vec::new(),
            body: vec![tables(services), window(first, last)],
        }
    }

    /// A pipeline over a name bound by [`Kql::with`].
    pub fn over(name: &str) -> Kql {
        Kql {
            lets: Vec::new(),
            body: vec![name.to_string()],
        }
    }

    /// Adds a scalar `let` (`let total = toscalar(rows | count);`) after the existing ones.
    pub fn let_scalar(mut self, name: &str, expr: &str) -> Kql {
        self.lets.push(format!("let {name} = {expr};"));
        self
    }

    /// Adds `| <stage>`.
    pub fn pipe(mut self, stage: impl AsRef<str>) -> Kql {
        self.body.push(format!("| {}", stage.as_ref()));
        self
    }

    /// Adds `let <name> = <query>;` before the pipeline (the sub-query's own lets come first).
    pub fn with(mut self, name: &str, sub: Kql) -> Kql {
        self.lets.extend(sub.lets);
        self.lets
            .push(format!("let {name} = {};", sub.body.join("\n    ")));
        self
    }

    pub fn build(&self) -> String {
        let mut s = String::new();
        for l in &self.lets {
            s.push_str(l);
            s.push('\n');
        }
        s.push_str(&self.body.join("\n"));
        s
    }
}

fn window(first: Option<&str>, last: Option<&str>) -> String {
    let a = first.and_then(Timestamp::parse);
    let b = last.and_then(Timestamp::parse).or(a);
    match (a, b) {
        (Some(a), Some(b)) => format!(
            "| where TimeGenerated between (datetime({}) .. datetime({}))",
            a.add_seconds(-3600.0),
            b.add_seconds(3600.0)
        ),
        _ => "| where TimeGenerated > ago(1d)".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_a_query_with_lets_and_a_window() {
        let deletes = Kql::from(&[Service::Blob], Some("2024-03-05T02:00:00Z"), None)
            .pipe("where OperationName startswith \"Delete\"");
        let q = Kql::from(&[Service::Blob], Some("2024-03-05T02:00:00Z"), None)
            .with("deletes", deletes)
            .pipe(format!("where StatusCode in {}", statuses(&[404])))
            .build();
        assert!(q.starts_with("let deletes = StorageBlobLogs"));
        assert!(q.contains(
            "| where TimeGenerated between (datetime(2024-03-05T01:00:00Z) .. datetime(2024-03-05T03:00:00Z))"
        ));
        assert!(q.ends_with("| where StatusCode in (\"404\")"));
    }

    #[test]
    fn picks_tables_by_service() {
        assert_eq!(tables(&[Service::Queue]), "StorageQueueLogs");
        assert_eq!(tables(&[Service::Dfs, Service::Blob]), "StorageBlobLogs");
        assert_eq!(
            tables(&[Service::Blob, Service::Table]),
            "union StorageBlobLogs, StorageTableLogs"
        );
        assert!(tables(&[]).starts_with("union StorageBlobLogs, StorageQueueLogs"));
        assert_eq!(lit("a\"b"), "\"a\\\"b\"");
    }
}
