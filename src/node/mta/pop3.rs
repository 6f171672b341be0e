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

impl Mailboxes<'_> {
    fn address(&self, user: &str) -> Option<String> {
        let state = self.mta.state.borrow();
        let user = user.to_lowercase();
        state
            .config
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
            .config
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
                    .map(|s| (s.uid.clone(), Arc::clone(&s.content)))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn delete(&mut self, user: &str, uids: &[String]) {
        let Some(address) = self.address(user) else {
            return;
        };
        if let Some(mailbox) = self.mta.state.borrow_mut().mailboxes.get_mut(&address) {
            mailbox.retain(|s| !uids.contains(&s.uid));
        }
        self.mta.net.record(EventKind::Removed {
            host: self.mta.net.host(),
            mailbox: address,
            uids: uids.to_vec(),
        });
    }
}

pub(crate) async fn listen(mta: Mta) {
    let mut listener = mta.net.listen(110);
    while let Some(mut stream) = listener.accept().await {
        let job = mta.activity.begin();
        let mta = mta.clone();
        tokio::task::spawn_local(async move {
            let hostname = mta.state.borrow().config.hostname.clone();
            // POP3 receives no message: `max_size` has nothing to bound.
            let limits = bounded(&stream, Pop3Server::default_limits());
            let mut server = Pop3Server::with_limits(&hostname, limits, mta.net.instant());
            let mut maildrop = Mailboxes { mta: &mta };
            drive_server(&mta.net, &mut stream, &mut server, &mut maildrop, |_| {}).await;
            drop(job);
        });
    }
}
