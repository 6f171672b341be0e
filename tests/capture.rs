//! Captures for Wireshark (`mailflow run NAME --format pcapng`): the run as
//! IP packets that a capture reader takes for real traffic.
//!
//! The first half reads the packets with a small parser of its own and
//! checks the rules of IP, TCP and UDP, and that the bytes of every
//! connection are the trace's bytes. The second half asks `tshark` (it
//! skips, loudly, where tshark is missing; under
//! `MAILFLOW_REQUIRE_REAL_CLIENTS` it fails instead).

#[path = "support/serve.rs"]
mod serve;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::process::Command;
use std::time::Duration;

use mailflow::export::pcap::{self, Packet, client_port, flags};
use mailflow::scenario::{self, bundled};
use mailflow::sim;
use mailflow::trace::{
    ConnId, Dir, EventKind, HostId, HostInfo, Payload, Protocol, Role, SimTime, Trace,
};

// ------------------------------------------------------------ the runs

fn run(name: &str) -> (Trace, i64) {
    let plan = scenario::load(name).expect("a bundled scenario loads").plan;
    let start = plan.start_unix * 1_000_000;
    (sim::run(&plan).trace, start)
}

fn runs() -> Vec<(&'static str, Trace)> {
    bundled::names()
        .into_iter()
        .map(|name| (name, run(name).0))
        .collect()
}

fn ms(n: u64) -> SimTime {
    SimTime::from(Duration::from_millis(n))
}

fn host(name: &str, ip: IpAddr, role: Role) -> HostInfo {
    HostInfo {
        name: name.to_owned(),
        ip,
        role,
        down: Vec::new(),
        label: None,
    }
}

/// Plain bytes on a connection, arriving at `arrives`.
fn bytes_on(conn: ConnId, dir: Dir, arrives: SimTime, data: &[u8]) -> EventKind {
    EventKind::Bytes {
        conn,
        dir,
        arrives,
        data: Payload::new(data),
        sealed: None,
    }
}

/// A hand-written trace with what no bundled scenario has: a refused
/// connect, an unreachable host, a lost datagram, a reply larger than
/// many segments, a host with an IPv6 address and a cut connection.
fn edge_trace() -> Trace {
    let v4 = |d| IpAddr::V4(Ipv4Addr::new(192, 0, 2, d));
    let mut t = Trace::new(vec![
        host("client.example.org", v4(10), Role::Client),
        host("mta.example.org", v4(25), Role::Mta),
        host("ns.example.org", v4(53), Role::Dns),
        host(
            "v6.example.net",
            IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x25)),
            Role::Mta,
        ),
    ]);
    let (c, m, ns, v6) = (HostId(0), HostId(1), HostId(2), HostId(3));
    let connect = |conn, from, to, port| EventKind::Connect {
        conn: ConnId(conn),
        from,
        to,
        port,
        protocol: Protocol::from_port(port),
        real: None,
    };
    // Nobody listens on 110: refused after one round trip.
    t.push(ms(0), connect(0, c, m, 110));
    t.push(ms(10), EventKind::Refused { conn: ConnId(0) });
    // A query lost on the way, then one answered.
    let query = Payload::new(b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x02mx\x07example\x03org\x00\x00\x01\x00\x01");
    let datagram = |arrives| EventKind::Datagram {
        from: c,
        from_port: 40000,
        to: ns,
        to_port: 53,
        arrives,
        data: query.clone(),
    };
    t.push(ms(20), datagram(None));
    t.push(ms(30), datagram(Some(ms(35))));
    // The host is down: 30 s of unanswered SYNs.
    t.push(ms(40), connect(1, c, m, 25));
    t.push(
        SimTime::from(Duration::from_millis(30_040)),
        EventKind::Unreachable { conn: ConnId(1) },
    );
    // An SMTP session over IPv6 (the client's v4 address IPv4-mapped)
    // with a 10,000-octet line from the server, both sides closing.
    let big: Vec<u8> = (0..10_000u32).map(|i| b'a' + (i % 26) as u8).collect();
    let conn = ConnId(2);
    let bytes = |dir, arrives, data: &[u8]| bytes_on(conn, dir, arrives, data);
    t.push(ms(31_000), connect(2, c, v6, 25));
    t.push(ms(31_005), EventKind::Accept { conn });
    t.push(
        ms(31_005),
        bytes(Dir::Down, ms(31_010), b"220 v6.example.net ESMTP\r\n"),
    );
    t.push(ms(31_010), bytes(Dir::Up, ms(31_015), b"HELP\r\n"));
    t.push(ms(31_015), bytes(Dir::Down, ms(31_020), &big));
    t.push(ms(31_020), bytes(Dir::Up, ms(31_025), b"QUIT\r\n"));
    t.push(ms(31_025), bytes(Dir::Down, ms(31_030), b"221 bye\r\n"));
    t.push(
        ms(31_025),
        EventKind::Close {
            conn,
            dir: Dir::Down,
            arrives: ms(31_030),
        },
    );
    t.push(
        ms(31_030),
        EventKind::Close {
            conn,
            dir: Dir::Up,
            arrives: ms(31_035),
        },
    );
    // A session cut by a reset while the client's EHLO is on the way.
    let conn = ConnId(3);
    let bytes = |dir, arrives, data: &[u8]| bytes_on(conn, dir, arrives, data);
    t.push(ms(32_000), connect(3, c, m, 25));
    t.push(ms(32_005), EventKind::Accept { conn });
    t.push(
        ms(32_005),
        bytes(Dir::Down, ms(32_010), b"220 mta.example.org ESMTP\r\n"),
    );
    t.push(ms(32_010), bytes(Dir::Up, ms(32_015), b"EHLO client\r\n"));
    t.push(
        ms(32_012),
        EventKind::Reset {
            conn,
            why: "a reset on the link".to_owned(),
        },
    );
    t
}

