//! What a server session may cost its host, and the guard that enforces it.
//!
//! Every server machine (SMTP, POP3, and the ones to come) keeps one
//! [`Guard`]: two timers, three counters and the endless-line cut-off. The
//! guard only says which [`Limit`] was passed; each protocol says it in its
//! own words (`421 4.7.0 …`, `-ERR …`) and closes with the matching
//! [`CloseReason`].
//!
//! ## Counts start again when the client delivers
//!
//! The counts of commands, errors, junk and input octets measure a client
//! that takes the host's time *without delivering mail*, as Postfix's
//! `smtpd_hard_error_limit` and `smtpd_junk_command_limit` do. The
//! protocol calls [`Guard::on_progress`] when a unit of real work is done
//! (SMTP: a message accepted; POP3: a message retrieved or deleted), and
//! the counts start again. So a client that delivers thousands of messages
//! over one cached connection is never cut, while one that sends 1,001
//! commands, 20 failures or 100 NOOPs and no mail is.
//!
//! ## The idle rule: any byte received resets the idle timer
//!
//! Both protocols follow one rule. RFC 5321 §4.5.3.2.7's server timeout is
//! about a client that has gone silent, and RFC 1939 §3 says the receipt of
//! any command "should suffice" to reset the autologout timer: sufficient,
//! not required. Counting whole lines instead would cut off an honest
//! client on a slow link in the middle of a long DATA line or a big
//! message, while it is plainly still there. A client that trickles one
//! byte a minute is stopped by the session's allowance
//! ([`SessionLimits::session`]) and the input bound, not by the idle timer.

use std::time::{Duration, Instant};

/// After this many failed commands a server gives up on the client; the
/// same for SMTP and POP3.
pub const DEFAULT_MAX_ERRORS: usize = 20;

/// Commands that do no work (NOOP, RSET, VRFY, HELP, EXPN) a client may
/// send without delivering mail before each one counts as an error:
/// Postfix's `smtpd_junk_command_limit`, with its default.
pub const DEFAULT_MAX_JUNK: usize = 100;

/// The bounds of one server session. A protocol fills in its own idle
/// timer and line length; a host (`mailflow serve`) tightens the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionLimits {
    /// Silence after which the session ends (RFC 5321 §4.5.3.2.7: 5
    /// minutes; RFC 1939 §3: at least 10).
    pub idle: Duration,
    /// How long one session may last in all, however busy (none: no limit):
    /// a client trickling a byte a minute never idles out.
    pub session: Option<Duration>,
    /// Command lines a session may send without delivering mail (none: no
    /// limit); see the module's documentation.
    pub max_commands: Option<usize>,
    /// Octets a session may send without delivering mail, message data
    /// included (none: no limit). A host that records every byte (the
    /// trace) must stop somewhere.
    pub max_input: Option<usize>,
    /// Failed commands without delivering mail after which the server
    /// gives up.
    pub max_errors: usize,
    /// Junk commands without delivering mail after which each further one
    /// counts as an error.
    pub max_junk: usize,
    /// Octets of one unended line after which the client is cut off.
    pub max_overlong: usize,
}

impl SessionLimits {
    /// A protocol's own bounds: its idle timer and how long an unended line
    /// may grow; no allowance, no count of commands or octets.
    pub fn new(idle: Duration, max_overlong: usize) -> SessionLimits {
        SessionLimits {
            idle,
            session: None,
            max_commands: None,
            max_input: None,
            max_errors: DEFAULT_MAX_ERRORS,
            max_junk: DEFAULT_MAX_JUNK,
            max_overlong,
        }
    }
}

/// Which bound a session passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// The client was silent for longer than [`SessionLimits::idle`].
    Idle,
    /// The session's whole allowance ([`SessionLimits::session`]) is spent.
    Allowance,
    /// More command lines than [`SessionLimits::max_commands`].
    Commands,
    /// More octets than [`SessionLimits::max_input`].
    Input,
    /// [`SessionLimits::max_errors`] failed commands.
    Errors,
    /// A line that does not end, past [`SessionLimits::max_overlong`].
    Overlong,
}

