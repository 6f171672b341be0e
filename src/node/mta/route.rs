//! Routing: which hosts to try for a domain, in which order (RFC 5321
//! §5.1), decided from the DNS answer alone. No lookup happens here; the
//! node asks DNS and hands the answer in, with the RNG that orders equal
//! preferences, so every decision is a plain function to test.

use std::collections::BTreeMap;

use rand::{Rng, RngExt};

use crate::dns::{LookupError, Record, RecordData, canonical_name};
use crate::smtp::{EnhancedCode, Mailbox};

/// One MX record: an exchange and its preference (lower is better).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mx {
    pub preference: u16,
    pub exchange: String,
}

/// Why no host of a domain can be tried: one verdict for the whole route,
/// which the queue then gives to each of the route's recipients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RouteFailure {
    /// Give up on every recipient of the route: a DSN reports it.
    Permanent {
        status: EnhancedCode,
        diagnostic: String,
    },
    /// Try the route again later.
    Temporary { reason: String },
}

/// The hosts to try for `domain`, best first, from the answer to its MX
/// question. `own` is this host's name: a backup MX must not send mail
/// to itself or to anything worse than itself.
pub(crate) fn order_mx<R: Rng + ?Sized>(
    domain: &str,
    answer: &Result<Vec<Record>, LookupError>,
    own: &str,
    rng: &mut R,
) -> Result<Vec<String>, RouteFailure> {
    let records = match answer {
        Ok(records) => records,
        // The name does not exist: no retry can help (RFC 5321 §5.1;
        // RFC 3463 X.1.2 "bad destination system address").
        Err(LookupError::NxDomain) => {
            return Err(RouteFailure::Permanent {
                status: EnhancedCode::new(5, 1, 2),
                diagnostic: format!("X-mailflow; {domain}: no such domain (NXDOMAIN)"),
            });
        }
        // SERVFAIL, a timeout, a refusal: DNS trouble is temporary.
        Err(e) => {
            return Err(RouteFailure::Temporary {
                reason: format!("4.4.3 looking up the MX of {domain}: {e}"),
            });
        }
    };
    // RFC 7505 §3: a null MX says the domain accepts no mail at all.
    if records.iter().any(|r| r.data.is_null_mx()) {
        return Err(RouteFailure::Permanent {
            status: EnhancedCode::new(5, 1, 10),
            diagnostic: format!("X-mailflow; {domain} accepts no mail: its MX is null (RFC 7505)"),
        });
    }
    let mut mxs: Vec<Mx> = records.iter().filter_map(mx_of).collect();
    if mxs.is_empty() {
        // §5.1: no MX, so the domain itself is the implicit MX, and its
        // A/AAAA records are where mail goes.
        return Ok(vec![domain.to_owned()]);
    }
    shuffle(&mut mxs, rng);
    // A stable sort keeps the shuffled order among equal preferences
    // (§5.1: "randomized to spread the load").
    mxs.sort_by_key(|mx| mx.preference);
    prune_self(domain, mxs, own)
}

fn mx_of(record: &Record) -> Option<Mx> {
    match &record.data {
        RecordData::Mx {
            preference,
            exchange,
        } => Some(Mx {
            preference: *preference,
            exchange: canonical_name(exchange),
        }),
        _ => None,
    }
}

/// Fisher-Yates, drawing from the world's seeded RNG so a seed gives one
/// order.
fn shuffle<R: Rng + ?Sized>(mxs: &mut [Mx], rng: &mut R) {
    for i in (1..mxs.len()).rev() {
        let j = rng.random_range(0..=i);
        mxs.swap(i, j);
    }
}

/// §5.1: when this host is one of the MXs, it discards itself and every
/// MX of the same or a worse preference; with none left, the mail has
/// nowhere to go.
fn prune_self(domain: &str, mut mxs: Vec<Mx>, own: &str) -> Result<Vec<String>, RouteFailure> {
    let own_preference = mxs
        .iter()
        .find(|mx| mx.exchange.eq_ignore_ascii_case(own))
        .map(|mx| mx.preference);
    if let Some(own_preference) = own_preference {
        mxs.retain(|mx| mx.preference < own_preference);
        if mxs.is_empty() {
            return Err(RouteFailure::Permanent {
                status: EnhancedCode::new(5, 4, 6),
                diagnostic: format!("X-mailflow; mail for {domain} loops back to myself"),
            });
        }
    }
    Ok(mxs.into_iter().map(|mx| mx.exchange).collect())
}

