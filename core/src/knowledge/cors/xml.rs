//! A deliberately small XML reader: enough for service-properties documents (elements, text,
//! attributes, comments, CDATA, the prolog) and strict about well-formedness, so that the same
//! code both reads the rules a user pastes and checks that the XML this tool writes is valid.
//!
//! Namespaces, DTDs and entity declarations are not supported: the storage service never sends
//! them, and refusing them keeps the reader free of expansion tricks.

/// One element with its child elements and its concatenated text content.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub(crate) struct Element {
    pub name: String,
    pub children: Vec<Element>,
    pub text: String,
}

impl Element {
    /// The first child element with this name.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Depth-first search for an element with this name (self included).
    pub fn find(&self, name: &str) -> Option<&Element> {
        if self.name == name {
            return Some(self);
        }
        self.children.iter().find_map(|c| c.find(name))
    }
}

/// Nesting deeper than this is refused: service properties are four levels deep.
const MAX_DEPTH: usize = 64;

fn is_name_start(c: char) -> bool {
    c.is_alphabetic() || c == '_' || c == ':'
}

fn is_name_char(c: char) -> bool {
    is_name_start(c) || c.is_ascii_digit() || c == '-' || c == '.'
}

fn valid_name(n: &str) -> bool {
    let mut cs = n.chars();
    matches!(cs.next(), Some(c) if is_name_start(c)) && cs.all(is_name_char)
}

/// Decodes the five predefined entities and character references; anything else is an error.
fn decode_text(s: &str, out: &mut String) -> Result<(), String> {
    let mut rest = s;
    while let Some(i) = rest.find(['&', '<']) {
        out.push_str(&rest[..i]);
        if rest[i..].starts_with('<') {
            return Err("a '<' inside text or an attribute value".into());
        }
        let tail = &rest[i + 1..];
        let end = tail
            .find(';')
            .filter(|&e| e <= 10)
            .ok_or("an '&' that does not start an entity (write &amp;)")?;
        let ent = &tail[..end];
        let c = match ent {
            "lt" => '<',
            "gt" => '>',
            "amp" => '&',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code = if let Some(h) = ent.strip_prefix("#x") {
                    u32::from_str_radix(h, 16).ok()
                } else if let Some(d) = ent.strip_prefix('#') {
                    d.parse::<u32>().ok()
                } else {
                    None
                };
                code.and_then(char::from_u32)
                    .ok_or_else(|| format!("unknown entity &{ent};"))?
            }
        };
        out.push(c);
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    Ok(())
}

/// Parses the attributes part of a start tag (after the name); checks syntax and uniqueness.
fn check_attributes(s: &str) -> Result<(), String> {
    let mut rest = s.trim_start();
    let mut seen: Vec<&str> = Vec::new();
    while !rest.is_empty() {
        let eq = rest.find('=').ok_or("an attribute without a value")?;
        let name = rest[..eq].trim_end();
        if !valid_name(name) {
            return Err(format!("invalid attribute name '{name}'"));
        }
        if seen.contains(&name) {
            return Err(format!("attribute '{name}' given twice"));
        }
        seen.push(name);
        let after = rest[eq + 1..].trim_start();
        let q = after
            .chars()
            .next()
            .filter(|c| *c == '"' || *c == '\'')
            .ok_or("an attribute value without quotes")?;
        let body = &after[1..];
        let close = body
            .find(q)
            .ok_or("an attribute value that is not closed")?;
        let mut scratch = String::new();
        decode_text(&body[..close], &mut scratch)?;
        let next = &body[close + 1..];
        if !next.is_empty() && !next.starts_with(char::is_whitespace) {
            return Err("attributes must be separated by spaces".into());
        }
        rest = next.trim_start();
    }
    Ok(())
}

