//! The dashboard over a world that is still running, without a terminal:
//! a bundled scenario's events are fed to an app that starts with the
//! trace's header only, as `mailflow serve` feeds them, and the animation
//! is driven by hand with `advance`, so every test is deterministic.
//!
//! What is checked: the index grown event by event equals the index built
//! at once; the playhead, pin, selection and scrolls keep their meaning as
//! the trace grows; the first message is followed; playing waits at the
//! live edge (and costs no redraw there) instead of stopping; paused, new
//! events are counted and the playhead stays; a long backlog is caught up
//! faster; a disconnected feed ends live mode; the LIVE badge shows in
//! every theme; every view draws an empty live world at every size.

#[path = "support/tui.rs"]
mod support;

use std::sync::mpsc;
use std::time::Duration;

use crossterm::event::KeyCode;
use mailflow::scenario::bundled;
use mailflow::trace::{ConnId, Dir, Event, EventKind, Protocol};
use mailflow::tui::app::{Overlay, View};
use mailflow::tui::live::{self, BACKLOG};
use mailflow::tui::{App, Theme, advance};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Modifier;
use support::*;

/// A live dashboard (dark theme) and the events still to come.
fn dark_live(name: &str) -> (App, Vec<Event>) {
    live_app(name, Theme::dark())
}

/// Feeds the next `n` events of `rest` to the app.
fn feed(app: &mut App, rest: &mut Vec<Event>, n: usize) -> usize {
    let n = n.min(rest.len());
    app.extend(rest.drain(..n))
}

/// Plays frames of 40 ms until the playhead reaches the live edge.
fn play_to_the_edge(app: &mut App) {
    let mut frames = 0;
    while !app.waiting_at_live_edge() {
        advance(app, Duration::from_millis(40));
        frames += 1;
        assert!(frames < 100_000, "playing reaches the live edge");
    }
}

fn status_bar(app: &App) -> String {
    let text = screen(app, 120, 40);
    let rows: Vec<&str> = text.lines().collect();
    rows[rows.len() - 2..].join("\n")
}

// ---- the index grows as a build would make it ----------------------------

#[test]
fn the_index_grown_event_by_event_equals_the_index_built_at_once() {
    for name in bundled::names() {
        let (mut app, mut rest) = dark_live(name);
        let whole = world(name);
        // Batches of every size from 1 up, so partial lines, sessions and
        // queue entries are cut at every kind of place.
        let mut batch = 1;
        while !rest.is_empty() {
            feed(&mut app, &mut rest, batch);
            batch = batch % 7 + 1;
        }
        assert_eq!(app.len(), whole.trace.len(), "{name}");
        assert_eq!(app.trace().events(), whole.trace.events(), "{name}");
        assert_eq!(app.world.index.indexed(), app.len(), "{name}");
        assert_eq!(
            format!("{:?}", app.world.index),
            format!("{:?}", whole.index),
            "{name}: the grown index differs from the built one"
        );
    }
}

#[test]
fn every_event_naming_a_connection_comes_after_its_connect() {
    // What lets the index open a session at its Connect instead of
    // collecting every connection first.
    for name in bundled::names() {
        let w = world(name);
        let mut opened = std::collections::BTreeSet::new();
        for e in w.trace.events() {
            let conn = match &e.kind {
                EventKind::Connect { conn, .. } => {
                    opened.insert(*conn);
                    continue;
                }
                EventKind::Accept { conn }
                | EventKind::Refused { conn }
                | EventKind::Unreachable { conn }
                | EventKind::Bytes { conn, .. }
                | EventKind::Close { conn, .. }
                | EventKind::Attempting { conn, .. } => *conn,
                EventKind::Queued { rest, .. } if rest.conn.is_some() => rest.conn.unwrap(),
                _ => continue,
            };
            assert!(
                opened.contains(&conn),
                "{name}: event {} names [{}] before its Connect",
                e.seq,
                conn.0
            );
        }
    }
}

// ---- what the user looks at stays put ------------------------------------

