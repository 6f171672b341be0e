//! Mailbox access: the POP3 service on port 110, so that recipients fetch
//! what SMTP delivered (RFC 1939). Deletions happen only at QUIT.

use super::Mta;
use crate::node::pump::{bounded, drive_server};
use crate::pop3::{Maildrop, Pop3Server};
use crate::trace::EventKind;
use std::sync::Arc;

/// The MTA's mailboxes as POP3 sees them; a user logs in with the full
/// address or its local part.
struct Mailboxes<'a> {
    mta: &'a Mta,
}

impl crate::session::Settle for Mailboxes<'_> {}

impl Mailboxes<'_> {
    fn address(&self, user: &str) -> Option<String> {
        let state = self.mta.state.borrow();
        let user = user.to_lowercase();
        state
            .plan
            .mailboxes
            .keys()
            .find(|a| **a == user || a.split('@').next() == Some(user.as_str()))
            .cloned()
    }
}

impl Maildrop for Mailboxes<'_> {
    fn authenticate(&mut self, user: &str, password: &str) -> bool {
        let Some(address) = self.address(user) else {
            return false;
        };
        self.mta
            .state
            .borrow()
            .plan
            .mailboxes
            .get(&address)
            .is_some_and(|p| p == password)
    }

    fn open(&mut self, user: &str) -> Vec<(String, Arc<[u8]>)> {
        let Some(address) = self.address(user) else {
            return Vec::new();
        };
        let state = self.mta.state.borrow();
        state
            .mailboxes
            .get(&address)
            .map(|m| {
                m.iter()
                    .map(|s| (s.uid.clone(), Arc::from(s.content.as_bytes())))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn delete(&mut self, user: &str, uids: &[String]) {
        let Some(address) = self.address(user) else {
            return;
        };
        if let Some(mailbox) = self.mta.state.borrow_mut().mailboxes.get_mut(&address) {
            // A set: a client that deletes all it fetched (the soak's, every
            // second) must not pay the mailbox times the deletions.
            let gone: std::collections::HashSet<&str> = uids.iter().map(String::as_str).collect();
            mailbox.retain(|s| !gone.contains(s.uid.as_str()));
        }
        self.mta.net.record(EventKind::Removed {
            host: self.mta.net.host(),
            mailbox: address,
            uids: uids.to_vec().into(),
        });
    }
}

/// A unique-id is 1 to 70 characters from `!` to `~` (RFC 1939 §7).
const UID_MAX: usize = 70;

/// The unique-id of the `n`th message stored on `hostname`: the host and a
/// count, so the same seed gives the same ids; with a run id between them
/// where real clients read the maildrop. A client that leaves mail on the
/// server remembers the ids it has seen and skips a new message that comes
/// back under an old id, and a restart starts the count again (RFC 1939 §7:
/// "The server should never reuse an unique-id in a given maildrop").
/// The host name gives way when the whole would pass 70 characters: the
/// run id and the count are what make the id unique.
pub(super) fn unique_id(hostname: &str, run: Option<&str>, n: u64) -> String {
    let printable = |c: &char| ('!'..='~').contains(c);
    let tail: String = match run {
        Some(run) => format!(".{run}.{n}"),
        None => format!(".{n}"),
    }
    .chars()
    .filter(printable)
    .collect();
    let room = UID_MAX.saturating_sub(tail.len());
    let host: String = hostname.chars().filter(printable).take(room).collect();
    host + &tail
}

pub(crate) async fn listen(mta: Mta) {
    let mut listener = mta.net.listen(110);
    while let Some(mut stream) = listener.accept().await {
        let job = mta.activity.begin();
        let mta = mta.clone();
        tokio::task::spawn_local(async move {
            let hostname = mta.state.borrow().host.hostname.clone();
            // POP3 receives no message: `max_size` has nothing to bound.
            let limits = bounded(&stream, Pop3Server::default_limits());
            let mut server = Pop3Server::with_limits(&hostname, limits, mta.net.instant());
            let mut maildrop = Mailboxes { mta: &mta };
            drive_server(
                &mta.net,
                &mut stream,
                &mut server,
                &mut maildrop,
                None,
                |_| {},
            )
            .await;
            drop(job);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::Epoch;
    use std::collections::BTreeSet;

    #[test]
    fn a_simulated_world_names_messages_by_host_and_count() {
        assert_eq!(unique_id("mx.example.net", None, 1), "mx.example.net.1");
        assert_eq!(unique_id("mx.example.net", None, 12), "mx.example.net.12");
    }

    #[test]
    fn uids_never_reused_across_restarts_rfc1939_7() {
        // Two runs of one world: each counts from 1, yet no id of the
        // second is an id of the first.
        let (first, second) = (Epoch::wall_clock(), Epoch::wall_clock());
        let ids = |epoch: &Epoch| -> BTreeSet<String> {
            (1..=200)
                .map(|n| unique_id("mx.example.net", epoch.run_id(), n))
                .collect()
        };
        let (a, b) = (ids(&first), ids(&second));
        assert_eq!((a.len(), b.len()), (200, 200));
        assert!(a.is_disjoint(&b), "{a:?} and {b:?} share an id");
        let one = unique_id("mx.example.net", first.run_id(), 1);
        assert!(
            one.starts_with("mx.example.net.") && one.ends_with(".1"),
            "{one}"
        );
    }

    #[test]
    fn unique_ids_are_1_to_70_characters_from_0x21_to_0x7e_rfc1939_7() {
        let long = format!("{}.example.net", "a".repeat(63).repeat(3));
        let run = Epoch::wall_clock();
        for (host, run) in [
            ("mx.example.net", None),
            ("mx.example.net", run.run_id()),
            (long.as_str(), run.run_id()),
            ("bücher.example", run.run_id()),
            ("", None),
        ] {
            let mut seen = BTreeSet::new();
            for n in [1, 2, 10, u64::MAX - 1, u64::MAX] {
                let id = unique_id(host, run, n);
                assert!(
                    (1..=70).contains(&id.len()),
                    "{id:?}: {} characters",
                    id.len()
                );
                assert!(id.bytes().all(|b| (0x21..=0x7e).contains(&b)), "{id:?}");
                assert!(id.ends_with(&format!(".{n}")), "{id:?} lost its count");
                seen.insert(id);
            }
            assert_eq!(
                seen.len(),
                5,
                "cutting the host name made ids collide: {seen:?}"
            );
        }
    }
}
