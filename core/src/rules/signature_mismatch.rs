//! `signature-mismatch`: the signature of a Shared Key request or a SAS does not verify. Either
//! the key is not the one the account holds now (regenerated, the other key, another account's),
//! or the client signed something other than what the service received (a header changed after
//! signing, a different path or account name, a hand-built string-to-sign).
//!
//! When the service's string-to-sign is quoted and the client's is in its log (the legacy .NET
//! trace prints it), the two are compared line by line: identical strings point at the key,
//! differing ones name the part that differs.

use crate::model::SmallKeyMap;

use super::auth_common as ac;
use super::{Context, Evidence, Finding, Level, Rule, Severity};
use crate::knowledge::auth_failure::{classify, is_forbidden, request_version, Problem};
use crate::knowledge::sas_eval::{evaluate, Verdict, SKEW_ALLOWANCE_SECS};
use crate::knowledge::string_to_sign::{self as sts, Diff, StsKind};
use crate::model::{EventView, Field, Sym, Timestamp};

pub struct SignatureMismatch;

/// What one failed request shows.
struct Row {
    evidence: Evidence,
    /// The service said the signature did not match (not merely "failed to authenticate").
    stated: bool,
    diff: Option<Diff>,
    server_only: bool,
    sas: bool,
    policy: bool,
    /// When a request with the same credentials last succeeded.
    worked: Option<Timestamp>,
}

/// A string of the given field from this event or another observation of the same request.
fn from_request<'a>(cx: &Context<'a>, v: &EventView<'a>, field: Field) -> Option<&'a str> {
    if let Some(s) = v.extra(field) {
        return Some(s);
    }
    let r = cx.correlation.request_for(v.index)?;
    r.events
        .iter()
        .filter(|&&i| i as usize != v.index)
        .find_map(|&i| cx.ds.view(i as usize).extra(field))
}

fn server_string<'a>(cx: &Context<'a>, v: &EventView<'a>) -> Option<String> {
    if let Some(s) = from_request(cx, v, Field::ServerStringToSign) {
        return Some(s.to_string());
    }
    let r = cx.correlation.request_for(v.index);
    let mut details: Vec<&str> = v.extra(Field::Detail).into_iter().collect();
    if let Some(r) = r {
        details.extend(
            r.events
                .iter()
                .filter_map(|&i| cx.ds.view(i as usize).extra(Field::Detail)),
        );
    }
    details.into_iter().find_map(sts::extract_server_string)
}

/// The signed date of a Shared Key request (`x-ms-date`, else the Date line).
fn signed_date(v: &EventView<'_>, client: Option<&str>) -> Option<Timestamp> {
    if let Some(d) = v.extra(Field::RequestDate).and_then(Timestamp::parse) {
        return Some(d);
    }
    let dec = sts::decode(client?);
    dec.parts
        .iter()
        .find_map(|p| p.value.strip_prefix("x-ms-date:"))
        .and_then(Timestamp::parse)
        .or_else(|| {
            dec.parts
                .iter()
                .find(|p| p.label == "Date")
                .and_then(|p| Timestamp::parse(&p.value))
        })
}

/// Which credentials signed a request: a SAS token (by its index in the dataset), or Shared Key
/// from one log.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Cred {
    Sas(u32),
    SharedKey(u16),
}

fn cred(v: &EventView<'_>) -> Option<Cred> {
    if let Some(i) = v.sas_index() {
        return Some(Cred::Sas(i));
    }
    (v.ev.auth == crate::model::AuthKind::SharedKey || v.extra(Field::StringToSign).is_some())
        .then_some(Cred::SharedKey(v.ev.input))
}

/// When the same credentials last succeeded on the same account, kept while the events are
/// walked in time order. A success followed by signature failures points at a key that changed
/// in between.
/// Only the credentials of rows that may be judged are followed (`want`), and they are found by
/// position rather than by hashing, since every successful row asks: a SAS token by its index,
/// Shared Key by its input, each slot checked against the account (a second account with the
/// same slot goes to `others`).
#[derive(Default)]
struct LastSuccess {
    /// 1 + the id of the wanted key in each slot; 0 for none.
    by_token: Vec<u32>,
    by_input: Vec<u32>,
    keys: Vec<(Sym, Cred)>,
    last: Vec<Option<Timestamp>>,
    others: SmallKeyMap<(Sym, Cred), u32>,
}

