//! Queues and mailboxes as they stand at the playhead: each MTA's queue
//! entries with their recipients, attempts and next retry, and each
//! mailbox's messages. Derived by walking the facts up to the playhead.

use std::collections::BTreeMap;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::text::wrap;
use super::{pane, scroll_in};
use crate::mail::Headers;
use crate::trace::{EventKind, HostId, SimTime, Trace};
use crate::tui::app::App;

/// One queue entry at the playhead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub host: HostId,
    pub queue_id: String,
    pub from: String,
    pub rcpts: Vec<String>,
    pub attempts: u32,
    pub retry_at: Option<SimTime>,
    pub last_reason: Option<String>,
}

/// One stored message at the playhead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub uid: String,
    pub subject: String,
    pub from: String,
    pub at: SimTime,
}

/// Mailboxes by (host, address).
pub type Mailboxes = BTreeMap<(HostId, String), Vec<Stored>>;

/// Queue entries (in arrival order) and mailboxes at the playhead.
pub fn state_at(trace: &Trace, pos: usize) -> (Vec<Entry>, Mailboxes) {
    let mut queue: Vec<Entry> = Vec::new();
    let mut boxes = Mailboxes::new();
    for e in &trace.events()[..pos.min(trace.len())] {
        match &e.kind {
            EventKind::Queued {
                host,
                queue_id,
                from,
                rcpts,
                ..
            } => queue.push(Entry {
                host: *host,
                queue_id: queue_id.clone(),
                from: from.clone(),
                rcpts: rcpts.clone(),
                attempts: 0,
                retry_at: None,
                last_reason: None,
            }),
            EventKind::Deferred {
                host,
                queue_id,
                attempts,
                retry_at,
                attempt,
            } => {
                if let Some(q) = queue
                    .iter_mut()
                    .find(|q| q.host == *host && q.queue_id == *queue_id)
                {
                    q.attempts = *attempt;
                    q.retry_at = Some(*retry_at);
                    q.rcpts = attempts.iter().map(|a| a.rcpt.clone()).collect();
                    q.last_reason = attempts.first().map(|a| a.reason.clone());
                }
            }
            EventKind::Dequeued { host, queue_id } => {
                queue.retain(|q| !(q.host == *host && q.queue_id == *queue_id))
            }
            EventKind::Delivered {
                host,
                mailbox,
                uid,
                content,
                ..
            } => {
                let headers = Headers::parse(content.as_bytes());
                boxes
                    .entry((*host, mailbox.clone()))
                    .or_default()
                    .push(Stored {
                        uid: uid.clone(),
                        subject: headers.get_decoded("Subject").unwrap_or_default(),
                        from: headers.get("From").unwrap_or_default().to_owned(),
                        at: e.at,
                    });
            }
            EventKind::Removed {
                host,
                mailbox,
                uids,
            } => {
                if let Some(b) = boxes.get_mut(&(*host, mailbox.clone())) {
                    b.retain(|s| !uids.contains(&s.uid));
                }
            }
            _ => {}
        }
    }
    (queue, boxes)
}

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    let trace = app.trace();
    let (queue, boxes) = state_at(trace, app.pos);
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
        lines.extend(wrap(
            &[
                Span::styled(format!("{} ", trace.name(q.host)), theme.mta),
                Span::styled(q.queue_id.clone(), theme.title),
                Span::styled(format!("  from {}", q.from), theme.base),
            ],
            room,
            4,
        ));
        lines.extend(wrap(
            &[Span::styled(
                format!("  to {}", q.rcpts.join(", ")),
                theme.base,
            )],
            room,
            4,
        ));
        let state = match (q.attempts, q.retry_at) {
            (0, _) | (_, None) => Span::styled("  waiting for its first attempt", theme.dim),
            (n, Some(at)) => {
                let tries = if n == 1 {
                    "1 attempt".to_owned()
                } else {
                    format!("{n} attempts")
                };
                Span::styled(format!("  ⏩ {tries} so far; next try at {at}"), theme.warn)
            }
        };
        lines.extend(wrap(&[state], room, 4));
        if let Some(reason) = &q.last_reason {
            lines.extend(wrap(
                &[Span::styled(format!("  last: {reason}"), theme.dim)],
                room,
                4,
            ));
        }
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
                Span::styled(address.clone(), theme.title),
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
