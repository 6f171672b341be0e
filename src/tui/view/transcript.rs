//! The transcript of the session on screen: `C:` and `S:` lines with
//! their times, coloured by kind, the lines of the current event
//! highlighted, message data dimmed.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::pane;
use crate::trace::index::Outcome;
use crate::trace::transcript::LineKind;
use crate::trace::{Dir, Protocol};
use crate::tui::app::{App, Focus};

fn protocol_name(p: Protocol) -> &'static str {
    match p {
        Protocol::Smtp => "SMTP",
        Protocol::Submission => "submission",
        Protocol::Pop3 => "POP3",
        Protocol::Dns => "DNS",
        Protocol::Other => "TCP",
    }
}

/// The transcript lines visible in a pane of `height` rows: indices into
/// `Index::lines`, oldest first. Shared with mouse handling.
pub fn visible(app: &App, height: usize) -> Vec<usize> {
    let Some(session) = app.session() else { return Vec::new() };
    let sent = app.world.index.lines_at(session, app.pos);
    let end = sent.saturating_sub(app.views.transcript_back);
    let start = end.saturating_sub(height);
    session.lines[start..end].to_vec()
}

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    let trace = app.trace();
    let focused = app.focus == Focus::Transcript;
    let Some(session) = app.session() else {
        let block = pane(" Transcript ".into(), focused, app);
        let text = "No session yet. Press Space to play, or → to step.";
        frame.render_widget(Paragraph::new(text).style(theme.dim).block(block), area);
        return;
    };
    let c = &session.connection;
    let title = format!(
        " [{}] {} → {}:{} ",
        c.conn.0,
        trace.name(c.from),
        trace.name(c.to),
        protocol_name(c.protocol)
    );
    let block = pane(title, focused, app);
    let inner = block.inner(area);
    let current = app.pos.checked_sub(1).map(|p| p as u64);
    let mut lines: Vec<Line> = visible(app, inner.height as usize)
        .into_iter()
        .map(|i| {
            let line = &app.world.index.lines[i];
            let (tag, style) = match (line.dir, line.kind) {
                (_, LineKind::Data) => ("  │", theme.dim),
                (Dir::Up, _) => ("C:", theme.client),
                (Dir::Down, LineKind::Reply { code }) => ("S:", theme.reply(code, &line.text)),
                (Dir::Down, _) => ("S:", theme.base),
            };
            let mut spans = vec![
                Span::styled(format!("{:>9} ", line.at.to_string()), theme.dim),
                Span::styled(format!("{tag} "), style),
                Span::styled(line.text.clone(), style),
            ];
            if Some(line.seq) == current {
                spans.insert(0, Span::styled("▶", theme.accent));
                Line::from(spans).style(theme.playhead)
            } else {
                spans.insert(0, Span::raw(" "));
                Line::from(spans)
            }
        })
        .collect();
    let reached = (session.last_seq as usize) < app.pos;
    match session.outcome {
        Outcome::Refused if reached => lines.push(Line::styled("  ✗ connection refused: nothing listens on that port", theme.err)),
        Outcome::Unreachable if reached => {
            lines.push(Line::styled("  ✗ no answer: the host or the link is down (timed out)", theme.err));
        }
        _ => {}
    }
    if lines.is_empty() {
        lines.push(Line::styled("  (connecting...)", theme.dim));
    }
    frame.render_widget(Paragraph::new(lines).style(theme.base).block(block), area);
}
