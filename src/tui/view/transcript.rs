//! The transcript of the session on screen: `C:` and `S:` lines with
//! their times, coloured by kind, the line under the playhead marked ▶
//! and highlighted (the other lines of its event marked ·), message data
//! dimmed. One line of the wire is one row
//! (the mouse relies on it): a long line ends in `…`, and the explanation
//! pane below shows it whole.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::pane;
use super::text::{fit, fit_spans, host_name, width};
use crate::trace::Dir;
use crate::trace::index::{Outcome, Session};
use crate::trace::transcript::LineKind;
use crate::tui::app::{App, Focus};

/// The transcript lines visible in a pane of `height` rows: indices into
/// `Index::lines`, oldest first. Shared with mouse handling.
pub fn visible(app: &App, height: usize) -> Vec<usize> {
    let Some(session) = app.session() else {
        return Vec::new();
    };
    let sent = app.world.index.lines_at(session, app.pos);
    let end = sent.saturating_sub(app.views.transcript_back);
    let start = end.saturating_sub(height);
    session.lines[start..end].to_vec()
}

/// The event numbered `seq`.
fn event_of(app: &App, seq: u64) -> Option<&crate::trace::Event> {
    let event = app.world.trace.events().get(usize::try_from(seq).ok()?)?;
    (event.seq == seq).then_some(event)
}

/// What the link carried for a sealed event: its records, named from
/// their bytes, and the first octets of the ciphertext.
fn on_the_link(event: &crate::trace::Event) -> String {
    let Some((_, _, wire)) = event.kind.wire() else {
        return String::new();
    };
    let wire = wire.as_bytes();
    let head: Vec<String> = wire.iter().take(12).map(|b| format!("{b:02x}")).collect();
    format!(
        "{} ({} octets: {} …)",
        crate::tls::record::summary(wire),
        wire.len(),
        head.join(" ")
    )
}

/// The lines under the playhead: the selected line, or for message data
/// the whole run of it that the current event carried.
fn selected_lines(app: &App, session: &Session) -> std::ops::Range<usize> {
    let index = &app.world.index;
    let Some(selected) = app.selected_line() else {
        return 0..0;
    };
    let line = &index.lines[selected];
    if !matches!(line.kind, LineKind::Data | LineKind::Chunk) {
        return selected..selected + 1;
    }
    let mine = index.event_lines(session, line.seq);
    let first = mine
        .iter()
        .rev()
        .skip_while(|&&i| i > selected)
        .take_while(|&&i| index.lines[i].kind == line.kind)
        .last()
        .copied()
        .unwrap_or(selected);
    first..selected + 1
}

