//! Predict mode (issue 11 §1): before an event that carries a server's
//! reply, the dashboard stops and asks "what will the server answer?".
//! This file holds the quiz: which replies are worth a question, the
//! choices for each (the real code and distractors that teach), the
//! answers given, and the summary printed when the dashboard closes.
//!
//! The reply is hidden only because the playhead has not reached it: every
//! view draws events before the playhead, so none can give it away.
//!
//! Asked: replies to MAIL, RCPT, DATA, the end of data and AUTH (SMTP), and
//! to USER, PASS, RETR and DELE (POP3). Not asked: greetings, EHLO's list
//! of extensions, QUIT, RSET, NOOP and POP3's STAT/LIST/UIDL/CAPA: always
//! the same success, so asking would teach nothing and tire the class.

use std::fmt::Write as _;

use crate::explain::{Catalog, Entry};
use crate::scenario::lesson::Authored;
use crate::scenario::lesson::resolve::Origin;
use crate::trace::index::Index;
use crate::trace::transcript::LineKind;
use crate::trace::{Dir, Protocol, Trace};

/// What the reply answers, among the commands worth a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Asked {
    Mail,
    Rcpt,
    Data,
    EndOfData,
    Auth,
    Pop3,
}

impl Asked {
    /// The codes a server could plausibly answer this command with, most
    /// instructive first: the distractors are drawn from here.
    fn plausible(self) -> &'static [u16] {
        match self {
            Asked::Mail => &[250, 550, 451, 552, 553, 452],
            Asked::Rcpt => &[250, 550, 450, 251, 452, 552, 551, 451, 553],
            Asked::Data => &[354, 503, 554, 451],
            Asked::EndOfData => &[250, 451, 552, 554, 550, 450],
            Asked::Auth => &[235, 535, 334, 454, 504],
            Asked::Pop3 => &[],
        }
    }
}

/// The contrast a code teaches best: 450 against 550 (not now / never),
/// 452 against 552, 250 against 251, 354 against 503 and 554, 235
/// against 535. Kept only where the command could get it.
fn contrasts(code: u16) -> &'static [u16] {
    match code {
        250 => &[550, 450, 251],
        251 => &[250, 551],
        450 => &[550, 250, 451],
        451 => &[450, 550],
        452 => &[552, 450],
        550 => &[450, 250, 551],
        551 => &[251, 550],
        552 => &[452, 550],
        553 => &[550, 501],
        354 => &[503, 554],
        503 => &[354, 554],
        554 => &[354, 250],
        235 => &[535, 334],
        535 => &[235, 454],
        334 => &[235, 535],
        454 => &[535, 235],
        _ => &[],
    }
}

/// One choice: a code, and what the catalog says it means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// "450", "+OK".
    pub code: String,
    /// The catalog's one-line title.
    pub title: String,
    /// The first sentence of the catalog's short meaning, for the reveal.
    pub meaning: String,
}

/// What a question is about, so it is asked once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// A reply line (an index into `Index::lines`).
    Reply(usize),
    /// A question the scenario wrote.
    Authored(Origin),
}

/// One question: a reply line the student has not seen yet, or one the
/// scenario asks at an event (`authored`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub key: Key,
    /// The event that carries it.
    pub seq: u64,
    pub conn: u32,
    pub server: String,
    /// The command as the question names it.
    pub command: String,
    /// The real reply line, as sent.
    pub reply: String,
    /// The catalog's reading of the real reply: (topic, short meaning),
    /// most specific first.
    pub explain: Vec<(String, String)>,
    pub choices: Vec<Choice>,
    /// Which choice is right.
    pub answer: usize,
    /// Its place among the questions of its event: (k, n), 1-based.
    pub of: (usize, usize),
    /// The scenario's own question, with its `why`.
    pub authored: Option<Box<Authored>>,
}

impl Question {
    /// "What will mx.example.net answer to RCPT TO:<bob@example.net>?"
    pub fn ask(&self) -> String {
        match &self.authored {
            Some(a) => a.ask.clone(),
            None => format!("What will {} answer to {}?", self.server, self.command),
        }
    }

