//! Just enough URL handling for storage request URLs: scheme, host, path, query parameters,
//! percent- and HTML-entity decoding. No allocation unless decoding changes the text.

use std::borrow::Cow;

use crate::model::Service;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageUrl<'a> {
    pub scheme: &'a str,
    /// Host with port when one was written.
    pub host: &'a str,
    /// Path as written (percent-encoded), starting with `/`, or empty.
    pub path: &'a str,
    /// Query as written, without `?`.
    pub query: &'a str,
}

impl<'a> StorageUrl<'a> {
    /// Parses `scheme://host[:port]/path?query`. Also accepts a bare `/path?query`.
    pub fn parse(url: &'a str) -> Option<StorageUrl<'a>> {
        let url = url.trim();
        let (scheme, rest) = match url.find("://") {
            Some(i) => (&url[..i], &url[i + 3..]),
            None if url.starts_with('/') => ("", url),
            None => return None,
        };
        let (host, rest) = if scheme.is_empty() {
            ("", rest)
        } else {
            let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            (&rest[..end], &rest[end..])
        };
        let rest = rest.split('#').next().unwrap_or("");
        let (path, query) = match rest.find('?') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, ""),
        };
        Some(StorageUrl {
            scheme,
            host,
            path,
            query,
        })
    }

    pub fn service(&self) -> Service {
        Service::from_host(self.host)
    }

    /// The account: first host label (`acct.blob.core.windows.net`), or the first path segment
    /// for emulator-style hosts (`127.0.0.1:10000/devstoreaccount1/...`).
    pub fn account(&self) -> Cow<'a, str> {
        let host = self.host.split(':').next().unwrap_or("");
        let is_ip = host.bytes().all(|b| b.is_ascii_digit() || b == b'.') || host == "localhost";
        if is_ip {
            let seg = self
                .path
                .trim_start_matches('/')
                .split('/')
                .next()
                .unwrap_or("");
            return Cow::Borrowed(seg);
        }
        Cow::Borrowed(host.split('.').next().unwrap_or(""))
    }

    /// `/account/container/blob` (decoded), the key server logs use.
    pub fn resource_key(&self) -> String {
        let account = self.account();
        let host = self.host.split(':').next().unwrap_or("");
        let is_ip = host.bytes().all(|b| b.is_ascii_digit() || b == b'.') || host == "localhost";
        let path = percent_decode(self.path);
        if is_ip || account.is_empty() {
            return path.trim_end_matches('/').to_string();
        }
        let p = path.trim_end_matches('/');
        format!("/{account}{p}")
    }

    /// Query parameters, HTML-entity and percent decoded.
    pub fn params(&self) -> impl Iterator<Item = (Cow<'a, str>, Cow<'a, str>)> {
        split_query(self.query)
    }

    pub fn param(&self, name: &str) -> Option<Cow<'a, str>> {
        self.params()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }
}

/// Splits a query string into decoded pairs. Treats `&amp;` (HTML-encoded logs) like `&`.
pub fn split_query(query: &str) -> impl Iterator<Item = (Cow<'_, str>, Cow<'_, str>)> {
    query
        .split('&')
        .map(|p| p.strip_prefix("amp;").unwrap_or(p))
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (percent_decode(k), percent_decode(v)),
            None => (percent_decode(p), Cow::Borrowed("")),
        })
}

