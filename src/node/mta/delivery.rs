//! Delivery: the queue runner wakes for due entries, routes each
//! recipient's domain by MX (RFC 5321 §5.1), speaks SMTP to the next hop,
//! and afterwards defers, retries, expires or bounces.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use rand::RngExt;
use tokio::time::sleep_until;

use super::Mta;
use super::bounce;
use super::queue::RcptState;
use crate::dns::{LookupError, QueryType, RecordData};
use crate::mail::DsnRecipient;
use crate::net::ConnectError;
use crate::node::pump::drive;
use crate::node::resolve::StubResolver;
use crate::smtp::client::{ClientConfig, ClientEvent, Outcome, Reason, Transaction};
use crate::smtp::{ClientSession, EnhancedCode, ForwardPath, Mailbox};
use crate::trace::{Attempt, EventKind, SimTime};

/// What became of one recipient in one attempt.
#[derive(Debug, Clone)]
pub(crate) enum Fate {
    Done,
    Retry(String),
    Fail(DsnRecipient),
}

/// Wakes for due entries and starts a delivery task for each.
pub(crate) async fn run_queue(mta: Mta) {
    loop {
        let now = mta.net.now().0;
        let (due, next) = {
            let mut state = mta.state.borrow_mut();
            let mut due = Vec::new();
            for entry in state.queue.values_mut() {
                if !entry.in_flight && entry.next_attempt <= now {
                    entry.in_flight = true;
                    due.push(entry.id.clone());
                }
            }
            let next = state
                .queue
                .values()
                .filter(|e| !e.in_flight)
                .map(|e| e.next_attempt)
                .min();
            (due, next)
        };
        for id in due {
            tokio::task::spawn_local(deliver_entry(mta.clone(), id));
        }
        let wake = mta.wake.notified();
        match next {
            Some(t) => {
                tokio::select! {
                    biased;
                    () = wake => {}
                    () = sleep_until(mta.net.instant_of(SimTime(t))) => {}
                }
            }
            None => wake.await,
        }
    }
}

/// One delivery attempt of one queue entry, all its pending recipients.
async fn deliver_entry(mta: Mta, id: String) {
    let Some((reverse_path, content, pending, attempts)) = ({
        let state = mta.state.borrow();
        state.queue.get(&id).map(|e| {
            (
                e.reverse_path.clone(),
                e.content.clone(),
                e.pending(),
                e.attempts,
            )
        })
    }) else {
        return;
    };
    if attempts > 0 {
        mta.net.record(EventKind::Wake {
            host: mta.net.host(),
            why: format!("retry {attempts} of {id}"),
        });
    }
    let (hostname, smarthost, pipelining, resolver) = {
        let state = mta.state.borrow();
        let c = &state.config;
        (
            c.hostname.clone(),
            c.smarthost.clone(),
            c.pipelining,
            c.resolver,
        )
    };
    let mut by_route: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for rcpt in pending {
        let domain = rcpt.rsplit('@').next().unwrap_or_default().to_owned();
        by_route
            .entry(smarthost.clone().unwrap_or(domain))
            .or_default()
            .push(rcpt);
    }
    let mut results: Vec<(String, Fate)> = Vec::new();
    let mut dns = StubResolver::new(&mta.net, resolver);
    for (route, rcpts) in by_route {
        let hop = Hop {
            mta: &mta,
            queue_id: &id,
            hostname: &hostname,
            pipelining,
        };
        let outcome = hop
            .deliver(
                &mut dns,
                &route,
                smarthost.is_some(),
                &reverse_path,
                &rcpts,
                &content,
            )
            .await;
        results.extend(outcome);
    }
    settle(&mta, &id, results);
}

