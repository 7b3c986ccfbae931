//! Diagnosis rules: one module per rule id of RULES.md, each registered in [`registry`].

use std::collections::BTreeMap;

use serde::Serialize;

use crate::correlate::Correlation;
use crate::knowledge::cors::{CorsForm, CorsRuleOut};
use crate::model::{Dataset, EventView};

mod cors_blocked;
mod sas_expired;

mod auth_common;
mod auth_malformed;
mod clock_skew;
mod network_rule_blocked;
mod rbac_permission_missing;
mod sas_not_yet_valid;
mod sas_permission_missing;
mod sas_policy_problem;
mod sas_scope_mismatch;
mod sas_short_lifetime;
mod sas_version_mismatch;
mod shared_key_disabled;
mod signature_mismatch;

mod benign_already_exists;
mod benign_condition_not_met;
mod benign_not_found_probe;
mod client_timeout_or_network;
mod container_create_race;
mod container_missing;
mod deleted_earlier;
mod high_client_latency;
mod lease_conflict;
mod name_being_deleted;
mod ops_common;
#[cfg(test)]
mod ops_testkit;
#[cfg(test)]
mod ops_tests;
mod percent_success_explained;
mod retries_observed;
mod retry_after_unacknowledged_success;
mod server_timeout;
mod throttling;

/// Finding severity (RULES.md § Default severities).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
    Benign,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
            Severity::Benign => "benign",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    High,
    Medium,
    Low,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Confidence {
    pub level: Level,
    /// What extra input would raise the confidence (empty when already high).
    pub raise_with: String,
}

/// One row that proves a finding.
#[derive(Clone, Debug, PartialEq, Serialize, Default)]
pub struct Evidence {
    pub path: String,
    pub line: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub client_request_id: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub request_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub error_code: String,
    /// The decisive fields, by name.
    pub fields: BTreeMap<String, String>,
    /// Index of the event in the dataset (for the page's request detail); not in JSON output.
    #[serde(skip)]
    pub event: Option<u32>,
}

impl Evidence {
    pub fn from_event(v: &EventView<'_>) -> Evidence {
        Evidence {
            path: v.input().path.clone(),
            line: v.ev.line as u64,
            time: v.time().map(|t| t.to_string()),
            client_request_id: v.client_request_id().into_owned(),
            request_id: v.request_id().into_owned(),
            status: (v.ev.status != 0).then_some(v.ev.status),
            error_code: v.error_code().to_string(),
            fields: BTreeMap::new(),
            event: Some(v.index as u32),
        }
    }

    pub fn field(mut self, k: &str, v: impl Into<String>) -> Evidence {
        let v = v.into();
        if !v.is_empty() {
            self.fields.insert(k.to_string(), v);
        }
        self
    }
}

/// Evidence lists stop at this many rows; `count` still counts all (CONTRACTS.md).
pub const MAX_EVIDENCE: usize = 50;

/// A diagnosis.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    pub title: String,
    pub explanation: String,
    pub fix: Vec<String>,
    pub confidence: Confidence,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<String>,
    pub count: u64,
    pub evidence: Vec<Evidence>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kql: Option<String>,
    /// The CORS rule that fixes a `cors-blocked` finding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cors_rule: Option<CorsRuleOut>,
    /// That rule written for the portal, CLI, PowerShell, Bicep, ARM, XML, .NET and JavaScript.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cors_forms: Vec<CorsForm>,
}

impl Finding {
    /// Sets first/last seen and count from the evidence, and caps the list.
    pub fn with_evidence(mut self, mut evidence: Vec<Evidence>) -> Finding {
        self.count = evidence.len() as u64;
        let mut times: Vec<&String> = evidence.iter().filter_map(|e| e.time.as_ref()).collect();
        times.sort();
        self.first_seen = times.first().map(|s| s.to_string());
        self.last_seen = times.last().map(|s| s.to_string());
        evidence.truncate(MAX_EVIDENCE);
        self.evidence = evidence;
        self
    }
}

