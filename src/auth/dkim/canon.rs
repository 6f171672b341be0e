//! Canonicalization (RFC 6376 §3.4): the forms in which header fields and
//! body are hashed, so that what mail systems harmlessly change on the way
//! does not break a signature. `simple` tolerates almost nothing;
//! `relaxed` tolerates re-folding, whitespace changes and the case of
//! header field names.

use super::Canon;

/// One header field as it stands in the message: its name and every
/// octet of it, continuation lines and the final CRLF included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawField<'a> {
    pub name: &'a str,
    pub raw: &'a [u8],
}

/// The header fields of `message` in order, and where the body starts
/// (after the empty line; the end when there is none).
pub fn split(message: &[u8]) -> (Vec<RawField<'_>>, usize) {
    let mut fields: Vec<RawField<'_>> = Vec::new();
    let mut pos = 0;
    while pos < message.len() {
        let end = message[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(message.len(), |i| pos + i + 1);
        let line = &message[pos..end];
        if line == b"\r\n" || line == b"\n" {
            return (fields, end);
        }
        if matches!(line.first(), Some(b' ' | b'\t')) {
            // A continuation line belongs to the field above it.
            if let Some(last) = fields.last_mut() {
                let start = last.raw.as_ptr() as usize - message.as_ptr() as usize;
                last.raw = &message[start..end];
            }
        } else if let Some(colon) = line.iter().position(|&b| b == b':') {
            let name = std::str::from_utf8(&line[..colon]).unwrap_or("").trim_end();
            fields.push(RawField { name, raw: line });
        }
        pos = end;
    }
    (fields, message.len())
}

fn is_wsp(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// One header field, canonicalized, CRLF included.
pub fn header(field: &[u8], canon: Canon) -> Vec<u8> {
    match canon {
        Canon::Simple => field.to_vec(),
        Canon::Relaxed => relaxed_header(field),
    }
}

/// §3.4.2: name in lower case; unfold; runs of WSP become one SP; no WSP
/// at the end of the value, nor around the colon.
fn relaxed_header(field: &[u8]) -> Vec<u8> {
    let colon = field.iter().position(|&b| b == b':').unwrap_or(field.len());
    let name: Vec<u8> = field[..colon]
        .iter()
        .filter(|b| !is_wsp(**b))
        .map(u8::to_ascii_lowercase)
        .collect();
    let value = field.get(colon + 1..).unwrap_or(&[]);
    let mut out = name;
    out.push(b':');
    let mut pending_space = false;
    // WSP right after the name's colon is deleted; a colon inside the
    // value is an ordinary character.
    let mut started = false;
    for &b in value {
        match b {
            b'\r' | b'\n' => {}
            b' ' | b'\t' => pending_space = true,
            _ => {
                if pending_space && started {
                    out.push(b' ');
                }
                pending_space = false;
                started = true;
                out.push(b);
            }
        }
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// The body canonicalized (§3.4.3, §3.4.4).
pub fn body(body: &[u8], canon: Canon) -> Vec<u8> {
    let mut lines: Vec<Vec<u8>> = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        let (line, next) = match rest.windows(2).position(|w| w == b"\r\n") {
            Some(i) => (&rest[..i], &rest[i + 2..]),
            None => (rest, &rest[rest.len()..]),
        };
        lines.push(match canon {
            Canon::Simple => line.to_vec(),
            Canon::Relaxed => relaxed_line(line),
        });
        rest = next;
    }
    // Empty lines at the end are ignored, by both.
    while lines.last().is_some_and(Vec::is_empty) {
        lines.pop();
    }
    let mut out = Vec::with_capacity(body.len() + 2);
    for line in &lines {
        out.extend_from_slice(line);
        out.extend_from_slice(b"\r\n");
    }
    // §3.4.3: an empty body is one CRLF in simple; §3.4.4: nothing in relaxed.
    if out.is_empty() && canon == Canon::Simple {
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// §3.4.4: WSP at the end of a line goes; runs of WSP become one SP.
fn relaxed_line(line: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(line.len());
    let mut pending_space = false;
    for &b in line {
        if is_wsp(b) {
            pending_space = true;
        } else {
            if pending_space {
                out.push(b' ');
            }
            pending_space = false;
            out.push(b);
        }
    }
    out
}

/// The fields named in `h=` chosen as §5.4.2 says: for each name, the
/// last instance not yet used, going up from the bottom; a name with no
/// instance left selects nothing.
pub fn select<'a>(fields: &[RawField<'a>], names: &[String]) -> Vec<&'a [u8]> {
    let mut used = vec![false; fields.len()];
    let mut chosen = Vec::new();
    for name in names {
        if let Some(i) = (0..fields.len())
            .rev()
            .find(|&i| !used[i] && fields[i].name.eq_ignore_ascii_case(name))
        {
            used[i] = true;
            chosen.push(fields[i].raw);
        }
    }
    chosen
}
