//! Every control of the dashboard, driven through `keys::handle_key` and
//! `keys::handle_mouse` as the terminal loop drives them, and every view
//! drawn at every size from 1×1 to 220×70 without a panic. The screen is a
//! function of the trace and the playhead, so stepping back shows exactly
//! what stepping forward showed.

#[path = "support/tui.rs"]
mod support;

use std::time::Duration;

use crossterm::event::{KeyCode, KeyModifiers, MouseEventKind};
use mailflow::trace::{Dir, EventKind, Protocol};
use mailflow::tui::app::{Focus, Overlay, SPEEDS, View};
use mailflow::tui::{App, Theme};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use support::*;

fn end(app: &mut App) {
    press(app, KeyCode::End);
}

/// The places a person stops at when stepping: (position, line of the
/// event) for every event, and within an event with several lines (a
/// pipelined group, a multi-line reply) each of them; 0 and the end.
fn stops(app: &App) -> Vec<(usize, usize)> {
    let index = &app.world.index;
    let mut out = vec![(0, 0)];
    for p in 1..=app.len() {
        let lines = index.stops_of(p as u64 - 1).len().max(1);
        out.extend((0..lines).map(|k| (p, k)));
    }
    out
}

fn session_of_screen(app: &App) -> Option<u32> {
    app.session().map(|s| s.connection.conn.0)
}

// ---- play, pause, advance -----------------------------------------------

#[test]
fn space_toggles_play_and_pause() {
    let mut app = app("hello");
    assert!(!app.playing);
    press(&mut app, KeyCode::Char(' '));
    assert!(app.playing);
    press(&mut app, KeyCode::Char(' '));
    assert!(!app.playing);
    assert_eq!(app.pos, 0, "toggling does not move the playhead");
}

#[test]
fn advance_moves_the_playhead_only_after_a_step_has_lasted() {
    let mut app = app("hello");
    press(&mut app, KeyCode::Char(' '));
    // At the start nothing is being animated: the first frame steps.
    mailflow::tui::advance(&mut app, Duration::from_millis(1));
    assert_eq!(app.pos, 1, "the first event happens on the first frame");
    assert_eq!(app.progress, 0.0, "and its animation starts");
    // A step at 1× lasts at least half a second: a millisecond moves nothing.
    mailflow::tui::advance(&mut app, Duration::from_millis(1));
    assert_eq!(app.pos, 1);
    assert!(
        app.progress > 0.0 && app.progress < 1.0,
        "the animation runs: {}",
        app.progress
    );
    mailflow::tui::advance(&mut app, Duration::from_secs(5));
    assert!(
        app.pos > 1,
        "a whole step later the next event has happened"
    );
    let before = app.pos;
    for _ in 0..20 {
        mailflow::tui::advance(&mut app, Duration::from_secs(5));
    }
    assert!(
        app.pos > before + 10,
        "playing keeps stepping: at {}",
        app.pos
    );
    assert!(app.playing);
}

#[test]
fn advance_plays_to_the_end_then_stops_and_says_so() {
    let mut app = app("hello");
    press(&mut app, KeyCode::Char(' '));
    let mut ticks = 0;
    while app.playing {
        mailflow::tui::advance(&mut app, Duration::from_secs(10));
        ticks += 1;
        assert!(ticks < 10 * app.len(), "playing must end");
    }
    assert_eq!(app.pos, app.len());
    assert_eq!(app.progress, 1.0);
    assert!(
        app.notice
            .as_deref()
            .is_some_and(|n| n.contains("end of the run")),
        "{:?}",
        app.notice
    );
}

#[test]
fn playing_stops_at_every_event_and_every_line_of_a_group() {
    let mut app = app("hello");
    press(&mut app, KeyCode::Char(' '));
    let mut visited = vec![(app.pos, app.part)];
    while app.playing {
        mailflow::tui::advance(&mut app, Duration::from_secs(10));
        visited.push((app.pos, app.part));
    }
    visited.dedup();
    assert_eq!(visited, stops(&app), "no event and no line is passed over");
}

#[test]
fn faster_playback_takes_less_wall_time_per_step() {
    let mut app = app("hello");
    press(&mut app, KeyCode::Right);
    let slow = app.step_duration();
    press(&mut app, KeyCode::Char('+'));
    assert!(app.step_duration() < slow);
}

#[test]
fn space_at_the_end_plays_again_from_the_start() {
    let mut app = app("hello");
    end(&mut app);
    press(&mut app, KeyCode::Char(' '));
    assert_eq!(app.pos, 0);
    assert!(app.playing);
}

// ---- stepping -----------------------------------------------------------

#[test]
fn right_and_l_step_forward_one_line_or_event_at_a_time() {
    let mut app = app("hello");
    let stops = stops(&app);
    for (i, key) in [KeyCode::Right, KeyCode::Char('l')]
        .into_iter()
        .cycle()
        .take(stops.len() - 1)
        .enumerate()
    {
        press(&mut app, key);
        assert_eq!((app.pos, app.part), stops[i + 1], "step {} forward", i + 1);
    }
    press(&mut app, KeyCode::Right);
    assert_eq!(app.pos, app.len(), "stepping past the end stays at the end");
}

#[test]
fn left_and_h_step_back_one_line_or_event_at_a_time() {
    let mut app = app("hello");
    let stops = stops(&app);
    end(&mut app);
    for (i, key) in [KeyCode::Left, KeyCode::Char('h')]
        .into_iter()
        .cycle()
        .take(stops.len() - 1)
        .enumerate()
    {
        press(&mut app, key);
        assert_eq!(
            (app.pos, app.part),
            stops[stops.len() - 2 - i],
            "step {} back",
            i + 1
        );
    }
    press(&mut app, KeyCode::Left);
    assert_eq!(app.pos, 0, "stepping before the start stays at the start");
}

#[test]
fn stepping_pauses_playback() {
    let mut app = app("hello");
    press(&mut app, KeyCode::Char(' '));
    press(&mut app, KeyCode::Right);
    assert!(!app.playing);
    press(&mut app, KeyCode::Char(' '));
    press(&mut app, KeyCode::Left);
    assert!(!app.playing);
}

#[test]
fn stepping_back_across_a_session_boundary_shows_the_earlier_session_again() {
    let mut app = app("hello");
    // The relay session [1] starts with its connect; one step back is the
    // DNS answer before it, and the transcript is the submission [0] again.
    let relay_connect = pos_after(&app, "the relay's connect", |e| {
        matches!(
            e.kind,
            EventKind::Connect {
                protocol: Protocol::Smtp,
                ..
            }
        )
    });
    app.seek(relay_connect);
    assert_eq!(session_of_screen(&app), Some(1));
    let title = transcript_title(&app);
    assert!(
        title.starts_with("[1]") && title.contains("smtp") && title.contains("mx"),
        "{title}"
    );
    press(&mut app, KeyCode::Left);
    assert!(app.pos < relay_connect);
    assert_eq!(session_of_screen(&app), Some(0));
    let title = transcript_title(&app);
    assert!(
        title.starts_with("[0]") && title.contains("laptop") && title.contains("smtp"),
        "{title}"
    );
    let text = screen(&app, 120, 40);
    assert!(
        text.contains("250 2.6.0 Message accepted"),
        "the submission's last reply so far:\n{text}"
    );
    // And back again over the whole relay into the submission's QUIT,
    // which the trace interleaves with the relay.
    let quit = pos_of_line(&app, Protocol::Submission, Dir::Up, "QUIT");
    app.seek(quit + 3);
    while app.pos > quit {
        press(&mut app, KeyCode::Left);
    }
    assert_eq!(app.pos, quit);
    assert_eq!(
        session_of_screen(&app),
        Some(0),
        "QUIT belongs to the submission"
    );
    let text = screen(&app, 120, 40);
    assert!(text.contains("C: QUIT"), "{text}");
}

#[test]
fn stepping_back_shows_exactly_what_stepping_forward_showed() {
    let mut forward = app("hello");
    let mut screens = Vec::new();
    loop {
        forward.progress = 1.0;
        screens.push((forward.pos, screen(&forward, 120, 40)));
        if forward.pos == forward.len() {
            break;
        }
        press(&mut forward, KeyCode::Right);
    }
    let mut back = app("hello");
    end(&mut back);
    for (pos, expected) in screens.iter().rev() {
        assert_eq!(back.pos, *pos);
        back.progress = 1.0;
        assert_eq!(
            &screen(&back, 120, 40),
            expected,
            "at {pos}, stepping back differs from stepping forward"
        );
        press(&mut back, KeyCode::Left);
    }
}

#[test]
fn stepping_back_in_other_views_matches_a_direct_seek() {
    for name in ["hello", "greylisting", "three-domains"] {
        let mut app = app(name);
        let mut fresh = self::app(name);
        for view in View::ALL {
            app.view = view;
            fresh.view = view;
            end(&mut app);
            // End moves the events list too: the same for both.
            end(&mut fresh);
            for _ in 0..40 {
                press(&mut app, KeyCode::Left);
                fresh.seek(app.pos);
                fresh.part = app.part;
                app.progress = 1.0;
                fresh.progress = 1.0;
                assert_eq!(
                    screen(&app, 100, 30),
                    screen(&fresh, 100, 30),
                    "{name} {view:?} at {}",
                    app.pos
                );
            }
        }
    }
}

