//! The virtual network: hosts with addresses, links with latency and
//! faults, reliable streams (TCP-like) and datagrams (UDP-like), and the
//! taps that write everything that crosses it into the trace.
//!
//! * `link`: latency, jitter, loss, down windows
//! * `medium`: what every transport shares: clock, links, seeded RNGs and
//!   the tap into the trace
//! * `clock`: the paused clock, read once per turn of the runtime
//! * `delay`: things in flight until their arrival time
//! * `flight`: one direction of a pipe, on one thread
//! * `network`: the registry of listeners and ports, and the only module
//!   that knows every transport
//! * `stream`: listeners, and connections of either kind:
//! * `pipe`: in-memory connections between simulated hosts
//! * `socket`: real TCP connections to machines outside the world
//! * `datagram`: sockets for DNS
//! * `stop`: the world's stop, and the sessions that wait for it
//! * `tap`: where a live world's events go
//! * `wait`: ends waiting for a notice, woken in the order they began

pub mod clock;
pub mod datagram;
mod delay;
mod flight;
pub mod link;
mod medium;
pub mod network;
pub mod pipe;
pub mod prefix;
pub mod socket;
mod stop;
pub mod stream;
mod tap;
mod wait;

pub use datagram::DatagramSocket;
pub use link::{Link, Window};
pub use medium::{Durable, OnDisk};
pub use network::{ConnectError, NetHandle, Network};
pub use pipe::SimStream;
pub use socket::{Limits, RealStream, Slot};
pub use stream::{Listener, Stream};
pub use tap::{Gone, Tap};
