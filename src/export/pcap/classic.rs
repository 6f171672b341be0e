//! The classic libpcap file format: a 24-octet global header, then a
//! 16-octet record header before each packet. It has no place for host
//! names; pcapng has.

use super::LINKTYPE_RAW;

/// Microsecond timestamps, written little-endian.
const MAGIC: u32 = 0xA1B2_C3D4;
/// Larger than any datagram the world sends (64 KiB and headers).
const SNAPLEN: u32 = 262_144;

pub fn header() -> Vec<u8> {
    let mut out = Vec::with_capacity(24);
    out.extend_from_slice(&MAGIC.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes()); // version 2.4
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&0i32.to_le_bytes()); // timestamps are UTC
    out.extend_from_slice(&0u32.to_le_bytes()); // sigfigs, always 0
    out.extend_from_slice(&SNAPLEN.to_le_bytes());
    out.extend_from_slice(&u32::from(LINKTYPE_RAW).to_le_bytes());
    out
}

/// One record; `micros` since the Unix epoch.
pub fn packet(out: &mut Vec<u8>, micros: u64, data: &[u8]) {
    out.extend_from_slice(&((micros / 1_000_000) as u32).to_le_bytes());
    out.extend_from_slice(&((micros % 1_000_000) as u32).to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(data);
}