// ------------------------------------------------- a reader of our own

/// RFC 1071, written again here so the test does not trust the writer's.
fn ones_sum(bytes: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for pair in bytes.chunks(2) {
        let hi = u32::from(pair[0]) << 8;
        sum += hi | pair.get(1).map_or(0, |&b| u32::from(b));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum as u16
}

#[derive(Debug, Clone)]
struct Ip {
    at: SimTime,
    src: IpAddr,
    dst: IpAddr,
    proto: u8,
    /// The IPv4 header's own checksum verifies (always true for IPv6).
    header_ok: bool,
    transport: Vec<u8>,
}

impl Ip {
    fn parse(p: &Packet) -> Ip {
        let b = &p.bytes;
        match b[0] >> 4 {
            4 => {
                let ihl = usize::from(b[0] & 0x0f) * 4;
                let total = usize::from(u16::from_be_bytes([b[2], b[3]]));
                assert_eq!(total, b.len(), "IPv4 total length is the packet's length");
                let v4 = |o: usize| IpAddr::V4(Ipv4Addr::new(b[o], b[o + 1], b[o + 2], b[o + 3]));
                Ip {
                    at: p.at,
                    src: v4(12),
                    dst: v4(16),
                    proto: b[9],
                    header_ok: ones_sum(&b[..ihl]) == 0xffff,
                    transport: b[ihl..].to_vec(),
                }
            }
            6 => {
                let len = usize::from(u16::from_be_bytes([b[4], b[5]]));
                assert_eq!(len + 40, b.len(), "IPv6 payload length");
                let v6 = |o: usize| {
                    let a: [u8; 16] = b[o..o + 16].try_into().unwrap();
                    IpAddr::V6(Ipv6Addr::from(a))
                };
                Ip {
                    at: p.at,
                    src: v6(8),
                    dst: v6(24),
                    proto: b[6],
                    header_ok: true,
                    transport: b[40..].to_vec(),
                }
            }
            v => panic!("IP version {v}"),
        }
    }

    /// The pseudo-header (RFC 9293 §3.1, RFC 8200 §8.1) and the segment
    /// sum to all ones when the checksum is right.
    fn transport_ok(&self) -> bool {
        let mut pseudo = Vec::new();
        let len = self.transport.len() as u32;
        match (self.src, self.dst) {
            (IpAddr::V4(s), IpAddr::V4(d)) => {
                pseudo.extend_from_slice(&s.octets());
                pseudo.extend_from_slice(&d.octets());
                pseudo.extend_from_slice(&[0, self.proto]);
                pseudo.extend_from_slice(&(len as u16).to_be_bytes());
            }
            (IpAddr::V6(s), IpAddr::V6(d)) => {
                pseudo.extend_from_slice(&s.octets());
                pseudo.extend_from_slice(&d.octets());
                pseudo.extend_from_slice(&len.to_be_bytes());
                pseudo.extend_from_slice(&[0, 0, 0, self.proto]);
            }
            _ => panic!("one family per header"),
        }
        pseudo.extend_from_slice(&self.transport);
        ones_sum(&pseudo) == 0xffff
    }

    fn ports(&self) -> (u16, u16) {
        let t = &self.transport;
        (
            u16::from_be_bytes([t[0], t[1]]),
            u16::from_be_bytes([t[2], t[3]]),
        )
    }

    fn tcp(&self) -> Option<Tcp> {
        if self.proto != 6 {
            return None;
        }
        let t = &self.transport;
        let offset = usize::from(t[12] >> 4) * 4;
        let (sport, dport) = self.ports();
        Some(Tcp {
            src: (self.src, sport),
            dst: (self.dst, dport),
            seq: u32::from_be_bytes(t[4..8].try_into().unwrap()),
            ack: u32::from_be_bytes(t[8..12].try_into().unwrap()),
            flags: t[13],
            options: t[20..offset].to_vec(),
            payload: t[offset..].to_vec(),
            at: self.at,
        })
    }
}

#[derive(Debug, Clone)]
struct Tcp {
    src: (IpAddr, u16),
    dst: (IpAddr, u16),
    seq: u32,
    ack: u32,
    flags: u8,
    options: Vec<u8>,
    payload: Vec<u8>,
    at: SimTime,
}

impl Tcp {
    fn has(&self, f: u8) -> bool {
        self.flags & f == f
    }

    /// Sequence space it takes: payload, and one each for SYN and FIN.
    fn len(&self) -> u32 {
        self.payload.len() as u32
            + u32::from(self.has(flags::SYN))
            + u32::from(self.has(flags::FIN))
    }
}

fn parsed(trace: &Trace) -> Vec<Ip> {
    pcap::packets(trace).iter().map(Ip::parse).collect()
}

/// A connection's segments in capture order, keyed by its four-tuple as
/// (client, server).
/// An address and a port.
type End = (IpAddr, u16);
/// Each connection's segments by (client, server).
type Flows = BTreeMap<(End, End), Vec<Tcp>>;

fn conversations(packets: &[Ip]) -> Flows {
    let mut out: BTreeMap<_, Vec<Tcp>> = BTreeMap::new();
    for seg in packets.iter().filter_map(Ip::tcp) {
        // The client's port is the ephemeral one.
        let key = if seg.src.1 >= 49152 {
            (seg.src, seg.dst)
        } else {
            (seg.dst, seg.src)
        };
        out.entry(key).or_default().push(seg);
    }
    out
}

/// The conversation of `conn` in the capture, by its client port.
fn flow_of(flows: &Flows, conn: ConnId) -> &[Tcp] {
    let port = client_port(conn);
    flows
        .iter()
        .find(|(k, _)| k.0.1 == port)
        .map(|(_, v)| v.as_slice())
        .unwrap_or(&[])
}

fn every_trace() -> Vec<(&'static str, Trace)> {
    let mut all = runs();
    all.push(("edge", edge_trace()));
    all
}

// ---------------------------------------------------- rules, no tshark

#[test]
fn every_bundled_scenario_exports_in_both_formats() {
    for (name, trace) in runs() {
        let ng = pcap::pcapng(&trace, 0);
        let classic = pcap::pcap(&trace, 0);
        let n = pcap::packets(&trace).len();
        assert!(n > 0, "{name}: no packets");
        assert!(ng.len() > n * 40 && classic.len() > n * 40, "{name}");
    }
}

#[test]
fn ipv4_header_checksum_verifies_rfc791_3_1() {
    for (name, trace) in every_trace() {
        for p in parsed(&trace) {
            assert!(p.header_ok, "{name}: bad IPv4 header checksum at {}", p.at);
        }
    }
}

#[test]
fn tcp_and_udp_checksums_cover_the_pseudo_header_rfc9293_3_1_rfc768() {
    for (name, trace) in every_trace() {
        for p in parsed(&trace) {
            assert!(
                p.transport_ok(),
                "{name}: bad checksum, protocol {} at {}",
                p.proto,
                p.at
            );
            if p.proto == 17 {
                let sum = u16::from_be_bytes([p.transport[6], p.transport[7]]);
                assert_ne!(sum, 0, "{name}: a UDP checksum is sent, never 0 (RFC 768)");
            }
        }
    }
}

#[test]
fn tcp_sequence_numbers_count_every_payload_octet_rfc9293_3_4() {
    for (name, trace) in every_trace() {
        for (key, segs) in conversations(&parsed(&trace)) {
            let mut next: HashMap<(IpAddr, u16), u32> = HashMap::new();
            for s in &segs {
                if s.has(flags::RST) {
                    continue;
                }
                if let Some(&n) = next.get(&s.src) {
                    // A retransmitted SYN repeats its sequence number.
                    let expected = if s.has(flags::SYN) { s.seq } else { n };
                    assert_eq!(s.seq, expected, "{name} {key:?}: seq at {}", s.at);
                }
                next.insert(s.src, s.seq.wrapping_add(s.len()));
            }
        }
    }
}

#[test]
fn acknowledgements_cover_only_what_the_peer_sent_and_never_go_back_rfc9293_3_4() {
    for (name, trace) in every_trace() {
        for (key, segs) in conversations(&parsed(&trace)) {
            let mut sent: HashMap<(IpAddr, u16), u32> = HashMap::new();
            let mut acked: HashMap<(IpAddr, u16), u32> = HashMap::new();
            for s in &segs {
                let end = s.seq.wrapping_add(s.len());
                let top = sent.entry(s.src).or_insert(end);
                if end.wrapping_sub(*top) as i32 > 0 {
                    *top = end;
                }
                if s.has(flags::ACK) && !s.has(flags::RST) {
                    let peer = sent
                        .get(&s.dst)
                        .copied()
                        .expect("an ACK answers something sent");
                    assert!(
                        peer.wrapping_sub(s.ack) as i32 >= 0,
                        "{name} {key:?}: ACK of unsent octets at {}",
                        s.at
                    );
                    if let Some(&before) = acked.get(&s.src) {
                        assert!(
                            s.ack.wrapping_sub(before) as i32 >= 0,
                            "{name} {key:?}: ACK went back at {}",
                            s.at
                        );
                    }
                    acked.insert(s.src, s.ack);
                }
            }
        }
    }
}

#[test]
fn every_accepted_connection_opens_with_syn_syn_ack_ack_rfc9293_3_5() {
    for (name, trace) in every_trace() {
        let flows = conversations(&parsed(&trace));
        for e in trace.events() {
            let EventKind::Accept { conn } = e.kind else {
                continue;
            };
            let segs = flow_of(&flows, conn);
            let [syn, syn_ack, ..] = segs else {
                panic!("{name}: {conn:?} too short")
            };
            // The client's next segment; the server may speak first.
            let ack = segs[2..]
                .iter()
                .find(|s| s.src == syn.src)
                .unwrap_or_else(|| panic!("{name}: {conn:?} has no third segment"));
            assert_eq!(syn.flags, flags::SYN, "{name}");
            assert_eq!(syn_ack.flags, flags::SYN | flags::ACK, "{name}");
            assert_eq!(syn_ack.ack, syn.seq.wrapping_add(1), "{name}");
            assert_eq!(ack.flags, flags::ACK, "{name}");
            assert_eq!(
                (ack.seq, ack.ack),
                (syn.seq.wrapping_add(1), syn_ack.seq.wrapping_add(1)),
                "{name}"
            );
            // MSS (kind 2) and window scale (kind 3) ride on the SYNs only
            // (RFC 9293 §3.7.1, RFC 7323 §2.2).
            assert_eq!(syn.options[0], 2, "{name}");
            assert_eq!(syn.options[5], 3, "{name}");
            assert!(ack.options.is_empty(), "{name}");
        }
    }
}

#[test]
fn refused_connect_is_syn_then_rst_ack_acknowledging_the_syn_rfc9293_3_10_7_1() {
    let flows = conversations(&parsed(&edge_trace()));
    let segs = flow_of(&flows, ConnId(0));
    let [syn, rst] = segs else { panic!("{segs:?}") };
    assert_eq!(syn.flags, flags::SYN);
    assert_eq!(rst.flags, flags::RST | flags::ACK);
    assert_eq!((rst.seq, rst.ack), (0, syn.seq.wrapping_add(1)));
    assert_eq!(rst.src, syn.dst);
    // Half of the round trip the client waited.
    assert_eq!(rst.at, ms(5));
}

#[test]
fn unreachable_host_gets_syns_retransmitted_with_doubling_waits_rfc6298_5_5() {
    let flows = conversations(&parsed(&edge_trace()));
    let segs = flow_of(&flows, ConnId(1));
    let times: Vec<u64> = segs
        .iter()
        .map(|s| s.at.duration().as_millis() as u64 - 40)
        .collect();
    assert_eq!(times, [0, 1_000, 3_000, 7_000, 15_000]);
    assert!(
        segs.iter()
            .all(|s| s.flags == flags::SYN && s.seq == segs[0].seq)
    );
    // And the bundled scenario whose MX is down shows no answer either.
    let (trace, _) = run("mx-backup");
    let mx_flows = conversations(&parsed(&trace));
    let mut unanswered = 0;
    for e in trace.events() {
        if let EventKind::Unreachable { conn } = e.kind {
            let segs = flow_of(&mx_flows, conn);
            assert!(
                !segs.is_empty() && segs.iter().all(|s| s.flags == flags::SYN),
                "{conn:?}"
            );
            unanswered += 1;
        }
    }
    assert!(unanswered > 0, "mx-backup has a host that is down");
}

#[test]
fn segments_carry_at_most_one_mss_rfc9293_3_7_1() {
    let packets = parsed(&edge_trace());
    let flows = conversations(&packets);
    let big = flow_of(&flows, ConnId(2));
    let sizes: Vec<usize> = big
        .iter()
        .map(|s| s.payload.len())
        .filter(|&n| n > 1000)
        .collect();
    // IPv6: 1500 less 40 and 20 octets of headers.
    assert_eq!(sizes, [1440, 1440, 1440, 1440, 1440, 1440, 1360]);
    for (name, trace) in runs() {
        for s in parsed(&trace).iter().filter_map(Ip::tcp) {
            assert!(s.payload.len() <= pcap::MSS_IPV4, "{name}");
        }
    }
}

#[test]
fn a_v6_host_talks_ipv6_with_its_v4_peer_ipv4_mapped_rfc4291_2_5_5_2() {
    let packets = parsed(&edge_trace());
    let v6: Vec<&Ip> = packets.iter().filter(|p| p.src.is_ipv6()).collect();
    assert!(!v6.is_empty());
    let mapped: IpAddr = "::ffff:192.0.2.10".parse().unwrap();
    assert!(v6.iter().all(|p| p.src == mapped || p.dst == mapped));
}

#[test]
fn each_side_closes_with_a_fin_the_other_acknowledges_rfc9293_3_6() {
    for (name, trace) in every_trace() {
        let flows = conversations(&parsed(&trace));
        for e in trace.events() {
            let EventKind::Close { conn, dir, .. } = e.kind else {
                continue;
            };
            let segs = flow_of(&flows, conn);
            let client = segs[0].src;
            let from_client = dir == Dir::Up;
            let fin = segs
                .iter()
                .find(|s| s.has(flags::FIN) && (s.src == client) == from_client)
                .unwrap_or_else(|| panic!("{name}: no FIN for {conn:?} {dir:?}"));
            let acked = segs.iter().any(|s| {
                s.src == fin.dst && s.ack == fin.seq.wrapping_add(fin.len()) && s.at >= fin.at
            });
            assert!(acked, "{name}: FIN of {conn:?} {dir:?} never acknowledged");
        }
    }
}

#[test]
fn a_cut_connection_ends_with_each_side_aborting_rst_at_snd_nxt_rfc9293_3_10_5() {
    let trace = edge_trace();
    let flows = conversations(&parsed(&trace));
    let segs = flow_of(&flows, ConnId(3));
    let client = segs[0].src;
    let resets: Vec<&Tcp> = segs.iter().filter(|s| s.has(flags::RST)).collect();
    assert_eq!(resets.len(), 2, "one reset from each end: {resets:?}");
    let last = segs.last().expect("segments");
    assert!(last.has(flags::RST), "nothing follows the resets");
    for rst in &resets {
        assert!(!rst.has(flags::ACK), "an abort carries no ACK");
        // SND.NXT: everything this side sent, after its SYN.
        let sent: u32 = segs
            .iter()
            .filter(|s| s.src == rst.src && !s.has(flags::RST))
            .map(|s| s.len())
            .sum();
        let syn = segs
            .iter()
            .find(|s| s.src == rst.src && s.has(flags::SYN))
            .expect("a SYN from each side");
        assert_eq!(rst.seq, syn.seq.wrapping_add(sent), "{rst:?}");
    }
    // The EHLO was on the way when the wire was cut: it is on the
    // capture where it was sent, and nobody acknowledges it.
    let ehlo = segs
        .iter()
        .find(|s| s.src == client && s.len() > 0 && !s.has(flags::SYN))
        .expect("the EHLO segment");
    let after_ehlo = ehlo.seq.wrapping_add(ehlo.len());
    assert!(
        !segs
            .iter()
            .any(|s| s.src != client && s.has(flags::ACK) && s.ack == after_ehlo),
        "the lost EHLO is never acknowledged"
    );
}

#[test]
fn every_reset_in_a_run_is_on_the_capture_rfc9293_3_10_5() {
    // hello with a reset on alice's wi-fi, inside her DATA.
    let source = std::fs::read_to_string("scenarios/hello.ron").expect("hello.ron");
    assert!(
        source.contains("resets: [],"),
        "hello lists its link's resets"
    );
    let source = source.replacen("resets: [],", "resets: [(session: 1, after: 300)],", 1);
    let loaded = scenario::parse(&source, "hello.ron").unwrap_or_else(|e| panic!("{e}"));
    let trace = sim::run(&loaded.plan).trace;
    let cut: Vec<ConnId> = trace
        .events()
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Reset { conn, .. } => Some(conn),
            _ => None,
        })
        .collect();
    assert!(!cut.is_empty(), "the setting cuts a session");
    let flows = conversations(&parsed(&trace));
    for conn in cut {
        let resets = flow_of(&flows, conn)
            .iter()
            .filter(|s| s.has(flags::RST))
            .count();
        assert_eq!(resets, 2, "{conn:?}");
    }
}

