//! The main view with the console open, and the console pane.
//!
//! ```text
//! very wide (≥ 160 columns): map | transcript | console
//! wide (≥ 100):              map | console
//! narrow (80×24):            console
//! and the explanation below, as without the console
//!
//! ┏ You: laptop.example.org → smtp.example.org:587 (submission) ━━┓
//! ┃ » connecting to smtp.example.org port 587                      ┃
//! ┃ S: 220 smtp.example.org ESMTP mailflow                         ┃
//! ┃ C: RCPT TO:<bobb@example.net>                                  ┃
//! ┃ S: 550 5.1.1 Mailbox <bobb@example.net> does not exist here    ┃
//! ┃   ? why: Bad destination mailbox address (5.1.1)              ┃
//! ┃     try: Permanent: check the spelling of the address. …       ┃
//! ┃ ⏸ +0m03.2s the world waits for you · :wait lets time run        ┃  the world
//! ┃ next: RCPT TO:< · DATA · RSET   (Tab completes)                ┃  the hint
//! ┃ laptop› RCPT TO:<bob@exa▏                                       ┃  the input
//! ┗ Enter sends · Tab completes · ↑↓ history · Esc dashboard ━━━━━━┛
//! ```

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Console, next_commands, progress, session, session_lines};
use crate::explain::Catalog;
use crate::sim::driven::Wire;
use crate::trace::Dir;
use crate::trace::transcript::LineKind;
use crate::tui::app::App;
use crate::tui::view::text::{fit, fit_spans, wrap};
use crate::tui::view::{self, pane};

/// The panes of the main view with the console open.
pub struct Panes {
    pub map: Option<Rect>,
    pub transcript: Option<Rect>,
    pub console: Rect,
    pub explain: Option<Rect>,
}

pub fn panes(body: Rect) -> Panes {
    // The explanation keeps its place; the console takes the rest.
    let plain = crate::tui::ui::main_panes(body);
    let top = plain
        .map
        .map_or(plain.transcript, |m| m.union(plain.transcript));
    if top.width >= 160 {
        let [map, transcript, console] = Layout::horizontal([
            Constraint::Fill(1),
            Constraint::Length(top.width * 3 / 10),
            Constraint::Length(top.width * 2 / 5),
        ])
        .areas(top);
        Panes {
            map: Some(map),
            transcript: Some(transcript),
            console,
            explain: plain.explain,
        }
    } else if top.width >= 100 && top.height >= 12 {
        let [map, console] =
            Layout::horizontal([Constraint::Fill(1), Constraint::Length(top.width * 3 / 5)])
                .areas(top);
        Panes {
            map: Some(map),
            transcript: None,
            console,
            explain: plain.explain,
        }
    } else {
        Panes {
            map: None,
            transcript: None,
            console: top,
            explain: plain.explain,
        }
    }
}

/// The main view with the console, in the panes `ui::layout` placed.
pub fn main(frame: &mut Frame, drawn: crate::tui::ui::Drawn, app: &App) {
    if let Some(map) = drawn.map {
        view::map::render(frame, map, app);
    }
    if let Some(transcript) = drawn.transcript {
        view::transcript::render(frame, transcript, app);
    }
    if let Some(explain) = drawn.explain {
        view::explain::render(frame, explain, app);
    }
    if let (Some(console), Some(area)) = (&app.console, drawn.console) {
        render(frame, area, app, console);
    }
}

fn title(console: &Console) -> String {
    let me = &console.hostname;
    match &console.wire {
        Wire::Open { to, port, .. } | Wire::Dialling { to, port } => {
            let service = crate::trace::Protocol::from_port(*port).name();
            format!(" You: {me} → {to}:{port} ({service}) ")
        }
        Wire::Closed { to, port, .. } => format!(" You: {me} (closed {to}:{port}) "),
        Wire::Failed { .. } | Wire::None => format!(" You: {me} (not connected) "),
    }
}

/// The prompt: the host's first label, or that the line is message text.
fn prompt(console: &Console, in_data: bool) -> String {
    if in_data {
        return "DATA│ ".into();
    }
    let short = console.hostname.split('.').next().unwrap_or_default();
    format!("{short}› ")
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, console: &Console) {
    let theme = &app.theme;
    let room = area.width.saturating_sub(2) as usize;
    let mut block = pane(
        fit(&title(console), room).into_owned(),
        console.focused,
        app,
    );
    let keys = if console.focused {
        " Enter sends · Tab · ↑↓ · :help · Esc "
    } else {
        " a: type here "
    };
    block =
        block.title_bottom(Line::styled(fit(keys, room).into_owned(), theme.dim).right_aligned());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 || inner.width < 4 {
        return;
    }
    let width = inner.width as usize;
    let open = matches!(console.wire, Wire::Open { .. });
    let p = progress(app, console);
    let in_data = open && p.data;
    // The bottom three rows: the world, the hint, the input.
    let fixed = 3.min(inner.height as usize);
    let [history, bottom] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(fixed as u16)]).areas(inner);
    let rows = scrollback(app, console, width);
    let height = history.height as usize;
    let end = rows
        .len()
        .saturating_sub(console.back.min(rows.len().saturating_sub(height)));
    let start = end.saturating_sub(height);
    let shown: Vec<Line> = rows[start..end].to_vec();
    frame.render_widget(Paragraph::new(shown).style(theme.base), history);

    let mut bottom_rows = vec![
        world_line(app, console, width),
        hint_line(app, console, width),
    ];
    bottom_rows.push(input_line(console, in_data, width, app));
    let skip = bottom_rows.len() - fixed;
    frame.render_widget(
        Paragraph::new(bottom_rows.split_off(skip)).style(theme.base),
        bottom,
    );
    if console.focused {
        let prompt_w = view::text::width(&prompt(console, in_data));
        let text = console.editor.text();
        let before: String = text.chars().take(console.editor.cursor()).collect();
        let x = (prompt_w + view::text::width(&before)).min(width.saturating_sub(1));
        frame.set_cursor_position((inner.x + x as u16, inner.y + inner.height - 1));
    }
}