impl LastSuccess {
    /// Follows `key` from now on.
    fn want(&mut self, key: (Sym, Cred)) {
        if self.id(key).is_some() {
            return;
        }
        let id = self.keys.len() as u32;
        self.keys.push(key);
        self.last.push(None);
        let (slots, k) = match key.1 {
            Cred::Sas(t) => (&mut self.by_token, t as usize),
            Cred::SharedKey(i) => (&mut self.by_input, i as usize),
        };
        if slots.len() <= k {
            slots.resize(k + 1, 0);
        }
        if slots[k] == 0 {
            slots[k] = id + 1;
        } else {
            self.others.insert(key, id);
        }
    }

    fn id(&self, key: (Sym, Cred)) -> Option<u32> {
        let slot = match key.1 {
            Cred::Sas(t) => self.by_token.get(t as usize),
            Cred::SharedKey(i) => self.by_input.get(i as usize),
        };
        match slot.copied() {
            None | Some(0) => None,
            Some(s) if self.keys[s as usize - 1] == key => Some(s - 1),
            Some(_) => self.others.get(&key).copied(),
        }
    }

    fn note(&mut self, v: &EventView<'_>) {
        if !(200..300).contains(&v.ev.status) {
            return;
        }
        let Some(c) = cred(v) else { return };
        if let (Some(id), Some(t)) = (self.id((v.ev.account, c)), v.time()) {
            self.last[id as usize] = Some(t);
        }
    }

    fn before(&self, v: &EventView<'_>) -> Option<Timestamp> {
        self.last[self.id((v.ev.account, cred(v)?))? as usize]
    }
}

fn judge(cx: &Context<'_>, v: &EventView<'_>, seen: &LastSuccess) -> Option<Row> {
    let problem = classify(v);
    let stated = matches!(problem, Some(Problem::SignatureMismatch));
    if !stated && (!is_forbidden(v) || problem != Some(Problem::AuthenticationFailed)) {
        // Without the service's words only a plain AuthenticationFailed qualifies (checked
        // before the client's string-to-sign is looked for, which costs more).
        return None;
    }
    let token = v.sas();
    let client = from_request(cx, v, Field::StringToSign);
    if !stated {
        // A plain AuthenticationFailed, then, and only when nothing else in the request
        // explains it.
        match token {
            Some(t) => {
                if t.si.is_some() {
                    return None; // sas-policy-problem: the policy may be what failed
                }
                let checks = evaluate(t, &ac::sas_request(cx, v));
                let doubtful = checks.iter().any(|c| {
                    c.verdict == Verdict::Fails
                        || c.verdict == Verdict::Unknown && matches!(c.field, "st" | "se")
                });
                if doubtful {
                    return None;
                }
            }
            None => {
                let client = client?;
                let when = signed_date(v, Some(client))?;
                // A stale date is the other reason a Shared Key request fails to authenticate.
                let now = v.time()?;
                if now.seconds_since(when).abs() > SKEW_ALLOWANCE_SECS * 3.0 {
                    return None;
                }
            }
        }
    }
    let server = server_string(cx, v);
    let mut e = ac::evidence(v, problem.as_ref());
    let worked = seen.before(v);
    if let Some(t) = worked {
        e = e.field("same_credentials_worked_at", t.to_string());
    }
    if let Some(t) = token {
        e = ac::with_token(e, t);
    } else if let Some(x) = request_version(v) {
        e = e.field("x_ms_version", x);
    }
    let mut diff = None;
    let mut server_only = false;
    // The layout of a quoted string-to-sign tells a SAS from Shared Key when the request's URL
    // is not in the input (a pasted error).
    let mut signed_kind = StsKind::Unknown;
    match (client, server.as_deref()) {
        (Some(c), Some(s)) => {
            let d = sts::diff(c, s);
            e = e
                .field("string_to_sign_kind", d.kind.describe())
                .field("string_to_sign_diff", d.render());
            if d.identical() {
                e = e.field("strings_identical", "yes");
            } else {
                e = e.field("differs_in", d.differing().join(", "));
            }
            signed_kind = d.kind;
            diff = Some(d);
        }
        (None, Some(s)) => {
            let d = sts::decode(s);
            e = e
                .field("string_to_sign_kind", d.kind.describe())
                .field("server_string_to_sign", d.render());
            signed_kind = d.kind;
            server_only = true;
        }
        (Some(c), None) => {
            let d = sts::decode(c);
            e = e
                .field("string_to_sign_kind", d.kind.describe())
                .field("client_string_to_sign", d.render());
            signed_kind = d.kind;
        }
        (None, None) => {}
    }
    Some(Row {
        evidence: e,
        stated,
        diff,
        server_only,
        sas: token.is_some() || signed_kind.is_sas(),
        policy: token.is_some_and(|t| t.si.is_some()),
        worked,
    })
}

