//! The handout as one self-contained HTML page: nothing is fetched (no
//! scripts, styles, fonts or images from anywhere), so it opens from a
//! USB stick and prints as it shows.
//!
//! ```text
//! ┌ title, about, seed ───────────────────────────────┐
//! │ The trip      ladder.rs   inline SVG, in blocks    │
//! │ Hosts         a table                              │
//! │ Sessions      sessions.rs C:/S: lines, each opens  │
//! │ Letters       letters.rs  Received tied to hops    │
//! │ Queues, DNS   facts.rs                             │
//! │ Expectations                                       │
//! │ What the lines mean   glossary.rs, once per entry  │
//! └────────────────────────────────────────────────────┘
//! ```
//!
//! Every text from the run goes through `escape`: a message body may
//! hold `<script>`, and it is shown, never run. The page's one script
//! opens every explanation before printing; without it the page works
//! the same and print CSS shows them too.

mod escape;
mod facts;
mod glossary;
pub mod ladder;
mod letters;
mod sessions;

use std::fmt::Write;

pub use escape::escape;
use escape::push;
use glossary::Glossary;

use crate::explain::Catalog;
use crate::export::trip::{Tone, trip};
use crate::scenario::expect::Verdict;
use crate::trace::Trace;
use crate::trace::state::State;

/// The page's style sheet, inline.
const STYLE: &str = include_str!("page.css");

/// Opens every line's explanation before printing, so paper has them all
/// even where `::details-content` is not understood.
const SCRIPT: &str = "addEventListener('beforeprint',function(){\
document.querySelectorAll('details').forEach(function(d){d.open=true})})";

/// What the page is about.
pub struct Handout<'a> {
    pub title: &'a str,
    pub about: &'a str,
    pub seed: u64,
    pub trace: &'a Trace,
    pub verdicts: &'a [Verdict],
}

/// The CSS class of a tone, shared by the ladder and the transcripts.
fn tone_class(tone: Tone) -> &'static str {
    match tone {
        Tone::Command => "cmd",
        Tone::Ok => "ok",
        Tone::Info => "info",
        Tone::Warn => "warn",
        Tone::Err => "err",
        Tone::Plain => "plain",
        Tone::Data => "data",
        Tone::Dns => "dns",
    }
}

/// The whole page.
pub fn render(h: &Handout) -> String {
    let trace = h.trace;
    let catalog = Catalog::builtin();
    let state = State::build(trace);
    let mut glossary = Glossary::default();
    let mut out = String::with_capacity(64 * 1024 + trace.len() * 160);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
    let _ = write!(out, "<title>{} — mailflow</title>", escape(h.title));
    let _ = write!(out, "<style>\n{STYLE}</style></head>\n<body>\n");
    let _ = write!(out, "<header><h1>{}</h1>", escape(h.title));
    if !h.about.trim().is_empty() {
        out.push_str("<p class=\"about\">");
        push(&mut out, h.about.trim());
        out.push_str("</p>");
    }
    let _ = write!(
        out,
        "<p class=\"dim\">A mailflow run, seed {}: every line below crossed the simulated wire.</p>",
        h.seed
    );
    out.push_str(
        "<nav><a href=\"#trip\">The trip</a><a href=\"#hosts\">Hosts</a>\
         <a href=\"#sessions\">Sessions</a><a href=\"#letters\">Letters</a>\
         <a href=\"#queues\">Queues</a><a href=\"#dns\">DNS</a>\
         <a href=\"#glossary\">What the lines mean</a></nav></header>\n",
    );
    let trip = trip(trace);
    out.push_str("<section id=\"trip\"><h2>The trip</h2>");
    let ladder = ladder::render(trace, &trip);
    if ladder.is_empty() {
        out.push_str("<p class=\"dim\">Nothing crossed the network in this run.</p>");
    } else {
        out.push_str(
            "<p class=\"dim\">Commands are solid arrows, replies dashed; \
             a session's arrow leads to its transcript.</p>\n",
        );
        out.push_str(&ladder);
    }
    out.push_str("</section>\n");
    hosts(&mut out, trace);
    sessions::render(&mut out, trace, catalog, &mut glossary);
    letters::render(&mut out, trace, &state);
    facts::queues(&mut out, trace, &state, catalog, &mut glossary);
    facts::dns_facts(&mut out, trace, catalog, &mut glossary);
    verdicts(&mut out, h.verdicts);
    glossary.render(&mut out);
    let _ = write!(out, "<script>{SCRIPT}</script>\n</body></html>\n");
    out
}

fn hosts(out: &mut String, trace: &Trace) {
    out.push_str(
        "<section id=\"hosts\"><h2>Hosts</h2><table>\
         <tr><th>host</th><th>address</th><th>role</th></tr>",
    );
    for host in &trace.hosts {
        let _ = write!(
            out,
            "<tr><td>{} {}</td><td>{}</td><td>{}</td></tr>",
            host.role.symbol(),
            escape(&host.name),
            host.ip,
            host.role.name()
        );
    }
    out.push_str("</table></section>\n");
}

fn verdicts(out: &mut String, verdicts: &[Verdict]) {
    if verdicts.is_empty() {
        return;
    }
    let held = verdicts.iter().filter(|v| v.held).count();
    let _ = write!(
        out,
        "<section id=\"expectations\"><h2>Expectations</h2><p>{held} of {} expectations held.</p><ul>",
        verdicts.len()
    );
    for v in verdicts {
        let _ = write!(
            out,
            "<li class=\"verdict {}\">{} ",
            if v.held { "held" } else { "failed" },
            if v.held { "✓ held:" } else { "✗ FAILED:" }
        );
        push(out, &format!("{}: {}", v.claim, v.evidence));
        out.push_str("</li>");
    }
    out.push_str("</ul></section>\n");
}