// ---- sessions and hops --------------------------------------------------

#[test]
fn brackets_jump_to_the_start_of_the_next_and_previous_session() {
    let mut app = app("hello");
    let starts: Vec<usize> = app
        .world
        .index
        .sessions
        .iter()
        .map(|s| s.connection.seq as usize + 1)
        .collect();
    assert_eq!(
        starts.len(),
        3,
        "hello has a submission, a relay and a POP3 session"
    );
    for &start in &starts {
        press(&mut app, KeyCode::Char(']'));
        assert_eq!(app.pos, start);
        assert_eq!(app.notice, None);
    }
    press(&mut app, KeyCode::Char(']'));
    assert_eq!(app.pos, starts[2], "no session after the last one");
    assert!(
        app.notice
            .as_deref()
            .is_some_and(|n| n.contains("no more sessions"))
    );
    for &start in starts.iter().rev().skip(1) {
        press(&mut app, KeyCode::Char('['));
        assert_eq!(app.pos, start);
    }
    press(&mut app, KeyCode::Char('['));
    assert_eq!(app.pos, starts[0]);
    assert!(
        app.notice
            .as_deref()
            .is_some_and(|n| n.contains("no more sessions"))
    );
}

#[test]
fn jumping_to_a_session_unpins() {
    let mut app = app("hello");
    press(&mut app, KeyCode::Char(']'));
    press(&mut app, KeyCode::Char('p'));
    assert_eq!(app.pinned.map(|c| c.0), Some(0));
    press(&mut app, KeyCode::Char(']'));
    assert_eq!(app.pinned, None);
    assert_eq!(session_of_screen(&app), Some(1));
}

#[test]
fn braces_jump_along_the_hops_of_the_followed_message() {
    let mut app = app("hello");
    let id = app
        .follow
        .clone()
        .expect("hello follows its one message from the start");
    let positions: Vec<usize> = app
        .world
        .index
        .message_seqs(&id)
        .iter()
        .map(|&s| s as usize + 1)
        .collect();
    assert!(
        positions.len() >= 4,
        "composed, queued twice, delivered, retrieved: {positions:?}"
    );
    for &p in &positions {
        press(&mut app, KeyCode::Char('}'));
        assert_eq!(app.pos, p);
    }
    press(&mut app, KeyCode::Char('}'));
    assert_eq!(app.pos, *positions.last().unwrap());
    assert!(
        app.notice
            .as_deref()
            .is_some_and(|n| n.contains("no more hops")),
        "{:?}",
        app.notice
    );
    for &p in positions.iter().rev().skip(1) {
        press(&mut app, KeyCode::Char('{'));
        assert_eq!(app.pos, p);
    }
    press(&mut app, KeyCode::Char('{'));
    assert!(
        app.notice
            .as_deref()
            .is_some_and(|n| n.contains("no more hops"))
    );
}

#[test]
fn braces_without_a_followed_message_ask_to_follow_one() {
    let mut app = app("hello");
    app.follow = None;
    press(&mut app, KeyCode::Char('}'));
    assert_eq!(app.pos, 0);
    assert!(app.notice.as_deref().is_some_and(|n| n.contains("press f")));
}

#[test]
fn f_follows_each_message_in_turn_and_wraps() {
    let mut app = app("three-domains");
    let messages = app.world.index.messages.clone();
    assert!(
        messages.len() >= 3,
        "three-domains has the letter and two bounces: {messages:?}"
    );
    assert_eq!(app.follow.as_ref(), Some(&messages[0]));
    for i in 1..=messages.len() {
        press(&mut app, KeyCode::Char('f'));
        let expected = &messages[i % messages.len()];
        assert_eq!(app.follow.as_ref(), Some(expected));
        assert!(
            app.notice
                .as_deref()
                .is_some_and(|n| n.contains(expected.as_str()))
        );
    }
}

#[test]
fn f_follows_the_first_message_when_none_is_followed() {
    let mut app = app("three-domains");
    app.follow = None;
    press(&mut app, KeyCode::Char('f'));
    assert_eq!(app.follow.as_ref(), app.world.index.messages.first());
}

// ---- speed, Home, End, focus, views -------------------------------------

#[test]
fn plus_and_minus_change_speed_within_bounds() {
    let mut app = app("hello");
    let start = app.speed;
    press(&mut app, KeyCode::Char('+'));
    assert_eq!(app.speed, start + 1);
    press(&mut app, KeyCode::Char('='));
    assert_eq!(app.speed, start + 2);
    press(&mut app, KeyCode::Char('-'));
    press(&mut app, KeyCode::Char('_'));
    assert_eq!(app.speed, start);
    for _ in 0..20 {
        press(&mut app, KeyCode::Char('+'));
    }
    assert_eq!(app.speed, SPEEDS.len() - 1);
    for _ in 0..20 {
        press(&mut app, KeyCode::Char('-'));
    }
    assert_eq!(app.speed, 0);
    assert!(
        screen(&app, 120, 40).contains("0.25×"),
        "the status bar shows the speed"
    );
}

#[test]
fn home_and_end_go_to_the_first_and_last_event_and_pause() {
    let mut app = app("hello");
    press(&mut app, KeyCode::Char(' '));
    press(&mut app, KeyCode::End);
    assert_eq!(app.pos, app.len());
    assert!(!app.playing);
    press(&mut app, KeyCode::Char(' '));
    press(&mut app, KeyCode::Home);
    assert_eq!(app.pos, 0);
    assert!(!app.playing);
}

#[test]
fn tab_cycles_focus_through_map_transcript_and_explanation() {
    let mut app = app("hello");
    assert_eq!(app.focus, Focus::Transcript);
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.focus, Focus::Explain);
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.focus, Focus::Map);
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.focus, Focus::Transcript);
}

#[test]
fn focus_shows_as_a_heavy_border() {
    let mut app = app("hello");
    let text = screen(&app, 120, 40);
    assert!(text.contains("┏ Transcript"), "{text}");
    assert!(text.contains("┌ Explain"));
    press(&mut app, KeyCode::Tab);
    let text = screen(&app, 120, 40);
    assert!(text.contains("┏ Explain"), "{text}");
    assert!(text.contains("┌ Transcript"));
}

#[test]
fn digits_choose_the_view_and_reset_its_scroll() {
    let mut app = app("hello");
    for (i, view) in View::ALL.into_iter().enumerate() {
        app.views.scroll = 7;
        press(&mut app, KeyCode::Char(char::from(b'1' + i as u8)));
        assert_eq!(app.view, view);
        assert_eq!(app.views.scroll, 0);
    }
    press(&mut app, KeyCode::Char('7'));
    assert_eq!(app.view, View::Events, "7 is no view");
}

#[test]
fn each_view_names_itself_on_screen() {
    let mut app = app("hello");
    end(&mut app);
    let expected = [
        (View::Main, "Network"),
        (View::Ladder, "Ladder of"),
        (View::Letter, "Envelope: what servers route by"),
        (View::Queues, "Queues ("),
        (View::Dns, "Queries and answers"),
        (View::Events, "Events ("),
    ];
    for (view, title) in expected {
        app.view = view;
        let text = screen(&app, 120, 40);
        assert!(text.contains(title), "{view:?} shows {title:?}:\n{text}");
    }
}

// ---- pin ----------------------------------------------------------------

#[test]
fn p_pins_the_session_on_screen_while_the_playhead_moves_on() {
    let mut app = app("hello");
    let pos = pos_of_line(&app, Protocol::Submission, Dir::Up, "MAIL FROM");
    app.seek(pos);
    press(&mut app, KeyCode::Char('p'));
    assert_eq!(app.pinned.map(|c| c.0), Some(0));
    let pop3 = pos_of_line(&app, Protocol::Pop3, Dir::Up, "RETR");
    app.seek(pop3);
    assert_eq!(
        session_of_screen(&app),
        Some(0),
        "pinned: the submission stays on screen"
    );
    let text = screen(&app, 120, 40);
    assert!(text.contains("(pinned)"), "the status bar says so:\n{text}");
    press(&mut app, KeyCode::Char('p'));
    assert_eq!(app.pinned, None);
    assert_eq!(
        session_of_screen(&app),
        Some(2),
        "unpinned: the playhead's session"
    );
}

#[test]
fn p_before_any_session_pins_nothing() {
    let mut app = app("hello");
    press(&mut app, KeyCode::Char('p'));
    assert_eq!(app.pinned, None);
}

// ---- search -------------------------------------------------------------