/// The few facts about a row that the walks over every row test first: twelve bytes a row, where
/// reading the row itself means a whole event (92 bytes). A large log is walked by a dozen rules;
/// from these, each reads only the rows it may keep. The tests are supersets of the rules' own
/// first checks, which still run on the rows kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RowFacts {
    pub operation: crate::model::Sym,
    pub status: u16,
    pub source: crate::model::SourceKind,
    pub response_type: crate::model::ResponseType,
    /// The event's presence flags ([`crate::model::presence_flag`]) and [`RowFacts::ERROR_CODE`].
    bits: u8,
}

impl RowFacts {
    /// The presence flags kept (every field that has one).
    const PRESENCE: u8 = {
        use crate::model::{presence_flag, Field};
        presence_flag(Field::Detail)
            | presence_flag(Field::CorsFailure)
            | presence_flag(Field::Sas)
            | presence_flag(Field::StringToSign)
    };
    /// Not a presence flag of events (those are below it).
    const ERROR_CODE: u8 = 128;
    const _DISJOINT: () = assert!(Self::PRESENCE & Self::ERROR_CODE == 0);

    pub fn of(e: &crate::model::Event) -> RowFacts {
        RowFacts {
            operation: e.operation,
            status: e.status,
            source: e.source,
            response_type: e.response_type,
            bits: (e.flags & Self::PRESENCE)
                | if e.error_code.is_empty() {
                    0
                } else {
                    Self::ERROR_CODE
                },
        }
    }

    /// Whether the row holds `field`; only for fields with a presence flag.
    pub fn has(self, field: crate::model::Field) -> bool {
        let flag = crate::model::presence_flag(field);
        debug_assert!(flag != 0, "{field:?} has no presence flag");
        self.bits & flag != 0
    }

    pub fn has_error_code(self) -> bool {
        self.bits & Self::ERROR_CODE != 0
    }

    /// [`crate::model::Event::is_failure`].
    pub fn is_failure(self) -> bool {
        crate::model::is_failure(self.status, self.source)
    }
}

/// (request, event) pairs, as `u32`.
type AttemptList = Vec<(u32, u32)>;

/// What every rule sees, and the indexes several rules share: each is built on first use and
/// kept, so a log of millions of rows is walked once per index rather than once per rule.
pub struct Context<'a> {
    pub ds: &'a Dataset,
    pub correlation: &'a Correlation,
    activity: std::sync::OnceLock<ops_common::ContainerActivity>,
    history: std::sync::OnceLock<ops_common::History>,
    auth_failed: std::sync::OnceLock<Vec<usize>>,
    /// (request, event) pairs, as `u32` (8 bytes a row: the lists are as long as the log): every
    /// attempt's primary, and the unsuccessful ones, built in one walk.
    primaries: std::sync::OnceLock<(AttemptList, AttemptList)>,
    retried: std::sync::OnceLock<Vec<u32>>,
    facts: std::sync::OnceLock<Vec<RowFacts>>,
    /// Tests turn every shortcut taken on row facts off ([`Context::facts_decide`]) to check
    /// that none changes a finding.
    #[cfg(test)]
    facts_off: bool,
}

