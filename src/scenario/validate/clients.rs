//! Clients: an account with a mailbox and the same password on an MTA
//! that takes submissions, and messages with recipients.

use super::Validator;
use super::hosts::{HostRef, host_id, role_name};
use crate::plan::{ClientPlan, MessagePlan, MtaPlan};
use crate::scenario::ron::Step::{self, Field, Item};
use crate::scenario::schema::{self, Scenario};
use crate::scenario::suggest::closest;

impl Validator<'_> {
    pub(super) fn clients(
        &mut self,
        s: &Scenario,
        refs: &[HostRef],
        mtas: &[MtaPlan],
    ) -> Vec<ClientPlan> {
        let offset = s.dns.len() + s.mtas.len();
        let mta_names: Vec<&str> = s.mtas.iter().map(|m| m.name.as_str()).collect();
        s.clients
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                let field = |f: &'static str| [Field(name!(Scenario.clients)), Item(i), Field(f)];
                let parsed = self.mailbox(&c.account, "the account", &field(name!(Client.account)));
                // The checks below name the account even when it did not parse.
                let account = parsed.as_ref().map_or_else(|| c.account.to_lowercase(), ToString::to_string);
                let server = c.server.to_lowercase();
                self.injected_lines(c, &field(name!(Client.inject_after_starttls)));
                match mta_names.iter().position(|n| n.eq_ignore_ascii_case(&server)) {
                    None => {
                        let other = refs.iter().find(|r| r.name.eq_ignore_ascii_case(&server));
                        let message = match other {
                            Some(r) => format!(
                                "the server of {}, {:?}, is {}, not an MTA",
                                c.name,
                                c.server,
                                role_name(r.role)
                            ),
                            None => format!(
                                "the server of {}, {:?}, is not an MTA of this scenario",
                                c.name, c.server
                            ),
                        };
                        // The MTA holding the account's mailbox is the best guess.
                        let holder = mtas
                            .iter()
                            .position(|m| m.mailboxes.contains_key(&account))
                            .map(|m| mta_names[m]);
                        let help = match closest(&server, mta_names.iter().copied()).or(holder) {
                            Some(c) => format!("did you mean {c:?}?"),
                            None if mta_names.is_empty() => {
                                "add an MTA under `mtas` for this client to use".to_owned()
                            }
                            None => format!("the MTAs here are: {}", mta_names.join(", ")),
                        };
                        let problem = self.at(message, &field(name!(Client.server))).help(help);
                        self.push(problem);
                    }
                    Some(m) => {
                        let mta = &mtas[m];
                        if !mta.mailboxes.contains_key(&account) {
                            let elsewhere = mtas
                                .iter()
                                .position(|other| other.mailboxes.contains_key(&account))
                                .map(|other| mta_names[other]);
                            let help = match elsewhere {
                                Some(other) => format!(
                                    "{account} has its mailbox on {other}: did you mean server: {other:?}?"
                                ),
                                None => format!(
                                    "add \"{account}\": \"{}\" to the mailboxes of {server}",
                                    c.password
                                ),
                            };
                            let problem = self
                                .at(
                                    format!(
                                        "{account} has no mailbox on {server}, so this client cannot log in there"
                                    ),
                                    &field(name!(Client.account)),
                                )
                                .help(help);
                            self.push(problem);
                        } else if mta.mailboxes.get(&account) != Some(&c.password)
                            && !deliberate(c, "password")
                        {
                            let problem = self
                                .at(
                                    format!(
                                        "the password of {account} differs from the one its mailbox on {server} has"
                                    ),
                                    &field(name!(Client.password)),
                                )
                                .help(format!(
                                    "use the same password in both places (the client's `password` and the mailboxes of {server}); \
                                     if the wrong password is the lesson (AUTH refused with 535), add deliberate: [\"password\"] to the client"
                                ));
                            self.push(problem);
                        }
                        if !c.send.is_empty() && !mta.submission {
                            let problem = self
                                .at(
                                    format!(
                                        "{} sends mail through {server}, which has no submission port",
                                        c.name
                                    ),
                                    &field(name!(Client.server)),
                                )
                                .help(format!("set submission: true on {server}"));
                            self.push(problem);
                        }
                    }
                }
                let send = c
                    .send
                    .iter()
                    .enumerate()
                    .map(|(k, m)| {
                        let path = [Field(name!(Scenario.clients)), Item(i), Field(name!(Client.send)), Item(k)];
                        self.message(m, &c.name, &account, &path)
                    })
                    .collect();
                let fetch = c
                    .fetch
                    .iter()
                    .enumerate()
                    .map(|(k, f)| {
                        let path = [Field(name!(Scenario.clients)), Item(i), Field(name!(Client.fetch)), Item(k)];
                        let at = self.duration(f, "the fetch time", &path);
                        self.after_the_run(at, &format!("{} fetches at {f:?}", c.name), "the fetch never happens", &path);
                        at
                    })
                    .collect();
                // An account that did not parse is reported above, and a
                // plan with a problem is never run.
                parsed.map(|account| ClientPlan {
                    host: host_id(offset + i),
                    account,
                    password: c.password.clone(),
                    server,
                    send,
                    fetch,
                    keep_on_server: c.keep_on_server,
                    pipelining: c.pipelining,
                    starttls: c.starttls.into(),
                    inject_after_starttls: c.inject_after_starttls.clone(),
                    chunking: c.chunking,
                    chunk_size: c.chunk_size,
                })
            })
            .collect()
    }

    pub(super) fn message(
        &mut self,
        m: &schema::Message,
        sender: &str,
        account: &str,
        path: &[Step],
    ) -> MessagePlan {
        // A recipient that did not parse is reported, and a plan with a
        // problem is never run.
        let list = |v: &mut Self, field: &'static str, addrs: &[String]| {
            addrs
                .iter()
                .enumerate()
                .filter_map(|(j, a)| {
                    v.mailbox(
                        a,
                        "the recipient",
                        &[path, &[Field(field), Item(j)]].concat(),
                    )
                })
                .collect::<Vec<_>>()
        };
        let to = list(self, name!(Message.to), &m.to);
        let cc = list(self, name!(Message.cc), &m.cc);
        let bcc = list(self, name!(Message.bcc), &m.bcc);
        if m.to.is_empty() && m.cc.is_empty() && m.bcc.is_empty() {
            let which = if m.subject.is_empty() {
                format!("a message from {sender}")
            } else {
                format!("the message {:?} from {sender}", m.subject)
            };
            let example = self
                .mailboxes
                .iter()
                .find(|m| *m != account)
                .map_or("bob@example.net", String::as_str);
            let problem = self
                .at(format!("{which} has no recipients"), path)
                .help(format!("add to: [\"{example}\"] (or cc, or bcc)"));
            self.push(problem);
        }
        let at_path = [path, &[Field(name!(Message.at))]].concat();
        let at = self.duration(&m.at, "the send time", &at_path);
        self.after_the_run(
            at,
            &format!("{sender} sends at {:?}", m.at),
            "the message is never sent",
            &at_path,
        );
        let dsn = self.message_dsn(m, &[&to[..], &cc[..], &bcc[..]].concat(), path);
        MessagePlan {
            at,
            to,
            cc,
            bcc,
            subject: m.subject.clone(),
            body: m.body.clone(),
            raw: m.raw.clone(),
            dsn,
        }
    }
}

