//! `mailflow serve`: a scenario's world on the wall clock, with real
//! sockets into it. The dashboard shows real sessions as they happen;
//! `--headless` prints the live transcript instead.

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use crate::export::text::Board;
use crate::net::Limits;
use crate::scenario::bundled;
use crate::scenario::duration::parse_duration;
use crate::serve::{self, Options, Serving, Watcher, Watching};
use crate::trace::Event;
use crate::tui::{self, Live, Theme, World};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A scenario file, or the name of a bundled one (see `mailflow list`).
    #[arg(default_value = bundled::DEFAULT)]
    pub scenario: String,
    /// Where real SMTP clients connect (port 0: any free port).
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:2525")]
    pub smtp: SocketAddr,
    /// Where real mail programs submit (the submission MTA's port 587):
    /// STARTTLS first, then AUTH PLAIN or LOGIN as one of its accounts.
    #[arg(long, value_name = "ADDR:PORT")]
    pub submission: Option<SocketAddr>,
    /// Submission over implicit TLS (the submission MTA's port 465).
    #[arg(long, value_name = "ADDR:PORT")]
    pub smtps: Option<SocketAddr>,
    /// Where to write the world's CA certificate (PEM) for real TLS
    /// clients [default: mailflow-ca-<scenario>.pem in the temporary folder].
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<std::path::PathBuf>,
    /// Where real POP3 clients fetch the node's mailboxes.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:2110")]
    pub pop3: SocketAddr,
    /// Where the scenario's DNS server answers real queries (UDP and TCP).
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:2053")]
    pub dns: SocketAddr,
    /// Do not expose POP3.
    #[arg(long)]
    pub no_pop3: bool,
    /// Do not expose DNS.
    #[arg(long)]
    pub no_dns: bool,
    /// The MTA to expose [default: the MX of the first recipient's domain].
    #[arg(long, value_name = "HOST")]
    pub node: Option<String>,
    /// Print the live transcript instead of opening the dashboard.
    #[arg(long)]
    pub headless: bool,
    /// Allow listening on addresses other than loopback.
    #[arg(long)]
    pub public: bool,
    /// Real connections open at once; past it, 421 4.3.2.
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub max_connections: u32,
    /// Silence after which a real client is cut off (421 4.4.2).
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = limit_duration)]
    pub idle_timeout: Duration,
    /// The longest a real session may last, however busy.
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = limit_duration)]
    pub session_limit: Duration,
    /// Commands a real session may send without delivering or retrieving
    /// mail (SMTP, POP3; queries per DNS-over-TCP connection); past it, 421.
    /// Each message accepted (or retrieved) starts the count again.
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub max_commands: u32,
    /// Octets per message from real clients (at most the node's own limit).
    #[arg(long, value_name = "OCTETS", value_parser = clap::value_parser!(u64).range(1..=1 << 30))]
    pub max_size: Option<u64>,
    /// Write everything that happens to FILE as it happens (a recording:
    /// replay it with `mailflow tui FILE`). Given a FILE this world
    /// recorded before, go on where it stopped: mailboxes hold what they
    /// held, and the file grows.
    #[arg(long, value_name = "FILE")]
    pub record: Option<std::path::PathBuf>,
    /// dark, light (for projectors), high-contrast or mono. NO_COLOR wins.
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(Theme::NAMES))]
    pub theme: Option<String>,
}

/// A duration flag: "30s", "5m"; between one second and a day.
fn limit_duration(text: &str) -> Result<Duration, String> {
    let d = parse_duration(text).map_err(|e| e.to_string())?;
    if d < Duration::from_secs(1) || d > Duration::from_secs(86_400) {
        return Err(format!("{text} is out of range: give 1s to 1d"));
    }
    Ok(d)
}

