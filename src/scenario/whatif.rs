//! What-ifs as people write them: in a scenario's `overrides: [...]`, or
//! on the command line as one line (`--what-if`). Both end as
//! [`plan::Override`](crate::plan::Override)s, checked against the world:
//! the server must be an MTA of it, the name in one of its zones.
//!
//! The one-line form, a word per token:
//!
//! ```text
//! HOST COMMAND[#N] CODE [X.Y.Z] [TEXT...]   mx.example.net RCPT#1 451 4.3.0 try later
//! HOST COMMAND[#N] lost|timeout             mx.example.net DATA#1 lost
//! dns NAME TYPE[#N] ANSWER                  dns example.net MX#1 NXDOMAIN
//! ```
//!
//! COMMAND is a verb (EHLO, HELO, MAIL, RCPT, DATA, RSET, NOOP, VRFY, HELP,
//! QUIT), CONNECT for the greeting or DOT for the reply after the final
//! dot; `#N` counts from 1 over the whole run (see `plan::whatif`) and is
//! 1 when left out. ANSWER is NXDOMAIN, SERVFAIL, timeout, nodata, or
//! records: `MX 10 mx2.example.net 20 mx3.example.net`.

use std::ops::Range;

use serde::Deserialize;

use super::diagnostic::{Problem, ScenarioError};
use super::suggest::closest;
use crate::dns::{QueryType, Record, RecordData, canonical_name};
use crate::plan::{DnsAnswer, Override, Plan};
use crate::smtp::{EnhancedCode, Instead, Reply, Step};
use crate::trace::Role;

/// A what-if in a scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum WhatIf {
    /// `Reply(host: "mx.example.net", command: "RCPT", attempt: 1,
    /// reply: "451 4.3.0 try later")`
    Reply {
        host: String,
        command: String,
        #[serde(default = "first")]
        attempt: u32,
        reply: String,
    },
    /// `Drop(host: "mx.example.net", command: "DATA", how: "timeout")`:
    /// the connection is lost (`"lost"`, the default) or the server goes
    /// silent (`"timeout"`) instead of replying.
    Drop {
        host: String,
        command: String,
        #[serde(default = "first")]
        attempt: u32,
        #[serde(default = "lost")]
        how: String,
    },
    /// `Dns(name: "example.net", query: "MX", answer: "NXDOMAIN")`
    Dns {
        name: String,
        #[serde(default = "mx")]
        query: String,
        #[serde(default = "first")]
        attempt: u32,
        answer: String,
    },
}

fn first() -> u32 {
    1
}

fn lost() -> String {
    "lost".into()
}

fn mx() -> String {
    "MX".into()
}

/// The forms, for help lines.
pub const REPLY_FORM: &str =
    "HOST COMMAND#N CODE [X.Y.Z] [TEXT], like 'mx.example.net RCPT#1 451 4.3.0 try later'";
pub const DROP_FORM: &str = "HOST COMMAND#N lost|timeout, like 'mx.example.net DATA#1 lost'";
pub const DNS_FORM: &str = "dns NAME TYPE#N NXDOMAIN|SERVFAIL|timeout|nodata|MX PREF HOST..., like 'dns example.net MX#1 NXDOMAIN'";

/// Which part of a what-if a problem is about, so that the one-line form
/// can mark its token and a scenario its field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Host,
    Command,
    Attempt,
    /// The reply, the drop's `how`, or the DNS answer; `Range` within it.
    Answer,
    Name,
    Query,
    /// Nothing more was written where something was needed.
    End,
}

/// A problem with one part: `at` is a byte range inside that part's text
/// (the whole part when `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub part: Part,
    pub at: Option<Range<usize>>,
    pub message: String,
    pub help: String,
}

fn fault(part: Part, message: impl Into<String>, help: impl Into<String>) -> Fault {
    Fault {
        part,
        at: None,
        message: message.into(),
        help: help.into(),
    }
}

