//! What the dashboard shows, frozen: each view of a bundled scenario at a
//! playhead a lesson talks about, drawn on ratatui's `TestBackend` and
//! compared as text. The trace is deterministic (same scenario, same seed,
//! same bytes), so the screens are too. Playheads are found by meaning
//! ("the relay's RCPT TO"), not by number, so a new event earlier in a run
//! moves them without breaking them.
//!
//! Read a changed snapshot as a student would before accepting it.

#[path = "support/tui.rs"]
mod support;

use crossterm::event::KeyCode;
use mailflow::trace::{Dir, EventKind, Protocol};
use mailflow::tui::app::View;
use mailflow::tui::{App, Theme};
use support::*;

/// A screen, with a header naming the scenario, size and playhead, so a
/// reviewer knows what they look at.
fn shot(app: &App, width: u16, height: u16) -> String {
    format!(
        "{} at event {}/{} ({}), {width}x{height}, view {:?}\n{}",
        app.world.title,
        app.pos,
        app.len(),
        app.now(),
        app.view,
        screen(app, width, height)
    )
}

fn at(mut app: App, pos: usize) -> App {
    app.seek(pos);
    app
}

fn view(mut app: App, view: View) -> App {
    app.view = view;
    app
}

// ---- the main view of hello, along the trip -----------------------------

#[test]
fn main_hello_at_the_start_introduces_the_lesson() {
    let app = app("hello");
    insta::assert_snapshot!("main_hello_start", shot(&app, 120, 40));
}

#[test]
fn main_hello_during_submission_shows_mail_from_on_587() {
    let app = app("hello");
    let pos = pos_of_line(&app, Protocol::Submission, Dir::Up, "MAIL FROM");
    let app = at(app, pos);
    insta::assert_snapshot!("main_hello_submission_mail_from", shot(&app, 120, 40));
}

#[test]
fn main_hello_during_submission_auth_reply() {
    let app = app("hello");
    let pos = pos_of_reply_to(&app, Protocol::Submission, "AUTH");
    let app = at(app, pos);
    insta::assert_snapshot!("main_hello_submission_auth_reply", shot(&app, 120, 40));
}

#[test]
fn main_hello_dns_lookup_of_the_mx() {
    let app = app("hello");
    let pos = pos_of_dns_query(&app, "smtp.example.org", "MX?");
    let app = at(app, pos);
    insta::assert_snapshot!("main_hello_dns_mx_query", shot(&app, 120, 40));
}

#[test]
fn main_hello_dns_answer_of_the_mx() {
    let app = app("hello");
    let pos = pos_of_dns_query(&app, "smtp.example.org", "MX?") + 1;
    let app = at(app, pos);
    insta::assert_snapshot!("main_hello_dns_mx_answer", shot(&app, 120, 40));
}

#[test]
fn main_hello_relay_rcpt_to_on_port_25() {
    let app = app("hello");
    let pos = pos_of_line(&app, Protocol::Smtp, Dir::Up, "RCPT TO");
    let app = at(app, pos);
    insta::assert_snapshot!("main_hello_relay_rcpt", shot(&app, 120, 40));
}

#[test]
fn main_hello_relay_replies_to_rcpt() {
    let app = app("hello");
    let pos = pos_of_reply_to(&app, Protocol::Smtp, "MAIL FROM");
    let app = at(app, pos);
    insta::assert_snapshot!("main_hello_relay_rcpt_reply", shot(&app, 120, 40));
}

#[test]
fn main_hello_pop3_retrieval_shows_the_letter_with_received_lines() {
    let app = app("hello");
    let pos = pos_of_reply_to(&app, Protocol::Pop3, "RETR");
    let app = at(app, pos);
    insta::assert_snapshot!("main_hello_pop3_retr", shot(&app, 120, 40));
}

#[test]
fn main_hello_at_the_end() {
    let app = app("hello");
    let end = app.len();
    let app = at(app, end);
    insta::assert_snapshot!("main_hello_end", shot(&app, 120, 40));
}

