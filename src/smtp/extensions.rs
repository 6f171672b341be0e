//! Service extensions named in the EHLO reply (RFC 5321 §4.1.1.1, RFC 1869).

use super::reply::Reply;

/// SASL mechanisms this project speaks (RFC 4954, RFC 4616).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mechanism {
    Plain,
    Login,
}

/// What a server advertised after EHLO.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extensions {
    /// `SIZE [n]` of RFC 1870; `Some(0)` means no fixed limit.
    pub size: Option<u64>,
    /// RFC 2920.
    pub pipelining: bool,
    /// RFC 6152.
    pub eight_bit_mime: bool,
    /// RFC 2034.
    pub enhanced_status_codes: bool,
    /// RFC 6531.
    pub smtputf8: bool,
    /// `AUTH PLAIN LOGIN` of RFC 4954.
    pub auth: Vec<Mechanism>,
    /// RFC 3207.
    pub starttls: bool,
    /// `CHUNKING` of RFC 3030 §2: BDAT.
    pub chunking: bool,
    /// `BINARYMIME` of RFC 3030 §3: `BODY=BINARYMIME`, sent by BDAT only.
    pub binarymime: bool,
    /// RFC 3461: NOTIFY, ORCPT, RET and ENVID are understood.
    pub dsn: bool,
}

impl Extensions {
    /// Reads the keywords from the lines after the first of a 250 EHLO reply.
    pub fn from_ehlo(reply: &Reply) -> Extensions {
        let mut ext = Extensions::default();
        for line in reply.lines().iter().skip(1) {
            let mut words = line.split_ascii_whitespace();
            let Some(keyword) = words.next() else {
                continue;
            };
            // Compared in place, not upper-cased into a new String: every
            // client session reads these lines.
            let is = |name: &str| keyword.eq_ignore_ascii_case(name);
            if is("SIZE") {
                ext.size = Some(words.next().and_then(|n| n.parse().ok()).unwrap_or(0));
            } else if is("PIPELINING") {
                ext.pipelining = true;
            } else if is("8BITMIME") {
                ext.eight_bit_mime = true;
            } else if is("ENHANCEDSTATUSCODES") {
                ext.enhanced_status_codes = true;
            } else if is("SMTPUTF8") {
                ext.smtputf8 = true;
            } else if is("STARTTLS") {
                ext.starttls = true;
            } else if is("CHUNKING") {
                ext.chunking = true;
            } else if is("BINARYMIME") {
                ext.binarymime = true;
            } else if is("AUTH") {
                ext.auth = words
                    .filter_map(|m| {
                        if m.eq_ignore_ascii_case("PLAIN") {
                            Some(Mechanism::Plain)
                        } else if m.eq_ignore_ascii_case("LOGIN") {
                            Some(Mechanism::Login)
                        } else {
                            None
                        }
                    })
                    .collect();
            } else if is("DSN") {
                ext.dsn = true;
            }
        }
        ext
    }

    /// The keyword lines a server writes after its greeting line.
    pub fn to_lines(&self) -> Vec<String> {
        let mut lines = Vec::with_capacity(10);
        if let Some(size) = self.size {
            // Sized at once: every EHLO reply of every session has it.
            lines.push(super::address::text_of(&format_args!("SIZE {size}"), 25));
        }
        let flags = [
            (self.pipelining, "PIPELINING"),
            (self.eight_bit_mime, "8BITMIME"),
            (self.enhanced_status_codes, "ENHANCEDSTATUSCODES"),
            (self.smtputf8, "SMTPUTF8"),
            (self.starttls, "STARTTLS"),
        ];
        lines.extend(
            flags
                .iter()
                .filter(|(on, _)| *on)
                .map(|(_, k)| (*k).to_owned()),
        );
        // RFC 3030 §3: BINARYMIME is sent with BDAT, so it comes with CHUNKING.
        if self.chunking {
            lines.push("CHUNKING".to_owned());
            if self.binarymime {
                lines.push("BINARYMIME".to_owned());
            }
        }
        if !self.auth.is_empty() {
            let mut auth = String::from("AUTH");
            for m in &self.auth {
                auth.push_str(match m {
                    Mechanism::Plain => " PLAIN",
                    Mechanism::Login => " LOGIN",
                });
            }
            lines.push(auth);
        }
        if self.dsn {
            lines.push("DSN".to_owned());
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ehlo_keywords_round_trip_rfc5321_4_1_1_1() {
        let ext = Extensions {
            size: Some(10_485_760),
            pipelining: true,
            eight_bit_mime: true,
            enhanced_status_codes: true,
            smtputf8: true,
            auth: vec![Mechanism::Plain, Mechanism::Login],
            starttls: false,
            chunking: true,
            binarymime: true,
            dsn: true,
        };
        let mut lines = vec!["mx.example.net greets you".to_string()];
        lines.extend(ext.to_lines());
        let reply = Reply::multiline(250, None, lines);
        assert_eq!(Extensions::from_ehlo(&reply), ext);
    }

    #[test]
    fn keywords_are_case_insensitive_and_unknown_ones_ignored_rfc1869_4_5() {
        let reply = Reply::multiline(
            250,
            None,
            vec![
                "x".into(),
                "pipelining".into(),
                "X-FANCY".into(),
                "size".into(),
            ],
        );
        let ext = Extensions::from_ehlo(&reply);
        assert!(ext.pipelining);
        assert_eq!(ext.size, Some(0));
    }
}
