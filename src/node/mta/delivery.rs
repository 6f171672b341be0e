//! Delivery, the async half: the queue runner wakes for due entries; for
//! each route it asks DNS, lets `route` order the MXs, and speaks SMTP to
//! the first host that takes the conversation. The outcomes go back to
//! the queue, whose effects the node carries out.

use std::net::IpAddr;

use tokio::time::sleep_until;

use super::Mta;
use super::core::Fate;
use super::queue::QueueEntry;
use super::route::{order_mx, routes};
use crate::dns::QueryType;
use crate::net::ConnectError;
use crate::node::pump::drive;
use crate::node::resolve::StubResolver;
use crate::node::tls::WorldTls;
use crate::smtp::client::{ClientConfig, ClientEvent, Outcome, StartTls, Transaction};
use crate::smtp::{ClientSession, ForwardPath, Mailbox, ReversePath};
use crate::trace::{EventKind, SimTime};

/// Wakes for due entries and starts a delivery task for each.
pub(crate) async fn run_queue(mta: Mta) {
    loop {
        let now = mta.net.now().duration();
        let (due, next) = {
            let mut state = mta.state.borrow_mut();
            let due = state.queue.due(now);
            (due, state.queue.next_wakeup())
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
                    () = sleep_until(mta.net.instant_of(SimTime::from(t))) => {}
                }
            }
            None => wake.await,
        }
    }
}

/// One delivery attempt of one queue entry, all its pending recipients.
async fn deliver_entry(mta: Mta, id: String) {
    // A snapshot of the entry as the attempt begins (its content is shared).
    let Some(entry) = mta.state.borrow().queue.entry(&id).cloned() else {
        return;
    };
    let (reverse_path, content, pending, attempts) = (
        entry.reverse_path.clone(),
        entry.content.clone(),
        entry.pending(),
        entry.attempts,
    );
    if attempts > 0 {
        mta.net.record(EventKind::Wake {
            host: mta.net.host(),
            why: format!("retry {attempts} of {id}"),
        });
    }
    let chunking = {
        let plan = &mta.state.borrow().plan;
        (plan.chunking, plan.chunk_size)
    };
    let (hostname, smarthost, pipelining, resolver, relay_tls, world_tls) = {
        let state = mta.state.borrow();
        (
            state.host.hostname.clone(),
            state.plan.smarthost.clone(),
            state.plan.pipelining,
            state.host.resolver,
            state.plan.relay_tls,
            state.host.tls.clone(),
        )
    };
    let mut outcomes: Vec<(Mailbox, Fate)> = Vec::new();
    let mut dns = StubResolver::new(&mta.net, resolver);
    let hop = Hop {
        mta: &mta,
        queue_id: &id,
        hostname: &hostname,
        pipelining,
        chunking,
        relay_tls,
        world_tls: world_tls.as_deref(),
        reverse_path: &reverse_path,
        content: &content,
        entry: &entry,
    };
    for (route, rcpts) in routes(pending, smarthost.as_deref()) {
        let hosts = if smarthost.is_some() {
            Ok(vec![route.clone()])
        } else {
            let answer = dns.lookup(&route, QueryType::Mx).await;
            mta.net
                .with_rng(|rng| order_mx(&route, &answer, &hostname, rng))
        };
        match hosts {
            Ok(hosts) => outcomes.extend(hop.deliver(&mut dns, &route, &hosts, rcpts).await),
            Err(failure) => {
                let fate = failure.fate();
                outcomes.extend(rcpts.into_iter().map(|r| (r, fate.clone())));
            }
        }
    }
    let (now, retry) = (mta.now(), mta.state.borrow().retry_policy());
    let effects = mta
        .state
        .borrow_mut()
        .queue
        .settle(&id, outcomes, now, &retry);
    mta.carry_out(effects, None);
}

