//! Where the hosts stand on the map, in cells of its inner area.
//!
//! Mail flows left to right: the clients that send, the servers they
//! submit to, the MTAs those relay to, and last the clients that only
//! fetch. DNS servers stand in a row above the flow, so that lookups, which
//! every host makes, do not cross the path of the mail. Columns are as wide
//! as their labels and evenly spaced; names are shortened, widest column
//! first, only as far as the width needs.

use std::collections::BTreeMap;

use crate::trace::{HostId, Protocol, Role, Trace};
use crate::tui::app::App;
use crate::tui::view::text::{host_name, width};

/// A host's label on the map: its row, first column and width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    pub x: u16,
    pub y: u16,
    pub w: u16,
}

impl Place {
    pub fn centre(&self) -> (f64, f64) {
        (
            f64::from(self.x) + f64::from(self.w) / 2.0,
            f64::from(self.y) + 0.5,
        )
    }

    /// Where a link towards `other` leaves this label: one cell beside it
    /// when the other host lies more across than up or down, else just
    /// above or below it.
    pub fn attach(&self, other: (f64, f64)) -> (f64, f64) {
        let (cx, cy) = self.centre();
        let (dx, dy) = (other.0 - cx, (other.1 - cy) * 2.0);
        if dx.abs() > dy.abs() {
            let x = if dx > 0.0 {
                f64::from(self.x + self.w) + 1.5
            } else {
                f64::from(self.x) - 1.5
            };
            (x, cy)
        } else if dy > 0.0 {
            (cx, cy + 1.0)
        } else {
            (cx, cy - 1.0)
        }
    }

    /// Does text on row `y` from column `x`, `w` wide, touch this label or
    /// the badge row below it?
    pub fn covers(&self, x: u16, y: u16, w: u16) -> bool {
        (y == self.y || y == self.y + 1) && x < self.x + self.w && self.x < x + w
    }
}

/// Each pair of hosts that held a session, client first, with the
/// protocol of its first session. Sessions are read only until every link
/// of the index between mail hosts is accounted for, so a long run costs
/// no more than its first trips (this runs every frame).
fn pairs(trace: &Trace, app: &App) -> Vec<(usize, usize, Protocol)> {
    let index = &app.world.index;
    let is_dns = |h: crate::trace::HostId| trace.host(h).role == Role::Dns;
    let wanted = index
        .links
        .iter()
        .filter(|(a, b)| !is_dns(*a) && !is_dns(*b))
        .count();
    let mut seen: Vec<(usize, usize)> = Vec::new();
    let mut out = Vec::new();
    for s in &index.sessions {
        if seen.len() >= wanted {
            break;
        }
        let (a, b) = (
            usize::from(s.connection.from.0),
            usize::from(s.connection.to.0),
        );
        if !out.iter().any(|&(x, y, _)| (x, y) == (a, b)) {
            out.push((a, b, s.connection.protocol));
        }
        if !seen.contains(&(a.min(b), a.max(b))) {
            seen.push((a.min(b), a.max(b)));
        }
    }
    out
}

/// Which column each host stands in, counted from the left; `None` for
/// DNS servers.
fn layers(trace: &Trace, app: &App) -> Vec<Option<usize>> {
    let pairs = pairs(trace, app);
    let mail = |p: Protocol| matches!(p, Protocol::Smtp | Protocol::Submission);
    let from = |i: usize| pairs.iter().filter(move |&&(a, _, _)| a == i);
    let mut layer: Vec<Option<usize>> = vec![None; trace.hosts.len()];
    // Clients that send come first; one that only fetches stands after
    // the server it fetches from, where the mail ends its trip.
    for (i, h) in trace.hosts.iter().enumerate() {
        let only_fetches = from(i).next().is_some() && !from(i).any(|&(_, _, p)| mail(p));
        // A real machine outside that sends (the clients of `serve`)
        // stands with the clients.
        let sends = from(i).any(|&(_, _, p)| mail(p));
        if (h.role == Role::Client && !only_fetches) || (h.role == Role::External && sends) {
            layer[i] = Some(0);
        }
    }
    // Breadth first along the way mail travels.
    let mut changed = true;
    while changed {
        changed = false;
        for &(a, b, _) in pairs.iter().filter(|&&(_, _, p)| mail(p)) {
            if let (Some(l), None) = (layer[a], layer[b])
                && matches!(trace.hosts[b].role, Role::Mta | Role::External)
            {
                layer[b] = Some(l + 1);
                changed = true;
            }
        }
    }
    for (i, h) in trace.hosts.iter().enumerate() {
        if layer[i].is_none() && matches!(h.role, Role::Mta | Role::External) {
            layer[i] = Some(1);
        }
    }
    for (i, h) in trace.hosts.iter().enumerate() {
        if layer[i].is_none() && h.role == Role::Client {
            let after = from(i).filter_map(|&(_, b, _)| layer[b]).max();
            layer[i] = Some(after.map_or(0, |l| l + 1));
        }
    }
    layer
}

