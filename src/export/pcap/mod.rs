//! Captures for Wireshark: the whole run as IP packets, in pcapng (with
//! every host's name) or classic pcap.
//!
//! * `tcp`: one connection of the trace as TCP segments
//! * `packet`: IPv4/IPv6, TCP and UDP headers with their checksums
//! * `pcapng`, `classic`: the two file formats
//!
//! **Where the capture point is.** The world has no wire to tap, so the
//! capture stands where each packet is sent: a packet is recorded once,
//! at the moment its sender puts it on the link (a data segment when the
//! trace says the bytes were sent, an ACK when the trace says they
//! arrived at the other side). A lost DNS datagram therefore appears, sent
//! and never answered, and a SYN to a host that is down appears with its
//! retransmissions. Timestamps are the scenario's start plus the
//! simulated time.
//!
//! Link type: `LINKTYPE_RAW`, packets begin with their IP header. The
//! world has no Ethernet, so inventing MAC addresses would show readers
//! facts that are not in the trace; raw IP also carries IPv4 and IPv6
//! in one interface.
//!
//! Pure functions from the trace to bytes; the caller writes them.

mod classic;
mod packet;
mod pcapng;
pub mod tcp;

use std::collections::HashMap;
use std::net::IpAddr;

use crate::net::network::CONNECT_TIMEOUT;
use crate::trace::{ConnId, Dir, EventKind, Payload, SimTime, Trace};

use packet::{Ends, TcpHeader};
pub use packet::{PROTO_TCP, PROTO_UDP, checksum, flags, transport_checksum};
use tcp::{Connection, Move, Outcome, Segment, Stamp};

/// Packets begin with an IPv4 or IPv6 header (tcpdump.org link types).
pub const LINKTYPE_RAW: u16 = 101;
/// Ethernet's 1500-octet MTU less the IP and TCP headers (RFC 9293 §3.7.1).
pub const MSS_IPV4: usize = 1500 - 20 - 20;
pub const MSS_IPV6: usize = 1500 - 40 - 20;

/// MSS (kind 2) and window scale (kind 3, after a NOP) on every SYN
/// (RFC 9293 §3.2, RFC 7323 §2.2).
const SYN_OPTIONS_V4: [u8; 8] = [
    2,
    4,
    (MSS_IPV4 >> 8) as u8,
    MSS_IPV4 as u8,
    1,
    3,
    3,
    tcp::WINDOW_SHIFT,
];
const SYN_OPTIONS_V6: [u8; 8] = [
    2,
    4,
    (MSS_IPV6 >> 8) as u8,
    MSS_IPV6 as u8,
    1,
    3,
    3,
    tcp::WINDOW_SHIFT,
];

/// One captured packet: when it was sent, and its bytes from the IP
/// header on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    pub at: SimTime,
    pub bytes: Vec<u8>,
}

/// The whole run as a pcapng file; `start_unix_micros` is the Unix time
/// of simulated zero.
pub fn pcapng(trace: &Trace, start_unix_micros: i64) -> Vec<u8> {
    let names: Vec<(IpAddr, &str)> = trace
        .hosts
        .iter()
        .map(|h| (h.ip, h.name.as_str()))
        .collect();
    let mut out = pcapng::header(&names);
    // The world's TLS secrets, so Wireshark reads STARTTLS sessions as the
    // two ends did (classic pcap has no place for them).
    let secrets: Vec<&str> = trace
        .events()
        .iter()
        .flat_map(|e| match &e.kind {
            EventKind::Tls { secrets, .. } => secrets.as_slice(),
            _ => &[],
        })
        .map(String::as_str)
        .collect();
    if !secrets.is_empty() {
        pcapng::secrets(&mut out, &secrets);
    }
    for p in packets(trace) {
        pcapng::packet(&mut out, micros(start_unix_micros, p.at), &p.bytes);
    }
    out
}