#[test]
fn extend_keeps_the_playhead_pin_selection_and_scrolls() {
    let (mut app, mut rest) = dark_live("hello");
    press(&mut app, KeyCode::Char(' '));
    assert!(!app.playing);
    let half = rest.len() / 2;
    feed(&mut app, &mut rest, half);
    // Somewhere in the relay, pinned, a line scrolled back, an event picked.
    let pos = pos_of_line(&app, Protocol::Smtp, Dir::Up, "RCPT TO");
    app.seek(pos);
    press(&mut app, KeyCode::Char('p'));
    let pinned = app.pinned.expect("p pins the session on screen");
    press(&mut app, KeyCode::Up);
    let back = app.views.transcript_back;
    assert!(back > 0);
    app.views.events_selected = 5;
    let lines_before = mailflow::tui::view::transcript::visible(&app, 20);
    let panes_before = transcript_and_explanation(&app);
    let follow = app.follow.clone();

    let added = feed(&mut app, &mut rest, usize::MAX);
    assert!(added > 0);
    assert_eq!(app.pos, pos, "the paused playhead is not yanked");
    assert_eq!(app.pinned, Some(pinned));
    assert_eq!(app.views.transcript_back, back);
    assert_eq!(app.views.events_selected, 5);
    assert_eq!(app.follow, follow);
    assert_eq!(
        mailflow::tui::view::transcript::visible(&app, 20),
        lines_before,
        "the transcript shows the same lines"
    );
    // The map may settle as new sessions show who talks to whom; what
    // the playhead shows does not change.
    assert_eq!(transcript_and_explanation(&app), panes_before);
}

/// The transcript and explanation panes of a 120×40 main view, as text.
fn transcript_and_explanation(app: &App) -> Vec<String> {
    let buffer = draw(app, 120, 40);
    let panes = main_panes(120, 40);
    let mut rows = region_rows(&buffer, panes.transcript);
    rows.extend(region_rows(
        &buffer,
        panes.explain.expect("room to explain"),
    ));
    rows
}

#[test]
fn the_first_message_to_appear_is_followed() {
    // three-domains writes one message and bounces part of it: two ids.
    let (mut app, mut rest) = dark_live("three-domains");
    let messages = world("three-domains").index.messages;
    assert!(messages.len() >= 2, "{messages:?}");
    assert_eq!(app.follow, None, "an empty world has nothing to follow");
    while app.follow.is_none() {
        assert!(!rest.is_empty(), "a message appears");
        feed(&mut app, &mut rest, 1);
    }
    assert_eq!(app.follow.as_ref(), Some(&messages[0]));
    assert_eq!(
        app.world.index.messages.len(),
        1,
        "followed when it appeared"
    );
    feed(&mut app, &mut rest, usize::MAX);
    assert_eq!(app.world.index.messages, messages);
    assert_eq!(
        app.follow.as_ref(),
        Some(&messages[0]),
        "later messages do not take the follow away"
    );
}

// ---- playing follows the live edge ----------------------------------------

#[test]
fn playing_waits_at_the_live_edge_instead_of_stopping() {
    let (mut app, mut rest) = dark_live("hello");
    assert!(app.playing, "a live dashboard starts following the edge");
    assert!(app.waiting_at_live_edge(), "with nothing to show, it waits");
    assert!(
        !advance(&mut app, Duration::from_secs(10)),
        "waiting changes nothing on screen: no redraw"
    );
    feed(&mut app, &mut rest, 10);
    assert!(!app.waiting_at_live_edge());
    play_to_the_edge(&mut app);
    assert_eq!(app.pos, 10);
    for _ in 0..50 {
        assert!(!advance(&mut app, Duration::from_secs(1)));
    }
    assert!(app.playing, "still playing at the live edge");
    assert_eq!(app.notice, None, "no 'end of the run' while the world runs");
    assert_eq!(app.progress, 1.0);

    // The next event is animated as soon as it comes, at the chosen pace.
    feed(&mut app, &mut rest, 1);
    assert!(advance(&mut app, Duration::from_millis(1)));
    assert_eq!(app.pos, 11, "the new event happens on the next frame");
    assert_eq!(app.progress, 0.0, "and its animation starts");
    assert!(advance(&mut app, Duration::from_millis(100)));
    assert!(app.progress > 0.0 && app.progress < 1.0, "{}", app.progress);
}