/// The step a command word names.
pub fn step(word: &str) -> Result<Step, Fault> {
    Step::parse(word).ok_or_else(|| {
        let names: Vec<&str> = Step::ALL.iter().map(|s| s.name()).collect();
        let help = match closest(&word.to_uppercase(), names.iter().copied()) {
            Some(c) => format!("did you mean {c}?"),
            None => format!(
                "write one of {} (CONNECT is the greeting, DOT the reply after the final dot)",
                names.join(", ")
            ),
        };
        fault(
            Part::Command,
            format!("{word:?} is not a command a what-if can answer"),
            help,
        )
    })
}

/// `1`, `2`, ...: the attempt counts from 1.
fn attempt(n: u32) -> Result<u32, Fault> {
    if n == 0 {
        return Err(fault(
            Part::Attempt,
            "the attempt counts from 1: #1 is the first time",
            "write #1 for the first time the server answers it",
        ));
    }
    Ok(n)
}

/// `lost` or `timeout`, in any case.
fn loss(word: &str) -> Option<Instead> {
    match word.to_ascii_lowercase().as_str() {
        "lost" | "drop" | "close" => Some(Instead::Lost),
        "timeout" | "silent" | "silence" => Some(Instead::Silent),
        _ => None,
    }
}

/// What RFC 5321 §4.2.2 and §4.2.3 call each code, for a reply written
/// without text.
fn default_text(code: u16) -> &'static str {
    match code {
        211 => "System status",
        214 => "Help message",
        220 => "Service ready",
        221 => "Service closing transmission channel",
        250 => "Requested mail action okay, completed",
        251 => "User not local; will forward",
        252 => "Cannot VRFY user, but will accept message and attempt delivery",
        354 => "Start mail input; end with <CRLF>.<CRLF>",
        421 => "Service not available, closing transmission channel",
        450 => "Requested mail action not taken: mailbox unavailable",
        451 => "Requested action aborted: local error in processing",
        452 => "Requested action not taken: insufficient system storage",
        455 => "Server unable to accommodate parameters",
        500 => "Syntax error, command unrecognized",
        501 => "Syntax error in parameters or arguments",
        502 => "Command not implemented",
        503 => "Bad sequence of commands",
        504 => "Command parameter not implemented",
        550 => "Requested action not taken: mailbox unavailable",
        551 => "User not local",
        552 => "Requested mail action aborted: exceeded storage allocation",
        553 => "Requested action not taken: mailbox name not allowed",
        554 => "Transaction failed",
        555 => "MAIL FROM/RCPT TO parameters not recognized or not implemented",
        _ => "What-if reply",
    }
}

/// Gives a reply written without an enhanced code the class's X.0.0, as
/// a server that advertises ENHANCEDSTATUSCODES prefaces every reply but
/// the greeting and 3xx (RFC 2034 §3).
fn enhanced_by_default(step: Step, instead: Instead) -> Instead {
    match instead {
        Instead::Reply(reply)
            if reply.enhanced().is_none()
                && step != Step::Connect
                && matches!(reply.code().class(), 2 | 4 | 5) =>
        {
            let class = reply.code().class();
            Instead::Reply(Reply::multiline(
                reply.code().get(),
                Some(EnhancedCode::new(class, 0, 0)),
                reply.lines().to_vec(),
            ))
        }
        other => other,
    }
}