#[test]
fn reassembled_tcp_payload_of_each_direction_is_the_trace_bytes() {
    for (name, trace) in every_trace() {
        let flows = conversations(&parsed(&trace));
        let mut expected: BTreeMap<(ConnId, bool), Vec<u8>> = BTreeMap::new();
        for e in trace.events() {
            // What the wire carried: TLS records where the session was
            // encrypted.
            if let Some((conn, dir, data)) = e.kind.wire() {
                expected
                    .entry((conn, dir == Dir::Up))
                    .or_default()
                    .extend_from_slice(data.as_bytes());
            }
        }
        assert!(!expected.is_empty(), "{name}");
        for ((conn, up), bytes) in expected {
            let segs = flow_of(&flows, conn);
            let client = segs[0].src;
            let got: Vec<u8> = segs
                .iter()
                .filter(|s| (s.src == client) == up)
                .flat_map(|s| s.payload.iter().copied())
                .collect();
            assert!(
                got == bytes,
                "{name}: {conn:?} up={up}: {} octets captured, {} in the trace",
                got.len(),
                bytes.len()
            );
        }
    }
}

#[test]
fn a_lost_datagram_is_captured_once_where_it_was_sent() {
    let trace = edge_trace();
    let udp: Vec<Ip> = parsed(&trace)
        .into_iter()
        .filter(|p| p.proto == 17)
        .collect();
    // Both queries, the lost one included, and nothing more: the capture
    // stands where each packet leaves its sender.
    assert_eq!(
        udp.iter().map(|p| p.at).collect::<Vec<_>>(),
        [ms(20), ms(30)]
    );
    assert!(udp.iter().all(|p| p.ports() == (40000, 53)));
}