/// What every session of one attempt needs.
struct Hop<'a> {
    mta: &'a Mta,
    queue_id: &'a str,
    hostname: &'a str,
    pipelining: bool,
    /// BDAT where offered, and the chunk size (RFC 3030).
    chunking: (bool, Option<usize>),
    relay_tls: StartTls,
    world_tls: Option<&'a WorldTls>,
    reverse_path: &'a ReversePath,
    content: &'a [u8],
    /// The queue entry as the attempt began: its DSN parameters.
    entry: &'a QueueEntry,
}

impl Hop<'_> {
    /// Tries `hosts` in order, each of their addresses, until one takes
    /// the conversation; if none does, every recipient is deferred.
    async fn deliver(
        &self,
        dns: &mut StubResolver,
        route: &str,
        hosts: &[String],
        rcpts: Vec<Mailbox>,
    ) -> Vec<(Mailbox, Fate)> {
        let mut last_reason = format!("no server for {route} answered");
        for host in hosts {
            let ips = match dns.addresses(host).await {
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
                match self.session(ip, host, &rcpts).await {
                    Ok(outcomes) => return rcpts.into_iter().zip(outcomes).collect(),
                    Err(reason) => last_reason = reason,
                }
            }
        }
        let fate = Fate::Deferred {
            reason: format!("4.4.1 {last_reason}"),
        };
        rcpts.into_iter().map(|r| (r, fate.clone())).collect()
    }

    /// One SMTP session to `ip`: one fate per recipient, in their order.
    /// `Err` means this server never took the conversation (refused,
    /// unreachable, greeting refused): try the next.
    async fn session(
        &self,
        ip: IpAddr,
        host: &str,
        rcpts: &[Mailbox],
    ) -> Result<Vec<Fate>, String> {
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
            rcpts: Box::new(rcpts.iter().map(ToString::to_string).collect()),
        });
        // Each path leaves exactly as it came in (RFC 5321 §2.4).
        let transaction = Transaction {
            reverse_path: self.reverse_path.clone(),
            forward_paths: rcpts.iter().cloned().map(ForwardPath::Mailbox).collect(),
            content: self.content.to_vec(),
        };
        let mut config = ClientConfig::new(self.hostname);
        config.pipelining = self.pipelining;
        (config.chunking, config.chunk_size) = self.chunking;
        // The certificate must name the host the MX record named (RFC 7672
        // would add DANE; a world checks names against its own CA).
        let tls = self.world_tls.map(|world| world.client(host));
        if tls.is_some() {
            config.starttls = self.relay_tls;
        }
        let mut client = ClientSession::new(config, vec![transaction], net.instant());
        // NOTIFY, ORCPT, RET and ENVID go on as they came (RFC 3461 §5.2).
        client.request_dsn(0, self.entry.dsn_request(rcpts));
        let events = drive(net, &mut stream, &mut client, tls.as_ref()).await;
        let dsn_offered = client.dsn_offered();
        let greeted = events
            .iter()
            .any(|e| matches!(e, ClientEvent::Greeted { .. }));
        let outcomes = events.into_iter().find_map(|e| match e {
            ClientEvent::TransactionDone { outcomes, .. } => Some(outcomes),
            _ => None,
        });
        // The client answers one outcome per forward path, in order.
        let Some(outcomes) = outcomes.filter(|o| greeted && o.len() == rcpts.len()) else {
            return Err(format!("{host}[{ip}] did not take the conversation"));
        };
        let delivered: Vec<String> = rcpts
            .iter()
            .zip(&outcomes)
            .filter(|(_, o)| matches!(o, Outcome::Delivered { .. }))
            .map(|(r, _)| r.to_string())
            .collect();
        if !delivered.is_empty() {
            net.record(EventKind::Relayed {
                host: net.host(),
                queue_id: self.queue_id.to_owned(),
                rcpts: delivered.into(),
                to: stream.peer(),
            });
        }
        Ok(outcomes
            .into_iter()
            .map(|outcome| match Fate::judged(outcome, host) {
                Fate::Delivered if !dsn_offered => Fate::Relayed {
                    remote_mta: host.to_owned(),
                },
                fate => fate,
            })
            .collect())
    }
}
