//! Shared pieces of the request-level rules (404, 409, expected errors, availability): what an
//! operation does to which resource, time spans on the service's clock, the container-create race
//! test that three rules must agree on, and a compact finding builder.

use std::collections::HashMap;

use super::{Confidence, Context, Evidence, Finding, Level, Severity};
use crate::model::{EventView, Field, Method, Service, SourceKind, Timestamp};

pub(crate) fn confidence(level: Level, raise_with: &str) -> Confidence {
    Confidence {
        level,
        raise_with: if level == Level::High {
            String::new()
        } else {
            raise_with.to_string()
        },
    }
}

/// How many events a finding stands for and when they happened. Rules list at most
/// [`super::MAX_EVIDENCE`] rows, so the count and the time span come from all the events.
pub(crate) struct Seen {
    pub count: u64,
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
}

impl Seen {
    /// Over these events, with the times their logs wrote.
    pub fn of(cx: &Context<'_>, events: &[usize]) -> Seen {
        let times = events.iter().filter_map(|&i| cx.ds.events.get(i)?.time());
        let (first, last) = times.fold((None, None), |(a, b): (Option<Timestamp>, _), t| {
            (
                Some(a.map_or(t, |a| a.min(t))),
                Some(b.map_or(t, |b: Timestamp| b.max(t))),
            )
        });
        Seen {
            count: events.len() as u64,
            first,
            last,
        }
    }
}

/// The first [`super::MAX_EVIDENCE`] of `events`, as evidence rows: building rows is the
/// expensive part of a rule on large logs, and only these are kept.
pub(crate) fn listed(events: &[usize]) -> &[usize] {
    &events[..events.len().min(super::MAX_EVIDENCE)]
}

/// Assembles a finding. Count and first/last seen come from `seen` when given, else from the
/// evidence.
#[allow(clippy::too_many_arguments)]
pub(crate) fn finding(
    rule: &'static str,
    severity: Severity,
    title: String,
    explanation: String,
    fix: &[&str],
    confidence: Confidence,
    evidence: Vec<Evidence>,
    seen: Option<Seen>,
    kql: impl FnOnce(Option<&str>, Option<&str>) -> String,
) -> Finding {
    let mut f = Finding {
        rule,
        severity,
        title,
        explanation,
        fix: fix.iter().map(|s| s.to_string()).collect(),
        confidence,
        first_seen: None,
        last_seen: None,
        count: 0,
        evidence: Vec::new(),
        kql: None,
        cors_rule: None,
        cors_forms: Vec::new(),
    }
    .with_evidence(evidence);
    if let Some(s) = seen {
        f.count = s.count;
        f.first_seen = s.first.map(|t| t.to_string());
        f.last_seen = s.last.map(|t| t.to_string());
    }
    let q = kql(f.first_seen.as_deref(), f.last_seen.as_deref());
    Finding { kql: Some(q), ..f }
}

pub(crate) fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
}

/// The services the evidence rows belong to (for the KQL table choice).
pub(crate) fn services(cx: &Context<'_>, evidence: &[Evidence]) -> Vec<Service> {
    let mut out: Vec<Service> = Vec::new();
    for e in evidence {
        if let Some(ev) = e.event.and_then(|i| cx.ds.events.get(i as usize)) {
            if !out.contains(&ev.service) {
                out.push(ev.service);
            }
        }
    }
    out
}

/// An event's time on the service's clock.
pub(crate) fn time(cx: &Context<'_>, i: usize) -> Option<Timestamp> {
    cx.correlation.corrected_time(cx.ds, i)
}

/// When a request was in flight, on the service's clock: from its start to its start plus the
/// end-to-end latency, or to the time its response was logged.
pub(crate) fn span(cx: &Context<'_>, i: usize) -> Option<(Timestamp, Timestamp)> {
    let v = cx.ds.view(i);
    let start = time(cx, i)?;
    if v.ev.e2e_ms.is_finite() && v.ev.e2e_ms >= 0.0 {
        return Some((start, start.add_seconds(v.ev.e2e_ms as f64 / 1000.0)));
    }
    let end = v
        .extra(Field::ResponseDate)
        .and_then(Timestamp::parse)
        .map(
            |t| match (v.ev.source, cx.correlation.skew_of(v.ev.input)) {
                (SourceKind::Client | SourceKind::Network, Some(s)) => t.add_seconds(-s),
                _ => t,
            },
        )
        .filter(|t| *t >= start)
        .unwrap_or(start);
    Some((start, end))
}

