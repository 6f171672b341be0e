//! The client's half of DSN (RFC 3461): a transaction may ask for
//! reports (RET and ENVID on MAIL, NOTIFY and ORCPT on each RCPT), and
//! they are sent only to a server that offers DSN. To one that does not,
//! nothing is sent (its 555 would lose the mail); the MTA that relays
//! there reports `relayed` instead (§5.2.2).

use super::ClientSession;
use crate::smtp::command::RcptParams;
use crate::smtp::dsn::{MailDsn, RcptDsn};

/// What one transaction asks of DSN.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DsnRequest {
    pub mail: MailDsn,
    /// One per forward path, in order; missing ones ask nothing.
    pub rcpts: Vec<RcptDsn>,
}

impl DsnRequest {
    pub fn is_empty(&self) -> bool {
        self.mail.is_empty() && self.rcpts.iter().all(RcptDsn::is_empty)
    }
}

impl ClientSession {
    /// Asks for DSNs on transaction `index` (before the session starts).
    pub fn request_dsn(&mut self, index: usize, request: DsnRequest) {
        if !request.is_empty() {
            self.dsn.insert(index, request);
        }
    }

    /// Whether the server offered DSN (RFC 3461 §4) after EHLO.
    pub fn dsn_offered(&self) -> bool {
        self.esmtp && self.extensions.dsn
    }

    /// RET and ENVID for the current transaction's MAIL.
    pub(super) fn mail_dsn(&self) -> MailDsn {
        match self.dsn.get(&self.current) {
            Some(request) if self.dsn_offered() => request.mail.clone(),
            _ => MailDsn::default(),
        }
    }

    /// The parameters of RCPT for forward path `i`.
    pub(super) fn rcpt_params(&self, i: usize) -> RcptParams {
        let dsn = match self.dsn.get(&self.current) {
            Some(request) if self.dsn_offered() => request.rcpts.get(i).cloned(),
            _ => None,
        };
        RcptParams {
            dsn: dsn.unwrap_or_default(),
            ..RcptParams::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::smtp::client::{ClientConfig, Transaction};
    use crate::smtp::dsn::{Notify, Orcpt, Ret};
    use crate::smtp::{ForwardPath, ReversePath};

    fn client() -> ClientSession {
        let tx = Transaction {
            reverse_path: ReversePath::parse("<alice@example.org>").unwrap(),
            forward_paths: vec![ForwardPath::parse("<bob@example.net>").unwrap()],
            content: b"Subject: x\r\n\r\nhi\r\n".to_vec(),
        };
        let mut c = ClientSession::new(ClientConfig::new("c.example"), vec![tx], Instant::now());
        c.request_dsn(
            0,
            DsnRequest {
                mail: MailDsn {
                    ret: Some(Ret::Hdrs),
                    envid: Some("QQ1".into()),
                },
                rcpts: vec![RcptDsn {
                    notify: Some(Notify {
                        success: true,
                        failure: true,
                        delay: false,
                    }),
                    orcpt: Some(Orcpt::rfc822("bob@example.net")),
                }],
            },
        );
        c
    }

    fn sent_after(ehlo: &str) -> String {
        let now = Instant::now();
        let mut c = client();
        c.handle_input(b"220 mx.example.net\r\n", now);
        c.poll_transmit();
        c.handle_input(ehlo.as_bytes(), now);
        String::from_utf8(c.poll_transmit().unwrap_or_default()).unwrap()
    }

    #[test]
    fn rfc3461_s5_2_parameters_go_to_a_server_that_offers_dsn() {
        let sent = sent_after("250-mx.example.net\r\n250-PIPELINING\r\n250 DSN\r\n");
        assert!(
            sent.contains("MAIL FROM:<alice@example.org> RET=HDRS ENVID=QQ1\r\n"),
            "{sent}"
        );
        assert!(
            sent.contains(
                "RCPT TO:<bob@example.net> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob@example.net\r\n"
            ),
            "{sent}"
        );
    }

    #[test]
    fn rfc3461_s5_2_2_no_parameters_to_a_server_without_dsn() {
        let sent = sent_after("250-mx.example.net\r\n250 PIPELINING\r\n");
        assert!(sent.contains("MAIL FROM:<alice@example.org>\r\n"), "{sent}");
        assert!(sent.contains("RCPT TO:<bob@example.net>\r\n"), "{sent}");
    }
}