#[test]
fn a_long_backlog_is_caught_up_faster_and_a_short_one_at_the_chosen_speed() {
    let (mut app, mut rest) = dark_live("three-domains");
    let short = BACKLOG / 2;
    feed(&mut app, &mut rest, short);
    assert_eq!(
        app.catch_up(),
        1.0,
        "{short} events behind: the chosen speed"
    );

    // The run's events over and over (renumbered): a long backlog.
    let (mut app, rest) = dark_live("three-domains");
    let events: Vec<Event> = rest
        .iter()
        .cycle()
        .take(BACKLOG * 20)
        .enumerate()
        .map(|(seq, e)| Event {
            seq: seq as u64,
            ..e.clone()
        })
        .collect();
    let len = events.len();
    app.extend(events);
    assert_eq!(
        app.catch_up(),
        400.0,
        "20 backlogs behind: 20² times faster"
    );
    // Two seconds of frames: at the chosen speed (≥ 0.5 s a step) that is
    // at most 4 steps; catching up takes far more.
    for _ in 0..50 {
        advance(&mut app, Duration::from_millis(40));
    }
    assert!(app.pos > 200, "caught up to {} of {len}", app.pos);
    assert!(
        status_bar(&app).contains("catching up"),
        "{}",
        status_bar(&app)
    );
    play_to_the_edge(&mut app);
    assert_eq!(app.pos, len);
    assert_eq!(app.catch_up(), 1.0);
}

// ---- paused, new events are counted -----------------------------------------

#[test]
fn paused_new_events_are_counted_and_the_playhead_stays() {
    let (mut app, mut rest) = dark_live("hello");
    feed(&mut app, &mut rest, 20);
    play_to_the_edge(&mut app);
    press(&mut app, KeyCode::Char(' '));
    assert!(!app.playing);
    assert_eq!(app.new_events(), 0);
    feed(&mut app, &mut rest, 12);
    assert_eq!(app.pos, 20, "paused: not yanked");
    assert_eq!(app.new_events(), 12);
    let bar = status_bar(&app);
    assert!(bar.contains("12 new events: Space plays"), "{bar}");
    assert!(bar.contains("event 20/32"), "{bar}");
    feed(&mut app, &mut rest, 1);
    assert_eq!(app.new_events(), 13);

    // Stepping into them shows them: fewer are new.
    press(&mut app, KeyCode::Right);
    assert!(app.new_events() < 13 && app.new_events() == app.len() - app.pos);
    // Stepping back far does not make old events new.
    press(&mut app, KeyCode::Home);
    assert!(app.new_events() <= 13);

    // Space plays from where the user is: nothing is new any more, and the
    // playhead animates toward the edge.
    press(&mut app, KeyCode::Char(' '));
    assert!(app.playing);
    assert_eq!(app.pos, 0, "Space at a live run never rewinds");
    advance(&mut app, Duration::from_millis(40));
    assert_eq!(app.new_events(), 0);
    press(&mut app, KeyCode::Char(' '));
    assert_eq!(app.new_events(), 0, "pausing again counts afresh");
    assert!(!status_bar(&app).contains("new event"));
}

#[test]
fn space_at_the_live_edge_waits_and_end_rejoins_the_edge() {
    let (mut app, mut rest) = dark_live("hello");
    feed(&mut app, &mut rest, 15);
    play_to_the_edge(&mut app);
    press(&mut app, KeyCode::Char(' '));
    press(&mut app, KeyCode::Char(' '));
    assert!(app.playing);
    assert_eq!(app.pos, 15, "Space at the edge plays on from there");

    press(&mut app, KeyCode::Home);
    assert!(!app.playing && app.pos == 0);
    feed(&mut app, &mut rest, 5);
    press(&mut app, KeyCode::End);
    assert_eq!(app.pos, 20);
    assert!(app.playing, "End goes to the live edge and follows it");
    play_to_the_edge(&mut app);
    feed(&mut app, &mut rest, 3);
    play_to_the_edge(&mut app);
    assert_eq!(app.pos, 23);
}