/// Why a session ended, whatever the protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// The client said QUIT.
    Quit,
    /// The client was silent for longer than the idle timer.
    Timeout,
    /// The client went away without QUIT.
    PeerClosed,
    /// The host asked the session to shut down.
    Shutdown,
    /// Too many failed commands.
    TooManyErrors,
    /// Past a limit of the host: commands, input, session length, or a
    /// line that never ends.
    Limit,
    /// The client pipelined more than the server may hold unsent without
    /// reading the replies.
    Backlog,
    /// A what-if closed it: a 421 or a lost connection put in its place.
    WhatIf,
}

impl From<Limit> for CloseReason {
    fn from(limit: Limit) -> CloseReason {
        match limit {
            Limit::Idle => CloseReason::Timeout,
            Limit::Errors => CloseReason::TooManyErrors,
            Limit::Allowance | Limit::Commands | Limit::Input | Limit::Overlong => {
                CloseReason::Limit
            }
        }
    }
}

/// The timers of a session, in quinn-proto's manner: a small table, and
/// the next timeout is the earliest entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timer {
    /// Reset by every byte received.
    Idle,
    /// Set once, when the session opens.
    Allowance,
}

impl Timer {
    /// In the order they are checked: an allowance that ran out is said
    /// before silence, as it is the host's rule and the client may not know it.
    const ALL: [Timer; 2] = [Timer::Allowance, Timer::Idle];
}

#[derive(Debug, Clone, Default)]
struct TimerTable([Option<Instant>; 2]);

impl TimerTable {
    fn set(&mut self, timer: Timer, at: Option<Instant>) {
        self.0[timer as usize] = at;
    }

    fn get(&self, timer: Timer) -> Option<Instant> {
        self.0[timer as usize]
    }

    fn next_timeout(&self) -> Option<Instant> {
        self.0.iter().flatten().min().copied()
    }

    fn expired(&self, now: Instant) -> Option<Timer> {
        Timer::ALL
            .into_iter()
            .find(|&t| self.get(t).is_some_and(|at| now >= at))
    }
}

/// Enforces a session's [`SessionLimits`]: counts what the client sends and
/// keeps the timers. It answers with the limit passed; it never closes
/// anything itself.
#[derive(Debug, Clone)]
pub struct Guard {
    limits: SessionLimits,
    timers: TimerTable,
    received: usize,
    commands: usize,
    errors: usize,
    junk: usize,
}

impl Guard {
    /// Starts the timers at `now`, when the session opens.
    pub fn new(limits: SessionLimits, now: Instant) -> Guard {
        let mut timers = TimerTable::default();
        timers.set(Timer::Idle, now.checked_add(limits.idle));
        timers.set(
            Timer::Allowance,
            limits.session.and_then(|d| now.checked_add(d)),
        );
        Guard {
            limits,
            timers,
            received: 0,
            commands: 0,
            errors: 0,
            junk: 0,
        }
    }

    pub fn limits(&self) -> &SessionLimits {
        &self.limits
    }

    /// `octets` arrived at `now`. A client that never pauses must not
    /// escape the allowance, since the host asks about time only when the
    /// client is quiet; every byte counts towards the input bound and
    /// resets the idle timer (the rule of this module's documentation).
    pub fn on_input(&mut self, octets: usize, now: Instant) -> Result<(), Limit> {
        if self.timers.expired(now) == Some(Timer::Allowance) {
            return Err(Limit::Allowance);
        }
        self.received = self.received.saturating_add(octets);
        if self.limits.max_input.is_some_and(|max| self.received > max) {
            return Err(Limit::Input);
        }
        if octets > 0 {
            self.timers
                .set(Timer::Idle, now.checked_add(self.limits.idle));
        }
        Ok(())
    }

    /// A complete command line was taken.
    pub fn on_line(&mut self) -> Result<(), Limit> {
        self.commands += 1;
        match self.limits.max_commands {
            Some(max) if self.commands > max => Err(Limit::Commands),
            _ => Ok(()),
        }
    }

    /// A command failed.
    pub fn on_error(&mut self) -> Result<(), Limit> {
        self.errors += 1;
        if self.errors >= self.limits.max_errors {
            Err(Limit::Errors)
        } else {
            Ok(())
        }
    }

    /// A command that does no work was answered; past
    /// [`SessionLimits::max_junk`] each one counts as an error too.
    pub fn on_junk(&mut self) -> Result<(), Limit> {
        self.junk += 1;
        if self.junk > self.limits.max_junk {
            self.on_error()
        } else {
            Ok(())
        }
    }

