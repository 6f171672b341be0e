//! Each letter as it was filed into a mailbox: its header fields with
//! every Received line tied to the hop that wrote it (and linked to that
//! hop's session), then its body. A Received field names its server
//! (`by`) and that server's queue id (`id`, RFC 5321 §4.4); the queue
//! entry with both is the hop.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::escape::{escape, push};
use crate::mail::{Headers, Received, body};
use crate::trace::state::{Entry, State};
use crate::trace::{ConnId, DeliveredRest, EventKind, Trace};

pub fn render(out: &mut String, trace: &Trace, state: &State) {
    // Each message's queue entries, in the order they were queued.
    let mut entries: BTreeMap<&str, Vec<&Entry>> = BTreeMap::new();
    for e in state.entries() {
        entries.entry(e.message_id.as_str()).or_default().push(e);
    }
    let mut any = false;
    for event in trace.events() {
        let EventKind::Delivered { host, rest, .. } = &event.kind else {
            continue;
        };
        let DeliveredRest {
            mailbox,
            message_id,
            content,
            ..
        } = &**rest;
        if !any {
            out.push_str(
                "<section id=\"letters\"><h2>Letters</h2>\
                 <p class=\"dim\">Each letter as it was filed, what people read. \
                 Each server adds its Received line on top: read them from the bottom up.</p>\n",
            );
            any = true;
        }
        let content = &*content.as_bytes();
        let headers = Headers::parse(content);
        // The hops of this message up to its delivery.
        let hops: Vec<&Entry> = entries
            .get(message_id.as_str())
            .into_iter()
            .flatten()
            .copied()
            .take_while(|e| e.queued < event.seq)
            .collect();
        let hop_of = |value: &str| -> Option<Option<ConnId>> {
            let r = Received::parse(value)?;
            hops.iter()
                .find(|h| h.queue_id == r.id && trace.name(h.host) == r.by)
                .map(|h| h.conn)
        };
        let received = headers.get_all("Received").count();
        let _ = write!(
            out,
            "<article class=\"letter\"><h3>✉ {} as stored for {} on {}, at {}</h3><div class=\"hdr\">",
            escape(message_id),
            escape(mailbox),
            escape(trace.name(*host)),
            event.at
        );
        let mut k = 0;
        for field in headers.iter() {
            let is_received = field.name.eq_ignore_ascii_case("Received");
            let _ = write!(
                out,
                "<div class=\"f{}\"><b>{}:</b> ",
                if is_received { " rcv" } else { "" },
                escape(&field.name)
            );
            push(out, &field.value);
            if is_received {
                let hop = received - k;
                let _ = write!(out, "<span class=\"hop\">↳ hop {hop} of {received}");
                match hop_of(&field.value) {
                    Some(Some(conn)) => {
                        let _ = write!(out, ", in session <a href=\"#s-{0}\">[{0}]</a>", conn.0);
                    }
                    Some(None) => out.push_str(", written on this host"),
                    None => out.push_str(" (not written in this run)"),
                }
                out.push_str("</span>");
                k += 1;
            }
            out.push_str("</div>");
        }
        out.push_str("</div><pre class=\"body\">");
        push(out, &String::from_utf8_lossy(body(content)));
        out.push_str("</pre></article>\n");
    }
    if any {
        out.push_str("</section>\n");
    } else {
        // The contents link here in every page, letters or none.
        out.push_str(
            "<section id=\"letters\"><h2>Letters</h2>\
             <p class=\"dim\">No letter reached a mailbox in this run.</p></section>\n",
        );
    }
}
