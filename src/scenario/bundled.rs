//! The scenarios shipped inside the binary, so `mailflow run hello` works
//! anywhere. Each is also a file under `scenarios/` for teachers to copy.

macro_rules! bundled {
    ($($name:literal),* $(,)?) => {
        /// (name, RON source) of every bundled scenario, `hello` first.
        pub const BUNDLED: &[(&str, &str)] = &[
            $(($name, include_str!(concat!("../../scenarios/", $name, ".ron")))),*
        ];
    };
}

bundled![
    "hello",
    "mx-backup",
    "implicit-mx",
    "null-mx",
    "nxdomain-typo",
    "servfail-recovery",
    "unknown-user",
    "greylisting",
    "relay-refused",
    "mail-loop",
    "too-big",
    "three-domains",
    "mixed-fortunes",
    "destination-down",
    "pipelining",
    "smuggling",
    "starttls",
    "dmarc-spoof",
    "dmarc-none",
    "forwarding",
    "mailing-list",
    "tls-expired-certificate",
    "tls-wrong-name",
    "tls-downgrade",
    "starttls-injection",
    "duplicate-delivery",
    "chunking",
    "dsn",
];

/// The built-in default scenario.
pub const DEFAULT: &str = "hello";

/// The source of a bundled scenario.
pub fn source(name: &str) -> Option<&'static str> {
    BUNDLED
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, source)| *source)
}

/// Every bundled name, in order.
pub fn names() -> Vec<&'static str> {
    BUNDLED.iter().map(|(n, _)| *n).collect()
}