/// The whole run as a classic pcap file.
pub fn pcap(trace: &Trace, start_unix_micros: i64) -> Vec<u8> {
    let mut out = classic::header();
    for p in packets(trace) {
        classic::packet(&mut out, micros(start_unix_micros, p.at), &p.bytes);
    }
    out
}

fn micros(start: i64, at: SimTime) -> u64 {
    u64::try_from(start)
        .unwrap_or(0)
        .saturating_add(at.as_micros())
}

/// The client's port of connection `conn`: in the dynamic range
/// 49152-65535 (RFC 6335 §6), from the connection's number, so two runs
/// of a seed give the same capture.
pub fn client_port(conn: ConnId) -> u16 {
    49152 + (conn.0 % 16384) as u16
}

/// A side's initial sequence number. RFC 9293 §3.4.1 wants it hard to
/// guess; a lesson wants it the same every run, so it is a fixed mix of
/// the connection's number and the side.
pub fn isn(conn: ConnId, dir: Dir) -> u32 {
    let side = u64::from(dir == Dir::Down);
    // SplitMix64's finalizer: nearby numbers land far apart.
    let mut z = (u64::from(conn.0) << 1 | side).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) as u32
}

/// A packet before framing: where it goes in the capture, who sends it
/// to whom, and what it carries.
struct Unframed {
    order: (SimTime, u64, u32),
    ends: Ends,
    body: Body,
}

enum Body {
    Tcp {
        header: TcpHeader,
        data: Option<(Payload, std::ops::Range<usize>)>,
    },
    Udp {
        src_port: u16,
        dst_port: u16,
        data: Payload,
    },
}

/// A connection's addresses as the trace gives them.
struct Endpoints {
    client: IpAddr,
    server: IpAddr,
    port: u16,
}

/// Every packet of the run, in the order they were sent.
pub fn packets(trace: &Trace) -> Vec<Packet> {
    let mut conns: Vec<(ConnId, Endpoints, Connection)> = Vec::new();
    let mut by_id: HashMap<ConnId, usize> = HashMap::new();
    let mut wire: Vec<Unframed> = Vec::new();
    for event in trace.events() {
        let stamp = Stamp {
            at: event.at,
            seq: event.seq,
        };
        match &event.kind {
            EventKind::Connect {
                conn,
                from,
                to,
                port,
                ..
            } => {
                let ends = Endpoints {
                    client: trace.host(*from).ip,
                    server: trace.host(*to).ip,
                    port: *port,
                };
                let mss = match Ends::new(ends.client, ends.server).src {
                    IpAddr::V4(_) => MSS_IPV4,
                    IpAddr::V6(_) => MSS_IPV6,
                };
                let connection = Connection {
                    isn: [isn(*conn, Dir::Up), isn(*conn, Dir::Down)],
                    connect: stamp,
                    outcome: Outcome::Open,
                    moves: Vec::new(),
                    mss,
                };
                by_id.insert(*conn, conns.len());
                conns.push((*conn, ends, connection));
            }
            EventKind::Accept { conn } => {
                if let Some(c) = connection(&mut conns, &by_id, *conn) {
                    c.outcome = Outcome::Accepted(stamp);
                }
            }
            EventKind::Refused { conn } => {
                if let Some(c) = connection(&mut conns, &by_id, *conn) {
                    c.outcome = Outcome::Refused(stamp);
                }
            }
            EventKind::Unreachable { conn } => {
                if let Some(c) = connection(&mut conns, &by_id, *conn) {
                    c.outcome = Outcome::Unreachable(stamp);
                }
            }
            // The wire carries the records, not the plaintext inside.
            EventKind::Bytes { arrives, .. } | EventKind::Tls { arrives, .. } => {
                if let Some((conn, dir, data)) = event.kind.wire()
                    && let Some(c) = connection(&mut conns, &by_id, conn)
                {
                    c.moves.push(Move::Bytes {
                        dir,
                        sent: stamp,
                        arrives: *arrives,
                        data: data.clone(),
                    });
                }
            }
            EventKind::Close { conn, dir, arrives } => {
                if let Some(c) = connection(&mut conns, &by_id, *conn) {
                    c.moves.push(Move::Close {
                        dir: *dir,
                        sent: stamp,
                        arrives: *arrives,
                    });
                }
            }
            EventKind::Reset { conn, .. } => {
                if let Some(c) = connection(&mut conns, &by_id, *conn) {
                    c.moves.push(Move::Reset { at: stamp });
                }
            }
            EventKind::NoRoute { from, ip, port } => {
                // Nobody has the address: SYNs into the void from when the
                // attempt began, the connect timeout before this event.
                let began = Stamp {
                    at: SimTime::from(event.at.duration().saturating_sub(CONNECT_TIMEOUT)),
                    seq: event.seq,
                };
                let ends = Endpoints {
                    client: trace.host(*from).ip,
                    server: *ip,
                    port: *port,
                };
                let src_port = 49152 + (event.seq % 16384) as u16;
                let isn = isn(ConnId(u32::MAX), Dir::Up) ^ event.seq as u32;
                for seg in tcp::unanswered(began, event.at, isn) {
                    wire.push(tcp_packet(&ends, src_port, seg));
                }
            }
            EventKind::Datagram {
                from,
                from_port,
                to,
                to_port,
                data,
                ..
            } => wire.push(Unframed {
                order: (event.at, event.seq, 0),
                ends: Ends::new(trace.host(*from).ip, trace.host(*to).ip),
                body: Body::Udp {
                    src_port: *from_port,
                    dst_port: *to_port,
                    data: data.clone(),
                },
            }),
            _ => {}
        }
    }
    for (id, ends, connection) in &conns {
        let port = client_port(*id);
        for seg in tcp::segments(connection) {
            wire.push(tcp_packet(ends, port, seg));
        }
    }
    wire.sort_by_key(|u| u.order);
    frame(wire)
}

