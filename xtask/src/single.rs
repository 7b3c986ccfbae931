//! `cargo xtask dist --single-file`: the release build as one HTML file that works when opened
//! from disk (`file://`), for machines where nothing may be installed or served.
//!
//! Browsers load no module, worker or wasm file from `file://` URLs, so everything is inlined:
//!
//! - the CSS as `<style>` elements and the icon as a `data:` URL;
//! - one `<script type="module">` holding the page's wasm-bindgen JS, its wasm (base64), and the
//!   ingest worker's source as a string: the worker's wasm-bindgen JS followed by its own wasm
//!   (base64) and the call that starts it;
//! - the worker is started from a `blob:` URL of that source. The page asks for
//!   `./worker_loader.js` (as the hosted build does); the loader script maps exactly that URL to
//!   the blob, so the page's code is the same in both builds.
//!
//! The Content-Security-Policy is the hosted one with the hashes of these inline script and
//! styles, and `blob:` added to `worker-src`, nothing else. There is no service worker or
//! manifest: the file itself is the offline copy.
//!
//! The input is what `trunk build` wrote in `dist/`; anything in it this step does not know is an
//! error, so a change in Trunk's output is noticed here rather than in a broken file.

use std::path::{Path, PathBuf};

use crate::encode::{base64, csp_hash};
use crate::postbuild::{add_source, json_string, read};

pub const FILE_NAME: &str = "storage-doctor.html";

/// What `worker_loader.js` must say for this step's worker to be equivalent to it.
const EXPECTED_LOADER: &str = "import init from './worker.js';await init();";

/// One element of the `<head>`, as Trunk writes it.
#[derive(Debug, PartialEq)]
enum Part<'a> {
    Text(&'a str),
    Comment,
    /// A start tag (`<meta …>`, `<link …>`, `<base …>`).
    Tag(&'a str),
    /// An element with content: (tag name, start tag, content).
    Element(&'a str, &'a str, &'a str),
}

fn head_parts(head: &str) -> Result<Vec<Part<'_>>, String> {
    let mut parts = Vec::new();
    let mut rest = head;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("<!--") {
            let end = after.find("-->").ok_or("an unclosed comment in <head>")?;
            parts.push(Part::Comment);
            rest = &after[end + 3..];
        } else if rest.starts_with('<') {
            let end = rest.find('>').ok_or("an unclosed tag in <head>")? + 1;
            let tag = &rest[..end];
            let name: String = tag[1..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
                .to_ascii_lowercase();
            if name == "title" || name == "script" || name == "style" {
                let close = format!("</{name}>");
                let len = rest[end..]
                    .find(&close)
                    .ok_or_else(|| format!("an unclosed <{name}> in <head>"))?;
                let name = &tag[1..1 + name.len()];
                parts.push(Part::Element(name, tag, &rest[end..end + len]));
                rest = &rest[end + len + close.len()..];
            } else {
                parts.push(Part::Tag(tag));
                rest = &rest[end..];
            }
        } else {
            let end = rest.find('<').unwrap_or(rest.len());
            parts.push(Part::Text(&rest[..end]));
            rest = &rest[end..];
        }
    }
    Ok(parts)
}

/// The value of `name="…"` in a start tag.
fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    let len = tag[start..].find('"')?;
    Some(&tag[start..start + len])
}

fn is_tag(tag: &str, name: &str) -> bool {
    tag.len() > name.len() + 1
        && tag[1..1 + name.len()].eq_ignore_ascii_case(name)
        && !tag[1 + name.len()..].starts_with(|c: char| c.is_ascii_alphanumeric())
}

/// A file named by the page (`./app-….css`), read from the build.
fn asset(dist: &Path, href: &str) -> Result<Vec<u8>, String> {
    let rel = href.strip_prefix("./").unwrap_or(href);
    if rel.contains("..") || rel.contains(':') || rel.starts_with('/') {
        return Err(format!("unexpected asset address {href:?}"));
    }
    std::fs::read(dist.join(rel)).map_err(|e| format!("{rel}: {e}"))
}

