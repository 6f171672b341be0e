//! The bottom lines: play state, speed, simulated time, event n of N, a
//! gap announcement and the session on screen; then the keys that matter
//! now. Both lines are fitted to the width by importance, whole items at a
//! time, so that 80 columns still show "? help" and "q quit". A live world
//! adds a LIVE badge (reverse video, so monochrome shows it too), what
//! listens for real clients, and the events that came while paused.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::text::{fit, host_name};
use crate::scenario::duration::format_duration;
use crate::tui::app::{App, Overlay, SPEEDS, View};
use crate::tui::predict::Phase;

/// Items in the order they are shown, each with its rank (0 first kept):
/// as many as fit, by rank.
fn fit_items(
    items: Vec<(u8, Vec<Span<'static>>)>,
    room: usize,
    sep: &Span<'static>,
) -> Vec<Span<'static>> {
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by_key(|&i| items[i].0);
    let mut keep = vec![false; items.len()];
    let mut used = 0;
    for i in order {
        let w: usize = items[i].1.iter().map(Span::width).sum::<usize>()
            + if used > 0 { sep.width() } else { 0 };
        if used + w <= room {
            used += w;
            keep[i] = true;
        }
    }
    let mut out = Vec::new();
    for (i, (_, spans)) in items.into_iter().enumerate() {
        if keep[i] {
            if !out.is_empty() {
                out.push(sep.clone());
            }
            out.extend(spans);
        }
    }
    out
}

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    let room = area.width.saturating_sub(1) as usize;
    let state = if app.playing {
        "▶ playing"
    } else {
        "⏸ paused"
    };
    let speed = SPEEDS[app.speed];
    let speed = if speed < 1.0 {
        format!("{speed}×")
    } else {
        format!("{speed:.0}×")
    };
    let mut items = live_items(app);
    items.extend(computing_items(app));
    items.extend([
        (
            0,
            vec![Span::styled(format!("{state} {speed}"), theme.accent)],
        ),
        (1, vec![Span::styled(app.now().to_string(), theme.title)]),
        (
            2,
            vec![Span::styled(
                format!("event {}/{}", app.pos, app.len()),
                theme.base,
            )],
        ),
    ]);
    match app.new_events() {
        0 => {}
        n => {
            let s = if n == 1 { "" } else { "s" };
            let text = format!("{n} new event{s}: Space plays");
            items.push((1, vec![Span::styled(text, theme.warn)]));
        }
    }
    if app.catch_up() > 1.0 {
        let behind = app.len() - app.pos;
        let text = format!("catching up: {behind} behind");
        items.push((3, vec![Span::styled(text, theme.warn)]));
    }
    if let Some(gap) = app.gap_before() {
        // A long quiet stretch was skipped: say how long, and what woke
        // the world up. It gets whatever room the rest leaves.
        let why = app
            .current()
            .map(|e| crate::trace::describe::event_text(app.trace(), e))
            .unwrap_or_default();
        // A wake-up's own text starts with the same sign: say it once.
        let why = why.trim_start_matches('⏩').trim_start();
        let text = format!("⏩ {} later: {why}", format_duration(gap));
        let used: usize = items
            .iter()
            .map(|(_, s)| s.iter().map(Span::width).sum::<usize>() + 3)
            .sum();
        let text = fit(&text, room.saturating_sub(used).max(12)).into_owned();
        items.push((3, vec![Span::styled(text, theme.warn)]));
    }
    if let Some(branch) = &app.whatif.branch {
        // ⑂ marks the fork: which run is on screen, and where they part.
        let which = if branch.showing_branch {
            "what-if"
        } else {
            "original"
        };
        let text = format!("⑂ {which}, fork at {} · b", branch.fork + 1);
        items.push((2, vec![Span::styled(text, theme.accent)]));
    }
    if app.predict.on || !app.predict.records.is_empty() {
        // A lesson's questions are the lesson's, not predict mode's.
        let text = if app.predict.records.is_empty() {
            "predict on".to_owned()
        } else if app.lesson.on {
            format!("lesson {}", app.predict.tally())
        } else {
            app.predict.score()
        };
        items.push((1, vec![Span::styled(text, theme.accent)]));
    }
    if let Some(s) = app.session() {
        let c = &s.connection;
        let trace = app.trace();
        let pin = if app.pinned.is_some() {
            " (pinned)"
        } else {
            ""
        };
        let text = format!(
            "[{}] {} → {}{pin}",
            c.conn.0,
            host_name(trace, c.from, 12),
            host_name(trace, c.to, 12)
        );
        items.push((4, vec![Span::styled(text, theme.dim)]));
    }
    let sep = Span::styled(" · ", theme.dim);
    let mut first = vec![Span::raw(" ")];
    first.extend(fit_items(items, room, &sep));
    let second = if app.overlay == Overlay::Search {
        Line::from(vec![
            Span::styled(format!(" /{}▏", app.search), theme.accent),
            Span::styled("  Enter finds · Esc cancels", theme.dim),
        ])
    } else if app.overlay == Overlay::Predict {
        let keys = match &app.predict.phase {
            Some(Phase::Asking(q)) if q.authored.is_some() => {
                " 1-9 answer · Esc skips · > next step · q quit"
            }
            Some(Phase::Asking(_)) => {
                " 1-4 or a-d answer · Esc skips · g stops predicting · q quit"
            }
            _ => " any key continues · q quit",
        };
        Line::styled(fit(keys, room).into_owned(), theme.accent)
    } else if let Some(keys) = crate::tui::console::status_keys(app) {
        Line::styled(fit(keys, room).into_owned(), theme.accent)
    } else if let Some(notice) = &app.notice {
        Line::styled(format!(" {}", fit(notice, room)), theme.accent)
    } else {
        let mut line = vec![Span::raw(" ")];
        line.extend(fit_items(
            keys(app, theme.accent, theme.dim),
            room,
            &Span::styled(" · ", theme.dim),
        ));
        Line::from(line)
    };
    let lines = if area.height >= 2 {
        vec![Line::from(first), second]
    } else {
        // One row only: the help key, when it fits, says where the rest is.
        let used: usize = first.iter().map(Span::width).sum();
        if used + 10 <= room {
            first.push(Span::styled("  ? help", theme.dim));
        }
        vec![Line::from(first)]
    };
    frame.render_widget(Paragraph::new(lines).style(theme.base), area);
}

