//! One connection of the trace as TCP segments (RFC 9293): the three-way
//! handshake, data cut at the MSS, cumulative acknowledgements when the
//! bytes arrive, FIN when a side closes; RST both ways when the trace
//! says the connection was cut; a SYN answered by RST when the port was
//! closed; unanswered SYNs, retransmitted, when the host could not be
//! reached.
//!
//! Sequence numbers count every octet of payload, and the SYN and the FIN
//! one each (RFC 9293 §3.4). A side acknowledges what it has received by
//! the time it sends: the trace says when each chunk arrives.

use std::time::Duration;

use crate::trace::{Dir, Payload, SimTime};

use super::packet::flags::{ACK, FIN, PSH, RST, SYN};

/// The receive window, scaled by `WINDOW_SHIFT` after the SYNs
/// (RFC 7323 §2): about 8 MiB, more than any scenario has in flight.
pub const WINDOW: u16 = 0xffff;
pub const WINDOW_SHIFT: u8 = 7;

/// A point in the trace: the time, and the event's number to keep the
/// trace's order among events at the same time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Stamp {
    pub at: SimTime,
    pub seq: u64,
}

/// How the connect attempt ended.
#[derive(Debug, Clone, Copy)]
pub enum Outcome {
    Accepted(Stamp),
    Refused(Stamp),
    Unreachable(Stamp),
    /// The trace stops before it was answered.
    Open,
}

/// What one side did after the handshake, in trace order.
#[derive(Debug, Clone)]
pub enum Move {
    Bytes {
        dir: Dir,
        sent: Stamp,
        arrives: SimTime,
        data: Payload,
    },
    Close {
        dir: Dir,
        sent: Stamp,
        arrives: SimTime,
    },
    /// The connection was cut: both ends learn at once, and what was
    /// still in flight never arrives.
    Reset { at: Stamp },
}

/// One connection as the trace tells it.
#[derive(Debug, Clone)]
pub struct Connection {
    /// Initial sequence numbers of the client (Up) and the server (Down).
    pub isn: [u32; 2],
    pub connect: Stamp,
    pub outcome: Outcome,
    pub moves: Vec<Move>,
    /// Largest payload per segment.
    pub mss: usize,
}

/// A segment to frame, with where it goes in the capture.
#[derive(Debug, Clone)]
pub struct Segment {
    /// Time, trace order, and place within the event.
    pub order: (SimTime, u64, u32),
    /// Up: sent by the client.
    pub from: Dir,
    pub seq: u32,
    pub ack: u32,
    pub flags: u8,
    pub window: u16,
    /// MSS and window-scale options, on SYNs only.
    pub syn_options: bool,
    pub data: Option<(Payload, std::ops::Range<usize>)>,
}

impl Segment {
    fn new(order: (SimTime, u64, u32), from: Dir, seq: u32, ack: u32, flags: u8) -> Segment {
        Segment {
            order,
            from,
            seq,
            ack,
            flags,
            window: WINDOW,
            syn_options: flags & SYN != 0,
            data: None,
        }
    }
}

/// SYN retransmissions: the first after 1 s (RFC 6298 §2.1), the wait
/// doubled each time (§5.5).
const INITIAL_RTO: Duration = Duration::from_secs(1);

fn side(dir: Dir) -> usize {
    match dir {
        Dir::Up => 0,
        Dir::Down => 1,
    }
}

fn other(dir: Dir) -> Dir {
    match dir {
        Dir::Up => Dir::Down,
        Dir::Down => Dir::Up,
    }
}

/// Unanswered SYNs from `at` until the attempt was given up at `until`.
pub fn unanswered(connect: Stamp, until: SimTime, isn: u32) -> Vec<Segment> {
    let mut out = vec![Segment::new(
        (connect.at, connect.seq, 0),
        Dir::Up,
        isn,
        0,
        SYN,
    )];
    let mut wait = INITIAL_RTO;
    let mut at = connect.at.duration() + wait;
    while at < until.duration() {
        let n = out.len() as u32;
        out.push(Segment::new(
            (SimTime::from(at), connect.seq, n),
            Dir::Up,
            isn,
            0,
            SYN,
        ));
        wait *= 2;
        at += wait;
    }
    out
}