/// Percent-decoding (`%3A` → `:`; `+` is kept, as Azure does in paths). Invalid escapes are kept
/// as written; invalid UTF-8 is replaced.
pub fn percent_decode(s: &str) -> Cow<'_, str> {
    if !s.contains('%') {
        return Cow::Borrowed(s);
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let h = (b[i + 1] as char).to_digit(16);
            let l = (b[i + 2] as char).to_digit(16);
            if let (Some(h), Some(l)) = (h, l) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

/// Decodes the HTML entities logs use (`&amp; &quot; &lt; &gt; &#39; &#NN; &#xNN;`).
pub fn html_decode(s: &str) -> Cow<'_, str> {
    if !s.contains('&') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        // Byte search: the 10-byte window may end inside a multi-byte character.
        let end = tail.bytes().take(10).position(|b| b == b';');
        let decoded = end.and_then(|e| {
            let ent = &tail[1..e];
            let c = match ent {
                "amp" => Some('&'),
                "quot" => Some('"'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "apos" => Some('\''),
                _ if ent.starts_with("#x") || ent.starts_with("#X") => {
                    u32::from_str_radix(&ent[2..], 16)
                        .ok()
                        .and_then(char::from_u32)
                }
                _ if ent.starts_with('#') => ent[1..].parse().ok().and_then(char::from_u32),
                _ => None,
            };
            c.map(|c| (c, e + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &tail[len..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// `scheme://host[:port]` of an http(s) URL: the origin a browser sends for a page at that
/// address (console `Navigated to` lines, the Referer of a preflight in server logs). The
/// scheme's default port is left out, as browsers write origins, so the same page gives the
/// same origin whichever log names it (the HAR reader drops it too).
pub fn origin_of(url: &str) -> Option<String> {
    let url = url.trim();
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "https" => ":443",
        "http" => ":80",
        _ => return None,
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || host.contains(char::is_whitespace) {
        return None;
    }
    let host = host.to_ascii_lowercase();
    let host = host.strip_suffix(default_port).unwrap_or(&host);
    Some(format!("{scheme}://{host}"))
}

/// The origin of the page that sent a CORS preflight, from the row's Referer: server logs
/// record the referrer but not the Origin header, and a page's referrer is at least its origin.
pub fn preflight_origin(operation: &str, referrer: &str) -> Option<String> {
    if operation.ends_with("PreflightRequest") {
        origin_of(referrer)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_of_pages() {
        for (url, origin) in [
            (
                "https://Portal.fabrikam.com/profile?x=1",
                Some("https://portal.fabrikam.com"),
            ),
            ("https://a.example:8443/p#f", Some("https://a.example:8443")),
            // The scheme's own port is left out, as browsers write origins.
            ("https://a.example:443/p", Some("https://a.example")),
            ("HTTP://a.example:80", Some("http://a.example")),
            ("http://a.example:443/", Some("http://a.example:443")),
            ("ftp://x/y", None),
            ("", None),
        ] {
            assert_eq!(origin_of(url).as_deref(), origin, "{url}");
        }
        assert_eq!(
            preflight_origin("BlobPreflightRequest", "https://app.example/page").as_deref(),
            Some("https://app.example")
        );
        assert_eq!(
            preflight_origin("GetBlob", "https://app.example/page"),
            None
        );
    }

    #[test]
    fn parses_storage_url() {
        let u =
            StorageUrl::parse("https://acct.blob.core.windows.net:443/c/a%20b.txt?sv=1&amp;sp=r#x")
                .unwrap();
        assert_eq!(u.host, "acct.blob.core.windows.net:443");
        assert_eq!(u.service(), Service::Blob);
        assert_eq!(u.account(), "acct");
        assert_eq!(u.resource_key(), "/acct/c/a b.txt");
        assert_eq!(u.param("sp").as_deref(), Some("r"));
        let e = StorageUrl::parse("http://127.0.0.1:10000/devstoreaccount1/c").unwrap();
        assert_eq!(e.account(), "devstoreaccount1");
        assert_eq!(e.resource_key(), "/devstoreaccount1/c");
        assert_eq!(e.service(), Service::Blob);
    }

    #[test]
    fn html_decode_survives_multibyte_text_after_ampersand() {
        assert_eq!(html_decode("&amp;comp\u{FFFD}list"), "&comp\u{FFFD}list");
        assert_eq!(html_decode("&é\u{FFFD};x"), "&é\u{FFFD};x");
    }

    #[test]
    fn decodes() {
        assert_eq!(
            percent_decode("2024-01-01T00%3A00%3A00Z"),
            "2024-01-01T00:00:00Z"
        );
        assert_eq!(percent_decode("bad%zz%"), "bad%zz%");
        assert_eq!(
            html_decode("a&amp;b &quot;x&quot; &#65;&unknown;"),
            "a&b \"x\" A&unknown;"
        );
    }
}