impl Validator<'_> {
    /// A warning for a time at or past the end of the run: what is
    /// planned then never happens.
    pub(super) fn after_the_run(
        &mut self,
        at: std::time::Duration,
        what: &str,
        so: &str,
        path: &[Step],
    ) {
        let Some(run_for) = self.run_for else { return };
        if at >= run_for {
            let run = crate::scenario::duration::format_duration(run_for);
            let problem = self
                .at(format!("{what}, but the run stops at {run}: {so}"), path)
                .help(format!("make it earlier than {run}, or raise `run_for`"))
                .warning();
            self.warnings.push(problem);
        }
    }

    /// Lines to inject behind STARTTLS: each one command line (the client
    /// ends it with CRLF), and only where the client sends STARTTLS.
    fn injected_lines(&mut self, c: &schema::Client, path: &[Step]) {
        if !c.inject_after_starttls.is_empty() && c.starttls == schema::ClientTls::Never {
            let problem = self
                .at(
                    format!(
                        "{} injects lines behind STARTTLS, but never sends STARTTLS",
                        c.name
                    ),
                    path,
                )
                .help("set starttls: WhenOffered or Require on the client");
            self.push(problem);
        }
        for line in &c.inject_after_starttls {
            if line.is_empty() || line.contains(['\r', '\n']) {
                let problem = self
                    .at(format!("{line:?} is not one command line"), path)
                    .help("write each injected command as its own entry, without CR or LF: [\"RSET\", \"NOOP\"]");
                self.push(problem);
            }
        }
    }

    /// Every entry of a client's `deliberate` must name a slip mailflow
    /// knows how to allow.
    pub(super) fn deliberate_list(&mut self, s: &Scenario) {
        const SLIPS: [&str; 1] = ["password"];
        for (i, c) in s.clients.iter().enumerate() {
            for (k, d) in c.deliberate.iter().enumerate() {
                if SLIPS.contains(&d.trim().to_lowercase().as_str()) {
                    continue;
                }
                let help = match closest(d, SLIPS) {
                    Some(x) => format!("did you mean {x:?}?"),
                    None => format!("the slips that may be deliberate are: {}", SLIPS.join(", ")),
                };
                let path = [
                    Field(name!(Scenario.clients)),
                    Item(i),
                    Field(name!(Client.deliberate)),
                    Item(k),
                ];
                let problem = self
                    .at(format!("{d:?} is not a slip mailflow can allow"), &path)
                    .help(help);
                self.push(problem);
            }
        }
    }
}

/// Is `slip` listed as deliberate on the client? Unknown names in the
/// list are reported by `deliberate_list`.
fn deliberate(c: &schema::Client, slip: &str) -> bool {
    c.deliberate
        .iter()
        .any(|d| d.trim().eq_ignore_ascii_case(slip))
}