#[test]
fn slash_starts_a_search_that_typing_fills_and_enter_runs() {
    let mut app = app("hello");
    press(&mut app, KeyCode::Char('/'));
    assert_eq!(app.overlay, Overlay::Search);
    type_text(&mut app, "retX");
    press(&mut app, KeyCode::Backspace);
    assert_eq!(app.search, "ret");
    let text = screen(&app, 120, 40);
    let status: Vec<&str> = text.lines().rev().take(2).collect();
    assert!(
        status.iter().any(|l| l.contains("ret")),
        "the status bar shows the query:\n{text}"
    );
    press(&mut app, KeyCode::Enter);
    assert_ne!(app.overlay, Overlay::Search);
    let hit = app.current().expect("search found something");
    let text = mailflow::trace::describe::event_text(app.trace(), hit).to_lowercase();
    let lines = app
        .world
        .index
        .lines
        .iter()
        .filter(|l| l.seq == hit.seq)
        .any(|l| l.text.to_lowercase().contains("ret"));
    assert!(
        text.contains("ret") || lines,
        "the playhead is on a hit: {text}"
    );
    assert!(
        app.notice.as_deref().is_some_and(|n| n.contains("\"ret\"")),
        "{:?}",
        app.notice
    );
}

/// Every playhead at which a search for `query` stops: the events whose
/// description or transcript lines contain it, case aside.
fn hits(app: &App, query: &str) -> Vec<usize> {
    let query = query.to_lowercase();
    let trace = app.trace();
    let mut out: Vec<usize> = trace
        .events()
        .iter()
        .filter(|e| {
            mailflow::trace::describe::event_text(trace, e)
                .to_lowercase()
                .contains(&query)
                || app
                    .world
                    .index
                    .lines
                    .iter()
                    .any(|l| l.seq == e.seq && l.text.to_lowercase().contains(&query))
        })
        .map(|e| e.seq as usize + 1)
        .collect();
    out.dedup();
    out
}

#[test]
fn n_finds_the_next_hit_and_wraps_round() {
    let mut app = app("hello");
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "QUIT");
    press(&mut app, KeyCode::Enter);
    let mut seen = vec![app.pos];
    for _ in 0..20 {
        press(&mut app, KeyCode::Char('n'));
        if seen.contains(&app.pos) {
            break;
        }
        seen.push(app.pos);
    }
    let expected = hits(&app, "quit");
    assert!(
        expected.len() >= 3,
        "three sessions end with QUIT: {expected:?}"
    );
    assert_eq!(seen, expected, "every hit in turn");
    assert_eq!(app.pos, expected[0], "then round to the first");
}

#[test]
fn search_is_case_insensitive() {
    let mut app = app("hello");
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "retr 1");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.pos, pos_of_line(&app, Protocol::Pop3, Dir::Up, "RETR"));
}

#[test]
fn a_search_with_no_hit_says_so_and_stays() {
    let mut app = app("hello");
    press(&mut app, KeyCode::Right);
    let pos = app.pos;
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "zebra");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.pos, pos);
    assert!(
        app.notice
            .as_deref()
            .is_some_and(|n| n.contains("not in this run"))
    );
}

#[test]
fn keys_while_searching_are_typed_not_obeyed() {
    let mut app = app("hello");
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "q?1 ");
    press(&mut app, KeyCode::Right);
    assert!(!app.quit && app.overlay != Overlay::Help && !app.playing);
    assert_eq!(app.view, View::Main);
    assert_eq!(app.pos, 0);
    assert_eq!(app.search, "q?1 ");
}

#[test]
fn esc_cancels_a_search_without_quitting() {
    let mut app = app("hello");
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "mx");
    press(&mut app, KeyCode::Esc);
    assert_ne!(app.overlay, Overlay::Search);
    assert!(!app.quit);
    assert_eq!(app.search, "");
    assert_eq!(app.pos, 0);
}

#[test]
fn a_search_query_is_at_most_64_characters() {
    let mut app = app("hello");
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, &"a".repeat(100));
    assert_eq!(app.search.chars().count(), 64);
}

#[test]
fn n_with_no_query_does_nothing() {
    let mut app = app("hello");
    press(&mut app, KeyCode::Char('n'));
    assert_eq!(app.pos, 0);
}

// ---- themes, help, quitting ---------------------------------------------

#[test]
fn t_cycles_the_themes() {
    let mut app = app("hello");
    assert_eq!(app.theme.name, "dark");
    for name in ["light", "high-contrast", "mono"] {
        press(&mut app, KeyCode::Char('t'));
        assert_eq!(app.theme.name, name);
        assert_eq!(app.theme, Theme::by_name(name).unwrap());
        assert_eq!(
            app.notice.as_deref(),
            Some(format!("theme: {name}").as_str())
        );
    }
    press(&mut app, KeyCode::Char('t'));
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let expected = if no_color { "mono" } else { "dark" };
    assert_eq!(
        app.theme.name, expected,
        "mono goes round to dark unless NO_COLOR is set"
    );
}

#[test]
fn question_mark_opens_help_and_any_key_closes_it_doing_nothing_else() {
    for key in [
        KeyCode::Char('q'),
        KeyCode::Esc,
        KeyCode::Char(' '),
        KeyCode::Right,
        KeyCode::Char('3'),
        KeyCode::Char('?'),
        KeyCode::Enter,
    ] {
        let mut app = app("hello");
        press(&mut app, KeyCode::Char('?'));
        assert_eq!(app.overlay, Overlay::Help);
        assert!(screen(&app, 120, 40).contains("any key closes"));
        press(&mut app, key);
        assert_ne!(app.overlay, Overlay::Help, "{key:?} closes the help");
        assert!(!app.quit && !app.playing, "{key:?} only closed the help");
        assert_eq!(
            (app.pos, app.view),
            (0, View::Main),
            "{key:?} only closed the help"
        );
        assert!(!screen(&app, 120, 40).contains("any key closes"));
    }
}

#[test]
fn ctrl_c_closes_the_help_before_it_quits() {
    let mut app = app("hello");
    press(&mut app, KeyCode::Char('?'));
    press_with(&mut app, KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert_ne!(app.overlay, Overlay::Help);
    press_with(&mut app, KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert!(app.quit);
}

#[test]
fn q_esc_and_ctrl_c_quit() {
    for (code, modifiers) in [
        (KeyCode::Char('q'), KeyModifiers::NONE),
        (KeyCode::Esc, KeyModifiers::NONE),
        (KeyCode::Char('c'), KeyModifiers::CONTROL),
    ] {
        let mut app = app("hello");
        press_with(&mut app, code, modifiers);
        assert!(app.quit, "{code:?} {modifiers:?} quits");
    }
}

#[test]
fn a_plain_c_does_not_quit() {
    let mut app = app("hello");
    press(&mut app, KeyCode::Char('c'));
    assert!(!app.quit);
}

#[test]
fn any_key_clears_the_notice() {
    let mut app = app("hello");
    press(&mut app, KeyCode::Char('f'));
    assert!(app.notice.is_some());
    press(&mut app, KeyCode::Right);
    assert_eq!(app.notice, None);
}

// ---- the events view ----------------------------------------------------

#[test]
fn enter_in_the_events_view_jumps_to_the_selected_event() {
    let mut app = app("hello");
    press(&mut app, KeyCode::Char('6'));
    for _ in 0..9 {
        press(&mut app, KeyCode::Down);
    }
    press(&mut app, KeyCode::Up);
    assert_eq!(app.views.events_selected, 8);
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.pos, 9, "the ninth event has happened");
    assert_eq!(app.view, View::Main);
    assert_eq!(app.pinned, None);
}

#[test]
fn enter_in_the_events_view_jumps_within_a_filter() {
    let mut app = app("three-domains");
    press(&mut app, KeyCode::Char('6'));
    press(&mut app, KeyCode::Char('x'));
    let failures = mailflow::tui::view::events::filtered(&app, &app.views.events_filter);
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.pos, failures[2] + 1);
    let event = app.current().unwrap();
    assert!(mailflow::tui::view::events::is_failure(event));
}

#[test]
fn the_events_selection_stops_at_both_ends_of_the_list() {
    let mut app = app("hello");
    press(&mut app, KeyCode::Char('6'));
    press(&mut app, KeyCode::Up);
    assert_eq!(app.views.events_selected, 0);
    for _ in 0..500 {
        press(&mut app, KeyCode::PageDown);
    }
    assert_eq!(app.views.events_selected, app.len() - 1);
    press(&mut app, KeyCode::PageUp);
    assert_eq!(
        app.views.events_selected,
        app.len() - 1 - 20,
        "half of a 40-row screen"
    );
}

