//! The server's half of DSN (RFC 3461): its parameters are refused with
//! 555 when the extension is not offered, as any unknown parameter is
//! (RFC 5321 §4.1.1.11), and a recipient's NOTIFY and ORCPT are kept
//! with its forward path for the MTA behind the session.

use super::{ServerSession, esc};
use crate::smtp::command::CommandError;
use crate::smtp::dsn::RcptDsn;
use crate::smtp::reply::Reply;

impl ServerSession {
    /// A 555 for `keyword` of `verb` when this server does not offer DSN.
    pub(super) fn dsn_not_offered(&self, verb: &str, keyword: Option<&str>) -> Option<Reply> {
        let keyword = keyword.filter(|_| !self.config.dsn)?;
        let text = format!("{verb} parameter {keyword} not recognized: DSN is not offered here");
        Some(Reply::new(555, esc(5, 5, 4), text))
    }

    /// The reply to a line that did not parse. A malformed DSN parameter
    /// is a 501 where DSN is offered (RFC 3461 §4), and as unknown as any
    /// other (555) where it is not.
    pub(super) fn reply_to_bad_line(&self, error: &CommandError) -> Reply {
        match error {
            CommandError::Dsn(why) if !self.config.dsn => Reply::new(
                555,
                esc(5, 5, 4),
                format!(
                    "Parameter {} not recognized: DSN is not offered here",
                    why.keyword()
                ),
            ),
            _ => error.reply(),
        }
    }

