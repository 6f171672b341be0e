//! The test [`Pair`](crate::session::pair::Pair) for SMTP: a client session
//! and a server session with its policy, built from their configurations.

use std::time::Instant;

use super::client::{ClientConfig, ClientSession, Transaction};
use super::policy::{Peer, Policy};
use super::server::{ServerConfig, ServerSession};

pub use crate::session::pair::{Direction, Tamper};

/// An SMTP client and server talking in memory; `P` is the server's policy.
pub type Pair<P> = crate::session::pair::Pair<ClientSession, ServerSession, P>;

impl<P: Policy> Pair<P> {
    /// A client that will send `transactions`, and a server that greets it
    /// at `now`.
    pub fn new(
        client: ClientConfig,
        transactions: Vec<Transaction>,
        server: ServerConfig,
        mut policy: P,
        now: Instant,
    ) -> Pair<P> {
        let server = ServerSession::new(server, Peer::default(), now, &mut policy);
        let client = ClientSession::new(client, transactions, now);
        Pair::connect(client, server, policy, now)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::session::CloseReason;
    use crate::smtp::address::{ForwardPath, Mailbox, ReversePath};
    use crate::smtp::client::{ClientEvent, ClientTimeouts};
    use crate::smtp::policy::SimplePolicy;
    use crate::smtp::server::{SERVER_TIMEOUT, ServerEvent};

    fn letter() -> Transaction {
        let mailbox = |s: &str| Mailbox::parse(s).unwrap();
        Transaction {
            reverse_path: ReversePath::Mailbox(mailbox("alice@example.org")),
            forward_paths: vec![ForwardPath::Mailbox(mailbox("bob@example.net"))],
            content: b"Subject: hi\r\n\r\nHello.\r\n".to_vec(),
        }
    }

    fn pair(client: ClientConfig, now: Instant) -> Pair<SimplePolicy> {
        let policy = SimplePolicy::for_domain("example.net", &["bob"]);
        Pair::new(
            client,
            vec![letter()],
            ServerConfig::new("mx.example.net"),
            policy,
            now,
        )
    }

    fn closed(p: &Pair<SimplePolicy>) -> Option<CloseReason> {
        p.server_events().iter().find_map(|e| match e {
            ServerEvent::Closed { reason } => Some(*reason),
            _ => None,
        })
    }

    #[test]
    fn stepping_delivers_a_message_and_stops_when_both_are_closed() {
        let start = Instant::now();
        let mut p = pair(ClientConfig::new("client.example"), start);
        p.run();
        assert!(p.client.is_closed() && p.server.is_closed());
        assert_eq!(closed(&p), Some(CloseReason::Quit));
        assert!(
            p.server_events()
                .iter()
                .any(|e| matches!(e, ServerEvent::MessageReceived { .. }))
        );
        assert_eq!(p.now, start, "no latency, no timeout: no time passed");
        assert!(!p.step());
    }

    #[test]
    fn idle_client_is_cut_off_with_421_when_stepping_reaches_the_timeout_rfc5321_4_5_3_2_7() {
        let start = Instant::now();
        // The client would wait an hour; the server waits its 5 minutes.
        let mut client = ClientConfig::new("client.example");
        client.timeouts = ClientTimeouts {
            command: Duration::from_secs(3600),
            ..ClientTimeouts::default()
        };
        let mut p = pair(client, start);
        // Everything after EHLO is lost on the way: the server hears nothing more.
        p.tamper(Box::new(|dir, bytes| {
            if dir == Direction::ClientToServer && !bytes.starts_with(b"EHLO") {
                bytes.clear();
            }
        }));
        p.drive();
        assert!(!p.server.is_closed(), "drive never fires a timer");
        p.run();
        assert_eq!(p.now, start + SERVER_TIMEOUT);
        assert_eq!(closed(&p), Some(CloseReason::Timeout));
        assert!(p.client.is_closed());
        assert!(
            p.transcript()
                .iter()
                .any(|(d, l)| *d == Direction::ServerToClient
                    && l.starts_with("421 4.4.2 mx.example.net Timeout"))
        );
        assert!(matches!(
            p.client_events().last(),
            Some(ClientEvent::Closed)
        ));
    }

    #[test]
    fn each_direction_has_its_own_latency() {
        let start = Instant::now();
        let mut p = pair(
            ClientConfig::new("client.example").without_pipelining(),
            start,
        );
        p.latency_to_server = Duration::from_millis(30);
        p.latency_to_client = Duration::from_millis(70);
        p.drive();
        assert!(p.server.is_closed() && p.client.is_closed());
        // The greeting, then one round trip per command without
        // pipelining: EHLO, MAIL, RCPT, DATA, the message, QUIT.
        assert_eq!(p.now - start, Duration::from_millis(70 + 6 * 100));
    }
}