/// "12 s", "4 min", "2.5 h".
pub(crate) fn human_secs(secs: f64) -> String {
    let s = secs.abs();
    if s < 10.0 {
        format!("{:.1} s", s)
    } else if s < 120.0 {
        format!("{} s", s.round() as i64)
    } else if s < 7200.0 {
        format!("{} min", (s / 60.0).round() as i64)
    } else {
        format!("{:.1} h", s / 3600.0)
    }
}

/// A delete of the resource itself (not `ClearMessages`, which empties a queue).
pub(crate) fn is_delete(v: &EventView<'_>) -> bool {
    let op = v.operation();
    if !op.is_empty() {
        return op.starts_with("Delete");
    }
    v.ev.method == Method::Delete
}

const CONTAINER_CREATES: [&str; 4] = [
    "CreateContainer",
    "CreateQueue",
    "CreateTable",
    "CreateShare",
];

/// A create of a container, queue, table or share.
pub(crate) fn is_container_create(v: &EventView<'_>) -> bool {
    let op = v.operation();
    // The prefix test first: this runs on every row of a log.
    op.starts_with("Create") && CONTAINER_CREATES.contains(&op)
}

/// [`is_delete`] and [`is_container_create`] remembered per interned operation name: the walks
/// over every attempt ask for each row, and a log names few operations. One byte per symbol,
/// indexed directly (zeroed memory: only the pages of the symbols asked about are touched).
#[derive(Default)]
struct OpKinds(Vec<u8>);

impl OpKinds {
    const KNOWN: u8 = 1;
    const DELETE: u8 = 2;
    const CONTAINER_CREATE: u8 = 4;

    /// [`OpKinds::of`] for event `i` when its operation is named and already known, from the
    /// row's facts alone; `None` when the event itself must be read.
    fn known(&self, cx: &Context<'_>, i: usize) -> Option<(bool, bool)> {
        if !cx.facts_decide() {
            return None;
        }
        let op = cx.facts().get(i)?.operation;
        if op.is_empty() {
            return None;
        }
        let slot = *self.0.get(op.0 as usize)?;
        (slot != 0).then(|| Self::decode(slot))
    }

    fn decode(slot: u8) -> (bool, bool) {
        (slot & Self::DELETE != 0, slot & Self::CONTAINER_CREATE != 0)
    }

    /// (is a delete, is a container create) for this row.
    fn of(&mut self, v: &EventView<'_>) -> (bool, bool) {
        let op = v.ev.operation;
        if op.is_empty() {
            // Unnamed: the HTTP method decides.
            return (is_delete(v), is_container_create(v));
        }
        if self.0.is_empty() {
            self.0 = vec![0; v.ds.strings.len() + 1];
        }
        let Some(slot) = self.0.get_mut(op.0 as usize) else {
            return (is_delete(v), is_container_create(v));
        };
        if *slot == 0 {
            *slot = Self::KNOWN
                | if is_delete(v) { Self::DELETE } else { 0 }
                | if is_container_create(v) {
                    Self::CONTAINER_CREATE
                } else {
                    0
                };
        }
        Self::decode(*slot)
    }
}

/// A request addressed to a container (queue, table, share) itself: its key has two segments.
pub(crate) fn is_container_level(v: &EventView<'_>) -> bool {
    is_container_level_key(v.resource())
}

fn is_container_level_key(resource: &str) -> bool {
    let r = resource.trim_end_matches('/').trim_start_matches('/');
    // Two segments: exactly one `/` inside. Most resources are blobs, whose second `/` ends the
    // search early.
    let mut slashes = memchr::memchr_iter(b'/', r.as_bytes());
    !r.is_empty() && slashes.next().is_some() && slashes.next().is_none()
}