fn media_type(href: &str) -> &'static str {
    match href.rsplit('.').next().unwrap_or("") {
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        _ => "application/octet-stream",
    }
}

/// A wasm-bindgen `--target web` module without its `export { … }` line, and the local name of
/// its default export (the async init function).
fn strip_exports(js: &str, what: &str) -> Result<(String, String), String> {
    let at = js
        .rfind("\nexport {")
        .ok_or_else(|| format!("{what}: no `export {{ … }}` line"))?;
    let end = at
        + js[at..]
            .find("};")
            .ok_or_else(|| format!("{what}: unterminated export line"))?
        + 2;
    let init = js[at..end]
        .trim_start_matches("\nexport {")
        .trim_end_matches("};")
        .split(',')
        .find_map(|item| item.trim().strip_suffix(" as default").map(str::trim))
        .ok_or_else(|| format!("{what}: no default export"))?
        .to_string();
    if js.lines().any(|l| l.starts_with("import ")) {
        return Err(format!(
            "{what}: imports other modules (JS snippets?), which cannot be inlined"
        ));
    }
    Ok((format!("{}{}", &js[..at], &js[end..]), init))
}

/// A base64 decoder for the inlined wasm, in the page and in the worker.
const DECODE_JS: &str = "const __sdBytes = (b64) => {\n  \
     const bin = atob(b64);\n  \
     const out = new Uint8Array(bin.length);\n  \
     for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);\n  \
     return out;\n};\n";

/// The worker's whole source: its wasm-bindgen JS, its wasm and the call that starts it (what
/// `worker_loader.js` does in the hosted build).
///
/// It runs as a classic worker script: Chromium refuses module workers from `blob:` URLs of a
/// `file://` page (its opaque origin fails the same-origin check module scripts need), while
/// classic ones start. So the module syntax goes: the `export` line, and `import.meta.url`, which
/// the JS uses only to find the wasm file when it is not given the bytes, as it is here.
fn worker_source(dist: &Path) -> Result<String, String> {
    let loader = String::from_utf8(asset(dist, "worker_loader.js")?)
        .map_err(|_| "worker_loader.js is not UTF-8")?;
    if loader.trim() != EXPECTED_LOADER {
        return Err(format!(
            "worker_loader.js changed (expected {EXPECTED_LOADER:?}); update xtask/src/single.rs"
        ));
    }
    let glue =
        String::from_utf8(asset(dist, "worker.js")?).map_err(|_| "worker.js is not UTF-8")?;
    let (glue, init) = strip_exports(&glue, "worker.js")?;
    let glue = glue.replace("import.meta.url", "self.location.href");
    if glue.contains("import.meta") || glue.lines().any(|l| l.starts_with("export ")) {
        return Err(
            "worker.js uses module syntax this step cannot turn into a classic script".into(),
        );
    }
    let wasm = asset(dist, "worker_bg.wasm")?;
    Ok(format!(
        "{glue}\n{DECODE_JS}{init}({{ module_or_path: __sdBytes(\"{}\") }});\n",
        base64(&wasm)
    ))
}