impl Rule for SignatureMismatch {
    fn id(&self) -> &'static str {
        "signature-mismatch"
    }
    fn default_severity(&self) -> Severity {
        Severity::Error
    }
    fn run(&self, cx: &Context<'_>) -> Vec<Finding> {
        // `judge` takes a stated signature mismatch or a refused AuthenticationFailed: rows the
        // classifier reads a problem from, all in the shared list of auth failures. Every row
        // is still walked, in time order, to note when those rows' credentials last worked.
        let candidates: Vec<usize> = cx.auth_failures().map(|v| v.index).collect();
        if candidates.is_empty() {
            return Vec::new();
        }
        let mut seen = LastSuccess::default();
        for &i in &candidates {
            let v = cx.ds.view(i);
            if let Some(c) = cred(&v) {
                seen.want((v.ev.account, c));
            }
        }
        let mut rows: Vec<Row> = Vec::new();
        let mut next = candidates.into_iter().peekable();
        for v in cx.ds.iter() {
            if next.next_if_eq(&v.index).is_some() {
                if let Some(r) = judge(cx, &v, &seen) {
                    rows.push(r);
                }
            }
            seen.note(&v);
        }
        if rows.is_empty() {
            return Vec::new();
        }
        let stated = rows.iter().any(|r| r.stated);
        let identical = rows
            .iter()
            .any(|r| r.diff.as_ref().is_some_and(Diff::identical));
        let mut differing: Vec<String> = Vec::new();
        for r in &rows {
            for c in r.diff.as_ref().map(Diff::differing).unwrap_or_default() {
                if !differing.contains(&c) {
                    differing.push(c);
                }
            }
        }
        let server_only = rows.iter().any(|r| r.server_only);
        let sas = rows.iter().any(|r| r.sas);
        let shared_key = rows.iter().any(|r| !r.sas);
        let policy = rows.iter().any(|r| r.policy);
        let kind_of = rows
            .iter()
            .find_map(|r| r.diff.as_ref().map(|d| d.kind))
            .unwrap_or(StsKind::Unknown);
        let n = rows.len();
        let what = match (sas, shared_key) {
            (true, false) => "SAS",
            (false, true) => "Shared Key",
            _ => "Shared Key and SAS",
        };
        let title = if !differing.is_empty() {
            format!(
                "{} failed: the {what} signature does not match — the client signed a different {}",
                ac::requests(n),
                differing.join(", ")
            )
        } else if identical {
            format!(
                "{} failed: the {what} signature does not match although the signed strings are identical — wrong key",
                ac::requests(n)
            )
        } else if stated {
            format!(
                "{} failed because the {what} signature does not match",
                ac::requests(n)
            )
        } else {
            format!(
                "{} failed {what} authentication; the signature is the likely cause",
                ac::requests(n)
            )
        };
        let mut explanation = String::from(
            "The service recomputes the signature from the request it received and the account \
             key it holds; when the two signatures differ it refuses the request with 403 \
             AuthenticationFailed, and it normally writes no server-side log row for it. ",
        );
        if identical {
            explanation.push_str(
                "Here the string the client signed and the string the service signed are the \
                 same line for line, so the request reached the service as it was signed: the \
                 key is what differs. The key in use is not the account's current key — it was \
                 regenerated, it is the other of the two keys after a rotation, it belongs to \
                 another account, or the token was signed before the key changed. ",
            );
        }
        if !differing.is_empty() {
            explanation.push_str(&format!(
                "Here the client's and the service's strings-to-sign ({}) differ in: {}. ",
                kind_of.describe(),
                differing
                    .iter()
                    .map(|c| format!("{c} — {}", sts::hint(c)))
                    .collect::<Vec<_>>()
                    .join("; ")
            ));
        }
        if server_only && differing.is_empty() && !identical {
            explanation.push_str(
                "The service quoted the string it signed (decoded line by line in the evidence); \
                 the client's own string is not in this log, so whether the request or the key \
                 differs cannot be decided from here. ",
            );
        }
        if !stated {
            explanation.push_str(
                "The log shows only that authentication failed, not the service's reason. With \
                 the request's date in order and nothing else wrong with it, a signature made \
                 with a key the account no longer accepts is the usual cause. ",
            );
        }
        if let Some(t) = rows.iter().filter_map(|r| r.worked).max() {
            explanation.push_str(&format!(
                "Requests with the same credentials succeeded until {t}: the key most likely \
                 changed after that. "
            ));
        }
        if policy {
            explanation.push_str(
                "The token names a stored access policy (si): a token also stops verifying when \
                 its policy is deleted, renamed or replaced. ",
            );
        }
        let mut fix = Vec::new();
        if !differing.is_empty() {
            fix.push(format!(
                "Make the request carry exactly what was signed: look at {} in the diff and find \
                 what changes it between signing and sending (a proxy, a handler that adds or \
                 rewrites headers after signing, a URL re-encoded by the HTTP stack).",
                differing.join(", ")
            ));
            fix.push(
                "If the signature is computed by hand, switch to the SDK's signer or follow the \
                 canonicalization rules to the letter (headers lower-cased, sorted, trimmed; \
                 empty lines kept; Content-Length empty when 0)."
                    .to_string(),
            );
        }
        fix.push(
            "Compare the account key the application uses with the account's current keys (the \
             portal's Access keys page, or az storage account keys list); after a rotation, \
             update every connection string and secret that holds the old key."
                .to_string(),
        );
        if sas {
            fix.push(
                "Issue new SAS tokens from the current key; tokens signed with a regenerated key \
                 never verify again. A user delegation SAS (signed through Microsoft Entra ID) \
                 avoids the dependency on account keys."
                    .to_string(),
            );
        }
        if !stated || (!identical && differing.is_empty()) {
            fix.push(
                "To see what differs, turn on the client's verbose logging of the \
                 string-to-sign and capture the error body: the service's AuthenticationErrorDetail \
                 quotes the string it signed."
                    .to_string(),
            );
        }
        let (level, severity) = if stated {
            (Level::High, Severity::Error)
        } else {
            (Level::Low, Severity::Warning)
        };
        let raise = if stated {
            ""
        } else {
            "The service's reason is not in this log. The error body's AuthenticationErrorDetail \
             ('Signature did not match. String to sign used was …' or 'Server used following \
             string to sign') confirms it and, with the client's string-to-sign, shows what \
             differs."
        };
        let evidence = rows.into_iter().map(|r| r.evidence).collect();
        vec![ac::finding(
            self.id(),
            severity,
            title,
            explanation.trim_end().to_string(),
            fix,
            ac::confidence(level, raise),
            evidence,
        )]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AuthKind, EventSink, Method, RawEvent};
    use crate::rules::auth_common::testkit::*;

    const CLIENT: &str = "PUT.....text/plain.......x-ms-blob-type:BlockBlob.x-ms-date:Tue, 05 Mar 2024 10:00:00 GMT.x-ms-version:2019-02-02./acct/uploads/report.csv";

    fn put(detail: &str, sts: &str) -> RawEvent<'static> {
        RawEvent {
            time: t("2024-03-05T10:00:00Z"),
            status: 403,
            method: Method::Put,
            url: "https://acct.blob.core.windows.net/uploads/report.csv".into(),
            auth: AuthKind::SharedKey,
            client_request_id: "11111111-2222-4333-8444-555555555555".into(),
            ..Default::default()
        }
        .with(Field::Detail, detail.to_string())
        .with(Field::StringToSign, sts.to_string())
    }

    #[test]
    fn diff_names_the_component() {
        let detail = "The MAC signature found in the HTTP request 'x' is not the same as any computed signature. Server used following string to sign: 'PUT\\n\\n\\n\\n\\ntext/plain; charset=utf-8\\n\\n\\n\\n\\n\\n\\nx-ms-blob-type:BlockBlob\\nx-ms-date:Tue, 05 Mar 2024 10:00:00 GMT\\nx-ms-version:2019-02-02\\n/acct/uploads/report.csv'.";
        let f = run(&SignatureMismatch, &dataset(vec![put(detail, CLIENT)]));
        assert_eq!(f.len(), 1);
        let f = &f[0];
        assert_eq!(f.severity, Severity::Error);
        assert_eq!(f.confidence.level, Level::High);
        let e = &f.evidence[0];
        assert_eq!(e.fields["differs_in"], "Content-Type");
        assert!(e.fields["string_to_sign_diff"].contains("+ Content-Type"));
        assert!(f.title.contains("Content-Type"), "{}", f.title);
        assert!(f.explanation.contains("charset"), "{}", f.explanation);
        assert!(f.kql.is_none());
    }

    #[test]
    fn identical_strings_blame_the_key() {
        let server = CLIENT
            .replace('.', "\n")
            .replace("report\ncsv", "report.csv");
        let detail = format!("Signature did not match. String to sign used was {server}");
        let f = run(&SignatureMismatch, &dataset(vec![put(&detail, CLIENT)]));
        assert_eq!(f[0].evidence[0].fields["strings_identical"], "yes");
        assert!(f[0].explanation.contains("key is what differs"));
        assert!(f[0].title.contains("wrong key"));
    }

    #[test]
    fn server_string_alone_is_decoded() {
        let mut e = put(
            "Signature did not match. String to sign used was r\n\n2024-03-05T11:00:00Z\n/blob/acct/uploads/report.csv\n\n\nhttps\n2020-08-04\nb\n\n\n\n\n\n",
            "",
        );
        e.url = "https://acct.blob.core.windows.net/uploads/report.csv?sv=2020-08-04&sr=b&sp=r&se=2024-03-05T11:00:00Z&spr=https&sig=c2ln".into();
        e.extras.retain(|(f, _)| *f != Field::StringToSign);
        let f = run(&SignatureMismatch, &dataset(vec![e]));
        let dec = &f[0].evidence[0].fields["server_string_to_sign"];
        assert!(dec.contains("sv (version)"), "{dec}");
        assert!(f[0].fix.iter().any(|s| s.contains("new SAS")));
    }

    #[test]
    fn pasted_sas_error_without_url_is_called_a_sas() {
        // Only the error text: no URL, so no token; the service's string-to-sign has the
        // service SAS layout, and the finding must not call it a Shared Key signature.
        let e = RawEvent {
            time: t("2024-10-15T13:41:27Z"),
            status: 403,
            error_code: "AuthenticationFailed".into(),
            ..Default::default()
        }
        .with(
            Field::Detail,
            "Signature did not match. String to sign used was r\n2024-10-15T13:00:00Z\n2024-10-15T21:00:00Z\n/blob/acct/exports/2024-10.xlsx\n\n\nhttps\n2022-11-02\nb\n\n\n\n\n\n\n",
        );
        let f = run(&SignatureMismatch, &dataset(vec![e]));
        assert_eq!(
            f[0].evidence[0].fields["string_to_sign_kind"],
            "service SAS"
        );
        assert!(f[0].title.contains("SAS signature"), "{}", f[0].title);
        assert!(!f[0].title.contains("Shared Key"), "{}", f[0].title);
        assert!(f[0].fix.iter().any(|s| s.contains("new SAS")));
    }

    #[test]
    fn plain_authentication_failure_with_shared_key_is_weak() {
        let f = run(
            &SignatureMismatch,
            &dataset(vec![put(
                "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.",
                CLIENT,
            )]),
        );
        assert_eq!(f[0].severity, Severity::Warning);
        assert_eq!(f[0].confidence.level, Level::Low);
        assert!(f[0].evidence[0].fields["client_string_to_sign"].contains("Content-Type"));
    }

    #[test]
    fn an_earlier_success_dates_the_key_change() {
        let ok = RawEvent {
            time: t("2024-03-05T09:58:00Z"),
            status: 201,
            client_request_id: "11111111-2222-4333-8444-000000000000".into(),
            ..put("", CLIENT)
        };
        let f = run(
            &SignatureMismatch,
            &dataset(vec![
                ok,
                put("Server failed to authenticate the request.", CLIENT),
            ]),
        );
        assert_eq!(
            f[0].evidence[0].fields["same_credentials_worked_at"],
            "2024-03-05T09:58:00Z"
        );
        assert!(f[0]
            .explanation
            .contains("succeeded until 2024-03-05T09:58:00Z"));
    }

    #[test]
    fn quiet_otherwise() {
        let ok = RawEvent {
            status: 201,
            ..put("", CLIENT)
        };
        // Too old a date: clock-skew explains it, not the key.
        let stale = RawEvent {
            time: t("2024-03-05T11:00:00Z"),
            ..put("Server failed to authenticate the request.", CLIENT)
        };
        // A bare 403 without the service's text could be anything.
        let bare = put(
            "The remote server returned an error: (403) Forbidden.",
            CLIENT,
        );
        assert!(run(&SignatureMismatch, &dataset(vec![ok, stale, bare])).is_empty());
    }

    #[test]
    fn the_latest_success_per_credential_matches_a_map_updated_on_every_row() {
        // Rows of two accounts, signed with the key, a SAS or nothing, some without a time,
        // successes and failures mixed: what `before` answers at every row is what a map
        // written on every success would answer.
        let mut ds = crate::model::Dataset::new();
        let input = ds.add_input("blob.log", "test", 1.0);
        let mut st = 0x9e37_79b9_7f4a_7c15u64;
        for n in 0..400u32 {
            st ^= st << 13;
            st ^= st >> 7;
            st ^= st << 17;
            let account = if st % 3 == 0 { "acct" } else { "other" };
            let (auth, url) = match (st >> 8) % 3 {
                0 => (AuthKind::SharedKey, "https://acct.blob.core.windows.net/c/b".to_string()),
                1 => (
                    AuthKind::Sas,
                    format!("https://acct.blob.core.windows.net/c/b?sv=2022-11-02&sp=r&se=2030-01-01&sig=s{}", (st >> 12) % 2),
                ),
                _ => (AuthKind::Anonymous, "https://acct.blob.core.windows.net/c/b".to_string()),
            };
            ds.sink(input).event(RawEvent {
                time: ((st >> 16) % 5 != 0)
                    .then(|| Timestamp(1_709_600_000_000_000 + n as i64 * 1_000_000)),
                status: if (st >> 20) % 4 == 0 { 403 } else { 200 },
                account: account.into(),
                auth,
                url: url.into(),
                ..Default::default()
            });
        }
        ds.finish();
        let wanted: SmallKeyMap<(Sym, Cred), ()> = ds
            .iter()
            .filter(|v| v.ev.status == 403 && v.ev.account != Sym::default())
            .filter_map(|v| Some(((v.ev.account, cred(&v)?), ())))
            .collect();
        assert!(wanted.len() >= 2);
        let mut seen = LastSuccess::default();
        for (key, _) in wanted.iter() {
            seen.want(*key);
        }
        // Both accounts want Shared Key from the one input: one of them in `others`.
        assert!(!seen.others.is_empty());
        let mut reference: std::collections::HashMap<(Sym, Cred), Timestamp> = Default::default();
        for v in ds.iter() {
            let want = cred(&v).and_then(|c| reference.get(&(v.ev.account, c)).copied());
            if wanted.contains_key(&(v.ev.account, cred(&v).unwrap_or(Cred::SharedKey(9)))) {
                assert_eq!(seen.before(&v), want, "row {}", v.index);
            }
            seen.note(&v);
            if (200..300).contains(&v.ev.status) {
                if let (Some(c), Some(t)) = (cred(&v), v.time()) {
                    if wanted.contains_key(&(v.ev.account, c)) {
                        reference.insert((v.ev.account, c), t);
                    }
                }
            }
        }
    }
}
