//! A strict reader for the pages `--format html` writes, for the tests:
//! stricter than a browser, so that what it accepts a browser reads the
//! same way. Every element is closed in order (HTML's void elements
//! excepted, `<x/>` allowed inside `<svg>` only), every attribute value
//! is double-quoted, text holds no `<` and no `&` but the entity
//! references the page writes, and `<style>`/`<script>` hold raw text up
//! to their end tag.

#![allow(dead_code)]

/// An element as read: its name, attributes, and where it sits.
#[derive(Debug, Clone)]
pub struct Element {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    /// Indexes of its ancestors in `Page::elements`, outermost first.
    pub ancestors: Vec<usize>,
    /// Its text, entity references decoded, children's text included.
    pub text: String,
}

impl Element {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn has_class(&self, class: &str) -> bool {
        self.attr("class")
            .is_some_and(|c| c.split_whitespace().any(|w| w == class))
    }
}

/// A page read whole.
#[derive(Debug)]
pub struct Page {
    pub elements: Vec<Element>,
    /// The raw contents of `<style>` and `<script>` elements.
    pub raw: Vec<(String, String)>,
}

impl Page {
    /// The ids of the page.
    pub fn ids(&self) -> Vec<&str> {
        self.elements.iter().filter_map(|e| e.attr("id")).collect()
    }

    pub fn by_id(&self, id: &str) -> Option<(usize, &Element)> {
        self.elements
            .iter()
            .enumerate()
            .find(|(_, e)| e.attr("id") == Some(id))
    }

    /// Elements inside element `at`, in document order.
    pub fn inside(&self, at: usize) -> impl Iterator<Item = &Element> {
        self.elements
            .iter()
            .filter(move |e| e.ancestors.contains(&at))
    }
}

const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr",
];

fn decode(text: &str, at: usize) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let end = rest
            .find(';')
            .ok_or_else(|| format!("a bare & near byte {at}"))?;
        out.push(match &rest[..=end] {
            "&amp;" => '&',
            "&lt;" => '<',
            "&gt;" => '>',
            "&quot;" => '"',
            "&#39;" => '\'',
            other => return Err(format!("unexpected entity {other} near byte {at}")),
        });
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Reads `html`; an error names what is wrong and where.
pub fn parse(html: &str) -> Result<Page, String> {
    let mut page = Page {
        elements: Vec::new(),
        raw: Vec::new(),
    };
    let mut open: Vec<usize> = Vec::new();
    let mut pos = 0;
    let bytes = html.as_bytes();
    let add_text = |page: &mut Page, open: &[usize], text: &str| {
        for &i in open {
            page.elements[i].text.push_str(text);
        }
    };
    while pos < html.len() {
        let lt = html[pos..].find('<').map_or(html.len(), |i| pos + i);
        if html[pos..lt].contains('>') {
            return Err(format!("a bare > in text near byte {pos}"));
        }
        let text = decode(&html[pos..lt], pos)?;
        add_text(&mut page, &open, &text);
        if lt == html.len() {
            break;
        }
        let rest = &html[lt..];
        if rest.starts_with("<!DOCTYPE html>") {
            pos = lt + "<!DOCTYPE html>".len();
            continue;
        }
        if rest.starts_with("<!--") {
            return Err(format!("a comment at byte {lt}: the page writes none"));
        }
        if let Some(close) = rest.strip_prefix("</") {
            let end = close
                .find('>')
                .ok_or_else(|| format!("an unended end tag at byte {lt}"))?;
            let name = &close[..end];
            let top = open
                .pop()
                .ok_or_else(|| format!("</{name}> at byte {lt} closes nothing"))?;
            if page.elements[top].name != name {
                return Err(format!(
                    "</{name}> at byte {lt} closes <{}>",
                    page.elements[top].name
                ));
            }
            pos = lt + 2 + end + 1;
            continue;
        }
        // A start tag: a name, then name="value" attributes.
        let mut i = lt + 1;
        let name_end = html[i..]
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .map(|k| i + k)
            .ok_or_else(|| format!("an unended tag at byte {lt}"))?;
        let name = html[i..name_end].to_owned();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(format!("a bad tag name {name:?} at byte {lt}"));
        }
        i = name_end;
        let mut attrs = Vec::new();
        let self_closing;
        loop {
            while i < html.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            if html[i..].starts_with("/>") {
                self_closing = true;
                i += 2;
                break;
            }
            if html[i..].starts_with('>') {
                self_closing = false;
                i += 1;
                break;
            }
            let an_end = html[i..]
                .find(|c: char| c == '=' || c.is_whitespace() || c == '>' || c == '/')
                .map(|k| i + k)
                .ok_or_else(|| format!("an unended tag <{name}> at byte {lt}"))?;
            let an = html[i..an_end].to_owned();
            if an.is_empty()
                || !an
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ':')
            {
                return Err(format!(
                    "a bad attribute name {an:?} in <{name}> at byte {lt}"
                ));
            }
            i = an_end;
            if html[i..].starts_with("=\"") {
                let v_end = html[i + 2..]
                    .find('"')
                    .map(|k| i + 2 + k)
                    .ok_or_else(|| format!("an unended value of {an} in <{name}> at byte {lt}"))?;
                let raw = &html[i + 2..v_end];
                if raw.contains('<') || raw.contains('>') {
                    return Err(format!(
                        "< or > in the value of {an} in <{name}> at byte {lt}"
                    ));
                }
                attrs.push((an, decode(raw, i)?));
                i = v_end + 1;
            } else if html[i..].starts_with('=') {
                return Err(format!(
                    "an unquoted value of {an} in <{name}> at byte {lt}"
                ));
            } else {
                attrs.push((an, String::new()));
            }
        }
        let in_svg = open.iter().any(|&k| page.elements[k].name == "svg");
        if self_closing && !in_svg {
            return Err(format!("<{name}/> outside <svg> at byte {lt}"));
        }
        page.elements.push(Element {
            name: name.clone(),
            attrs,
            ancestors: open.clone(),
            text: String::new(),
        });
        let index = page.elements.len() - 1;
        pos = i;
        if name == "style" || name == "script" {
            let end_tag = format!("</{name}>");
            let end = html[pos..]
                .find(&end_tag)
                .map(|k| pos + k)
                .ok_or_else(|| format!("<{name}> at byte {lt} never ends"))?;
            page.raw.push((name, html[pos..end].to_owned()));
            pos = end + end_tag.len();
            continue;
        }
        if !self_closing && !VOID.contains(&name.as_str()) {
            open.push(index);
        }
    }
    if let Some(&top) = open.last() {
        return Err(format!("<{}> is never closed", page.elements[top].name));
    }
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reader_refuses_what_a_browser_would_read_otherwise() {
        for bad in [
            "<p><b></p></b>",
            "<p>",
            "<p>a < b</p>",
            "<p>a > b</p>",
            "<p>a & b</p>",
            "<p class=x>a</p>",
            "<p/>",
            "<style>p{}",
            "</p>",
            "<p>&nbsp;</p>",
            "<!-- x --><p></p>",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        let page = parse("<!DOCTYPE html><p id=\"a\">x &lt;y&gt;<br><svg><line/></svg></p>")
            .expect("well-formed");
        assert_eq!(page.elements[0].text, "x <y>");
        assert_eq!(page.by_id("a").map(|(i, _)| i), Some(0));
    }
}
