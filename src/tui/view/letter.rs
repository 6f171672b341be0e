//! Envelope vs. letter: on the left, the SMTP envelope each hop received
//! (MAIL FROM, RCPT TO); on the right, the message as the recipient sees
//! it, with the Received chain read bottom-up and each Received line tied
//! to the hop that wrote it (Enter jumps to that session). Bcc recipients
//! and bounces (null reverse-path) are where the two differ.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::pane;
use crate::mail::{Headers, NamedMailbox, Received};
use crate::trace::transcript::LineKind;
use crate::trace::{ConnId, EventKind, HostId};
use crate::tui::app::App;

/// A hop of the followed message: where it was queued and how it came.
#[derive(Debug, Clone)]
pub struct Hop {
    pub seq: u64,
    pub host: HostId,
    pub queue_id: String,
    pub from: String,
    pub rcpts: Vec<String>,
    pub conn: Option<ConnId>,
}

/// The hops of the followed message up to the playhead.
pub fn hops(app: &App) -> Vec<Hop> {
    let Some(id) = &app.follow else { return Vec::new() };
    app.trace().events()[..app.pos]
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Queued { host, queue_id, message_id, from, rcpts, conn } if message_id == id => Some(Hop {
                seq: e.seq,
                host: *host,
                queue_id: queue_id.clone(),
                from: from.clone(),
                rcpts: rcpts.clone(),
                conn: *conn,
            }),
            _ => None,
        })
        .collect()
}

/// The letter as far as it got: the stored copy once delivered, else what
/// the client sent in its first session.
pub fn letter(app: &App) -> Option<(String, Vec<u8>)> {
    let id = app.follow.as_ref()?;
    let events = &app.trace().events()[..app.pos];
    if let Some((mailbox, content)) = events.iter().rev().find_map(|e| match &e.kind {
        EventKind::Delivered { mailbox, message_id, content, .. } if message_id == id => Some((mailbox.clone(), content.as_bytes().to_vec())),
        _ => None,
    }) {
        return Some((format!("as stored for {mailbox}"), content));
    }
    let index = &app.world.index;
    let first_session = index.message_seqs(id).into_iter().find_map(|seq| match app.trace().events()[seq as usize].kind {
        EventKind::Connect { conn, .. } => index.session(conn),
        _ => None,
    })?;
    let mut content = Vec::new();
    for &i in &first_session.lines {
        let line = &index.lines[i];
        if line.seq as usize >= app.pos || (line.kind == LineKind::Data && line.text == ".") {
            break;
        }
        if line.kind == LineKind::Data {
            content.extend_from_slice(line.text.strip_prefix('.').unwrap_or(&line.text).as_bytes());
            content.extend_from_slice(b"\r\n");
        }
    }
    (!content.is_empty()).then(|| ("as the client sent it (not delivered yet)".to_owned(), content))
}

/// The Received fields of the letter, top (newest) first, each with the
/// session of the hop that wrote it when the trace knows it.
pub fn received_chain(app: &App, content: &[u8]) -> Vec<(String, Option<ConnId>)> {
    let hops = hops(app);
    Headers::parse(content)
        .get_all("Received")
        .map(|value| {
            let conn = Received::parse(value).and_then(|r| {
                hops.iter().find(|h| h.queue_id == r.id && app.trace().name(h.host) == r.by).and_then(|h| h.conn)
            });
            (value.to_owned(), conn)
        })
        .collect()
}

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    let [left, right] = Layout::horizontal([Constraint::Percentage(40), Constraint::Percentage(60)]).areas(area);
    let hops = hops(app);
    let mut env = Vec::new();
    if hops.is_empty() {
        env.push(Line::styled("No hop yet. f follows another message; Space plays.", theme.dim));
    }
    for (n, hop) in hops.iter().enumerate() {
        env.push(Line::from(vec![
            Span::styled(format!("hop {} ", n + 1), theme.title),
            Span::styled(format!("{} ({})", app.trace().name(hop.host), hop.queue_id), theme.mta),
        ]));
        let bounce = if hop.from == "<>" { "   ← null reverse-path: a bounce, never bounced" } else { "" };
        env.push(Line::styled(format!("  MAIL FROM:{}{bounce}", hop.from), theme.client));
        for r in &hop.rcpts {
            env.push(Line::styled(format!("  RCPT TO:{r}"), theme.client));
        }
    }
    let mut lines = Vec::new();
    let mut title = " Letter ".to_owned();
    if let Some((source, content)) = letter(app) {
        title = format!(" Letter, {source} ");
        let headers = Headers::parse(&content);
        // Bcc: in the envelope, never in the letter (RFC 5322 §3.6.3).
        let visible: Vec<String> = ["To", "Cc"]
            .iter()
            .flat_map(|h| headers.get_all(h).flat_map(NamedMailbox::parse_list))
            .map(|m| m.mailbox.to_string().to_lowercase())
            .collect();
        if let Some(first) = hops.first() {
            let hidden: Vec<&String> = first
                .rcpts
                .iter()
                .filter(|r| !visible.contains(&r.trim_matches(['<', '>']).to_lowercase()))
                .collect();
            if !hidden.is_empty() && first.from != "<>" {
                let list: Vec<&str> = hidden.iter().map(|s| s.as_str()).collect();
                env.push(Line::styled(format!("Bcc: {} is in the envelope only", list.join(", ")), theme.warn));
            }
        }
        let chain = received_chain(app, &content);
        let total = chain.len();
        for (i, (value, conn)) in chain.iter().enumerate() {
            let hop = total - i;
            let link = conn.map_or(String::new(), |c| format!("  ⇢ session [{}]", c.0));
            let style = if i == app.views.letter_selected.min(total.saturating_sub(1)) { theme.playhead } else { theme.base };
            lines.push(Line::from(vec![
                Span::styled(format!("Received (hop {hop} of {total}): "), theme.accent),
                Span::styled(value.clone(), style),
                Span::styled(link, theme.dim),
            ]));
        }
        for field in headers.iter().filter(|f| !f.name.eq_ignore_ascii_case("Received")) {
            lines.push(Line::from(vec![
                Span::styled(format!("{}: ", field.name), theme.title),
                Span::styled(field.value.clone(), theme.base),
            ]));
        }
        lines.push(Line::raw(""));
        let body = String::from_utf8_lossy(crate::mail::body(&content)).into_owned();
        lines.extend(body.lines().map(|l| Line::styled(l.to_owned(), theme.base)));
        if total > 0 {
            lines.insert(0, Line::styled("Read the Received lines from the bottom up: the lowest is the first hop.", theme.dim));
        }
    } else {
        lines.push(Line::styled("The followed message has not been written yet.", theme.dim));
    }
    frame.render_widget(
        Paragraph::new(env).wrap(Wrap { trim: false }).style(theme.base).block(pane(" Envelope, hop by hop ".into(), false, app)),
        left,
    );
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((app.views.scroll, 0))
            .style(theme.base)
            .block(pane(title, true, app)),
        right,
    );
}
