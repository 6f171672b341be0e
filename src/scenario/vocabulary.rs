//! The schema's words for teachers: what each record is called, how each
//! tagged value and each field is written. Kept beside `schema.rs`, and
//! tested against it: a record, a variant or a field the schema has and
//! this file does not know makes a test fail, instead of an error message
//! silently falling back to "this record".

/// What the schema's type names mean to a teacher.
pub fn thing_called(outer: &str) -> &'static str {
    match outer {
        "Scenario" => "the scenario",
        "DnsServer" => "a DNS server",
        "Zone" => "a zone",
        "Mta" => "an MTA",
        "Client" => "a client",
        "Message" => "a message",
        "Link" => "a link",
        "Reset" => "a reset",
        "SlowReply" => "a slow data reply",
        "External" => "an external host",
        "Variant" => "a variant",
        "TaskFile" => "a grading task",
        "BackupMx" => "this requirement",
        "DkimKey" => "this DKIM key",
        "MailingList" => "a mailing list",
        "ServFail" | "NxDomain" | "NoAnswer" => "this DNS fault",
        "Drop" | "Dns" | WHATIF_REPLY => "this what-if",
        "Question" => "a question",
        "LessonStep" => "a lesson step",
        t if t.starts_with("At::") => "this event selector",
        "Delivered" | "NotDelivered" | "Bounced" | "NotBounced" | "Deferred" | "Hops"
        | "ReceivedHeaders" | "Retrieved" | "Reply" | "NoReply" | "Authenticated" => {
            "this expectation"
        }
        _ => "this record",
    }
}

pub fn kind_called(outer: &str) -> &'static str {
    match outer {
        "Record" => "DNS record type",
        "DnsFault" => "DNS fault",
        "Expect" => "expectation",
        "WhatIf" => "what-if",
        "ServerTls" | "ClientTls" => "STARTTLS setting",
        "Certificate" => "certificate",
        "DkimAlgorithm" => "DKIM algorithm",
        "Require" => "requirement",
        "At" => "event selector",
        "Until" => "condition to move on",
        "NotifyOn" => "NOTIFY condition",
        "Return" => "RET value",
        _ => "kind of value",
    }
}

/// How to write a tagged value, for help lines.
pub fn form_of(tag: &str) -> Option<&'static str> {
    Some(match tag {
        "Mx" => "Mx(\"example.net\", 10, \"mx.example.net\"): domain, preference, mail host",
        "NullMx" => "NullMx(\"example.com\")",
        "A" => "A(\"mx.example.net\", \"192.0.2.25\")",
        "Aaaa" => "Aaaa(\"mx.example.net\", \"2001:db8::25\")",
        "Txt" => "Txt(\"example.net\", \"v=spf1 -all\")",
        "Cname" => "Cname(\"mail.example.net\", \"mx.example.net\")",
        "Spf" => "Spf(\"example.org\", \"v=spf1 mx -all\")",
        "Dmarc" => "Dmarc(\"example.org\", \"v=DMARC1; p=reject\")",
        "DkimKey" => {
            "DkimKey(domain: \"example.org\", selector: \"mail\", algorithm: Ed25519): a key its MTAs sign with"
        }
        "ServFail" | "NxDomain" | "NoAnswer" => "ServFail(name: \"example.net\", until: \"10m\")",
        "Delivered" => "Delivered(to: \"bob@example.net\", within: \"5m\")",
        "NotDelivered" => "NotDelivered(to: \"bob@example.net\")",
        "Bounced" => {
            "Bounced(to: \"alice@example.org\", for: \"karol@example.com\", status: \"5.1.1\")"
        }
        "NotBounced" => "NotBounced(to: \"alice@example.org\")",
        "Deferred" => "Deferred(at_least: 1)",
        "Hops" => "Hops(exactly: 2)",
        "ReceivedHeaders" => "ReceivedHeaders(mailbox: \"bob@example.net\", count: 2)",
        "Retrieved" => "Retrieved(by: \"bob@example.net\")",
        "Authenticated" => {
            "Authenticated(mailbox: \"bob@example.net\", dkim: \"pass\", dmarc: \"pass\")"
        }
        "Reply" => "Reply(code: 550, status: \"5.1.1\", from: \"mx.example.com\")",
        "NoReply" => "NoReply(code: 550)",
        "BackupMx" => "BackupMx(domain: \"example.net\")",
        WHATIF_REPLY => {
            "Reply(host: \"mx.example.net\", command: \"RCPT\", attempt: 1, reply: \"451 4.3.0 try later\")"
        }
        "Drop" => "Drop(host: \"mx.example.net\", command: \"DATA\", how: \"lost\")",
        "Dns" => "Dns(name: \"example.net\", query: \"MX\", answer: \"NXDOMAIN\")",
        "Names" => "Names([\"mail.example.com\"]): a certificate for other names",
        "At::Time" => "Time(\"3h\"): the first event at or after that time",
        "At::Reply" => "Reply(from: \"mx.example.net\", command: \"RCPT\", nth: 1)",
        "At::Dns" => "Dns(name: \"example.net\", query: \"MX\")",
        "At::Connect" => "Connect(from: \"smtp.example.org\", to: \"mx.example.net\")",
        "At::Queued" => "Queued(host: \"mx.example.net\")",
        "At::Deferred" => "Deferred(host: \"smtp.example.org\", nth: 1)",
        "At::Retry" => "Retry(host: \"smtp.example.org\")",
        "At::Bounced" => "Bounced(host: \"mx.example.net\", for: \"karol@example.net\")",
        "At::Delivered" => "Delivered(to: \"bob@example.net\")",
        "At::Retrieved" => "Retrieved(by: \"bob@example.net\")",
        "At::Notified" => "Notified(host: \"smtp.example.org\", action: \"relayed\")",
        "At::Expired" => "Expired(host: \"smtp.example.org\")",
        "At::Loop" => "Loop(host: \"mx.example.net\")",
        "At::Down" => "Down(host: \"mx.example.net\")",
        "At::Up" => "Up(host: \"mx.example.net\")",
        "Reached" => "Reached(Delivered(to: \"bob@example.net\")): when playback gets there",
        _ => return None,
    })
}