    /// A scenario's question, asked before its event.
    pub fn authored(a: &Authored) -> Question {
        Question {
            key: Key::Authored(a.origin),
            seq: a.mark.before as u64,
            conn: 0,
            server: String::new(),
            command: a.at.clone(),
            reply: a.shows.clone(),
            explain: Vec::new(),
            choices: a
                .choices
                .iter()
                .map(|c| Choice {
                    code: String::new(),
                    title: c.clone(),
                    meaning: String::new(),
                })
                .collect(),
            answer: a.answer,
            of: (1, 1),
            authored: Some(Box::new(a.clone())),
        }
    }

    /// How the summary names the choice `i`: its code, or its text.
    pub fn choice_name(&self, i: usize) -> String {
        self.choices.get(i).map_or(String::new(), |c| {
            if c.code.is_empty() {
                c.title.clone()
            } else {
                c.code.clone()
            }
        })
    }

    /// Where it was asked, for the summary: `[3] mx.example.net`,
    /// `quiz 2`, `lesson step 4`.
    pub fn place(&self) -> String {
        match self.key {
            Key::Reply(_) => format!("[{}] {}", self.conn, self.server),
            Key::Authored(Origin::Quiz(k)) => format!("quiz {}", k + 1),
            Key::Authored(Origin::Lesson(s, _)) => format!("lesson step {}", s + 1),
        }
    }

    /// Why a choice would be wrong here, from the catalog: its class
    /// against the real reply's, then its meaning.
    pub fn why_not(&self, choice: usize) -> String {
        let (Some(real), Some(other)) = (self.choices.get(self.answer), self.choices.get(choice))
        else {
            return String::new();
        };
        let (ours, theirs) = (class(&real.code), class(&other.code));
        if ours == theirs {
            format!(
                "{}: also {theirs}, for another reason. {}",
                other.code, other.meaning
            )
        } else {
            format!("{}: {theirs}, not {ours}. {}", other.code, other.meaning)
        }
    }
}

/// What a reply's class says, in a student's words (RFC 5321 §4.2.1; POP3
/// has only yes and no, RFC 1939 §3).
fn class(code: &str) -> &'static str {
    match code.as_bytes().first() {
        Some(b'2') => "2xx done",
        Some(b'3') => "3xx go on",
        Some(b'4') => "4xx try later",
        Some(b'5') => "5xx give up",
        Some(b'+') => "+OK yes",
        Some(b'-') => "-ERR no",
        _ => "no known class",
    }
}

/// What became of a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Skipped,
    /// The index of the choice given.
    Answered(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub question: Question,
    pub outcome: Outcome,
}

impl Record {
    pub fn right(&self) -> bool {
        self.outcome == Outcome::Answered(self.question.answer)
    }
}

/// What the overlay shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    Asking(Question),
    /// The answer just given: an index into `records`.
    Revealed(usize),
}

/// The quiz of one dashboard.
#[derive(Debug, Clone, Default)]
pub struct Predict {
    /// Stop before replies and ask.
    pub on: bool,
    pub phase: Option<Phase>,
    pub records: Vec<Record>,
    /// Playback was running when a question stopped it: it runs on after.
    pub resume: bool,
    /// The scenario's quiz, asked in predict mode before its events.
    pub quiz: Vec<Authored>,
    /// Ask the scenario's quiz only, not every server reply (`--quiz`).
    pub quiz_only: bool,
    /// Questions asked whether predict mode is on or not: the current
    /// lesson step's.
    pub pending: Vec<Authored>,
}

impl Predict {
    pub fn answered(&self) -> usize {
        self.records
            .iter()
            .filter(|r| r.outcome != Outcome::Skipped)
            .count()
    }

    pub fn right(&self) -> usize {
        self.records.iter().filter(|r| r.right()).count()
    }

    pub fn skipped(&self) -> usize {
        self.records.len() - self.answered()
    }

