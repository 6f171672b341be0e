//! The sequence (ladder) diagram of the followed message: the hosts it
//! meets as lanes, in the map's left-to-right order, and every command,
//! reply, lookup and queue fact of its trip as arrows down the page, like a
//! textbook figure. Message data is folded into one arrow.
//!
//! The lanes are laid out for the whole trip, so they stand still while
//! the playhead moves, and spaced by the labels that travel between them.
//! A label too long for its arrow is written beside the arrow instead,
//! over the lanes that take no part in that row.

use std::collections::{BTreeMap, BTreeSet};

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::pane;
use super::text::{dns_label, fit, host_name, width};
use crate::trace::describe::describe;
use crate::trace::index::{DnsLink, Outcome, Session};
use crate::trace::transcript::LineKind;
use crate::trace::{ConnId, Dir, Event, EventKind, HostId, SimTime};
use crate::tui::app::App;

/// One row of the ladder.
#[derive(Debug, Clone)]
pub enum Row {
    Arrow {
        at: SimTime,
        seq: u64,
        /// The transcript line it carries (an index into `Index::lines`),
        /// so that one line of a pipelined group can be the selected one.
        line: Option<usize>,
        from: HostId,
        to: HostId,
        label: String,
        style: Style,
    },
    Note {
        at: SimTime,
        seq: u64,
        host: HostId,
        text: String,
        style: Style,
    },
}

impl Row {
    fn seq(&self) -> u64 {
        match self {
            Row::Arrow { seq, .. } | Row::Note { seq, .. } => *seq,
        }
    }

    fn at(&self) -> SimTime {
        match self {
            Row::Arrow { at, .. } | Row::Note { at, .. } => *at,
        }
    }

    fn line(&self) -> Option<usize> {
        match self {
            Row::Arrow { line, .. } => *line,
            Row::Note { .. } => None,
        }
    }

    fn text(&self) -> &str {
        match self {
            Row::Arrow { label, .. } => label,
            Row::Note { text, .. } => text,
        }
    }
}

/// How many rows the ladder has at the playhead.
pub fn count(app: &App) -> usize {
    Trip::of(app).map_or(0, |trip| trip.count(app.pos))
}

/// Where a row comes from, before it is made: a row of the message's own
/// events (an index into `Trip::own`), a DNS datagram (its seq) or a
/// connection that failed (its session).
#[derive(Clone, Copy)]
enum Source<'a> {
    Own(usize),
    Dns(u64),
    Failed(&'a Session),
}

/// The followed message's trip as the index knows it: the rows of its own
/// events (a few dozen), and where the rest lie, found by position: the
/// DNS datagrams of the hosts it meets while it travels, and the
/// connections that failed from a host where it was queued. A frame reads
/// the rows it shows and a summary of the rest, never the trace between.
struct Trip<'a> {
    app: &'a App,
    /// The rows of its own events, with every line of its sessions, in
    /// order, up to the end of the trace.
    own: Vec<Row>,
    /// Its first seq, and one past its last (within the trace).
    first: u64,
    end: usize,
    /// The hosts it meets, each with the seq where it is first met.
    seen: BTreeMap<HostId, u64>,
    /// The hosts where it is queued, each with the seq of its first
    /// `Queued` there.
    queued: BTreeMap<HostId, u64>,
    /// Its sessions.
    conns: BTreeSet<ConnId>,
}

