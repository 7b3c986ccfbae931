//! What the release build needs after `trunk build`, because only the finished files can say it:
//!
//! - the Content-Security-Policy in `index.html` gets the SHA-256 of the inline module script
//!   Trunk writes (its loader), so the policy allows exactly that script and no other inline code;
//! - `sw.js` gets this build's version and the list of files to keep for offline use (Trunk's
//!   file names change with every build; the worker's do not, so the version must).

use std::path::Path;

use crate::encode::{csp_hash, hex, sha256};

/// The line of `assets/sw.js` that this step replaces with the build's data.
pub const SW_BUILD_LINE: &str = "const BUILD = null;";

pub fn finish(dist: &Path) -> Result<(), String> {
    let index = dist.join("index.html");
    let html = read(&index)?;
    // Both files are checked before either is written, so a failed run changes nothing.
    let sw = dist.join("sw.js");
    if !read(&sw)?.contains(SW_BUILD_LINE) {
        return Err(format!(
            "{}: the line `{SW_BUILD_LINE}` is missing (was this build processed already?)",
            sw.display()
        ));
    }
    let scripts = inline_scripts(&html);
    let [script] = scripts.as_slice() else {
        return Err(format!(
            "{}: expected exactly one inline script (Trunk's loader), found {}",
            index.display(),
            scripts.len()
        ));
    };
    let mut final_policy = String::new();
    let html = edit_csp(&html, |policy| {
        if policy.contains("'sha256-") {
            return Err(
                "the CSP already holds a script hash (was this build processed already?)".into(),
            );
        }
        final_policy = add_source(policy, "script-src", &csp_hash(script))?;
        Ok(final_policy.clone())
    })?;
    // Hosts that can send headers send this policy as a header too (README § Hosting).
    eprintln!("xtask: Content-Security-Policy: {final_policy}");
    write(&index, &html)?;
    write_service_worker(dist)
}

/// The contents of every `<script>` element without a `src` attribute.
pub fn inline_scripts(html: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = html[from..].find("<script").map(|i| from + i) {
        let Some(tag_end) = html[at..].find('>').map(|i| at + i + 1) else {
            break;
        };
        let Some(close) = html[tag_end..].find("</script>").map(|i| tag_end + i) else {
            break;
        };
        if !html[at..tag_end].contains(" src=") {
            out.push(&html[tag_end..close]);
        }
        from = close + "</script>".len();
    }
    out
}

/// Rewrites the `content` of the page's `<meta http-equiv="Content-Security-Policy">`.
pub fn edit_csp(
    html: &str,
    f: impl FnOnce(&str) -> Result<String, String>,
) -> Result<String, String> {
    let marker = "http-equiv=\"Content-Security-Policy\"";
    let at = html
        .find(marker)
        .ok_or("index.html has no Content-Security-Policy meta element")?;
    let tag_start = html[..at].rfind('<').ok_or("malformed CSP meta element")?;
    let tag_end = at + html[at..].find('>').ok_or("malformed CSP meta element")?;
    let tag = &html[tag_start..tag_end];
    let c = tag
        .find("content=\"")
        .ok_or("the CSP meta element has no content")?
        + "content=\"".len();
    let len = tag[c..]
        .find('"')
        .ok_or("the CSP meta element's content is not closed")?;
    let policy = f(&tag[c..c + len])?;
    if policy.contains('"') {
        return Err("a CSP source cannot contain a double quote".into());
    }
    let start = tag_start + c;
    Ok(format!(
        "{}{}{}",
        &html[..start],
        policy,
        &html[start + len..]
    ))
}

/// Adds `source` to `directive` of a policy (`a b; c d`), which must already be there: a policy
/// that lost a directive should fail the build, not silently fall back to `default-src`.
pub fn add_source(policy: &str, directive: &str, source: &str) -> Result<String, String> {
    let mut found = false;
    let parts: Vec<String> = policy
        .split(';')
        .map(|p| {
            let d = p.trim();
            if d.split_whitespace().next() == Some(directive) {
                found = true;
                format!("{d} {source}")
            } else {
                d.to_string()
            }
        })
        .filter(|d| !d.is_empty())
        .collect();
    if !found {
        return Err(format!("the CSP has no {directive} directive"));
    }
    Ok(parts.join("; "))
}