/// The session lines, the console's notes between them, and under each
/// refusal why it came and what to try instead.
fn scrollback(app: &App, console: &Console, width: usize) -> Vec<Line<'static>> {
    let theme = &app.theme;
    let catalog = Catalog::builtin();
    let lines = session_lines(app, console);
    let mut out: Vec<Line<'static>> = Vec::new();
    let mut notes = console.notes.iter().peekable();
    let mut conn = None;
    for (i, line) in lines.iter().enumerate() {
        while let Some((_, note)) = notes.next_if(|(at, _)| *at <= i) {
            out.extend(note_rows(app, &note.text, note.error, width));
        }
        if conn != Some(line.conn) {
            conn = Some(line.conn);
            let head = format!(
                "── [{}] {} at {} ",
                line.conn.0,
                line.protocol.name(),
                line.at
            );
            out.push(Line::styled(fit(&head, width).into_owned(), theme.dim));
        }
        let (tag, style) = match (line.dir, line.kind) {
            (_, LineKind::Data) => ("  │ ", theme.dim),
            (_, LineKind::Chunk) => ("  ┆ ", theme.dim),
            (Dir::Up, _) => ("C: ", theme.client),
            (Dir::Down, LineKind::Reply { code }) => ("S: ", theme.reply(code, &line.text)),
            (Dir::Down, _) => ("S: ", theme.base),
        };
        let spans = [
            Span::styled(tag, style),
            Span::styled(line.text.to_string(), style),
        ];
        out.extend(wrap(&spans, width, 3));
        if line.dir == Dir::Down
            && let Some((title, next)) = session::why_refused(line, catalog)
        {
            let why = [
                Span::styled("  ? why: ", theme.err),
                Span::styled(title, theme.base),
            ];
            out.extend(wrap(&why, width, 9));
            if !next.is_empty() {
                let try_ = [
                    Span::styled("    try: ", theme.accent),
                    Span::styled(next, theme.dim),
                ];
                out.extend(wrap(&try_, width, 9));
            }
        }
    }
    for (_, note) in notes {
        out.extend(note_rows(app, &note.text, note.error, width));
    }
    out
}

fn note_rows(app: &App, text: &str, error: bool, width: usize) -> Vec<Line<'static>> {
    let theme = &app.theme;
    let (mark, style) = if error {
        ("✗ ", theme.err)
    } else {
        ("» ", theme.accent)
    };
    let text = text.strip_prefix("✗ ").unwrap_or(text);
    let spans = [
        Span::styled(mark, style),
        Span::styled(text.to_owned(), theme.dim),
    ];
    wrap(&spans, width, 2)
}

/// Where the world stands: running, or waiting for the student, and when.
fn world_line(app: &App, console: &Console, width: usize) -> Line<'static> {
    let theme = &app.theme;
    let text = if console.busy > 0 {
        format!("▶ {} the world is running…", console.now)
    } else if console.idle && !matches!(console.wire, Wire::Open { .. }) {
        format!("⏸ {} the world has nothing left to do", console.now)
    } else {
        format!(
            "⏸ {} the world waits for you · :wait lets time run",
            console.now
        )
    };
    Line::styled(fit(&text, width).into_owned(), theme.dim)
}

/// The next sensible commands, or what Tab offered.
fn hint_line(app: &App, console: &Console, width: usize) -> Line<'static> {
    let theme = &app.theme;
    let (label, items) = if console.offered.is_empty() {
        let next = next_commands(app, console);
        let p = progress(app, console);
        if matches!(console.wire, Wire::Open { .. }) && p.data {
            (
                "DATA mode: ",
                vec!["headers, an empty line, the body; a lone . ends the message".to_owned()],
            )
        } else if matches!(console.wire, Wire::Open { .. }) && p.waiting {
            ("", vec!["waiting for the server's answer…".to_owned()])
        } else {
            ("next: ", next)
        }
    } else {
        ("Tab: ", console.offered.clone())
    };
    let mut spans = vec![Span::styled(label.to_owned(), theme.dim)];
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" · ", theme.dim));
        }
        spans.push(Span::styled(item, theme.accent));
    }
    Line::from(fit_spans(spans, width))
}

fn input_line(console: &Console, in_data: bool, width: usize, app: &App) -> Line<'static> {
    let theme = &app.theme;
    let prompt = prompt(console, in_data);
    let style = if in_data {
        theme.warn.add_modifier(Modifier::BOLD)
    } else {
        theme.client.add_modifier(Modifier::BOLD)
    };
    let text = console.editor.text();
    // A long line shows its end, where the cursor usually is.
    let room = width.saturating_sub(view::text::width(&prompt) + 1);
    let chars: Vec<char> = text.chars().collect();
    let shown: String = if chars.len() > room {
        chars[chars.len() - room..].iter().collect()
    } else {
        text
    };
    Line::from(vec![
        Span::styled(prompt, style),
        Span::styled(shown, theme.base),
    ])
}
