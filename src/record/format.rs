//! The lines of a recording as serde types: a mirror of the trace's
//! types with exact times (nanoseconds) and exact bytes, apart from the
//! JSON export's serde so each may change without the other.

use std::net::{IpAddr, SocketAddr};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::plan::Expectation;
use crate::sim::Ending;
use crate::trace::{
    Attempt, BouncedRest, ComposedRest, ConnId, DeferredRest, DeliveredRest, Dir, EventKind,
    HostId, HostInfo, Letter, LinkInfo, NotifiedRest, Payload, Protocol, QueuedRest, ResolvedRest,
    RetrievedRest, Role, SimTime, WhatIfRest, ZoneInfo,
};

/// Line 2.
#[derive(Serialize, Deserialize)]
pub struct Header {
    pub title: String,
    pub about: String,
    pub seed: u64,
    pub start_unix: i64,
    pub hosts: Vec<Host>,
    pub links: Vec<Link>,
    pub zones: Vec<ZoneInfo>,
    pub expect: Vec<Expectation>,
}

#[derive(Serialize, Deserialize)]
pub struct Host {
    pub name: String,
    pub ip: IpAddr,
    pub role: Role,
    #[serde(with = "windows")]
    pub down: Vec<(SimTime, SimTime)>,
    /// Added after version 1 first shipped: absent in older recordings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

#[derive(Serialize, Deserialize)]
pub struct Link {
    pub a: HostId,
    pub b: HostId,
    #[serde(with = "nanos")]
    pub latency: SimTime,
    #[serde(with = "windows")]
    pub down: Vec<(SimTime, SimTime)>,
}

impl From<&HostInfo> for Host {
    fn from(h: &HostInfo) -> Host {
        Host {
            name: h.name.clone(),
            ip: h.ip,
            role: h.role,
            down: h.down.clone(),
            label: h.label.clone(),
        }
    }
}

impl From<Host> for HostInfo {
    fn from(h: Host) -> HostInfo {
        HostInfo {
            name: h.name,
            ip: h.ip,
            role: h.role,
            down: h.down,
            label: h.label,
        }
    }
}

impl From<&LinkInfo> for Link {
    fn from(l: &LinkInfo) -> Link {
        Link {
            a: l.a,
            b: l.b,
            latency: l.latency,
            down: l.down.clone(),
        }
    }
}

impl From<Link> for LinkInfo {
    fn from(l: Link) -> LinkInfo {
        LinkInfo {
            a: l.a,
            b: l.b,
            latency: l.latency,
            down: l.down,
        }
    }
}

/// An event line as written: its time, then the event's own fields.
#[derive(Serialize)]
pub struct EventOut<'a> {
    #[serde(with = "nanos")]
    pub t: SimTime,
    #[serde(flatten, serialize_with = "kind_out")]
    pub kind: &'a EventKind,
}

fn kind_out<S: Serializer>(kind: &&EventKind, s: S) -> Result<S::Ok, S::Error> {
    EventKindDef::serialize(kind, s)
}

/// An event line as read.
#[derive(Deserialize)]
pub struct EventIn {
    #[serde(with = "nanos")]
    pub t: SimTime,
    #[serde(flatten, with = "EventKindDef")]
    pub kind: EventKind,
}

/// Where a live world was started again on this file (version 2): the
/// events before it, and the time its clock goes on from.
#[derive(Serialize, Deserialize)]
pub struct ResumeLine {
    pub resumed: usize,
    #[serde(with = "nanos")]
    pub t: SimTime,
}

/// The last line of a run, or of one sitting of a live world.
#[derive(Serialize, Deserialize)]
pub struct EndLine {
    pub end: Ending,
    #[serde(with = "nanos")]
    pub t: SimTime,
}

