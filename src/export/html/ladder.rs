//! The trip as an inline SVG ladder: each host a lifeline under its
//! symbol, name and role, the steps of `export::trip` down the page in
//! time order (commands as solid arrows, replies dashed, DNS in its own
//! colour, queue facts as notes over their host, long quiet stretches as
//! `⏩ … later` bands), coloured as the dashboard colours them.
//!
//! The ladder is cut into blocks of [`ROWS`] rows, each its own `<svg>`
//! with the hosts named again on top, so a printed page never cuts a
//! drawing in two and a reader far down still knows which line is whose.
//! An arrow or note of a session links to that session's transcript.

use std::fmt::Write;

use super::escape::escape;
use super::tone_class;
use crate::export::trip::{Step, Trip};
use crate::trace::{ConnId, HostId, Trace};

/// The lifelines' colour, `#rrggbb`: drawn nowhere else, so a picture
/// of the page shows where the diagram is.
pub const LIFELINE: &str = "#7b8aa8";

/// Rows per drawing: one printed page's worth.
pub const ROWS: usize = 36;

/// Height of a row and of the heading with the hosts' names and roles.
const ROW: usize = 22;
const HEAD: usize = 44;
/// Width of one character of the 12 px monospace font, a little generous.
const CHAR: f64 = 7.4;
/// Labels longer than this are cut (the whole text is the tooltip).
const LABEL: usize = 40;
/// Notes longer than this are cut the same way.
const NOTE: usize = 64;
/// The narrowest distance between two lifelines.
const MIN_GAP: usize = 120;

fn px(chars: usize) -> usize {
    (chars as f64 * CHAR).ceil() as usize
}

/// Where everything stands across the page.
struct Layout {
    time_w: usize,
    /// x of each lifeline, in `cast` order.
    xs: Vec<usize>,
    width: usize,
}

/// The ladder as `<svg>` blocks; empty when the run made no trip.
pub fn render(trace: &Trace, trip: &Trip) -> String {
    if trip.cast.is_empty() || trip.steps.is_empty() {
        return String::new();
    }
    let layout = layout(trace, trip);
    let mut out = String::new();
    for (n, rows) in trip.steps.chunks(ROWS).enumerate() {
        block(&mut out, trace, trip, &layout, rows, n);
    }
    out
}

/// The characters a text takes, as the monospace font draws it.
fn chars(text: &str) -> usize {
    text.chars().count()
}

/// `text` cut to `max` characters with `…` when it was longer.
fn cut(text: &str, max: usize) -> (String, bool) {
    if chars(text) <= max {
        (text.to_owned(), false)
    } else {
        let kept: String = text.chars().take(max - 1).collect();
        (format!("{kept}…"), true)
    }
}

fn head_text(trace: &Trace, h: HostId) -> String {
    let host = trace.host(h);
    format!("{} {}", host.role.symbol(), host.name)
}

/// Lifelines spaced by the labels that travel between them, as the
/// dashboard's ladder spaces its lanes: each gap as wide as the longest
/// label across it asks, shared among the gaps it spans.
fn layout(trace: &Trace, trip: &Trip) -> Layout {
    let lane = |h: HostId| trip.cast.iter().position(|&x| x == h).unwrap_or(0);
    let n = trip.cast.len();
    let time_w = trip
        .steps
        .iter()
        .map(|s| px(chars(&at(s).to_string())))
        .max()
        .unwrap_or(0)
        + 14;
    let name_w = |h: HostId| {
        let host = trace.host(h);
        px(chars(&head_text(trace, h)).max(chars(host.role.name())))
    };
    let mut gaps: Vec<usize> = (1..n)
        .map(|i| MIN_GAP.max((name_w(trip.cast[i - 1]) + name_w(trip.cast[i])) / 2 + 16))
        .collect();
    let spans: Vec<(usize, usize, usize)> = trip
        .steps
        .iter()
        .filter_map(|s| match s {
            Step::Arrow { from, to, text, .. } if from != to => {
                let (a, b) = (lane(*from).min(lane(*to)), lane(*from).max(lane(*to)));
                Some((a, b, px(chars(text).min(LABEL)) + 24))
            }
            _ => None,
        })
        .collect();
    crate::lanes::widen(&mut gaps, spans);
    let first = trip.cast.first().map_or(0, |&h| name_w(h) / 2);
    let mut xs = vec![time_w + first.max(40) + 8];
    for g in gaps {
        xs.push(xs[xs.len() - 1] + g);
    }
    // Right of the last lifeline stands its name; a note that would run
    // past it is drawn ending at its lifeline instead (see `note_x`).
    let last = xs[xs.len() - 1];
    let right = trip.cast.last().map_or(0, |&h| name_w(h) / 2 + 8).max(60);
    Layout {
        time_w,
        width: last + right,
        xs,
    }
}

fn at(step: &Step) -> crate::trace::SimTime {
    match step {
        Step::Arrow { at, .. } | Step::Note { at, .. } | Step::Gap { at, .. } => *at,
    }
}

