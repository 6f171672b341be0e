//! Address prefixes (CIDR, RFC 4632 §3.1): the MTA's relay networks and
//! SPF's `ip4:`/`ip6:`/`a`/`mx` mechanisms ask the same question.

use std::net::IpAddr;

/// Whether `ip` lies in `net`/`prefix`. A prefix longer than the family
/// allows counts as the whole address; an address of the other family
/// never matches.
pub fn contains(net: IpAddr, prefix: u8, ip: IpAddr) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            let mask = u32::MAX
                .checked_shl(32 - u32::from(prefix.min(32)))
                .unwrap_or(0);
            u32::from(a) & mask == u32::from(b) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => {
            let mask = u128::MAX
                .checked_shl(128 - u32::from(prefix.min(128)))
                .unwrap_or(0);
            u128::from(a) & mask == u128::from(b) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn a_prefix_matches_the_leading_bits_rfc4632_3_1() {
        assert!(contains(ip("192.0.2.0"), 24, ip("192.0.2.77")));
        assert!(!contains(ip("192.0.2.0"), 24, ip("192.0.3.1")));
        assert!(contains(ip("2001:db8::"), 32, ip("2001:db8::1")));
        assert!(contains(ip("0.0.0.0"), 0, ip("198.51.100.9")));
        assert!(contains(ip("192.0.2.1"), 32, ip("192.0.2.1")));
        assert!(!contains(ip("192.0.2.1"), 32, ip("192.0.2.2")));
        assert!(!contains(ip("::"), 0, ip("192.0.2.1")), "families differ");
    }
}