#[test]
fn d_x_and_o_filter_the_events_view() {
    let mut app = app("three-domains");
    press(&mut app, KeyCode::Char('6'));
    let all = mailflow::tui::view::events::filtered(&app, &app.views.events_filter).len();
    assert_eq!(all, app.len());

    press(&mut app, KeyCode::Char('d'));
    assert!(app.views.events_filter.hide_dns);
    let list = mailflow::tui::view::events::filtered(&app, &app.views.events_filter);
    assert!(list.len() < all);
    assert!(list.iter().all(|&i| !matches!(
        app.trace().events()[i].kind,
        EventKind::Datagram { .. } | EventKind::Resolved { .. }
    )));
    assert!(screen(&app, 120, 40).contains("no DNS"));
    press(&mut app, KeyCode::Char('d'));
    assert!(!app.views.events_filter.hide_dns);

    press(&mut app, KeyCode::Char('x'));
    assert!(app.views.events_filter.failures_only);
    let list = mailflow::tui::view::events::filtered(&app, &app.views.events_filter);
    assert!(!list.is_empty());
    assert!(
        list.iter()
            .all(|&i| mailflow::tui::view::events::is_failure(&app.trace().events()[i]))
    );
    assert!(screen(&app, 120, 40).contains("failures only"));
    press(&mut app, KeyCode::Char('x'));
    assert!(!app.views.events_filter.failures_only);

    let hosts = app.trace().hosts.len() as u16;
    for h in 0..hosts {
        press(&mut app, KeyCode::Char('o'));
        assert_eq!(app.views.events_filter.host, Some(h));
        let name = app.trace().hosts[usize::from(h)].name.clone();
        assert!(screen(&app, 120, 40).contains(&format!("only {name}")));
    }
    press(&mut app, KeyCode::Char('o'));
    assert_eq!(
        app.views.events_filter.host, None,
        "o goes round to every host"
    );
}

#[test]
fn d_and_x_outside_the_events_view_change_no_filter() {
    let mut app = app("hello");
    press(&mut app, KeyCode::Char('d'));
    press(&mut app, KeyCode::Char('x'));
    assert_eq!(app.views.events_filter, Default::default());
}

#[test]
fn a_narrower_filter_keeps_enter_on_the_row_shown_selected() {
    // Select a row far down the whole list, then narrow the list: the
    // selection starts again at the first row of the narrower list, and
    // Enter must jump to the row drawn selected.
    let mut app = app("three-domains");
    press(&mut app, KeyCode::Char('6'));
    for _ in 0..100 {
        press(&mut app, KeyCode::Down);
    }
    press(&mut app, KeyCode::Char('x'));
    let failures = mailflow::tui::view::events::filtered(&app, &app.views.events_filter);
    assert!(failures.len() < 100);
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.view, View::Main, "Enter jumped");
    assert_eq!(app.pos, failures[0] + 1, "to the row drawn selected");
}

#[test]
fn failures_only_lists_every_refused_recipient() {
    // mx.example.com answers karol's RCPT with 550 5.1.1, pipelined with
    // the 250 for MAIL FROM: the failure must still be listed.
    let mut app = app("three-domains");
    press(&mut app, KeyCode::Char('6'));
    press(&mut app, KeyCode::Char('x'));
    let refusal = app
        .world
        .index
        .lines
        .iter()
        .find(|l| l.text.starts_with("550 5.1.1"))
        .expect("three-domains has a 550 5.1.1")
        .seq as usize;
    let failures = mailflow::tui::view::events::filtered(&app, &app.views.events_filter);
    assert!(
        failures.contains(&refusal),
        "the 550 5.1.1 reply (event {}) is missing from {failures:?}",
        refusal + 1
    );
}

// ---- the letter view ----------------------------------------------------

#[test]
fn enter_on_a_received_line_jumps_to_the_session_that_wrote_it() {
    let mut app = app("hello");
    end(&mut app);
    press(&mut app, KeyCode::Char('3'));
    // The top Received line is the newest: mx.example.net, written during
    // the relay [1].
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.view, View::Main);
    assert_eq!(app.pinned.map(|c| c.0), Some(1));
    let relay = app
        .world
        .index
        .sessions
        .iter()
        .find(|s| s.connection.conn.0 == 1)
        .unwrap();
    assert_eq!(app.pos, relay.connection.seq as usize + 1);
    // From there, the letter is not delivered yet; go back to the end and
    // take the bottom line: smtp.example.org, written during [0].
    end(&mut app);
    press(&mut app, KeyCode::Char('3'));
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.pinned.map(|c| c.0), Some(0));
    assert_eq!(
        app.pos,
        app.world.index.sessions[0].connection.seq as usize + 1
    );
    let title = transcript_title(&app);
    assert!(
        title.starts_with("[0]") && title.contains("laptop"),
        "{title}"
    );
}

#[test]
fn enter_in_the_letter_view_before_any_letter_does_nothing() {
    let mut app = app("hello");
    press(&mut app, KeyCode::Char('3'));
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.view, View::Letter);
    assert_eq!(app.pos, 0);
}

#[test]
fn enter_on_a_letter_without_received_lines_stays() {
    // A bounce made on the server itself has no Received line at all.
    let mut app = app("three-domains");
    end(&mut app);
    let bounce = app.trace().events().iter().find_map(|e| match &e.kind {
        EventKind::Queued { rest, .. } if rest.from == "<>" => Some(rest.message_id.clone()),
        _ => None,
    });
    app.follow = bounce;
    press(&mut app, KeyCode::Char('3'));
    let pos = app.pos;
    press(&mut app, KeyCode::Enter);
    assert_eq!(
        (app.pos, app.view),
        (pos, View::Letter),
        "nothing to jump to"
    );
}

/// hello, but alice's program sends a letter that already carries a
/// Received line from before the run.
fn hello_with_an_old_received_line() -> String {
    let hello = mailflow::scenario::bundled::source("hello").expect("hello is bundled");
    let start = hello.find("body: \"Hi Bob,").expect("hello's body");
    let end = start
        + hello[start..]
            .find("Alice\\n\",")
            .expect("the end of hello's body")
        + "Alice\\n\",".len();
    let raw = "raw: \"Received: from old.example.com ([192.0.2.99]) by relay.example.com with SMTP id OLD1; \
               Mon, 30 Nov 2026 09:00:00 +0000\\r\\n\
               From: alice@example.org\\r\\nTo: bob@example.net\\r\\nSubject: Forwarded\\r\\n\
               Message-ID: <old.1@example.org>\\r\\n\\r\\nHi Bob.\\r\\n\",";
    format!("{}{raw}{}", &hello[..start], &hello[end..])
}

#[test]
fn enter_on_a_received_line_written_before_the_run_says_so() {
    let world = world_from_source(
        &hello_with_an_old_received_line(),
        "hello with an old Received line",
    );
    let mut app = App::new(world, Theme::dark());
    end(&mut app);
    press(&mut app, KeyCode::Char('3'));
    let (_, content) = mailflow::tui::view::letter::letter(&app).expect("the letter was delivered");
    let chain = mailflow::tui::view::letter::received_chain(&app, &content);
    assert_eq!(
        chain.len(),
        3,
        "two hops of the run and the old one: {chain:?}"
    );
    assert_eq!(
        chain[2].1, None,
        "the bottom line was written before the run"
    );
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Down);
    let pos = app.pos;
    press(&mut app, KeyCode::Enter);
    assert_eq!(
        (app.pos, app.view),
        (pos, View::Letter),
        "nothing to jump to"
    );
    assert!(
        app.notice
            .as_deref()
            .is_some_and(|n| n.contains("not written inside this run")),
        "{:?}",
        app.notice
    );
}

#[test]
fn up_after_overshooting_down_in_the_letter_view_moves_the_selection() {
    let mut app = app("hello");
    end(&mut app);
    press(&mut app, KeyCode::Char('3'));
    for _ in 0..5 {
        press(&mut app, KeyCode::Down);
    }
    // Two Received lines: the selection is on the bottom one; one Up
    // must bring it to the top one.
    press(&mut app, KeyCode::Up);
    press(&mut app, KeyCode::Enter);
    assert_eq!(
        app.pinned.map(|c| c.0),
        Some(1),
        "Up from the last Received line selects the one above"
    );
}

// ---- scrolling ----------------------------------------------------------

#[test]
fn up_and_down_scroll_the_transcript_back_in_time() {
    let mut app = app("hello");
    app.seek(pos_of_reply_to(&app, Protocol::Pop3, "RETR"));
    let before = screen(&app, 120, 40);
    press(&mut app, KeyCode::Up);
    press(&mut app, KeyCode::Char('k'));
    assert_eq!(app.views.transcript_back, 2);
    assert_ne!(screen(&app, 120, 40), before);
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Char('j'));
    assert_eq!(app.views.transcript_back, 0);
    assert_eq!(screen(&app, 120, 40), before);
    press(&mut app, KeyCode::Down);
    assert_eq!(
        app.views.transcript_back, 0,
        "0 follows the playhead; nothing below it"
    );
}

#[test]
fn stepping_resets_the_transcript_scroll() {
    let mut app = app("hello");
    end(&mut app);
    press(&mut app, KeyCode::PageUp);
    assert!(app.views.transcript_back > 0);
    press(&mut app, KeyCode::Left);
    assert_eq!(app.views.transcript_back, 0);
}

#[test]
fn scrolling_the_transcript_far_up_still_shows_its_first_lines() {
    let mut app = app("hello");
    end(&mut app);
    for _ in 0..50 {
        press(&mut app, KeyCode::PageUp);
    }
    let text = screen(&app, 120, 40);
    assert!(
        !text.contains("(connecting...)"),
        "a session with lines is not connecting:\n{text}"
    );
    assert!(
        text.contains("+OK mx.example.net POP3 ready"),
        "the top of the POP3 session:\n{text}"
    );
}