impl<'a> Context<'a> {
    pub fn new(ds: &'a Dataset, correlation: &'a Correlation) -> Context<'a> {
        Context {
            ds,
            correlation,
            activity: std::sync::OnceLock::new(),
            history: std::sync::OnceLock::new(),
            auth_failed: std::sync::OnceLock::new(),
            primaries: std::sync::OnceLock::new(),
            retried: std::sync::OnceLock::new(),
            facts: std::sync::OnceLock::new(),
            #[cfg(test)]
            facts_off: false,
        }
    }

    /// [`RowFacts`] of every event, in event order.
    pub(crate) fn facts(&self) -> &[RowFacts] {
        self.facts
            .get_or_init(|| self.ds.events.iter().map(RowFacts::of).collect())
    }

    /// Whether a walk may skip or settle a row from its facts alone; always, but for the test
    /// that checks that doing so changes no finding.
    pub(crate) fn facts_decide(&self) -> bool {
        #[cfg(test)]
        if self.facts_off {
            return false;
        }
        true
    }

    /// The events whose [`RowFacts`] pass `keep`, in event order.
    pub(crate) fn rows_where(
        &self,
        keep: impl Fn(RowFacts) -> bool + 'a,
    ) -> impl Iterator<Item = EventView<'a>> + '_ {
        let ds = self.ds;
        let all = !self.facts_decide();
        self.facts()
            .iter()
            .enumerate()
            .filter(move |(_, f)| all || keep(**f))
            .map(move |(i, _)| ds.view(i))
    }

    /// Whether event `i`'s facts pass `keep` (as [`Context::rows_where`] decides).
    pub(crate) fn row_passes(&self, i: usize, keep: impl Fn(RowFacts) -> bool) -> bool {
        !self.facts_decide() || self.facts().get(i).is_some_and(|f| keep(*f))
    }

    /// Container-level requests per container (the container-create race test needs them).
    pub(crate) fn activity(&self) -> &ops_common::ContainerActivity {
        self.activity
            .get_or_init(|| ops_common::ContainerActivity::build(self))
    }

    /// The observation that speaks for every attempt of every request
    /// ([`crate::correlate::Request::primary`]), with its request index, in request order. A
    /// dozen rules walk it; building it once per rule cost more than their own checks.
    pub(crate) fn primaries(&self) -> impl Iterator<Item = (u32, usize)> + '_ {
        self.attempt_lists().0.iter().map(|&(r, i)| (r, i as usize))
    }

    /// [`Context::primaries`] and [`Context::unsuccessful_primaries`], from one walk: both
    /// read every attempt's primary row, and a second walk over a large log cost as much as
    /// the first.
    fn attempt_lists(&self) -> &(AttemptList, AttemptList) {
        self.primaries.get_or_init(|| {
            let ds = self.ds;
            let facts = self.facts();
            let mut all = Vec::with_capacity(self.correlation.requests.len());
            let mut unsuccessful = Vec::new();
            for (r, req) in self.correlation.requests.iter().enumerate() {
                for a in req.attempts() {
                    let p = crate::correlate::Request::primary(ds, a);
                    all.push((r as u32, p));
                    if !(200..300).contains(&facts[p as usize].status) {
                        unsuccessful.push((r as u32, p));
                    }
                }
            }
            (all, unsuccessful)
        })
    }

    /// The attempts whose speaking observation ([`crate::correlate::Request::primary`]) did not
    /// get a 2xx, with their request index, in request order: status 0 (metrics rows, consoles,
    /// lost responses) included. The rules about 404s, 409s, 412s, throttling and timeouts walk
    /// these — a few percent of a healthy log — instead of every attempt.
    pub(crate) fn unsuccessful_primaries(&self) -> impl Iterator<Item = (u32, usize)> + '_ {
        self.attempt_lists().1.iter().map(|&(r, i)| (r, i as usize))
    }

    /// The requests with more than one attempt, in request order: the only ones that can hold a
    /// retry chain ([`crate::correlate::Request::retry_chains`]). The pairs of
    /// `retry-after-unacknowledged-success`, which two rules ask for, come from these only;
    /// `retries-observed` reads these alone unless an observer could report that a single
    /// attempt was a retry.
    pub(crate) fn retried_requests(
        &self,
    ) -> impl Iterator<Item = &'a crate::correlate::Request> + '_ {
        let requests = &self.correlation.requests;
        self.retried
            .get_or_init(|| {
                (0..requests.len() as u32)
                    .filter(|&r| requests[r as usize].attempt_count() > 1)
                    .collect()
            })
            .iter()
            .map(move |&r| &requests[r as usize])
    }

    /// Successful deletes and creates per key.
    pub(crate) fn history(&self) -> &ops_common::History {
        self.history
            .get_or_init(|| ops_common::History::build(self))
    }

    /// The events an authentication or authorization rule can judge, in event order: those the
    /// classifier ([`crate::knowledge::auth_failure::classify`]) reads a problem from, and every
    /// 401/403 (a bare refusal is judged from the token and the request). Built once: the rules
    /// of that family used to walk every row of the log and classify it, each on its own. Each
    /// rule still checks its own conditions; this is only the superset they all start from.
    pub(crate) fn auth_failures(&self) -> impl Iterator<Item = crate::model::EventView<'a>> + '_ {
        let ds = self.ds;
        self.auth_failed
            .get_or_init(|| {
                use crate::model::{Field, SourceKind};
                // A row with no detail and no error code is a problem to the classifier only
                // as a 403 or as a server row with a SAS whose request-status class says
                // authorization.
                self.rows_where(|r| {
                    matches!(r.status, 401 | 403)
                        || r.has(Field::Detail)
                        || r.has_error_code()
                        || r.source == SourceKind::Server
                            && r.response_type == crate::model::ResponseType::AuthorizationError
                            && r.has(Field::Sas)
                })
                .filter(|v| {
                    crate::knowledge::auth_failure::is_forbidden(v)
                        || crate::knowledge::auth_failure::classify(v).is_some()
                })
                .map(|v| v.index)
                .collect()
            })
            .iter()
            .map(move |&i| ds.view(i))
    }
}

