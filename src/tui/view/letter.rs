//! Envelope vs. letter: on the left, the SMTP envelope each hop received
//! (MAIL FROM, RCPT TO); on the right, the message as the recipient sees
//! it, with the Received chain read bottom-up and each Received line tied
//! to the hop that wrote it (Enter jumps to that session). Bcc recipients
//! and bounces (null reverse-path) are where the two differ.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::pane;
use super::text::{fit, wrap};
use crate::mail::{Headers, NamedMailbox, Received};
use crate::trace::state::{EntryAt, path};
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
    /// The mailbox of this host it was filed into by the playhead, when
    /// no session carried it there (a bounce to a local sender).
    pub filed_locally: Option<String>,
}

/// The hops of the followed message up to the playhead.
pub fn hops(app: &App) -> Vec<Hop> {
    let Some(id) = &app.follow else {
        return Vec::new();
    };
    app.state
        .hops_at(id, app.pos)
        .map(|e| Hop {
            seq: e.queued,
            host: e.host,
            queue_id: e.queue_id.clone(),
            from: e.from.clone(),
            rcpts: e.rcpts.clone(),
            conn: e.conn,
            filed_locally: EntryAt {
                entry: e,
                facts: e.facts_at(app.pos),
            }
            .filed_locally()
            .map(str::to_owned),
        })
        .collect()
}

/// The session in which the followed message's text crosses the wire
/// first: the first session the trace ties to it, at any playhead.
fn first_session(app: &App, message_id: &str) -> Option<ConnId> {
    let events = app.trace().events();
    app.world
        .index
        .message_seqs(message_id)
        .into_iter()
        .find_map(|seq| match events.get(seq as usize)?.kind {
            EventKind::Connect { conn, .. } => Some(conn),
            _ => None,
        })
}

/// What to say while no copy of the letter can be read yet: who wrote it
/// (once the client has), and where its text will cross the wire.
fn not_yet(app: &App) -> String {
    let Some(id) = &app.follow else {
        return "No message to follow: press f to choose one.".into();
    };
    let written = app
        .state
        .composed(id)
        .filter(|c| (c.seq as usize) < app.pos);
    let Some(c) = written else {
        return "The followed message has not been written yet: Space plays.".into();
    };
    let rcpts: Vec<String> = c.rcpts.iter().map(|r| path(r)).collect();
    let crossing = match first_session(app, id) {
        Some(conn) => format!("its text crosses the wire in session [{}]", conn.0),
        None => "its text crosses the wire when a session carries it".into(),
    };
    format!(
        "{id} is written by {}, from {} to {}; {crossing}.",
        app.trace().name(c.host),
        path(&c.from),
        rcpts.join(", ")
    )
}

/// The letter as far as it got: the stored copy once delivered, else the
/// copy the latest server received (its Received lines grow hop by hop,
/// which is the lesson of a mail loop). Found through the message's own
/// events, not by a walk of the trace.
pub fn letter(app: &App) -> Option<(String, Vec<u8>)> {
    let id = app.follow.as_ref()?;
    let index = &app.world.index;
    let trace = app.trace();
    let seqs = index.message_seqs(id);
    let happened = || {
        seqs.iter()
            .rev()
            .map(|&s| s as usize)
            .filter(|&s| s < app.pos)
    };
    for seq in happened() {
        if let EventKind::Delivered { rest, .. } = &trace.events()[seq].kind {
            return Some((
                format!("as stored for {}", rest.mailbox),
                rest.content.as_bytes().into_owned(),
            ));
        }
    }
    happened().find_map(|seq| {
        let EventKind::Connect { conn, .. } = trace.events()[seq].kind else {
            return None;
        };
        let session = index.session(conn)?;
        let mut content = Vec::new();
        for &i in &session.lines {
            let line = &index.lines[i];
            if line.seq as usize >= app.pos || (line.kind == LineKind::Data && line.text == ".") {
                break;
            }
            if line.kind == LineKind::Data {
                // Dot-stuffing undone, as the server stores it.
                content.extend_from_slice(
                    line.text.strip_prefix('.').unwrap_or(&line.text).as_bytes(),
                );
                content.extend_from_slice(b"\r\n");
            }
        }
        let server = trace.name(session.connection.to);
        (!content.is_empty())
            .then(|| (format!("as last sent to {server} (not delivered)"), content))
    })
}

/// The Received fields of the letter, top (newest) first, each with the
/// session of the hop that wrote it when the trace knows it.
pub fn received_chain(app: &App, content: &[u8]) -> Vec<(String, Option<ConnId>)> {
    chain(app, &hops(app), content)
}

fn chain(app: &App, hops: &[Hop], content: &[u8]) -> Vec<(String, Option<ConnId>)> {
    Headers::parse(content)
        .get_all("Received")
        .map(|value| {
            let conn = Received::parse(value).and_then(|r| {
                hops.iter()
                    .find(|h| h.queue_id == r.id && app.trace().name(h.host) == r.by)
                    .and_then(|h| h.conn)
            });
            (value.to_owned(), conn)
        })
        .collect()
}