impl<'a> Trip<'a> {
    fn of(app: &'a App) -> Option<Trip<'a>> {
        let id = app.follow.as_ref()?;
        let index = &app.world.index;
        let trace = app.trace();
        let seqs = index.message_seqs(id);
        let mut trip = Trip {
            app,
            own: Vec::new(),
            first: *seqs.first()?,
            end: (*seqs.last()? as usize + 1).min(trace.len()),
            seen: BTreeMap::new(),
            queued: BTreeMap::new(),
            conns: BTreeSet::new(),
        };
        let meet = |seen: &mut BTreeMap<HostId, u64>, host: HostId, seq: u64| {
            seen.entry(host).or_insert(seq);
        };
        for &seq in seqs.iter().take_while(|&&s| (s as usize) < trace.len()) {
            let event = &trace.events()[seq as usize];
            match &event.kind {
                EventKind::Connect { conn, .. } => {
                    let Some(s) = index.session(*conn) else {
                        continue;
                    };
                    meet(&mut trip.seen, s.connection.from, seq);
                    meet(&mut trip.seen, s.connection.to, seq);
                    trip.conns.insert(*conn);
                    failed_connect(app, s, trace.len(), &mut trip.own);
                    session_rows(app, s, &mut trip.own);
                }
                kind => {
                    if let Some(row @ Row::Note { host, .. }) = note(app, event) {
                        meet(&mut trip.seen, host, seq);
                        if matches!(kind, EventKind::Queued { .. }) {
                            trip.queued.entry(host).or_insert(seq);
                        }
                        trip.own.push(row);
                    }
                }
            }
        }
        // Stable: the lines of one event keep their order.
        trip.own.sort_by_key(Row::seq);
        Some(trip)
    }

    /// The DNS links whose datagrams are rows at `pos` (a host of theirs
    /// met before `pos`), with the range of their datagrams that are.
    fn dns(&self, pos: usize) -> impl Iterator<Item = (&'a DnsLink, std::ops::Range<usize>)> + '_ {
        let met = move |h: &HostId| self.seen.get(h).is_some_and(|&s| (s as usize) < pos);
        let end = self.end.min(pos);
        self.app
            .world
            .index
            .dns_links
            .iter()
            .filter(move |((a, b), _)| met(a) || met(b))
            .map(move |(_, link)| (link, link.between(self.first, end)))
            .filter(|(_, range)| !range.is_empty())
    }

    /// The connections that failed, not the message's own, from a host
    /// where it was queued before `pos`, tried while it travelled, that
    /// have failed by `pos`.
    fn failed(&self, pos: usize) -> impl Iterator<Item = &'a Session> + '_ {
        let index = &self.app.world.index;
        let connects = self.first..self.end.min(pos) as u64;
        self.queued
            .iter()
            .filter(move |&(_, &at)| (at as usize) < pos)
            .flat_map(move |(&host, _)| index.failed_from(host, connects.clone()))
            .filter(move |s| {
                !self.conns.contains(&s.connection.conn) && (s.last_seq as usize) < pos
            })
    }

    /// How many of its own rows are before `pos`.
    fn own_before(&self, pos: usize) -> usize {
        self.own.partition_point(|r| (r.seq() as usize) < pos)
    }

    /// How many rows there are at `pos`.
    fn count(&self, pos: usize) -> usize {
        self.own_before(pos)
            + self.dns(pos).map(|(_, r)| r.len()).sum::<usize>()
            + self.failed(pos).count()
    }

    /// The last `k` rows at `pos`, in order.
    fn tail(&self, pos: usize, k: usize) -> Vec<Row> {
        let own = self.own_before(pos);
        let mut sources: Vec<(u64, usize, Source<'a>)> = (own.saturating_sub(k)..own)
            .map(|i| (self.own[i].seq(), i, Source::Own(i)))
            .collect();
        for (link, range) in self.dns(pos) {
            let from = range.end.saturating_sub(k).max(range.start);
            sources.extend(
                link.seqs[from..range.end]
                    .iter()
                    .map(|&seq| (seq, 0, Source::Dns(seq))),
            );
        }
        sources.extend(self.failed(pos).map(|s| (s.last_seq, 0, Source::Failed(s))));
        sources.sort_by_key(|&(seq, i, _)| (seq, i));
        let from = sources.len().saturating_sub(k);
        sources[from..]
            .iter()
            .map(|&(_, _, source)| self.row(source))
            .collect()
    }

    fn row(&self, source: Source<'_>) -> Row {
        let app = self.app;
        match source {
            Source::Own(i) => self.own[i].clone(),
            Source::Dns(seq) => {
                let e = &app.trace().events()[seq as usize];
                let EventKind::Datagram { from, to, data, .. } = &e.kind else {
                    unreachable!("the index lists datagrams only")
                };
                Row::Arrow {
                    at: e.at,
                    seq,
                    line: None,
                    from: *from,
                    to: *to,
                    label: dns_label(data.as_bytes()),
                    style: app.theme.dns,
                }
            }
            Source::Failed(s) => {
                let mut rows = Vec::new();
                failed_connect(app, s, app.len(), &mut rows);
                rows.pop().expect("a failed session makes a row")
            }
        }
    }

    /// What the lanes are laid out from: the whole trip, to the end of
    /// the trace. Its hosts in the map's order; the arrows between two
    /// lanes (hosts and label width) in row order, leaving out a DNS label
    /// no wider than one before it between the same hosts (it cannot
    /// widen a gap that one already widened); and the widest time.
    fn layout(&self) -> Layout {
        let app = self.app;
        let index = &app.world.index;
        let len = app.len();
        // Each span with its row's place (seq, then order within the seq).
        let mut spans: Vec<((u64, usize), Span)> = Vec::new();
        let mut used: BTreeSet<HostId> = BTreeSet::new();
        let mut time_w = 0;
        let mut time = |at: SimTime| time_w = time_w.max(at.to_string().len());
        for (i, row) in self.own.iter().enumerate() {
            time(row.at());
            match row {
                Row::Arrow {
                    from, to, label, ..
                } => {
                    used.extend([*from, *to]);
                    spans.push(((row.seq(), i), (*from, *to, width(label))));
                }
                Row::Note { host, .. } => {
                    used.insert(*host);
                }
            }
        }
        for s in self.failed(len) {
            let mut rows = Vec::new();
            failed_connect(app, s, len, &mut rows);
            for row in rows {
                time(row.at());
                if let Row::Arrow {
                    from, to, label, ..
                } = &row
                {
                    used.extend([*from, *to]);
                    spans.push(((row.seq(), 0), (*from, *to, width(label))));
                }
            }
        }
        let events = app.trace().events();
        for (link, range) in self.dns(len) {
            let span = |i: usize| {
                let seq = link.seqs[i];
                let EventKind::Datagram { from, to, .. } = events[seq as usize].kind else {
                    unreachable!("the index lists datagrams only")
                };
                ((seq, 0), (from, to, link.width(i)))
            };
            let (_, (a, b, _)) = span(range.start);
            used.extend([a, b]);
            // Times only grow along the trace: the last is the widest.
            if index.times_ordered() {
                time(events[link.seqs[range.end - 1] as usize].at);
            } else {
                range
                    .clone()
                    .for_each(|i| time(events[link.seqs[i] as usize].at));
            }
            // Labels wider than every one before them; the lanes take no
            // label wider than `LABEL_MAX`.
            let mut at = Some(range.start);
            while let Some(i) = at {
                let record = span(i);
                let widest = record.1.2.min(LABEL_MAX);
                spans.push(record);
                at = (widest < LABEL_MAX)
                    .then(|| link.next_wider(i + 1..range.end, widest))
                    .flatten();
            }
        }
        spans.sort_by_key(|&(key, _)| key);
        let hosts = super::map::host_order(app)
            .into_iter()
            .filter(|h| used.contains(h))
            .collect();
        Layout {
            hosts,
            spans: spans.into_iter().map(|(_, span)| span).collect(),
            time_w,
        }
    }
}

/// An arrow that may widen a gap: from, to, label width in cells.
type Span = (HostId, HostId, usize);

/// How the ladder is laid out, from the whole trip.
struct Layout {
    /// The hosts of every row, in the map's order.
    hosts: Vec<HostId>,
    /// The arrows that may widen a gap: from, to, label width.
    spans: Vec<Span>,
    /// The widest time of a row, in cells.
    time_w: usize,
}

/// The widest label the lanes make room for.
const LABEL_MAX: usize = 48;

/// The rows of one session up to the end of the trace: its lines, the
/// message data folded into one arrow.
fn session_rows(app: &App, s: &Session, rows: &mut Vec<Row>) {
    let theme = &app.theme;
    let index = &app.world.index;
    let (client, server) = (s.connection.from, s.connection.to);
    let mut data_lines = 0;
    for &i in &s.lines {
        let line = &index.lines[i];
        let (from, to) = if line.dir == Dir::Up {
            (client, server)
        } else {
            (server, client)
        };
        if line.kind == LineKind::Chunk {
            // The BDAT arrow above says how many octets.
            continue;
        }
        if line.kind == LineKind::Data {
            data_lines += 1;
            if line.text != "." {
                continue;
            }
        }
        let (label, style) = match line.kind {
            LineKind::Data => (
                format!("‹message data, {} lines› .", data_lines - 1),
                theme.dim,
            ),
            LineKind::Reply { code } => (line.text.to_string(), theme.reply(code, &line.text)),
            LineKind::Command | LineKind::SaslResponse | LineKind::Chunk => {
                (line.text.to_string(), theme.client)
            }
        };
        rows.push(Row::Arrow {
            at: line.at,
            seq: line.seq,
            line: Some(i),
            from,
            to,
            label,
            style,
        });
    }
}

/// The note a queue fact of the message makes, on the lane of its host.
fn note(app: &App, event: &Event) -> Option<Row> {
    let theme = &app.theme;
    let trace = app.trace();
    let kind = &event.kind;
    let host = match kind {
        EventKind::Composed { host, .. }
        | EventKind::Queued { host, .. }
        | EventKind::Relayed { host, .. }
        | EventKind::Delivered { host, .. }
        | EventKind::Deferred { host, .. }
        | EventKind::Bounced { host, .. }
        | EventKind::Expired { host, .. }
        | EventKind::Retrieved { host, .. } => *host,
        _ => return None,
    };
    let style = if matches!(
        kind,
        EventKind::Deferred { .. } | EventKind::Bounced { .. } | EventKind::Expired { .. }
    ) {
        theme.warn
    } else {
        theme.accent
    };
    // The lane says who; the note says what.
    let text = describe(trace, kind).unwrap_or_default();
    let who = format!("* {} ", trace.name(host));
    let text = text.strip_prefix(&who).map(str::to_owned).unwrap_or(text);
    Some(Row::Note {
        at: event.at,
        seq: event.seq,
        host,
        text,
        style,
    })
}

/// An arrow for a connection that was refused or never answered.
fn failed_connect(app: &App, s: &Session, pos: usize, rows: &mut Vec<Row>) {
    let label = match s.outcome {
        Outcome::Refused => "✗ connection refused",
        Outcome::Unreachable => "✗ connect: no answer",
        Outcome::Open => return,
    };
    if (s.last_seq as usize) < pos {
        let at = app.trace().events()[s.last_seq as usize].at;
        let (from, to) = (s.connection.from, s.connection.to);
        rows.push(Row::Arrow {
            at,
            seq: s.last_seq,
            line: None,
            from,
            to,
            label: label.into(),
            style: app.theme.err,
        });
    }
}

/// Where each lane's lifeline stands, from the labels of the whole trip
/// (`spans`: from, to and label width, in row order): each gap as wide as
/// the longest label between its two lanes asks, then all scaled to the
/// room there is.
fn lanes(hosts: &[HostId], spans: &[(HostId, HostId, usize)], room: u16) -> Vec<u16> {
    let n = hosts.len();
    let lane = |h: HostId| hosts.iter().position(|&x| x == h).unwrap_or(0);
    let mut gaps = vec![14usize; n.saturating_sub(1)];
    let spans: Vec<(usize, usize, usize)> = spans
        .iter()
        .filter(|(from, to, _)| from != to)
        .map(|&(from, to, w)| {
            let (a, b) = (lane(from).min(lane(to)), lane(from).max(lane(to)));
            (a, b, w.min(LABEL_MAX) + 4)
        })
        .collect();
    crate::lanes::widen(&mut gaps, spans);
    // The first name and the last notes need some room at the edges;
    // what is left over widens the gaps, up to twice what they asked.
    let (edge_left, edge_right) = (6usize, 12usize);
    let total: usize = gaps.iter().sum::<usize>() + edge_left + edge_right;
    let room = usize::from(room);
    let scale = if total > room {
        room as f64 / total as f64
    } else {
        let spare = (room - total).saturating_sub(30) as f64;
        let asked: usize = gaps.iter().sum();
        1.0 + (spare / asked.max(1) as f64).min(1.0)
    };
    let mut x = edge_left;
    let mut out = vec![x as u16];
    for g in gaps {
        x += ((g as f64 * scale) as usize).max(4);
        out.push(x.min(room.saturating_sub(1)) as u16);
    }
    out
}

pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let theme = app.theme;
    let title = match &app.follow {
        Some(id) => format!(" Ladder of {id} "),
        None => " Ladder ".into(),
    };
    let room = area.width.saturating_sub(2) as usize;
    let block = pane(fit(&title, room).into_owned(), true, app);
    let inner = block.inner(area);
    let trip = Trip::of(app);
    let total = trip.as_ref().map_or(0, |trip| trip.count(app.pos));
    let layout = trip.as_ref().filter(|_| total > 0).map(Trip::layout);
    let Some((trip, layout)) = trip.zip(layout).filter(|(_, l)| !l.hosts.is_empty()) else {
        let text = if app.follow.is_none() {
            "No message to follow: press f to choose one."
        } else {
            "The followed message has not left yet: press Space or →, or } to jump to its first hop."
        };
        frame.render_widget(
            Paragraph::new(text)
                .wrap(ratatui::widgets::Wrap { trim: true })
                .style(theme.dim)
                .block(block),
            area,
        );
        return;
    };
    let all_hosts = &layout.hosts;
    let time_w = layout.time_w as u16 + 1;
    if inner.width <= time_w + 8 || inner.height < 3 {
        frame.render_widget(block, area);
        return;
    }
    let xs = lanes(all_hosts, &layout.spans, inner.width - time_w - 1);
    let x_of =
        |h: HostId| inner.x + time_w + 1 + xs[all_hosts.iter().position(|&x| x == h).unwrap_or(0)];
    // Rows hidden above the screen are announced in the bottom border.
    let body = (inner.height - 1) as usize;
    let back = (app.views.scroll as usize).min(total.saturating_sub(body));
    let start = total.saturating_sub(body + back);
    let note = (start > 0).then(|| format!(" ↑ {start} earlier rows: ↑ scrolls "));
    let note_w = note.as_deref().map_or(0, width);
    let block = match note {
        Some(note) => block.title_bottom(Line::styled(note, theme.accent).right_aligned()),
        None => block,
    };
    let current = app.current().map(|e| e.seq);
    // The rows from the first shown to the last, which the current
    // event's rows end (at most one DNS datagram and one failed
    // connection besides its own): all that the frame and the selection
    // read. `rows[i]` is row `base + i` of the ladder.
    let of_current = trip.own_before(app.pos) - trip.own_before(app.pos.saturating_sub(1)) + 2;
    let rows = trip.tail(app.pos, (total - start).max(of_current));
    let base = total - rows.len();
    let selected = selected_row(app, &rows, current).map(|i| base + i);
    // The selected row in full along the bottom border when the ladder
    // had to cut it: the line a student is reading is never cut.
    let cut = selected
        .filter(|&i| (start..start + body).contains(&i))
        .map(|i| &rows[i - base])
        .filter(|row| row_width(row, all_hosts, &xs, inner.width - time_w - 1) < width(row.text()));
    let block = match cut {
        Some(row) => {
            let room = usize::from(inner.width).saturating_sub(note_w + 6);
            let text = format!(" ▶ {} ", fit(row.text(), room));
            block.title_bottom(Line::styled(text, theme.playhead).left_aligned())
        }
        None => block,
    };
    frame.render_widget(block, area);
    let buf = frame.buffer_mut();
    let right = inner.x + inner.width;
    let lanes_room = inner.width - time_w - 1;
    let mut names_end = 0;
    for (i, &h) in all_hosts.iter().enumerate() {
        // A name centred on its lane, as wide as half the gap on either
        // side allows (the edges count whole).
        let before = i.checked_sub(1).map_or(xs[i] * 2, |j| xs[i] - xs[j]);
        let after = xs
            .get(i + 1)
            .map_or(lanes_room.saturating_sub(xs[i]) * 2, |&x| x - xs[i]);
        let name = host_name(
            app.trace(),
            h,
            usize::from(before.min(after).saturating_sub(1)).max(3),
        );
        let w = width(&name) as u16;
        let x = x_of(h)
            .saturating_sub(w / 2)
            .min(right.saturating_sub(w))
            .max(inner.x + time_w)
            .max(names_end);
        // No room left for this name: better none than two run together.
        if x + w.min(3) <= right && x <= x_of(h) {
            buf.set_stringn(x, inner.y, &name, usize::from(right - x), theme.title);
            names_end = x + w + 1;
        }
    }
    for (r, row) in rows.iter().enumerate().skip(start - base).take(body) {
        let r = r + base - start;
        let y = inner.y + 1 + r as u16;
        for &h in all_hosts {
            if x_of(h) < right {
                buf.set_string(x_of(h), y, "│", theme.dim);
            }
        }
        // ▶ on the selected row, · on the rest of its group.
        let (mark, time_style) = if selected == Some(r + start) {
            ("▶", theme.playhead)
        } else if current == Some(row.seq()) {
            ("▷", theme.playhead)
        } else {
            (" ", theme.dim)
        };
        buf.set_string(inner.x, y, mark, theme.accent);
        buf.set_string(
            inner.x + 1,
            y,
            format!("{:>w$}", row.at().to_string(), w = usize::from(time_w - 1)),
            time_style,
        );
        match row {
            Row::Arrow {
                from,
                to,
                label,
                style,
                ..
            } => {
                draw_arrow(
                    buf,
                    y,
                    (x_of(*from), x_of(*to)),
                    (inner.x + time_w, right),
                    label,
                    *style,
                );
            }
            Row::Note {
                host, text, style, ..
            } => {
                let x = x_of(*host);
                let text = format!("● {text}");
                let after = usize::from(right.saturating_sub(x));
                let before = usize::from(x.saturating_sub(inner.x + time_w + 1));
                if after >= width(&text).min(24) || after >= before {
                    buf.set_stringn(x, y, fit(&text, after), after, *style);
                } else {
                    // A lane near the right edge: the note ends at it.
                    let kept = fit(&text["● ".len()..], before.saturating_sub(2)).into_owned();
                    let text = format!("{kept} ●");
                    let x = x + 1 - width(&text) as u16;
                    buf.set_string(x, y, text, *style);
                }
            }
        }
    }
}

/// The row the playhead selects: of the current event's rows, the one
/// carrying the selected transcript line (a data line is read with the
/// run it ends), else its last.
fn selected_row(app: &App, rows: &[Row], current: Option<u64>) -> Option<usize> {
    let current = current?;
    let of_event: Vec<usize> = (0..rows.len())
        .filter(|&i| rows[i].seq() == current)
        .collect();
    let line = app.selected_line();
    of_event
        .iter()
        .copied()
        .find(|&i| matches!((rows[i].line(), line), (Some(l), Some(s)) if l >= s))
        .or(of_event.last().copied())
}

/// How many cells of a row's text the ladder can show: between the two
/// lifelines, or beside them up to the edge, whichever is wider.
fn row_width(row: &Row, hosts: &[HostId], xs: &[u16], room: u16) -> usize {
    let x = |h: HostId| xs[hosts.iter().position(|&x| x == h).unwrap_or(0)];
    match row {
        Row::Arrow { from, to, .. } => {
            let (a, b) = (x(*from).min(x(*to)), x(*from).max(x(*to)));
            let inside = usize::from(b - a).saturating_sub(5);
            let after = usize::from(room.saturating_sub(b + 2));
            let before = usize::from(a.saturating_sub(2));
            if a == b {
                usize::from(room.saturating_sub(a + 2))
            } else {
                inside.max(after).max(before)
            }
        }
        Row::Note { host, .. } => {
            let at = x(*host);
            usize::from(room.saturating_sub(at + 2)).max(usize::from(at.saturating_sub(2)))
        }
    }
}

/// `──── label ───▶` from one lifeline to the other, or the arrow alone
/// and its label beside it when the label does not fit between them.
fn draw_arrow(
    buf: &mut Buffer,
    y: u16,
    (x1, x2): (u16, u16),
    (left_edge, right_edge): (u16, u16),
    label: &str,
    style: Style,
) {
    if x1 == x2 {
        let room = usize::from(right_edge - x1);
        buf.set_stringn(x1, y, fit(&format!("↺ {label}"), room), room, style);
        return;
    }
    let (left, right) = (x1.min(x2), x1.max(x2));
    let inside = usize::from(right - left - 1);
    if inside == 0 || right >= right_edge {
        return;
    }
    let head = if x2 > x1 { '▶' } else { '◀' };
    let wide = width(label) + 4 <= inside;
    let mut cells: Vec<char> = vec!['─'; inside];
    if x2 > x1 {
        cells[inside - 1] = head;
    } else {
        cells[0] = head;
    }
    if wide {
        let text: Vec<char> = format!(" {label} ").chars().collect();
        let offset = (inside - text.len()) / 2;
        cells.splice(offset..offset + text.len(), text);
    }
    buf.set_string(left + 1, y, cells.into_iter().collect::<String>(), style);
    if wide {
        return;
    }
    // Beside the arrow, on the side with more room; cut if need be.
    let after = usize::from(right_edge.saturating_sub(right + 2));
    let before = usize::from(left.saturating_sub(left_edge + 2));
    let w = width(label);
    // After the arrow reads on naturally; before it only when that side
    // shows the label whole, or much more of it.
    if w <= after || (w > before && after + 8 >= before) {
        buf.set_stringn(right + 2, y, fit(label, after), after, style);
    } else {
        let text = fit(label, before).into_owned();
        buf.set_string(left - 1 - width(&text) as u16, y, text, style);
    }
}

/// The ladder as it was first written: a walk over the trip, for the tests
/// to hold the indexed rows to.
#[cfg(test)]
mod walk {
    use super::*;

    /// The rows of the followed message among the first `pos` events.
    pub fn rows_until(app: &App, pos: usize) -> (Vec<HostId>, Vec<Row>) {
        let Some(id) = &app.follow else {
            return (Vec::new(), Vec::new());
        };
        let theme = &app.theme;
        let index = &app.world.index;
        let trace = app.trace();
        let seqs = index.message_seqs(id);
        let mut rows = Vec::new();
        let mut hosts_seen: BTreeSet<HostId> = BTreeSet::new();
        let mut conns: BTreeSet<ConnId> = BTreeSet::new();
        let mut queued_at: BTreeSet<HostId> = BTreeSet::new();
        for &seq in seqs.iter().take_while(|&&s| (s as usize) < pos) {
            let event = &trace.events()[seq as usize];
            match &event.kind {
                EventKind::Connect { conn, .. } => {
                    let Some(s) = index.session(*conn) else {
                        continue;
                    };
                    let (client, server) = (s.connection.from, s.connection.to);
                    hosts_seen.extend([client, server]);
                    failed_connect(app, s, pos, &mut rows);
                    conns.insert(*conn);
                    let mut data_lines = 0;
                    for &i in &s.lines {
                        let line = &index.lines[i];
                        if line.seq as usize >= pos {
                            break;
                        }
                        let (from, to) = if line.dir == Dir::Up {
                            (client, server)
                        } else {
                            (server, client)
                        };
                        if line.kind == LineKind::Chunk {
                            // The BDAT arrow above says how many octets.
                            continue;
                        }
                        if line.kind == LineKind::Data {
                            data_lines += 1;
                            if line.text != "." {
                                continue;
                            }
                        }
                        let (label, style) = match line.kind {
                            LineKind::Data => (
                                format!("‹message data, {} lines› .", data_lines - 1),
                                theme.dim,
                            ),
                            LineKind::Reply { code } => {
                                (line.text.to_string(), theme.reply(code, &line.text))
                            }
                            LineKind::Command | LineKind::SaslResponse | LineKind::Chunk => {
                                (line.text.to_string(), theme.client)
                            }
                        };
                        rows.push(Row::Arrow {
                            at: line.at,
                            seq: line.seq,
                            line: Some(i),
                            from,
                            to,
                            label,
                            style,
                        });
                    }
                }
                kind => {
                    let host = match kind {
                        EventKind::Composed { host, .. }
                        | EventKind::Queued { host, .. }
                        | EventKind::Relayed { host, .. }
                        | EventKind::Delivered { host, .. }
                        | EventKind::Deferred { host, .. }
                        | EventKind::Bounced { host, .. }
                        | EventKind::Expired { host, .. }
                        | EventKind::Retrieved { host, .. } => *host,
                        _ => continue,
                    };
                    hosts_seen.insert(host);
                    if matches!(kind, EventKind::Queued { .. }) {
                        queued_at.insert(host);
                    }
                    let style = if matches!(
                        kind,
                        EventKind::Deferred { .. }
                            | EventKind::Bounced { .. }
                            | EventKind::Expired { .. }
                    ) {
                        theme.warn
                    } else {
                        theme.accent
                    };
                    // The lane says who; the note says what.
                    let text = describe(trace, kind).unwrap_or_default();
                    let who = format!("* {} ", trace.name(host));
                    let text = text.strip_prefix(&who).map(str::to_owned).unwrap_or(text);
                    rows.push(Row::Note {
                        at: event.at,
                        seq,
                        host,
                        text,
                        style,
                    });
                }
            }
        }
        // The DNS lookups its hosts made while it travelled, and the
        // connections that failed before the message could be offered (the
        // index ties a session to a message only once it is greeted).
        if let (Some(&first), Some(&last)) = (seqs.first(), seqs.last()) {
            let end = (last as usize + 1).min(pos).min(trace.len());
            for e in trace.events().get(first as usize..end).unwrap_or_default() {
                match &e.kind {
                    EventKind::Datagram { from, to, data, .. }
                        if hosts_seen.contains(from) || hosts_seen.contains(to) =>
                    {
                        let label = dns_label(data.as_bytes());
                        rows.push(Row::Arrow {
                            at: e.at,
                            seq: e.seq,
                            line: None,
                            from: *from,
                            to: *to,
                            label,
                            style: theme.dns,
                        });
                    }
                    EventKind::Connect { conn, from, .. }
                        if queued_at.contains(from) && !conns.contains(conn) =>
                    {
                        if let Some(s) = index.session(*conn) {
                            failed_connect(app, s, pos, &mut rows);
                        }
                    }
                    _ => {}
                }
            }
        }
        rows.sort_by_key(Row::seq);
        let mut used: BTreeSet<HostId> = BTreeSet::new();
        for row in &rows {
            match row {
                Row::Arrow { from, to, .. } => used.extend([*from, *to]),
                Row::Note { host, .. } => {
                    used.insert(*host);
                }
            }
        }
        let hosts = super::super::map::host_order(app)
            .into_iter()
            .filter(|h| used.contains(h))
            .collect();
        (hosts, rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::{Theme, World};

    /// The playheads a message's ladder is checked at: every one around
    /// its own events, and a spread over the whole trace.
    fn playheads(seqs: &[u64], len: usize) -> BTreeSet<usize> {
        let mut at: BTreeSet<usize> = (0..=len).step_by((len / 60).max(1)).collect();
        for &s in seqs {
            let s = s as usize;
            at.extend([s, s + 1, s + 2].into_iter().filter(|&p| p <= len));
        }
        at.insert(len);
        at
    }

    fn spans_of(rows: &[Row]) -> Vec<(HostId, HostId, usize)> {
        rows.iter()
            .filter_map(|r| match r {
                Row::Arrow {
                    from, to, label, ..
                } => Some((*from, *to, width(label))),
                Row::Note { .. } => None,
            })
            .collect()
    }

    /// The indexed ladder draws the rows of the plain walk, lays out the
    /// same lanes, and counts the same rows, for every message of every
    /// bundled scenario at many playheads.
    #[test]
    fn the_indexed_ladder_agrees_with_the_walk() {
        for name in crate::scenario::bundled::names() {
            let plan = crate::scenario::load(name)
                .unwrap_or_else(|e| panic!("{name}: {e}"))
                .plan;
            let mut app = App::new(World::run(plan), Theme::dark());
            let len = app.len();
            let messages = app.world.index.messages.clone();
            for id in messages {
                app.follow = Some(id.clone());
                let seqs = app.world.index.message_seqs(&id);
                let (all_hosts, all_rows) = walk::rows_until(&app, len);
                let trip = Trip::of(&app).expect("a message with events");
                let layout = trip.layout();
                assert_eq!(layout.hosts, all_hosts, "{name} {id}: hosts");
                let time_w = all_rows.iter().map(|r| r.at().to_string().len()).max();
                assert_eq!(
                    layout.time_w,
                    time_w.unwrap_or(0),
                    "{name} {id}: time width"
                );
                for room in [20, 60, 120, 400] {
                    assert_eq!(
                        lanes(&layout.hosts, &layout.spans, room),
                        lanes(&all_hosts, &spans_of(&all_rows), room),
                        "{name} {id}: lanes in {room} cells"
                    );
                }
                for pos in playheads(&seqs, len) {
                    let (_, rows) = walk::rows_until(&app, pos);
                    assert_eq!(trip.count(pos), rows.len(), "{name} {id} at {pos}: count");
                    for k in [0, 1, 3, 40, rows.len(), rows.len() + 2] {
                        let tail = format!("{:?}", trip.tail(pos, k));
                        let want = format!("{:?}", &rows[rows.len().saturating_sub(k)..]);
                        assert_eq!(tail, want, "{name} {id} at {pos}: last {k} rows");
                    }
                }
            }
        }
    }
}