// ---- the world stops ----------------------------------------------------------

/// Under `mailflow serve` the world stops on Ctrl-C or SIGTERM sent from
/// outside: the dashboard ends with it, so the process exits.
#[test]
fn a_world_stopped_from_outside_ends_a_serve_dashboard() {
    let (mut app, _) = dark_live("hello");
    if let Some(live) = &mut app.live {
        live.about.quit_when_stopped = true;
    }
    let (tx, rx) = mpsc::channel::<Event>();
    assert!(!live::drain(&mut app, &rx));
    assert!(!app.quit);
    drop(tx);
    assert!(live::drain(&mut app, &rx));
    assert!(app.quit);
}

#[test]
fn a_disconnected_feed_ends_live_mode_and_the_run_plays_as_finished() {
    let (mut app, events) = dark_live("hello");
    let (tx, rx) = mpsc::channel();
    assert!(!live::drain(&mut app, &rx), "nothing came: nothing changed");
    let total = events.len();
    for e in events {
        tx.send(e).expect("the dashboard listens");
    }
    assert!(live::drain(&mut app, &rx));
    assert_eq!(app.len(), total);
    assert!(app.is_live());
    drop(tx);
    assert!(live::drain(&mut app, &rx), "the stop is news");
    assert!(!app.is_live());
    assert!(!app.live.as_ref().is_some_and(|l| l.connected));
    assert!(!live::drain(&mut app, &rx), "and only once");
    let bar = status_bar(&app);
    assert!(
        bar.contains("○ world stopped") && !bar.contains("LIVE"),
        "{bar}"
    );

    // Playing now ends, as over a finished run.
    let mut frames = 0;
    while app.playing {
        advance(&mut app, Duration::from_secs(10));
        frames += 1;
        assert!(frames < 10 * total, "playing must end");
    }
    assert_eq!(app.pos, total);
    assert!(
        app.notice
            .as_deref()
            .is_some_and(|n| n.contains("end of the run")),
        "{:?}",
        app.notice
    );
    // And Space starts over, as over a finished run.
    press(&mut app, KeyCode::Char(' '));
    assert_eq!(app.pos, 0);
}

// ---- what the screen says ------------------------------------------------------

#[test]
fn the_status_bar_says_live_and_what_listens() {
    let (mut app, mut rest) = dark_live("hello");
    feed(&mut app, &mut rest, 10);
    let bar = status_bar(&app);
    assert!(
        bar.contains("● LIVE  · smtp 127.0.0.1:2525 → mx.example.net:25"),
        "{bar}"
    );
    let top = screen(&app, 120, 40);
    assert!(
        top.lines()
            .next()
            .is_some_and(|l| l.contains("try: swaks --server 127.0.0.1:2525")),
        "{top}"
    );
    // At 80 columns the badge and the play state stay.
    let narrow = screen(&app, 80, 24);
    let rows: Vec<&str> = narrow.lines().collect();
    let bar = rows[rows.len() - 2];
    assert!(
        bar.contains("● LIVE") && bar.contains("playing"),
        "{narrow}"
    );
}

#[test]
fn the_live_badge_is_reversed_in_every_theme_monochrome_included() {
    for name in Theme::NAMES {
        let (mut app, _) = dark_live("hello");
        app.theme = Theme::by_name(name).expect("a theme");
        let buffer = draw(&app, 120, 40);
        let row = 38;
        let x = (0..120)
            .find(|&x| buffer[(x, row)].symbol() == "●")
            .unwrap_or_else(|| panic!("{name}: the badge is on the status bar"));
        for dx in 0..6 {
            assert!(
                buffer[(x + dx, row)].modifier.contains(Modifier::REVERSED),
                "{name}: the badge is in reverse video"
            );
        }
    }
}

