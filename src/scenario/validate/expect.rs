//! Expectations: the addresses, hosts and messages they name, the times
//! they allow and the counts they ask for. A name that can only be a slip
//! (a mailbox no MTA holds, a time after the run stops) is a warning: the
//! file runs, but the claim cannot mean what its author meant.

use std::time::Duration;

use super::Validator;
use crate::plan::{Count, Expectation, Scope, Window};
use crate::scenario::duration::format_duration;
use crate::scenario::ron::Step::{self, Field};
use crate::scenario::schema::Expect;
use crate::scenario::suggest::closest;

/// The fields every windowed claim has, borrowed from the schema.
struct Times<'e> {
    within: &'e Option<String>,
    after: &'e Option<String>,
    not_before: &'e Option<String>,
    between: &'e Option<(String, String)>,
    since: &'e Option<String>,
}

/// What an expectation may be narrowed to, borrowed from the schema.
#[derive(Default)]
struct Names<'e> {
    message: Option<&'e String>,
    rcpt: Option<(&'static str, &'e String)>,
    host: Option<(&'static str, &'e String)>,
    command: Option<&'e String>,
    session: Option<u32>,
}

impl Validator<'_> {
    pub(super) fn expectation(&mut self, e: &Expect, k: usize) -> Expectation {
        let base: Vec<Step<'static>> = [self.expect_path.as_slice(), &[Step::Item(k)]].concat();
        let path = |f: &'static str| [base.as_slice(), &[Field(f)]].concat();
        match e {
            Expect::Delivered {
                to,
                message,
                within,
                after,
                not_before,
                between,
                since,
                exactly,
                at_least,
                at_most,
            } => Expectation::Delivered {
                to: self.expected_mailbox(to, &path(name!(Expect::Delivered.to))),
                scope: self.scope(&base, message_only(message)),
                window: self.window(&base, times(within, after, not_before, between, since)),
                count: self.count(&base, *exactly, *at_least, *at_most),
            },
            Expect::NotDelivered {
                to,
                message,
                within,
                after,
                not_before,
                between,
                since,
            } => Expectation::NotDelivered {
                // Often an address that is refused: the lesson's point.
                to: self.named_rcpt(to, &path(name!(Expect::Delivered.to))),
                scope: self.scope(&base, message_only(message)),
                window: self.window(&base, times(within, after, not_before, between, since)),
            },
            Expect::Bounced {
                to,
                for_rcpt,
                status,
                message,
                within,
                after,
                not_before,
                between,
                since,
                exactly,
                at_least,
                at_most,
            } => Expectation::Bounced {
                to: self.expected_mailbox(to, &path(name!(Expect::Delivered.to))),
                status: self.status(status, &path(name!(Expect::Reply.status)), None),
                scope: self.scope(
                    &base,
                    Names {
                        message: message.as_ref(),
                        // `for` is a Rust keyword: the field is `for_rcpt`, renamed.
                        rcpt: for_rcpt.as_ref().map(|r| ("for", r)),
                        ..Names::default()
                    },
                ),
                window: self.window(&base, times(within, after, not_before, between, since)),
                count: self.count(&base, *exactly, *at_least, *at_most),
            },
            Expect::NotBounced {
                to,
                for_rcpt,
                status,
                message,
                within,
                after,
                not_before,
                between,
                since,
            } => Expectation::NotBounced {
                to: self.expected_mailbox(to, &path(name!(Expect::Delivered.to))),
                status: self.status(status, &path(name!(Expect::Reply.status)), None),
                scope: self.scope(
                    &base,
                    Names {
                        message: message.as_ref(),
                        // `for` is a Rust keyword: the field is `for_rcpt`, renamed.
                        rcpt: for_rcpt.as_ref().map(|r| ("for", r)),
                        ..Names::default()
                    },
                ),
                window: self.window(&base, times(within, after, not_before, between, since)),
            },
            Expect::Deferred {
                host,
                rcpt,
                message,
                within,
                after,
                not_before,
                between,
                since,
                exactly,
                at_least,
                at_most,
            } => Expectation::Deferred {
                scope: self.scope(
                    &base,
                    Names {
                        message: message.as_ref(),
                        rcpt: rcpt.as_ref().map(|r| (name!(Expect::Reply.rcpt), r)),
                        host: host.as_ref().map(|h| (name!(Expect::Deferred.host), h)),
                        ..Names::default()
                    },
                ),
                window: self.window(&base, times(within, after, not_before, between, since)),
                count: self.count(&base, *exactly, *at_least, *at_most),
            },
            Expect::Hops {
                exactly,
                to,
                message,
            } => Expectation::Hops {
                exactly: *exactly,
                scope: self.scope(
                    &base,
                    Names {
                        message: message.as_ref(),
                        rcpt: to.as_ref().map(|r| (name!(Expect::Hops.to), r)),
                        ..Names::default()
                    },
                ),
            },
            Expect::ReceivedHeaders {
                mailbox,
                count,
                message,
            } => Expectation::ReceivedHeaders {
                mailbox: self
                    .expected_mailbox(mailbox, &path(name!(Expect::ReceivedHeaders.mailbox))),
                count: *count,
                scope: self.scope(&base, message_only(message)),
            },
            Expect::Authenticated {
                mailbox,
                message,
                spf,
                dkim,
                dmarc,
                quarantined,
            } => {
                for (field, value, words) in [
                    (
                        name!(Expect::Authenticated.spf),
                        spf,
                        &crate::auth::results::SPF_RESULTS[..],
                    ),
                    (
                        name!(Expect::Authenticated.dkim),
                        dkim,
                        &crate::auth::results::DKIM_RESULTS[..],
                    ),
                    (
                        name!(Expect::Authenticated.dmarc),
                        dmarc,
                        &crate::auth::results::DMARC_RESULTS[..],
                    ),
                ] {
                    if let Some(v) = value
                        && !words.contains(&v.to_lowercase().as_str())
                    {
                        let problem = self
                            .at(format!("{v:?} is not a result of {field}"), &path(field))
                            .help(format!("write one of {}", words.join(", ")));
                        self.push(problem);
                    }
                }
                Expectation::Authenticated {
                    mailbox: self
                        .expected_mailbox(mailbox, &path(name!(Expect::Authenticated.mailbox))),
                    spf: spf.as_ref().map(|v| v.to_lowercase()),
                    dkim: dkim.as_ref().map(|v| v.to_lowercase()),
                    dmarc: dmarc.as_ref().map(|v| v.to_lowercase()),
                    quarantined: *quarantined,
                    scope: self.scope(&base, message_only(message)),
                }
            }
            Expect::Retrieved {
                by,
                message,
                within,
                after,
                not_before,
                between,
                since,
                exactly,
                at_least,
                at_most,
            } => Expectation::Retrieved {
                by: self.expected_mailbox(by, &path(name!(Expect::Retrieved.by))),
                scope: self.scope(&base, message_only(message)),
                window: self.window(&base, times(within, after, not_before, between, since)),
                count: self.count(&base, *exactly, *at_least, *at_most),
            },
            Expect::Reply {
                code,
                status,
                from,
                command,
                rcpt,
                session,
                message,
                within,
                after,
                not_before,
                between,
                since,
                exactly,
                at_least,
                at_most,
            } => Expectation::Reply {
                code: self.code(*code, &path(name!(Expect::Reply.code))),
                status: self.status(status, &path(name!(Expect::Reply.status)), Some(*code)),
                scope: self.scope(
                    &base,
                    Names {
                        message: message.as_ref(),
                        rcpt: rcpt.as_ref().map(|r| (name!(Expect::Reply.rcpt), r)),
                        host: from.as_ref().map(|h| (name!(Expect::Reply.from), h)),
                        command: command.as_ref(),
                        session: *session,
                    },
                ),
                window: self.window(&base, times(within, after, not_before, between, since)),
                count: self.count(&base, *exactly, *at_least, *at_most),
            },
            Expect::NoReply {
                code,
                status,
                from,
                command,
                rcpt,
                session,
                message,
                within,
                after,
                not_before,
                between,
                since,
            } => Expectation::NoReply {
                code: self.code(*code, &path(name!(Expect::Reply.code))),
                status: self.status(status, &path(name!(Expect::Reply.status)), Some(*code)),
                scope: self.scope(
                    &base,
                    Names {
                        message: message.as_ref(),
                        rcpt: rcpt.as_ref().map(|r| (name!(Expect::Reply.rcpt), r)),
                        host: from.as_ref().map(|h| (name!(Expect::Reply.from), h)),
                        command: command.as_ref(),
                        session: *session,
                    },
                ),
                window: self.window(&base, times(within, after, not_before, between, since)),
            },
            Expect::LoopDetected => Expectation::LoopDetected,
            Expect::Expired => Expectation::Expired,
            Expect::NotExpired => Expectation::NotExpired,
        }
    }

    /// A mailbox a claim expects mail in: a warning when no MTA of the
    /// scenario holds it, since nothing can ever be delivered there.
    fn expected_mailbox(&mut self, text: &str, path: &[Step]) -> String {
        let name = self.mailbox_name(text, "the expected mailbox", path);
        let parsed = crate::smtp::Mailbox::parse(&name).is_ok_and(|m| m.domain().is_some());
        if parsed && !self.open_world && !self.mailboxes.contains(&name) {
            let help = match self.mailbox_suggestion(&name) {
                Some(s) => format!("did you mean {s:?}?"),
                None => "add it to the `mailboxes` of the MTA that serves its domain".to_owned(),
            };
            let problem = self
                .at(
                    format!("{name} is no mailbox of this scenario, so nothing can arrive there"),
                    path,
                )
                .help(help)
                .warning();
            self.warnings.push(problem);
        }
        name
    }

    /// A recipient a claim is about: it may be a mailbox, or an address
    /// some message is sent to (an unknown user, to be refused).
    pub(super) fn named_rcpt(&mut self, text: &str, path: &[Step]) -> String {
        let name = self.mailbox_name(text, "the recipient", path);
        let known =
            self.open_world || self.mailboxes.contains(&name) || self.recipients.contains(&name);
        if !known && crate::smtp::Mailbox::parse(&name).is_ok_and(|m| m.domain().is_some()) {
            let candidates: Vec<&str> = self
                .mailboxes
                .iter()
                .chain(&self.recipients)
                .map(String::as_str)
                .collect();
            let help = match closest(&name, candidates.iter().copied()) {
                Some(s) => format!("did you mean {s:?}?"),
                None => "name a mailbox, or an address one of the clients sends to".to_owned(),
            };
            let problem = self
                .at(
                    format!("{name} is no mailbox and no message is sent to it"),
                    path,
                )
                .help(help)
                .warning();
            self.warnings.push(problem);
        }
        name
    }

    fn scope(&mut self, base: &[Step<'static>], names: Names) -> Scope {
        let path = |f: &'static str| [base, &[Field(f)]].concat();
        let rcpt = names
            .rcpt
            .map(|(field, r)| self.named_rcpt(r, &path(field)));
        let host = names.host.map(|(field, h)| self.host_name(h, &path(field)));
        if let Some(message) = names.message {
            self.known_message(message, &path(name!(Expect::Reply.message)));
        }
        let command = names.command.map(|c| {
            let verb = c.trim().to_ascii_uppercase();
            const VERBS: [&str; 14] = [
                "HELO", "EHLO", "MAIL", "RCPT", "DATA", "RSET", "VRFY", "EXPN", "HELP", "NOOP",
                "QUIT", "AUTH", "BDAT", "STARTTLS",
            ];
            if !VERBS.contains(&verb.as_str()) {
                let help = match closest(&verb, VERBS) {
                    Some(v) => format!("did you mean {v:?}?"),
                    None => format!("write one of: {}", VERBS.join(", ")),
                };
                let problem = self
                    .at(
                        format!("{c:?} is not an SMTP command"),
                        &path(name!(Expect::Reply.command)),
                    )
                    .help(help);
                self.push(problem);
            }
            verb
        });
        Scope {
            message: names.message.cloned(),
            rcpt,
            host,
            command,
            session: names.session,
        }
    }

    /// A host of the scenario, as the trace names it.
    pub(super) fn host_name(&mut self, text: &str, path: &[Step]) -> String {
        let name = text.trim().to_lowercase();
        if !self.open_world && !self.host_names.contains(&name) {
            let help = match closest(&name, self.host_names.iter().map(String::as_str)) {
                Some(h) => format!("did you mean {h:?}?"),
                None => format!("the hosts here are: {}", self.host_names.join(", ")),
            };
            let problem = self
                .at(format!("no host of this scenario is called {text:?}"), path)
                .help(help);
            self.push(problem);
        }
        name
    }

    /// A message named by Subject: a warning when no client sends one with
    /// that subject (a Message-ID, with its `@`, is taken as written).
    pub(super) fn known_message(&mut self, text: &str, path: &[Step]) {
        let subject = text.trim();
        if self.open_world
            || subject.contains('@')
            || self
                .subjects
                .iter()
                .any(|s| s.trim().eq_ignore_ascii_case(subject))
        {
            return;
        }
        let help = match closest(subject, self.subjects.iter().map(String::as_str)) {
            Some(s) => format!("did you mean {s:?}?"),
            None if self.subjects.is_empty() => {
                "no message here has a subject: give the message a `subject`".to_owned()
            }
            None => format!("the subjects here are: {}", self.subjects.join(", ")),
        };
        let problem = self
            .at(
                format!("no message of this scenario has the subject {text:?}"),
                path,
            )
            .help(help)
            .warning();
        self.warnings.push(problem);
    }

    fn window(&mut self, base: &[Step<'static>], t: Times) -> Window {
        let path = |f: &'static str| [base, &[Field(f)]].concat();
        let one = |v: &mut Self, text: &Option<String>, field: &'static str| {
            text.as_ref().map(|text| {
                let d = v.duration(text, &format!("`{field}`"), &path(field));
                v.beyond_the_run(d, text, field, &path(field));
                d
            })
        };
        let within = one(self, t.within, name!(Expect::Reply.within));
        let after = one(self, t.after, name!(Expect::Reply.after));
        let not_before = one(self, t.not_before, name!(Expect::Reply.not_before));
        let between = t.between.as_ref().map(|(a, b)| {
            let at = |i| [path(name!(Expect::Reply.between)), vec![Step::Item(i)]].concat();
            let from = self.duration(a, "the start of `between`", &at(0));
            let until = self.duration(b, "the end of `between`", &at(1));
            if until < from {
                let problem = self
                    .at(
                        format!("`between` ({a:?}, {b:?}) ends before it starts"),
                        &path(name!(Expect::Reply.between)),
                    )
                    .help(format!("write the earlier time first: ({b:?}, {a:?})"));
                self.push(problem);
            }
            self.beyond_the_run(from, a, "between", &at(0));
            (from, until)
        });
        let since_send = match t.since.as_deref().map(str::trim) {
            None | Some("run") => false,
            Some("send") => true,
            Some(other) => {
                let problem = self
                    .at(format!("`since` {other:?} is neither \"run\" nor \"send\""), &path(name!(Expect::Reply.since)))
                    .help("write since: \"send\" to count from when the message was sent, or leave it out to count from the start of the run");
                self.push(problem);
                false
            }
        };
        Window {
            within,
            after,
            not_before,
            between,
            since_send,
        }
    }

    /// A time the run never reaches: the claim cannot mean what it says.
    fn beyond_the_run(&mut self, d: Duration, text: &str, field: &str, path: &[Step]) {
        let Some(run_for) = self.run_for else { return };
        if d > run_for {
            let problem = self
                .at(
                    format!(
                        "`{field}` {text:?} is later than the run lasts (run_for {})",
                        format_duration(run_for)
                    ),
                    path,
                )
                .help(format!(
                    "make it at most {}, or raise `run_for`",
                    format_duration(run_for)
                ))
                .warning();
            self.warnings.push(problem);
        }
    }

    fn count(
        &mut self,
        base: &[Step<'static>],
        exactly: Option<usize>,
        at_least: Option<usize>,
        at_most: Option<usize>,
    ) -> Count {
        let path = |f: &'static str| [base, &[Field(f)]].concat();
        if exactly.is_some() && (at_least.is_some() || at_most.is_some()) {
            let problem = self
                .at(
                    "`exactly` says it all: it cannot stand beside `at_least` or `at_most`",
                    &path(name!(Expect::Reply.exactly)),
                )
                .help("keep `exactly`, or give a range with `at_least` and `at_most`");
            self.push(problem);
        }
        if let (Some(least), Some(most)) = (at_least, at_most)
            && least > most
        {
            let problem = self
                .at(
                    format!("`at_least` {least} is more than `at_most` {most}"),
                    &path(name!(Expect::Reply.at_least)),
                )
                .help("swap the two numbers");
            self.push(problem);
        }
        Count {
            exactly,
            at_least,
            at_most,
        }
    }

    fn code(&mut self, code: u16, path: &[Step]) -> u16 {
        if !(200..=599).contains(&code) {
            let problem = self
                .at(format!("{code} is not an SMTP reply code"), path)
                .help("a reply code has three digits, 2xx to 5xx: e.g. 250, 450, 550");
            self.push(problem);
        }
        code
    }

    /// An enhanced status code `x.y.z` (RFC 3463), whose class must agree
    /// with the reply code's if there is one.
    fn status(
        &mut self,
        status: &Option<String>,
        path: &[Step],
        code: Option<u16>,
    ) -> Option<String> {
        let text = status.as_ref()?.trim().to_owned();
        let parts: Vec<&str> = text.split('.').collect();
        let well_formed = parts.len() == 3
            && matches!(parts[0], "2" | "4" | "5")
            && parts[1..]
                .iter()
                .all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()));
        if !well_formed {
            let problem = self
                .at(format!("{text:?} is not an enhanced status code"), path)
                .help("write class.subject.detail, e.g. \"5.1.1\" or \"4.7.1\" (RFC 3463)");
            self.push(problem);
        } else if let Some(code) = code
            && (200..=599).contains(&code)
            && parts[0] != (code / 100).to_string()
        {
            let problem = self
                .at(
                    format!("a {code} reply never carries the status {text}: their classes differ"),
                    path,
                )
                .help(format!(
                    "the first digits agree (RFC 3463 §2): a {code} reply has a status {}.x.x",
                    code / 100
                ))
                .warning();
            self.warnings.push(problem);
        }
        Some(text)
    }
}

fn message_only(message: &Option<String>) -> Names<'_> {
    Names {
        message: message.as_ref(),
        ..Names::default()
    }
}

fn times<'e>(
    within: &'e Option<String>,
    after: &'e Option<String>,
    not_before: &'e Option<String>,
    between: &'e Option<(String, String)>,
    since: &'e Option<String>,
) -> Times<'e> {
    Times {
        within,
        after,
        not_before,
        between,
        since,
    }
}