/// `Reply` under `overrides` is a what-if, not the expectation: the
/// vocabulary knows it by this name.
const WHATIF_REPLY: &str = "WhatIf::Reply";

/// The event selectors' tags, as the vocabulary knows them: `Reply`
/// under `quiz` or `lesson` is a selector, not the expectation.
const SELECTORS: &[(&str, &str)] = &[
    ("Time", "At::Time"),
    ("Reply", "At::Reply"),
    ("Dns", "At::Dns"),
    ("Connect", "At::Connect"),
    ("Queued", "At::Queued"),
    ("Deferred", "At::Deferred"),
    ("Retry", "At::Retry"),
    ("Bounced", "At::Bounced"),
    ("Delivered", "At::Delivered"),
    ("Retrieved", "At::Retrieved"),
    ("Notified", "At::Notified"),
    ("Expired", "At::Expired"),
    ("Loop", "At::Loop"),
    ("Down", "At::Down"),
    ("Up", "At::Up"),
];

/// A tag as read in `section` (the scenario's field the value stands
/// under): `Reply` means a what-if under `overrides`, an event selector
/// under `quiz` and `lesson`.
fn tag_in<'t>(section: Option<&str>, tag: &'t str) -> &'t str {
    match section {
        Some("overrides") if tag == "Reply" => WHATIF_REPLY,
        Some("quiz" | "lesson") => SELECTORS
            .iter()
            .find(|(bare, _)| *bare == tag)
            .map_or(tag, |(_, long)| long),
        _ => tag,
    }
}

/// [`form_of`] for a tag written under `section`.
pub fn form_in(section: Option<&str>, tag: &str) -> Option<&'static str> {
    form_of(tag_in(section, tag))
}

/// [`thing_called`] for a record written under `section`.
pub fn thing_in(section: Option<&str>, outer: &str) -> &'static str {
    thing_called(tag_in(section, outer))
}