#[test]
fn the_empty_transcript_invites_a_client_and_help_explains_live() {
    let (mut app, _) = dark_live("hello");
    let text = screen(&app, 120, 40);
    assert!(text.contains("waiting for a real client"), "{text}");
    assert!(
        text.contains("Try: swaks --server 127.0.0.1:2525 --to bob@example.net"),
        "{text}"
    );
    press(&mut app, KeyCode::Char('?'));
    let help = screen(&app, 120, 40);
    assert!(help.contains("follow the live edge"), "{help}");
    assert!(help.contains("real clients reach this world"), "{help}");
    let small = screen(&app, 80, 24);
    assert!(small.contains("follow the live edge"), "{small}");
    assert!(
        small.contains("more lines"),
        "80x24 says more lies below:\n{small}"
    );
    // A page down shows the rest, what live means last.
    let page_down = crossterm::event::KeyEvent::from(KeyCode::PageDown);
    mailflow::tui::keys::handle_key(&mut app, page_down, rect(80, 24));
    let rest = screen(&app, 80, 24);
    assert!(rest.contains("Ctrl-C"), "{rest}");
    assert!(rest.contains("real clients reach this world"), "{rest}");
}

#[test]
fn every_view_draws_an_empty_and_a_growing_live_world_at_every_size() {
    let (mut app, mut rest) = dark_live("hello");
    let sizes = [(1, 1), (20, 5), (30, 8), (80, 24), (120, 40), (200, 60)];
    for step in [0, 1, 7, 30] {
        feed(&mut app, &mut rest, step);
        play_to_the_edge(&mut app);
        for view in View::ALL {
            app.view = view;
            for help in [false, true] {
                app.overlay = if help { Overlay::Help } else { Overlay::None };
                for (w, h) in sizes {
                    let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("terminal");
                    terminal
                        .draw(|f| mailflow::tui::ui::draw(f, &app))
                        .expect("drawing on a test backend");
                }
            }
        }
    }
    app.overlay = Overlay::None;
    // A pin on a session that exists, then more of the world: still fine.
    app.pinned = Some(ConnId(0));
    feed(&mut app, &mut rest, usize::MAX);
    let _ = screen(&app, 120, 40);
}

#[test]
fn live_tabs_keep_their_names_beside_the_hint_or_drop_the_hint() {
    let (app, _) = dark_live("hello");
    for (w, h) in [(80, 24), (120, 40), (200, 60)] {
        let text = screen(&app, w, h);
        let tabs = text.lines().next().unwrap_or_default();
        assert!(
            tabs.contains("1 Flow") && tabs.contains("2 Ladder") || !tabs.contains(" 2 "),
            "{w}x{h}: the tabs have names or only the current one shows:\n{tabs}"
        );
        assert!(!tabs.contains(" 2  3 "), "{w}x{h}: nameless tabs:\n{tabs}");
    }
}

/// `serve --record` on an earlier sitting's file: the dashboard opens at
/// the live edge, the history behind the playhead, and new events follow.
#[test]
fn a_live_world_continued_from_its_recording_opens_at_the_live_edge() {
    let (mut world, events) = header_and_events("hello");
    let half = events.len() / 2;
    for e in &events[..half] {
        world.trace.push(e.at, e.kind.clone());
    }
    world.index = mailflow::trace::index::Index::build(&world.trace);
    let mut app = App::new_live(world, Theme::dark(), listening());
    assert_eq!(app.pos, half, "the playhead starts where the world is now");
    assert!(app.waiting_at_live_edge(), "nothing to catch up");
    app.extend(events[half..].iter().cloned());
    assert_eq!(app.len(), events.len());
    assert!(app.catch_up() >= 1.0);
    app.seek(0);
    assert_eq!(app.pos, 0, "the earlier sittings replay");
}
