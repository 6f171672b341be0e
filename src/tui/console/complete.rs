//! Tab: what may come next at the end of the line, for the session's
//! state. An empty line offers the next sensible commands; a verb being
//! typed, the verbs of the protocol spoken (and the console's own
//! `:` commands); after `MAIL FROM:<` the played host's addresses, after
//! `RCPT TO:<` every address of the world, after `EHLO ` the host's
//! name, after `AUTH PLAIN ` its login in base64 (RFC 4616), after
//! `:connect ` every server and port of the world.

use super::session::Who;

/// SMTP's commands as a student types them, RFC 5321 §4.1.1 (and AUTH,
/// RFC 4954).
pub const SMTP: [&str; 11] = [
    "EHLO ",
    "HELO ",
    "AUTH PLAIN ",
    "MAIL FROM:<",
    "RCPT TO:<",
    "DATA",
    "RSET",
    "NOOP",
    "VRFY ",
    "HELP",
    "QUIT",
];

/// POP3's commands, RFC 1939 §5-§7 (and CAPA, RFC 2449).
pub const POP3: [&str; 12] = [
    "USER ", "PASS ", "STAT", "LIST", "RETR ", "DELE ", "UIDL", "TOP ", "CAPA", "NOOP", "RSET",
    "QUIT",
];

/// The console's own commands: they never go down the wire.
pub const CONSOLE: [&str; 6] = [":connect ", ":close", ":wait", ":run", ":help", ":exit"];

/// Everything Tab can offer from the world.
#[derive(Debug, Clone, Default)]
pub struct Words {
    pub who: Who,
    /// Reverse-paths the played host may use: its account, or the
    /// mailboxes of its own domains (an MTA).
    pub senders: Vec<String>,
    /// Every mailbox of the world, and every address its scenario writes to.
    pub addresses: Vec<String>,
    /// `host:port` for every port a server of the world listens on.
    pub servers: Vec<String>,
}

/// The candidates for the end of `line`: `(where the completed part
/// starts, candidates)`; each candidate replaces `line[start..]`.
pub fn candidates(line: &str, words: &Words, pop3: bool, next: &[String]) -> (usize, Vec<String>) {
    let upper = line.to_ascii_uppercase();
    let after = |prefix: &str| upper.starts_with(prefix).then_some(prefix.len());
    let matching = |start: usize, list: &mut dyn Iterator<Item = String>| {
        let typed = line[start..].to_ascii_lowercase();
        let found: Vec<String> = list
            .filter(|c| c.to_ascii_lowercase().starts_with(&typed))
            .collect();
        (start, dedup(found))
    };
    if let Some(start) = after(":CONNECT ") {
        return matching(start, &mut words.servers.iter().cloned());
    }
    if !pop3 {
        if let Some(start) = after("MAIL FROM:<") {
            let mut list = words
                .senders
                .iter()
                .map(|a| format!("{a}>"))
                .chain([">".to_owned()]);
            return matching(start, &mut list);
        }
        if let Some(start) = after("RCPT TO:<") {
            return matching(start, &mut words.addresses.iter().map(|a| format!("{a}>")));
        }
        if let Some(start) = after("EHLO ").or_else(|| after("HELO ")) {
            return matching(start, &mut std::iter::once(words.who.hostname.clone()));
        }
        if let Some(start) = after("AUTH PLAIN ") {
            let login = words.who.account.iter().map(|(a, p)| auth_plain(a, p));
            return matching(start, &mut login.collect::<Vec<_>>().into_iter());
        }
        if let Some(start) = after("AUTH ") {
            return matching(start, &mut std::iter::once("PLAIN ".to_owned()));
        }
    } else {
        if let Some(start) = after("USER ") {
            let user = words.who.account.iter().map(|(a, _)| a.clone());
            return matching(start, &mut user.collect::<Vec<_>>().into_iter());
        }
        if let Some(start) = after("PASS ") {
            let password = words.who.account.iter().map(|(_, p)| p.clone());
            return matching(start, &mut password.collect::<Vec<_>>().into_iter());
        }
    }
    if line.contains(' ') && !line.starts_with(':') {
        return (line.len(), Vec::new());
    }
    // A verb: the sensible ones first, then the rest of the protocol's.
    let verbs = if pop3 { &POP3[..] } else { &SMTP[..] };
    let mut list = next
        .iter()
        .cloned()
        .chain(verbs.iter().map(|v| (*v).to_owned()))
        .chain(CONSOLE.iter().map(|v| (*v).to_owned()));
    matching(0, &mut list)
}