/// How to write a field whose value is a list, a map or a pair.
pub fn form_of_field(field: &str) -> Option<String> {
    let (value, gloss) = match field {
        "between" => (
            "(\"laptop.example.org\", \"smtp.example.org\")",
            " for a link's two hosts; an expectation's window is two times, (\"1h\", \"2h\")",
        ),
        "down" | "stalls" => ("[(\"1m\", \"2m\")]", ", a list of (from, until) windows"),
        "resets" => (
            "[(at: \"5m\"), (session: 2, after: 120)]",
            ", each a time, or a session and the octets its client sends before the cut",
        ),
        "domains" | "relay_domains" => ("[\"example.net\"]", ""),
        "mailboxes" => ("{\"bob@example.net\": \"secret\"}", ""),
        "retry" => ("[\"1m\", \"5m\", \"30m\"]", ""),
        "fetch" => ("[\"5m\"]", ""),
        "to" | "cc" | "bcc" => ("[\"bob@example.net\"]", ""),
        "relay_networks" => ("[\"192.0.2.0/24\"]", ""),
        "records" => ("[Mx(\"example.net\", 10, \"mx.example.net\")]", ""),
        "zones" => ("[(origin: \"example.net\", records: [...])]", ""),
        "send" => (
            "[(to: [\"bob@example.net\"], subject: \"Hello\", body: \"Hi\")]",
            "",
        ),
        "dns" => (
            "[(name: \"ns.example.net\", ip: \"192.0.2.53\", zones: [...])]",
            "",
        ),
        "mtas" => (
            "[(name: \"mx.example.net\", ip: \"192.0.2.25\", domains: [...])]",
            "",
        ),
        "clients" => (
            "[(name: \"laptop.example.org\", ip: \"192.0.2.10\", \
             account: \"alice@example.org\", password: \"secret\", server: \"smtp.example.org\")]",
            "",
        ),
        "links" => (
            "[(between: (\"a.example.org\", \"b.example.net\"), latency: \"40ms\")]",
            "",
        ),
        "externals" => (
            "[(name: \"relay.example.com\", ip: \"192.0.2.99\", address: \"127.0.0.1:8025\")]",
            "",
        ),
        "expect" => ("[Delivered(to: \"bob@example.net\")]", ""),
        "variants" => (
            "[(name: \"expire\", set: {\"smtp.example.org.max_age\": \"2h\"}, expect: [Expired])]",
            "",
        ),
        "set" => ("{\"smtp.example.org.max_age\": \"2h\"}", ""),
        "dkim_selectors" => (
            "{\"example.org\": \"mail\"}",
            ", the selector each domain signs with",
        ),
        "forward" => ("{\"bob@example.net\": [\"bob@example.com\"]}", ""),
        "lists" => (
            "{\"lunch@lists.example.net\": (members: [\"bob@example.net\"], footer: \"--\\nlunch list\")}",
            "",
        ),
        "members" => ("[\"bob@example.net\"]", ""),
        "require" => ("[NoOpenRelay, BackupMx(domain: \"example.net\")]", ""),
        "deliberate" => ("[\"password\"]", ", the slips that are the lesson"),
        "inject_after_starttls" => ("[\"RSET\"]", ", lines sent behind STARTTLS before its 220"),
        "notify" => (
            "[Success, Delay]",
            ", when the sender wants delivery reports (RFC 3461 NOTIFY), or [Never]",
        ),
        "notify_for" => ("{\"carol@example.com\": [Never]}", ", NOTIFY per recipient"),
        "faults" => ("[ServFail(name: \"example.net\", until: \"10m\")]", ""),
        "quiz" => (
            "[(at: Reply(from: \"mx.example.net\", command: \"RCPT\"), ask: \"What will it answer?\", \
             choices: [\"250\", \"450\", \"550\"], answer: 2, why: \"...\")]",
            ", a list of questions",
        ),
        "lesson" => (
            "[(text: \"Watch the first session.\", at: Start)]",
            ", a list of steps",
        ),
        "questions" => (
            "[(ask: \"What will it answer?\", choices: [\"250\", \"450\"], answer: 2)]",
            ", asked at the step's `at`",
        ),
        "choices" => ("[\"250\", \"450\", \"550\"]", ""),
        "overrides" => (
            "[Reply(host: \"mx.example.net\", command: \"RCPT\", reply: \"451 4.3.0 try later\")]",
            ", a list of what-ifs",
        ),
        _ => return None,
    };
    Some(format!("{field}: {value}{gloss}"))
}

/// An example value for a required field of `thing` (as `thing_called`
/// names it): a question's `answer` is a number, a what-if's a DNS answer.
pub fn example_in(thing: &str, field: &str) -> &'static str {
    match (thing, field) {
        ("a question", "answer") => "2",
        ("a slow data reply", "delay") => "\"11m\"",
        _ => example_of(field),
    }
}

