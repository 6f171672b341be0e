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