#[test]
fn main_hello_across_the_five_minute_gap_announces_it() {
    let app = app("hello");
    let pos = pos_of_dns_query(&app, "phone.example.net", "A?");
    let app = at(app, pos);
    assert!(
        app.gap_before().is_some(),
        "the phone's first query comes after a long quiet stretch"
    );
    insta::assert_snapshot!("main_hello_after_gap", shot(&app, 120, 40));
}

// ---- other sizes --------------------------------------------------------

#[test]
fn main_hello_80x24_during_the_relay() {
    let app = app("hello");
    let pos = pos_of_line(&app, Protocol::Smtp, Dir::Up, "RCPT TO");
    let app = at(app, pos);
    insta::assert_snapshot!("main_hello_80x24_relay_rcpt", shot(&app, 80, 24));
}

#[test]
fn main_hello_80x24_at_the_start() {
    let app = app("hello");
    insta::assert_snapshot!("main_hello_80x24_start", shot(&app, 80, 24));
}

#[test]
fn main_hello_200x60_during_the_relay() {
    let app = app("hello");
    let pos = pos_of_line(&app, Protocol::Smtp, Dir::Up, "RCPT TO");
    let app = at(app, pos);
    insta::assert_snapshot!("main_hello_200x60_relay_rcpt", shot(&app, 200, 60));
}

#[test]
fn main_hello_20x5_the_smallest_dashboard() {
    let app = app("hello");
    let pos = pos_of_line(&app, Protocol::Smtp, Dir::Up, "RCPT TO");
    let app = at(app, pos);
    insta::assert_snapshot!("main_hello_20x5_relay_rcpt", shot(&app, 20, 5));
}

#[test]
fn main_hello_19x5_asks_for_a_larger_window() {
    let app = app("hello");
    insta::assert_snapshot!("main_hello_19x5", shot(&app, 19, 5));
}

// ---- the other views ----------------------------------------------------

#[test]
fn ladder_hello_at_the_end_draws_every_hop() {
    let app = app("hello");
    let end = app.len();
    let app = view(at(app, end), View::Ladder);
    insta::assert_snapshot!("ladder_hello_end", shot(&app, 120, 40));
}

#[test]
fn ladder_hello_during_the_relay() {
    let app = app("hello");
    let pos = pos_of_line(&app, Protocol::Smtp, Dir::Up, "RCPT TO");
    let app = view(at(app, pos), View::Ladder);
    insta::assert_snapshot!("ladder_hello_relay_rcpt", shot(&app, 120, 40));
}

#[test]
fn ladder_hello_before_the_message_exists() {
    let app = view(app("hello"), View::Ladder);
    insta::assert_snapshot!("ladder_hello_start", shot(&app, 120, 40));
}

#[test]
fn ladder_greylisting_shows_the_450_and_the_retry() {
    let app = app("greylisting");
    let end = app.len();
    let app = view(at(app, end), View::Ladder);
    insta::assert_snapshot!("ladder_greylisting_end", shot(&app, 120, 40));
}

#[test]
fn letter_hello_at_the_end_reads_the_received_chain() {
    let app = app("hello");
    let end = app.len();
    let app = view(at(app, end), View::Letter);
    insta::assert_snapshot!("letter_hello_end", shot(&app, 120, 40));
}

#[test]
fn letter_hello_before_delivery_is_as_the_client_sent_it() {
    let app = app("hello");
    let pos = pos_of_line(&app, Protocol::Smtp, Dir::Up, "RCPT TO");
    let app = view(at(app, pos), View::Letter);
    insta::assert_snapshot!("letter_hello_before_delivery", shot(&app, 120, 40));
}

#[test]
fn letter_three_domains_bounce_has_a_null_reverse_path() {
    let mut app = app("three-domains");
    let end = app.len();
    app.seek(end);
    // Follow the bounce: the message queued with a null reverse-path.
    let bounce = app.trace().events().iter().find_map(|e| match &e.kind {
        EventKind::Queued { rest, .. } if rest.from == "<>" => Some(rest.message_id.clone()),
        _ => None,
    });
    app.follow = Some(bounce.expect("three-domains bounces karol's copy"));
    let app = view(app, View::Letter);
    insta::assert_snapshot!("letter_three_domains_bounce", shot(&app, 120, 40));
}

