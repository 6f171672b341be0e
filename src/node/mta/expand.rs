//! Where mail for a local address goes when it is not a mailbox: a
//! forwarded address passes the message on unchanged with the envelope's
//! sender kept (so the next server sees this one's address sending for the
//! sender's domain: SPF fails, DKIM survives); a mailing list sends a copy
//! to each member from its own return address, with a footer added to the
//! body (so the author's DKIM signature breaks). Both are what the
//! lessons on sender authentication are about.

use super::Mta;
use super::core::Arrival;
use super::local::mailbox_key;
use crate::mail::prepend;
use crate::plan::ListPlan;
use crate::smtp::dsn::{MailDsn, Orcpt, RcptDsn};
use crate::smtp::{ForwardPath, ReversePath};

/// The arrivals one accepted message becomes: itself, for recipients
/// that stay (forwarded ones replaced by their targets), and one per
/// mailing list it was sent to, each with its own queue id.
pub(super) fn expand(mta: &Mta, arrival: Arrival) -> Vec<Arrival> {
    let (forward, lists) = {
        let state = mta.state.borrow();
        (state.plan.forward.clone(), state.plan.lists.clone())
    };
    if forward.is_empty() && lists.is_empty() {
        return vec![arrival];
    }
    let mut paths: Vec<ForwardPath> = Vec::new();
    let mut rcpt_dsn: Vec<(ForwardPath, RcptDsn)> = Vec::new();
    let mut posted: Vec<ListPlan> = Vec::new();
    for path in &arrival.forward_paths {
        let key = path.mailbox().map(mailbox_key);
        if let Some(targets) = key.as_ref().and_then(|k| forward.get(k)) {
            // RFC 3461 §6.2.7.1: a forwarded recipient keeps its NOTIFY,
            // and its ORCPT names the address the sender wrote.
            let dsn = arrival.dsn_of(path);
            let orcpt = dsn
                .orcpt
                .clone()
                .or_else(|| path.mailbox().map(|m| Orcpt::rfc822(&m.to_string())));
            for target in targets {
                let target = ForwardPath::Mailbox(target.clone());
                if !paths.contains(&target) {
                    rcpt_dsn.push((
                        target.clone(),
                        RcptDsn {
                            notify: dsn.notify,
                            orcpt: orcpt.clone(),
                        },
                    ));
                    paths.push(target);
                }
            }
        } else if let Some(list) = key.as_ref().and_then(|k| lists.get(k)) {
            posted.push(list.clone());
        } else if !paths.contains(path) {
            rcpt_dsn.push((path.clone(), arrival.dsn_of(path)));
            paths.push(path.clone());
        }
    }
    let mut arrivals = Vec::new();
    for list in posted {
        let id = mta.state.borrow_mut().queue.next_id();
        arrivals.push(Arrival {
            id,
            message_id: arrival.message_id.clone(),
            reverse_path: ReversePath::Mailbox(list.bounces.clone()),
            forward_paths: list
                .members
                .iter()
                .cloned()
                .map(ForwardPath::Mailbox)
                .collect(),
            content: with_footer(&arrival.content, &list),
            // The list is the sender of its copies: the poster's DSN
            // requests end at the list (RFC 3461 §6.2.7.3).
            dsn: MailDsn::default(),
            rcpt_dsn: Vec::new(),
        });
    }
    if !paths.is_empty() {
        arrivals.insert(
            0,
            Arrival {
                forward_paths: paths,
                rcpt_dsn,
                ..arrival
            },
        );
    }
    arrivals
}

/// The list's copy: `List-Id` (RFC 2919) on top, the footer at the end
/// of the body, in CRLF lines.
fn with_footer(content: &[u8], list: &ListPlan) -> Vec<u8> {
    let domain = list.bounces.domain().unwrap_or_default();
    let name = list.bounces.local_part().trim_end_matches("-bounces");
    let mut out = prepend(content, &format!("List-Id: <{name}.{domain}>\r\n"));
    if list.footer.is_empty() {
        return out;
    }
    if !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    for line in list.footer.lines() {
        out.extend_from_slice(line.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out
}
