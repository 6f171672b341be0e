//! The facts beside the sessions: what the queues did, in order, and
//! what the mailboxes hold at the end; the DNS zones and every query with
//! its answer. Each fact opens onto its catalog entry, as in the
//! dashboard's explanation pane.

use std::fmt::Write;

use super::escape::{escape, push};
use super::glossary::Glossary;
use crate::dns::Summary;
use crate::explain::Catalog;
use crate::export::trip::dns;
use crate::trace::describe::{describe, topic};
use crate::trace::state::{State, path};
use crate::trace::{EventKind, Trace};

/// Queue facts in order, then the mailboxes as the run left them.
pub fn queues<'c>(
    out: &mut String,
    trace: &Trace,
    state: &State,
    catalog: &'c Catalog,
    glossary: &mut Glossary<'c>,
) {
    out.push_str("<section id=\"queues\"><h2>Queues and mailboxes</h2><div class=\"tx\">");
    let mut any = false;
    for event in trace.events() {
        let fact = matches!(
            event.kind,
            EventKind::Composed { .. }
                | EventKind::Queued { .. }
                | EventKind::Attempting { .. }
                | EventKind::Relayed { .. }
                | EventKind::Delivered { .. }
                | EventKind::Deferred { .. }
                | EventKind::Bounced { .. }
                | EventKind::Expired { .. }
                | EventKind::LoopDetected { .. }
                | EventKind::Retrieved { .. }
                | EventKind::Removed { .. }
                | EventKind::Wake { .. }
        );
        let Some(text) = describe(trace, &event.kind).filter(|_| fact) else {
            continue;
        };
        any = true;
        let tone = match event.kind {
            EventKind::Deferred { .. } | EventKind::Expired { .. } | EventKind::Wake { .. } => {
                "warn"
            }
            EventKind::Bounced { .. } | EventKind::LoopDetected { .. } => "err",
            _ => "plain",
        };
        let _ = write!(
            out,
            "<details class=\"l\"><summary><time>{}</time> <span class=\"w {tone}\">",
            event.at
        );
        push(out, text.strip_prefix("* ").unwrap_or(&text));
        out.push_str("</span></summary>");
        let entries: Vec<_> = topic(&event.kind)
            .and_then(|t| catalog.lookup(t))
            .into_iter()
            .collect();
        glossary.cite(out, &entries);
        out.push_str("</details>");
    }
    if !any {
        out.push_str("<p class=\"dim\">No queue held anything in this run.</p>");
    }
    out.push_str("</div><h3>Mailboxes at the end</h3>");
    let boxes = state.mailboxes_at(trace.len());
    if boxes.is_empty() {
        out.push_str("<p class=\"dim\">No mailbox received a message.</p>");
    } else {
        out.push_str("<ul>");
        for ((host, address), messages) in &boxes {
            let count = match messages.len() {
                0 => "empty: its owner fetched and deleted what came".to_owned(),
                1 => "1 message".to_owned(),
                n => format!("{n} messages"),
            };
            let _ = write!(
                out,
                "<li><b>{}</b> on {}: {count}",
                escape(&path(address)),
                escape(trace.name(*host))
            );
            if !messages.is_empty() {
                out.push_str("<ul>");
                for m in messages {
                    let _ = write!(
                        out,
                        "<li>✉ {} “{}” from {}</li>",
                        m.at,
                        escape(&m.subject),
                        escape(&m.from)
                    );
                }
                out.push_str("</ul>");
            }
            out.push_str("</li>");
        }
        out.push_str("</ul>");
    }
    out.push_str("</section>\n");
}

/// The zones, then every datagram in the ladder's words: `?` a query,
/// `!` an answer, `✗` lost, as the dashboard's DNS pane marks them.
pub fn dns_facts<'c>(
    out: &mut String,
    trace: &Trace,
    catalog: &'c Catalog,
    glossary: &mut Glossary<'c>,
) {
    out.push_str("<section id=\"dns\"><h2>DNS</h2>");
    if trace.zones.is_empty() {
        out.push_str("<p class=\"dim\">This world has no DNS server.</p>");
    }
    for z in &trace.zones {
        let _ = write!(
            out,
            "<h3>{}. <span class=\"dim\">served by {}</span></h3><pre class=\"zone\">",
            escape(&z.origin),
            escape(trace.name(z.server))
        );
        for r in &z.records {
            push(out, r);
            out.push('\n');
        }
        out.push_str("</pre>");
    }
    out.push_str("<h3>Queries and answers</h3><div class=\"tx\">");
    let mut any = false;
    for event in trace.events() {
        let EventKind::Datagram {
            from,
            to,
            arrives,
            data,
            ..
        } = &event.kind
        else {
            continue;
        };
        any = true;
        let (answer, text) = dns(data.as_bytes());
        let summary = Summary::decode(data.as_bytes());
        let (glyph, tone) = match (answer, arrives, &summary) {
            (_, None, _) => ("✗", "warn"),
            (_, _, Err(_)) => ("!", "err"),
            (true, _, Ok(s)) if s.rcode.to_string() != "NOERROR" => ("!", "err"),
            (true, _, _) => ("!", "ok"),
            (false, _, _) => ("?", "dns"),
        };
        let lost = if arrives.is_none() { " (lost)" } else { "" };
        let _ = write!(
            out,
            "<details class=\"l\"><summary><time>{}</time> <span class=\"dns\">{} → {} {glyph}</span> <span class=\"w {tone}\">",
            event.at,
            escape(trace.name(*from)),
            escape(trace.name(*to)),
        );
        push(out, &text);
        let _ = write!(out, "{lost}</span></summary>");
        let entries = match &summary {
            Ok(s) => catalog.explain_dns_line(&s.to_string()),
            Err(_) => catalog.lookup("DNS").into_iter().collect(),
        };
        glossary.cite(out, &entries);
        out.push_str("</details>");
    }
    if !any {
        out.push_str("<p class=\"dim\">No DNS traffic in this run.</p>");
    }
    out.push_str("</div></section>\n");
}