/// A reply written as `CODE [X.Y.Z] [TEXT]`, or `lost`/`timeout`.
pub fn instead(text: &str) -> Result<Instead, Fault> {
    let words = tokens(text);
    let Some(&(code_at, code_word)) = words.first() else {
        return Err(fault(
            Part::End,
            "the reply is missing",
            format!("write a reply code and text, or lost or timeout: {REPLY_FORM}"),
        ));
    };
    if let Some(loss) = loss(code_word) {
        if let Some(&(at, extra)) = words.get(1) {
            return Err(Fault {
                at: Some(at..at + extra.len()),
                ..fault(
                    Part::Answer,
                    format!("nothing may follow {code_word}"),
                    DROP_FORM,
                )
            });
        }
        return Ok(loss);
    }
    let bad_code = |message: String| Fault {
        at: Some(code_at..code_at + code_word.len()),
        ..fault(
            Part::Answer,
            message,
            format!(
                "a reply code is three digits, 2xx to 5xx, or write lost or timeout: {REPLY_FORM}"
            ),
        )
    };
    let digits = code_word.len() == 3 && code_word.bytes().all(|b| b.is_ascii_digit());
    let code: u16 = match code_word.parse() {
        Ok(code) if digits => code,
        _ => return Err(bad_code(format!("{code_word:?} is not a reply code"))),
    };
    // RFC 5321 §4.2: first digit 2 to 5, second 0 to 5.
    if !(200..=599).contains(&code) || (code / 10) % 10 > 5 {
        return Err(bad_code(format!(
            "{code} is not an SMTP reply code (RFC 5321 §4.2)"
        )));
    }
    let class = (code / 100) as u8;
    let mut rest = words.get(1).map_or(text.len(), |&(at, _)| at);
    let mut enhanced = None;
    if let Some(&(at, word)) = words.get(1)
        && word.contains('.')
        && word.starts_with(|c: char| c.is_ascii_digit())
    {
        let here = at..at + word.len();
        let Some(code) = EnhancedCode::parse(word) else {
            return Err(Fault {
                at: Some(here),
                ..fault(
                    Part::Answer,
                    format!("{word:?} is not an enhanced status code"),
                    "write class.subject.detail with class 2, 4 or 5, like 4.3.0 (RFC 3463 §2)",
                )
            });
        };
        if code.class != class {
            return Err(Fault {
                at: Some(here),
                ..fault(
                    Part::Answer,
                    format!("the enhanced code {word} does not match the reply {code_word}"),
                    format!(
                        "its first digit must be the reply's, {class} (RFC 3463 §2), like {class}.0.0"
                    ),
                )
            });
        }
        enhanced = Some(code);
        rest = words.get(2).map_or(text.len(), |&(at, _)| at);
    }
    let words_text = text[rest..].trim_end();
    if let Some((i, c)) = words_text
        .char_indices()
        .find(|&(_, c)| !(c == ' ' || c.is_ascii_graphic()))
    {
        return Err(Fault {
            at: Some(rest + i..rest + i + c.len_utf8()),
            ..fault(
                Part::Answer,
                format!("{c:?} cannot be sent in a reply"),
                "reply text is printable US-ASCII (RFC 5321 §4.2)",
            )
        });
    }
    if words_text.len() > 400 {
        return Err(Fault {
            at: Some(rest + 400..text.len()),
            ..fault(
                Part::Answer,
                "the reply text is too long",
                "a reply line is at most 512 octets (RFC 5321 §4.5.3.1.5): keep the text under 400",
            )
        });
    }
    let words_text = if words_text.is_empty() {
        default_text(code)
    } else {
        words_text
    };
    Ok(Instead::Reply(Reply::new(code, enhanced, words_text)))
}

