//! IP datagrams as they stand on the wire: an IPv4 (RFC 791) or IPv6
//! (RFC 8200) header around a TCP (RFC 9293) or UDP (RFC 768) header, with
//! every checksum computed, so a capture reader verifies them all.

use std::net::{IpAddr, Ipv6Addr};

/// IP protocol numbers (IANA): RFC 791 §3.1 "Protocol", RFC 8200 §3 "Next Header".
pub const PROTO_TCP: u8 = 6;
pub const PROTO_UDP: u8 = 17;

/// TCP control bits (RFC 9293 §3.1).
pub mod flags {
    pub const FIN: u8 = 0x01;
    pub const SYN: u8 = 0x02;
    pub const RST: u8 = 0x04;
    pub const PSH: u8 = 0x08;
    pub const ACK: u8 = 0x10;
}

/// Hosts without a TTL setting of their own start at 64, as most stacks do.
const TTL: u8 = 64;

/// The two ends of a datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ends {
    pub src: IpAddr,
    pub dst: IpAddr,
}

impl Ends {
    /// Both in one family: a v4 address meeting a v6 one is written as
    /// IPv4-mapped (RFC 4291 §2.5.5.2), since one header holds one family.
    pub fn new(src: IpAddr, dst: IpAddr) -> Ends {
        match (src, dst) {
            (IpAddr::V4(_), IpAddr::V4(_)) | (IpAddr::V6(_), IpAddr::V6(_)) => Ends { src, dst },
            _ => Ends {
                src: IpAddr::V6(v6(src)),
                dst: IpAddr::V6(v6(dst)),
            },
        }
    }
}

fn v6(ip: IpAddr) -> Ipv6Addr {
    match ip {
        IpAddr::V4(v4) => v4.to_ipv6_mapped(),
        IpAddr::V6(v6) => v6,
    }
}

/// A TCP segment's header fields (RFC 9293 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpHeader {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: u8,
    pub window: u16,
    /// Options, already laid out (a multiple of four octets).
    pub options: &'static [u8],
}

/// A TCP segment inside its IP header.
pub fn tcp(ends: Ends, ident: u16, header: &TcpHeader, payload: &[u8]) -> Vec<u8> {
    let offset_words = 5 + header.options.len() / 4;
    let mut segment = Vec::with_capacity(offset_words * 4 + payload.len());
    segment.extend_from_slice(&header.src_port.to_be_bytes());
    segment.extend_from_slice(&header.dst_port.to_be_bytes());
    segment.extend_from_slice(&header.seq.to_be_bytes());
    segment.extend_from_slice(&header.ack.to_be_bytes());
    // Data Offset in 32-bit words, then the reserved bits and the flags.
    segment.push((offset_words as u8) << 4);
    segment.push(header.flags);
    segment.extend_from_slice(&header.window.to_be_bytes());
    segment.extend_from_slice(&[0, 0, 0, 0]); // checksum, urgent pointer
    segment.extend_from_slice(header.options);
    segment.extend_from_slice(payload);
    let sum = transport_checksum(ends, PROTO_TCP, &segment);
    segment[16..18].copy_from_slice(&sum.to_be_bytes());
    ip(ends, ident, PROTO_TCP, &segment)
}

/// A UDP datagram inside its IP header.
pub fn udp(ends: Ends, ident: u16, src_port: u16, dst_port: u16, payload: &[u8]) -> Vec<u8> {
    let length = (8 + payload.len()) as u16;
    let mut datagram = Vec::with_capacity(8 + payload.len());
    datagram.extend_from_slice(&src_port.to_be_bytes());
    datagram.extend_from_slice(&dst_port.to_be_bytes());
    datagram.extend_from_slice(&length.to_be_bytes());
    datagram.extend_from_slice(&[0, 0]);
    datagram.extend_from_slice(payload);
    let sum = match transport_checksum(ends, PROTO_UDP, &datagram) {
        // RFC 768: a computed zero is sent as all ones; zero means "none".
        0 => 0xffff,
        sum => sum,
    };
    datagram[6..8].copy_from_slice(&sum.to_be_bytes());
    ip(ends, ident, PROTO_UDP, &datagram)
}

/// The IP header in front of a transport segment.
fn ip(ends: Ends, ident: u16, protocol: u8, segment: &[u8]) -> Vec<u8> {
    match (ends.src, ends.dst) {
        (IpAddr::V4(src), IpAddr::V4(dst)) => {
            let total = (20 + segment.len()) as u16;
            let mut packet = Vec::with_capacity(usize::from(total));
            packet.push(0x45); // version 4, IHL 5 words
            packet.push(0); // DSCP, ECN
            packet.extend_from_slice(&total.to_be_bytes());
            packet.extend_from_slice(&ident.to_be_bytes());
            // Don't Fragment: segments fit the MSS, as a stack doing path
            // MTU discovery sends them (RFC 1191).
            packet.extend_from_slice(&[0x40, 0]);
            packet.push(TTL);
            packet.push(protocol);
            packet.extend_from_slice(&[0, 0]);
            packet.extend_from_slice(&src.octets());
            packet.extend_from_slice(&dst.octets());
            let sum = checksum(&[&packet]);
            packet[10..12].copy_from_slice(&sum.to_be_bytes());
            packet.extend_from_slice(segment);
            packet
        }
        (src, dst) => {
            let mut packet = Vec::with_capacity(40 + segment.len());
            packet.extend_from_slice(&[0x60, 0, 0, 0]); // version 6, no class or flow
            packet.extend_from_slice(&(segment.len() as u16).to_be_bytes());
            packet.push(protocol);
            packet.push(TTL); // hop limit
            packet.extend_from_slice(&v6(src).octets());
            packet.extend_from_slice(&v6(dst).octets());
            packet.extend_from_slice(segment);
            packet
        }
    }
}

/// The TCP or UDP checksum over the pseudo-header (RFC 9293 §3.1, RFC 768,
/// RFC 8200 §8.1) and the segment.
pub fn transport_checksum(ends: Ends, protocol: u8, segment: &[u8]) -> u16 {
    let len = segment.len() as u32;
    match (ends.src, ends.dst) {
        (IpAddr::V4(src), IpAddr::V4(dst)) => {
            let mut pseudo = [0u8; 12];
            pseudo[..4].copy_from_slice(&src.octets());
            pseudo[4..8].copy_from_slice(&dst.octets());
            pseudo[9] = protocol;
            pseudo[10..].copy_from_slice(&(len as u16).to_be_bytes());
            checksum(&[&pseudo, segment])
        }
        (src, dst) => {
            let mut pseudo = [0u8; 40];
            pseudo[..16].copy_from_slice(&v6(src).octets());
            pseudo[16..32].copy_from_slice(&v6(dst).octets());
            pseudo[32..36].copy_from_slice(&len.to_be_bytes());
            pseudo[39] = protocol;
            checksum(&[&pseudo, segment])
        }
    }
}

/// The Internet checksum (RFC 1071): the ones' complement of the ones'
/// complement sum of 16-bit words, an odd last octet padded with zero.
/// Parts are summed as if joined; every part but the last has even length.
pub fn checksum(parts: &[&[u8]]) -> u16 {
    let mut sum: u64 = 0;
    for part in parts {
        let mut words = part.chunks_exact(2);
        for word in &mut words {
            sum += u64::from(u16::from_be_bytes([word[0], word[1]]));
        }
        if let [last] = words.remainder() {
            sum += u64::from(*last) << 8;
        }
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}