/// `[n] protocol: client → server`, with shorter names when the pane is
/// narrow, and the pin when the user chose this session.
fn title(app: &App, session: &Session, room: usize) -> String {
    let c = &session.connection;
    let trace = app.trace();
    let pin = if app.pinned.is_some() {
        " (pinned: p follows)"
    } else {
        ""
    };
    let full = format!(
        " [{}] {}: {} → {}{pin} ",
        c.conn.0,
        c.protocol.name(),
        trace.name(c.from),
        trace.name(c.to)
    );
    if width(&full) <= room {
        return full;
    }
    let short = |h| host_name(trace, h, 12);
    let pin = if app.pinned.is_some() { " pinned" } else { "" };
    let brief = format!(
        " [{}] {}: {} → {}{pin} ",
        c.conn.0,
        c.protocol.name(),
        short(c.from),
        short(c.to)
    );
    fit(&brief, room).into_owned()
}

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    let focused = app.focus == Focus::Transcript;
    let Some(session) = app.session() else {
        let block = pane(" Transcript ".into(), focused, app);
        let text = match &app.live {
            Some(live) if live.connected && app.pos >= app.len() => {
                let mut text = vec![Line::styled(
                    "No session yet: waiting for a real client to connect.",
                    theme.dim,
                )];
                if let Some(hint) = &live.about.hint {
                    text.push(Line::styled(format!("Try: {hint}"), theme.accent));
                }
                text
            }
            _ if app.playing => vec![Line::styled(
                "No session yet: playing on to the first one.",
                theme.dim,
            )],
            _ => vec![
                Line::styled("No session yet.", theme.dim),
                Line::styled(
                    "Space plays; → steps one line or event; ] jumps to the first session.",
                    theme.dim,
                ),
            ],
        };
        frame.render_widget(
            Paragraph::new(text).wrap(Wrap { trim: true }).block(block),
            area,
        );
        return;
    };
    let room = area.width.saturating_sub(2) as usize;
    let mut block = pane(title(app, session, room), focused, app);
    if app.views.transcript_back > 0 {
        let back = format!(" ↑ {} lines back: ↓ returns ", app.views.transcript_back);
        block = block.title_bottom(Line::styled(fit(&back, room).into_owned(), theme.accent));
    }
    let inner = block.inner(area);
    let width = inner.width as usize;
    let reached = (session.last_seq as usize) < app.pos;
    let failure = match session.outcome {
        Outcome::Refused if reached => Some("✗ connection refused: nothing listens on that port"),
        Outcome::Unreachable if reached => {
            Some("✗ no answer: the host or the link is down (timed out)")
        }
        _ => None,
    };
    let height = (inner.height as usize).saturating_sub(usize::from(failure.is_some()));
    let rows = visible(app, height);
    let index = &app.world.index;
    let current = app.pos.checked_sub(1).map(|p| p as u64);
    let selected = selected_lines(app, session);
    // Times as wide as the widest on screen, so the tags stay in a column.
    let time_w = rows
        .iter()
        .map(|&i| index.lines[i].at.to_string().len())
        .max()
        .unwrap_or(0);
    // With TLS lines on screen, `C:` takes the width of `C🔒`.
    let any_sealed = rows.iter().any(|&i| index.lines[i].sealed);
    let eavesdrop = app.views.eavesdrop;
    let mut shown_flight = None;
    let mut lines: Vec<Line> = rows
        .into_iter()
        .filter(|&i| {
            // An eavesdropper sees one flight of records per event, not
            // the lines inside it.
            let line = &index.lines[i];
            let again = eavesdrop && line.sealed && shown_flight == Some(line.seq);
            shown_flight = Some(line.seq);
            !again
        })
        .map(|i| {
            let line = &index.lines[i];
            let (tag, style) = match (line.dir, line.kind) {
                (_, LineKind::Data) => ("  │", theme.dim),
                (_, LineKind::Chunk) => ("  ┆", theme.dim),
                (Dir::Up, _) => ("C: ", theme.client),
                (Dir::Down, LineKind::Reply { code }) => ("S: ", theme.reply(code, &line.text)),
                (Dir::Down, _) => ("S: ", theme.base),
            };
            // 🔒: read inside TLS; the link carried only records.
            let tag = match (line.sealed, tag) {
                (false, tag) => tag,
                (true, "  │") => "🔒│",
                (true, "  ┆") => "🔒┆",
                (true, "C: ") => "C🔒",
                (true, _) => "S🔒",
            };
            // ▶ the line read now; ▷ the other lines of the same event.
            let now = selected.contains(&i);
            let marker = match (now, Some(line.seq) == current) {
                (true, _) => "▶",
                (false, true) => "▷",
                (false, false) => " ",
            };
            let spans = vec![
                Span::styled(marker, theme.accent),
                Span::styled(format!("{:>time_w$} ", line.at.to_string()), theme.dim),
                Span::styled(
                    if any_sealed {
                        format!("{tag} ")
                    } else {
                        format!("{} ", tag.trim_end())
                    },
                    style,
                ),
                match (eavesdrop && line.sealed, event_of(app, line.seq)) {
                    (true, Some(event)) => Span::styled(on_the_link(event), theme.dim),
                    _ => Span::styled(line.text.to_string(), style),
                },
            ];
            let line = Line::from(fit_spans(spans, width));
            if now {
                line.style(theme.playhead)
            } else {
                line
            }
        })
        .collect();
    if let Some(text) = failure {
        lines.push(Line::styled(format!("  {text}"), theme.err));
    }
    if lines.is_empty() {
        lines.push(Line::styled("  (connecting…)", theme.dim));
    }
    frame.render_widget(Paragraph::new(lines).style(theme.base).block(block), area);
}