/// A DNS answer: `NXDOMAIN`, `SERVFAIL`, `timeout`, `nodata`, or records
/// of the asked type (`MX 10 mx2.example.net 20 mx3.example.net`).
pub fn dns_answer(
    text: &str,
    name: &str,
    qtype: QueryType,
    plan: &Plan,
) -> Result<DnsAnswer, Fault> {
    let words = tokens(text);
    let Some(&(at, first)) = words.first() else {
        return Err(fault(Part::End, "the DNS answer is missing", DNS_FORM));
    };
    let lone = |answer: DnsAnswer| match words.get(1) {
        Some(&(extra_at, extra)) => Err(Fault {
            at: Some(extra_at..extra_at + extra.len()),
            ..fault(
                Part::Answer,
                format!("nothing may follow {first}"),
                DNS_FORM,
            )
        }),
        None => Ok(answer),
    };
    match first.to_ascii_lowercase().as_str() {
        "nxdomain" => return lone(DnsAnswer::NxDomain),
        "servfail" => return lone(DnsAnswer::ServFail),
        "timeout" | "noanswer" | "silent" => return lone(DnsAnswer::NoAnswer),
        "nodata" | "empty" => return lone(DnsAnswer::NoData),
        _ => {}
    }
    let here = at..at + first.len();
    if first.parse::<QueryType>().ok() != Some(QueryType::Mx) {
        return Err(Fault {
            at: Some(here),
            ..fault(
                Part::Answer,
                format!("{first:?} is not a DNS answer a what-if can give"),
                format!("write NXDOMAIN, SERVFAIL, timeout, nodata, or another MX set: {DNS_FORM}"),
            )
        });
    }
    if qtype != QueryType::Mx {
        return Err(Fault {
            at: Some(here),
            ..fault(
                Part::Answer,
                format!("MX records cannot answer a question for {qtype}"),
                "ask for MX (dns NAME MX#1 MX 10 HOST) or answer NXDOMAIN, SERVFAIL, timeout or nodata",
            )
        });
    }
    let pairs = &words[1..];
    if pairs.is_empty() || !pairs.len().is_multiple_of(2) {
        let at = pairs
            .last()
            .map_or(at..at + first.len(), |&(a, w)| a..a + w.len());
        return Err(Fault {
            at: Some(at),
            ..fault(
                Part::Answer,
                "an MX set is pairs of a preference and a host",
                "write MX 10 mx.example.net 20 mx2.example.net",
            )
        });
    }
    let mut records = Vec::new();
    for pair in pairs.chunks(2) {
        let (pref_at, pref) = pair[0];
        let (host_at, host) = pair[1];
        let Ok(preference) = pref.parse::<u16>() else {
            return Err(Fault {
                at: Some(pref_at..pref_at + pref.len()),
                ..fault(
                    Part::Answer,
                    format!("{pref:?} is not a preference"),
                    "a preference is a number from 0 to 65535; lower is tried first",
                )
            });
        };
        let exchange = canonical_name(host);
        if !plan
            .hosts
            .iter()
            .any(|h| canonical_name(&h.name) == exchange)
        {
            let names = plan.hosts.iter().map(|h| h.name.as_str());
            let help = match closest(&exchange, names) {
                Some(c) => format!("did you mean {c:?}?"),
                None => "name a host of this world, so that it has an address".to_owned(),
            };
            return Err(Fault {
                at: Some(host_at..host_at + host.len()),
                ..fault(
                    Part::Answer,
                    format!("{host} is no host of this world"),
                    help,
                )
            });
        }
        records.push(Record::new(
            name,
            300,
            RecordData::Mx {
                preference,
                exchange,
            },
        ));
    }
    Ok(DnsAnswer::Records(records))
}

/// The MTA called `name`.
pub fn server(name: &str, plan: &Plan) -> Result<crate::trace::HostId, Fault> {
    let found = plan
        .hosts
        .iter()
        .position(|h| h.name.eq_ignore_ascii_case(name.trim_end_matches('.')));
    let mtas = || {
        plan.hosts
            .iter()
            .filter(|h| h.role == Role::Mta)
            .map(|h| h.name.as_str())
    };
    match found {
        Some(i) if plan.hosts[i].role == Role::Mta => {
            crate::trace::HostId::try_from(i).map_err(|_| fault(Part::Host, "too many hosts", ""))
        }
        Some(i) => Err(fault(
            Part::Host,
            format!("{name} is a {}, not an MTA", plan.hosts[i].role.name()),
            format!(
                "a what-if changes what a mail server answers: name one of {}",
                mtas().collect::<Vec<_>>().join(", ")
            ),
        )),
        None => Err(fault(
            Part::Host,
            format!("there is no host called {name:?} in this world"),
            match closest(name, mtas()) {
                Some(c) => format!("did you mean {c:?}?"),
                None => format!(
                    "name one of its MTAs: {}",
                    mtas().collect::<Vec<_>>().join(", ")
                ),
            },
        )),
    }
}