    /// The client did real work (delivered or retrieved mail): the counts
    /// of commands, errors, junk and input start again. The timers do not:
    /// the session's allowance bounds even the busiest client.
    pub fn on_progress(&mut self) {
        self.received = 0;
        self.commands = 0;
        self.errors = 0;
        self.junk = 0;
    }

    /// `overlong` octets of a line have come without its end (see
    /// `LineBuffer::overlong`): past the bound, waiting for the end could
    /// last forever.
    pub fn check_overlong(&self, overlong: usize) -> Result<(), Limit> {
        if overlong > self.limits.max_overlong {
            Err(Limit::Overlong)
        } else {
            Ok(())
        }
    }

    /// The timer that has run out at `now`, if any: [`Limit::Allowance`]
    /// or [`Limit::Idle`].
    pub fn expired(&self, now: Instant) -> Option<Limit> {
        self.timers.expired(now).map(|timer| match timer {
            Timer::Idle => Limit::Idle,
            Timer::Allowance => Limit::Allowance,
        })
    }

    /// When the host should next call `handle_timeout`: the earlier timer.
    pub fn next_timeout(&self) -> Option<Instant> {
        self.timers.next_timeout()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IDLE: Duration = Duration::from_secs(300);

    fn guard(change: impl FnOnce(&mut SessionLimits), now: Instant) -> Guard {
        let mut limits = SessionLimits::new(IDLE, 1000);
        change(&mut limits);
        Guard::new(limits, now)
    }

    #[test]
    fn next_timeout_is_the_earlier_timer() {
        let start = Instant::now();
        let secs = Duration::from_secs;
        let mut g = guard(|l| l.session = Some(secs(400)), start);
        assert_eq!(g.next_timeout(), Some(start + IDLE));
        g.on_input(1, start + secs(200)).unwrap();
        assert_eq!(g.next_timeout(), Some(start + secs(400)));
        assert_eq!(guard(|_| {}, start).next_timeout(), Some(start + IDLE));
    }

    #[test]
    fn any_byte_resets_the_idle_timer_but_nothing_does_not() {
        let start = Instant::now();
        let mut g = guard(|_| {}, start);
        let later = start + Duration::from_secs(299);
        g.on_input(0, later).unwrap();
        assert_eq!(g.expired(start + IDLE), Some(Limit::Idle));
        g.on_input(1, later).unwrap();
        assert_eq!(g.expired(start + IDLE), None);
        assert_eq!(g.expired(later + IDLE), Some(Limit::Idle));
    }

    #[test]
    fn the_allowance_is_met_by_input_and_said_before_silence() {
        let start = Instant::now();
        let end = start + Duration::from_secs(60);
        let mut g = guard(|l| l.session = Some(Duration::from_secs(60)), start);
        assert_eq!(g.on_input(10, end - Duration::from_secs(1)), Ok(()));
        assert_eq!(g.on_input(10, end), Err(Limit::Allowance));
        assert_eq!(g.expired(end + IDLE), Some(Limit::Allowance));
    }

    #[test]
    fn counters_stop_at_their_bounds() {
        let now = Instant::now();
        let mut g = guard(
            |l| {
                l.max_commands = Some(2);
                l.max_input = Some(5);
                l.max_errors = 2;
            },
            now,
        );
        assert_eq!(
            (g.on_line(), g.on_line(), g.on_line()),
            (Ok(()), Ok(()), Err(Limit::Commands))
        );
        assert_eq!(g.on_input(5, now), Ok(()));
        assert_eq!(g.on_input(1, now), Err(Limit::Input));
        assert_eq!((g.on_error(), g.on_error()), (Ok(()), Err(Limit::Errors)));
        assert_eq!(g.check_overlong(1000), Ok(()));
        assert_eq!(g.check_overlong(1001), Err(Limit::Overlong));
    }

    #[test]
    fn each_limit_has_its_close_reason() {
        assert_eq!(CloseReason::from(Limit::Idle), CloseReason::Timeout);
        assert_eq!(CloseReason::from(Limit::Errors), CloseReason::TooManyErrors);
        for limit in [
            Limit::Allowance,
            Limit::Commands,
            Limit::Input,
            Limit::Overlong,
        ] {
            assert_eq!(CloseReason::from(limit), CloseReason::Limit);
        }
    }
}
