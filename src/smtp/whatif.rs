//! What-ifs at a server's decision points: the host may answer one step
//! of a session (the greeting, a command, the end of data) otherwise than
//! the server would have. The session then goes on as the protocol says
//! for the reply it really sent: a 250 to RCPT adds the recipient, a 354
//! to DATA starts the data, a 421 closes (RFC 5321 §3.8), anything else
//! refuses. A lost connection closes without a word; a silent server
//! answers nothing and lets the client's timer run out (§4.5.3.2).

use std::fmt;

use super::command::Command;
use super::reply::Reply;

/// Where a server decides what to answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Step {
    /// The greeting that answers the connection (220 or 554).
    Connect,
    Ehlo,
    Helo,
    Mail,
    Rcpt,
    /// The reply to DATA itself (354 to go ahead).
    Data,
    /// The reply after the final dot: the message taken, or refused.
    Dot,
    Rset,
    Noop,
    Vrfy,
    Help,
    Quit,
}

impl Step {
    pub const ALL: [Step; 12] = [
        Step::Connect,
        Step::Ehlo,
        Step::Helo,
        Step::Mail,
        Step::Rcpt,
        Step::Data,
        Step::Dot,
        Step::Rset,
        Step::Noop,
        Step::Vrfy,
        Step::Help,
        Step::Quit,
    ];

    /// The word a what-if names it by: the command's verb, `CONNECT` for
    /// the greeting, `DOT` for the end of data.
    pub fn name(self) -> &'static str {
        match self {
            Step::Connect => "CONNECT",
            Step::Ehlo => "EHLO",
            Step::Helo => "HELO",
            Step::Mail => "MAIL",
            Step::Rcpt => "RCPT",
            Step::Data => "DATA",
            Step::Dot => "DOT",
            Step::Rset => "RSET",
            Step::Noop => "NOOP",
            Step::Vrfy => "VRFY",
            Step::Help => "HELP",
            Step::Quit => "QUIT",
        }
    }

    /// The step a word names, in any case; `.` is the end of data too.
    pub fn parse(word: &str) -> Option<Step> {
        if word == "." {
            return Some(Step::Dot);
        }
        Step::ALL
            .into_iter()
            .find(|s| s.name().eq_ignore_ascii_case(word))
    }

    /// The step a command is answered at; AUTH, EXPN and STARTTLS have
    /// none (their replies are not what-ifs).
    pub fn of(command: &Command) -> Option<Step> {
        Some(match command {
            Command::Ehlo { .. } => Step::Ehlo,
            Command::Helo { .. } => Step::Helo,
            Command::Mail { .. } => Step::Mail,
            Command::Rcpt { .. } => Step::Rcpt,
            Command::Data => Step::Data,
            Command::Rset => Step::Rset,
            Command::Noop => Step::Noop,
            Command::Vrfy { .. } => Step::Vrfy,
            Command::Help { .. } => Step::Help,
            Command::Quit => Step::Quit,
            // BDAT's answer comes after its octets; LAST has no dot.
            Command::Expn { .. }
            | Command::Auth { .. }
            | Command::StartTls
            | Command::Bdat { .. } => return None,
        })
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What the server does instead of deciding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Instead {
    /// Sends this reply, and acts on it.
    Reply(Reply),
    /// Closes the connection without a reply.
    Lost,
    /// Says nothing more: the client waits until its timer gives up.
    Silent,
}

impl fmt::Display for Instead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Instead::Reply(reply) => write!(f, "{}", reply.to_string().replace('\n', " / ")),
            Instead::Lost => f.write_str("connection lost"),
            Instead::Silent => f.write_str("no reply (the client times out)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_step_reads_back_from_its_name() {
        for step in Step::ALL {
            assert_eq!(Step::parse(step.name()), Some(step));
            assert_eq!(Step::parse(&step.name().to_lowercase()), Some(step));
        }
        assert_eq!(Step::parse("."), Some(Step::Dot));
        assert_eq!(Step::parse("AUTH"), None);
    }
}