/// An example value for a required field.
pub fn example_of(field: &str) -> &'static str {
    match field {
        "title" => "\"What this scenario shows\"",
        "name" => "\"mx.example.net\"",
        "ip" => "\"192.0.2.25\"",
        "zones" => "[(origin: \"example.net\", records: [...])]",
        "origin" => "\"example.net\"",
        "account" => "\"alice@example.org\"",
        "password" => "\"secret\"",
        "server" => "\"smtp.example.org\"",
        "address" => "\"127.0.0.1:8025\"",
        "between" => "(\"laptop.example.org\", \"smtp.example.org\")",
        "to" | "mailbox" | "by" => "\"bob@example.net\"",
        "exactly" | "count" => "2",
        "code" => "550",
        "host" => "\"mx.example.net\"",
        "command" => "\"RCPT\"",
        "reply" => "\"451 4.3.0 try later\"",
        "answer" => "\"NXDOMAIN\"",
        "ask" => "\"What will mx.example.net answer?\"",
        "choices" => "[\"250\", \"450\", \"550\"]",
        "text" => "\"Watch the first session.\"",
        "domain" => "\"example.org\"",
        "selector" => "\"mail\"",
        "members" => "[\"bob@example.net\"]",
        _ => "...",
    }
}

#[cfg(test)]
mod tests {
    //! The schema read back from its `Deserialize` impls: a probe walks
    //! every record, field and variant, so the vocabulary can be checked
    //! against what the schema really has.

    use std::cell::RefCell;
    use std::collections::BTreeMap;

    use serde::Deserialize;
    use serde::de::value::{Error, StrDeserializer};
    use serde::de::{
        self, DeserializeSeed, EnumAccess, IntoDeserializer, MapAccess, SeqAccess, VariantAccess,
        Visitor,
    };

    use super::*;
    use crate::scenario::load::ron_options;
    use crate::scenario::schema;

