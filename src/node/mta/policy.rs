//! What an MTA answers its SMTP server sessions, and what it does with a
//! message once it says 250: a Received header on top, local recipients
//! stored, the rest queued for relay.

use super::Mta;
use super::core::{Arrival, loop_detected};
use super::local::mailbox_key;
use crate::mail::headers::Taken;
use crate::mail::{Received, With};
use crate::net::prefix;
use crate::session::Settle;
use crate::smtp::{
    EnhancedCode, Envelope, ForwardPath, Instead, Mailbox, Peer, Policy, Reply, ReversePath, Step,
};
use crate::trace::{ConnId, EventKind, WhatIfRest};

pub(crate) struct MtaPolicy {
    pub(super) mta: Mta,
    conn: ConnId,
    /// The client is a real machine (`mailflow serve`): its address is a
    /// real one, so the scenario's `relay_networks` never apply to it.
    real: bool,
    /// A smaller size limit for this session (a real client's).
    size_cap: Option<usize>,
    /// SPF, DKIM and DMARC of the open transaction (`authenticate`).
    pub(super) checks: super::authenticate::Checks,
    /// The final dot is answered at this moment (`slow_data_reply`).
    slow_until: Option<crate::trace::SimTime>,
}

impl MtaPolicy {
    pub fn new(mta: Mta, conn: ConnId) -> MtaPolicy {
        MtaPolicy {
            mta,
            conn,
            real: false,
            size_cap: None,
            checks: Default::default(),
            slow_until: None,
        }
    }

    /// The policy for a real client, with the size limit it was given.
    pub fn for_real_client(mut self, size_cap: Option<usize>) -> MtaPolicy {
        self.real = true;
        self.size_cap = size_cap;
        self
    }
}

impl MtaPolicy {
    /// The mailbox a local recipient is stored in.
    fn local_address(&self, to: &ForwardPath) -> Option<String> {
        self.mta.state.borrow().queue.local().mailbox_of(to)
    }
}

impl MtaPolicy {
    /// A slow server holds its answer to the final dot (recorded, so that
    /// views show why the reply is late); the message is judged and
    /// taken when the wait is over, as a slow content filter does.
    fn hold_reply(&mut self) -> bool {
        let net = &self.mta.net;
        let now = net.now();
        let slow = self.mta.state.borrow().plan.slow_data_reply;
        let Some((delay, until)) =
            slow.filter(|(_, until)| until.is_none_or(|u| now.duration() < u))
        else {
            return false;
        };
        let _ = until;
        let at = crate::trace::SimTime::from(now.duration() + delay);
        net.record(EventKind::SlowReply {
            host: net.host(),
            conn: self.conn,
            until: at,
        });
        self.slow_until = Some(at);
        true
    }
}

impl Settle for MtaPolicy {
    async fn settle(&mut self) {
        self.run_checks().await;
        if let Some(at) = self.slow_until.take() {
            tokio::time::sleep_until(self.mta.net.instant_of(at)).await;
        }
    }
}

impl Policy for MtaPolicy {
    fn is_local_domain(&self, domain: &str) -> bool {
        self.mta.state.borrow().queue.local().is_local(domain)
    }

    fn mailbox_exists(&self, mailbox: &Mailbox) -> bool {
        let plan = &self.mta.state.borrow().plan;
        let key = mailbox_key(mailbox);
        plan.mailboxes.contains_key(&key)
            || plan.forward.contains_key(&key)
            || plan.lists.contains_key(&key)
    }

    fn may_relay(&self, peer: &Peer) -> bool {
        let state = self.mta.state.borrow();
        // A real client's address is a real one: a scenario that lists
        // 127.0.0.0/8 (or a LAN) must not open a relay to the world.
        peer.authenticated.is_some()
            || !self.real
                && peer.ip.is_some_and(|ip| {
                    state
                        .plan
                        .relay_networks
                        .iter()
                        .any(|&(net, bits)| prefix::contains(net, bits, ip))
                })
    }

    fn is_relay_domain(&self, domain: &str) -> bool {
        let state = self.mta.state.borrow();
        state
            .plan
            .relay_domains
            .iter()
            .any(|d| d.eq_ignore_ascii_case(domain))
    }

    fn max_message_size(&self) -> usize {
        let own = self.mta.state.borrow().plan.max_size;
        self.size_cap.map_or(own, |cap| cap.min(own))
    }

    fn max_recipients(&self) -> usize {
        self.mta.state.borrow().plan.max_recipients
    }

    fn check_credentials(&mut self, user: &str, password: &str) -> bool {
        let state = self.mta.state.borrow();
        let user = user.to_lowercase();
        let matches =
            |address: &String| address == &user || address.split('@').next() == Some(user.as_str());
        state
            .plan
            .mailboxes
            .iter()
            .any(|(address, secret)| matches(address) && secret == password)
    }