fn connection<'a>(
    conns: &'a mut [(ConnId, Endpoints, Connection)],
    by_id: &HashMap<ConnId, usize>,
    id: ConnId,
) -> Option<&'a mut Connection> {
    by_id.get(&id).map(|&i| &mut conns[i].2)
}

fn tcp_packet(ends: &Endpoints, client_port: u16, seg: Segment) -> Unframed {
    let (src, dst, src_port, dst_port) = match seg.from {
        Dir::Up => (ends.client, ends.server, client_port, ends.port),
        Dir::Down => (ends.server, ends.client, ends.port, client_port),
    };
    let ends = Ends::new(src, dst);
    let options: &'static [u8] = match (seg.syn_options, ends.src) {
        (false, _) => &[],
        (true, IpAddr::V4(_)) => &SYN_OPTIONS_V4,
        (true, IpAddr::V6(_)) => &SYN_OPTIONS_V6,
    };
    Unframed {
        order: seg.order,
        ends,
        body: Body::Tcp {
            header: TcpHeader {
                src_port,
                dst_port,
                seq: seg.seq,
                ack: seg.ack,
                flags: seg.flags,
                window: seg.window,
                options,
            },
            data: seg.data,
        },
    }
}

/// Frames the packets in capture order; each sender numbers its IPv4
/// datagrams (the Identification field) from zero.
fn frame(wire: Vec<Unframed>) -> Vec<Packet> {
    let mut ident: HashMap<IpAddr, u16> = HashMap::new();
    wire.into_iter()
        .map(|u| {
            let next = ident.entry(u.ends.src).or_insert(0);
            let id = *next;
            *next = next.wrapping_add(1);
            let bytes = match &u.body {
                Body::Tcp { header, data } => {
                    let payload = data
                        .as_ref()
                        .map_or(&[][..], |(d, r)| &d.as_bytes()[r.clone()]);
                    packet::tcp(u.ends, id, header, payload)
                }
                Body::Udp {
                    src_port,
                    dst_port,
                    data,
                } => packet::udp(u.ends, id, *src_port, *dst_port, data.as_bytes()),
            };
            Packet {
                at: u.order.0,
                bytes,
            }
        })
        .collect()
}
