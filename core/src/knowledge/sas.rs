//! Shared access signatures: parse the token from a URL, name every field, evaluate it.

use serde::Serialize;

use super::redact::{is_masked, secret_hash};
use super::url::split_query;
use crate::model::Timestamp;

/// A SAS token's fields. The signature itself is never kept: only whether it was present and a
/// hash for equality (CONTRACTS.md § Redaction).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct SasToken {
    pub sv: Option<String>,
    pub ss: Option<String>,
    pub srt: Option<String>,
    pub sp: Option<String>,
    pub st: Option<String>,
    pub se: Option<String>,
    pub sip: Option<String>,
    pub spr: Option<String>,
    pub sr: Option<String>,
    pub si: Option<String>,
    pub sdd: Option<String>,
    pub skoid: Option<String>,
    pub sktid: Option<String>,
    pub skt: Option<String>,
    pub ske: Option<String>,
    pub sks: Option<String>,
    pub skv: Option<String>,
    pub ses: Option<String>,
    pub tn: Option<String>,
    /// `sig` was present in the URL.
    pub has_signature: bool,
    /// The log had already masked the signature (`sig=XXXXX`).
    pub signature_masked: bool,
    #[serde(skip)]
    pub signature_hash: Option<u64>,
}

/// What kind of SAS a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SasKind {
    Account,
    Service,
    UserDelegation,
}

impl SasToken {
    /// Parses the SAS parameters out of a URL or a bare query (`?sv=…&sig=…` or `sv=…`). Returns
    /// `None` when the query carries no SAS (no `sig`, and not both `sv` and `se`/`si`).
    pub fn from_url(url: &str) -> Option<SasToken> {
        let query = match url.find('?') {
            Some(i) => &url[i + 1..],
            None if url.contains('=') => url,
            None => return None,
        };
        let query = query.split('#').next().unwrap_or("");
        let mut t = SasToken::default();
        for (k, v) in split_query(query) {
            let v = v.trim().to_string();
            let slot = match k.to_ascii_lowercase().as_str() {
                "sv" => &mut t.sv,
                "ss" => &mut t.ss,
                "srt" => &mut t.srt,
                "sp" => &mut t.sp,
                "st" => &mut t.st,
                "se" => &mut t.se,
                "sip" => &mut t.sip,
                "spr" => &mut t.spr,
                "sr" => &mut t.sr,
                "si" => &mut t.si,
                "sdd" => &mut t.sdd,
                "skoid" => &mut t.skoid,
                "sktid" => &mut t.sktid,
                "skt" => &mut t.skt,
                "ske" => &mut t.ske,
                "sks" => &mut t.sks,
                "skv" => &mut t.skv,
                "ses" => &mut t.ses,
                "tn" => &mut t.tn,
                "sig" => {
                    t.has_signature = true;
                    if is_masked(&v) {
                        t.signature_masked = true;
                    } else {
                        t.signature_hash = Some(secret_hash(&v));
                    }
                    continue;
                }
                _ => continue,
            };
            *slot = Some(v);
        }
        let is_sas = t.has_signature || (t.sv.is_some() && (t.se.is_some() || t.si.is_some()));
        is_sas.then_some(t)
    }

    pub fn kind(&self) -> SasKind {
        if self.skoid.is_some() {
            SasKind::UserDelegation
        } else if self.ss.is_some() || self.srt.is_some() {
            SasKind::Account
        } else {
            SasKind::Service
        }
    }

    pub fn start(&self) -> Option<Timestamp> {
        self.st.as_deref().and_then(Timestamp::parse)
    }

    pub fn expiry(&self) -> Option<Timestamp> {
        self.se.as_deref().and_then(Timestamp::parse)
    }

    /// Lifetime in seconds when both ends are in the token.
    pub fn lifetime_seconds(&self) -> Option<f64> {
        Some(self.expiry()?.seconds_since(self.start()?))
    }

    /// The fields present, in display order, with a plain-words name for each.
    pub fn described_fields(&self) -> Vec<(&'static str, &'static str, String)> {
        let mut out = Vec::new();
        let mut add = |k: &'static str, v: &Option<String>| {
            if let Some(v) = v {
                out.push((k, field_name(k), v.clone()));
            }
        };
        add("sv", &self.sv);
        add("ss", &self.ss);
        add("srt", &self.srt);
        add("sr", &self.sr);
        add("sp", &self.sp);
        add("st", &self.st);
        add("se", &self.se);
        add("sip", &self.sip);
        add("spr", &self.spr);
        add("si", &self.si);
        add("sdd", &self.sdd);
        add("skoid", &self.skoid);
        add("sktid", &self.sktid);
        add("skt", &self.skt);
        add("ske", &self.ske);
        add("sks", &self.sks);
        add("skv", &self.skv);
        add("ses", &self.ses);
        add("tn", &self.tn);
        out
    }

    /// The fields as a redacted query string (for evidence): `sv=…&se=…&sig=REDACTED`.
    pub fn redacted_query(&self) -> String {
        let mut parts: Vec<String> = self
            .described_fields()
            .into_iter()
            .map(|(k, _, v)| format!("{k}={v}"))
            .collect();
        if self.has_signature {
            parts.push(if self.signature_masked {
                "sig=(masked in the log)".into()
            } else {
                "sig=REDACTED".into()
            });
        }
        parts.join("&")
    }
}

/// Plain-words name of a SAS parameter.
pub fn field_name(k: &str) -> &'static str {
    match k {
        "sv" => "signed version (service version used to sign)",
        "ss" => "signed services (account SAS: b blob, q queue, t table, f file)",
        "srt" => "signed resource types (account SAS: s service, c container, o object)",
        "sr" => "signed resource (b blob, c container, bs snapshot, bv version, d directory, f file, s share)",
        "sp" => "signed permissions",
        "st" => "start time (UTC)",
        "se" => "expiry time (UTC)",
        "sip" => "allowed client IP address or range",
        "spr" => "allowed protocol",
        "si" => "stored access policy identifier",
        "sdd" => "directory depth",
        "skoid" => "user delegation key: object id",
        "sktid" => "user delegation key: tenant id",
        "skt" => "user delegation key: start",
        "ske" => "user delegation key: expiry",
        "sks" => "user delegation key: service",
        "skv" => "user delegation key: version",
        "ses" => "encryption scope",
        "tn" => "table name",
        "sig" => "signature",
        _ => "unknown parameter",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_token_and_hides_signature() {
        let t = SasToken::from_url(
            "https://a.blob.core.windows.net/c/b?sv=2019-02-02&st=2024-03-05T01%3A00%3A00Z&se=2024-03-05T02%3A00%3A00Z&sr=b&sp=r&sig=c2VjcmV0",
        )
        .unwrap();
        assert_eq!(t.se.as_deref(), Some("2024-03-05T02:00:00Z"));
        assert_eq!(t.lifetime_seconds(), Some(3600.0));
        assert!(t.has_signature && !t.signature_masked && t.signature_hash.is_some());
        assert!(!t.redacted_query().contains("c2VjcmV0"));
        assert_eq!(t.kind(), SasKind::Service);
    }

    #[test]
    fn masked_and_absent() {
        let t = SasToken::from_url("x?se=2021-01-01&amp;sig=XXXXX&amp;sp=racwdl").unwrap();
        assert!(t.signature_masked);
        assert_eq!(t.sp.as_deref(), Some("racwdl"));
        assert!(SasToken::from_url("https://a/b?comp=list&restype=container").is_none());
    }
}