/// A diagnosis rule.
pub trait Rule: Sync {
    /// Stable id from RULES.md.
    fn id(&self) -> &'static str;
    fn default_severity(&self) -> Severity;
    fn run(&self, cx: &Context<'_>) -> Vec<Finding>;
}

/// Every rule, in the order their findings are listed when severities tie.
pub fn registry() -> &'static [&'static dyn Rule] {
    &[
        &sas_expired::SasExpired,
        &sas_not_yet_valid::SasNotYetValid,
        &sas_short_lifetime::SasShortLifetime,
        &signature_mismatch::SignatureMismatch,
        &clock_skew::ClockSkew,
        &sas_permission_missing::SasPermissionMissing,
        &sas_scope_mismatch::SasScopeMismatch,
        &sas_version_mismatch::SasVersionMismatch,
        &rbac_permission_missing::RbacPermissionMissing,
        &network_rule_blocked::NetworkRuleBlocked,
        &auth_malformed::AuthMalformed,
        &sas_policy_problem::SasPolicyProblem,
        &shared_key_disabled::SharedKeyDisabled,
        &deleted_earlier::DeletedEarlier,
        &container_create_race::ContainerCreateRace,
        &container_missing::ContainerMissing,
        &retry_after_unacknowledged_success::RetryAfterUnacknowledgedSuccess,
        &name_being_deleted::NameBeingDeleted,
        &lease_conflict::LeaseConflict,
        &benign_already_exists::BenignAlreadyExists,
        &benign_not_found_probe::BenignNotFoundProbe,
        &benign_condition_not_met::BenignConditionNotMet,
        &throttling::Throttling,
        &server_timeout::ServerTimeout,
        &client_timeout_or_network::ClientTimeoutOrNetwork,
        &high_client_latency::HighClientLatency,
        &retries_observed::RetriesObserved,
        &percent_success_explained::PercentSuccessExplained,
        &cors_blocked::CorsBlocked,
    ]
}

/// Runs every rule and orders the findings by severity, then by count.
pub fn run_all(cx: &Context<'_>) -> Vec<Finding> {
    in_order(registry().iter().flat_map(|r| r.run(cx)).collect())
}

/// [`run_all`] on up to `threads` threads, for native callers with cores to spare (the CLI):
/// each thread takes the next rule not yet taken, and the findings are put back in registry
/// order before sorting, so the answer is exactly `run_all`'s. A shared index a rule asks for
/// (the attempt lists, the delete history…) is still built once: a second thread that asks
/// for it meanwhile waits for the first.
pub fn run_all_on(cx: &Context<'_>, threads: usize) -> Vec<Finding> {
    let rules = registry();
    let threads = threads.min(rules.len());
    if threads <= 1 {
        return run_all(cx);
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut by_rule: Vec<Vec<Finding>> = (0..rules.len()).map(|_| Vec::new()).collect();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(rule) = rules.get(i) else {
                            return done;
                        };
                        done.push((i, rule.run(cx)));
                    }
                })
            })
            .collect();
        for worker in workers {
            // A rule that panics panics the caller, as it would in `run_all`.
            let done = worker
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            for (i, findings) in done {
                by_rule[i] = findings;
            }
        }
    });
    in_order(by_rule.into_iter().flatten().collect())
}

/// Orders findings by severity, then by count; ties keep their order (the registry's).
fn in_order(mut out: Vec<Finding>) -> Vec<Finding> {
    out.sort_by(|a, b| a.severity.cmp(&b.severity).then(b.count.cmp(&a.count)));
    out
}

#[cfg(test)]
#[path = "row_facts_tests.rs"]
mod row_facts_tests;