    /// The first question about event `seq` not asked yet, if the event
    /// carries replies worth one. A reply asked once (then stepped back
    /// over) is not asked again.
    /// The scenario's questions come first: the lesson step's, then (in
    /// predict mode) the quiz's.
    pub fn next_question(&self, trace: &Trace, index: &Index, seq: u64) -> Option<Question> {
        let asked = |key: Key| self.records.iter().any(|r| r.question.key == key);
        let quiz = if self.on { self.quiz.as_slice() } else { &[] };
        let authored = self
            .pending
            .iter()
            .chain(quiz)
            .filter(|a| a.mark.before as u64 == seq)
            .map(Question::authored)
            .find(|q| !asked(q.key));
        if authored.is_some() {
            return authored;
        }
        if !self.on || self.quiz_only {
            return None;
        }
        let all = questions(trace, index, seq);
        let n = all.len();
        all.into_iter()
            .enumerate()
            .find(|(_, q)| !asked(q.key))
            .map(|(k, q)| Question {
                of: (k + 1, n),
                ..q
            })
    }

    /// Would stepping onto event `seq` ask something?
    pub fn asks_at(&self, seq: u64) -> bool {
        self.on || self.pending.iter().any(|a| a.mark.before as u64 == seq)
    }

    /// Whether the question with `key` has been asked.
    pub fn asked(&self, key: Key) -> bool {
        self.records.iter().any(|r| r.question.key == key)
    }

    /// Answers the open question with choice `choice`; false when there
    /// is no such choice or no open question.
    pub fn answer(&mut self, choice: usize) -> bool {
        match &self.phase {
            Some(Phase::Asking(q)) if choice < q.choices.len() => {
                self.records.push(Record {
                    question: q.clone(),
                    outcome: Outcome::Answered(choice),
                });
                self.phase = Some(Phase::Revealed(self.records.len() - 1));
                true
            }
            _ => false,
        }
    }

    /// Skips the open question (it counts as asked, not answered).
    pub fn skip(&mut self) {
        if let Some(Phase::Asking(q)) = self.phase.take() {
            self.records.push(Record {
                question: q,
                outcome: Outcome::Skipped,
            });
        }
    }

    /// "predict 3/5 right", for the status bar.
    pub fn score(&self) -> String {
        format!("predict {}", self.tally())
    }

    /// "3/5 right", and how many were skipped if any: the score without
    /// saying where the questions came from (predict mode or a lesson).
    pub fn tally(&self) -> String {
        let mut text = format!("{}/{} right", self.right(), self.answered());
        if self.skipped() > 0 {
            let _ = write!(text, ", {} skipped", self.skipped());
        }
        text
    }

    /// Every question asked, for the terminal after the dashboard closes.
    pub fn summary(&self, title: &str, markdown: bool) -> String {
        if markdown {
            self.markdown(title)
        } else {
            self.text(title)
        }
    }

    fn totals(&self) -> String {
        format!(
            "{} of {} answered right; {} asked, {} skipped",
            self.right(),
            self.answered(),
            self.records.len(),
            self.skipped()
        )
    }

    fn text(&self, title: &str) -> String {
        let mut out = format!("Predict: {title}\n{}\n", self.totals());
        for (i, r) in self.records.iter().enumerate() {
            let q = &r.question;
            let _ = match &q.authored {
                None => writeln!(
                    out,
                    "{:>3}. [{}] {} to {}\n     real reply: {} · {}",
                    i + 1,
                    q.conn,
                    q.command,
                    q.server,
                    q.reply,
                    verdict(r)
                ),
                Some(a) => writeln!(
                    out,
                    "{:>3}. {}: {}\n     answer: {} · {}",
                    i + 1,
                    q.place(),
                    a.ask,
                    q.choice_name(q.answer),
                    verdict(r)
                ),
            };
        }
        out
    }