#[test]
fn well_known_ports_as_the_trace_says_and_client_ports_from_the_conn_id_rfc6335_6() {
    for (name, trace) in runs() {
        let flows = conversations(&parsed(&trace));
        for e in trace.events() {
            let EventKind::Connect { conn, port, .. } = e.kind else {
                continue;
            };
            let segs = flow_of(&flows, conn);
            assert!(!segs.is_empty(), "{name}: {conn:?} missing");
            assert_eq!(segs[0].dst.1, port, "{name}");
            assert!([25, 587, 110].contains(&port), "{name}: {port}");
            assert!(segs[0].src.1 >= 49152, "{name}");
        }
        for p in parsed(&trace).iter().filter(|p| p.proto == 17) {
            let (s, d) = p.ports();
            assert!(s == 53 || d == 53, "{name}: DNS on port 53");
        }
    }
}

#[test]
fn same_seed_gives_the_same_capture_byte_for_byte() {
    let (a, start) = run("hello");
    let (b, _) = run("hello");
    assert_eq!(pcap::pcapng(&a, start), pcap::pcapng(&b, start));
}

#[test]
fn packets_are_in_time_order_stamped_from_the_scenario_start() {
    let (trace, start) = run("hello");
    let packets = pcap::packets(&trace);
    assert!(packets.windows(2).all(|w| w[0].at <= w[1].at));
    let classic = pcap::pcap(&trace, start);
    // Classic pcap: 24-octet header, then seconds and microseconds.
    let secs = u32::from_le_bytes(classic[24..28].try_into().unwrap());
    let micros = u32::from_le_bytes(classic[28..32].try_into().unwrap());
    let first = start as u64 + packets[0].at.as_micros();
    assert_eq!(
        (u64::from(secs), u64::from(micros)),
        (first / 1_000_000, first % 1_000_000)
    );
    // 2026-12-01 09:00:00 UTC, the scenario's start.
    assert_eq!(start, 1_796_115_600 * 1_000_000);
}