    /// NOTIFY and ORCPT of the recipient just added to the transaction.
    pub(super) fn keep_rcpt_dsn(&mut self, dsn: RcptDsn) {
        if let Some(last) = self
            .transaction
            .as_mut()
            .and_then(|envelope| envelope.rcpt_dsn.last_mut())
        {
            *last = dsn;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use crate::smtp::dsn::{Notify, Orcpt, Ret};
    use crate::smtp::extensions::Extensions;
    use crate::smtp::policy::{Peer, SimplePolicy};
    use crate::smtp::reply::{Reply, ReplyParser};
    use crate::smtp::server::{ServerConfig, ServerEvent, ServerSession};

    /// The replies of mx.example.net (mailbox bob) to `input`, and the
    /// envelope of the message it took, if any.
    fn session(dsn: bool, input: &str) -> (Vec<Reply>, Option<crate::smtp::Envelope>) {
        let mut config = ServerConfig::new("mx.example.net");
        config.dsn = dsn;
        let mut policy = SimplePolicy::for_domain("example.net", &["bob", "carol"]);
        let now = Instant::now();
        let mut s = ServerSession::new(config, Peer::default(), now, &mut policy);
        s.poll_transmit();
        s.handle_input(input.as_bytes(), now, &mut policy);
        let mut parser = ReplyParser::new();
        parser.push(&s.poll_transmit().unwrap_or_default());
        let replies = std::iter::from_fn(|| parser.next_reply())
            .map(Result::unwrap)
            .collect();
        let envelope = std::iter::from_fn(|| s.poll_event()).find_map(|e| match e {
            ServerEvent::MessageReceived { envelope, .. } => Some(envelope),
            _ => None,
        });
        (replies, envelope)
    }

    fn codes(dsn: bool, input: &str) -> Vec<u16> {
        session(dsn, input)
            .0
            .iter()
            .map(|r| r.code().get())
            .collect()
    }

    #[test]
    fn rfc3461_s4_ehlo_advertises_dsn_when_offered() {
        let (replies, _) = session(true, "EHLO c.example\r\n");
        assert!(Extensions::from_ehlo(&replies[0]).dsn);
        let (replies, _) = session(false, "EHLO c.example\r\n");
        assert!(!Extensions::from_ehlo(&replies[0]).dsn);
    }

    #[test]
    fn rfc3461_s4_parameters_are_kept_with_the_envelope() {
        let (replies, envelope) = session(
            true,
            "EHLO c.example\r\nMAIL FROM:<a@b.example> RET=HDRS ENVID=QQ+2B1\r\n\
             RCPT TO:<bob@example.net> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;Bob@example.net\r\n\
             RCPT TO:<carol@example.net>\r\nDATA\r\nSubject: x\r\n\r\nhi\r\n.\r\n",
        );
        let codes: Vec<u16> = replies.iter().map(|r| r.code().get()).collect();
        assert_eq!(codes, [250, 250, 250, 250, 354, 250]);
        let envelope = envelope.expect("a message");
        assert_eq!(envelope.params.dsn.ret, Some(Ret::Hdrs));
        assert_eq!(envelope.params.dsn.envid.as_deref(), Some("QQ+1"));
        let bob = envelope.dsn_of(0);
        assert_eq!(
            bob.notify,
            Some(Notify {
                success: true,
                failure: false,
                delay: true
            })
        );
        assert_eq!(bob.orcpt, Some(Orcpt::rfc822("Bob@example.net")));
        assert!(envelope.dsn_of(1).is_empty());
    }

    #[test]
    fn rfc3461_s4_bad_dsn_parameters_are_501_5_5_4() {
        for (line, words) in [
            (
                "RCPT TO:<bob@example.net> NOTIFY=NEVER,SUCCESS",
                "NEVER cannot be combined",
            ),
            (
                "RCPT TO:<bob@example.net> NOTIFY=SOMETIMES",
                "NOTIFY takes NEVER",
            ),
            (
                "RCPT TO:<bob@example.net> ORCPT=bob@example.net",
                "addr-type;xtext",
            ),
            (
                "RCPT TO:<bob@example.net> ORCPT=rfc822;bob+zz",
                "two upper-case hex",
            ),
            (
                "RCPT TO:<bob@example.net> NOTIFY=NEVER NOTIFY=NEVER",
                "given twice",
            ),
            ("MAIL FROM:<a@b.example> RET=ALL", "FULL or HDRS"),
            ("MAIL FROM:<a@b.example> RET=HDRS RET=FULL", "given twice"),
            ("MAIL FROM:<a@b.example> ENVID=a+", "two upper-case hex"),
        ] {
            let prefix = if line.starts_with("RCPT") {
                "EHLO c.example\r\nMAIL FROM:<a@b.example>\r\n"
            } else {
                "EHLO c.example\r\n"
            };
            let (replies, _) = session(true, &format!("{prefix}{line}\r\n"));
            let reply = replies.last().unwrap();
            assert_eq!(reply.code().get(), 501, "{line}");
            assert_eq!(reply.enhanced().unwrap().to_string(), "5.5.4", "{line}");
            assert!(reply.text().contains(words), "{line}: {}", reply.text());
        }
    }

    #[test]
    fn rfc3461_s4_4_envid_over_100_characters_is_501() {
        let long = "x".repeat(101);
        let input = format!("EHLO c.example\r\nMAIL FROM:<a@b.example> ENVID={long}\r\n");
        assert_eq!(codes(true, &input), [250, 501]);
    }

    #[test]
    fn rfc5321_4_1_1_11_dsn_parameters_without_dsn_are_555() {
        let mail = "EHLO c.example\r\nMAIL FROM:<a@b.example> RET=HDRS\r\n";
        assert_eq!(codes(false, mail), [250, 555]);
        let rcpt = "EHLO c.example\r\nMAIL FROM:<a@b.example>\r\n\
                    RCPT TO:<bob@example.net> NOTIFY=NEVER\r\n";
        assert_eq!(codes(false, rcpt), [250, 250, 555]);
        // Even a malformed one is only unknown there.
        let bad = "EHLO c.example\r\nMAIL FROM:<a@b.example> RET=ALL\r\n";
        assert_eq!(codes(false, bad), [250, 555]);
        // And after HELO no parameter is known at all.
        let helo = "HELO c.example\r\nMAIL FROM:<a@b.example> RET=HDRS\r\n";
        assert_eq!(codes(true, helo), [250, 555]);
    }
}