/// The container key of a resource addressed to a container itself.
fn container_level_key(resource: &str) -> Option<String> {
    container_key(resource).filter(|_| is_container_level_key(resource))
}

/// `/account/name` of the container (queue, table, share) a resource key lives in. Table keys
/// written as `/account/table(PartitionKey=…)` lose the entity part.
pub(crate) fn container_key(resource: &str) -> Option<String> {
    let mut segs = resource.trim_start_matches('/').split('/');
    let account = segs.next().filter(|s| !s.is_empty())?;
    let name = segs.next().filter(|s| !s.is_empty())?;
    let name = name.split('(').next().unwrap_or(name);
    if name.is_empty() {
        return None;
    }
    Some(format!("/{account}/{name}"))
}

/// A key without its leading `/account`, for titles: `mailinglist/Smith/Ben`.
pub(crate) fn display_key(key: &str) -> &str {
    let k = key.trim_start_matches('/');
    match k.split_once('/') {
        Some((_, rest)) if !rest.is_empty() => rest,
        _ => k,
    }
}

/// The last segment of a key, for titles.
pub(crate) fn short_name(key: &str) -> &str {
    key.trim_end_matches('/').rsplit('/').next().unwrap_or(key)
}

/// What a container is called in a service.
pub(crate) fn container_word(service: Service) -> &'static str {
    match service {
        Service::Queue => "queue",
        Service::Table => "table",
        Service::File => "share",
        _ => "container",
    }
}

/// Error codes that say the container (queue, table, share) a request needed does not exist.
pub(crate) const PARENT_NOT_FOUND: [&str; 4] = [
    "ContainerNotFound",
    "QueueNotFound",
    "TableNotFound",
    "ShareNotFound",
];

/// Operations that create something inside a container: a 404 on them can only mean the
/// container is missing (or, with old SAS versions, a permission the SAS lacks).
const WRITES_INTO_CONTAINER: [&str; 12] = [
    "PutBlob",
    "PutBlock",
    "PutBlockList",
    "PutBlockFromURL",
    "PutPage",
    "AppendBlock",
    "CopyBlob",
    "PutMessage",
    "InsertEntity",
    "InsertOrReplaceEntity",
    "InsertOrMergeEntity",
    "CreateFile",
];

/// A 404 because the container (queue, table, share) is missing.
pub(crate) struct ParentMissing {
    pub key: String,
    /// The service said so (error code); otherwise inferred from a 404 on a write into it.
    pub explicit: bool,
}

pub(crate) fn parent_missing(v: &EventView<'_>) -> Option<ParentMissing> {
    if v.ev.status != 404 || v.ev.response_type == crate::model::ResponseType::AuthorizationError {
        return None;
    }
    let code = v.error_code();
    let explicit = PARENT_NOT_FOUND.contains(&code);
    let inferred = code.is_empty() && WRITES_INTO_CONTAINER.contains(&v.operation());
    if !explicit && !inferred {
        return None;
    }
    Some(ParentMissing {
        key: container_key(v.resource())?,
        explicit,
    })
}

/// Who sent a request, as far as the source says.
pub(crate) fn who(v: &EventView<'_>) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if let Some(ip) = v.caller_ip() {
        out.push(("caller_ip", ip.into_owned()));
    }
    if let Some(ua) = v.extra(Field::UserAgent) {
        out.push(("user_agent", ua.to_string()));
    }
    if v.ev.auth != crate::model::AuthKind::Unknown {
        out.push(("auth", v.ev.auth.as_str().to_string()));
    }
    let crid = v.client_request_id();
    if !crid.is_empty() {
        out.push(("client_request_id", crid.into_owned()));
    }
    out
}

/// Keys derived from a resource (the resource without its trailing `/`; the container it lives
/// in), numbered by first appearance and resolved once per distinct interned resource rather
/// than once per row: a log of a million rows names a few thousand resources, and working on
/// each row's text was most of an index's build.
struct ResourceKeys {
    key_of: fn(&str) -> Option<String>,
    by_sym: crate::model::SmallKeyMap<crate::model::Sym, Option<u32>>,
    by_text: HashMap<String, u32>,
    texts: Vec<String>,
}