/// The blocks of a pcapng file: (type, body).
fn blocks(file: &[u8]) -> Vec<(u32, &[u8])> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < file.len() {
        let kind = u32::from_le_bytes(file[at..at + 4].try_into().unwrap());
        let len = u32::from_le_bytes(file[at + 4..at + 8].try_into().unwrap()) as usize;
        let trailer = u32::from_le_bytes(file[at + len - 4..at + len].try_into().unwrap()) as usize;
        assert_eq!(len, trailer, "a block's length is written at both ends");
        assert_eq!(len % 4, 0, "blocks are 32-bit aligned");
        out.push((kind, &file[at + 8..at + len - 4]));
        at += len;
    }
    out
}

#[test]
fn pcapng_is_one_section_one_raw_ip_interface_names_then_packets() {
    let (trace, start) = run("hello");
    let file = pcap::pcapng(&trace, start);
    let blocks = blocks(&file);
    let kinds: Vec<u32> = blocks.iter().map(|b| b.0).take(3).collect();
    assert_eq!(kinds, [0x0A0D_0D0A, 1, 4]);
    assert_eq!(blocks[0].1[..4], 0x1A2B_3C4Du32.to_le_bytes());
    assert_eq!(
        u16::from_le_bytes([blocks[1].1[0], blocks[1].1[1]]),
        pcap::LINKTYPE_RAW
    );
    let epbs = blocks.iter().filter(|b| b.0 == 6).count();
    assert_eq!(epbs, pcap::packets(&trace).len());
    assert_eq!(blocks.len(), 3 + epbs);
    // Every host's address and name are in the Name Resolution Block.
    let nrb = blocks[2].1;
    for h in &trace.hosts {
        let IpAddr::V4(ip) = h.ip else {
            panic!("hello is IPv4")
        };
        let mut record = ip.octets().to_vec();
        record.extend_from_slice(h.name.as_bytes());
        record.push(0);
        assert!(
            nrb.windows(record.len()).any(|w| w == record),
            "{} not named",
            h.name
        );
    }
}

