//! What a typed line costs: for every bundled scenario with a client, a
//! whole plain run (`sim::run`, what `mailflow run` does) against the
//! console's world (`sim::driven::Stepper`) as the client types a whole
//! submission (EHLO, MAIL, RCPT, DATA, three lines of text, the dot,
//! QUIT) and then lets time run once (`:wait`). Reported per typed line,
//! as a ratio to the plain run measured in the same process. Best of 7
//! each, so a busy machine's pauses do not count.
//!
//! Run with `cargo bench --bench console`. It fails (exit 1) if a typed
//! session got no reply: then it measured nothing.

use std::time::{Duration, Instant};

use mailflow::scenario::{self, bundled};
use mailflow::sim;
use mailflow::sim::driven::{self, Order, Stepper};

const TRIES: usize = 7;

fn best(mut f: impl FnMut() -> usize) -> (Duration, usize) {
    let mut out = 0;
    let time = (0..TRIES)
        .map(|_| {
            let t = Instant::now();
            out = f();
            t.elapsed()
        })
        .min()
        .unwrap_or_default();
    (time, out)
}

fn main() {
    println!(
        "{:<18} {:>10} {:>10} {:>10} {:>7}",
        "scenario", "plain run", "per line", "wait", "ratio"
    );
    let mut failed = false;
    for name in bundled::names() {
        let plan = scenario::load(name).expect("bundled").plan;
        let Some(client) = plan.clients.first() else {
            continue;
        };
        let me = plan.host(client.host).name.clone();
        let account = client.account.to_string();
        let rcpt = plan
            .mtas
            .iter()
            .flat_map(|m| m.mailboxes.keys())
            .next()
            .cloned();
        let Some(rcpt) = rcpt else { continue };
        let (plain, _) = best(|| sim::run(&plan).trace.len());
        let host = driven::hand(&plan, &me).expect("a client");
        let lines: Vec<String> = vec![
            format!("EHLO {me}"),
            format!("MAIL FROM:<{account}>"),
            format!("RCPT TO:<{rcpt}>"),
            "DATA".into(),
            "Subject: bench".into(),
            String::new(),
            "typed".into(),
            ".".into(),
            "QUIT".into(),
        ];
        let typed = lines.len();
        let (session, events) = best(|| {
            let mut out = Vec::new();
            let (mut stepper, _) = Stepper::new(&plan, host, &mut out);
            let to = driven::default_target(&plan, host).expect("a server");
            stepper.order(
                Order::Connect {
                    to: to.0,
                    port: to.1,
                },
                &mut out,
            );
            for line in &lines {
                stepper.order(Order::Send(format!("{line}\r\n").into_bytes()), &mut out);
            }
            out.len()
        });
        let (with_wait, _) = best(|| {
            let mut out = Vec::new();
            let (mut stepper, _) = Stepper::new(&plan, host, &mut out);
            stepper.order(Order::Wait(None), &mut out);
            out.len()
        });
        if events == 0 {
            failed = true;
        }
        let per_line = session / (typed as u32 + 1);
        println!(
            "{name:<18} {:>10.2?} {:>10.2?} {:>10.2?} {:>6.2}x",
            plain,
            per_line,
            with_wait,
            per_line.as_secs_f64() / plain.as_secs_f64().max(1e-9)
        );
    }
    if failed {
        eprintln!("a typed session recorded nothing: the bench measured nothing");
        std::process::exit(1);
    }
}