/// The one inline script of the single file: the page's wasm-bindgen JS, the worker redirect and
/// the page's start. `trunk_loader` is Trunk's inline script, which names the page's files.
fn page_script(dist: &Path, trunk_loader: &str) -> Result<String, String> {
    let js_name =
        between(trunk_loader, "from '", "'").ok_or("Trunk's loader script imports no module")?;
    let wasm_name = between(trunk_loader, "module_or_path: '", "'")
        .ok_or("Trunk's loader script names no wasm file")?;
    let glue =
        String::from_utf8(asset(dist, js_name)?).map_err(|_| "the page's JS is not UTF-8")?;
    let (glue, init) = strip_exports(&glue, js_name)?;
    let wasm = asset(dist, wasm_name)?;
    let worker = worker_source(dist)?;
    Ok(format!(
        "{glue}\n{DECODE_JS}\
         // The worker runs from a blob: URL of its inlined source, as a classic script; the page\n\
         // asks for the module ./worker_loader.js as the hosted build does, and only that is redirected.\n\
         const __sdWorkerUrl = URL.createObjectURL(new Blob([{worker}], {{ type: 'text/javascript' }}));\n\
         const __SdWorker = globalThis.Worker;\n\
         globalThis.Worker = class extends __SdWorker {{\n  \
           constructor(url, options) {{\n    \
             if (String(url).endsWith('/worker_loader.js') || String(url) === 'worker_loader.js') {{\n      \
               super(__sdWorkerUrl, {{ ...options, type: 'classic' }});\n    \
             }} else {{\n      \
               super(url, options);\n    \
             }}\n  \
           }}\n\
         }};\n\
         await {init}({{ module_or_path: __sdBytes(\"{}\") }});\n",
        base64(&wasm),
        worker = json_string(&worker),
    ))
}

fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let i = s.find(start)? + start.len();
    let len = s[i..].find(end)?;
    Some(&s[i..i + len])
}