    fn markdown(&self, title: &str) -> String {
        let cell = |s: &str| s.replace('|', "\\|").replace('`', "'");
        let mut out = format!(
            "## Predict: {}\n\n{}.\n\n| # | where | asked | real answer | answered | right |\n|---|---|---|---|---|---|\n",
            cell(title),
            self.totals()
        );
        for (i, r) in self.records.iter().enumerate() {
            let q = &r.question;
            let (given, right) = match r.outcome {
                Outcome::Skipped => ("skipped".to_owned(), "–"),
                Outcome::Answered(c) => (
                    cell(&q.choice_name(c)),
                    if r.right() { "yes" } else { "no" },
                ),
            };
            let (asked, real) = match &q.authored {
                None => (
                    format!("`{}`", cell(&q.command)),
                    format!("`{}`", cell(&q.reply)),
                ),
                Some(a) => (cell(&a.ask), cell(&q.choice_name(q.answer))),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                i + 1,
                cell(&q.place()),
                asked,
                real,
                given,
                right
            );
        }
        out
    }
}

/// "answered 550: wrong", "answered 450: right", "skipped".
fn verdict(r: &Record) -> String {
    match r.outcome {
        Outcome::Skipped => "skipped".into(),
        Outcome::Answered(c) => {
            let code = r.question.choice_name(c);
            let word = if r.right() { "right" } else { "wrong" };
            format!("answered {code}: {word}")
        }
    }
}

/// Every question event `seq` deserves, in the order of its reply lines:
/// a pipelined group gets one per reply.
pub fn questions(trace: &Trace, index: &Index, seq: u64) -> Vec<Question> {
    let Some(session) = index.session_of(seq) else {
        return Vec::new();
    };
    let catalog = Catalog::builtin();
    let server = trace.name(session.connection.to).to_owned();
    let mut out = Vec::new();
    for &i in index.event_lines(session, seq) {
        let line = &index.lines[i];
        if line.dir != Dir::Down || !matches!(line.kind, LineKind::Reply { .. }) {
            continue;
        }
        // A multi-line reply is asked once, at its last line.
        if line.text.as_bytes().get(3) == Some(&b'-') {
            continue;
        }
        // The client line that opened this exchange says what is answered.
        let Some(exchange) = line.exchange else {
            continue;
        };
        let request = session
            .lines
            .iter()
            .map(|&j| &index.lines[j])
            .take_while(|l| l.seq <= seq)
            .find(|l| l.dir == Dir::Up && l.exchange == Some(exchange));
        let Some((asked, command)) = request.and_then(|r| asked(line.protocol, r.kind, &r.text))
        else {
            continue;
        };
        let Some((choices, answer)) = choices(catalog, asked, line.kind, &line.text, seq, i) else {
            continue;
        };
        let explain = catalog
            .explain_session_line(line.protocol, &line.text)
            .into_iter()
            .map(|e| (e.topic.clone(), e.short_meaning().to_owned()))
            .collect();
        out.push(Question {
            key: Key::Reply(i),
            seq,
            conn: session.connection.conn.0,
            server: server.clone(),
            command,
            reply: line.text.to_string(),
            explain,
            choices,
            answer,
            of: (0, 0),
            authored: None,
        });
    }
    out
}

/// What a client line asks, and how the question names it; `None` for
/// commands not worth a question.
fn asked(protocol: Protocol, kind: LineKind, text: &str) -> Option<(Asked, String)> {
    let verb = text
        .split([' ', ':'])
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase();
    match (protocol, kind) {
        (Protocol::Smtp | Protocol::Submission, LineKind::Data) if text == "." => Some((
            Asked::EndOfData,
            "the end of the message data (the lone dot)".into(),
        )),
        (Protocol::Smtp | Protocol::Submission, LineKind::Command) => match verb.as_str() {
            "MAIL" => Some((Asked::Mail, text.to_owned())),
            "RCPT" => Some((Asked::Rcpt, text.to_owned())),
            "DATA" => Some((Asked::Data, text.to_owned())),
            // The credentials stay off the question: the mechanism is enough.
            "AUTH" => {
                let named: Vec<&str> = text.split_whitespace().take(2).collect();
                Some((Asked::Auth, named.join(" ")))
            }
            _ => None,
        },
        (Protocol::Pop3, LineKind::Command) => match verb.as_str() {
            "USER" | "RETR" | "DELE" => Some((Asked::Pop3, text.to_owned())),
            "PASS" => Some((Asked::Pop3, "PASS (the password)".into())),
            _ => None,
        },
        _ => None,
    }
}