/// Parses a whole document into its root element, or says why it is not well-formed XML.
pub(crate) fn parse(doc: &str) -> Result<Element, String> {
    let doc = doc.strip_prefix('\u{feff}').unwrap_or(doc);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut rest = doc;
    let mut first = true;
    while !rest.is_empty() {
        if let Some(i) = rest.find('<') {
            let text = &rest[..i];
            match stack.last_mut() {
                Some(el) => decode_text(text, &mut el.text)?,
                None if text.trim().is_empty() => {}
                None => return Err("text outside the root element".into()),
            }
            rest = &rest[i..];
        } else {
            match stack.last_mut() {
                Some(_) => return Err("the document ends inside an element".into()),
                None if rest.trim().is_empty() => break,
                None => return Err("text outside the root element".into()),
            }
        }
        let at_start = first;
        first = false;
        if let Some(r) = rest.strip_prefix("<?") {
            let end = r
                .find("?>")
                .ok_or("a processing instruction that is not closed")?;
            let target = r[..end].split_whitespace().next().unwrap_or("");
            if target.eq_ignore_ascii_case("xml") && !at_start {
                return Err("the XML declaration must come first".into());
            }
            rest = &r[end + 2..];
        } else if let Some(r) = rest.strip_prefix("<!--") {
            let end = r.find("-->").ok_or("a comment that is not closed")?;
            if r[..end].contains("--") {
                return Err("'--' inside a comment".into());
            }
            rest = &r[end + 3..];
        } else if let Some(r) = rest.strip_prefix("<![CDATA[") {
            let end = r.find("]]>").ok_or("a CDATA section that is not closed")?;
            let el = stack.last_mut().ok_or("CDATA outside the root element")?;
            el.text.push_str(&r[..end]);
            rest = &r[end + 3..];
        } else if rest.starts_with("<!") {
            return Err("DOCTYPE and other declarations are not supported".into());
        } else if let Some(r) = rest.strip_prefix("</") {
            let end = r.find('>').ok_or("an end tag that is not closed")?;
            let name = r[..end].trim_end();
            let el = stack
                .pop()
                .ok_or_else(|| format!("</{name}> without a start tag"))?;
            if el.name != name {
                return Err(format!("</{name}> closes <{}>", el.name));
            }
            rest = &r[end + 1..];
            close(el, &mut stack, &mut root)?;
        } else {
            let r = &rest[1..];
            let end = r.find('>').ok_or("a start tag that is not closed")?;
            let inner = &r[..end];
            let (inner, empty) = match inner.strip_suffix('/') {
                Some(x) => (x, true),
                None => (inner, false),
            };
            let name_end = inner
                .find(|c: char| c.is_whitespace())
                .unwrap_or(inner.len());
            let name = &inner[..name_end];
            if !valid_name(name) {
                return Err(format!("invalid element name '{name}'"));
            }
            check_attributes(&inner[name_end..])?;
            if root.is_some() {
                return Err("more than one root element".into());
            }
            if stack.len() >= MAX_DEPTH {
                return Err("elements nested too deeply".into());
            }
            let el = Element {
                name: name.to_string(),
                ..Default::default()
            };
            rest = &r[end + 1..];
            if empty {
                close(el, &mut stack, &mut root)?;
            } else {
                stack.push(el);
            }
        }
    }
    if let Some(open) = stack.last() {
        return Err(format!("<{}> is never closed", open.name));
    }
    root.ok_or_else(|| "no root element".to_string())
}

fn close(el: Element, stack: &mut [Element], root: &mut Option<Element>) -> Result<(), String> {
    match stack.last_mut() {
        Some(parent) => parent.children.push(el),
        None => {
            if root.is_some() {
                return Err("more than one root element".into());
            }
            *root = Some(el);
        }
    }
    Ok(())
}

/// Escapes text for element content.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_elements_text_and_entities() {
        let e = parse(
            "\u{feff}<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<!-- c -->\n<A x='1'><B>a &amp; b&#65;</B><C/><D><![CDATA[<x>]]></D></A>\n",
        )
        .unwrap();
        assert_eq!(e.name, "A");
        assert_eq!(e.child("B").unwrap().text, "a & bA");
        assert!(e.child("C").unwrap().text.is_empty());
        assert_eq!(e.find("D").unwrap().text, "<x>");
    }

    #[test]
    fn refuses_malformed_documents() {
        for bad in [
            "<A><B></A></B>",
            "<A>",
            "<A></A><B/>",
            "text<A/>",
            "<A>&nbsp;</A>",
            "<A>a & b</A>",
            "<1A/>",
            "<A x=1/>",
            "<A x='1' x='2'/>",
            "<!DOCTYPE a><A/>",
            "<A/><?xml version='1.0'?>",
            "",
            "<A><!-- a -- b --></A>",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