    /// What a field's value is, as the probe saw it asked for.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Shape {
        Scalar,
        /// A list, a map or a tuple: written with brackets.
        Bracketed,
        Record,
    }

    /// What the schema has: records (structs and variants with named
    /// fields) with their fields, and enums with their variants.
    #[derive(Default)]
    struct Schema {
        records: BTreeMap<&'static str, Vec<(&'static str, Shape)>>,
        /// enum → variants, each with whether it carries values.
        enums: BTreeMap<&'static str, BTreeMap<&'static str, bool>>,
        /// record or variant → the enum or struct type it is parsed as.
        parsed_as: BTreeMap<&'static str, &'static str>,
    }

    /// Deserializes any schema type from nothing, writing down what it is
    /// asked for. `pick` chooses which variant of every enum to take, so
    /// that walks with every `pick` see every variant.
    #[derive(Clone, Copy)]
    struct Probe<'a> {
        schema: &'a RefCell<Schema>,
        pick: usize,
        /// The record and field whose value this is.
        field: Option<(&'static str, &'static str)>,
    }

    impl<'a> Probe<'a> {
        fn saw(&self, shape: Shape) {
            if let Some((record, field)) = self.field {
                let mut schema = self.schema.borrow_mut();
                let fields = schema.records.entry(record).or_default();
                if !fields.iter().any(|(f, _)| *f == field) {
                    fields.push((field, shape));
                }
            }
        }

        fn inner(self) -> Probe<'a> {
            Probe {
                field: None,
                ..self
            }
        }

        fn fields(self, record: &'static str, fields: &'static [&'static str]) -> Fields<'a> {
            self.schema.borrow_mut().records.entry(record).or_default();
            Fields {
                probe: self,
                record,
                fields,
                at: 0,
            }
        }
    }

    macro_rules! scalars {
        ($($method:ident => $visit:ident($value:expr)),* $(,)?) => {
            $(fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
                self.saw(Shape::Scalar);
                visitor.$visit($value)
            })*
        };
    }

    impl<'de> de::Deserializer<'de> for Probe<'_> {
        type Error = Error;

        scalars! {
            deserialize_bool => visit_bool(false),
            deserialize_i8 => visit_i64(0),
            deserialize_i16 => visit_i64(0),
            deserialize_i32 => visit_i64(0),
            deserialize_i64 => visit_i64(0),
            deserialize_u8 => visit_u64(0),
            deserialize_u16 => visit_u64(0),
            deserialize_u32 => visit_u64(0),
            deserialize_u64 => visit_u64(0),
            deserialize_f32 => visit_f64(0.0),
            deserialize_f64 => visit_f64(0.0),
            deserialize_char => visit_char('x'),
            deserialize_str => visit_str(""),
            deserialize_string => visit_str(""),
            deserialize_bytes => visit_bytes(b""),
            deserialize_byte_buf => visit_bytes(b""),
            deserialize_identifier => visit_str(""),
        }

        fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            self.saw(Shape::Scalar);
            visitor.visit_unit()
        }

        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Error> {
            Err(de::Error::custom("the schema asks for any value"))
        }

        fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
            self.deserialize_any(v)
        }

        /// IMPLICIT_SOME: an option is written as its value.
        fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            visitor.visit_some(self)
        }

        fn deserialize_unit_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            visitor: V,
        ) -> Result<V::Value, Error> {
            self.deserialize_unit(visitor)
        }

        fn deserialize_newtype_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            visitor: V,
        ) -> Result<V::Value, Error> {
            visitor.visit_newtype_struct(self)
        }

        fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            self.saw(Shape::Bracketed);
            visitor.visit_seq(Items(self.inner(), 1))
        }

        fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, v: V) -> Result<V::Value, Error> {
            self.saw(Shape::Bracketed);
            v.visit_seq(Items(self.inner(), len))
        }

        fn deserialize_tuple_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            len: usize,
            visitor: V,
        ) -> Result<V::Value, Error> {
            self.deserialize_tuple(len, visitor)
        }

        fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            self.saw(Shape::Bracketed);
            visitor.visit_map(Entry(self.inner(), true))
        }

        fn deserialize_struct<V: Visitor<'de>>(
            self,
            name: &'static str,
            fields: &'static [&'static str],
            visitor: V,
        ) -> Result<V::Value, Error> {
            self.saw(Shape::Record);
            self.schema.borrow_mut().parsed_as.insert(name, name);
            visitor.visit_map(self.inner().fields(name, fields))
        }

        fn deserialize_enum<V: Visitor<'de>>(
            self,
            name: &'static str,
            variants: &'static [&'static str],
            visitor: V,
        ) -> Result<V::Value, Error> {
            self.saw(Shape::Record);
            self.schema.borrow_mut().enums.entry(name).or_default();
            let bare = variants[self.pick.min(variants.len() - 1)];
            // `Reply` is an expectation and a what-if: the vocabulary
            // knows the what-if's by a longer name (see `tag_in`).
            let variant = match name {
                "WhatIf" => tag_in(Some("overrides"), bare),
                "At" => tag_in(Some("quiz"), bare),
                _ => bare,
            };
            self.schema.borrow_mut().parsed_as.insert(variant, name);
            visitor.visit_enum(Variant {
                probe: self.inner(),
                name,
                variant,
                bare,
            })
        }
    }

    /// `n` items of a list or tuple.
    struct Items<'a>(Probe<'a>, usize);

    impl<'de> SeqAccess<'de> for Items<'_> {
        type Error = Error;

        fn next_element_seed<T: DeserializeSeed<'de>>(
            &mut self,
            seed: T,
        ) -> Result<Option<T::Value>, Error> {
            if self.1 == 0 {
                return Ok(None);
            }
            self.1 -= 1;
            seed.deserialize(self.0).map(Some)
        }
    }

    /// One entry of a map.
    struct Entry<'a>(Probe<'a>, bool);

    impl<'de> MapAccess<'de> for Entry<'_> {
        type Error = Error;

        fn next_key_seed<K: DeserializeSeed<'de>>(
            &mut self,
            seed: K,
        ) -> Result<Option<K::Value>, Error> {
            if !std::mem::take(&mut self.1) {
                return Ok(None);
            }
            seed.deserialize(self.0).map(Some)
        }

        fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
            seed.deserialize(self.0)
        }
    }

    /// Every field of a record, each with a probed value.
    struct Fields<'a> {
        probe: Probe<'a>,
        record: &'static str,
        fields: &'static [&'static str],
        at: usize,
    }

    impl<'de> MapAccess<'de> for Fields<'_> {
        type Error = Error;

        fn next_key_seed<K: DeserializeSeed<'de>>(
            &mut self,
            seed: K,
        ) -> Result<Option<K::Value>, Error> {
            let Some(field) = self.fields.get(self.at) else {
                return Ok(None);
            };
            let name: StrDeserializer<Error> = field.into_deserializer();
            seed.deserialize(name).map(Some)
        }

        fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
            let field = self.fields[self.at];
            self.at += 1;
            seed.deserialize(Probe {
                field: Some((self.record, field)),
                ..self.probe
            })
        }
    }

    struct Variant<'a> {
        probe: Probe<'a>,
        name: &'static str,
        /// As the vocabulary knows it (`WhatIf::Reply`).
        variant: &'static str,
        /// As written in a file (`Reply`).
        bare: &'static str,
    }

    impl<'a, 'de> EnumAccess<'de> for Variant<'a> {
        type Error = Error;
        type Variant = Variant<'a>;

        fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Self), Error> {
            let name: StrDeserializer<Error> = self.bare.into_deserializer();
            Ok((seed.deserialize(name)?, self))
        }
    }

    impl<'de> VariantAccess<'de> for Variant<'_> {
        type Error = Error;

        fn unit_variant(self) -> Result<(), Error> {
            self.carries(false);
            Ok(())
        }

        fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
            self.carries(true);
            seed.deserialize(self.probe)
        }

        fn tuple_variant<V: Visitor<'de>>(self, len: usize, v: V) -> Result<V::Value, Error> {
            self.carries(true);
            v.visit_seq(Items(self.probe, len))
        }

        fn struct_variant<V: Visitor<'de>>(
            self,
            fields: &'static [&'static str],
            visitor: V,
        ) -> Result<V::Value, Error> {
            self.carries(true);
            visitor.visit_map(self.probe.fields(self.variant, fields))
        }
    }

    impl Variant<'_> {
        fn carries(&self, values: bool) {
            let mut schema = self.probe.schema.borrow_mut();
            let variants = schema.enums.entry(self.name).or_default();
            variants.insert(self.variant, values);
        }
    }

    /// The schema, walked once for each variant index.
    fn schema() -> Schema {
        let schema = RefCell::new(Schema::default());
        for pick in 0..32 {
            let probe = Probe {
                schema: &schema,
                pick,
                field: None,
            };
            schema::Scenario::deserialize(probe).expect("the probe fills in every field");
        }
        schema.into_inner()
    }

    /// Parses `text` as the schema type `name`.
    fn parse(name: &str, text: &str) -> Result<(), ron::error::SpannedError> {
        fn as_<T: for<'de> Deserialize<'de>>(text: &str) -> Result<(), ron::error::SpannedError> {
            ron_options().from_str::<T>(text).map(drop)
        }
        match name {
            "Scenario" => as_::<schema::Scenario>(text),
            "DnsServer" => as_::<schema::DnsServer>(text),
            "Zone" => as_::<schema::Zone>(text),
            "Record" => as_::<schema::Record>(text),
            "DnsFault" => as_::<schema::DnsFault>(text),
            "Mta" => as_::<schema::Mta>(text),
            "External" => as_::<schema::External>(text),
            "Client" => as_::<schema::Client>(text),
            "Message" => as_::<schema::Message>(text),
            "Link" => as_::<schema::Link>(text),
            "Reset" => as_::<schema::Reset>(text),
            "SlowReply" => as_::<schema::SlowReply>(text),
            "Expect" => as_::<schema::Expect>(text),
            "WhatIf" => as_::<crate::scenario::whatif::WhatIf>(text),
            "ServerTls" => as_::<schema::ServerTls>(text),
            "ClientTls" => as_::<schema::ClientTls>(text),
            "Certificate" => as_::<schema::Certificate>(text),
            "Variant" => as_::<schema::Variant>(text),
            "At" => as_::<crate::scenario::lesson::At>(text),
            "Until" => as_::<crate::scenario::lesson::Until>(text),
            "Question" => as_::<crate::scenario::lesson::Question>(text),
            "LessonStep" => as_::<crate::scenario::lesson::LessonStep>(text),
            "MailingList" => as_::<schema::MailingList>(text),
            "DkimAlgorithm" => as_::<schema::DkimAlgorithm>(text),
            other => panic!("schema.rs has a new type {other}: add it to this test's `parse`"),
        }
    }

    /// A record written with these fields: `(a: 1)`, or `Tag(a: 1)` for a
    /// variant. `[...]` in an example stands for any list.
    fn written(record: &str, schema: &Schema, fields: &[String]) -> String {
        let tag = if schema.enums.contains_key(schema.parsed_as[record]) {
            record.rsplit("::").next().unwrap_or(record)
        } else {
            ""
        };
        format!("{tag}({})", fields.join(", ")).replace("[...]", "[]")
    }

    /// The required fields of `record`, found by leaving every field out
    /// and adding each one RON says is missing, written with its example.
    fn required(record: &'static str, schema: &Schema) -> Result<Vec<String>, String> {
        let mut fields = Vec::new();
        for _ in 0..=schema.records[record].len() {
            let text = written(record, schema, &fields);
            match parse(schema.parsed_as[record], &text) {
                Ok(()) => return Ok(fields),
                Err(e) => {
                    let ron::error::Error::MissingStructField { field: missing, .. } = e.code
                    else {
                        return Err(format!("{text}: {e}"));
                    };
                    let example = example_in(thing_called(record), missing);
                    if example == "..." {
                        return Err(format!("{record}.{missing} is required and has no example"));
                    }
                    fields.push(format!("{missing}: {example}"));
                }
            }
        }
        Err(format!("{record}: the examples never make a record"))
    }

    /// The value of a form, without the gloss after it: `[("1m", "2m")]`
    /// from `[("1m", "2m")], a list of (from, until) windows`.
    fn value_of(form: &str) -> &str {
        let mut depth = 0usize;
        let mut quoted = false;
        for (i, c) in form.char_indices() {
            match c {
                '"' => quoted = !quoted,
                '(' | '[' | '{' if !quoted => depth += 1,
                ')' | ']' | '}' if !quoted => {
                    depth -= 1;
                    if depth == 0 {
                        return &form[..=i];
                    }
                }
                _ => {}
            }
        }
        form
    }

    #[test]
    fn every_record_and_kind_of_value_has_a_name() {
        let schema = schema();
        for record in schema.records.keys() {
            assert_ne!(thing_called(record), "this record", "{record} has no name");
        }
        for kind in schema.enums.keys() {
            assert_ne!(kind_called(kind), "kind of value", "{kind} has no name");
        }
        assert!(schema.records.len() >= 15, "{:?}", schema.records.keys());
    }

    #[test]
    fn every_tagged_value_has_a_form_that_parses() {
        let schema = schema();
        for (kind, variants) in &schema.enums {
            for (variant, carries) in variants {
                if !carries {
                    continue;
                }
                let form = form_of(variant).unwrap_or_else(|| panic!("{variant} has no form"));
                let example = value_of(form);
                let bare = variant.rsplit("::").next().unwrap_or(variant);
                assert!(
                    example.starts_with(&format!("{bare}(")) || kind == &"DnsFault",
                    "{form}"
                );
                parse(kind, example).unwrap_or_else(|e| panic!("{form}: {e}"));
            }
        }
    }

    #[test]
    fn every_required_field_has_an_example_that_parses() {
        let schema = schema();
        for record in schema.records.keys() {
            required(record, &schema).unwrap_or_else(|e| panic!("{e}"));
        }
    }

    #[test]
    fn every_bracketed_field_has_a_form_that_parses() {
        let schema = schema();
        for (record, fields) in &schema.records {
            let base = required(record, &schema).unwrap_or_else(|e| panic!("{e}"));
            for (field, shape) in fields {
                if *shape != Shape::Bracketed {
                    continue;
                }
                let form =
                    form_of_field(field).unwrap_or_else(|| panic!("{record}.{field} has no form"));
                let mut with = base.clone();
                with.retain(|f| !f.starts_with(&format!("{field}: ")));
                with.push(value_of(&form).to_owned());
                let text = written(record, &schema, &with);
                parse(schema.parsed_as[record], &text).unwrap_or_else(|e| panic!("{text}: {e}"));
            }
        }
    }
}
