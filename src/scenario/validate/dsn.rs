//! A message's DSN request (RFC 3461): NOTIFY is `[Never]` alone or any
//! of Success, Failure, Delay (§4.1); `notify_for` names recipients of
//! the message; ENVID is printable US-ASCII of at most 100 characters
//! once written as xtext (§4.4).

use super::Validator;
use crate::plan::MessageDsn;
use crate::scenario::ron::Step::{self, Entry, Field, Key};
use crate::scenario::schema::{self, NotifyOn, Return};
use crate::smtp::Mailbox;
use crate::smtp::dsn::{MAX_ENVID, MailDsn, Notify, Ret, xtext_encode};

impl Validator<'_> {
    pub(super) fn message_dsn(
        &mut self,
        m: &schema::Message,
        rcpts: &[Mailbox],
        path: &[Step],
    ) -> MessageDsn {
        let notify = (!m.notify.is_empty())
            .then(|| self.notify(&m.notify, &[path, &[Field(name!(Message.notify))]].concat()));
        let mut notify_for = Vec::new();
        for (address, words) in &m.notify_for {
            let at = [path, &[Field(name!(Message.notify_for)), Entry(address)]].concat();
            let key = [path, &[Field(name!(Message.notify_for)), Key(address)]].concat();
            let n = self.notify(words, &at);
            let Some(mailbox) = self.mailbox(address, "the recipient", &key) else {
                continue;
            };
            if !rcpts.contains(&mailbox) {
                let problem = self
                    .at(
                        format!("{address:?} in notify_for is not a recipient of this message"),
                        &key,
                    )
                    .help("name an address of its to, cc or bcc");
                self.push(problem);
                continue;
            }
            notify_for.push((mailbox, n));
        }
        let envid = m.envid.as_ref().map(|envid| {
            let at = [path, &[Field(name!(Message.envid))]].concat();
            self.envid(envid, &at);
            envid.clone()
        });
        MessageDsn {
            notify,
            notify_for,
            mail: MailDsn {
                ret: m.ret.map(|r| match r {
                    Return::Full => Ret::Full,
                    Return::Hdrs => Ret::Hdrs,
                }),
                envid,
            },
        }
    }

    fn notify(&mut self, words: &[NotifyOn], path: &[Step]) -> Notify {
        let mut n = Notify::NEVER;
        for w in words {
            match w {
                NotifyOn::Success => n.success = true,
                NotifyOn::Failure => n.failure = true,
                NotifyOn::Delay => n.delay = true,
                NotifyOn::Never => {}
            }
        }
        if words.contains(&NotifyOn::Never) && !n.is_never() {
            let problem = self
                .at(
                    "Never asks for no report at all, so it cannot stand with Success, Failure or Delay (RFC 3461 §4.1)",
                    path,
                )
                .help("write [Never] alone, or drop it");
            self.push(problem);
        }
        if words.is_empty() {
            let problem = self
                .at("an empty NOTIFY list asks for nothing", path)
                .help("write e.g. [Success, Failure], or [Never]");
            self.push(problem);
        }
        n
    }

    fn envid(&mut self, envid: &str, path: &[Step]) {
        if let Some(c) = envid.chars().find(|c| !(' '..='~').contains(c)) {
            let problem = self
                .at(
                    format!(
                        "the envid holds {c:?}; an ENVID is printable US-ASCII (RFC 3461 §4.4)"
                    ),
                    path,
                )
                .help("use letters, digits and punctuation, e.g. envid: \"QQ314159\"");
            self.push(problem);
            return;
        }
        let written = xtext_encode(envid).len();
        if written > MAX_ENVID {
            let problem = self
                .at(
                    format!(
                        "the envid is {written} characters as xtext; RFC 3461 §4.4 allows at most {MAX_ENVID}"
                    ),
                    path,
                )
                .help("shorten it");
            self.push(problem);
        }
    }
}