/// The hosts of each column, top to bottom: each ordered by the mean row
/// of its neighbours in the column before, so that links cross little.
fn columns(app: &App, layer: &[Option<usize>]) -> Vec<Vec<usize>> {
    let count = layer.iter().flatten().max().map_or(0, |m| m + 1);
    let mut row_of = vec![0.0; layer.len()];
    let mut out = Vec::new();
    for c in 0..count {
        let neighbours = |i: usize| {
            app.world.index.links.iter().filter_map(move |&(a, b)| {
                let (a, b) = (usize::from(a.0), usize::from(b.0));
                let other = if a == i {
                    b
                } else if b == i {
                    a
                } else {
                    return None;
                };
                (c > 0 && layer[other] == Some(c - 1)).then_some(other)
            })
        };
        let mut hosts: Vec<(f64, usize)> = (0..layer.len())
            .filter(|&i| layer[i] == Some(c))
            .map(|i| {
                let rows: Vec<f64> = neighbours(i).map(|o| row_of[o]).collect();
                let key = if rows.is_empty() {
                    i as f64
                } else {
                    rows.iter().sum::<f64>() / rows.len() as f64
                };
                (key, i)
            })
            .collect();
        hosts.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        for (r, &(_, i)) in hosts.iter().enumerate() {
            row_of[i] = r as f64;
        }
        out.push(hosts.into_iter().map(|(_, i)| i).collect());
    }
    out
}

/// Every host's label and where it stands in a `w`×`h` map.
pub fn layout(app: &App, w: u16, h: u16) -> BTreeMap<HostId, (String, Place)> {
    let trace = app.trace();
    let layer = layers(trace, app);
    let cols = columns(app, &layer);
    let dns: Vec<usize> = (0..layer.len()).filter(|&i| layer[i].is_none()).collect();
    let label = |i: usize, room: usize| {
        let id = HostId(i as u16);
        format!(
            "{} {}",
            trace.host(id).role.symbol(),
            host_name(trace, id, room)
        )
    };
    // Full names if they fit with 10 cells between columns (room for a
    // link and the envelope on it), else shorter names in the widest
    // column, and again, until they fit.
    let (w_us, gap) = (usize::from(w), 10);
    let mut rooms: Vec<usize> = cols
        .iter()
        .map(|c| {
            c.iter()
                .map(|&i| width(&trace.hosts[i].name))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let widths = |rooms: &[usize]| -> Vec<usize> {
        cols.iter()
            .zip(rooms)
            .map(|(c, &r)| c.iter().map(|&i| width(&label(i, r))).max().unwrap_or(0))
            .collect()
    };
    let mut ws = widths(&rooms);
    while ws.iter().sum::<usize>() + gap * cols.len().saturating_sub(1) + 2 > w_us {
        let Some(c) = (0..cols.len())
            .filter(|&c| rooms[c] > 3)
            .max_by_key(|&c| ws[c])
        else {
            break;
        };
        rooms[c] = ws[c].saturating_sub(3).clamp(3, rooms[c] - 1);
        ws = widths(&rooms);
    }
    // Slack goes between the columns, where the links are; the margins
    // keep a little. One column stands in the middle.
    let slack = w_us.saturating_sub(ws.iter().sum());
    let margin = if cols.len() > 1 {
        (slack / (cols.len() + 1)).min(3)
    } else {
        slack / 2
    };
    let space = slack.saturating_sub(2 * margin) / cols.len().saturating_sub(1).max(1);
    // Rows: DNS on top, then a band for the mail hosts, five rows a host
    // at most so that links stay shallow, the drawing centred.
    let most = cols.iter().map(Vec::len).max().unwrap_or(1).max(1);
    let dns_h = match (dns.is_empty(), h) {
        (true, _) => 0,
        (false, 16..) => 4,
        (false, 10..) => 3,
        (false, _) => 2,
    };
    let avail = usize::from(h).saturating_sub(dns_h).max(1);
    let band = avail.min(most * 5).max(1);
    let top = (avail - band) / 2;
    let mut out = BTreeMap::new();
    let mut put = |i: usize, text: String, centre: usize, row: usize| {
        let tw = width(&text).min(w_us) as u16;
        let x = (centre.saturating_sub(usize::from(tw) / 2) as u16).min(w.saturating_sub(tw));
        let y = (row as u16).min(h.saturating_sub(1));
        out.insert(HostId(i as u16), (text, Place { x, y, w: tw }));
    };
    let mut left = margin;
    for (c, hosts) in cols.iter().enumerate() {
        for (k, &i) in hosts.iter().enumerate() {
            let row = top + dns_h + (2 * k + 1) * band / (2 * hosts.len());
            put(i, label(i, rooms[c]), left + ws[c] / 2, row);
        }
        left += ws[c] + space;
    }
    for (k, &i) in dns.iter().enumerate() {
        let slot = w_us / dns.len();
        put(
            i,
            label(i, slot.saturating_sub(6)),
            slot * k + slot / 2,
            top,
        );
    }
    out
}

/// Every host from left to right as the map shows them: column by column,
/// top to bottom, the DNS servers last. The ladder's lanes follow it.
pub fn order(app: &App) -> Vec<HostId> {
    let layer = layers(app.trace(), app);
    let cols = columns(app, &layer);
    let dns = (0..layer.len()).filter(|&i| layer[i].is_none());
    cols.into_iter()
        .flatten()
        .chain(dns)
        .map(|i| HostId(i as u16))
        .collect()
}