/// Recipients grouped by where they go: one route per domain (one MX
/// lookup and one session each, §5.1), or everything to the smarthost.
/// Domains compare without case (§2.4); the recipients keep theirs.
pub(crate) fn routes(
    pending: Vec<Mailbox>,
    smarthost: Option<&str>,
) -> BTreeMap<String, Vec<Mailbox>> {
    let mut by_route: BTreeMap<String, Vec<Mailbox>> = BTreeMap::new();
    for rcpt in pending {
        let route = match smarthost {
            Some(host) => host.to_owned(),
            None => rcpt.host().to_string().to_ascii_lowercase(),
        };
        by_route.entry(route).or_default().push(rcpt);
    }
    by_route
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::Xoshiro256PlusPlus;

    fn mx(preference: u16, exchange: &str) -> Record {
        Record {
            name: "example.net".to_owned(),
            ttl: 300,
            data: RecordData::Mx {
                preference,
                exchange: exchange.to_owned(),
            },
        }
    }

    fn order(
        answer: Result<Vec<Record>, LookupError>,
        own: &str,
        seed: u64,
    ) -> Result<Vec<String>, RouteFailure> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        order_mx("example.net", &answer, own, &mut rng)
    }

    #[test]
    fn lowest_preference_first_rfc5321_5_1() {
        let answer = Ok(vec![
            mx(20, "mx2.example.net."),
            mx(5, "MX0.example.net"),
            mx(10, "mx1.example.net"),
        ]);
        assert_eq!(
            order(answer, "smtp.example.org", 1),
            Ok(vec![
                "mx0.example.net".to_owned(),
                "mx1.example.net".to_owned(),
                "mx2.example.net".to_owned()
            ])
        );
    }

    #[test]
    fn equal_preferences_shuffled_deterministically_per_seed_rfc5321_5_1() {
        let answer = || {
            Ok(vec![
                mx(10, "a.example.net"),
                mx(10, "b.example.net"),
                mx(10, "c.example.net"),
                mx(10, "d.example.net"),
                mx(20, "z.example.net"),
            ])
        };
        let orders: Vec<Vec<String>> = (0..16)
            .map(|seed| order(answer(), "smtp.example.org", seed).expect("hosts"))
            .collect();
        for (seed, hosts) in orders.iter().enumerate() {
            // The same seed gives the same order every time.
            assert_eq!(
                &order(answer(), "smtp.example.org", seed as u64).expect("hosts"),
                hosts
            );
            // The worse preference stays last whatever the shuffle.
            assert_eq!(hosts.last().map(String::as_str), Some("z.example.net"));
        }
        // Sixteen seeds do not all give one order: the load is spread.
        assert!(orders.iter().any(|o| o != &orders[0]));
    }

    #[test]
    fn no_mx_means_the_domain_is_the_implicit_mx_rfc5321_5_1() {
        assert_eq!(
            order(Ok(vec![]), "smtp.example.org", 1),
            Ok(vec!["example.net".to_owned()])
        );
    }

    #[test]
    fn backup_mx_drops_itself_and_worse_preferences_rfc5321_5_1() {
        let answer = Ok(vec![
            mx(10, "mx1.example.net"),
            mx(20, "mx2.example.net"),
            mx(20, "mx3.example.net"),
            mx(30, "mx4.example.net"),
        ]);
        assert_eq!(
            order(answer, "MX2.example.net", 7),
            Ok(vec!["mx1.example.net".to_owned()])
        );
    }

    #[test]
    fn best_mx_listing_itself_has_nowhere_to_go_rfc5321_5_1() {
        let answer = Ok(vec![mx(10, "mx1.example.net"), mx(20, "mx2.example.net")]);
        match order(answer, "mx1.example.net", 1) {
            Err(RouteFailure::Permanent { status, .. }) => {
                assert_eq!(status, EnhancedCode::new(5, 4, 6));
            }
            other => panic!("expected a permanent failure, got {other:?}"),
        }
    }

    #[test]
    fn null_mx_fails_at_once_with_5_1_10_rfc7505_3() {
        let answer = Ok(vec![mx(0, ".")]);
        match order(answer, "smtp.example.org", 1) {
            Err(RouteFailure::Permanent { status, diagnostic }) => {
                assert_eq!(status, EnhancedCode::new(5, 1, 10));
                assert!(diagnostic.contains("RFC 7505"), "{diagnostic}");
            }
            other => panic!("expected a permanent failure, got {other:?}"),
        }
    }

    #[test]
    fn nxdomain_is_permanent_servfail_temporary_rfc5321_5_1() {
        match order(Err(LookupError::NxDomain), "smtp.example.org", 1) {
            Err(RouteFailure::Permanent { status, .. }) => {
                assert_eq!(status, EnhancedCode::new(5, 1, 2));
            }
            other => panic!("NXDOMAIN must be permanent, got {other:?}"),
        }
        for e in [LookupError::ServFail, LookupError::Timeout] {
            match order(Err(e), "smtp.example.org", 1) {
                Err(RouteFailure::Temporary { reason }) => {
                    assert!(reason.starts_with("4.4.3 "), "{reason}");
                }
                other => panic!("DNS trouble must be temporary, got {other:?}"),
            }
        }
    }

    #[test]
    fn routes_group_by_domain_without_case_and_keep_the_recipients_case_rfc5321_2_4() {
        let bob = Mailbox::parse("Bob@Example.NET").expect("mailbox");
        let carol = Mailbox::parse("carol@example.net").expect("mailbox");
        let dave = Mailbox::parse("dave@example.com").expect("mailbox");
        let by_route = routes(vec![bob.clone(), carol.clone(), dave.clone()], None);
        assert_eq!(by_route.get("example.net"), Some(&vec![bob.clone(), carol]));
        assert_eq!(by_route.get("example.com"), Some(&vec![dave]));
        let smarthost = routes(vec![bob], Some("relay.example.org"));
        assert_eq!(smarthost.len(), 1);
        assert_eq!(
            smarthost["relay.example.org"][0].to_string(),
            "Bob@Example.NET"
        );
    }
}