/// The choices for a reply and the index of the right one. The right
/// answer's place comes from the event and the line, so it is the same on
/// every run yet not always first.
fn choices(
    catalog: &Catalog,
    asked: Asked,
    kind: LineKind,
    text: &str,
    seq: u64,
    line: usize,
) -> Option<(Vec<Choice>, usize)> {
    let (real, others): (Choice, Vec<Choice>) = if asked == Asked::Pop3 {
        // POP3 has two answers only: +OK and -ERR (RFC 1939 §3).
        let real = if text.starts_with("+OK") {
            "+OK"
        } else {
            "-ERR"
        };
        let other = if real == "+OK" { "-ERR" } else { "+OK" };
        (
            pop3_choice(catalog, real)?,
            vec![pop3_choice(catalog, other)?],
        )
    } else {
        let LineKind::Reply { code: Some(code) } = kind else {
            return None;
        };
        let plausible = asked.plausible();
        let mut codes: Vec<u16> = contrasts(code)
            .iter()
            .filter(|c| plausible.contains(c))
            .copied()
            .collect();
        codes.extend(plausible.iter().copied());
        codes.retain(|&c| c != code);
        let mut seen = Vec::new();
        codes.retain(|c| {
            let fresh = !seen.contains(c);
            seen.push(*c);
            fresh
        });
        let others = codes
            .into_iter()
            .take(3)
            .filter_map(|c| smtp_choice(catalog, c))
            .collect();
        (smtp_choice(catalog, code)?, others)
    };
    let n = others.len() + 1;
    // Successive replies of one group land on successive places.
    let answer = ((seq + line as u64) % n as u64) as usize;
    let mut all = others;
    all.insert(answer, real);
    Some((all, answer))
}

fn choice(code: String, entry: &Entry) -> Choice {
    // The first sentence: "why not" gets two rows at 80 columns.
    let meaning = entry.short_meaning();
    let first = meaning.find(". ").map_or(meaning, |end| &meaning[..=end]);
    Choice {
        code,
        title: entry.title.clone(),
        meaning: first.to_owned(),
    }
}

/// A reply code with its own entry, or its class's (`4yz`) as RFC 5321
/// §4.2.1 tells clients to fall back on.
fn smtp_choice(catalog: &Catalog, code: u16) -> Option<Choice> {
    let entry = catalog.explain_reply(code, None).pop()?;
    Some(choice(code.to_string(), entry))
}

fn pop3_choice(catalog: &Catalog, status: &str) -> Option<Choice> {
    Some(choice(status.to_owned(), catalog.lookup(status)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_450_gets_550_and_250_as_distractors() {
        let catalog = Catalog::builtin();
        let (all, answer) = choices(
            catalog,
            Asked::Rcpt,
            LineKind::Reply { code: Some(450) },
            "450 4.7.1 Greylisted",
            40,
            9,
        )
        .expect("450 has choices");
        let codes: Vec<&str> = all.iter().map(|c| c.code.as_str()).collect();
        assert_eq!(all[answer].code, "450");
        assert_eq!(codes.len(), 4);
        for c in ["550", "250", "451"] {
            assert!(codes.contains(&c), "{codes:?}");
        }
    }

    #[test]
    fn the_right_answer_is_not_always_first() {
        let catalog = Catalog::builtin();
        let places: Vec<usize> = (0..16)
            .filter_map(|seq| {
                choices(
                    catalog,
                    Asked::Mail,
                    LineKind::Reply { code: Some(250) },
                    "250 OK",
                    seq,
                    3,
                )
            })
            .map(|(_, answer)| answer)
            .collect();
        assert!(places.iter().any(|&p| p != 0), "{places:?}");
        assert!(places.contains(&0), "{places:?}");
    }

    #[test]
    fn pop3_asks_plus_ok_against_minus_err() {
        let catalog = Catalog::builtin();
        let (all, answer) = choices(
            catalog,
            Asked::Pop3,
            LineKind::Reply { code: None },
            "-ERR no such message",
            5,
            1,
        )
        .expect("POP3 has choices");
        assert_eq!(all.len(), 2);
        assert_eq!(all[answer].code, "-ERR");
    }
}