/// One drawing: the hosts' heading, the lifelines, then `rows`.
fn block(out: &mut String, trace: &Trace, trip: &Trip, l: &Layout, rows: &[Step], n: usize) {
    let height = HEAD + rows.len() * ROW + 6;
    let width = l.width;
    let _ = write!(
        out,
        "<svg class=\"ladder\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" \
         role=\"img\" aria-label=\"Ladder diagram, part {}\">",
        n + 1
    );
    for (i, &h) in trip.cast.iter().enumerate() {
        let x = l.xs[i];
        let _ = write!(
            out,
            "<line x1=\"{x}.5\" y1=\"{}\" x2=\"{x}.5\" y2=\"{height}\" stroke=\"{LIFELINE}\" stroke-width=\"2\"/>\
             <text class=\"h\" x=\"{x}\" y=\"16\">{}</text><text class=\"role\" x=\"{x}\" y=\"32\">{}</text>",
            HEAD - 6,
            escape(&head_text(trace, h)),
            escape(trace.host(h).role.name()),
        );
    }
    let lane = |h: HostId| l.xs[trip.cast.iter().position(|&x| x == h).unwrap_or(0)];
    for (r, step) in rows.iter().enumerate() {
        let y = HEAD + r * ROW;
        let _ = write!(
            out,
            "<text class=\"t\" x=\"4\" y=\"{}\">{}</text>",
            y + 15,
            at(step)
        );
        match step {
            Step::Arrow {
                from,
                to,
                reply,
                conn,
                tone,
                text,
                ..
            } => {
                let (x1, x2) = (lane(*from), lane(*to));
                link_open(out, *conn);
                // `r` dashes a reply; `self` writes beside a loop.
                let _ = write!(
                    out,
                    "<g class=\"a {}{}{}\">",
                    tone_class(*tone),
                    if *reply { " r" } else { "" },
                    if x1 == x2 { " self" } else { "" }
                );
                let (label, was_cut) = cut(text, LABEL);
                if x1 == x2 {
                    let _ = write!(
                        out,
                        "<text x=\"{}\" y=\"{}\">↺ {}</text>",
                        x1 + 8,
                        y + 15,
                        escape(&label)
                    );
                } else {
                    let line_y = y + 17;
                    // The head stops at the lifeline, pointing at it.
                    let sign: i64 = if x2 > x1 { 1 } else { -1 };
                    let _ = write!(
                        out,
                        "<line x1=\"{x1}\" y1=\"{line_y}.5\" x2=\"{}\" y2=\"{line_y}.5\"/>\
                         <path d=\"M{x2} {line_y}.5l{} -4v8z\"/><text x=\"{}\" y=\"{}\">{}</text>",
                        x2 as i64 - sign * 6,
                        -sign * 8,
                        (x1 + x2) / 2,
                        y + 12,
                        escape(&label)
                    );
                }
                if was_cut {
                    let _ = write!(out, "<title>{}</title>", escape(text));
                }
                out.push_str("</g>");
                link_close(out, *conn);
            }
            Step::Note {
                over,
                to,
                conn,
                tone,
                text,
                ..
            } => {
                let (note, was_cut) = cut(&format!("● {text}"), NOTE);
                let w = px(chars(&note));
                let x = note_x(l, lane(*over).min(to.map_or(usize::MAX, lane)), w);
                link_open(out, *conn);
                let _ = write!(
                    out,
                    "<g class=\"n {}\"><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"3\"/>\
                     <text x=\"{x}\" y=\"{}\">{}</text>",
                    tone_class(*tone),
                    x - 4,
                    y + 3,
                    w + 8,
                    ROW - 5,
                    y + 15,
                    escape(&note)
                );
                if was_cut {
                    let _ = write!(out, "<title>{}</title>", escape(text));
                }
                out.push_str("</g>");
                link_close(out, *conn);
            }
            Step::Gap { text, .. } => {
                let _ = write!(
                    out,
                    "<g class=\"g\"><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>\
                     <text x=\"{}\" y=\"{}\">{}</text></g>",
                    l.time_w,
                    y + 3,
                    width - l.time_w - 4,
                    ROW - 5,
                    (l.time_w + width) / 2,
                    y + 15,
                    escape(text)
                );
            }
        }
    }
    out.push_str("</svg>\n");
}

/// Where a note `w` wide over the lifeline at `lane` starts: right of
/// it, or, where that would run off the drawing, ending at it (as the
/// dashboard's ladder does near its right edge), or at the left edge.
fn note_x(l: &Layout, lane: usize, w: usize) -> usize {
    if lane + 10 + w + 4 <= l.width {
        lane + 10
    } else {
        lane.saturating_sub(10 + w).max(l.time_w + 4)
    }
}

/// A step of a session links to its transcript.
fn link_open(out: &mut String, conn: Option<ConnId>) {
    if let Some(conn) = conn {
        let _ = write!(out, "<a href=\"#s-{}\">", conn.0);
    }
}

fn link_close(out: &mut String, conn: Option<ConnId>) {
    if conn.is_some() {
        out.push_str("</a>");
    }
}
