//! Predict mode's overlay: the question with its choices, then the
//! reveal (right or wrong, the real reply and what it means, and why each
//! other choice would be wrong here). A centred box that fits 80×24; the
//! dashboard behind it stops before the reply, so nothing else shows it.
//!
//! ```text
//! ┏ Predict: what will the server say? ━━━━━━━━━━━━━━━━━━━━━━━━━━━┓
//! ┃ [1] smtp.example.org → mx.example.net · reply 2 of 3            ┃
//! ┃ What will mx.example.net answer to RCPT TO:<bob@example.net>?   ┃
//! ┃  1  250  Requested mail action okay, completed                  ┃
//! ┃  2  450  …                                                      ┃
//! ┗━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━ 1-4 answer · … ┛
//! ```

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::pane;
use super::text::{fit, wrap};
use crate::tui::app::App;
use crate::tui::predict::{Outcome, Phase, Question};

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    let width = area.width.min(80).saturating_sub(2).max(20);
    let inner = width.saturating_sub(2) as usize;
    let (title, lines, keys) = match &app.predict.phase {
        Some(Phase::Asking(q)) => {
            let keys = format!(" 1-{} answer · Esc skips ", q.choices.len());
            let title = if q.authored.is_some() {
                format!(" Question · {} ", q.place())
            } else {
                " Predict: what will the server say? ".to_owned()
            };
            (title, question(app, q, inner), keys)
        }
        Some(Phase::Revealed(i)) => {
            let Some(record) = app.predict.records.get(*i) else {
                return;
            };
            let title = if record.right() {
                " ✓ Right "
            } else {
                " ✗ Not this time "
            };
            let given = match record.outcome {
                Outcome::Answered(c) => c,
                Outcome::Skipped => record.question.answer,
            };
            let lines = if record.question.authored.is_some() {
                reveal_authored(app, &record.question, given, inner)
            } else {
                reveal(app, &record.question, given, inner)
            };
            (title.to_owned(), lines, " any key continues ".to_owned())
        }
        None => return,
    };
    let height = area.height.min(lines.len() as u16 + 2);
    let popup = super::centred(area, width, height);
    frame.render_widget(Clear, popup);
    let room = inner.saturating_sub(2);
    let block = pane(fit(&title, room).into_owned(), true, app)
        .title_bottom(Line::styled(fit(&keys, room).into_owned(), theme.dim).right_aligned());
    frame.render_widget(Paragraph::new(lines).style(theme.base).block(block), popup);
}

/// Where the reply comes from, and its place in a pipelined group.
fn context(app: &App, q: &Question) -> Vec<Span<'static>> {
    let session = app
        .world
        .index
        .session_of(q.seq)
        .map(|s| {
            let c = &s.connection;
            format!(
                " [{}] {} → {}",
                c.conn.0,
                app.trace().name(c.from),
                app.trace().name(c.to)
            )
        })
        .unwrap_or_default();
    let mut spans = vec![Span::styled(session, app.theme.dim)];
    if q.of.1 > 1 {
        spans.push(Span::styled(
            format!(" · reply {} of {} in one burst", q.of.0, q.of.1),
            app.theme.dim,
        ));
    }
    spans
}

fn question(app: &App, q: &Question, inner: usize) -> Vec<Line<'static>> {
    let theme = &app.theme;
    let mut lines = if q.authored.is_some() {
        Vec::new()
    } else {
        vec![Line::from(context(app, q)), Line::raw("")]
    };
    lines.extend(
        wrap(&[Span::styled(q.ask(), theme.title)], inner - 1, 1)
            .into_iter()
            .map(pad),
    );
    lines.push(Line::raw(""));
    let code_w = q.choices.iter().map(|c| c.code.len()).max().unwrap_or(3);
    for (i, c) in q.choices.iter().enumerate() {
        let head = if code_w == 0 {
            format!("  {}  ", i + 1)
        } else {
            format!("  {}  {:<code_w$}  ", i + 1, c.code)
        };
        let room = inner.saturating_sub(head.chars().count());
        lines.push(Line::from(vec![
            Span::styled(head, theme.accent),
            Span::styled(fit(&c.title, room).into_owned(), theme.base),
        ]));
    }
    lines
}

/// The reveal of a scenario's question: right or wrong, the right
/// answer, the teacher's why, and what the trace shows at the event.
fn reveal_authored(app: &App, q: &Question, given: usize, inner: usize) -> Vec<Line<'static>> {
    let theme = &app.theme;
    let said = q.choice_name(given);
    let right = q.choice_name(q.answer);
    let head = if given == q.answer {
        Span::styled(format!("You said {said}: right."), theme.ok)
    } else {
        Span::styled(
            format!("You said {said}; the answer is {right}."),
            theme.err,
        )
    };
    let mut lines: Vec<Line<'static>> = wrap(&[head], inner - 1, 0).into_iter().map(pad).collect();
    if let Some(a) = &q.authored
        && !a.why.is_empty()
    {
        lines.push(Line::raw(""));
        lines.extend(
            wrap(&[Span::styled(a.why.clone(), theme.base)], inner - 1, 0)
                .into_iter()
                .map(pad),
        );
    }
    if !q.reply.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled(" What happens here:", theme.title));
        lines.extend(
            wrap(&[Span::styled(q.reply.clone(), theme.accent)], inner - 1, 3)
                .into_iter()
                .map(pad),
        );
    }
    lines
}

fn reveal(app: &App, q: &Question, given: usize, inner: usize) -> Vec<Line<'static>> {
    let theme = &app.theme;
    let right = given == q.answer;
    let said = q.choices.get(given).map_or("?", |c| c.code.as_str());
    let verdict = if right {
        Span::styled(format!(" You said {said}, and "), theme.ok)
    } else {
        Span::styled(format!(" You said {said}, but "), theme.err)
    };
    let mut lines = vec![Line::from(vec![
        verdict,
        Span::styled(format!("{} answered:", q.server), theme.base),
    ])];
    let code = q.choices.get(q.answer).and_then(|c| c.code.parse().ok());
    let style = theme.reply(code, &q.reply);
    lines.extend(
        wrap(
            &[Span::styled(format!("S: {}", q.reply), style)],
            inner - 1,
            4,
        )
        .into_iter()
        .map(pad),
    );
    lines.push(Line::raw(""));
    for (topic, meaning) in &q.explain {
        let spans = [
            Span::styled(format!("{topic}  "), theme.accent),
            Span::styled(meaning.clone(), theme.base),
        ];
        lines.extend(wrap(&spans, inner - 1, 2).into_iter().take(3).map(pad));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(" Why not the others:", theme.title));
    for i in (0..q.choices.len()).filter(|&i| i != q.answer) {
        let mark = if i == given { "✗ " } else { "· " };
        let spans = [
            Span::styled(mark, theme.dim),
            Span::styled(q.why_not(i), theme.base),
        ];
        // Two rows at most each, so the box stays inside 80×24; a cut
        // sentence ends in "…" so the reader knows there is more.
        let mut rows = wrap(&spans, inner - 2, 2);
        let cut = rows.len() > 2;
        rows.truncate(2);
        if cut && let Some(last) = rows.last_mut() {
            last.spans.push(Span::styled("…", theme.dim));
        }
        lines.extend(rows.into_iter().map(pad));
    }
    lines
}

/// A wrapped row, moved one cell in from the border.
fn pad(line: Line<'static>) -> Line<'static> {
    let mut spans = vec![Span::raw(" ")];
    spans.extend(line.spans);
    Line::from(spans)
}
