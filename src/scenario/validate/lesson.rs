//! Quiz questions and lesson steps, checked without running the world:
//! the answer is one of the choices, the hosts, addresses and commands a
//! selector names exist, a step that asks has a place to ask at. Whether
//! a selector finds an event needs the run: `scenario::lesson::resolve`.

use super::Validator;
use crate::scenario::lesson::{At, LessonStep, Question, Until};
use crate::scenario::ron::Step::{self, Field, Item};
use crate::scenario::schema::Scenario;
use crate::scenario::suggest::closest;

/// The words a selector's `command` may be: the what-ifs' (a verb,
/// CONNECT for the greeting, DOT for the end of data) and POP3's.
const COMMANDS: [&str; 22] = [
    "CONNECT", "EHLO", "HELO", "MAIL", "RCPT", "DATA", "DOT", "RSET", "NOOP", "VRFY", "HELP",
    "QUIT", "AUTH", "STARTTLS", "BDAT", "USER", "PASS", "STAT", "LIST", "RETR", "DELE", "UIDL",
];

impl Validator<'_> {
    pub(super) fn quiz_and_lesson(&mut self, s: &Scenario) {
        for (k, q) in s.quiz.iter().enumerate() {
            let path = vec![Field("quiz"), Item(k)];
            match &q.at {
                Some(at) => self.selector(at, &[path.as_slice(), &[Field("at")]].concat()),
                None => {
                    let problem = self
                        .at("this quiz question has no `at`: where should playback stop to ask it?", &path)
                        .help("add at: Reply(from: \"mx.example.net\", command: \"RCPT\"), or another event selector");
                    self.push(problem);
                }
            }
            self.question(q, &path);
        }
        for (k, step) in s.lesson.iter().enumerate() {
            self.lesson_step(step, k);
        }
    }

    fn lesson_step(&mut self, step: &LessonStep, k: usize) {
        let path = vec![Field("lesson"), Item(k)];
        let field = |f: &'static str| [path.as_slice(), &[Field(f)]].concat();
        if step.text.trim().is_empty() {
            let problem = self
                .at("this lesson step has no text", &field("text"))
                .help("say what the student should look at here");
            self.push(problem);
        }
        if let Some(at) = &step.at {
            self.selector(at, &field("at"));
        }
        if !step.questions.is_empty() && step.at.is_none() {
            let problem = self
                .at("this step asks questions but has no `at`: they are asked just before its event", &field("questions"))
                .help("add at: an event selector, e.g. Reply(from: \"mx.example.net\", command: \"RCPT\")");
            self.push(problem);
        }
        for (j, q) in step.questions.iter().enumerate() {
            let qpath = [path.as_slice(), &[Field("questions"), Item(j)]].concat();
            if q.at.is_some() {
                let problem = self
                    .at(
                        "a lesson's question is asked at its step's `at`",
                        &[qpath.as_slice(), &[Field("at")]].concat(),
                    )
                    .help("move this `at` to the step, or put the question in a step of its own");
                self.push(problem);
            }
            self.question(q, &qpath);
        }
        match &step.until {
            Until::Answered if step.questions.is_empty() => {
                let problem = self
                    .at(
                        "until: Answered, but this step asks no questions",
                        &field("until"),
                    )
                    .help("add questions: [...], or write until: Key (the student presses >)");
                self.push(problem);
            }
            Until::Reached(at) => {
                self.selector(at, &[path.as_slice(), &[Field("until"), Item(0)]].concat())
            }
            _ => {}
        }
    }

    fn question(&mut self, q: &Question, path: &[Step<'static>]) {
        let field = |f: &'static str| [path, &[Field(f)]].concat();
        if q.ask.trim().is_empty() {
            let problem = self
                .at("this question asks nothing", &field("ask"))
                .help("write the question: ask: \"What will mx.example.net answer?\"");
            self.push(problem);
        }
        if q.choices.len() < 2 {
            let problem = self
                .at(
                    format!(
                        "a question needs at least two choices; this one has {}",
                        q.choices.len()
                    ),
                    &field("choices"),
                )
                .help("write choices: [\"250\", \"450\", \"550\"]");
            self.push(problem);
        } else if q.choices.len() > 9 {
            let problem = self
                .at(
                    format!(
                        "a question has at most 9 choices, keys 1 to 9; this one has {}",
                        q.choices.len()
                    ),
                    &field("choices"),
                )
                .help("keep the choices that teach the most");
            self.push(problem);
        }
        let n = q.choices.len();
        if q.answer == 0 || q.answer > n {
            let message = if q.answer == 0 {
                "the answer counts from 1: the first choice is 1".to_owned()
            } else {
                format!("the answer is choice {}, but there are {n}", q.answer)
            };
            let problem = self.at(message, &field("answer")).help(format!(
                "write answer: 1 to {n}, the number of the right choice"
            ));
            self.push(problem);
        }
    }

    /// The names in a selector: hosts of this world, known commands and
    /// record types, counts from 1, a time inside the run.
    fn selector(&mut self, at: &At, path: &[Step<'static>]) {
        let field = |f: &'static str| [path, &[Field(f)]].concat();
        let host = |v: &mut Self, name: &Option<String>, f: &'static str| {
            if let Some(h) = name {
                v.host_name(h, &field(f));
            }
        };
        let nth = match at {
            At::Start | At::End | At::Down { .. } | At::Up { .. } => None,
            At::Time(t) => {
                let d = self.duration(t, "the time", path);
                if let Some(run_for) = self.run_for
                    && d > run_for
                {
                    let problem = self
                        .at(format!("Time({t:?}) is after the run stops"), path)
                        .help(format!(
                            "the run lasts {}: name a time before, or raise run_for",
                            crate::scenario::duration::format_duration(run_for)
                        ));
                    self.push(problem);
                }
                None
            }
            At::Reply {
                from,
                command,
                rcpt,
                nth,
                ..
            } => {
                host(self, from, "from");
                if let Some(c) = command {
                    let word = c.trim().to_ascii_uppercase();
                    if !COMMANDS.contains(&word.as_str()) {
                        let help = match closest(&word, COMMANDS) {
                            Some(w) => format!("did you mean {w:?}?"),
                            None => format!(
                                "write one of {} (CONNECT is the greeting, DOT the end of data)",
                                COMMANDS.join(", ")
                            ),
                        };
                        let problem = self
                            .at(
                                format!("{c:?} is not a command a server answers"),
                                &field("command"),
                            )
                            .help(help);
                        self.push(problem);
                    }
                }
                if let Some(r) = rcpt {
                    self.named_rcpt(r, &field("rcpt"));
                }
                Some(*nth)
            }
            At::Dns { name, query, nth } => {
                if query.parse::<crate::dns::QueryType>().is_err() {
                    let problem = self
                        .at(format!("{query:?} is not a record type"), &field("query"))
                        .help("write MX, A, AAAA, TXT or CNAME");
                    self.push(problem);
                }
                if name.trim().is_empty() {
                    let problem = self
                        .at("the name asked for is empty", &field("name"))
                        .help("write name: \"example.net\"");
                    self.push(problem);
                }
                Some(*nth)
            }
            At::Connect { from, to, nth, .. } => {
                host(self, from, "from");
                host(self, to, "to");
                Some(*nth)
            }
            At::Queued {
                host: h,
                message,
                nth,
            }
            | At::Retry {
                host: h,
                message,
                nth,
            } => {
                host(self, h, "host");
                if let Some(m) = message {
                    self.known_message(m, &field("message"));
                }
                Some(*nth)
            }
            At::Deferred {
                host: h,
                rcpt,
                message,
                nth,
            }
            | At::Bounced {
                host: h,
                for_rcpt: rcpt,
                message,
                nth,
            } => {
                host(self, h, "host");
                let f = if matches!(at, At::Bounced { .. }) {
                    "for"
                } else {
                    "rcpt"
                };
                if let Some(r) = rcpt {
                    self.named_rcpt(r, &field(f));
                }
                if let Some(m) = message {
                    self.known_message(m, &field("message"));
                }
                Some(*nth)
            }
            At::Delivered {
                to: who,
                message,
                nth,
            }
            | At::Retrieved {
                by: who,
                message,
                nth,
            } => {
                let f = if matches!(at, At::Delivered { .. }) {
                    "to"
                } else {
                    "by"
                };
                if let Some(w) = who {
                    self.named_rcpt(w, &field(f));
                }
                if let Some(m) = message {
                    self.known_message(m, &field("message"));
                }
                Some(*nth)
            }
            At::Notified {
                host: h,
                action,
                nth,
            } => {
                host(self, h, "host");
                const ACTIONS: [&str; 4] = ["delivered", "relayed", "delayed", "failed"];
                if let Some(a) = action
                    && !ACTIONS.iter().any(|k| k.eq_ignore_ascii_case(a))
                {
                    let problem = self
                        .at(
                            format!("{a:?} is not an action of a delivery report"),
                            &field("action"),
                        )
                        .help("write one of delivered, relayed, delayed, failed (RFC 3464 §2.3.3)");
                    self.push(problem);
                }
                Some(*nth)
            }
            At::Expired { host: h, nth } | At::Loop { host: h, nth } => {
                host(self, h, "host");
                Some(*nth)
            }
        };
        if let At::Down { host: h } | At::Up { host: h } = at {
            self.host_name(h, &field("host"));
        }
        if nth == Some(0) {
            let problem = self
                .at("nth counts from 1: the first match is 1", &field("nth"))
                .help("write nth: 1 for the first time it happens");
            self.push(problem);
        }
    }
}