    fn hold_sender(&mut self, from: &ReversePath, peer: &Peer) -> bool {
        self.hold_for_spf(from, peer)
    }

    fn sender_verdict(&mut self) -> Option<Reply> {
        self.take_sender_verdict()
    }

    fn hold_message(&mut self, _envelope: &Envelope, content: &[u8], peer: &Peer) -> bool {
        let checks = self.hold_for_dkim(content, peer);
        checks || self.hold_reply()
    }

    fn message_verdict(&mut self) -> Option<Reply> {
        self.take_message_verdict()
    }

    /// A what-if of this run, recorded in the trace before its reply
    /// leaves, so that every view can say the reply was changed.
    fn instead(&mut self, step: Step) -> Option<Instead> {
        let (n, instead) = self.mta.state.borrow_mut().whatifs.reach(step)?;
        let net = &self.mta.net;
        net.record(EventKind::WhatIf {
            host: net.host(),
            conn: Some(self.conn),
            rest: Box::new(WhatIfRest {
                point: format!("{step} #{n}"),
                instead: instead.to_string(),
            }),
        });
        Some(instead)
    }

    /// Greylisting (RFC 6647) and mailbox quotas.
    fn check_recipient(
        &mut self,
        envelope: &Envelope,
        to: &ForwardPath,
        peer: &Peer,
    ) -> Option<Reply> {
        let now = self.mta.net.now().duration();
        let local = self.local_address(to);
        let mut state = self.mta.state.borrow_mut();
        if let (Some(delay), Some(ip), None) =
            (state.plan.greylisting, peer.ip, &peer.authenticated)
        {
            let key = (ip, envelope.reverse_path.to_string(), to.to_string());
            let first = *state.greylist.entry(key).or_insert(now);
            if now < first + delay {
                let wait = (first + delay - now).as_secs().div_ceil(60);
                let text = format!("Greylisted: please try again in {wait} minute(s) (RFC 6647)");
                return Some(Reply::new(450, Some(EnhancedCode::new(4, 7, 1)), text));
            }
        }
        if let (Some(quota), Some(address)) = (state.plan.quota, local) {
            let size = envelope.params.size.unwrap_or(0) as usize;
            if state.mailbox_size(&address) + size > quota {
                let text = format!("Mailbox <{address}> is full (quota {quota} octets)");
                return Some(Reply::new(452, Some(EnhancedCode::new(4, 2, 2)), text));
            }
        }
        None
    }

    /// The 250 after DATA: from here the MTA answers for the message.
    fn accept_message(
        &mut self,
        envelope: &Envelope,
        content: &[u8],
        peer: &Peer,
    ) -> Result<String, Reply> {
        // The receiver's results, or its own user's signature, go under
        // the Received line added below.
        let content = self.authenticate(content, peer);
        let mta = &self.mta;
        let net = &mta.net;
        let (max_hops, hostname) = {
            let state = mta.state.borrow();
            (state.plan.max_hops, state.host.hostname.clone())
        };
        // One pass over the header for all that is read of it here.
        let taken = Taken::read(&content);
        if let Some(hops) = loop_detected(taken.received, max_hops) {
            net.record(EventKind::LoopDetected {
                host: net.host(),
                queue_id: String::new(),
                hops,
            });
            let text =
                format!("Too many hops: {hops} Received headers, a mail loop? (RFC 5321 §6.3)");
            return Err(Reply::new(554, Some(EnhancedCode::new(5, 4, 6)), text));
        }
        let queue_id = mta.state.borrow_mut().queue.next_id();
        let received = Received {
            from_helo: peer.helo.clone().unwrap_or_default(),
            from_ip: peer.ip,
            by: hostname.clone(),
            with: {
                let with = With::of_transaction(
                    peer.esmtp,
                    peer.authenticated.is_some(),
                    envelope.params.smtputf8,
                );
                if peer.tls { with.over_tls() } else { with }
            },
            id: queue_id.clone(),
            for_rcpt: Received::single_recipient(&envelope.forward_paths),
            date: mta.now().unix,
        };
        let content = received.prepend_to(&content);
        // The Received field prepended above holds no Message-ID.
        let message_id = taken
            .message_id
            .unwrap_or_else(|| format!("<{queue_id}@{hostname}>"));
        let arrival = Arrival {
            id: queue_id.clone(),
            message_id,
            reverse_path: envelope.reverse_path.clone(),
            forward_paths: envelope.forward_paths.clone(),
            content,
            dsn: envelope.params.dsn.clone(),
            rcpt_dsn: envelope
                .forward_paths
                .iter()
                .enumerate()
                .map(|(i, p)| (p.clone(), envelope.dsn_of(i)))
                .collect(),
        };
        for arrival in super::expand::expand(mta, arrival) {
            mta.intake(arrival, Some(self.conn));
        }
        Ok(queue_id)
    }
}
