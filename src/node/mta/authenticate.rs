//! Sender authentication at the MTA, as Postfix with a policy service for
//! SPF, OpenDKIM and OpenDMARC does it:
//!
//! * at MAIL FROM, SPF for the client's address and the sender's domain
//!   (HELO's when the sender is `<>`); with `spf_reject`, a fail is
//!   refused with 550 5.7.23 (RFC 7372 §3.2);
//! * at the end of data, every DKIM signature, then DMARC for the From
//!   domain; with `dmarc_enforce`, `p=reject` is refused with 550 5.7.26
//!   (RFC 7372 §3.4) and `p=quarantine` is delivered with a flag;
//! * on the message it takes, `Authentication-Results:` and
//!   `Received-SPF:` under its own `Received:`;
//! * on its own users' mail (authenticated, or from its relay networks),
//!   a `DKIM-Signature` for the From domain when it holds that domain's key.
//!
//! Each lookup goes through the host's stub resolver: real queries on the
//! world's network, in the trace like the MX lookups of delivery.

use std::borrow::Cow;

use rand::RngExt;

use super::policy::MtaPolicy;
use crate::auth::results::QUARANTINE_FIELD;
use crate::auth::spf::{Identity, SpfOutcome, SpfResult};
use crate::auth::{dkim, dmarc, results, spf};
use crate::mail::prepend;
use crate::node::resolve::StubResolver;
use crate::smtp::{EnhancedCode, Peer, Reply, ReversePath};

/// One session's checks: what waits to be settled, and what was found.
#[derive(Debug, Default)]
pub(crate) struct Checks {
    pending: Option<Pending>,
    /// The SPF outcome of the open transaction.
    spf: Option<(Identity, SpfOutcome)>,
    sender_verdict: Option<Reply>,
    message_verdict: Option<Reply>,
    /// Fields to put on the message when it is taken.
    fields: Vec<String>,
}

#[derive(Debug)]
enum Pending {
    Sender(Identity),
    Message(Vec<u8>),
}

impl MtaPolicy {
    /// Checks apply to mail from other servers: not to its own users.
    fn verifies(&self, peer: &Peer) -> bool {
        use crate::smtp::Policy;
        self.mta.state.borrow().plan.auth.verify && !self.may_relay(peer)
    }

    pub(super) fn hold_for_spf(&mut self, from: &ReversePath, peer: &Peer) -> bool {
        self.checks = Checks::default();
        let Some(ip) = peer.ip else {
            return false;
        };
        if !self.verifies(peer) {
            return false;
        }
        let sender = match from {
            ReversePath::Null => None,
            path => Some(path.to_string().trim_matches(['<', '>']).to_owned()),
        };
        let helo = peer.helo.clone().unwrap_or_default();
        let identity = Identity::of(ip, sender.as_deref(), &helo);
        self.checks.pending = Some(Pending::Sender(identity));
        true
    }

    pub(super) fn hold_for_dkim(&mut self, content: &[u8], peer: &Peer) -> bool {
        if self.checks.spf.is_none() || !self.verifies(peer) {
            return false;
        }
        self.checks.pending = Some(Pending::Message(content.to_vec()));
        true
    }

    pub(super) fn take_sender_verdict(&mut self) -> Option<Reply> {
        self.checks.sender_verdict.take()
    }

    pub(super) fn take_message_verdict(&mut self) -> Option<Reply> {
        self.checks.message_verdict.take()
    }

    /// What the checks add to a message taken: the header fields of the
    /// receiver, or the signature of the sender's own domain.
    /// Borrowed when nothing is added (most mail): the caller's copy with
    /// its `Received:` on top is then the only one.
    pub(super) fn authenticate<'a>(&mut self, content: &'a [u8], peer: &Peer) -> Cow<'a, [u8]> {
        let fields = std::mem::take(&mut self.checks.fields);
        if !fields.is_empty() {
            let hostname = self.mta.state.borrow().host.hostname.clone();
            let content = results::strip_own(content, &hostname);
            return Cow::Owned(fields.iter().rev().fold(content, |c, f| prepend(&c, f)));
        }
        self.sign(content, peer)
    }

    /// A DKIM signature for mail of its own users, when it holds the key
    /// of the From domain (RFC 6376 §5).
    fn sign<'a>(&self, content: &'a [u8], peer: &Peer) -> Cow<'a, [u8]> {
        use crate::smtp::Policy;
        if !self.may_relay(peer) {
            return Cow::Borrowed(content);
        }
        let state = self.mta.state.borrow();
        // No key, no signature: the From field is not even read.
        if state.plan.auth.signers.is_empty() {
            return Cow::Borrowed(content);
        }
        let Ok(domain) = dmarc::author_domain(content) else {
            return Cow::Borrowed(content);
        };
        let Some(signer) = state.plan.auth.signers.iter().find(|s| s.domain == domain) else {
            return Cow::Borrowed(content);
        };
        let now = self.mta.now().unix;
        let field = dkim::sign(content, &signer.key, &signer.domain, &signer.selector, now);
        Cow::Owned(prepend(content, &field))
    }
}