/// `EventKind` field for field (the compiler checks the mirror), with
/// times and bytes exact.
#[derive(Serialize, Deserialize)]
#[serde(remote = "EventKind", tag = "kind", rename_all = "snake_case")]
enum EventKindDef {
    Connect {
        conn: ConnId,
        from: HostId,
        to: HostId,
        port: u16,
        protocol: Protocol,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        real: Option<SocketAddr>,
    },
    Accept {
        conn: ConnId,
    },
    Refused {
        conn: ConnId,
    },
    Unreachable {
        conn: ConnId,
    },
    NoRoute {
        from: HostId,
        ip: IpAddr,
        port: u16,
    },
    Bytes {
        conn: ConnId,
        dir: Dir,
        #[serde(with = "nanos")]
        arrives: SimTime,
        #[serde(with = "bytes")]
        data: Payload,
        #[serde(default, with = "bytes_opt", skip_serializing_if = "Option::is_none")]
        sealed: Option<Payload>,
    },
    Tls {
        conn: ConnId,
        dir: Dir,
        #[serde(with = "nanos")]
        arrives: SimTime,
        #[serde(with = "bytes")]
        data: Payload,
        #[serde(default, skip_serializing_if = "crate::trace::no_secrets")]
        #[allow(clippy::box_collection)] // as in `EventKind::Tls`
        secrets: Box<Vec<String>>,
    },
    Close {
        conn: ConnId,
        dir: Dir,
        #[serde(with = "nanos")]
        arrives: SimTime,
    },
    Datagram {
        from: HostId,
        from_port: u16,
        to: HostId,
        to_port: u16,
        #[serde(with = "nanos_opt")]
        arrives: Option<SimTime>,
        #[serde(with = "bytes")]
        data: Payload,
    },
    Composed {
        host: HostId,
        message_id: String,
        #[serde(flatten, with = "composed_rest")]
        rest: Box<ComposedRest>,
    },
    Queued {
        host: HostId,
        queue_id: String,
        #[serde(flatten, with = "queued_rest")]
        rest: Box<QueuedRest>,
    },
    Attempting {
        host: HostId,
        queue_id: String,
        conn: ConnId,
        #[allow(clippy::box_collection)] // as in `EventKind`
        rcpts: Box<Vec<String>>,
    },
    Relayed {
        host: HostId,
        queue_id: String,
        #[allow(clippy::box_collection)] // as in `EventKind`
        rcpts: Box<Vec<String>>,
        to: HostId,
    },
    Delivered {
        host: HostId,
        queue_id: String,
        #[serde(flatten, with = "delivered_rest")]
        rest: Box<DeliveredRest>,
    },
    Deferred {
        host: HostId,
        queue_id: String,
        #[serde(flatten, with = "deferred_rest")]
        rest: Box<DeferredRest>,
    },
    Dequeued {
        host: HostId,
        queue_id: String,
    },
    Removed {
        host: HostId,
        mailbox: String,
        #[allow(clippy::box_collection)] // as in `EventKind`
        uids: Box<Vec<String>>,
    },
    Bounced {
        host: HostId,
        queue_id: String,
        #[serde(flatten, with = "bounced_rest")]
        rest: Box<BouncedRest>,
    },
    Notified {
        host: HostId,
        queue_id: String,
        #[serde(flatten, with = "notified_rest")]
        rest: Box<NotifiedRest>,
    },
    Expired {
        host: HostId,
        queue_id: String,
        #[allow(clippy::box_collection)] // as in `EventKind`
        rcpts: Box<Vec<String>>,
    },
    LoopDetected {
        host: HostId,
        queue_id: String,
        hops: usize,
    },
    Resolved {
        host: HostId,
        name: String,
        #[serde(flatten, with = "resolved_rest")]
        rest: Box<ResolvedRest>,
    },
    Retrieved {
        host: HostId,
        mailbox: String,
        #[serde(flatten, with = "retrieved_rest")]
        rest: Box<RetrievedRest>,
    },
    Wake {
        host: HostId,
        why: String,
    },
    WhatIf {
        host: HostId,
        conn: Option<ConnId>,
        #[serde(flatten, with = "what_if_rest")]
        rest: Box<WhatIfRest>,
    },
    HostDown {
        host: HostId,
        #[serde(with = "nanos")]
        until: SimTime,
    },
    HostUp {
        host: HostId,
    },
    Reset {
        conn: ConnId,
        why: String,
    },
    Stalled {
        from: HostId,
        to: HostId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        conn: Option<ConnId>,
        #[serde(with = "nanos")]
        until: SimTime,
    },
    Reordered {
        from: HostId,
        to: HostId,
        #[serde(with = "nanos")]
        until: SimTime,
    },
    SlowReply {
        host: HostId,
        conn: ConnId,
        #[serde(with = "nanos")]
        until: SimTime,
    },
    Duplicated {
        from: HostId,
        to: HostId,
    },
}

// The boxed rests of the larger facts, mirrored too, and flattened into
// their event's line as before they were boxed.

#[derive(Serialize, Deserialize)]
#[serde(remote = "QueuedRest")]
struct QueuedRestDef {
    message_id: String,
    from: String,
    rcpts: Vec<String>,
    conn: Option<ConnId>,
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "DeliveredRest")]
struct DeliveredRestDef {
    mailbox: String,
    uid: String,
    message_id: String,
    #[serde(with = "letter")]
    content: Letter,
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "NotifiedRest")]
struct NotifiedRestDef {
    action: String,
    rcpts: Vec<String>,
    dsn_queue_id: Option<String>,
    why: String,
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "ComposedRest")]
struct ComposedRestDef {
    from: String,
    rcpts: Vec<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "DeferredRest")]
struct DeferredRestDef {
    attempts: Vec<Attempt>,
    #[serde(with = "nanos")]
    retry_at: SimTime,
    attempt: u32,
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "BouncedRest")]
struct BouncedRestDef {
    failures: Vec<Attempt>,
    dsn_queue_id: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "ResolvedRest")]
struct ResolvedRestDef {
    qtype: String,
    outcome: String,
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "RetrievedRest")]
struct RetrievedRestDef {
    uid: String,
    message_id: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "WhatIfRest")]