#[test]
fn explain_scrolls_when_focused() {
    let mut app = app("hello");
    press(&mut app, KeyCode::Right);
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.focus, Focus::Explain);
    press(&mut app, KeyCode::Down);
    assert_eq!(app.views.explain_scroll, 1);
    press(&mut app, KeyCode::Up);
    press(&mut app, KeyCode::Up);
    assert_eq!(app.views.explain_scroll, 0);
}

#[test]
fn other_views_scroll_with_arrows() {
    let mut app = app("hello");
    end(&mut app);
    for view in [View::Queues, View::Dns] {
        app.view = view;
        app.views.scroll = 0;
        press(&mut app, KeyCode::Down);
        assert_eq!(app.views.scroll, 1, "{view:?}");
        press(&mut app, KeyCode::Up);
        press(&mut app, KeyCode::Up);
        assert_eq!(app.views.scroll, 0, "{view:?}");
    }
    // The ladder shows the latest rows; Up goes back to earlier ones.
    app.view = View::Ladder;
    app.views.scroll = 0;
    let bottom = screen(&app, 120, 40);
    press(&mut app, KeyCode::Up);
    assert_eq!(app.views.scroll, 1);
    assert_ne!(screen(&app, 120, 40), bottom);
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Down);
    assert_eq!(app.views.scroll, 0);
    assert_eq!(screen(&app, 120, 40), bottom);
}

#[test]
fn scrolling_a_view_far_down_never_leaves_it_blank() {
    let mut app = app("hello");
    end(&mut app);
    for view in [View::Dns, View::Queues, View::Ladder] {
        app.view = view;
        app.views.scroll = 0;
        let key = if view == View::Ladder {
            KeyCode::PageUp
        } else {
            KeyCode::PageDown
        };
        for _ in 0..20 {
            press(&mut app, key);
        }
        let text = screen(&app, 120, 40);
        let body: Vec<&str> = text.lines().skip(2).take(30).collect();
        let inside = body
            .iter()
            .filter(|l| l.chars().any(|c| c.is_alphanumeric()))
            .count();
        assert!(
            inside > 0,
            "{view:?} scrolled out of its content shows nothing:\n{text}"
        );
        // And one key back brings content back into view.
        let back = if view == View::Ladder {
            KeyCode::Down
        } else {
            KeyCode::Up
        };
        press(&mut app, back);
    }
}

// ---- mouse --------------------------------------------------------------

#[test]
fn the_mouse_wheel_scrolls_what_the_arrows_scroll() {
    let screen_rect = rect(120, 40);
    let mut app = app("hello");
    end(&mut app);
    mouse(&mut app, MouseEventKind::ScrollUp, 90, 10, screen_rect);
    assert_eq!(app.views.transcript_back, 3);
    mouse(&mut app, MouseEventKind::ScrollDown, 90, 10, screen_rect);
    assert_eq!(app.views.transcript_back, 0);

    app.view = View::Events;
    // End took the events list to its end with the playhead: start at the top.
    app.views.events_selected = 0;
    mouse(&mut app, MouseEventKind::ScrollDown, 50, 10, screen_rect);
    mouse(&mut app, MouseEventKind::ScrollDown, 50, 10, screen_rect);
    assert_eq!(app.views.events_selected, 6);
    mouse(&mut app, MouseEventKind::ScrollUp, 50, 10, screen_rect);
    assert_eq!(app.views.events_selected, 3);

    app.view = View::Queues;
    mouse(&mut app, MouseEventKind::ScrollDown, 50, 10, screen_rect);
    assert_eq!(app.views.scroll, 3);
}

/// Clicks the transcript line (at 120×40) whose text holds `text`, a few
/// cells inside the transcript pane.
fn click_transcript_line(app: &mut App, text: &str, screen_rect: ratatui::layout::Rect) {
    let shown = screen(app, 120, 40);
    let row = shown
        .lines()
        .position(|l| l.contains(text))
        .unwrap_or_else(|| panic!("{text:?} on screen:\n{shown}"));
    let col = shown
        .lines()
        .nth(row)
        .and_then(|l| l.chars().position(|c| c == '┃'));
    let col = col.expect("the transcript pane's border") as u16 + 5;
    click(app, col, row as u16, screen_rect);
}

#[test]
fn a_click_on_a_transcript_line_moves_the_playhead_to_it() {
    let screen_rect = rect(120, 40);
    let mut app = app("hello");
    let mail_from = pos_of_line(&app, Protocol::Submission, Dir::Up, "MAIL FROM");
    app.seek(pos_of_reply_to(&app, Protocol::Submission, "MAIL FROM"));
    click_transcript_line(&mut app, "C: MAIL FROM", screen_rect);
    assert_eq!(app.focus, Focus::Transcript);
    assert_eq!(app.pos, mail_from);
    assert_eq!(
        app.pinned.map(|c| c.0),
        Some(0),
        "the clicked session stays on screen"
    );
    assert!(!app.playing);
}

#[test]
fn a_click_below_the_last_transcript_line_moves_nothing() {
    let screen_rect = rect(120, 40);
    let mut app = app("hello");
    app.seek(pos_of_line(&app, Protocol::Submission, Dir::Up, "EHLO"));
    let pos = app.pos;
    let pane = main_panes(120, 40).transcript;
    click(
        &mut app,
        pane.x + pane.width / 2,
        pane.bottom() - 2,
        screen_rect,
    );
    assert_eq!(app.pos, pos);
    assert_eq!(app.pinned, None);
    assert_eq!(app.focus, Focus::Transcript);
}

#[test]
fn a_click_on_a_host_shows_its_latest_session() {
    let screen_rect = rect(120, 40);
    let mut app = app("hello");
    end(&mut app);
    let (x, y) = host_cell(&mut app, "laptop.example.org");
    app.focus = Focus::Explain;
    click(&mut app, x, y, screen_rect);
    assert_eq!(app.focus, Focus::Map);
    assert_eq!(
        app.pinned.map(|c| c.0),
        Some(0),
        "the laptop's only session"
    );
    assert!(
        app.notice
            .as_deref()
            .is_some_and(|n| n.contains("laptop.example.org")),
        "{:?}",
        app.notice
    );
    let title = transcript_title(&app);
    assert!(
        title.starts_with("[0]") && title.contains("laptop"),
        "{title}"
    );
    // The phone's latest session is its POP3 retrieval.
    let (x, y) = host_cell(&mut app, "phone.example.net");
    click(&mut app, x, y, screen_rect);
    assert_eq!(app.pinned.map(|c| c.0), Some(2));
}

#[test]
fn a_click_on_a_host_before_its_first_session_says_so() {
    let screen_rect = rect(120, 40);
    let mut app = app("hello");
    let (x, y) = host_cell(&mut app, "phone.example.net");
    click(&mut app, x, y, screen_rect);
    assert_eq!(app.pinned, None);
    assert!(
        app.notice
            .as_deref()
            .is_some_and(|n| n.contains("phone.example.net has had no session yet")),
        "{:?}",
        app.notice
    );
}

#[test]
fn a_click_on_the_explanation_focuses_it() {
    let screen_rect = rect(120, 40);
    let mut app = app("hello");
    let explain = main_panes(120, 40)
        .explain
        .expect("120x40 has an explanation");
    click(&mut app, explain.x + 3, explain.y + 2, screen_rect);
    assert_eq!(app.focus, Focus::Explain);
    assert_eq!(app.pos, 0);
}

#[test]
fn clicks_outside_the_main_view_change_nothing() {
    let screen_rect = rect(120, 40);
    let mut app = app("hello");
    end(&mut app);
    app.view = View::Events;
    click(&mut app, 60, 10, screen_rect);
    assert_eq!(app.pos, app.len());
    assert_eq!(app.pinned, None);
    assert_eq!(app.view, View::Events);
}

#[test]
fn mouse_anywhere_at_any_size_never_panics() {
    let mut app = app("hello");
    let positions = [0, 12, 30, 61, app.len()];
    for &(w, h) in &[
        (1, 1),
        (19, 4),
        (20, 5),
        (30, 8),
        (80, 24),
        (120, 40),
        (200, 60),
    ] {
        for &pos in &positions {
            for x in (0..w).step_by(3) {
                for y in (0..h).step_by(2) {
                    app.seek(pos);
                    app.pinned = None;
                    app.views = Default::default();
                    click(&mut app, x, y, rect(w, h));
                    mouse(&mut app, MouseEventKind::ScrollUp, x, y, rect(w, h));
                    mouse(&mut app, MouseEventKind::ScrollDown, x, y, rect(w, h));
                    mouse(&mut app, MouseEventKind::Moved, x, y, rect(w, h));
                }
            }
            let _ = draw(&app, w, h);
        }
    }
}

// ---- sizes --------------------------------------------------------------

/// The grid of sizes every view must survive, and the sizes people use.
fn sizes() -> Vec<(u16, u16)> {
    let mut sizes: Vec<(u16, u16)> = Vec::new();
    for w in (1..=220).step_by(7) {
        for h in (1..=70).step_by(5) {
            sizes.push((w, h));
        }
    }
    sizes.extend([
        (20, 5),
        (19, 5),
        (20, 4),
        (30, 8),
        (80, 24),
        (100, 30),
        (120, 40),
        (200, 60),
        (0, 0),
        (1, 0),
        (0, 1),
    ]);
    sizes
}

