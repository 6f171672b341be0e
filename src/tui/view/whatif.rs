//! The what-if overlays: the menu of answers a point could have had, and
//! what the branch changed, per recipient, beside the original run.
//!
//! ```text
//! ┌ What if mx.example.net RCPT#1 answered otherwise? ┐
//! │ now: 450 4.7.1 Greylisted: please try again ...   │
//! │ ▶ 1 250 2.0.0 Requested mail action okay, ...     │
//! │   2 421 4.3.2 Service not available, ...          │
//! └──────────────── ↑↓ Enter or 1-9 · Esc closes ─────┘
//! ```

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::pane;
use super::text::{fit, wrap};
use crate::tui::app::App;

/// A box of `lines` centred in `area`, titled, with keys at the bottom.
fn popup(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    title: &str,
    lines: Vec<Line<'static>>,
    keys: &str,
) {
    let theme = &app.theme;
    let width = area.width.min(100).saturating_sub(2).max(20);
    let height = area.height.min(lines.len() as u16 + 2);
    let popup = super::centred(area, width, height);
    frame.render_widget(Clear, popup);
    let room = (width as usize).saturating_sub(4);
    let block = pane(fit(title, room).into_owned(), true, app)
        .title_bottom(Line::styled(fit(keys, room).into_owned(), theme.dim).right_aligned());
    frame.render_widget(Paragraph::new(lines).style(theme.base).block(block), popup);
}

/// The menu of the point under the playhead.
pub fn menu(frame: &mut Frame, area: Rect, app: &App) {
    let Some(menu) = &app.whatif.menu else {
        return;
    };
    let theme = &app.theme;
    let inner = (area.width.min(100).saturating_sub(4)) as usize;
    let mut lines = vec![Line::from(vec![
        Span::styled(" now: ", theme.dim),
        Span::styled(
            fit(&menu.now, inner.saturating_sub(7)).into_owned(),
            theme.base,
        ),
    ])];
    // Room for every choice; on a small screen the list scrolls with the
    // selection.
    let rows = (area.height as usize).saturating_sub(3).max(1);
    let first = menu.selected.saturating_sub(rows.saturating_sub(1));
    for (k, choice) in menu.choices.iter().enumerate().skip(first).take(rows) {
        let key = match k {
            0..=8 => char::from(b'1' + k as u8),
            9 => '0',
            _ => char::from(b'a' + (k - 10) as u8),
        };
        let (mark, style) = if k == menu.selected {
            ("▶", theme.accent)
        } else {
            (" ", theme.base)
        };
        let text = format!(" {mark} {key} {}", choice.label);
        lines.push(Line::styled(fit(&text, inner).into_owned(), style));
    }
    let title = format!(" What if {} answered otherwise? ", menu.point);
    popup(
        frame,
        area,
        app,
        &title,
        lines,
        " ↑↓ Enter or 1-9 · Esc closes ",
    );
}

/// What the branch changed, recipient by recipient.
pub fn changes(frame: &mut Frame, area: Rect, app: &App) {
    let Some(branch) = &app.whatif.branch else {
        return;
    };
    let theme = &app.theme;
    let inner = (area.width.min(100).saturating_sub(4)) as usize;
    let mut lines: Vec<Line<'static>> = Vec::new();
    let mut text = |spans: Vec<Span<'static>>, indent: usize| {
        lines.extend(wrap(&spans, inner, indent));
    };
    // The fork, in the branch's words: the event where the runs part.
    let branch_trace = if branch.showing_branch {
        app.trace()
    } else {
        &branch.other.world.trace
    };
    let at = branch_trace
        .events()
        .get(branch.fork)
        .map(|e| e.at.to_string())
        .unwrap_or_default();
    text(
        vec![
            Span::styled(" what-if: ", theme.dim),
            Span::styled(branch.what.clone(), theme.accent),
        ],
        2,
    );
    text(
        vec![Span::styled(
            format!(
                " the runs part at event {} ({at}); the same seed before it",
                branch.fork + 1
            ),
            theme.dim,
        )],
        2,
    );
    let changed: Vec<_> = branch.changes.iter().filter(|c| c.changed()).collect();
    if changed.is_empty() {
        text(
            vec![Span::styled(
                " every recipient ends as before: same outcome, hops and times",
                theme.base,
            )],
            2,
        );
    }
    for c in &changed {
        let mark = if c.outcome_changed() { "✗→" } else { "~" };
        text(
            vec![Span::styled(format!(" {mark} {}", c.rcpt), theme.title)],
            2,
        );
        let words = |f: &Option<crate::trace::compare::Fate>| {
            f.as_ref()
                .map_or("not sent in this run".to_owned(), |f| f.words())
        };
        text(
            vec![
                Span::styled("   original: ", theme.dim),
                Span::styled(words(&c.before), theme.base),
            ],
            13,
        );
        text(
            vec![
                Span::styled("   what-if:  ", theme.dim),
                Span::styled(words(&c.after), theme.accent),
            ],
            13,
        );
    }
    let unchanged = branch.changes.len() - changed.len();
    if unchanged > 0 && !changed.is_empty() {
        text(
            vec![Span::styled(
                format!(" {unchanged} other recipient(s) end as before"),
                theme.dim,
            )],
            2,
        );
    }
    let (a, b) = branch.totals;
    text(
        vec![Span::styled(
            format!(
                " deferrals {} → {}, bounces {} → {}, last event {} → {}",
                a.deferrals, b.deferrals, a.dsns, b.dsns, a.ended, b.ended
            ),
            theme.base,
        )],
        2,
    );
    let showing = if branch.showing_branch {
        "on screen: the what-if branch"
    } else {
        "on screen: the original run"
    };
    text(vec![Span::styled(format!(" {showing}"), theme.dim)], 2);
    popup(
        frame,
        area,
        app,
        " What changed ",
        lines,
        " b switches runs · c shows this again · any key closes ",
    );
}
