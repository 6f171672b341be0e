//! DNS (RFC 1034, RFC 1035) as sans-IO pieces: real wire format, no
//! sockets, no clock.
//!
//! How mail uses DNS: to send to `bob@example.net`, an MTA asks for the MX
//! records of `example.net`, tries the exchanges in preference order, and
//! asks for the A (or AAAA) record of each (RFC 5321 §5.1). A null MX says
//! the domain takes no mail (RFC 7505). TXT records carry SPF and DKIM.
//!
//! ```text
//!   MTA ── Resolver ──query bytes──► network ──► DNS node ── Authority
//!       ◄─ records ──  ◄──reply bytes──────────◄──────────  (zones, faults)
//! ```
//!
//! * `records`: the zone data model ([`Record`], [`RecordData`], [`QueryType`])
//! * `wire`: RFC 1035 messages: [`encode_query`], and [`Summary`] to read any
//!   message for a transcript (`response id 7 NOERROR: example.net. 300 MX 10 mx.example.net.`)
//! * `authority`: an authoritative server as a pure function of the query
//!   bytes and the simulated time ([`Authority::answer`]), with [`Fault`]s
//! * `cached`: an authority that remembers its encoded answers
//!   ([`CachedAuthority`]), the same bytes without the codec's cost
//! * `resolver`: the stub resolver the MTAs and clients use, a sans-IO
//!   machine with timeouts, retries and seeded query ids ([`Resolver`])
//!
//! hickory-proto writes and reads the bytes; its types stay in here.

pub mod authority;
pub mod cached;
mod id_free;
mod memo;
pub mod records;
mod remembered;
pub mod resolver;
pub mod wire;

pub use authority::{
    Answer, Authority, DnsAnswer, Fault, FaultKind, Zone, ZoneProblem, question_of,
};
pub use cached::CachedAuthority;
pub use records::{QueryType, Record, RecordData, UnknownQueryType, canonical_name};
pub use resolver::{LookupError, LookupId, LookupResult, Resolver, ResolverConfig};
pub use wire::{DnsError, Question, QuestionType, Rcode, Summary, encode_query};