/// Every segment of the connection, in capture order.
pub fn segments(conn: &Connection) -> Vec<Segment> {
    let [isn_c, isn_s] = conn.isn;
    let syn = Segment::new(
        (conn.connect.at, conn.connect.seq, 0),
        Dir::Up,
        isn_c,
        0,
        SYN,
    );
    let accept = match conn.outcome {
        Outcome::Accepted(accept) => accept,
        Outcome::Open => return vec![syn],
        Outcome::Unreachable(given_up) => return unanswered(conn.connect, given_up.at, isn_c),
        Outcome::Refused(refused) => {
            // The RST leaves the server when the SYN arrives: halfway
            // through the round trip the client waited. A SYN carries no
            // ACK, so the reset has SEQ 0 and acknowledges the SYN
            // (RFC 9293 §3.10.7.1).
            let half = (refused.at.duration() - conn.connect.at.duration()) / 2;
            let rst = Segment::new(
                (
                    SimTime::from(conn.connect.at.duration() + half),
                    refused.seq,
                    0,
                ),
                Dir::Down,
                0,
                isn_c.wrapping_add(1),
                RST | ACK,
            );
            return vec![syn, rst];
        }
    };
    let syn_ack = Segment::new(
        (accept.at, accept.seq, 0),
        Dir::Down,
        isn_s,
        isn_c.wrapping_add(1),
        SYN | ACK,
    );
    let mut out = vec![syn, syn_ack];
    let mut tcb = Tcb {
        snd_nxt: [isn_c.wrapping_add(1), isn_s.wrapping_add(1)],
        rcv_nxt: [isn_s.wrapping_add(1), isn_c.wrapping_add(1)],
        acked: [isn_s.wrapping_add(1), isn_c.wrapping_add(1)],
    };

    // The client's ACK of the SYN-ACK: when the trace first shows the
    // client knows the connection is up (it sends, or the server's first
    // bytes reach it); the trace does not record the SYN-ACK's arrival.
    let first_at_client = conn
        .moves
        .iter()
        .map(|m| match m {
            Move::Bytes {
                dir: Dir::Up, sent, ..
            }
            | Move::Close {
                dir: Dir::Up, sent, ..
            } => sent.at,
            Move::Bytes {
                dir: Dir::Down,
                arrives,
                ..
            }
            | Move::Close {
                dir: Dir::Down,
                arrives,
                ..
            } => *arrives,
            Move::Reset { at } => at.at,
        })
        .min()
        .unwrap_or(accept.at)
        .max(accept.at);
    out.push(Segment::new(
        (first_at_client, accept.seq, 1),
        Dir::Up,
        tcb.snd_nxt[0],
        tcb.rcv_nxt[0],
        ACK,
    ));

    // Sends and arrivals in the order they happen.
    let mut actions: Vec<((SimTime, u64, u32), usize, bool)> = Vec::new();
    for (i, m) in conn.moves.iter().enumerate() {
        let (sent, arrives) = match m {
            Move::Bytes { sent, arrives, .. } | Move::Close { sent, arrives, .. } => {
                (sent, *arrives)
            }
            Move::Reset { at } => {
                actions.push(((at.at, at.seq, 0), i, true));
                continue;
            }
        };
        actions.push(((sent.at, sent.seq, 0), i, true));
        actions.push(((arrives, sent.seq, 1), i, false));
    }
    actions.sort_by_key(|a| a.0);

    for (k, &(order, i, is_send)) in actions.iter().enumerate() {
        // A FIN takes one sequence number, like one octet.
        let (dir, len) = match &conn.moves[i] {
            Move::Bytes { dir, data, .. } => (*dir, data.as_bytes().len()),
            Move::Close { dir, .. } => (*dir, 1),
            Move::Reset { .. } => {
                // Each end aborts: a reset carrying its SND.NXT and no
                // ACK (RFC 9293 §3.10.5). Nothing after it is on the
                // wire, and nothing still in flight is acknowledged.
                for (n, dir) in [Dir::Up, Dir::Down].into_iter().enumerate() {
                    let s = side(dir);
                    out.push(Segment::new(
                        (order.0, order.1, n as u32),
                        dir,
                        tcb.snd_nxt[s],
                        0,
                        RST,
                    ));
                }
                break;
            }
        };
        if is_send {
            let s = side(dir);
            if let Move::Bytes { data, .. } = &conn.moves[i] {
                let chunks = len.div_ceil(conn.mss);
                for c in 0..chunks {
                    let range = c * conn.mss..len.min((c + 1) * conn.mss);
                    let last = c + 1 == chunks;
                    let mut seg = Segment::new(
                        (order.0, order.1, c as u32),
                        dir,
                        tcb.snd_nxt[s],
                        tcb.rcv_nxt[s],
                        if last { ACK | PSH } else { ACK },
                    );
                    tcb.snd_nxt[s] = tcb.snd_nxt[s].wrapping_add(range.len() as u32);
                    seg.data = Some((data.clone(), range));
                    out.push(seg);
                }
            } else {
                out.push(Segment::new(
                    order,
                    dir,
                    tcb.snd_nxt[s],
                    tcb.rcv_nxt[s],
                    FIN | ACK,
                ));
                tcb.snd_nxt[s] = tcb.snd_nxt[s].wrapping_add(1);
            }
            tcb.acked[s] = tcb.rcv_nxt[s];
        } else {
            let receiver = other(dir);
            let r = side(receiver);
            tcb.rcv_nxt[r] = tcb.rcv_nxt[r].wrapping_add(len as u32);
            // An answer sent at the same moment carries the ACK itself.
            let answers_at_once = actions.get(k + 1).is_some_and(|&(next, j, send)| {
                send && next.0 == order.0 && moves_dir(&conn.moves[j]) == Some(receiver)
            });
            if !answers_at_once && tcb.acked[r] != tcb.rcv_nxt[r] {
                out.push(Segment::new(
                    (order.0, order.1, u32::MAX),
                    receiver,
                    tcb.snd_nxt[r],
                    tcb.rcv_nxt[r],
                    ACK,
                ));
                tcb.acked[r] = tcb.rcv_nxt[r];
            }
        }
    }
    out
}

fn moves_dir(m: &Move) -> Option<Dir> {
    match m {
        Move::Bytes { dir, .. } | Move::Close { dir, .. } => Some(*dir),
        Move::Reset { .. } => None,
    }
}

/// Each side's send and receive state (RFC 9293 §3.3.1), index 0 the
/// client: SND.NXT, RCV.NXT, and the last acknowledgement it sent.
struct Tcb {
    snd_nxt: [u32; 2],
    rcv_nxt: [u32; 2],
    acked: [u32; 2],
}