/// Applies one attempt's results: done, failed (bounce), or retried later.
fn settle(mta: &Mta, id: &str, results: Vec<(String, Fate)>) {
    let now = mta.net.now().0;
    let host = mta.net.host();
    let mut state = mta.state.borrow_mut();
    let (retry, max_age) = (state.config.retry.clone(), state.config.max_age);
    let Some(entry) = state.queue.get_mut(id) else {
        return;
    };
    entry.attempts += 1;
    entry.in_flight = false;
    let mut failures = Vec::new();
    let mut deferred = Vec::new();
    for (rcpt, result) in results {
        match result {
            Fate::Done => entry.set(&rcpt, RcptState::Done),
            Fate::Fail(dsn) => {
                entry.set(&rcpt, RcptState::Failed);
                failures.push(dsn);
            }
            Fate::Retry(reason) => {
                entry.set(
                    &rcpt,
                    RcptState::Pending {
                        last_reason: Some(reason.clone()),
                    },
                );
                deferred.push(Attempt { rcpt, reason });
            }
        }
    }
    if !deferred.is_empty() && now.saturating_sub(entry.arrived) >= max_age {
        // Too old: give up on what is left (RFC 5321 §4.5.4.1).
        let rcpts: Vec<String> = deferred.iter().map(|a| a.rcpt.clone()).collect();
        mta.net.record(EventKind::Expired {
            host,
            queue_id: id.to_owned(),
            rcpts,
        });
        for attempt in deferred.drain(..) {
            entry.set(&attempt.rcpt, RcptState::Failed);
            failures.push(DsnRecipient {
                final_recipient: attempt.rcpt,
                action: crate::mail::Action::Failed,
                status: EnhancedCode::new(4, 4, 7),
                diagnostic: Some(format!(
                    "X-mailflow; gave up after the maximum age: {}",
                    attempt.reason
                )),
                remote_mta: None,
                will_retry_until: None,
            });
        }
    }
    if !deferred.is_empty() {
        let step = retry
            .get((entry.attempts as usize).saturating_sub(1))
            .or(retry.last())
            .copied()
            .unwrap_or(Duration::from_secs(1800));
        entry.next_attempt = now + step;
        mta.net.record(EventKind::Deferred {
            host,
            queue_id: id.to_owned(),
            attempts: deferred,
            retry_at: SimTime(now + step),
            attempt: entry.attempts,
        });
    }
    let finished = entry.pending().is_empty();
    drop(state);
    if !failures.is_empty() {
        bounce::send(mta, id, failures);
    }
    if finished {
        mta.net.record(EventKind::Dequeued {
            host,
            queue_id: id.to_owned(),
        });
        mta.state.borrow_mut().queue.remove(id);
    } else {
        mta.wake.notify_one();
    }
}

/// One route's delivery: the context an attempt needs.
struct Hop<'a> {
    mta: &'a Mta,
    queue_id: &'a str,
    hostname: &'a str,
    pipelining: bool,
}

/// A failed recipient with an enhanced status and words for the DSN.
fn fail(rcpt: &str, status: EnhancedCode, diagnostic: String, remote: Option<&str>) -> Fate {
    Fate::Fail(DsnRecipient {
        final_recipient: rcpt.to_owned(),
        action: crate::mail::Action::Failed,
        status,
        diagnostic: Some(diagnostic),
        remote_mta: remote.map(str::to_owned),
        will_retry_until: None,
    })
}