impl ResourceKeys {
    fn new(key_of: fn(&str) -> Option<String>) -> ResourceKeys {
        ResourceKeys {
            key_of,
            by_sym: Default::default(),
            by_text: HashMap::new(),
            texts: Vec::new(),
        }
    }

    /// The id of `resource`'s key, or `None` when it has none.
    fn id(&mut self, cx: &Context<'_>, resource: crate::model::Sym) -> Option<u32> {
        if let Some(&k) = self.by_sym.get(&resource) {
            return k;
        }
        let k = (self.key_of)(cx.ds.str(resource)).map(|key| {
            *self.by_text.entry(key).or_insert_with_key(|key| {
                self.texts.push(key.clone());
                (self.texts.len() - 1) as u32
            })
        });
        self.by_sym.insert(resource, k);
        k
    }

    /// The id of `resource`'s key when that key already has one; adds none. Uploads mostly
    /// name new objects: giving each its key cost a string and two map entries per row.
    fn existing(&self, cx: &Context<'_>, resource: crate::model::Sym) -> Option<u32> {
        if let Some(&k) = self.by_sym.get(&resource) {
            return k;
        }
        let key = (self.key_of)(cx.ds.str(resource))?;
        self.by_text.get(&key).copied()
    }

    fn text(&self, k: u32) -> &str {
        &self.texts[k as usize]
    }
}

/// Lists indexed by key id, grown as ids appear.
fn push_at<T>(lists: &mut Vec<Vec<T>>, k: u32, item: T) {
    let k = k as usize;
    if lists.len() <= k {
        lists.resize_with(k + 1, Vec::new);
    }
    lists[k].push(item);
}

/// Successful deletes per key, and successful creates of deleted names and of containers, in
/// time order on the service's clock.
#[derive(Default)]
pub(crate) struct History {
    pub deletes: HashMap<String, Vec<(Timestamp, usize)>>,
    pub creates: HashMap<String, Vec<(Timestamp, usize)>>,
}

impl History {
    pub fn build(cx: &Context<'_>) -> History {
        // Per resource key, by key id; turned into maps by key text at the end. One walk over
        // the attempts; the time is read only for the few rows kept.
        let mut keys = ResourceKeys::new(|r| Some(r.trim_end_matches('/').to_string()));
        let mut deletes: Vec<Vec<(Timestamp, usize)>> = Vec::new();
        // (resource, event, whether it creates a container)
        let mut created: Vec<(crate::model::Sym, usize, bool)> = Vec::new();
        let mut kinds = OpKinds::default();
        let facts = cx.facts();
        for (_, i) in cx.primaries() {
            // The row's facts answer for most rows: a failure, or an operation whose kind is
            // known and that neither deletes nor creates.
            if !is_success(facts[i].status) {
                continue;
            }
            let known = kinds.known(cx, i);
            if known.is_some_and(|(d, c)| !d && !c) && facts[i].status != 201 {
                continue;
            }
            let e = &cx.ds.events[i];
            if e.resource.is_empty() {
                continue;
            }
            let (delete, container_create) = match known {
                Some(k) => k,
                None => kinds.of(&cx.ds.view(i)),
            };
            if delete {
                if let (Some(t), Some(k)) = (time(cx, i), keys.id(cx, e.resource)) {
                    push_at(&mut deletes, k, (t, i));
                }
            } else if e.status == 201 || container_create {
                created.push((e.resource, i, container_create));
            }
        }
        // Creates matter only for names that were deleted and for containers; keeping every
        // uploaded blob's key would cost a map entry per upload in large logs.
        let mut creates: Vec<Vec<(Timestamp, usize)>> = Vec::new();
        for (resource, i, container_create) in created {
            // Every deleted name has its key by now; other names need none unless a container.
            let k = if container_create {
                keys.id(cx, resource)
            } else {
                keys.existing(cx, resource)
            };
            let Some(k) = k else { continue };
            let deleted = deletes.get(k as usize).is_some_and(|d| !d.is_empty());
            if !deleted && !container_create {
                continue;
            }
            if let Some(t) = time(cx, i) {
                push_at(&mut creates, k, (t, i));
            }
        }
        let by_text =
            |lists: Vec<Vec<(Timestamp, usize)>>| -> HashMap<String, Vec<(Timestamp, usize)>> {
                lists
                    .into_iter()
                    .enumerate()
                    .filter(|(_, l)| !l.is_empty())
                    .map(|(k, mut l)| {
                        l.sort();
                        (keys.text(k as u32).to_string(), l)
                    })
                    .collect()
            };
        History {
            deletes: by_text(deletes),
            creates: by_text(creates),
        }
    }

