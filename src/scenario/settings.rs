//! Settings changed by name, before validation: what a variant's `set`
//! and `run --set key=value` do. A key is a field of the scenario
//! (`run_for`) or a host's name and one of its fields
//! (`smtp.example.org.max_age`); a value is written as in the file but
//! without quotes for text and durations (`2h`), and lists may be written
//! with commas (`10m, 30m`) or as RON (`["10m", "30m"]`).

use serde::de::DeserializeOwned;

use super::load::ron_options;
use super::schema::Scenario;
use super::suggest::closest;

/// Why a setting could not be applied: what is wrong and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetError {
    pub message: String,
    pub help: String,
}

const SCENARIO: [&str; 4] = ["run_for", "latency", "seed", "start"];
const MTA: [&str; 20] = [
    "retry",
    "max_age",
    "greylisting",
    "slow_data_reply",
    "max_size",
    "max_recipients",
    "quota",
    "max_hops",
    "pipelining",
    "submission",
    "smarthost",
    "relay_networks",
    "relay_domains",
    "down",
    "verify_senders",
    "spf_reject",
    "dmarc_enforce",
    "chunking",
    "dsn",
    "delay_warning",
];
const CLIENT: [&str; 6] = [
    "password",
    "server",
    "pipelining",
    "chunking",
    "keep_on_server",
    "fetch",
];
const DNS: [&str; 1] = ["down"];

/// Applies `key = value` to the scenario.
pub fn apply(s: &mut Scenario, key: &str, value: &str) -> Result<(), SetError> {
    let key = key.trim();
    let value = value.trim();
    let fail = |message: String, help: String| Err(SetError { message, help });
    if !key.contains('.') {
        return match key {
            "run_for" => text(&mut s.run_for, value),
            "latency" => text(&mut s.latency, value),
            "start" => text(&mut s.start, value),
            "seed" => parsed(&mut s.seed, value, "a whole number, e.g. 7"),
            _ => fail(
                format!("the scenario has no setting called {key:?}"),
                suggest(
                    key,
                    &SCENARIO,
                    "a host's name and a field, e.g. \"smtp.example.org.max_age\", or one of",
                ),
            ),
        };
    }
    let Some((host, field)) = key.rsplit_once('.') else {
        unreachable!("the key has a dot");
    };
    let host = host.to_lowercase();
    if let Some(m) = s
        .mtas
        .iter_mut()
        .find(|m| m.name.eq_ignore_ascii_case(&host))
    {
        return match field {
            "retry" => list(&mut m.retry, value),
            "max_age" => text(&mut m.max_age, value),
            "greylisting" => optional(&mut m.greylisting, value),
            "slow_data_reply" => parsed(
                &mut m.slow_data_reply,
                value,
                "a delay and, if it ends, until when, e.g. (delay: \"9m\", until: \"5m\")",
            ),
            "max_size" => parsed(&mut m.max_size, value, "a number of octets, e.g. 1000000"),
            "max_recipients" => parsed(&mut m.max_recipients, value, "a number, e.g. 100"),
            "quota" => parsed(&mut m.quota, value, "a number of octets, e.g. 5000"),
            "max_hops" => parsed(&mut m.max_hops, value, "a number, e.g. 30"),
            "pipelining" => parsed(&mut m.pipelining, value, "true or false"),
            "submission" => parsed(&mut m.submission, value, "true or false"),
            "smarthost" => optional(&mut m.smarthost, value),
            "relay_networks" => list(&mut m.relay_networks, value),
            "relay_domains" => list(&mut m.relay_domains, value),
            "verify_senders" => parsed(&mut m.verify_senders, value, "true or false"),
            "spf_reject" => parsed(&mut m.spf_reject, value, "true or false"),
            "dmarc_enforce" => parsed(&mut m.dmarc_enforce, value, "true or false"),
            "chunking" => parsed(&mut m.chunking, value, "true or false"),
            "dsn" => parsed(&mut m.dsn, value, "true or false"),
            "delay_warning" => optional(&mut m.delay_warning, value),
            "down" => parsed(
                &mut m.down,
                value,
                "a list of windows, e.g. [(\"0s\", \"3h\")]",
            ),
            _ => fail(
                format!("an MTA has no setting called {field:?}"),
                suggest(field, &MTA, "the settings of an MTA are"),
            ),
        };
    }
    if let Some(c) = s
        .clients
        .iter_mut()
        .find(|c| c.name.eq_ignore_ascii_case(&host))
    {
        return match field {
            "password" => text(&mut c.password, value),
            "server" => text(&mut c.server, value),
            "pipelining" => parsed(&mut c.pipelining, value, "true or false"),
            "keep_on_server" => parsed(&mut c.keep_on_server, value, "true or false"),
            "chunking" => parsed(&mut c.chunking, value, "true or false"),
            "fetch" => list(&mut c.fetch, value),
            _ => fail(
                format!("a client has no setting called {field:?}"),
                suggest(field, &CLIENT, "the settings of a client are"),
            ),
        };
    }
    if let Some(d) = s
        .dns
        .iter_mut()
        .find(|d| d.name.eq_ignore_ascii_case(&host))
    {
        return match field {
            "down" => parsed(
                &mut d.down,
                value,
                "a list of windows, e.g. [(\"0s\", \"3h\")]",
            ),
            _ => fail(
                format!("a DNS server has no setting called {field:?}"),
                suggest(field, &DNS, "the settings of a DNS server are"),
            ),
        };
    }
    let names: Vec<&str> = s
        .mtas
        .iter()
        .map(|m| m.name.as_str())
        .chain(s.clients.iter().map(|c| c.name.as_str()))
        .chain(s.dns.iter().map(|d| d.name.as_str()))
        .collect();
    let help = match closest(&host, names.iter().copied()) {
        Some(h) => format!("did you mean \"{h}.{field}\"?"),
        None => format!("the hosts here are: {}", names.join(", ")),
    };
    fail(format!("no host of this scenario is called {host:?}"), help)
}