impl Hop<'_> {
    /// Routes `domain` (or goes to the smarthost) and delivers `rcpts`.
    async fn deliver(
        &self,
        dns: &mut StubResolver,
        route: &str,
        via_smarthost: bool,
        reverse_path: &crate::smtp::ReversePath,
        rcpts: &[String],
        content: &[u8],
    ) -> Vec<(String, Fate)> {
        let all = |fate: Fate| {
            rcpts
                .iter()
                .map(|a| (a.clone(), addressed(fate.clone(), a)))
                .collect::<Vec<_>>()
        };
        let hosts = if via_smarthost {
            Ok(vec![route.to_owned()])
        } else {
            self.mx_hosts(dns, route).await
        };
        let hosts = match hosts {
            Ok(hosts) => hosts,
            Err(result) => return all(result),
        };
        let mut last_reason = format!("no server for {route} answered");
        for host in hosts {
            let ips = match dns.addresses(&host).await {
                Ok(ips) if !ips.is_empty() => ips,
                Ok(_) => {
                    last_reason = format!("{host} has no address in DNS");
                    continue;
                }
                Err(e) => {
                    last_reason = format!("looking up {host}: {e}");
                    continue;
                }
            };
            for ip in ips {
                match self.session(ip, &host, reverse_path, rcpts, content).await {
                    Ok(results) => return results,
                    Err(reason) => last_reason = reason,
                }
            }
        }
        all(Fate::Retry(format!("4.4.1 {last_reason}")))
    }

    /// The MX hosts of `domain`, best first (RFC 5321 §5.1), or the
    /// verdict for every recipient when there is none to try.
    async fn mx_hosts(&self, dns: &mut StubResolver, domain: &str) -> Result<Vec<String>, Fate> {
        match dns.lookup(domain, QueryType::Mx).await {
            Ok(records) => {
                let mut mxs: Vec<(u16, String)> = records
                    .iter()
                    .filter_map(|r| match &r.data {
                        RecordData::Mx {
                            preference,
                            exchange,
                        } => Some((*preference, crate::dns::canonical_name(exchange))),
                        _ => None,
                    })
                    .collect();
                if records.iter().any(|r| r.data.is_null_mx()) {
                    let text =
                        format!("X-mailflow; {domain} accepts no mail: its MX is null (RFC 7505)");
                    return Err(fail_all_marker(EnhancedCode::new(5, 1, 10), text));
                }
                if mxs.is_empty() {
                    // No MX: the domain itself is the implicit MX (§5.1).
                    return Ok(vec![domain.to_owned()]);
                }
                // Equal preferences in random order, from the seeded RNG.
                self.mta.net.with_rng(|rng| {
                    for i in (1..mxs.len()).rev() {
                        let j = rng.random_range(0..=i);
                        mxs.swap(i, j);
                    }
                });
                mxs.sort_by_key(|(preference, _)| *preference);
                // An MX that lists this host must only go to better ones.
                if let Some(own) = mxs
                    .iter()
                    .find(|(_, h)| h == self.hostname)
                    .map(|(p, _)| *p)
                {
                    mxs.retain(|(p, _)| *p < own);
                    if mxs.is_empty() {
                        let text = format!("X-mailflow; mail for {domain} loops back to myself");
                        return Err(fail_all_marker(EnhancedCode::new(5, 4, 6), text));
                    }
                }
                Ok(mxs.into_iter().map(|(_, h)| h).collect())
            }
            Err(LookupError::NxDomain) => {
                let text = format!("X-mailflow; {domain}: no such domain (NXDOMAIN)");
                Err(fail_all_marker(EnhancedCode::new(5, 1, 2), text))
            }
            Err(e) => Err(Fate::Retry(format!(
                "4.4.3 looking up the MX of {domain}: {e}"
            ))),
        }
    }

    /// One SMTP session to `ip`. `Err` means this server never took the
    /// conversation (refused, unreachable, greeting refused): try the next.
    async fn session(
        &self,
        ip: IpAddr,
        host: &str,
        reverse_path: &crate::smtp::ReversePath,
        rcpts: &[String],
        content: &[u8],
    ) -> Result<Vec<(String, Fate)>, String> {
        let net = &self.mta.net;
        let mut stream = match net.connect(ip, 25).await {
            Ok(stream) => stream,
            Err(ConnectError::Refused) => {
                return Err(format!("connect to {host}[{ip}]:25: refused"));
            }
            Err(ConnectError::Unreachable) => {
                return Err(format!("connect to {host}[{ip}]:25: timed out"));
            }
        };
        net.record(EventKind::Attempting {
            host: net.host(),
            queue_id: self.queue_id.to_owned(),
            conn: stream.conn(),
            rcpts: rcpts.to_vec(),
        });
        let forward_paths = rcpts
            .iter()
            .filter_map(|r| Mailbox::parse(r).ok())
            .map(ForwardPath::Mailbox)
            .collect();
        let transaction = Transaction {
            reverse_path: reverse_path.clone(),
            forward_paths,
            content: content.to_vec(),
        };
        let mut config = ClientConfig::new(self.hostname);
        config.pipelining = self.pipelining;
        let mut client = ClientSession::new(config, vec![transaction], net.instant());
        let events = drive(net, &mut stream, &mut client).await;
        let greeted = events
            .iter()
            .any(|e| matches!(e, ClientEvent::Greeted { .. }));
        let outcomes = events.into_iter().find_map(|e| match e {
            ClientEvent::TransactionDone { outcomes, .. } => Some(outcomes),
            _ => None,
        });
        let Some(outcomes) = outcomes.filter(|_| greeted) else {
            return Err(format!("{host}[{ip}] did not take the conversation"));
        };
        let delivered: Vec<String> = rcpts
            .iter()
            .zip(&outcomes)
            .filter(|(_, o)| matches!(o, Outcome::Delivered { .. }))
            .map(|(r, _)| r.clone())
            .collect();
        if !delivered.is_empty() {
            net.record(EventKind::Relayed {
                host: net.host(),
                queue_id: self.queue_id.to_owned(),
                rcpts: delivered,
                to: stream.peer(),
            });
        }
        Ok(rcpts
            .iter()
            .zip(outcomes)
            .map(|(rcpt, outcome)| (rcpt.clone(), judge(rcpt, outcome, host)))
            .collect())
    }
}

/// A route-level fate, given to one recipient.
fn addressed(fate: Fate, rcpt: &str) -> Fate {
    match fate {
        Fate::Fail(mut dsn) => {
            dsn.final_recipient = rcpt.to_owned();
            Fate::Fail(dsn)
        }
        other => other,
    }
}

/// A route-level failure applies to every recipient; `deliver` copies it.
fn fail_all_marker(status: EnhancedCode, diagnostic: String) -> Fate {
    fail("", status, diagnostic, None)
}

/// The client's outcome as the queue sees it.
fn judge(rcpt: &str, outcome: Outcome, host: &str) -> Fate {
    let describe = |reason: &Reason| match reason {
        Reason::Reply(reply) => reply.to_string().replace('\n', " "),
        Reason::Local { enhanced, text } => format!("{enhanced} {text}"),
    };
    match outcome {
        Outcome::Delivered { .. } => Fate::Done,
        Outcome::Deferred { reason } => Fate::Retry(format!("{host}: {}", describe(&reason))),
        Outcome::Failed { reason } => {
            let (status, diagnostic) = match &reason {
                Reason::Reply(reply) => (
                    reply.enhanced().unwrap_or(EnhancedCode::new(5, 0, 0)),
                    DsnRecipient::smtp_diagnostic(reply),
                ),
                Reason::Local { enhanced, text } => (*enhanced, format!("X-mailflow; {text}")),
            };
            fail(rcpt, status, diagnostic, Some(host))
        }
    }
}
