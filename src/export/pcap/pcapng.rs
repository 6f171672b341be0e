//! The pcapng file format (draft-ietf-opsawg-pcapng): a Section Header
//! Block, one Interface Description Block, a Name Resolution Block naming
//! every host, a Decryption Secrets Block with the TLS key log when the
//! world spoke TLS, then one Enhanced Packet Block per packet. Little-endian;
//! the byte-order magic tells readers so.

use std::net::IpAddr;

use super::LINKTYPE_RAW;

const SHB: u32 = 0x0A0D_0D0A;
const IDB: u32 = 0x0000_0001;
const NRB: u32 = 0x0000_0004;
const EPB: u32 = 0x0000_0006;
const DSB: u32 = 0x0000_000A;
/// Secrets type of a TLS key log ("TLSK", §4.7).
const SECRETS_TLS_KEY_LOG: u32 = 0x544C_534B;
const BYTE_ORDER_MAGIC: u32 = 0x1A2B_3C4D;

/// Option codes (§3.5, §4.1, §4.2) and name record types (§4.5).
const OPT_ENDOFOPT: u16 = 0;
const SHB_USERAPPL: u16 = 4;
const IF_NAME: u16 = 2;
const IF_TSRESOL: u16 = 9;
const NRB_RECORD_END: u16 = 0;
const NRB_RECORD_IPV4: u16 = 1;
const NRB_RECORD_IPV6: u16 = 2;

/// The start of the file: SHB, IDB (microsecond stamps) and the NRB.
pub fn header(names: &[(IpAddr, &str)]) -> Vec<u8> {
    let mut out = Vec::new();

    let mut body = Vec::new();
    put32(&mut body, BYTE_ORDER_MAGIC);
    put16(&mut body, 1); // major version
    put16(&mut body, 0); // minor version
    body.extend_from_slice(&(-1i64).to_le_bytes()); // section length: not given
    option(&mut body, SHB_USERAPPL, b"mailflow");
    option(&mut body, OPT_ENDOFOPT, b"");
    block(&mut out, SHB, &body);

    let mut body = Vec::new();
    put16(&mut body, LINKTYPE_RAW);
    put16(&mut body, 0); // reserved
    put32(&mut body, 0); // SnapLen 0: no limit
    option(&mut body, IF_NAME, b"mailflow");
    option(&mut body, IF_TSRESOL, &[6]); // 10^-6 s, the SimTime clock's grain
    option(&mut body, OPT_ENDOFOPT, b"");
    block(&mut out, IDB, &body);

    let mut body = Vec::new();
    for (ip, name) in names {
        let (kind, mut value) = match ip {
            IpAddr::V4(v4) => (NRB_RECORD_IPV4, v4.octets().to_vec()),
            IpAddr::V6(v6) => (NRB_RECORD_IPV6, v6.octets().to_vec()),
        };
        value.extend_from_slice(name.as_bytes());
        value.push(0);
        option(&mut body, kind, &value);
    }
    option(&mut body, NRB_RECORD_END, b"");
    block(&mut out, NRB, &body);
    out
}

/// A Decryption Secrets Block (§4.7) holding a TLS key log, one
/// SSLKEYLOGFILE line each: before the packets it decrypts.
pub fn secrets(out: &mut Vec<u8>, lines: &[&str]) {
    let mut log = String::new();
    for line in lines {
        log.push_str(line);
        log.push('\n');
    }
    let mut body = Vec::with_capacity(8 + log.len() + 3);
    put32(&mut body, SECRETS_TLS_KEY_LOG);
    put32(&mut body, log.len() as u32);
    body.extend_from_slice(log.as_bytes());
    pad(&mut body);
    block(out, DSB, &body);
}

/// One Enhanced Packet Block on interface 0; `micros` since the Unix epoch.
pub fn packet(out: &mut Vec<u8>, micros: u64, data: &[u8]) {
    let mut body = Vec::with_capacity(20 + data.len() + 3);
    put32(&mut body, 0); // interface id
    put32(&mut body, (micros >> 32) as u32);
    put32(&mut body, micros as u32);
    put32(&mut body, data.len() as u32); // captured
    put32(&mut body, data.len() as u32); // original: nothing is cut
    body.extend_from_slice(data);
    pad(&mut body);
    block(out, EPB, &body);
}

/// Type, total length, body, total length again (§3.1).
fn block(out: &mut Vec<u8>, kind: u32, body: &[u8]) {
    let total = (12 + body.len()) as u32;
    put32(out, kind);
    put32(out, total);
    out.extend_from_slice(body);
    put32(out, total);
}

/// A code, a length and the value padded to 32 bits (§3.5); name records
/// have the same shape.
fn option(out: &mut Vec<u8>, code: u16, value: &[u8]) {
    put16(out, code);
    put16(out, value.len() as u16);
    out.extend_from_slice(value);
    pad(out);
}

fn pad(out: &mut Vec<u8>) {
    out.resize(out.len().next_multiple_of(4), 0);
}

fn put16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}