    /// The latest entry for `key` at or before `t`.
    pub fn last_before<'a>(
        map: &'a HashMap<String, Vec<(Timestamp, usize)>>,
        key: &str,
        t: Timestamp,
    ) -> Option<&'a (Timestamp, usize)> {
        let v = map.get(key.trim_end_matches('/'))?;
        let n = v.partition_point(|(x, _)| *x <= t);
        n.checked_sub(1).and_then(|k| v.get(k))
    }
}

/// The container-create race of the troubleshooting guide: a write into a container failed with
/// 404 while another request (not the writer's) was checking for or creating that container.
pub(crate) struct Race {
    /// The container create that was in flight.
    pub create: usize,
    /// That request's earlier existence check, if it made one.
    pub probe: Option<usize>,
}

/// The container creates that got a response, per container key, each with what the race test
/// needs precomputed: its span on the service's clock, its request, and the existence check
/// the same request made before it. A busy container sees thousands of listings and a failing
/// writer may send thousands of writes, so nothing here is searched per write.
pub(crate) struct ContainerActivity {
    creates: HashMap<String, Vec<CreateInFlight>>,
}

struct CreateInFlight {
    create: usize,
    request: Option<u32>,
    start: Timestamp,
    end: Timestamp,
    probe: Option<(usize, Timestamp)>,
}

impl ContainerActivity {
    pub fn build(cx: &Context<'_>) -> ContainerActivity {
        // The answered container creates per container key, in request order.
        let mut keys = ResourceKeys::new(container_level_key);
        let mut by_key: Vec<Vec<usize>> = Vec::new();
        let mut kinds = OpKinds::default();
        let facts = cx.facts();
        for (_, i) in cx.primaries() {
            if facts[i].status == 0 || kinds.known(cx, i).is_some_and(|(_, c)| !c) {
                continue;
            }
            let e = &cx.ds.events[i];
            if !kinds.of(&cx.ds.view(i)).1 {
                continue;
            }
            if let Some(k) = keys.id(cx, e.resource) {
                push_at(&mut by_key, k, i);
            }
        }
        let mut creates: HashMap<String, Vec<CreateInFlight>> = HashMap::new();
        for (k, list) in by_key.into_iter().enumerate() {
            let key = keys.text(k as u32);
            let mut out = Vec::new();
            for c in list {
                let Some((start, end)) = span(cx, c) else {
                    continue;
                };
                let request = cx.correlation.request_of.get(c).copied();
                // The first check of the same request that happened before the create: looked
                // for among that request's own attempts, not the container's whole list (a busy
                // container has thousands of requests and thousands of creates).
                let probe = request
                    .and_then(|r| cx.correlation.requests.get(r as usize))
                    .into_iter()
                    .flat_map(|req| req.attempts())
                    .map(|a| crate::correlate::Request::primary(cx.ds, a) as usize)
                    .find_map(|p| {
                        let pv = cx.ds.view(p);
                        if p == c
                            || is_container_create(&pv)
                            || container_level_key(pv.resource()).as_deref() != Some(key)
                        {
                            return None;
                        }
                        time(cx, p).filter(|t| *t <= start).map(|t| (p, t))
                    });
                out.push(CreateInFlight {
                    create: c,
                    request,
                    start,
                    end,
                    probe,
                });
            }
            if !out.is_empty() {
                creates.insert(key.to_string(), out);
            }
        }
        ContainerActivity { creates }
    }
}