pub fn run(args: &Args) -> ExitCode {
    let loaded = match super::load(&args.scenario) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    if !args.headless && !std::io::stdout().is_terminal() {
        eprintln!("mailflow serve needs a terminal for the dashboard; add --headless for text");
        return ExitCode::from(2);
    }
    let options = Options {
        smtp: Some(args.smtp),
        pop3: (!args.no_pop3).then_some(args.pop3),
        dns: (!args.no_dns).then_some(args.dns),
        submission: args.submission,
        smtps: args.smtps,
        ca_file: args
            .ca_file
            .clone()
            .unwrap_or_else(|| default_ca_file(&loaded.plan.title)),
        node: args.node.clone(),
        public: args.public,
        max_connections: args.max_connections as usize,
        limits: Limits {
            idle: args.idle_timeout,
            session: args.session_limit,
            max_commands: args.max_commands as usize,
            max_size: args.max_size.map(|n| n as usize),
        },
        watcher: if args.headless {
            // What waits for stdout, payloads counted: the printer's
            // memory stays flat whatever the reader does. Past it the
            // world waits for the printer; only a stdout blocked for
            // `serve::STALL` loses lines (a paused pager must not freeze
            // the world).
            Watcher::Printer {
                octets: FEED_OCTETS,
            }
        } else {
            // Room for a burst between two looks of the dashboard, which
            // keeps every event anyway.
            Watcher::Dashboard { events: 65_536 }
        },
        record: args.record.clone(),
    };
    let title = loaded.plan.title.clone();
    let about = loaded.plan.about.clone();
    let serving = match serve::start(loaded.plan, &options) {
        Ok(serving) => serving,
        Err(error) => {
            eprintln!("mailflow serve: {error}");
            return ExitCode::from(2);
        }
    };
    for note in &serving.notes {
        eprintln!("mailflow serve: {note}");
    }
    if args.public {
        eprintln!(
            "mailflow serve: --public: these sockets accept connections from other machines:"
        );
        for e in &serving.exposed {
            eprintln!("  !! {e}");
        }
        eprintln!(
            "  Anyone who reaches these ports can send to the node's mailboxes and read them with their passwords; mail for other domains is refused."
        );
    }
    if args.headless {
        headless(serving, &title)
    } else {
        dashboard(serving, title, about, args)
    }
}

/// Octets of events (payloads counted) on their way to the printer, at
/// most: about 2,000 messages of 1 KiB with all their events.
const FEED_OCTETS: usize = 8 << 20;

/// Octets of events formatted and written to stdout at once, at most
/// (about as much transcript).
const BATCH: usize = 64 * 1024;

/// How long the printer lets events gather after the first of a burst:
/// every wake-up costs both threads a context switch, so at most a
/// hundred a second; a person cannot see a 10 ms delay.
const GATHER: std::time::Duration = std::time::Duration::from_millis(10);

/// The live transcript on stdout, until Ctrl-C or SIGTERM.
fn headless(mut serving: Serving, title: &str) -> ExitCode {
    // A continued recording numbers its events after the earlier ones;
    // the printer keeps none of them (its memory stays flat).
    let mut next = serving.header.len() as u64;
    let mut header = crate::trace::Trace::new(std::mem::take(&mut serving.header.hosts));
    header.links = std::mem::take(&mut serving.header.links);
    header.zones = std::mem::take(&mut serving.header.zones);
    serving.header = header;
    let mut stdout = std::io::stdout().lock();
    // The banner goes to stderr: stdout starts with what scripts read.
    eprintln!("mailflow serve: {title:?} on the wall clock; Ctrl-C stops");
    for e in &serving.exposed {
        let _ = writeln!(stdout, "listening {e}");
    }
    for line in tls_lines(&serving) {
        let _ = writeln!(stdout, "{line}");
    }
    let _ = writeln!(stdout, "ready");
    let _ = stdout.flush();
    let Watching::Printer(feed) = &serving.feed else {
        unreachable!("a headless world is served to the printer");
    };
    let mut board = Board::new(false);
    let mut text = String::new();
    // How long stdout was blocked since the last gap was told: the world
    // drops events only then (see `serve::feed`).
    let mut blocked = Duration::ZERO;
    let mut write = |event: &Event, text: &mut String, blocked: &mut Duration| {
        if event.seq > next {
            text.push_str(&format!(
                "           … {} events not shown: stdout was blocked for {:.1} s\n",
                event.seq - next,
                blocked.as_secs_f64()
            ));
            *blocked = Duration::ZERO;
        }
        next = event.seq + 1;
        board.write(&serving.header, event, text);
    };
    let mut batch = Vec::new();
    // Whether the last batch stopped at BATCH: more is waiting already.
    let mut full = false;
    while let Some(mut taken) = feed.recv(&mut batch, BATCH) {
        // Let a burst gather before draining it: waking for every event
        // costs the world a futex wake and both threads a context switch
        // per line, which at thousands of lines a second was most of the
        // printer's time. A human cannot see the delay.
        if !full && taken < BATCH {
            std::thread::sleep(GATHER);
            taken += feed.try_recv(&mut batch, BATCH - taken);
        }
        // What is waiting goes out in one write, up to a bound: a fast
        // sender must not make the text grow without end.
        full = taken >= BATCH;
        for event in batch.drain(..) {
            write(&event, &mut text, &mut blocked);
        }
        // An error is a stdout nobody reads any more: keep serving (and
        // draining the feed), stop printing.
        let (_, took) = feed.writing(|| {
            stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
        });
        text.clear();
        if took >= serve::STALL {
            blocked += took;
        }
    }
    if let Err(why) = serving.join() {
        eprintln!("mailflow serve: the world failed: {why}");
        return ExitCode::FAILURE;
    }
    let _ = writeln!(stdout, "stopped: open sessions were told 421 and closed");
    ExitCode::SUCCESS
}