// ------------------------------------------------------------- tshark

fn have_tshark(test: &str) -> bool {
    serve::have(
        test,
        "tshark",
        &["--version"],
        "DEBIAN_FRONTEND=noninteractive apt-get install -y tshark",
    )
}

/// The capture of `trace` in a temporary file.
fn written(dir: &serve::TempDir, name: &str, trace: &Trace, start: i64) -> String {
    let path = dir.0.join(format!("{name}.pcapng"));
    std::fs::write(&path, pcap::pcapng(trace, start)).expect("write the capture");
    path.to_string_lossy().into_owned()
}

/// tshark's standard output; it must succeed.
fn tshark(args: &[&str]) -> String {
    let out = Command::new("tshark")
        .args(args)
        .output()
        .expect("tshark runs");
    assert!(
        out.status.success(),
        "tshark {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("tshark prints UTF-8")
}

/// Checksums verified (tshark skips them by default), and AUTH PLAIN
/// decoded: without it tshark warns it did not decode it.
const STRICT: &[&str] = &[
    "-o",
    "ip.check_checksum:TRUE",
    "-o",
    "tcp.check_checksum:TRUE",
    "-o",
    "udp.check_checksum:TRUE",
    "-o",
    "smtp.decryption:TRUE",
];

/// Datagrams sent again as they were (same ends, same DNS ID), as
/// tshark's DNS dissector counts retransmissions: (queries, responses).
fn dns_repeats(trace: &Trace) -> (usize, usize) {
    let mut seen = BTreeSet::new();
    let (mut queries, mut responses) = (0, 0);
    for e in trace.events() {
        if let EventKind::Datagram {
            from,
            from_port,
            to,
            to_port,
            data,
            ..
        } = &e.kind
        {
            let id = data.as_bytes()[..2].to_vec();
            if !seen.insert((*from, *from_port, *to, *to_port, id)) {
                if *to_port == 53 {
                    queries += 1;
                } else {
                    responses += 1;
                }
            }
        }
    }
    (queries, responses)
}

#[test]
fn tshark_expert_finds_no_error_warning_or_malformed_packet() {
    if !have_tshark("tshark_expert_finds_no_error_warning_or_malformed_packet") {
        return;
    }
    let dir = serve::TempDir::new("capture-expert");
    for (name, trace) in every_trace() {
        let file = written(&dir, name, &trace, 0);
        let mut args = vec!["-r", file.as_str(), "-q", "-z", "expert"];
        args.extend_from_slice(STRICT);
        let report = tshark(&args);
        assert!(
            report.contains("Chats ("),
            "{name}: tshark printed no expert report:\n{report}"
        );
        // A refused connect is one reset and a cut connection two (each
        // side aborts), and tshark rightly warns of each: allowed that
        // many times, nothing else.
        let resets: usize = trace
            .events()
            .iter()
            .map(|e| match e.kind {
                EventKind::Refused { .. } => 1,
                EventKind::Reset { .. } => 2,
                _ => 0,
            })
            .sum();
        let (queries, responses) = dns_repeats(&trace);
        let (mut warns, mut query_warns, mut response_warns) = (0, 0, 0);
        let mut section = "";
        for line in report.lines() {
            if let Some(head) = ["Errors (", "Warns (", "Notes (", "Chats ("]
                .iter()
                .find(|h| line.starts_with(**h))
            {
                section = head;
                continue;
            }
            let fields: Vec<&str> = line.split_whitespace().collect();
            let Some(count) = fields.first().and_then(|c| c.parse::<usize>().ok()) else {
                continue;
            };
            assert!(!line.contains("Malformed"), "{name}: {line}");
            match section {
                "Errors (" => panic!("{name}: {line}"),
                "Warns (" if line.contains("Connection reset (RST)") => warns += count,
                "Warns (" if line.contains("DNS query retransmission") => query_warns += count,
                "Warns (" if line.contains("DNS response retransmission") => {
                    response_warns += count
                }
                "Warns (" => panic!("{name}: {line}"),
                _ => {}
            }
        }
        assert_eq!(warns, resets, "{name}: the resets the trace has");
        assert_eq!(
            (query_warns, response_warns),
            (queries, responses),
            "{name}: DNS retransmissions, as the trace has them"
        );
    }
}

#[test]
fn tshark_follows_each_tcp_stream_byte_for_byte() {
    if !have_tshark("tshark_follows_each_tcp_stream_byte_for_byte") {
        return;
    }
    let dir = serve::TempDir::new("capture-follow");
    for (name, trace) in every_trace() {
        let file = written(&dir, name, &trace, 0);
        let mut expected: BTreeMap<u16, [Vec<u8>; 2]> = BTreeMap::new();
        let mut streams = 0;
        for e in trace.events() {
            match &e.kind {
                EventKind::Connect { conn, .. } => {
                    expected.insert(client_port(*conn), Default::default());
                    streams += 1;
                }
                EventKind::Bytes { .. } | EventKind::Tls { .. } => {
                    let (conn, dir, data) = e.kind.wire().expect("bytes on a wire");
                    let both = expected.get_mut(&client_port(conn)).expect("connected");
                    both[usize::from(dir == Dir::Down)].extend_from_slice(data.as_bytes());
                }
                _ => {}
            }
        }
        let follows: Vec<String> = (0..streams)
            .map(|n| format!("follow,tcp,raw,{n}"))
            .collect();
        let mut args = vec!["-r", file.as_str(), "-q"];
        for f in &follows {
            args.extend(["-z", f.as_str()]);
        }
        let out = tshark(&args);
        // Each section names its two nodes, node 0 the first sender (the
        // client); its data is flush left, node 1's indented by a tab.
        let mut seen = BTreeSet::new();
        let mut current: Option<(u16, [Vec<u8>; 2])> = None;
        let mut finish = |c: Option<(u16, [Vec<u8>; 2])>| {
            if let Some((port, got)) = c {
                let want = expected
                    .get(&port)
                    .unwrap_or_else(|| panic!("{name}: stream of port {port}"));
                assert!(
                    got == *want,
                    "{name}: port {port}: tshark's stream differs from the trace"
                );
                seen.insert(port);
            }
        };
        for line in out.lines() {
            if let Some(node) = line.strip_prefix("Node 0: ") {
                finish(current.take());
                let port = node
                    .rsplit(':')
                    .next()
                    .and_then(|p| p.parse().ok())
                    .expect("a port");
                current = Some((port, Default::default()));
            } else if let Some((_, got)) = current.as_mut() {
                let (side, hex) = match line.strip_prefix('\t') {
                    Some(hex) => (1, hex),
                    None => (0, line),
                };
                if hex.len() % 2 == 0
                    && !hex.is_empty()
                    && hex.bytes().all(|b| b.is_ascii_hexdigit())
                {
                    got[side].extend(
                        (0..hex.len())
                            .step_by(2)
                            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()),
                    );
                }
            }
        }
        finish(current.take());
        let with_data: BTreeSet<u16> = expected
            .iter()
            .filter(|(_, b)| !b[0].is_empty() || !b[1].is_empty())
            .map(|(p, _)| *p)
            .collect();
        assert!(
            with_data.is_subset(&seen),
            "{name}: tshark followed {seen:?}, the trace has data on {with_data:?}"
        );
    }
}