pub(crate) fn race_for(cx: &Context<'_>, act: &ContainerActivity, w: usize) -> Option<Race> {
    let v = cx.ds.view(w);
    let pm = parent_missing(&v)?;
    let creates = act.creates.get(&pm.key)?;
    let (ws, we) = span(cx, w)?;
    let mine = cx.correlation.request_of.get(w).copied();
    creates
        .iter()
        // The whole container request (its existence check included) began before the write's
        // 404 came back, and its create finished after the write was sent.
        .find(|c| c.request != mine && c.probe.map_or(c.start, |(_, t)| t) <= we && c.end >= ws)
        .map(|c| Race {
            create: c.create,
            probe: c.probe.map(|(p, _)| p),
        })
}

/// The attempts (by their speaking observation) whose failure falls in one expected family,
/// and a breakdown "GetBlobProperties 404 ×12" of them, most frequent first.
pub(crate) fn expected_attempts(
    cx: &Context<'_>,
    family: crate::knowledge::expected::Expected,
    skip: impl Fn(usize) -> bool,
) -> (Vec<usize>, Vec<(String, usize)>) {
    let mut hits = Vec::new();
    let mut groups: Vec<(String, usize)> = Vec::new();
    // Every expected family is a non-2xx answer.
    for (_, i) in cx.unsuccessful_primaries() {
        let v = cx.ds.view(i);
        if crate::knowledge::expected::expected_kind(&v) != Some(family) || skip(i) {
            continue;
        }
        let op = if v.operation().is_empty() {
            v.ev.method.as_str()
        } else {
            v.operation()
        };
        let label = format!("{op} {} {}", v.ev.status, v.error_code())
            .trim()
            .to_string();
        match groups.iter_mut().find(|(l, _)| *l == label) {
            Some((_, n)) => *n += 1,
            None => groups.push((label, 1)),
        }
        hits.push(i);
    }
    groups.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    (hits, groups)
}

/// "GetBlobProperties 404 ×12, HEAD 404 ×3".
pub(crate) fn breakdown(groups: &[(String, usize)]) -> String {
    groups
        .iter()
        .take(8)
        .map(|(l, n)| format!("{l} ×{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// [`EventView::transactions`] as a whole number, for counts of requests.
pub(crate) fn transactions(v: &EventView<'_>) -> u64 {
    v.transactions().round() as u64
}

/// The service refused for load: 503 (ServerBusy), or a throttling response type (a 500
/// OperationTimedOut can be classed ThrottlingError / ServerBusyError too).
pub(crate) fn is_throttled(v: &EventView<'_>) -> bool {
    v.ev.status == 503
        || v.ev.response_type == crate::model::ResponseType::ThrottlingError
        || v.error_code() == "ServerBusy"
}

/// The service timed out on its side.
pub(crate) fn is_server_timeout(v: &EventView<'_>) -> bool {
    use crate::model::ResponseType as Rt;
    if is_throttled(v) {
        return false;
    }
    match v.ev.response_type {
        Rt::ServerTimeoutError => true,
        Rt::ClientTimeoutError | Rt::NetworkError => false,
        _ => v.ev.status == 500 && v.error_code() == "OperationTimedOut",
    }
}

/// The request's time windows on the service's clock, bucketed by minute: how many minutes had
/// at least one of `events`, against the minutes the whole dataset covers.
pub(crate) fn minutes_covered(cx: &Context<'_>, events: &[usize]) -> (usize, usize) {
    let minute = |t: Timestamp| t.0.div_euclid(60_000_000);
    let mut hit: Vec<i64> = events
        .iter()
        .filter_map(|&i| time(cx, i))
        .map(minute)
        .collect();
    hit.sort_unstable();
    hit.dedup();
    let all: Vec<i64> = cx
        .ds
        .events
        .iter()
        .filter_map(|e| e.time())
        .map(minute)
        .collect();
    let span = match (all.iter().min(), all.iter().max()) {
        (Some(a), Some(b)) => (b - a + 1) as usize,
        _ => 0,
    };
    (hit.len(), span)
}