/// A name one of the world's zones holds, canonical.
pub fn zone_name(name: &str, plan: &Plan) -> Result<String, Fault> {
    let canonical = canonical_name(name);
    let origins: Vec<String> = plan
        .dns
        .iter()
        .flat_map(|d| d.zones.iter().map(|z| canonical_name(&z.origin)))
        .collect();
    let inside = origins
        .iter()
        .any(|o| canonical == *o || canonical.ends_with(&format!(".{o}")));
    if canonical.is_empty() || !inside {
        let help = match closest(&canonical, origins.iter().map(String::as_str)) {
            Some(c) => format!("did you mean {c:?}?"),
            None => format!("name a domain of its zones: {}", origins.join(", ")),
        };
        return Err(fault(
            Part::Name,
            format!("no DNS server of this world answers for {name:?}"),
            help,
        ));
    }
    Ok(canonical)
}

fn query_type(word: &str) -> Result<QueryType, Fault> {
    word.parse::<QueryType>().map_err(|e| {
        fault(
            Part::Query,
            format!("{word:?} is not a record type"),
            e.to_string(),
        )
    })
}

/// Words and their byte offsets.
fn tokens(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                out.push((s, &text[s..i]));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, &text[s..]));
    }
    out
}

/// `RCPT#2` → ("RCPT", 2, where the number is); no `#` means 1.
fn counted(word: &str) -> Result<(&str, u32), Fault> {
    let Some((name, n)) = word.split_once('#') else {
        return Ok((word, 1));
    };
    let at = name.len() + 1..word.len();
    match n.parse::<u32>() {
        Ok(n) => attempt(n)
            .map(|n| (name, n))
            .map_err(|f| Fault { at: Some(at), ..f }),
        Err(_) => Err(Fault {
            at: Some(at),
            ..fault(
                Part::Attempt,
                format!("{n:?} after # is not a number"),
                "write #1 for the first time, #2 for the second: RCPT#1",
            )
        }),
    }
}

impl WhatIf {
    /// Checked against the world; a fault names the part that is wrong.
    pub fn resolve(&self, plan: &Plan) -> Result<Override, Fault> {
        match self {
            WhatIf::Reply {
                host,
                command,
                attempt: n,
                reply,
            } => {
                let step = step(command)?;
                Ok(Override::Server {
                    host: server(host, plan)?,
                    step,
                    attempt: attempt(*n)?,
                    instead: enhanced_by_default(step, instead(reply)?),
                })
            }
            WhatIf::Drop {
                host,
                command,
                attempt: n,
                how,
            } => Ok(Override::Server {
                host: server(host, plan)?,
                step: step(command)?,
                attempt: attempt(*n)?,
                instead: loss(how).ok_or_else(|| {
                    fault(
                        Part::Answer,
                        format!("{how:?} is not a way to drop a connection"),
                        "write how: \"lost\" (the connection breaks) or \"timeout\" (the server goes silent)",
                    )
                })?,
            }),
            WhatIf::Dns {
                name,
                query,
                attempt: n,
                answer,
            } => {
                let name = zone_name(name, plan)?;
                let qtype = query_type(query)?;
                Ok(Override::Dns {
                    answer: dns_answer(answer, &name, qtype, plan)?,
                    name,
                    qtype,
                    attempt: attempt(*n)?,
                })
            }
        }
    }
}