/// Some session of `trace` ran inside TLS.
fn sealed(trace: &Trace) -> bool {
    trace.events().iter().any(|e| {
        matches!(
            &e.kind,
            EventKind::Bytes {
                sealed: Some(_),
                ..
            }
        )
    })
}

#[test]
fn tshark_sees_the_tls_handshake_and_no_letter_after_starttls_rfc3207_4() {
    if !have_tshark("tshark_sees_the_tls_handshake_and_no_letter_after_starttls_rfc3207_4") {
        return;
    }
    let dir = serve::TempDir::new("capture-tls");
    let (trace, _) = run("starttls");
    assert!(sealed(&trace));
    let sessions = trace
        .events()
        .iter()
        .filter(|e| matches!(&e.kind, EventKind::Bytes { data, .. } if data.as_bytes().starts_with(b"STARTTLS")))
        .count();
    // The classic format has no place for the key log: what an
    // eavesdropper on the link has.
    let path = dir.0.join("starttls.pcap");
    std::fs::write(&path, pcap::pcap(&trace, 0)).expect("write the capture");
    let file = path.to_string_lossy().into_owned();
    // tshark follows STARTTLS into TLS by itself (port 25/587 SMTP).
    let hellos = tshark(&[
        "-r",
        &file,
        "-Y",
        "tls.handshake.type == 1",
        "-T",
        "fields",
        "-e",
        "frame.number",
    ]);
    assert_eq!(
        hellos.lines().count(),
        sessions,
        "one ClientHello per STARTTLS:\n{hellos}"
    );
    let servers = tshark(&[
        "-r",
        &file,
        "-Y",
        "tls.handshake.type == 2",
        "-T",
        "fields",
        "-e",
        "frame.number",
    ]);
    assert_eq!(
        servers.lines().count(),
        sessions,
        "one ServerHello per STARTTLS"
    );
    // The eavesdropper's view: no letter, no password, no command after
    // STARTTLS.
    let letters = tshark(&[
        "-r",
        &file,
        "-Y",
        "imf",
        "-T",
        "fields",
        "-e",
        "frame.number",
    ]);
    assert_eq!(letters.trim(), "", "no message is readable on the wire");
    let commands = tshark(&[
        "-r",
        &file,
        "-Y",
        "smtp.req.command",
        "-T",
        "fields",
        "-e",
        "smtp.req.command",
    ]);
    for hidden in ["AUTH", "MAIL", "RCPT", "DATA"] {
        assert!(
            !commands.lines().any(|c| c == hidden),
            "{hidden} is readable:\n{commands}"
        );
    }
}

