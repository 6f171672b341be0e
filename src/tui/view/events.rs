//! Every event of the run, one line each, filterable (hide DNS, failures
//! only, one host); Enter jumps the playhead there.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::pane;
use super::text::{fit, fit_spans};
use crate::trace::HostId;
use crate::trace::describe::{event_text, is_failure_line};
use crate::trace::index::Tag;
use crate::tui::app::{App, EventFilter};

pub use crate::trace::describe::is_failure;

/// Does the filter let through an event with this tag?
/// Bitwise, not short-circuit: a filter that lets every other event
/// through would otherwise cost a mispredicted branch an event.
fn passes(filter: &EventFilter, tag: &Tag) -> bool {
    let host = match filter.host {
        None => true,
        Some(h) => (tag.hosts[0] == Some(HostId(h))) | (tag.hosts[1] == Some(HostId(h))),
    };
    !(filter.hide_dns & tag.dns) & (!filter.failures_only | tag.failure) & host
}

fn is_open(filter: &EventFilter) -> bool {
    !filter.hide_dns && !filter.failures_only && filter.host.is_none()
}

/// The tags of the events the list may show. In predict mode only those
/// before the playhead: a future reply (or a failure marked ahead) would
/// give the answer away.
fn shown_tags(app: &App) -> &[Tag] {
    let tags = &app.world.index.tags;
    let shown = if app.predict.on { app.pos } else { app.len() };
    &tags[..shown.min(tags.len())]
}

/// The events the filter lets through: their indices in the trace.
pub fn filtered(app: &App, filter: &EventFilter) -> Vec<usize> {
    shown_tags(app)
        .iter()
        .enumerate()
        .filter(|(_, tag)| passes(filter, tag))
        .map(|(i, _)| i)
        .collect()
}

/// How many events the filter lets through; without a filter, no scan.
pub fn count(app: &App, filter: &EventFilter) -> usize {
    let tags = shown_tags(app);
    if is_open(filter) {
        return tags.len();
    }
    tags.iter().filter(|tag| passes(filter, tag)).count()
}

/// The `k`th event the filter lets through (its index in the trace).
pub fn nth(app: &App, filter: &EventFilter, k: usize) -> Option<usize> {
    let tags = shown_tags(app);
    if is_open(filter) {
        return (k < tags.len()).then_some(k);
    }
    tags.iter()
        .enumerate()
        .filter(|(_, tag)| passes(filter, tag))
        .nth(k)
        .map(|(i, _)| i)
}

/// The rows of a list `height` high around row `selected`: how many rows
/// pass the filter, the first row shown, and the events shown (indices in
/// the trace). One pass over the tags at most, keeping only what is near
/// `selected`, so a frame never lists the whole trace.
pub fn window(
    app: &App,
    filter: &EventFilter,
    selected: usize,
    height: usize,
) -> (usize, usize, Vec<usize>) {
    let tags = shown_tags(app);
    let first = |total: usize| {
        let selected = selected.min(total.saturating_sub(1));
        selected
            .saturating_sub(height / 2)
            .min(total.saturating_sub(height))
    };
    if is_open(filter) {
        let total = tags.len();
        let start = first(total);
        return (total, start, (start..(start + height).min(total)).collect());
    }
    // The first row shown is at least `selected - height` whatever the
    // total turns out to be; keep rows from there, at most 2 heights.
    let from = selected.saturating_sub(height);
    let mut near = Vec::new();
    let mut total = 0;
    let mut i = 0;
    while i < tags.len() && near.len() <= 2 * height {
        if passes(filter, &tags[i]) {
            if total >= from {
                near.push(i);
            }
            total += 1;
        }
        i += 1;
    }
    // The rest is only counted.
    total += tags[i..].iter().filter(|tag| passes(filter, tag)).count();
    let start = first(total);
    if start < from {
        // `selected` lay past the end (a filter shrank the list): the
        // last page, found in a second pass.
        let rows = tags
            .iter()
            .enumerate()
            .filter(|(_, tag)| passes(filter, tag))
            .skip(start)
            .take(height)
            .map(|(i, _)| i)
            .collect();
        return (total, start, rows);
    }
    let skip = (start - from).min(near.len());
    let rows = near[skip..].iter().take(height).copied().collect();
    (total, start, rows)
}