/// Parses one `--what-if` line and checks it against the world. The
/// error marks the bad token in the line and says what was expected.
pub fn parse_line(line: &str, plan: &Plan) -> Result<Override, ScenarioError> {
    let words = tokens(line);
    let fail = |at: Range<usize>, message: String, help: String| ScenarioError {
        file: "--what-if".to_owned(),
        source: line.to_owned(),
        problems: vec![
            Problem::new(message)
                .span(line, at.start, at.end)
                .help(help),
        ],
    };
    let end = line.trim_end().len();
    let missing = |what: &str, form: &str| {
        fail(
            end..end + 1,
            format!("{what} is missing here"),
            format!("write {form}"),
        )
    };
    let Some(&(_, head)) = words.first() else {
        return Err(missing("the what-if", REPLY_FORM));
    };
    let is_dns = head.eq_ignore_ascii_case("dns");
    let form = if is_dns { DNS_FORM } else { REPLY_FORM };
    // Where each part of the line is: a fault is placed by its part.
    let span_of = |k: usize| words.get(k).map(|&(a, w)| a..a + w.len());
    let answer_start = words
        .get(if is_dns { 3 } else { 2 })
        .map_or(end, |&(a, _)| a);
    let place = |f: Fault, part_at: Option<Range<usize>>| -> ScenarioError {
        let at = match (f.at, part_at.clone()) {
            (Some(inner), Some(outer)) => outer.start + inner.start..outer.start + inner.end,
            (None, Some(outer)) => outer,
            (_, None) => end..end + 1,
        };
        fail(at, f.message, f.help)
    };
    let part = |p: Part| -> Option<Range<usize>> {
        match (p, is_dns) {
            (Part::Host, _) => span_of(0),
            (Part::Name, _) => span_of(1),
            (Part::Command | Part::Query, false) => {
                span_of(1).map(|r| r.start..r.start + word_before_hash(line, r))
            }
            (Part::Command | Part::Query, true) => {
                span_of(2).map(|r| r.start..r.start + word_before_hash(line, r))
            }
            (Part::Attempt, false) => span_of(1),
            (Part::Attempt, true) => span_of(2),
            (Part::Answer, _) => Some(answer_start..end.max(answer_start)),
            (Part::End, _) => None,
        }
    };
    if is_dns {
        let (Some(&(_, name)), Some(&(_, query))) = (words.get(1), words.get(2)) else {
            return Err(missing(
                if words.len() < 2 {
                    "the name"
                } else {
                    "the record type"
                },
                form,
            ));
        };
        let name = zone_name(name, plan).map_err(|f| place(f, part(Part::Name)))?;
        let (query, n) = counted(query).map_err(|f| place(f, part(Part::Attempt)))?;
        let qtype = query_type(query).map_err(|f| place(f, part(Part::Query)))?;
        let answer = dns_answer(
            &line[answer_start..end.max(answer_start)],
            &name,
            qtype,
            plan,
        )
        .map_err(|f| place(f, part(Part::Answer)))?;
        return Ok(Override::Dns {
            name,
            qtype,
            attempt: n,
            answer,
        });
    }
    let host = server(head, plan).map_err(|f| place(f, part(Part::Host)))?;
    let Some(&(_, command)) = words.get(1) else {
        return Err(missing("the command", form));
    };
    let (command, n) = counted(command).map_err(|f| place(f, part(Part::Attempt)))?;
    let step = step(command).map_err(|f| place(f, part(Part::Command)))?;
    let instead =
        instead(&line[answer_start..end.max(answer_start)]).map_err(|f| match f.part {
            Part::End => missing("the reply", form),
            _ => place(f, part(Part::Answer)),
        })?;
    Ok(Override::Server {
        host,
        step,
        attempt: n,
        instead: enhanced_by_default(step, instead),
    })
}

/// How long the word at `r` is up to its `#`.
fn word_before_hash(line: &str, r: Range<usize>) -> usize {
    let word = &line[r];
    word.find('#').unwrap_or(word.len())
}