use crate::smtp::client::plain_response as auth_plain;

fn dedup(list: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in list {
        if !out.iter().any(|o| o.eq_ignore_ascii_case(&c)) {
            out.push(c);
        }
    }
    out
}

/// The longest start all candidates share (ignoring case), in the first
/// one's spelling.
pub fn common_start(list: &[String]) -> String {
    let Some(first) = list.first() else {
        return String::new();
    };
    let mut end = first.len();
    for other in &list[1..] {
        end = first
            .char_indices()
            .zip(other.chars())
            .take_while(|((_, a), b)| a.eq_ignore_ascii_case(b))
            .map(|((i, a), _)| i + a.len_utf8())
            .last()
            .unwrap_or(0)
            .min(end);
    }
    first[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words() -> Words {
        Words {
            who: Who {
                hostname: "laptop.example.org".into(),
                account: Some(("alice@example.org".into(), "alice".into())),
            },
            senders: vec!["alice@example.org".into()],
            addresses: vec![
                "alice@example.org".into(),
                "bob@example.net".into(),
                "bobb@example.net".into(),
            ],
            servers: vec!["smtp.example.org:587".into(), "mx.example.net:25".into()],
        }
    }

    fn complete(line: &str) -> Vec<String> {
        let (start, list) = candidates(line, &words(), false, &[]);
        list.into_iter()
            .map(|c| format!("{}{c}", &line[..start]))
            .collect()
    }

    #[test]
    fn verbs_complete_in_any_case_and_console_commands_too() {
        assert_eq!(complete("ma"), ["MAIL FROM:<"]);
        assert_eq!(complete("R"), ["RCPT TO:<", "RSET"]);
        assert_eq!(complete(":c"), [":connect ", ":close"]);
        let (_, pop3) = candidates("r", &words(), true, &[]);
        assert_eq!(pop3, ["RETR ", "RSET"]);
    }

    #[test]
    fn addresses_hosts_and_logins_come_from_the_world() {
        assert_eq!(
            complete("MAIL FROM:<"),
            ["MAIL FROM:<alice@example.org>", "MAIL FROM:<>"]
        );
        assert_eq!(
            complete("rcpt to:<bo"),
            ["rcpt to:<bob@example.net>", "rcpt to:<bobb@example.net>"]
        );
        assert_eq!(complete("EHLO "), ["EHLO laptop.example.org"]);
        assert_eq!(
            complete("AUTH PLAIN "),
            ["AUTH PLAIN AGFsaWNlQGV4YW1wbGUub3JnAGFsaWNl"]
        );
        assert_eq!(complete(":connect mx"), [":connect mx.example.net:25"]);
        assert!(complete("MAIL FROM:<x> SIZE=").is_empty());
    }

    #[test]
    fn an_empty_line_offers_the_next_sensible_commands_first() {
        let next = vec!["EHLO laptop.example.org".to_owned()];
        let (_, list) = candidates("", &words(), false, &next);
        assert_eq!(list[0], "EHLO laptop.example.org");
        assert!(list.contains(&"QUIT".to_owned()));
    }

    #[test]
    fn the_common_start_ignores_case_and_keeps_the_first_spelling() {
        let list = vec![
            "bob@example.net>".to_owned(),
            "BOBB@example.net>".to_owned(),
        ];
        assert_eq!(common_start(&list), "bob");
        assert_eq!(common_start(&[]), "");
        assert_eq!(common_start(&["RSET".to_owned()]), "RSET");
    }

    #[test]
    fn auth_plain_is_the_rfc_4616_encoding() {
        // RFC 4616 §4's example: "\0tim\0tanstaaftanstaaf".
        assert_eq!(
            auth_plain("tim", "tanstaaftanstaaf"),
            "AHRpbQB0YW5zdGFhZnRhbnN0YWFm"
        );
    }
}