#[test]
fn letter_hello_after_composed_names_the_writer_not_unwritten() {
    let app = app("hello");
    let pos = pos_after(&app, "the client writing", |e| {
        matches!(e.kind, EventKind::Composed { .. })
    });
    let app = view(at(app, pos), View::Letter);
    let screen = shot(&app, 120, 40);
    assert!(!screen.contains("not been written"), "{screen}");
    assert!(screen.contains("written by laptop.example.org"), "{screen}");
    insta::assert_snapshot!("letter_hello_after_composed", screen);
}

/// The bounce of unknown-user, followed at the end of the run.
fn follow_the_bounce(mut app: App) -> App {
    let bounce = app.trace().events().iter().find_map(|e| match &e.kind {
        EventKind::Queued { rest, .. } if rest.from == "<>" => Some(rest.message_id.clone()),
        _ => None,
    });
    app.follow = Some(bounce.expect("the scenario bounces"));
    app
}

#[test]
fn letter_unknown_user_bounce_filed_locally_says_no_session_carried_it() {
    let app = app("unknown-user");
    let end = app.len();
    let app = view(follow_the_bounce(at(app, end)), View::Letter);
    let screen = shot(&app, 120, 40);
    assert!(screen.contains("no session carried it"), "{screen}");
    // The envelope pane (left) claims no MAIL FROM; the bounce's own text
    // (right) may explain what MAIL FROM:<> means.
    let envelope_says = |l: &str| l.chars().take(48).collect::<String>().contains("MAIL FROM");
    assert!(!screen.lines().any(envelope_says), "{screen}");
    insta::assert_snapshot!("letter_unknown_user_bounce_filed", screen);
}

#[test]
fn queues_unknown_user_after_the_bounce_is_filed_none_waits() {
    let app = app("unknown-user");
    // The bounce is queued and filed, and neither entry is dequeued yet:
    // the moment the trial found "waiting for its first attempt" twice.
    let pos = pos_after(&app, "the bounce filed", |e| {
        matches!(e.kind, EventKind::Delivered { .. })
    });
    let app = view(at(app, pos), View::Queues);
    let screen = shot(&app, 120, 40);
    assert!(
        !screen.contains("waiting for its first attempt"),
        "{screen}"
    );
    insta::assert_snapshot!("queues_unknown_user_bounce_filed", screen);
}

#[test]
fn queues_greylisting_during_the_first_attempt_is_in_flight() {
    let app = app("greylisting");
    let pos = pos_after(&app, "the first attempt", |e| {
        matches!(e.kind, EventKind::Attempting { .. })
    });
    let app = view(at(app, pos), View::Queues);
    let screen = shot(&app, 120, 40);
    assert!(screen.contains("in flight on session [1]"), "{screen}");
    assert!(
        !screen.contains("waiting for its first attempt"),
        "{screen}"
    );
}

#[test]
fn queues_greylisting_during_deferral_show_the_retry() {
    let app = app("greylisting");
    let pos = pos_after(&app, "a deferral", |e| {
        matches!(e.kind, EventKind::Deferred { .. })
    });
    let app = view(at(app, pos), View::Queues);
    insta::assert_snapshot!("queues_greylisting_deferred", shot(&app, 120, 40));
}

#[test]
fn queues_mx_backup_during_deferral_on_the_backup() {
    let app = app("mx-backup");
    let pos = pos_after(&app, "a deferral", |e| {
        matches!(e.kind, EventKind::Deferred { .. })
    });
    let app = view(at(app, pos), View::Queues);
    insta::assert_snapshot!("queues_mx_backup_deferred", shot(&app, 120, 40));
}

#[test]
fn queues_hello_at_the_end_show_the_emptied_mailbox() {
    let app = app("hello");
    let end = app.len();
    let app = view(at(app, end), View::Queues);
    insta::assert_snapshot!("queues_hello_end", shot(&app, 120, 40));
}