struct WhatIfRestDef {
    point: String,
    instead: String,
}

/// `with` modules for a boxed rest through its mirror.
macro_rules! boxed_rest {
    ($module:ident, $rest:ty, $def:ident) => {
        mod $module {
            use super::*;

            pub fn serialize<S: Serializer>(r: &$rest, s: S) -> Result<S::Ok, S::Error> {
                $def::serialize(r, s)
            }

            pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Box<$rest>, D::Error> {
                $def::deserialize(d).map(Box::new)
            }
        }
    };
}

boxed_rest!(queued_rest, QueuedRest, QueuedRestDef);
boxed_rest!(delivered_rest, DeliveredRest, DeliveredRestDef);
boxed_rest!(notified_rest, NotifiedRest, NotifiedRestDef);
boxed_rest!(composed_rest, ComposedRest, ComposedRestDef);
boxed_rest!(deferred_rest, DeferredRest, DeferredRestDef);
boxed_rest!(bounced_rest, BouncedRest, BouncedRestDef);
boxed_rest!(resolved_rest, ResolvedRest, ResolvedRestDef);
boxed_rest!(retrieved_rest, RetrievedRest, RetrievedRestDef);
boxed_rest!(what_if_rest, WhatIfRest, WhatIfRestDef);

/// Simulated time as whole nanoseconds.
mod nanos {
    use super::*;

    pub fn serialize<S: Serializer>(t: &SimTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(t.duration().as_nanos()).unwrap_or(u64::MAX))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SimTime, D::Error> {
        u64::deserialize(d).map(|n| SimTime::from(std::time::Duration::from_nanos(n)))
    }
}

mod nanos_opt {
    use super::*;

    pub fn serialize<S: Serializer>(t: &Option<SimTime>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => nanos::serialize(t, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SimTime>, D::Error> {
        Option::<u64>::deserialize(d)
            .map(|n| n.map(|n| SimTime::from(std::time::Duration::from_nanos(n))))
    }
}

/// Down windows as `[[from, until], …]` in nanoseconds.
mod windows {
    use super::*;

    #[derive(Serialize, Deserialize)]
    struct Window(
        #[serde(with = "nanos")] SimTime,
        #[serde(with = "nanos")] SimTime,
    );

    pub fn serialize<S: Serializer>(w: &[(SimTime, SimTime)], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(w.iter().map(|&(a, b)| Window(a, b)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Vec<(SimTime, SimTime)>, D::Error> {
        Vec::<Window>::deserialize(d).map(|v| v.into_iter().map(|Window(a, b)| (a, b)).collect())
    }
}

/// Optional bytes, as [`bytes`] when present.
mod bytes_opt {
    use super::*;

    pub fn serialize<S: Serializer>(p: &Option<Payload>, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Wrap<'a>(#[serde(with = "super::bytes")] &'a Payload);
        p.as_ref().map(Wrap).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Payload>, D::Error> {
        #[derive(Deserialize)]
        struct Wrap(#[serde(with = "super::bytes")] Payload);
        Ok(Option::<Wrap>::deserialize(d)?.map(|Wrap(p)| p))
    }
}

/// Bytes as a string when they are UTF-8, else `{"b64": …}`.
mod bytes {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;

    use super::*;

    #[derive(Serialize, Deserialize)]
    #[serde(untagged)]
    enum Repr<'a> {
        Text(std::borrow::Cow<'a, str>),
        Binary { b64: String },
    }

    pub fn serialize<S: Serializer>(p: &Payload, s: S) -> Result<S::Ok, S::Error> {
        serialize_octets(p.as_bytes(), s)
    }

    pub fn serialize_octets<S: Serializer>(octets: &[u8], s: S) -> Result<S::Ok, S::Error> {
        match std::str::from_utf8(octets) {
            Ok(text) => Repr::Text(text.into()),
            Err(_) => Repr::Binary {
                b64: STANDARD.encode(octets),
            },
        }
        .serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Payload, D::Error> {
        deserialize_octets(d, Payload::new)
    }

    pub fn deserialize_octets<'de, D: Deserializer<'de>, T>(
        d: D,
        make: impl FnOnce(&[u8]) -> T,
    ) -> Result<T, D::Error> {
        match Repr::deserialize(d)? {
            Repr::Text(text) => Ok(make(text.as_bytes())),
            Repr::Binary { b64 } => STANDARD
                .decode(b64)
                .map(|b| make(&b))
                .map_err(|e| serde::de::Error::custom(format!("bad base64: {e}"))),
        }
    }
}

/// A stored letter as its octets, like [`bytes`].
mod letter {
    use super::*;

    pub fn serialize<S: Serializer>(l: &Letter, s: S) -> Result<S::Ok, S::Error> {
        bytes::serialize_octets(&l.as_bytes(), s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Letter, D::Error> {
        bytes::deserialize_octets(d, Letter::new)
    }
}