/// Builds `out_dir/storage-doctor.html` from the release build in `dist`; returns its path.
pub fn build(dist: &Path, out_dir: &Path) -> Result<PathBuf, String> {
    let html = read(&dist.join("index.html"))?;
    let head_start = html.find("<head>").ok_or("index.html has no <head>")? + "<head>".len();
    let head_end = html.find("</head>").ok_or("index.html has no </head>")?;
    let mut policy = None;
    let mut head = String::new();
    let mut styles = Vec::new();
    let mut trunk_loader = None;
    for part in head_parts(&html[head_start..head_end])? {
        match part {
            Part::Text(t) => {
                if !t.trim().is_empty() {
                    return Err(format!("unexpected text in <head>: {:?}", t.trim()));
                }
            }
            Part::Comment => {}
            Part::Tag(tag) if is_tag(tag, "meta") => {
                if attr(tag, "http-equiv") == Some("Content-Security-Policy") {
                    // The single file's policy takes its place (written below, first in <head>).
                    policy = Some(attr(tag, "content").ok_or("the CSP has no content")?);
                } else {
                    head.push_str(&format!("\n  {tag}"));
                }
            }
            // Nothing is loaded by address any more, so no base is needed.
            Part::Tag(tag) if is_tag(tag, "base") => {}
            Part::Tag(tag) if is_tag(tag, "link") => match attr(tag, "rel") {
                Some("icon") => {
                    let href = attr(tag, "href").ok_or("an icon link without href")?;
                    head.push_str(&format!(
                        "\n  <link rel=\"icon\" href=\"data:{};base64,{}\" />",
                        media_type(href),
                        base64(&asset(dist, href)?)
                    ));
                }
                Some("stylesheet") => {
                    let href = attr(tag, "href").ok_or("a stylesheet link without href")?;
                    let css = String::from_utf8(asset(dist, href)?)
                        .map_err(|_| format!("{href} is not UTF-8"))?;
                    if css.to_ascii_lowercase().contains("</style") {
                        return Err(format!("{href} contains </style, which cannot be inlined"));
                    }
                    head.push_str(&format!("\n  <style>{css}</style>"));
                    styles.push(csp_hash(&css));
                }
                // Preloads name files that are inlined; the manifest serves installation, which
                // needs a hosted copy.
                Some("modulepreload") | Some("preload") | Some("manifest") => {}
                other => return Err(format!("unexpected <link rel={other:?}> in index.html")),
            },
            Part::Element(name, tag, content) if name.eq_ignore_ascii_case("title") => {
                head.push_str(&format!("\n  {tag}{content}</{name}>"));
            }
            Part::Element(name, tag, content)
                if name.eq_ignore_ascii_case("script")
                    && attr(tag, "type") == Some("module")
                    && attr(tag, "src").is_none() =>
            {
                if trunk_loader.replace(content).is_some() {
                    return Err("index.html has more than one inline module script".into());
                }
            }
            other => return Err(format!("unexpected element in <head>: {other:?}")),
        }
    }
    let policy = policy.ok_or("index.html has no Content-Security-Policy")?;
    let trunk_loader =
        trunk_loader.ok_or("index.html has no inline module script (Trunk's loader)")?;
    let script = page_script(dist, trunk_loader)?;
    if script.to_ascii_lowercase().contains("</script") {
        return Err("the inlined JS contains </script, which would end the script early".into());
    }

    // The hosted policy, with this file's inline hashes in place of the Trunk loader's.
    let mut policy = policy
        .split(';')
        .map(|d| {
            d.split_whitespace()
                .filter(|s| !s.starts_with("'sha256-"))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("; ");
    policy = add_source(&policy, "script-src", &csp_hash(&script))?;
    policy = add_source(&policy, "worker-src", "blob:")?;
    for h in &styles {
        policy = add_source(&policy, "style-src", h)?;
    }

    let out = format!(
        "{}<head>\n  <meta charset=\"utf-8\" />\n  \
         <meta http-equiv=\"Content-Security-Policy\" content=\"{policy}\" />{}\n  \
         <script type=\"module\">{script}</script>\n</head>{}",
        &html[..head_start - "<head>".len()],
        head.replace("\n  <meta charset=\"utf-8\" />", ""),
        &html[head_end + "</head>".len()..]
    );
    std::fs::create_dir_all(out_dir).map_err(|e| format!("{}: {e}", out_dir.display()))?;
    let path = out_dir.join(FILE_NAME);
    std::fs::write(&path, out).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::postbuild::temp_dir;

    const GLUE: &str = "let wasm;\nasync function __wbg_init(m) { wasm = m ?? new URL('x_bg.wasm', import.meta.url); }\nfunction initSync() {}\n\nexport { initSync, __wbg_init as default };\n";

    fn fake_dist() -> PathBuf {
        let d = temp_dir("single");
        let files: [(&str, &[u8]); 8] = [
            ("index.html", br#"<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <!-- a comment -->
  <meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'self' 'wasm-unsafe-eval' 'sha256-OLD='; worker-src 'self'; style-src 'self'" />
  <title>Storage Doctor</title>
  <base href="./" />
  <link rel="icon" href="./favicon-0123456789abcdef.svg" integrity="sha384-x"/>
  <link rel="manifest" href="manifest.webmanifest" />
  <link rel="stylesheet" href="./app-0123456789abcdef.css" integrity="sha384-y"/>
<script type="module">
import init, * as bindings from './app-0123456789abcdef.js';
const wasm = await init({ module_or_path: './app-0123456789abcdef_bg.wasm' });
</script>
<link rel="modulepreload" href="./app-0123456789abcdef.js" crossorigin="anonymous" integrity="sha384-z"></head>
<body>
  <noscript>needs JavaScript</noscript>
</body>
</html>
"#),
            ("favicon-0123456789abcdef.svg", b"<svg/>"),
            ("app-0123456789abcdef.css", b"body { color: red; }"),
            ("app-0123456789abcdef.js", GLUE.as_bytes()),
            ("app-0123456789abcdef_bg.wasm", b"\0asm-app"),
            ("worker.js", GLUE.as_bytes()),
            ("worker_bg.wasm", b"\0asm-worker"),
            ("worker_loader.js", EXPECTED_LOADER.as_bytes()),
        ];
        for (name, bytes) in files {
            std::fs::write(d.join(name), bytes).unwrap();
        }
        d
    }

    #[test]
    fn everything_is_inlined_and_the_policy_names_it() {
        let dist = fake_dist();
        let out = build(&dist, &dist.join("single")).unwrap();
        let html = std::fs::read_to_string(out).unwrap();
        // One inline script, one style; nothing loaded by address.
        let scripts = crate::postbuild::inline_scripts(&html);
        assert_eq!(scripts.len(), 1);
        assert!(!html.contains(" src="));
        assert!(!html.contains("<base"));
        assert!(!html.contains("manifest"));
        assert!(!html.contains("modulepreload"));
        assert!(!html.contains("a comment"));
        assert!(html.contains("<style>body { color: red; }</style>"));
        assert!(html.contains(&format!(
            "<link rel=\"icon\" href=\"data:image/svg+xml;base64,{}\" />",
            base64(b"<svg/>")
        )));
        assert!(html.contains("<title>Storage Doctor</title>"));
        assert!(html.contains("<noscript>needs JavaScript</noscript>"));
        assert_eq!(html.matches("<meta charset=\"utf-8\" />").count(), 1);
        // Both wasm modules, each started by its own init.
        let script = scripts[0];
        assert!(script.contains(&format!("__sdBytes(\"{}\")", base64(b"\0asm-app"))));
        assert!(script.contains(&base64(b"\0asm-worker")));
        assert!(!script.contains("export {"));
        // The page starts its module with top-level await; the worker, a classic script, is
        // started inside its source string, with `import.meta` gone.
        assert_eq!(script.matches("await __wbg_init(").count(), 1);
        let worker_start = format!(
            "__wbg_init({{ module_or_path: __sdBytes(\\\"{}\\\") }});",
            base64(b"\0asm-worker")
        );
        assert!(script.contains(&worker_start), "{script}");
        assert_eq!(script.matches("import.meta.url").count(), 1);
        assert!(script.contains("new URL('x_bg.wasm', self.location.href)"));
        assert!(script.contains("{ ...options, type: 'classic' }"));
        assert!(script.trim_end().ends_with(&format!(
            "await __wbg_init({{ module_or_path: __sdBytes(\"{}\") }});",
            base64(b"\0asm-app")
        )));
        // The policy: the hosted one, its old hash replaced, blob: workers, the style's hash.
        let policy = format!(
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' {}; worker-src 'self' blob:; style-src 'self' {}",
            csp_hash(script),
            csp_hash("body { color: red; }")
        );
        assert!(html.contains(&format!("content=\"{policy}\"")), "{html}");
    }

    #[test]
    fn unknown_build_output_is_an_error() {
        let dist = fake_dist();
        let index = std::fs::read_to_string(dist.join("index.html")).unwrap();
        let with = |from: &str, to: &str| {
            std::fs::write(dist.join("index.html"), index.replace(from, to)).unwrap();
            build(&dist, &dist.join("single")).unwrap_err()
        };
        let e = with("<base href=\"./\" />", "<script src=\"./x.js\"></script>");
        assert!(e.contains("unexpected element"), "{e}");
        let e = with("<base href=\"./\" />", "<link rel=\"prefetch\" href=\"x\">");
        assert!(
            e.contains("unexpected <link rel=Some(\"prefetch\")>"),
            "{e}"
        );
        std::fs::write(dist.join("index.html"), &index).unwrap();
        std::fs::write(dist.join("worker_loader.js"), "importScripts('x')").unwrap();
        let e = build(&dist, &dist.join("single")).unwrap_err();
        assert!(e.contains("worker_loader.js changed"), "{e}");
    }

    #[test]
    fn exports_are_read_from_wasm_bindgen_output() {
        let (body, init) = strip_exports(GLUE, "x.js").unwrap();
        assert_eq!(init, "__wbg_init");
        assert!(!body.contains("export"));
        assert!(strip_exports(
            "import a from './b.js';\n\nexport { a as default };",
            "x.js"
        )
        .unwrap_err()
        .contains("imports other modules"));
    }
}