/// The line of event `seq` that refuses (an index into `Index::lines`),
/// so that a failure found in a pipelined group is the line selected.
pub fn failure_line(app: &App, seq: u64) -> Option<usize> {
    let index = &app.world.index;
    index.stops_of(seq).into_iter().find(|&i| {
        index.lines[i].dir == crate::trace::Dir::Down && is_failure_line(&index.lines[i].text)
    })
}

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    let trace = app.trace();
    let filter = &app.views.events_filter;
    let mut notes = Vec::new();
    if filter.hide_dns {
        notes.push("no DNS".to_owned());
    }
    if filter.failures_only {
        notes.push("failures only".to_owned());
    }
    if let Some(h) = filter.host {
        notes.push(format!("only {}", trace.name(crate::trace::HostId(h))));
    }
    let room = area.width.saturating_sub(2) as usize;
    let keys = " ▶ playhead, · not yet │ d DNS, x failures, o host, Enter jumps ";
    let height = Block::bordered().inner(area).height as usize;
    let (total, start, shown) = window(app, filter, app.views.events_selected, height);
    let title = if notes.is_empty() {
        format!(" Events ({} of {}) ", total, trace.len())
    } else {
        format!(
            " Events ({} of {}: {}) ",
            total,
            trace.len(),
            notes.join(", ")
        )
    };
    let block = pane(fit(&title, room).into_owned(), true, app)
        .title_bottom(Line::styled(fit(keys, room).into_owned(), theme.dim));
    if total == 0 {
        let text = "Nothing passes the filter: d, x and o change it.";
        frame.render_widget(
            Paragraph::new(Line::styled(text, theme.dim)).block(block),
            area,
        );
        return;
    }
    let selected = app.views.events_selected.min(total - 1);
    let num_w = trace.len().to_string().len();
    let time_w = shown
        .iter()
        .map(|&i| trace.events()[i].at.to_string().len())
        .max()
        .unwrap_or(0);
    let lines: Vec<Line> = shown
        .iter()
        .enumerate()
        .map(|(row, &i)| {
            let e = &trace.events()[i];
            let happened = i < app.pos;
            // Not yet happened: dimmed, and marked for terminals without dim.
            let marker = if i + 1 == app.pos {
                "▶"
            } else if happened {
                " "
            } else {
                "·"
            };
            let style = match (is_failure(e), happened) {
                (true, _) => theme.err,
                (false, true) => theme.base,
                (false, false) => theme.dim,
            };
            let spans = vec![
                Span::styled(marker, theme.accent),
                Span::styled(
                    format!("{:>num_w$} {:>time_w$} ", i + 1, e.at.to_string()),
                    theme.dim,
                ),
                Span::styled(event_text(trace, e), style),
            ];
            let line = Line::from(fit_spans(spans, room));
            if start + row == selected {
                line.style(theme.playhead)
            } else {
                line
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines).style(theme.base).block(block), area);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::{Theme, World};

    /// The rows a frame draws, its count and `nth` are those of the whole
    /// filtered list, for every bundled scenario, filter and selection.
    #[test]
    fn the_window_is_a_slice_of_the_whole_filtered_list() {
        for name in crate::scenario::bundled::names() {
            let plan = crate::scenario::load(name)
                .unwrap_or_else(|e| panic!("{name}: {e}"))
                .plan;
            let app = App::new(World::run(plan), Theme::dark());
            let hosts = app.trace().hosts.len() as u16;
            for hide_dns in [false, true] {
                for failures_only in [false, true] {
                    for host in std::iter::once(None).chain((0..hosts).map(Some)) {
                        let filter = EventFilter {
                            hide_dns,
                            failures_only,
                            host,
                        };
                        let list: Vec<usize> = app
                            .trace()
                            .events()
                            .iter()
                            .enumerate()
                            .filter(|(_, e)| {
                                let tag = app.world.index.tags[e.seq as usize];
                                assert_eq!(tag.failure, is_failure(e), "{name}");
                                passes(&filter, &tag)
                            })
                            .map(|(i, _)| i)
                            .collect();
                        assert_eq!(count(&app, &filter), list.len(), "{name} {filter:?}");
                        for height in [1, 5, 58] {
                            for selected in [0, 1, list.len() / 2, list.len(), list.len() + 3] {
                                let (total, start, rows) = window(&app, &filter, selected, height);
                                let end = (start + height).min(list.len());
                                assert_eq!(total, list.len(), "{name} {filter:?}");
                                assert_eq!(rows, list[start..end], "{name} {filter:?} {selected}");
                                assert_eq!(
                                    nth(&app, &filter, selected),
                                    list.get(selected).copied()
                                );
                            }
                        }
                    }
                }
            }
        }
    }
}