/// Applies `key=value` as the command line writes it.
pub fn apply_assignment(s: &mut Scenario, assignment: &str) -> Result<(), SetError> {
    match assignment.split_once('=') {
        Some((key, value)) => apply(s, key, value),
        None => Err(SetError {
            message: format!("{assignment:?} is not a setting"),
            help: "write key=value, e.g. --set smtp.example.org.max_age=2h".to_owned(),
        }),
    }
}

fn suggest(word: &str, fields: &[&str], lead: &str) -> String {
    match closest(word, fields.iter().copied()) {
        Some(f) => format!("did you mean {f:?}?"),
        None => format!("{lead}: {}", fields.join(", ")),
    }
}

fn text(slot: &mut String, value: &str) -> Result<(), SetError> {
    *slot = unquoted(value);
    Ok(())
}

/// Empty or `none` takes the setting away.
fn optional(slot: &mut Option<String>, value: &str) -> Result<(), SetError> {
    *slot = match unquoted(value).as_str() {
        "" | "none" => None,
        v => Some(v.to_owned()),
    };
    Ok(())
}

fn list(slot: &mut Vec<String>, value: &str) -> Result<(), SetError> {
    if value.starts_with('[') {
        return parsed(slot, value, "a list, e.g. [\"10m\", \"30m\"]");
    }
    *slot = value
        .split(',')
        .map(unquoted)
        .filter(|v| !v.is_empty())
        .collect();
    Ok(())
}

fn parsed<T: DeserializeOwned>(slot: &mut T, value: &str, form: &str) -> Result<(), SetError> {
    match ron_options().from_str::<T>(value) {
        Ok(v) => {
            *slot = v;
            Ok(())
        }
        Err(_) => Err(SetError {
            message: format!("{value:?} is not a value for this setting"),
            help: format!("write {form}"),
        }),
    }
}

fn unquoted(value: &str) -> String {
    let v = value.trim();
    v.strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(v)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::bundled;

    fn hello() -> Scenario {
        ron_options()
            .from_str(bundled::source("hello").unwrap())
            .expect("hello parses")
    }

    #[test]
    fn a_host_setting_and_a_scenario_setting_apply() {
        let mut s = hello();
        apply(&mut s, "smtp.example.org.max_age", "2h").unwrap();
        apply(&mut s, "smtp.example.org.retry", "10m, 30m").unwrap();
        apply_assignment(&mut s, "run_for=4h").unwrap();
        apply(&mut s, "seed", "9").unwrap();
        let smtp = s
            .mtas
            .iter()
            .find(|m| m.name == "smtp.example.org")
            .unwrap();
        assert_eq!(smtp.max_age, "2h");
        assert_eq!(smtp.retry, ["10m", "30m"]);
        assert_eq!((s.run_for.as_str(), s.seed), ("4h", 9));
        apply(&mut s, "mx.example.net.down", "[(\"0s\", \"3h\")]").unwrap();
        let mx = s.mtas.iter().find(|m| m.name == "mx.example.net").unwrap();
        assert_eq!(mx.down, [("0s".to_owned(), "3h".to_owned())]);
    }

    #[test]
    fn a_misspelt_setting_or_host_gets_a_suggestion() {
        let mut s = hello();
        let e = apply(&mut s, "smtp.example.org.max_aeg", "2h").unwrap_err();
        assert_eq!(e.help, "did you mean \"max_age\"?");
        let e = apply(&mut s, "smtp.exmaple.org.max_age", "2h").unwrap_err();
        assert_eq!(e.help, "did you mean \"smtp.example.org.max_age\"?");
        let e = apply(&mut s, "smtp.example.org.pipelining", "maybe").unwrap_err();
        assert!(e.help.contains("true or false"), "{e:?}");
        assert!(apply_assignment(&mut s, "run_for").is_err());
    }
}