/// While the world computes: the simulated time reached, and a bar
/// against the run's limit.
fn computing_items(app: &App) -> Vec<(u8, Vec<Span<'static>>)> {
    let Some(computing) = &app.computing else {
        return Vec::new();
    };
    const WIDTH: usize = 10;
    let fraction = computing.fraction();
    let filled = ((fraction * WIDTH as f64).round() as usize).min(WIDTH);
    let bar = format!("{}{}", "█".repeat(filled), "░".repeat(WIDTH - filled));
    let reached = format!(
        "computing {} of {}",
        computing.reached,
        crate::trace::SimTime::from(computing.run_for)
    );
    vec![(
        0,
        vec![
            Span::styled(reached, app.theme.warn),
            Span::styled(format!(" {bar} {:.0}%", fraction * 100.0), app.theme.warn),
        ],
    )]
}

/// The badge, and what listens while the world runs.
fn live_items(app: &App) -> Vec<(u8, Vec<Span<'static>>)> {
    let Some(live) = &app.live else {
        return Vec::new();
    };
    let theme = &app.theme;
    if !live.connected {
        return vec![(0, vec![Span::styled("○ world stopped", theme.warn)])];
    }
    let badge = theme
        .accent
        .add_modifier(Modifier::REVERSED | Modifier::BOLD);
    let mut items = vec![(0, vec![Span::styled(" ● LIVE ", badge)])];
    for (i, what) in live.about.listening.iter().enumerate() {
        // The first listener before the session, which the transcript's
        // title names anyway.
        let rank = 4u8.saturating_add(i as u8);
        items.push((rank, vec![Span::styled(what.clone(), theme.base)]));
    }
    items
}

/// The keys worth showing in the current view, ranked.
fn keys(app: &App, key: Style, what: Style) -> Vec<(u8, Vec<Span<'static>>)> {
    let item = |rank: u8, k: &str, w: &str| {
        (
            rank,
            vec![
                Span::styled(k.to_owned(), key),
                Span::styled(format!(" {w}"), what),
            ],
        )
    };
    let mut items = vec![
        item(0, "Space", if app.playing { "pause" } else { "play" }),
        item(1, "←→", "step"),
    ];
    let view: &[(&str, &str)] = match app.view {
        View::Main => &[("Tab", "focus"), ("↑↓", "scroll")],
        View::Ladder | View::Queues | View::Dns => &[("↑↓", "scroll")],
        View::Letter => &[("↑↓", "Received line"), ("Enter", "its session")],
        View::Events => &[
            ("↑↓", "select"),
            ("Enter", "jump"),
            ("d", "DNS"),
            ("x", "failures"),
            ("o", "host"),
        ],
    };
    for (i, (k, w)) in view.iter().enumerate() {
        items.push(item(4 + i as u8, k, w));
    }
    items.extend([
        item(9, "[ ]", "session"),
        item(8, "{ }", "hop"),
        item(7, "f", "follow"),
        item(5, "1-6", "views"),
        if app.search.is_empty() {
            item(10, "/", "search")
        } else {
            item(6, "n", "next match")
        },
        item(2, "?", "help"),
        item(3, "q", "quit"),
    ]);
    if app.lesson.on {
        items.push(item(1, "< >", "lesson step"));
    }
    items
}
