//! `mailflow demo`: one genuine SMTP session between mailflow's own client
//! and server machines, wired together in memory, printed line by line with
//! what each line means. It is what `mailflow` runs until the dashboard
//! exists.

use std::process::ExitCode;
use std::time::Instant;

use crate::explain::Catalog;
use crate::smtp::client::{ClientConfig, ClientEvent, Outcome, Reason, Transaction};
use crate::smtp::pair::{Direction, Pair};
use crate::smtp::reply::ReplyParser;
use crate::smtp::server::ServerConfig;
use crate::smtp::{Command, ForwardPath, ReversePath, SimplePolicy};

#[derive(Debug, Default, clap::Args)]
pub struct Args {
    /// Only the protocol lines, without explanations.
    #[arg(long)]
    pub brief: bool,
    /// Send one command at a time instead of pipelining (RFC 2920).
    #[arg(long)]
    pub no_pipelining: bool,
}

const RECIPIENTS: [&str; 2] = ["bob@example.net", "carol@example.org"];

const MESSAGE: &str = "From: Alice <alice@example.org>\r\n\
To: Bob <bob@example.net>\r\n\
Subject: Lunch?\r\n\
Date: Tue, 01 Dec 2026 12:00:00 +0000\r\n\
Message-ID: <demo.1@laptop.example.org>\r\n\
\r\n\
Hi Bob,\r\n\
.. a line that starts with a dot travels dot-stuffed.\r\n\
See you at noon!\r\n";

pub fn run(args: &Args) -> ExitCode {
    let mut pair = session(args);
    pair.drive();
    print_header();
    let catalog = Catalog::builtin();
    for (direction, line) in pair.transcript() {
        print_line(direction, &line, catalog, args.brief);
    }
    print_outcomes(pair.client_events(), &RECIPIENTS);
    ExitCode::SUCCESS
}

fn session(args: &Args) -> Pair<SimplePolicy> {
    let mailbox = |s: &str| crate::smtp::Mailbox::parse(s).expect("demo addresses are valid");
    let transaction = Transaction {
        reverse_path: ReversePath::Mailbox(mailbox("alice@example.org")),
        forward_paths: RECIPIENTS
            .iter()
            .map(|r| ForwardPath::Mailbox(mailbox(r)))
            .collect(),
        content: MESSAGE.as_bytes().to_vec(),
    };
    let mut client = ClientConfig::new("laptop.example.org").with_credentials("alice", "alice");
    if args.no_pipelining {
        client = client.without_pipelining();
    }
    let server = ServerConfig::new("smtp.example.org").submission();
    let policy = SimplePolicy::for_domain("example.org", &["alice"]).with_account("alice", "alice");
    Pair::new(client, vec![transaction], server, policy, Instant::now())
}

fn print_header() {
    println!("mailflow demo: alice's laptop submits one message to smtp.example.org (port 587).");
    println!("Both sides are mailflow's own SMTP machines talking in memory; every line below");
    println!("crossed the wire byte for byte. `mailflow tui` shows a whole world of MTAs, DNS");
    println!("and mailboxes on the dashboard; `mailflow explain CODE` explains any reply.");
    println!();
    println!("  C: = the client (laptop.example.org)   S: = the server (smtp.example.org)");
    println!();
}

/// Lines of the message itself are shown but not explained.
fn print_line(direction: Direction, line: &str, catalog: &Catalog, brief: bool) {
    let tag = match direction {
        Direction::ClientToServer => "C:",
        Direction::ServerToClient => "S:",
    };
    println!("{tag} {line}");
    if brief {
        return;
    }
    if let Some((title, rfc)) = explanation(direction, line, catalog) {
        println!("      └─ {title} ({rfc})");
    }
}

fn explanation(direction: Direction, line: &str, catalog: &Catalog) -> Option<(String, String)> {
    let entry = match direction {
        Direction::ClientToServer if line == "." => catalog.lookup("."),
        Direction::ClientToServer => {
            let verb = Command::parse(line.as_bytes()).ok()?.verb();
            catalog.explain_command(verb)
        }
        Direction::ServerToClient => {
            // Only the last line of a multi-line reply carries the meaning.
            let mut parser = ReplyParser::new();
            parser.push(format!("{line}\r\n").as_bytes());
            let reply = parser.next_reply()?.ok()?;
            let enhanced = reply.enhanced().map(|e| e.to_string());
            catalog
                .explain_reply(reply.code().get(), enhanced.as_deref())
                .into_iter()
                .next()
        }
    }?;
    Some((entry.title.clone(), entry.rfc.clone()))
}

fn print_outcomes(events: &[ClientEvent], recipients: &[&str]) {
    println!();
    println!("What became of each recipient:");
    for event in events {
        let ClientEvent::TransactionDone { outcomes, .. } = event else {
            continue;
        };
        for (recipient, outcome) in recipients.iter().zip(outcomes) {
            let verdict = match outcome {
                Outcome::Delivered { .. } => {
                    "accepted: the server now carries it onward".to_owned()
                }
                Outcome::Deferred { reason } => {
                    format!("deferred, will retry: {}", reason_text(reason))
                }
                Outcome::Failed { reason } => {
                    format!("failed, a bounce goes back: {}", reason_text(reason))
                }
            };
            println!("  <{recipient}>: {verdict}");
        }
    }
}

fn reason_text(reason: &Reason) -> String {
    match reason {
        Reason::Reply(reply) => reply.to_string(),
        Reason::Local { enhanced, text } => format!("{enhanced} {text}"),
    }
}