/// Draws `app` at every size and at each playhead, checking that nothing
/// panics, nothing is drawn over a wide symbol, and the frame has its tabs
/// and status bar whenever it is large enough to have them.
fn every_size(app: &mut App, playheads: &[usize], what: &str) {
    for (w, h) in sizes() {
        let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("a test terminal");
        for &pos in playheads {
            app.seek(pos);
            terminal
                .draw(|f| mailflow::tui::ui::draw(f, app))
                .expect("drawing on a test backend");
            let buffer = terminal.backend().buffer();
            let hidden = hidden_by_wide_symbols(buffer);
            assert!(
                hidden.is_empty(),
                "{what} at {pos}, {w}x{h}: drawn over a wide symbol at {hidden:?}"
            );
            if w >= 20 && h >= 5 && app.overlay != Overlay::Help {
                let text = buffer_text(buffer);
                let rows: Vec<&str> = text.lines().collect();
                assert!(
                    rows.first().is_some_and(|l| !l.trim().is_empty()),
                    "{what} at {pos}, {w}x{h}: tabs\n{text}"
                );
                let status = if h >= 16 {
                    rows.get(rows.len() - 2)
                } else {
                    rows.last()
                };
                assert!(
                    status.is_some_and(|l| l.contains("paused") || l.contains("playing")),
                    "{what} at {pos}, {w}x{h}: status bar\n{text}"
                );
            }
        }
    }
}

/// Playheads worth drawing: in hello the start, a third of the way (the
/// relay) and the end; in a run with failures, the first one and the end.
fn playheads(app: &App) -> Vec<usize> {
    let failure = app
        .trace()
        .events()
        .iter()
        .position(|e| {
            matches!(
                e.kind,
                EventKind::Deferred { .. } | EventKind::Bounced { .. }
            )
        })
        .map(|i| i + 1);
    match failure {
        Some(f) => vec![f, app.len()],
        None => vec![0, app.len() / 3, app.len()],
    }
}

fn every_size_in(view: View) {
    for name in ["hello", "three-domains"] {
        let mut app = app(name);
        app.view = view;
        let playheads = playheads(&app);
        every_size(&mut app, &playheads, &format!("{name} {view:?}"));
    }
}

#[test]
fn the_main_view_draws_at_every_size() {
    every_size_in(View::Main);
}

#[test]
fn the_ladder_view_draws_at_every_size() {
    every_size_in(View::Ladder);
}

#[test]
fn the_letter_view_draws_at_every_size() {
    every_size_in(View::Letter);
}

#[test]
fn the_queues_view_draws_at_every_size() {
    every_size_in(View::Queues);
}

#[test]
fn the_dns_view_draws_at_every_size() {
    every_size_in(View::Dns);
}

#[test]
fn the_events_view_draws_at_every_size() {
    every_size_in(View::Events);
}

#[test]
fn the_help_overlay_and_a_search_draw_at_every_size() {
    let mut app = app("hello");
    press(&mut app, KeyCode::Char('?'));
    every_size(&mut app, &[30], "help");
    press(&mut app, KeyCode::Char('?'));
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "a long query that will not fit");
    every_size(&mut app, &[30], "searching");
}

#[test]
fn a_long_gap_a_pinned_session_and_a_notice_draw_at_every_size() {
    let mut app = app("mx-backup");
    let gap = (1..=app.len())
        .find(|&p| {
            app.seek(p);
            app.gap_before().is_some()
        })
        .expect("mx-backup waits 15 minutes");
    press(&mut app, KeyCode::Char('f'));
    app.pinned = Some(mailflow::trace::ConnId(0));
    every_size(&mut app, &[gap], "mx-backup gap, pinned, with a notice");
}

#[test]
fn the_smallest_screens_say_enlarge_the_window() {
    let app = app("hello");
    for (w, h) in [(19, 40), (120, 4), (19, 5)] {
        let text = screen(&app, w, h);
        assert!(text.contains("enlarge"), "{w}x{h}:\n{text}");
    }
    for (w, h) in [(5, 5), (1, 1), (0, 0)] {
        let _ = screen(&app, w, h);
    }
    let text = screen(&app, 20, 5);
    assert!(
        !text.contains("enlarge") && text.contains("paused"),
        "20x5 is a dashboard:\n{text}"
    );
}

#[test]
fn key_handling_at_tiny_screens_never_panics() {
    let mut app = app("hello");
    for code in [
        KeyCode::PageUp,
        KeyCode::PageDown,
        KeyCode::Up,
        KeyCode::Down,
        KeyCode::Enter,
    ] {
        for view in View::ALL {
            app.view = view;
            mailflow::tui::keys::handle_key(
                &mut app,
                crossterm::event::KeyEvent::new(code, KeyModifiers::NONE),
                rect(0, 0),
            );
            mailflow::tui::keys::handle_key(
                &mut app,
                crossterm::event::KeyEvent::new(code, KeyModifiers::NONE),
                rect(1, 1),
            );
        }
    }
}

// ---- a long run ---------------------------------------------------------

/// hello's world, with alice sending `n` messages a second apart and bob
/// fetching them all at the end.
fn many_messages(n: usize) -> String {
    let sends: Vec<String> = (0..n)
        .map(|i| format!("(at: \"{i}s\", to: [\"bob@example.net\"], subject: \"Note {i}\", body: \"Message {i}.\\n\")"))
        .collect();
    format!(
        r#"(
    title: "Many messages",
    about: "A long run for stepping.",
    run_for: "2h",
    dns: [(name: "ns.example.org", ip: "192.0.2.53", zones: [
        (origin: "example.org", records: [Mx("example.org", 10, "smtp.example.org")]),
        (origin: "example.net", records: [Mx("example.net", 10, "mx.example.net")]),
    ])],
    mtas: [
        (name: "smtp.example.org", ip: "192.0.2.25", domains: ["example.org"],
         mailboxes: {{"alice@example.org": "alice"}}, submission: true),
        (name: "mx.example.net", ip: "198.51.100.25", domains: ["example.net"],
         mailboxes: {{"bob@example.net": "bob"}}),
    ],
    clients: [
        (name: "laptop.example.org", ip: "192.0.2.10", account: "alice@example.org",
         password: "alice", server: "smtp.example.org", send: [{sends}]),
        (name: "phone.example.net", ip: "198.51.100.10", account: "bob@example.net",
         password: "bob", server: "mx.example.net", fetch: ["1h"]),
    ],
    expect: [Delivered(to: "bob@example.net")],
)"#,
        sends = sends.join(",\n")
    )
}

#[test]
fn stepping_back_from_the_end_of_a_long_run_works_from_the_indexes() {
    let world = world_from_source(&many_messages(300), "many-messages (generated)");
    assert!(
        world.index.messages.len() >= 300,
        "{} messages",
        world.index.messages.len()
    );
    let mut app = App::new(world, Theme::dark());
    assert!(app.len() > 10_000, "a long trace: {} events", app.len());
    end(&mut app);
    let _ = draw(&app, 120, 40);
    for _ in 0..3000 {
        press(&mut app, KeyCode::Left);
    }
    assert!(app.pos < app.len());
    let _ = draw(&app, 120, 40);
    // Sessions back and forth from deep in the run.
    for _ in 0..200 {
        press(&mut app, KeyCode::Char('['));
    }
    for _ in 0..200 {
        press(&mut app, KeyCode::Char(']'));
    }
    end(&mut app);
    for view in View::ALL {
        app.view = view;
        let _ = draw(&app, 120, 40);
        for _ in 0..50 {
            press(&mut app, KeyCode::Left);
            let _ = draw(&app, 120, 40);
        }
    }
}

// ---- every line of a pipelined group is read on its own ------------------

/// The position and line of the first reply line containing `text`.
fn line_with(app: &App, text: &str) -> usize {
    app.world
        .index
        .lines
        .iter()
        .position(|l| l.dir == Dir::Down && l.text.contains(text))
        .unwrap_or_else(|| panic!("no reply line contains {text:?}"))
}

#[test]
fn each_reply_of_a_pipelined_group_is_selected_and_explained_rfc2920_3_2() {
    // unknown-user: MAIL, RCPT and DATA go at once; 250, 550 and 503 come
    // back at once. Stepping reads them one by one, each with its own words.
    let mut app = app("unknown-user");
    let refused = line_with(&app, "550 5.1.1");
    let seq = app.world.index.lines[refused].seq;
    app.seek(seq as usize + 1);
    let stops = app.world.index.stops_of(seq);
    assert_eq!(stops.len(), 3, "250, 550 and 503 came at once");
    let mut seen = Vec::new();
    for _ in 0..stops.len() {
        let text = screen(&app, 120, 40);
        let line = &app.world.index.lines[app.selected_line().expect("a line is selected")];
        assert!(text.contains(&format!("S: {}", line.text)), "{text}");
        seen.push(line.text.clone());
        press(&mut app, KeyCode::Right);
    }
    assert!(seen[1].starts_with("550 5.1.1"), "{seen:?}");
    app.seek_line(refused);
    let text = screen(&app, 120, 40);
    assert!(
        text.contains("Answers C: RCPT TO:<bobb@example.net>"),
        "{text}"
    );
    assert!(text.contains("Line 2 of 3 that came at once"), "{text}");
    assert!(text.contains("5.1.1"), "{text}");
}