#[test]
fn queues_hello_after_delivery_show_bobs_mailbox() {
    let app = app("hello");
    let pos = pos_after(&app, "a delivery", |e| {
        matches!(e.kind, EventKind::Delivered { .. })
    });
    let app = view(at(app, pos), View::Queues);
    insta::assert_snapshot!("queues_hello_delivered", shot(&app, 120, 40));
}

#[test]
fn dns_hello_at_the_end_lists_zones_and_queries() {
    let app = app("hello");
    let end = app.len();
    let app = view(at(app, end), View::Dns);
    insta::assert_snapshot!("dns_hello_end", shot(&app, 120, 40));
}

#[test]
fn dns_nxdomain_typo_at_the_end_marks_the_failure() {
    let app = app("nxdomain-typo");
    let end = app.len();
    let app = view(at(app, end), View::Dns);
    insta::assert_snapshot!("dns_nxdomain_typo_end", shot(&app, 120, 40));
}

#[test]
fn dns_hello_at_the_start_says_no_traffic_yet() {
    let app = view(app("hello"), View::Dns);
    insta::assert_snapshot!("dns_hello_start", shot(&app, 120, 40));
}

#[test]
fn events_three_domains_all() {
    let app = app("three-domains");
    let end = app.len();
    let app = view(at(app, end), View::Events);
    insta::assert_snapshot!("events_three_domains_all", shot(&app, 120, 40));
}

#[test]
fn events_three_domains_failures_only() {
    let mut app = view(app("three-domains"), View::Events);
    press(&mut app, KeyCode::End);
    press(&mut app, KeyCode::Char('x'));
    assert!(app.views.events_filter.failures_only);
    insta::assert_snapshot!("events_three_domains_failures", shot(&app, 120, 40));
}

#[test]
fn events_three_domains_failures_without_dns_for_one_host() {
    let mut app = view(app("three-domains"), View::Events);
    press(&mut app, KeyCode::End);
    press(&mut app, KeyCode::Char('x'));
    press(&mut app, KeyCode::Char('d'));
    // Press o until the filter names smtp.example.org.
    let smtp = app
        .trace()
        .hosts
        .iter()
        .position(|h| h.name == "smtp.example.org")
        .expect("three-domains has smtp.example.org") as u16;
    for _ in 0..=app.trace().hosts.len() {
        if app.views.events_filter.host == Some(smtp) {
            break;
        }
        press(&mut app, KeyCode::Char('o'));
    }
    assert_eq!(app.views.events_filter.host, Some(smtp), "o cycles hosts");
    insta::assert_snapshot!(
        "events_three_domains_failures_no_dns_smtp",
        shot(&app, 120, 40)
    );
}

#[test]
fn events_hello_midway_marks_what_has_not_happened() {
    let app = app("hello");
    let pos = pos_of_line(&app, Protocol::Smtp, Dir::Up, "RCPT TO");
    let mut app = view(at(app, pos), View::Events);
    app.views.events_selected = pos - 1;
    insta::assert_snapshot!("events_hello_relay_rcpt", shot(&app, 120, 40));
}

// ---- overlays and themes ------------------------------------------------

#[test]
fn help_overlay_120x40() {
    let mut app = app("hello");
    press(&mut app, KeyCode::Char('?'));
    insta::assert_snapshot!("help_120x40", shot(&app, 120, 40));
}

#[test]
fn help_overlay_80x24() {
    let mut app = app("hello");
    press(&mut app, KeyCode::Char('?'));
    insta::assert_snapshot!("help_80x24", shot(&app, 80, 24));
}

#[test]
fn help_overlay_80x24_scrolled_to_the_legend() {
    let mut app = app("hello");
    press(&mut app, KeyCode::Char('?'));
    let key = crossterm::event::KeyEvent::from(KeyCode::PageDown);
    mailflow::tui::keys::handle_key(&mut app, key, rect(80, 24));
    insta::assert_snapshot!("help_80x24_legend", shot(&app, 80, 24));
}

#[test]
fn help_overlay_200x60() {
    let mut app = app("hello");
    press(&mut app, KeyCode::Char('?'));
    insta::assert_snapshot!("help_200x60", shot(&app, 200, 60));
}