/// Every file of the build, relative to `dist`, with `/` separators, sorted.
fn files(dist: &Path) -> Result<Vec<String>, String> {
    fn walk(dir: &Path, base: &Path, out: &mut Vec<String>) -> Result<(), String> {
        let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for entry in entries {
            let path = entry.map_err(|e| e.to_string())?.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            // Trunk's lock file and other dot files are not part of the page.
            if name.starts_with('.') {
                continue;
            }
            if path.is_dir() {
                walk(&path, base, out)?;
            } else {
                let rel = path.strip_prefix(base).expect("walked from base");
                let parts: Vec<_> = rel.iter().map(|p| p.to_string_lossy()).collect();
                out.push(parts.join("/"));
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dist, dist, &mut out)?;
    out.sort();
    Ok(out)
}

/// Trunk's content-hashed names: `app-<16 hex>.js`, `app-<16 hex>_bg.wasm`, `favicon-<16 hex>.svg`.
/// A file with such a name never changes, so the service worker may serve it from its cache
/// without asking the network.
pub fn is_hashed_name(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let stem = name.split('.').next().unwrap_or(name);
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-').is_some_and(|(_, h)| {
        h.len() == 16
            && h.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

fn write_service_worker(dist: &Path) -> Result<(), String> {
    let sw = dist.join("sw.js");
    let template = read(&sw)?;
    let files: Vec<String> = files(dist)?.into_iter().filter(|f| f != "sw.js").collect();
    // The version is a hash of every file's name and bytes: any change gives a new sw.js, which
    // is what makes browsers install the new build.
    let mut all = Vec::new();
    for f in &files {
        all.extend_from_slice(f.as_bytes());
        all.push(0);
        all.extend(std::fs::read(dist.join(f)).map_err(|e| format!("{f}: {e}"))?);
        all.push(0);
    }
    let version = hex(&sha256(&all))[..16].to_string();
    let (hashed, other): (Vec<&String>, Vec<&String>) =
        files.iter().partition(|f| is_hashed_name(f));
    let list = |v: &[&String]| {
        v.iter()
            .map(|f| json_string(f))
            .collect::<Vec<_>>()
            .join(",")
    };
    // "./" is how the page is usually opened; it is cached beside index.html.
    let mut other = other;
    let dot = "./".to_string();
    other.insert(0, &dot);
    let build = format!(
        "const BUILD = {{\"version\":{},\"hashed\":[{}],\"other\":[{}]}};",
        json_string(&version),
        list(&hashed),
        list(&other)
    );
    write(&sw, &template.replacen(SW_BUILD_LINE, &build, 1))?;
    eprintln!(
        "xtask: sw.js version {version}: {} files kept for offline use",
        files.len() + 1
    );
    Ok(())
}

/// A JSON (and JavaScript) string literal that is also safe inside an HTML `<script>`: `<` is
/// escaped, so no `</script>` or `<!--` can appear in it.
pub fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' => out.push_str("\\u003c"),
            // Line terminators in JavaScript source before ES2019; escaped for every engine.
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

pub fn read(p: &Path) -> Result<String, String> {
    std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))
}

pub fn write(p: &Path, s: &str) -> Result<(), String> {
    std::fs::write(p, s).map_err(|e| format!("{}: {e}", p.display()))
}

/// A scratch directory for tests.
#[cfg(test)]
pub fn temp_dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("xtask-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str =
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'";

    fn page(script: &str) -> String {
        format!(
            "<html><head><meta http-equiv=\"Content-Security-Policy\" content=\"{POLICY}\" />\
             <script type=\"module\">{script}</script>\
             <link rel=\"modulepreload\" href=\"./app.js\"><script src=\"./x.js\"></script>\
             </head><body></body></html>"
        )
    }

    #[test]
    fn the_loader_hash_lands_in_script_src_only() {
        let d = temp_dir("csp");
        std::fs::write(d.join("index.html"), page("import init from './app.js';")).unwrap();
        std::fs::write(d.join("sw.js"), format!("{SW_BUILD_LINE}\n")).unwrap();
        finish(&d).unwrap();
        let html = std::fs::read_to_string(d.join("index.html")).unwrap();
        let hash = csp_hash("import init from './app.js';");
        assert!(html.contains(&format!(
            "content=\"default-src 'self'; script-src 'self' 'wasm-unsafe-eval' {hash}; style-src 'self'\""
        )), "{html}");
        assert!(html.contains("<script type=\"module\">import init"));
    }

    #[test]
    fn a_page_without_exactly_one_loader_is_refused() {
        let d = temp_dir("two-scripts");
        let two = page("a()").replace("</head>", "<script>b()</script></head>");
        std::fs::write(d.join("index.html"), two).unwrap();
        std::fs::write(d.join("sw.js"), SW_BUILD_LINE).unwrap();
        let e = finish(&d).unwrap_err();
        assert!(e.contains("found 2"), "{e}");
        let e = add_source(POLICY, "worker-src", "blob:").unwrap_err();
        assert!(e.contains("no worker-src"), "{e}");
    }

    #[test]
    fn the_service_worker_lists_the_build_and_changes_with_it() {
        let d = temp_dir("sw");
        std::fs::create_dir_all(d.join("snippets/x")).unwrap();
        std::fs::write(d.join("index.html"), page("go()")).unwrap();
        std::fs::write(d.join("app-0123456789abcdef_bg.wasm"), "wasm").unwrap();
        std::fs::write(d.join("worker.js"), "w").unwrap();
        std::fs::write(d.join("snippets/x/y.js"), "y").unwrap();
        std::fs::write(d.join(".trunk-lock"), "").unwrap();
        let template = "// head\nconst BUILD = null;\nself.x = 1;\n";
        std::fs::write(d.join("sw.js"), template).unwrap();
        finish(&d).unwrap();
        let sw = std::fs::read_to_string(d.join("sw.js")).unwrap();
        let line = sw.lines().nth(1).unwrap();
        assert!(line.starts_with("const BUILD = {\"version\":\""), "{line}");
        assert!(
            line.ends_with(
                "\"hashed\":[\"app-0123456789abcdef_bg.wasm\"],\
             \"other\":[\"./\",\"index.html\",\"snippets/x/y.js\",\"worker.js\"]};"
            ),
            "{line}"
        );
        assert!(sw.ends_with("self.x = 1;\n"));

        // A one-byte change to an unhashed file gives another version.
        std::fs::write(d.join("index.html"), page("go()")).unwrap();
        std::fs::write(d.join("worker.js"), "W").unwrap();
        std::fs::write(d.join("sw.js"), template).unwrap();
        finish(&d).unwrap();
        let again = std::fs::read_to_string(d.join("sw.js")).unwrap();
        assert_ne!(again.lines().nth(1).unwrap(), line);
        // Processing the same output twice is refused, and changes nothing.
        let html = std::fs::read_to_string(d.join("index.html")).unwrap();
        assert!(finish(&d).unwrap_err().contains("processed already"));
        assert_eq!(std::fs::read_to_string(d.join("index.html")).unwrap(), html);
    }

    #[test]
    fn hashed_names_are_recognised() {
        assert!(is_hashed_name("app-9c76349640ce454a.css"));
        assert!(is_hashed_name("app-a589c19a7f871da8_bg.wasm"));
        assert!(is_hashed_name("favicon-614066dcb6d3528c.svg"));
        assert!(!is_hashed_name("worker_bg.wasm"));
        assert!(!is_hashed_name("worker_loader.js"));
        assert!(!is_hashed_name("icon-192.png"));
        assert!(!is_hashed_name("app-9C76349640CE454A.css"));
    }

    #[test]
    fn json_strings_cannot_close_a_script() {
        assert_eq!(
            json_string("a\"b\\c</script><!--\n\u{2028}\u{1}"),
            "\"a\\\"b\\\\c\\u003c/script>\\u003c!--\\n\\u2028\\u0001\""
        );
    }
}