/// The envelope of every hop: what the servers routed by.
fn envelope(app: &App, hops: &[Hop], width: usize) -> Vec<Line<'static>> {
    let theme = &app.theme;
    let mut lines = Vec::new();
    if hops.is_empty() {
        let written = app
            .follow
            .as_ref()
            .and_then(|id| app.state.composed(id))
            .filter(|c| (c.seq as usize) < app.pos);
        let text = match written {
            Some(c) => format!(
                "{} wrote it, from {} to {}. No server has taken it yet: Space plays.",
                app.trace().name(c.host),
                path(&c.from),
                c.rcpts
                    .iter()
                    .map(|r| path(r))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => "No server has taken the message yet: Space plays, f follows another.".into(),
        };
        return wrap(&[Span::styled(text, theme.dim)], width, 0);
    }
    for (n, hop) in hops.iter().enumerate() {
        // "id" as the Received line says it, "[n]" as the transcript.
        let via = hop.conn.map_or(String::new(), |c| format!(" [{}]", c.0));
        let host = app.trace().name(hop.host);
        lines.extend(wrap(
            &[
                Span::styled(format!("hop {}: ", n + 1), theme.title),
                Span::styled(format!("{host}, id {}", hop.queue_id), theme.mta),
                Span::styled(via, theme.dim),
            ],
            width,
            2,
        ));
        let rcpts: Vec<String> = hop.rcpts.iter().map(|r| path(r)).collect();
        let null = hop.from == "<>";
        match (hop.conn, &hop.filed_locally) {
            // No session brought it: the host made it (a bounce) and
            // filed it into its own mailbox, so no MAIL FROM was said.
            (None, Some(mailbox)) => {
                let text = format!(
                    "  made here and filed into the local mailbox of {} with Return-Path: {}; no session carried it",
                    path(mailbox),
                    path(&hop.from)
                );
                lines.extend(wrap(&[Span::styled(text, theme.client)], width, 4));
            }
            (None, None) => {
                let text = format!(
                    "  made here, from {} to {}; no session has carried it yet",
                    path(&hop.from),
                    rcpts.join(", ")
                );
                lines.extend(wrap(&[Span::styled(text, theme.client)], width, 4));
            }
            (Some(_), _) => {
                let rcpts: Vec<String> = rcpts.iter().map(|r| format!("RCPT TO:{r}")).collect();
                // One line when it fits: the envelope is short, the letter long.
                let one = format!("  MAIL FROM:{}  {}", hop.from, rcpts.join("  "));
                if super::text::width(&one) <= width && !null {
                    lines.push(Line::styled(one, theme.client));
                    continue;
                }
                lines.extend(wrap(
                    &[Span::styled(
                        format!("  MAIL FROM:{}", hop.from),
                        theme.client,
                    )],
                    width,
                    4,
                ));
                for r in rcpts {
                    lines.extend(wrap(
                        &[Span::styled(format!("  {r}"), theme.client)],
                        width,
                        4,
                    ));
                }
            }
        }
        if null {
            let note = "    <> is the null reverse-path: this is a bounce, and a bounce is never bounced (RFC 5321 §4.5.5)";
            lines.extend(wrap(&[Span::styled(note, theme.warn)], width, 4));
        }
    }
    lines
}

/// Recipients of the first hop that no To: or Cc: names: Bcc.
fn hidden_recipients(hops: &[Hop], headers: &Headers) -> Vec<String> {
    // Bcc: in the envelope, never in the letter (RFC 5322 §3.6.3).
    let visible: Vec<String> = ["To", "Cc"]
        .iter()
        .flat_map(|h| headers.get_all(h).flat_map(NamedMailbox::parse_list))
        .map(|m| m.mailbox.to_string().to_lowercase())
        .collect();
    let Some(first) = hops.first().filter(|h| h.from != "<>") else {
        return Vec::new();
    };
    first
        .rcpts
        .iter()
        .filter(|r| !visible.contains(&r.trim_matches(['<', '>']).to_lowercase()))
        .cloned()
        .collect()
}