#[test]
fn tshark_decrypts_starttls_with_the_key_log_in_the_pcapng_rfc8446_7_1() {
    if !have_tshark("tshark_decrypts_starttls_with_the_key_log_in_the_pcapng_rfc8446_7_1") {
        return;
    }
    let dir = serve::TempDir::new("capture-keylog");
    let (trace, _) = run("starttls");
    let file = written(&dir, "starttls", &trace, 0);
    // The Decryption Secrets Block carries the key log: tshark reads the
    // session inside TLS as the two ends did.
    let fields = |filter: &str, field: &str| {
        tshark(&["-r", &file, "-Y", filter, "-T", "fields", "-e", field])
    };
    let commands = fields("smtp.req.command", "smtp.req.command");
    let seen: Vec<&str> = commands.lines().flat_map(|l| l.split(',')).collect();
    for inside in ["AUTH", "MAIL", "RCPT", "DATA", "QUIT"] {
        assert!(
            seen.contains(&inside),
            "{inside} not decrypted:\n{commands}"
        );
    }
    let received = fields("imf", "imf.received");
    assert!(
        received.contains("by smtp.example.org with") && received.contains("ESMTPSA id SMTP0001"),
        "the relayed letter is read inside TLS:\n{received}"
    );
}

#[test]
fn tshark_reads_the_received_lines_relayed_in_smtp_data_rfc5321_4_4() {
    if !have_tshark("tshark_reads_the_received_lines_relayed_in_smtp_data_rfc5321_4_4") {
        return;
    }
    let dir = serve::TempDir::new("capture-imf");
    for (name, trace) in runs() {
        if sealed(&trace) {
            // Inside TLS the letter is not on the wire: see the next test.
            continue;
        }
        // The Received lines that crossed an SMTP link: in each stored
        // copy, all but the top one, which the delivering server added.
        let mut relayed = BTreeSet::new();
        for e in trace.events() {
            if let EventKind::Delivered { rest, .. } = &e.kind {
                let octets = rest.content.as_bytes();
                let text = String::from_utf8_lossy(&octets);
                let head = text.split("\r\n\r\n").next().unwrap_or("");
                let received: Vec<String> = head
                    .split("\r\nReceived: ")
                    .skip(1)
                    .map(|f| f.split("\r\n").take_while(|_| true).collect::<Vec<_>>())
                    .map(|lines| {
                        let mut field = lines[0].to_owned();
                        for l in &lines[1..] {
                            if !l.starts_with([' ', '\t']) {
                                break;
                            }
                            field.push_str("\\r\\n");
                            field.push_str(l);
                        }
                        field
                    })
                    .collect();
                relayed.extend(received.into_iter().skip(1));
            }
        }
        let file = written(&dir, name, &trace, 0);
        let shown = tshark(&[
            "-r",
            &file,
            "-Y",
            "imf",
            "-T",
            "fields",
            "-e",
            "imf.received",
        ]);
        for r in &relayed {
            assert!(
                shown.contains(r.as_str()),
                "{name}: tshark shows no Received {r:?}\n{shown}"
            );
        }
        if name == "hello" {
            assert_eq!(relayed.len(), 1, "hello relays one Received line");
        }
    }
}

#[test]
fn tshark_decodes_the_zones_mx_records_rfc1035_3_3_9() {
    if !have_tshark("tshark_decodes_the_zones_mx_records_rfc1035_3_3_9") {
        return;
    }
    let dir = serve::TempDir::new("capture-dns");
    let (trace, start) = run("mx-backup");
    let file = written(&dir, "mx-backup", &trace, start);
    let exchanges: BTreeSet<String> = tshark(&[
        "-r",
        &file,
        "-Y",
        "dns.flags.response == 1",
        "-T",
        "fields",
        "-e",
        "dns.mx.mail_exchange",
    ])
    .lines()
    .flat_map(|l| l.split(',').map(str::to_owned).collect::<Vec<_>>())
    .filter(|s| !s.is_empty())
    .collect();
    // The exchanges the resolver was told, as the trace says.
    let told: BTreeSet<String> = trace
        .events()
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Resolved { rest, .. } if rest.qtype == "MX" => Some(&rest.outcome),
            _ => None,
        })
        .flat_map(|o| o.split("; "))
        .filter(|r| r.contains(" MX "))
        .filter_map(|r| r.split_whitespace().last())
        .map(|h| h.trim_end_matches('.').to_owned())
        .collect();
    assert_eq!(
        told.len(),
        2,
        "mx-backup has a primary and a backup MX: {told:?}"
    );
    assert_eq!(told, exchanges);
}

#[test]
fn tshark_names_every_host_from_the_pcapng_name_resolution_block() {
    if !have_tshark("tshark_names_every_host_from_the_pcapng_name_resolution_block") {
        return;
    }
    let dir = serve::TempDir::new("capture-names");
    let (trace, start) = run("hello");
    let file = written(&dir, "hello", &trace, start);
    // Names from the file only: no DNS lookups from the test machine.
    let names: BTreeSet<String> = tshark(&[
        "-r",
        &file,
        "-N",
        "n",
        "-o",
        "nameres.use_external_name_resolver:FALSE",
        "-T",
        "fields",
        "-e",
        "ip.src_host",
    ])
    .lines()
    .map(str::to_owned)
    .collect();
    let hosts: BTreeSet<String> = trace.hosts.iter().map(|h| h.name.clone()).collect();
    assert_eq!(names, hosts);
    // Classic pcap has no such block: the same packets, addresses only.
    let classic = dir.0.join("hello.pcap");
    std::fs::write(&classic, pcap::pcap(&trace, start)).unwrap();
    let classic = classic.to_string_lossy().into_owned();
    let count = |f: &str| {
        tshark(&["-r", f, "-T", "fields", "-e", "frame.number"])
            .lines()
            .count()
    };
    assert_eq!(count(&classic), count(&file));
}