#[test]
fn data_refused_after_refused_rcpts_is_explained_as_the_consequence_rfc2920_3_1() {
    let mut app = app("unknown-user");
    app.seek_line(line_with(&app, "503 5.5.1"));
    let text = screen(&app, 120, 40);
    assert!(text.contains("Answers C: DATA"), "{text}");
    assert!(text.contains("this refusal was expected"), "{text}");
}

#[test]
fn search_lands_on_the_line_found_not_on_its_group() {
    let mut app = app("greylisting");
    press(&mut app, KeyCode::Char('/'));
    for c in "Greylisted".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    press(&mut app, KeyCode::Enter);
    let line = &app.world.index.lines[app.selected_line().expect("a line is selected")];
    assert!(line.text.starts_with("450"), "{}", line.text);
}

#[test]
fn the_failures_filter_jumps_to_the_failing_line_of_a_group() {
    let mut app = app("greylisting");
    press(&mut app, KeyCode::Char('6'));
    press(&mut app, KeyCode::Char('x'));
    let text = screen(&app, 160, 40);
    assert!(
        text.contains("450 4.7.1") && text.contains("(line 2 of 3)"),
        "the group is listed by its refusal: {text}"
    );
    let list = mailflow::tui::view::events::filtered(&app, &app.views.events_filter);
    let at = list
        .iter()
        .position(|&i| {
            mailflow::trace::describe::event_text(app.trace(), &app.trace().events()[i])
                .contains("450 4.7.1")
        })
        .expect("the 450 group passes the filter");
    app.views.events_selected = at;
    press(&mut app, KeyCode::Enter);
    let line = &app.world.index.lines[app.selected_line().expect("a line is selected")];
    assert!(line.text.starts_with("450 4.7.1"), "{}", line.text);
}

#[test]
fn end_in_the_events_view_moves_the_list_with_the_playhead() {
    let mut app = app("hello");
    press(&mut app, KeyCode::Char('6'));
    end(&mut app);
    let rows = mailflow::tui::view::events::filtered(&app, &app.views.events_filter).len();
    assert_eq!(app.views.events_selected, rows - 1);
    let text = screen(&app, 120, 40);
    assert!(text.contains(&format!("▶{} ", app.len())), "{text}");
}

#[test]
fn every_event_kind_the_dashboard_stops_at_is_explained() {
    // The retry, the connect and the close are where a student asks "why
    // now?": each has a heading, a reason and a catalog entry.
    for name in ["greylisting", "unknown-user", "mx-backup"] {
        let mut app = app(name);
        for pos in 1..=app.len() {
            app.seek(pos);
            let event = app.current().expect("an event").clone();
            let catalog = mailflow::explain::Catalog::builtin();
            let explained = mailflow::tui::view::explain::explanation(&app, &event, catalog);
            assert!(!explained.heading.is_empty(), "{name} {pos}");
            let lines = matches!(
                event.kind,
                EventKind::Bytes { .. } | EventKind::Datagram { .. }
            );
            if !lines {
                assert!(
                    !explained.entries.is_empty(),
                    "{name} event {pos} ({:?}) has no catalog entry",
                    event.kind
                );
            }
            if matches!(
                event.kind,
                EventKind::Wake { .. } | EventKind::Connect { .. } | EventKind::Close { .. }
            ) {
                assert!(
                    !explained.context.is_empty(),
                    "{name} event {pos}: why now?"
                );
            }
        }
    }
}

// ---- one meaning per key (issue 9, item 9) --------------------------------

#[test]
fn every_key_has_one_meaning_in_the_binding_table() {
    use mailflow::tui::keys::BINDINGS;
    let mut seen: Vec<KeyCode> = Vec::new();
    for b in BINDINGS {
        for (code, _) in b.keys {
            assert!(
                !seen.contains(code),
                "{code:?} is bound twice (again in {:?})",
                b.label
            );
            seen.push(*code);
        }
    }
    assert!(seen.contains(&KeyCode::Char('n')) && seen.contains(&KeyCode::Char('o')));
}

#[test]
fn the_help_lists_every_binding_of_the_table() {
    let mut app = app("hello");
    press(&mut app, KeyCode::Char('?'));
    let help = screen(&app, 120, 40);
    for b in mailflow::tui::keys::BINDINGS {
        assert!(help.contains(b.label), "{} missing:\n{help}", b.label);
    }
}

/// At 80×24 the help is taller than the screen: ↓ and PgDn scroll it, the
/// border says how much lies below, and every binding and every symbol
/// of the legend shows on one of its pages; any other key closes it.
#[test]
fn the_help_at_80x24_scrolls_to_every_binding_and_symbol() {
    use crossterm::event::KeyEvent;
    use mailflow::tui::view::help::SYMBOLS;
    let key = |app: &mut App, code: KeyCode| {
        mailflow::tui::keys::handle_key(app, KeyEvent::from(code), rect(80, 24))
    };
    for step in [KeyCode::Down, KeyCode::PageDown] {
        let mut app = app("hello");
        key(&mut app, KeyCode::Char('?'));
        let first = screen(&app, 80, 24);
        assert!(
            first.contains("more lines"),
            "says more lies below:\n{first}"
        );
        let mut seen = first.clone();
        for _ in 0..40 {
            key(&mut app, step);
            assert_eq!(app.overlay, Overlay::Help, "{step:?} scrolls, not closes");
            seen.push_str(&screen(&app, 80, 24));
        }
        let last = screen(&app, 80, 24);
        assert!(!last.contains("more lines"), "the end is reached:\n{last}");
        assert!(last.contains("more above"), "says what lies above:\n{last}");
        for b in mailflow::tui::keys::BINDINGS {
            assert!(seen.contains(b.label), "{} never shows:\n{seen}", b.label);
            assert!(seen.contains(b.what), "{:?} never shows:\n{seen}", b.what);
        }
        for (symbol, meaning) in SYMBOLS {
            let row = format!("{symbol} {meaning}");
            assert!(seen.contains(&row), "{row:?} never shows:\n{seen}");
        }
        // Back up to the top, then any other key closes the help.
        key(&mut app, KeyCode::PageUp);
        key(&mut app, KeyCode::PageUp);
        key(&mut app, KeyCode::PageUp);
        assert_eq!(screen(&app, 80, 24), first, "PgUp returns to the top");
        key(&mut app, KeyCode::Char('x'));
        assert_eq!(app.overlay, Overlay::None);
        assert_eq!(app.pos, 0, "the closing key did nothing else");
    }
}

/// Where the help shows whole (120×40), the arrows close it like any key.
#[test]
fn the_help_that_fits_closes_on_an_arrow() {
    let mut app = app("hello");
    press(&mut app, KeyCode::Char('?'));
    assert!(screen(&app, 120, 40).contains("any key closes"));
    press(&mut app, KeyCode::Down);
    assert_eq!(app.overlay, Overlay::None);
}

#[test]
fn n_finds_the_next_match_in_the_events_view_too() {
    let mut app = app("hello");
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "QUIT");
    press(&mut app, KeyCode::Enter);
    let first = app.pos;
    press(&mut app, KeyCode::Char('6'));
    press(&mut app, KeyCode::Char('n'));
    assert_ne!(app.pos, first, "n found the next QUIT");
    assert_eq!(app.views.events_filter.host, None, "n is not a filter");
}

#[test]
fn o_filters_one_host_only_in_the_events_view_and_says_so_elsewhere() {
    let mut app = app("hello");
    press(&mut app, KeyCode::Char('o'));
    assert_eq!(app.views.events_filter.host, None);
    assert!(
        app.notice.as_deref().is_some_and(|n| n.contains("press 6")),
        "{:?}",
        app.notice
    );
    press(&mut app, KeyCode::Char('6'));
    press(&mut app, KeyCode::Char('o'));
    assert_eq!(app.views.events_filter.host, Some(0));
    assert!(
        screen(&app, 120, 40).contains("o host"),
        "the footer says it"
    );
}

#[test]
fn shift_tab_goes_back_and_focus_key_names_the_one_key_that_reaches_a_pane() {
    use mailflow::tui::keys::focus_key;
    let mut app = app("hello");
    assert_eq!(app.focus, Focus::Transcript);
    press_with(&mut app, KeyCode::BackTab, KeyModifiers::SHIFT);
    assert_eq!(app.focus, Focus::Map);
    assert_eq!(focus_key(Focus::Transcript, Focus::Explain), Some("Tab"));
    assert_eq!(focus_key(Focus::Map, Focus::Explain), Some("⇧Tab"));
    assert_eq!(focus_key(Focus::Explain, Focus::Explain), None);
    // The key named does reach the pane, from every pane.
    for from in [Focus::Map, Focus::Transcript, Focus::Explain] {
        app.focus = from;
        match focus_key(from, Focus::Explain) {
            Some("Tab") => press(&mut app, KeyCode::Tab),
            Some(_) => press_with(&mut app, KeyCode::BackTab, KeyModifiers::SHIFT),
            None => {}
        }
        assert_eq!(app.focus, Focus::Explain, "from {from:?}");
    }
}

