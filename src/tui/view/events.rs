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
#[cfg(test)]
use crate::trace::index::Tag;
use crate::trace::postings::Union;
use crate::tui::app::{App, EventFilter};

pub use crate::trace::describe::is_failure;

/// Does the filter let through an event with this tag? (The filters
/// below read the index's lists instead; this says what they mean.)
#[cfg(test)]
fn passes(filter: &EventFilter, tag: &Tag) -> bool {
    let host = match filter.host {
        None => true,
        Some(h) => tag.hosts[0] == Some(HostId(h)) || tag.hosts[1] == Some(HostId(h)),
    };
    !(filter.hide_dns && tag.dns) && (!filter.failures_only || tag.failure) && host
}

/// The classes of events (`postings::class`) the filter lets through.
fn classes(filter: &EventFilter) -> u8 {
    (0..4u8)
        .filter(|&c| {
            let (dns, failure) = (c & 1 != 0, c & 2 != 0);
            !(filter.hide_dns && dns) && (!filter.failures_only || failure)
        })
        .fold(0, |mask, c| mask | 1 << c)
}

/// How many events the list may show. In predict mode only those before
/// the playhead: a future reply (or a failure marked ahead) would give
/// the answer away.
fn shown(app: &App) -> usize {
    let indexed = app.world.index.tags.len();
    if app.predict.on { app.pos } else { app.len() }.min(indexed)
}

/// The events the filter lets through, as one sorted list (seqs).
fn passing<'a>(app: &'a App, filter: &EventFilter) -> Union<'a> {
    let index = &app.world.index;
    let scope = match filter.host {
        None => Some(&index.events_all),
        Some(h) => index.events_of(HostId(h)),
    };
    scope.map_or_else(Union::default, |p| p.select(classes(filter), shown(app)))
}

fn is_open(filter: &EventFilter) -> bool {
    !filter.hide_dns && !filter.failures_only && filter.host.is_none()
}

/// The events the filter lets through: their indices in the trace.
pub fn filtered(app: &App, filter: &EventFilter) -> Vec<usize> {
    let list = passing(app, filter);
    list.range(0, list.len())
}

/// How many events the filter lets through.
pub fn count(app: &App, filter: &EventFilter) -> usize {
    if is_open(filter) {
        return shown(app);
    }
    passing(app, filter).len()
}

/// The `k`th event the filter lets through (its index in the trace).
pub fn nth(app: &App, filter: &EventFilter, k: usize) -> Option<usize> {
    if is_open(filter) {
        return (k < shown(app)).then_some(k);
    }
    passing(app, filter).nth(k)
}

/// The rows of a list `height` high around row `selected`: how many rows
/// pass the filter, the first row shown, and the events shown (indices in
/// the trace). Binary searches in the index's lists: a frame never reads
/// more of the trace than it shows.
pub fn window(
    app: &App,
    filter: &EventFilter,
    selected: usize,
    height: usize,
) -> (usize, usize, Vec<usize>) {
    let first = |total: usize| {
        let selected = selected.min(total.saturating_sub(1));
        selected
            .saturating_sub(height / 2)
            .min(total.saturating_sub(height))
    };
    if is_open(filter) {
        let total = shown(app);
        let start = first(total);
        return (total, start, (start..(start + height).min(total)).collect());
    }
    let list = passing(app, filter);
    let total = list.len();
    let start = first(total);
    (total, start, list.range(start, height))
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
