//! Queues and mailboxes as they stand at the playhead: each MTA's queue
//! entries with where each recipient stands (waiting, in flight, deferred
//! and why, relayed, filed, failed), and each mailbox's messages. The
//! state comes from `trace::state`, built once for the whole run.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::text::wrap;
use super::{pane, scroll_in};
use crate::trace::Trace;
use crate::trace::state::{EntryAt, Rcpt, What, path};
use crate::tui::app::App;
use crate::tui::theme::Theme;

/// The lines of one queue entry: who and what, each recipient's state,
/// and what comes next when the entry waits for a retry or bounced.
fn entry_lines(q: &EntryAt, trace: &Trace, theme: &Theme, room: usize) -> Vec<Line<'static>> {
    let e = q.entry;
    let made_here = if e.conn.is_none() && e.from == "<>" {
        " (a bounce made here)"
    } else {
        ""
    };
    let mut lines = wrap(
        &[
            Span::styled(format!("{} ", trace.name(e.host)), theme.mta),
            Span::styled(e.queue_id.clone(), theme.title),
            Span::styled(format!("  from {}{made_here}", path(&e.from)), theme.base),
        ],
        room,
        4,
    );
    for (rcpt, state) in q.rcpts() {
        let (text, style) = match state {
            Rcpt::Waiting => ("waiting for its first attempt".to_owned(), theme.dim),
            Rcpt::InFlight(conn) => (format!("in flight on session [{}]", conn.0), theme.accent),
            Rcpt::Deferred(why) => (format!("deferred: {why}"), theme.warn),
            Rcpt::Relayed(to) => (format!("relayed to {}", trace.name(to)), theme.ok),
            Rcpt::Delivered(mailbox) if path(&mailbox).eq_ignore_ascii_case(&rcpt) => {
                ("filed into its mailbox here".to_owned(), theme.ok)
            }
            Rcpt::Delivered(mailbox) => (
                format!("filed into the mailbox of {}", path(&mailbox)),
                theme.ok,
            ),
            Rcpt::Failed(why) => (format!("✗ failed: {why}"), theme.err),
            Rcpt::Expired => ("✗ expired: too old to keep trying".to_owned(), theme.err),
        };
        lines.extend(wrap(
            &[
                Span::styled(format!("  to {rcpt}: "), theme.base),
                Span::styled(text, style),
            ],
            room,
            4,
        ));
    }
    let next = match q.last().map(|f| &f.what) {
        Some(What::Deferred {
            attempt, retry_at, ..
        }) => Some((
            format!("  ⏩ attempt {attempt} failed; the next try is at {retry_at}"),
            theme.warn,
        )),
        Some(What::Bounced { dsn: Some(dsn), .. }) => Some((
            format!("  ✗ bounced: a report goes back to the sender as {dsn}"),
            theme.err,
        )),
        Some(What::Bounced { dsn: None, .. }) => Some((
            "  ✗ dropped: a bounce that fails is never bounced".to_owned(),
            theme.err,
        )),
        Some(What::Loop { hops }) => Some((
            format!("  ✗ refused as a mail loop: {hops} Received headers"),
            theme.err,
        )),
        _ => None,
    };
    if let Some((text, style)) = next {
        lines.extend(wrap(&[Span::styled(text, style)], room, 4));
    }
    lines
}

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    let trace = app.trace();
    let queue = app.state.queue_at(app.pos);
    let boxes = app.state.mailboxes_at(app.pos);
    // Side by side when wide, else queues above mailboxes.
    let [left, right] = if area.width >= 100 {
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(area)
    } else {
        Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(area)
    };
    let room = left.width.saturating_sub(2) as usize;
    let mut lines = Vec::new();
    if queue.is_empty() {
        let text =
            "Every queue is empty at this moment: each message is delivered, or not yet sent.";
        lines.extend(wrap(&[Span::styled(text, theme.dim)], room, 0));
    }
    for q in &queue {
        lines.extend(entry_lines(q, trace, theme, room));
    }
    let title = format!(" Queues ({}) at {} ", queue.len(), app.now());
    let (scroll, more) = scroll_in(app.views.scroll, lines.len(), left);
    let block =
        pane(title, true, app).title_bottom(Line::styled(more.unwrap_or_default(), theme.accent));
    frame.render_widget(
        Paragraph::new(lines.clone())
            .scroll((scroll.min(lines.len().saturating_sub(1) as u16), 0))
            .style(theme.base)
            .block(block),
        left,
    );
    let room = right.width.saturating_sub(2) as usize;
    let mut lines = Vec::new();
    for ((host, address), messages) in &boxes {
        let count = match messages.len() {
            0 => "empty".to_owned(),
            1 => "1 message".to_owned(),
            n => format!("{n} messages"),
        };
        lines.extend(wrap(
            &[
                Span::styled(path(address), theme.title),
                Span::styled(format!(" on {}: {count}", trace.name(*host)), theme.dim),
            ],
            room,
            4,
        ));
        if messages.is_empty() {
            lines.push(Line::styled(
                "  (its owner fetched and deleted what came)",
                theme.dim,
            ));
        }
        for m in messages {
            lines.extend(wrap(
                &[Span::styled(
                    format!("  ✉ {} {:?} from {}", m.at, m.subject, m.from),
                    theme.ok,
                )],
                room,
                4,
            ));
        }
    }
    if lines.is_empty() {
        lines.extend(wrap(
            &[Span::styled("No mailbox holds a message yet.", theme.dim)],
            room,
            0,
        ));
    }
    let (scroll, more) = scroll_in(app.views.scroll, lines.len(), right);
    let block = pane(" Mailboxes ".into(), false, app)
        .title_bottom(Line::styled(more.unwrap_or_default(), theme.accent));
    frame.render_widget(
        Paragraph::new(lines.clone())
            .scroll((scroll.min(lines.len().saturating_sub(1) as u16), 0))
            .style(theme.base)
            .block(block),
        right,
    );
}