#[test]
fn mono_theme_carries_meaning_without_colour() {
    let mut app = App::new(world("greylisting"), Theme::mono());
    // The 450 inside the pipelined group, selected on its own.
    app.seek_line(line_index(&app, Protocol::Smtp, Dir::Down, "450"));
    let buffer = draw(&app, 120, 40);
    assert_eq!(
        coloured_cells(&buffer),
        Vec::<(u16, u16)>::new(),
        "mono draws no colour at all"
    );
    insta::assert_snapshot!(
        "mono_greylisting_450",
        format!(
            "{}\n{}",
            app.world.title,
            screen_with_emphasis(&app, 120, 40)
        )
    );
}

#[test]
fn mono_theme_events_failures_are_emphasised() {
    let mut app = App::new(world("three-domains"), Theme::mono());
    app.view = View::Events;
    press(&mut app, KeyCode::End);
    // Select the first failure, so that the list shows the failures
    // around it.
    let first_failure = app
        .trace()
        .events()
        .iter()
        .position(mailflow::tui::view::events::is_failure)
        .expect("three-domains fails somewhere");
    app.views.events_selected = first_failure;
    let buffer = draw(&app, 120, 40);
    assert_eq!(
        coloured_cells(&buffer),
        Vec::<(u16, u16)>::new(),
        "mono draws no colour at all"
    );
    insta::assert_snapshot!(
        "mono_three_domains_events",
        screen_with_emphasis(&app, 120, 40)
    );
}

// ---- live mode (mailflow serve) ---------------------------------------------

/// hello fed live up to the relay's RCPT TO, then paused while the rest
/// of the run arrives: the badge, what listens, the hint, the count.
fn live_paused_at_the_relay(theme: Theme) -> App {
    let (mut app, mut rest) = live_app("hello", theme);
    let whole = App::new(world("hello"), Theme::dark());
    let pos = pos_of_line(&whole, Protocol::Smtp, Dir::Up, "RCPT TO");
    app.extend(rest.drain(..pos));
    app.seek(pos);
    press(&mut app, KeyCode::Char(' '));
    assert!(!app.playing);
    app.extend(rest);
    app
}

#[test]
fn live_main_paused_counts_new_events() {
    let app = live_paused_at_the_relay(Theme::dark());
    insta::assert_snapshot!("live_main_paused_relay_rcpt", shot(&app, 120, 40));
}

#[test]
fn live_mono_80x24_badge_in_reverse_video() {
    let app = live_paused_at_the_relay(Theme::mono());
    let buffer = draw(&app, 80, 24);
    assert_eq!(
        coloured_cells(&buffer),
        Vec::<(u16, u16)>::new(),
        "mono draws no colour at all"
    );
    insta::assert_snapshot!("live_mono_80x24", screen_with_emphasis(&app, 80, 24));
}

// ---- what if? -------------------------------------------------------------

/// Greylisting with the relay's 450 selected and the what-if menu open.
fn what_if_menu() -> App {
    let mut app = app("greylisting");
    app.seek_line(line_index(&app, Protocol::Smtp, Dir::Down, "450"));
    press(&mut app, KeyCode::Char('w'));
    app
}

#[test]
fn what_if_menu_80x24() {
    insta::assert_snapshot!("what_if_menu_80x24", shot(&what_if_menu(), 80, 24));
}

#[test]
fn what_if_menu_120x40() {
    insta::assert_snapshot!("what_if_menu_120x40", shot(&what_if_menu(), 120, 40));
}

/// The menu's first choice, 250: the branch opens on what changed.
fn what_if_changes() -> App {
    let mut app = what_if_menu();
    press(&mut app, KeyCode::Char('1'));
    app
}

#[test]
fn what_if_changes_80x24() {
    insta::assert_snapshot!("what_if_changes_80x24", shot(&what_if_changes(), 80, 24));
}

#[test]
fn what_if_changes_120x40() {
    insta::assert_snapshot!("what_if_changes_120x40", shot(&what_if_changes(), 120, 40));
}
