//! Just enough MIME (RFC 2045, RFC 2046) for mailflow's own messages:
//! reading a `Content-Type` with its parameters, and cutting a multipart
//! body into its parts.
//!
//! A multipart body is a preamble, then parts each introduced by a line
//! `--boundary`, then a closing line `--boundary--` and an epilogue
//! (RFC 2046 §5.1.1). The CRLF before each delimiter line belongs to the
//! delimiter, not to the part before it. The boundary must not occur in
//! any part, which is why a writer checks its parts before choosing it.

/// `type/subtype; name=value; ...` (RFC 2045 §5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentType {
    /// `type/subtype` in lower case, e.g. `multipart/report`.
    pub mime_type: String,
    /// Parameters in order; names in lower case, values unquoted.
    pub params: Vec<(String, String)>,
}

impl ContentType {
    /// Reads a `Content-Type` value; `None` when it has no `type/subtype`.
    pub fn parse(value: &str) -> Option<ContentType> {
        let mut pieces = split_outside_quotes(value, ';').into_iter();
        let mime_type = pieces.next()?.trim().to_ascii_lowercase();
        let (kind, subtype) = mime_type.split_once('/')?;
        let is_token = |t: &str| {
            !t.is_empty()
                && t.chars()
                    .all(|c| c.is_ascii_graphic() && !"()<>@,;:\\\"/[]?=".contains(c))
        };
        if !is_token(kind) || !is_token(subtype) {
            return None;
        }
        let params = pieces
            .filter_map(|p| {
                let (name, value) = p.split_once('=')?;
                Some((name.trim().to_ascii_lowercase(), unquote(value.trim())))
            })
            .collect();
        Some(ContentType { mime_type, params })
    }

    /// The value of parameter `name` (any case).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// True when the type is `mime_type` (any case).
    pub fn is(&self, mime_type: &str) -> bool {
        self.mime_type.eq_ignore_ascii_case(mime_type)
    }
}

/// The parts of a multipart `body` (RFC 2046 §5.1.1), each with its own
/// headers; the preamble and epilogue are dropped. A body with no closing
/// delimiter keeps its last part.
pub fn split_multipart<'a>(body: &'a [u8], boundary: &str) -> Vec<&'a [u8]> {
    let delimiter = format!("--{boundary}");
    let mut parts = Vec::new();
    let mut open: Option<usize> = None;
    let mut pos = 0;
    while pos < body.len() {
        let (line, next) = match body[pos..].iter().position(|&b| b == b'\n') {
            Some(i) => (&body[pos..pos + i], pos + i + 1),
            None => (&body[pos..], body.len()),
        };
        let rest = line
            .strip_prefix(delimiter.as_bytes())
            .map(<[u8]>::trim_ascii_end);
        if let Some(rest) = rest.filter(|r| r.is_empty() || *r == b"--") {
            if let Some(start) = open {
                let end = if body[..pos].ends_with(b"\r\n") {
                    pos - 2
                } else {
                    pos.saturating_sub(1)
                };
                parts.push(body.get(start..end.max(start)).unwrap_or_default());
            }
            if rest == b"--" {
                return parts;
            }
            open = Some(next);
        }
        pos = next;
    }
    if let Some(start) = open {
        parts.push(body.get(start..).unwrap_or_default());
    }
    parts
}

fn split_outside_quotes(text: &str, sep: char) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut in_quote, mut escaped) = (0, false, false);
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_quote => escaped = true,
            '"' => in_quote = !in_quote,
            c if c == sep && !in_quote => {
                out.push(&text[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    out.push(&text[start..]);
    out
}

/// `"quoted \" string"` → `quoted " string`; a token stays as it is.
fn unquote(value: &str) -> String {
    let Some(inner) = value.strip_prefix('"') else {
        return value.to_owned();
    };
    let inner = inner.strip_suffix('"').unwrap_or(inner);
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            out.extend(chars.next());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_with_parameters_rfc2045_5_1() {
        let ct = ContentType::parse(
            "Multipart/Report; report-type=delivery-status;\tboundary=\"=_a;b \\\"c\\\"\"",
        )
        .unwrap();
        assert_eq!(ct.mime_type, "multipart/report");
        assert!(ct.is("multipart/REPORT"));
        assert_eq!(ct.param("Report-Type"), Some("delivery-status"));
        assert_eq!(ct.param("boundary"), Some("=_a;b \"c\""));
        assert_eq!(ContentType::parse("text"), None);
        assert_eq!(ContentType::parse(""), None);
    }

    #[test]
    fn parts_exclude_the_crlf_before_a_delimiter_rfc2046_5_1_1() {
        let body =
            b"preamble\r\n--b\r\nA: 1\r\n\r\none\r\n--b \r\n\r\ntwo\r\n\r\n--b--\r\nepilogue\r\n";
        let parts = split_multipart(body, "b");
        assert_eq!(parts, vec![&b"A: 1\r\n\r\none"[..], &b"\r\ntwo\r\n"[..]]);
    }

    #[test]
    fn boundary_look_alikes_are_not_delimiters_rfc2046_5_1_1() {
        let body = b"--b\r\n\r\n--bx\r\n-- b\r\n--b--";
        assert_eq!(split_multipart(body, "b"), vec![&b"\r\n--bx\r\n-- b"[..]]);
    }

    #[test]
    fn unterminated_multipart_keeps_its_last_part() {
        assert_eq!(split_multipart(b"--b\nx\n", "b"), vec![&b"x\n"[..]]);
        assert!(split_multipart(b"no delimiters", "b").is_empty());
    }
}