impl MtaPolicy {
    /// Runs the checks a held command or message waits for.
    pub(super) async fn run_checks(&mut self) {
        let Some(pending) = self.checks.pending.take() else {
            return;
        };
        let (resolver, hostname, plan) = {
            let state = self.mta.state.borrow();
            (
                state.host.resolver,
                state.host.hostname.clone(),
                state.plan.auth.clone(),
            )
        };
        let mut dns = StubResolver::new(&self.mta.net, resolver);
        match pending {
            Pending::Sender(identity) => {
                let outcome = spf::check_host(&mut dns, &identity).await;
                self.checks.sender_verdict = plan
                    .spf_reject
                    .then(|| spf_refusal(&identity, &outcome))
                    .flatten();
                self.checks.spf = Some((identity, outcome));
            }
            Pending::Message(content) => {
                let Some((identity, spf)) = self.checks.spf.clone() else {
                    return;
                };
                let now = self.mta.now().unix;
                let signatures = dkim::verify(&mut dns, &content, now).await;
                let verdict = match dmarc::author_domain(&content) {
                    Ok(from) => {
                        let roll = self.mta.net.with_rng(|rng| rng.random_range(0..100u8));
                        Some(dmarc::evaluate(&mut dns, &from, &spf, &signatures, roll).await)
                    }
                    Err(_) => None,
                };
                let mut fields = vec![
                    results::authentication_results(
                        &hostname,
                        &identity,
                        &spf,
                        &signatures,
                        verdict.as_ref(),
                    ),
                    results::received_spf(&hostname, &identity, &spf),
                ];
                if let Some(v) = verdict
                    .as_ref()
                    .filter(|v| plan.dmarc_enforce && v.result == dmarc::DmarcResult::Fail)
                {
                    match v.disposition {
                        dmarc::Policy::Reject => self.checks.message_verdict = Some(dmarc_refusal(v)),
                        dmarc::Policy::Quarantine => fields.push(format!(
                            "{QUARANTINE_FIELD}: yes (DMARC policy of {} is quarantine; SPF and DKIM did not pass for an aligned domain)\r\n",
                            v.from_domain
                        )),
                        dmarc::Policy::None => {}
                    }
                }
                self.checks.fields = fields;
            }
        }
    }
}

/// 550 5.7.23 for an SPF fail; 451 4.7.24 when SPF could not be checked
/// now (RFC 7208 §8.6, RFC 7372 §3.2).
fn spf_refusal(identity: &Identity, outcome: &SpfOutcome) -> Option<Reply> {
    let domain = identity.domain();
    match outcome.result {
        SpfResult::Fail => Some(Reply::new(
            550,
            Some(EnhancedCode::new(5, 7, 23)),
            format!(
                "SPF: {} is not allowed to send mail from {domain} (RFC 7208)",
                identity.ip
            ),
        )),
        SpfResult::TempError => Some(Reply::new(
            451,
            Some(EnhancedCode::new(4, 7, 24)),
            format!("SPF: temporary DNS error checking {domain}; try again later (RFC 7208)"),
        )),
        _ => None,
    }
}

/// 550 5.7.26: the From domain says reject what fails DMARC (RFC 7489
/// §6.6.4, RFC 7372 §3.4).
fn dmarc_refusal(v: &dmarc::DmarcOutcome) -> Reply {
    Reply::new(
        550,
        Some(EnhancedCode::new(5, 7, 26)),
        format!(
            "Unauthenticated email from {} is not accepted due to domain's DMARC policy (RFC 7489)",
            v.from_domain
        ),
    )
}