/// The dashboard, following the live edge; quitting it stops the world.
fn dashboard(mut serving: Serving, title: String, about: String, args: &Args) -> ExitCode {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let theme = Theme::choose(args.theme.as_deref(), no_color);
    let header = std::mem::take(&mut serving.header);
    let index = crate::trace::index::Index::build(&header);
    let world = World {
        title,
        about,
        trace: header,
        index,
        verdicts: Vec::new(),
        plan: None,
    };
    let live = Live {
        listening: serving
            .exposed
            .iter()
            .map(|e| e.to_string())
            .chain(tls_lines(&serving))
            .collect(),
        hint: hint(&serving),
        quit_when_stopped: true,
    };
    // The dashboard takes the feed; when it quits, the world is stopped.
    let Watching::Dashboard(feed) = std::mem::replace(
        &mut serving.feed,
        Watching::Dashboard(std::sync::mpsc::channel().1),
    ) else {
        unreachable!("the dashboard's world is served to the dashboard");
    };
    let result = tui::run_live(world, theme, feed, live);
    serving.stop();
    if let Err(why) = serving.join() {
        eprintln!("mailflow serve: the world failed: {why}");
        return ExitCode::FAILURE;
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mailflow: the terminal failed: {e}");
            ExitCode::FAILURE
        }
    }
}

/// What a newcomer can type in another terminal to join the world: a
/// submission with TLS and AUTH when that port is open, else plain SMTP.
fn hint(serving: &Serving) -> Option<String> {
    let to = serving.mailbox.as_deref()?;
    let submission = serving.exposed.iter().find(|e| e.service == "submission");
    if let (Some(port), Some(ca), Some((user, password))) =
        (submission, &serving.ca_file, serving.accounts.first())
    {
        return Some(format!(
            "swaks --server {} --tls --tls-verify --tls-ca-path {} --auth PLAIN --auth-user {user} --auth-password {password} --from {user} --to {to}",
            port.addr,
            ca.display()
        ));
    }
    let smtp = serving.exposed.iter().find(|e| e.service == "smtp")?;
    Some(format!("swaks --server {} --to {to}", smtp.addr))
}

/// Where the CA certificate is and who may log in: what a real TLS
/// client needs, printed once at the start.
fn tls_lines(serving: &Serving) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(ca) = &serving.ca_file {
        lines.push(format!("ca-certificate {}", ca.display()));
    }
    for (user, password) in &serving.accounts {
        lines.push(format!("account {user} password {password}"));
    }
    lines
}

/// mailflow-ca-<the title's words>.pem in the temporary folder: one file
/// per scenario, so two worlds served at once do not overwrite each
/// other's.
fn default_ca_file(title: &str) -> std::path::PathBuf {
    let mut slug = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
        if slug.len() >= 40 {
            break;
        }
    }
    let slug = slug.trim_end_matches('-');
    std::env::temp_dir().join(format!("mailflow-ca-{slug}.pem"))
}
