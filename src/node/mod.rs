//! The machines of the world: mail clients (MUAs), MTAs, DNS servers. Each
//! owns its state and talks to the others only over the network; each wraps
//! sans-IO protocol machines in a thin async driver.
//!
//! * `activity`: how the world knows that nothing is left to do
//! * `epoch`: the real time at the world's zero, and the run's id
//! * `host`: what a node reads beside its section of the plan
//! * `pump`: drives an SMTP server or client machine over a stream
//! * `resolve`: a host's stub resolver over datagrams
//! * `dns_server`, `mta`, `mua`: the three kinds of host

pub mod activity;
pub mod dns_server;
pub mod epoch;
pub mod host;
pub mod mta;
pub mod mua;
pub mod pump;
pub mod resolve;
pub mod tls;

pub use activity::Activity;
pub use epoch::Epoch;
pub use host::HostContext;
