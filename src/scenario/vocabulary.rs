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
        "ServFail" | "NxDomain" | "NoAnswer" => "this DNS fault",
        "Delivered" | "NotDelivered" | "Bounced" | "Deferred" | "Hops" | "ReceivedHeaders"
        | "Retrieved" | "Reply" => "this expectation",
        _ => "this record",
    }
}

pub fn kind_called(outer: &str) -> &'static str {
    match outer {
        "Record" => "DNS record type",
        "DnsFault" => "DNS fault",
        "Expect" => "expectation",
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
        "ServFail" | "NxDomain" | "NoAnswer" => "ServFail(name: \"example.net\", until: \"10m\")",
        "Delivered" => "Delivered(to: \"bob@example.net\", within: \"5m\")",
        "NotDelivered" => "NotDelivered(to: \"bob@example.net\")",
        "Bounced" => "Bounced(to: \"alice@example.org\", status: \"5.1.1\")",
        "Deferred" => "Deferred(at_least: 1)",
        "Hops" => "Hops(exactly: 2)",
        "ReceivedHeaders" => "ReceivedHeaders(mailbox: \"bob@example.net\", count: 2)",
        "Retrieved" => "Retrieved(by: \"bob@example.net\")",
        "Reply" => "Reply(code: 550, status: \"5.1.1\")",
        _ => return None,
    })
}

pub fn form_of_field(field: &str) -> Option<&'static str> {
    Some(match field {
        "between" => "between: (\"laptop.example.org\", \"smtp.example.org\")",
        "down" => "down: [(\"1m\", \"2m\")], a list of (from, until) windows",
        "domains" | "relay_domains" => "domains: [\"example.net\"]",
        "mailboxes" => "mailboxes: {\"bob@example.net\": \"secret\"}",
        "retry" => "retry: [\"1m\", \"5m\", \"30m\"]",
        "fetch" => "fetch: [\"5m\"]",
        "to" | "cc" | "bcc" => "to: [\"bob@example.net\"]",
        "relay_networks" => "relay_networks: [\"192.0.2.0/24\"]",
        "records" => "records: [Mx(\"example.net\", 10, \"mx.example.net\")]",
        "zones" => "zones: [(origin: \"example.net\", records: [...])]",
        "send" => "send: [(to: [\"bob@example.net\"], subject: \"Hello\", body: \"Hi\")]",
        "dns" => "dns: [(name: \"ns.example.net\", ip: \"192.0.2.53\", zones: [...])]",
        "mtas" => "mtas: [(name: \"mx.example.net\", ip: \"192.0.2.25\", domains: [...])]",
        "clients" => "clients: [(name: \"laptop.example.org\", ip: \"192.0.2.10\", ...)]",
        "links" => "links: [(between: (\"a.example.org\", \"b.example.net\"), latency: \"40ms\")]",
        "expect" => "expect: [Delivered(to: \"bob@example.net\")]",
        "faults" => "faults: [ServFail(name: \"example.net\", until: \"10m\")]",
        _ => return None,
    })
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
        "between" => "(\"laptop.example.org\", \"smtp.example.org\")",
        "to" | "mailbox" | "by" => "\"bob@example.net\"",
        "exactly" | "count" => "2",
        "code" => "550",
        _ => "...",
    }
}