/// A plain reading of a sender-authentication field under it: what the
/// receiver found, or that the message was quarantined (`true`: a warning).
fn auth_note(name: &str, value: &str) -> Option<(String, bool)> {
    use crate::auth::results::{QUARANTINE_FIELD, methods};
    if name.eq_ignore_ascii_case("Authentication-Results") {
        let by = value.split(';').next().unwrap_or("").trim();
        let found: Vec<String> = methods(value)
            .iter()
            .map(|(m, r)| format!("{m} {r}"))
            .collect();
        return Some((
            format!("    ↳ {by} checked the sender: {}", found.join(", ")),
            false,
        ));
    }
    if name.eq_ignore_ascii_case(QUARANTINE_FIELD) {
        let text = "    ↳ quarantined: DMARC failed and the From domain asked for quarantine; a mail program files this as junk";
        return Some((text.to_owned(), true));
    }
    None
}

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    let hops = hops(app);
    let letter = letter(app);
    let headers = letter.as_ref().map(|(_, c)| Headers::parse(c));
    let hidden = headers
        .as_ref()
        .map(|h| hidden_recipients(&hops, h))
        .unwrap_or_default();
    // Side by side when wide; else the envelope above, as tall as it is.
    let wide = area.width >= 100;
    let env_width = if wide { area.width * 2 / 5 } else { area.width }.saturating_sub(2) as usize;
    let mut env = envelope(app, &hops, env_width);
    if !hidden.is_empty() {
        let note = format!(
            "Bcc: {} is in the envelope only: no header of the letter names it (RFC 5322 §3.6.3)",
            hidden.join(", ")
        );
        env.extend(wrap(&[Span::styled(note, theme.warn)], env_width, 2));
    }
    let [left, right] = if wide {
        Layout::horizontal([Constraint::Percentage(40), Constraint::Percentage(60)]).areas(area)
    } else {
        let height = (env.len() as u16 + 2).min(area.height / 3).max(3);
        Layout::vertical([Constraint::Length(height), Constraint::Min(1)]).areas(area)
    };
    let env_block = pane(" Envelope: what servers route by ".into(), false, app);
    frame.render_widget(Paragraph::new(env).style(theme.base).block(env_block), left);

    let room = right.width.saturating_sub(2) as usize;
    let Some(((source, content), headers)) = letter.zip(headers) else {
        let block = pane(" Letter ".into(), true, app);
        let text = not_yet(app);
        frame.render_widget(
            Paragraph::new(wrap(&[Span::styled(text, theme.dim)], room, 0)).block(block),
            right,
        );
        return;
    };
    let chain = chain(app, &hops, &content);
    let selected = app.views.letter_selected.min(chain.len().saturating_sub(1));
    let mut lines: Vec<Line> = Vec::new();
    if chain.len() > 1 {
        let note = "Each server adds its Received line on top: read them from the bottom up.";
        lines.extend(wrap(&[Span::styled(note, theme.dim)], room, 0));
    }
    let mut received = 0;
    let mut selected_row = 0;
    for field in headers.iter() {
        let is_received = field.name.eq_ignore_ascii_case("Received");
        let chosen = is_received && received == selected;
        let name_style = if is_received {
            theme.accent
        } else {
            theme.title
        };
        let value_style = if chosen { theme.playhead } else { theme.base };
        if chosen {
            selected_row = lines.len();
        }
        let mark = if chosen { "▶" } else { "" };
        lines.extend(wrap(
            &[
                Span::styled(format!("{mark}{}: ", field.name), name_style),
                Span::styled(field.value.clone(), value_style),
            ],
            room,
            4,
        ));
        if let Some(note) = auth_note(&field.name, &field.value) {
            let style = if note.1 { theme.warn } else { theme.dim };
            lines.extend(wrap(&[Span::styled(note.0, style)], room, 6));
        }
        if is_received {
            // Which hop wrote it, and where to see that hop happen.
            let hop = chain.len() - received;
            let session = chain[received]
                .1
                .map_or(" (not written in this run)".to_owned(), |c| {
                    format!(", in session [{}]", c.0)
                });
            let enter = if chosen && chain[received].1.is_some() {
                ": Enter goes there"
            } else {
                ""
            };
            let note = format!("    ↳ hop {hop} of {}{session}{enter}", chain.len());
            lines.extend(wrap(&[Span::styled(note, theme.dim)], room, 6));
            received += 1;
        }
    }
    lines.push(Line::styled(
        format!("{:─<w$}", "── body ", w = room.min(40)),
        theme.dim,
    ));
    let body = String::from_utf8_lossy(crate::mail::body(&content)).into_owned();
    for l in body.lines() {
        lines.extend(wrap(&[Span::styled(l.to_owned(), theme.base)], room, 0));
    }
    // ↑↓ past the last Received line scroll the letter, with the last
    // Received line still the one Enter follows.
    let height = right.height.saturating_sub(2) as usize;
    let past = app
        .views
        .letter_selected
        .saturating_sub(chain.len().saturating_sub(1));
    let scroll = (selected_row.saturating_sub(height.saturating_sub(3)) + past)
        .min(lines.len().saturating_sub(height));
    let title = format!(" Letter, {source}: what people read ");
    let title = if super::text::width(&title) <= room {
        title
    } else {
        format!(" Letter, {source} ")
    };
    let mut block = pane(fit(&title, room).into_owned(), true, app);
    let below = lines.len().saturating_sub(scroll + height);
    if below > 0 {
        block = block.title_bottom(Line::styled(
            format!(
                " ↓ {below} more {} ",
                if below == 1 { "line" } else { "lines" }
            ),
            theme.accent,
        ));
    }
    let lines: Vec<Line> = lines.into_iter().skip(scroll).collect();
    frame.render_widget(Paragraph::new(lines).style(theme.base).block(block), right);
}