#[test]
fn a_click_that_pins_a_session_says_so() {
    let screen_rect = rect(120, 40);
    let mut app = app("hello");
    app.seek(pos_of_reply_to(&app, Protocol::Submission, "MAIL FROM"));
    let pane = main_panes(120, 40).transcript;
    click(&mut app, pane.x + 5, pane.y + 2, screen_rect);
    assert!(app.pinned.is_some());
    assert!(
        app.notice
            .as_deref()
            .is_some_and(|n| n.contains("pinned") && n.contains("p follows")),
        "{:?}",
        app.notice
    );
}

#[test]
fn a_search_notice_clears_once_the_playhead_moves_by_other_means() {
    let mut app = app("greylisting");
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "Greylisted");
    press(&mut app, KeyCode::Enter);
    assert!(app.notice.as_deref().is_some_and(|n| n.contains("found")));
    // Playing moves it on.
    press(&mut app, KeyCode::Char(' '));
    let before = (app.pos, app.part);
    mailflow::tui::advance(&mut app, Duration::from_secs(5));
    assert!((app.pos, app.part) > before, "playing moved the playhead");
    assert_eq!(app.notice, None);
    // So does a click.
    press(&mut app, KeyCode::Char(' '));
    press(&mut app, KeyCode::Char('n'));
    assert!(app.notice.is_some());
    mouse(&mut app, MouseEventKind::ScrollDown, 5, 5, rect(120, 40));
    assert_eq!(app.notice, None);
}

#[test]
fn a_click_on_a_line_inside_a_pipelined_group_selects_that_line() {
    let screen_rect = rect(120, 40);
    let mut app = app("greylisting");
    let refused = line_index(&app, Protocol::Smtp, Dir::Down, "450");
    app.seek_line(refused);
    // Select the first line of the group, then click the 450 on screen.
    app.seek(app.pos);
    assert_ne!(app.selected_line(), Some(refused));
    click_transcript_line(&mut app, "S: 450 4.7.1", screen_rect);
    assert_eq!(app.selected_line(), Some(refused), "the 450 is selected");
    let text = screen(&app, 120, 40);
    assert!(
        text.contains("Delivery not authorized, for now"),
        "the 450 is explained:\n{text}"
    );
}

#[test]
fn the_map_label_of_a_group_names_the_selected_line() {
    let mut app = app("greylisting");
    app.seek_line(line_index(&app, Protocol::Smtp, Dir::Down, "450"));
    let text = screen(&app, 200, 60);
    assert!(
        text.contains("2 of 3: 450 4.7.1 Greylisted"),
        "the map carries the 450, line 2 of 3:\n{text}"
    );
}

#[test]
fn the_status_line_says_time_skipped_once() {
    let mut app = app("greylisting");
    let wake = (1..=app.len())
        .find(|&p| {
            app.seek(p);
            app.gap_before().is_some()
                && matches!(app.current().map(|e| &e.kind), Some(EventKind::Wake { .. }))
        })
        .expect("greylisting sleeps until the retry");
    app.seek(wake);
    let text = screen(&app, 200, 60);
    let status = text
        .lines()
        .find(|l| l.contains("later:"))
        .unwrap_or_else(|| panic!("a status line announcing the gap:\n{text}"));
    assert_eq!(status.matches('⏩').count(), 1, "{status}");
}

#[test]
fn the_ladder_marks_the_selected_line_of_a_group_and_shows_it_whole() {
    let mut app = app("greylisting");
    app.seek_line(line_index(&app, Protocol::Smtp, Dir::Down, "450"));
    app.view = View::Ladder;
    let text = screen(&app, 120, 40);
    let marked: Vec<&str> = text.lines().filter(|l| l.contains("┃▶")).collect();
    assert_eq!(marked.len(), 1, "one ▶ row:\n{text}");
    assert!(marked[0].contains("450 4.7.1"), "{}", marked[0]);
    let others = text.lines().filter(|l| l.contains("┃▷")).count();
    assert_eq!(
        others, 2,
        "the 250 and the 503 are the rest of the group:\n{text}"
    );
    assert!(
        text.contains("▶ 450 4.7.1 Greylisted: please try again in 5 minute(s) (RFC 6647)"),
        "the cut reply stands whole along the bottom:\n{text}"
    );
}

#[test]
fn a_row_the_ladder_shows_whole_is_not_repeated_below() {
    let mut app = app("hello");
    app.seek(pos_of_line(&app, Protocol::Submission, Dir::Up, "QUIT"));
    app.view = View::Ladder;
    let text = screen(&app, 200, 60);
    let last = text
        .lines()
        .rev()
        .find(|l| l.contains('┗'))
        .unwrap_or_default();
    assert!(!last.contains("▶"), "nothing cut, nothing repeated: {last}");
}

/// `e` shows the transcript as an eavesdropper on the link has it: each
/// flight read inside TLS becomes the records that carried it (RFC 8446
/// §5.2: only lengths and ciphertext), and `e` again brings the lines back.
#[test]
fn e_shows_the_tls_records_an_eavesdropper_sees_instead_of_the_lines_rfc8446_5_2() {
    let mut app = app("starttls");
    let auth = app
        .trace()
        .events()
        .iter()
        .position(|e| {
            matches!(&e.kind, EventKind::Bytes { data, sealed: Some(_), .. }
                if data.as_bytes().starts_with(b"AUTH PLAIN"))
        })
        .expect("the laptop's AUTH, inside TLS");
    app.seek(auth + 1);
    let ends = screen(&app, 120, 40);
    assert!(ends.contains("C🔒 AUTH PLAIN"), "{ends}");
    press(&mut app, KeyCode::Char('e'));
    let link = screen(&app, 120, 40);
    // The transcript holds the link's records (the map and the
    // explanation still say what the line under the playhead is).
    assert!(
        !link.contains("C🔒 AUTH PLAIN"),
        "the password is not on the link:\n{link}"
    );
    assert!(link.contains("C🔒 1 encrypted record ("), "{link}");
    assert!(link.contains("e: the link's view"), "{link}");
    // Lines in plaintext before STARTTLS stay as they were.
    assert!(link.contains("C:  STARTTLS"), "{link}");
    press(&mut app, KeyCode::Char('e'));
    assert!(screen(&app, 120, 40).contains("C🔒 AUTH PLAIN"));
}

/// Authentication-Results is folded with CRLF TAB (src/auth). Unfolding
/// removes only the CRLF (RFC 5322 §2.2.3): the tab stays, and a terminal
/// cell has no tab, so the letter shows it as a space, never as nothing.
#[test]
fn unfolded_header_values_keep_their_whitespace_in_the_letter_rfc5322_2_2_3() {
    let mut app = app("dmarc-none");
    end(&mut app);
    press(&mut app, KeyCode::Char('3'));
    let shown = screen(&app, 200, 60);
    assert!(
        shown.contains("Authentication-Results:"),
        "the letter shows the field:\n{shown}"
    );
    assert!(
        !shown.contains(";spf=") && !shown.contains(";dkim=") && !shown.contains(";dmarc="),
        "a folded tab vanished:\n{shown}"
    );
    assert!(
        shown.contains("; spf=") || shown.contains("; dkim=") || shown.contains("; dmarc="),
        "the results are separated by the kept whitespace:\n{shown}"
    );
}

/// The Explain pane says a command was thrown away only where the trace
/// shows it: sent in plaintext behind a STARTTLS answered 220, and never
/// answered (RFC 3207 §4.2, CVE-2011-0411). Checked on every line of every
/// bundled scenario, so no other unanswered line is called discarded.
#[test]
fn only_lines_behind_an_accepted_starttls_are_explained_as_thrown_away_rfc3207_4_2() {
    let catalog = mailflow::explain::Catalog::builtin();
    for name in mailflow::scenario::bundled::names() {
        let mut app = app(name);
        let mut flagged = Vec::new();
        let mut last = None;
        for _ in 0..20_000 {
            press(&mut app, KeyCode::Right);
            let here = (app.pos, app.selected_line());
            if last == Some(here) {
                break;
            }
            last = Some(here);
            let Some(event) = app.current().cloned() else {
                continue;
            };
            let explained = mailflow::tui::view::explain::explanation(&app, &event, catalog);
            if explained
                .context
                .iter()
                .any(|c| c.contains("threw it away"))
            {
                flagged.push(explained.heading.clone());
            }
        }
        flagged.dedup();
        let expected: Vec<String> = if name == "starttls-injection" {
            vec![
                "C: RSET".into(),
                "C: MAIL FROM:<postmaster@example.org>".into(),
            ]
        } else {
            Vec::new()
        };
        assert_eq!(flagged, expected, "{name}");
    }
}
