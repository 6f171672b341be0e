//! "What if?" in the dashboard: on a server's reply, a DNS answer, a
//! connection or a delivery, a menu of the answers that point could have
//! had; the choice re-runs the world from the start with that one
//! override (same seed) and opens the branch at the fork. The other run
//! is kept, so a key switches between them, and what changed per
//! recipient is computed from the two traces (`trace::compare`).

use crate::dns::DnsAnswer;
use crate::plan::{Override, Plan};
use crate::scenario::whatif;
use crate::smtp::{Instead, Step};
use crate::trace::compare::{self, Change, Totals};
use crate::trace::point::{self, Point};
use crate::trace::state::State;
use crate::trace::{EventKind, Role};

use super::app::{App, Overlay, World};

/// One answer the menu offers.
#[derive(Debug, Clone)]
pub struct Choice {
    pub label: String,
    pub what: Override,
}

/// The open menu: the point, and its alternatives.
#[derive(Debug, Clone)]
pub struct Menu {
    /// `mx.example.net RCPT#1`, as `--what-if` writes it.
    pub point: String,
    /// What happened there in this run.
    pub now: String,
    pub choices: Vec<Choice>,
    pub selected: usize,
}

/// A run beside the one on screen: the original, or a what-if branch.
pub struct Other {
    pub world: World,
    pub state: State,
    /// Where the playhead was in it.
    pub pos: usize,
}

/// The what-if branch and the run it came from.
pub struct Branch {
    /// The run not on screen now.
    pub other: Other,
    /// True while the branch is the one on screen.
    pub showing_branch: bool,
    /// The what-if in `--what-if` words: `mx.example.net RCPT#1 250 ...`.
    pub what: String,
    /// The first event that differs (the same index in both runs).
    pub fork: usize,
    pub changes: Vec<Change>,
    /// (original, branch).
    pub totals: (Totals, Totals),
}

#[derive(Default)]
pub struct WhatIf {
    pub menu: Option<Menu>,
    pub branch: Option<Branch>,
}

/// The replies worth trying at a step, each with a plain enhanced code.
fn replies(step: Step) -> &'static [&'static str] {
    match step {
        Step::Connect => &["220", "421 4.3.2", "554 5.7.1"],
        Step::Data => &["354", "421 4.3.2", "451 4.3.0", "452 4.3.1", "554 5.5.1"],
        _ => &[
            "250 2.0.0",
            "421 4.3.2",
            "450 4.2.0",
            "451 4.3.0",
            "452 4.2.2",
            "550 5.1.1",
            "551 5.1.6",
            "552 5.2.2",
            "553 5.1.3",
            "554 5.7.1",
        ],
    }
}

/// The menu for a point of this run: every meaningful answer but the one
/// it had.
pub fn menu(app: &App, point: &Point) -> Menu {
    let trace = app.trace();
    let index = &app.world.index;
    let (now, choices) = match point {
        Point::Reply { step, line, .. } => {
            let now = line.map_or_else(
                || "no reply (a what-if took it)".to_owned(),
                |l| index.lines[l].text.to_string(),
            );
            let code = now.get(..3).unwrap_or_default().to_owned();
            let mut choices: Vec<Choice> = replies(*step)
                .iter()
                .filter(|r| !r.starts_with(&code))
                .filter_map(|r| {
                    let instead = whatif::instead(r).ok()?;
                    Some(Choice {
                        label: instead.to_string(),
                        what: Override::reply_at(point, instead)?,
                    })
                })
                .collect();
            for (instead, label) in [
                (Instead::Lost, "connection lost (no reply, the line breaks)"),
                (Instead::Silent, "timeout (no reply; the client gives up)"),
            ] {
                if let Some(what) = Override::reply_at(point, instead) {
                    choices.push(Choice {
                        label: label.to_owned(),
                        what,
                    });
                }
            }
            (now, choices)
        }
        Point::Dns {
            name, qtype, seq, ..
        } => {
            let now = answer_now(app, *seq).unwrap_or_else(|| format!("{name} {qtype}?"));
            let mut answers = vec![
                (DnsAnswer::NxDomain, "NXDOMAIN: no such name".to_owned()),
                (DnsAnswer::ServFail, "SERVFAIL: try again later".to_owned()),
                (
                    DnsAnswer::NoAnswer,
                    "no answer (the asker times out)".to_owned(),
                ),
                (
                    DnsAnswer::NoData,
                    "no records (the name exists, no record of this type)".to_owned(),
                ),
            ];
            if *qtype == crate::dns::QueryType::Mx {
                // Another MX set: each other mail server of the world.
                for h in trace.hosts.iter().filter(|h| h.role == Role::Mta) {
                    let record = crate::dns::Record::new(
                        name,
                        300,
                        crate::dns::RecordData::Mx {
                            preference: 10,
                            exchange: h.name.to_lowercase(),
                        },
                    );
                    if !now.contains(&format!("MX 10 {}.", h.name)) {
                        answers.push((
                            DnsAnswer::Records(vec![record]),
                            format!("MX 10 {}", h.name),
                        ));
                    }
                }
            }
            let choices = answers
                .into_iter()
                .filter_map(|(answer, label)| {
                    Some(Choice {
                        label,
                        what: Override::answer_at(point, answer)?,
                    })
                })
                .collect();
            (now, choices)
        }
    };
    Menu {
        point: point.describe(trace),
        now,
        choices,
        selected: 0,
    }
}

/// The answer the DNS server gave to the query at `seq`, as a summary.
fn answer_now(app: &App, seq: u64) -> Option<String> {
    let events = app.trace().events();
    let EventKind::Datagram { from, to, data, .. } = &events.get(seq as usize)?.kind else {
        return None;
    };
    let id = data.as_bytes().get(..2)?;
    events[seq as usize..].iter().find_map(|e| match &e.kind {
        EventKind::Datagram {
            from: f,
            to: t,
            data: d,
            ..
        } if f == to && t == from && d.as_bytes().get(..2) == Some(id) => {
            crate::dns::Summary::decode(d.as_bytes())
                .ok()
                .map(|s| s.to_string())
        }
        _ => None,
    })
}

/// The point under the playhead: the selected reply line, or the event.
pub fn point_here(app: &App) -> Option<Point> {
    let event = app.current()?;
    let (trace, index) = (app.trace(), &app.world.index);
    match &event.kind {
        EventKind::Bytes { .. } => point::of_line(trace, index, app.selected_line()?),
        _ => point::of_event(trace, index, event.seq),
    }
}

/// `w`: opens the menu for the point under the playhead, or says why not.
pub fn open(app: &mut App) {
    if app.computing.is_some() {
        app.notice =
            Some("what-if compares with the whole run: wait until the world is computed".into());
        return;
    }
    if app.world.plan.is_none() {
        app.notice = Some(
            "what-if re-runs the scenario: open the scenario itself, not a recording or a live world"
                .into(),
        );
        return;
    }
    let Some(point) = point_here(app) else {
        app.notice = Some(
            "no what-if here: step onto a server's reply, a DNS answer, a connection or a delivery"
                .into(),
        );
        return;
    };
    let menu = menu(app, &point);
    app.playing = false;
    app.whatif.menu = Some(menu);
    app.overlay = Overlay::WhatIf;
}

/// Runs the world again with the chosen what-if added to the plan of the
/// run on screen, and shows the branch at the fork.
pub fn choose(app: &mut App, k: usize) {
    let Some(menu) = app.whatif.menu.take() else {
        return;
    };
    app.overlay = Overlay::None;
    let (Some(choice), Some(plan)) = (menu.choices.get(k), app.world.plan.clone()) else {
        return;
    };
    let mut plan: Plan = plan;
    plan.overrides.push(choice.what.clone());
    let world = World::run(plan);
    let Some(fork) = compare::fork(&app.world.trace, &world.trace) else {
        app.notice = Some("that what-if changed nothing in this run".into());
        return;
    };
    let changes = compare::changes(
        &compare::fates(&app.world.trace, &app.state),
        &compare::fates(&world.trace, &State::build(&world.trace)),
    );
    let totals = (
        compare::totals(&app.world.trace),
        compare::totals(&world.trace),
    );
    let state = State::build(&world.trace);
    let original = std::mem::replace(&mut app.world, world);
    let original_state = std::mem::replace(&mut app.state, state);
    app.whatif.branch = Some(Branch {
        other: Other {
            world: original,
            state: original_state,
            pos: app.pos,
        },
        showing_branch: true,
        what: format!("{} {}", menu.point, choice.label),
        fork,
        changes,
        totals,
    });
    app.pinned = None;
    // Open at the fork: the changed reply (or answer) just sent.
    let first_after = app.world.trace.events()[fork..]
        .iter()
        .position(|e| !matches!(e.kind, EventKind::WhatIf { .. }))
        .map_or(fork + 1, |k| fork + k + 1);
    app.seek(first_after);
    app.part = app.stops().len().saturating_sub(1);
    if let Some(line) = changed_line(app) {
        app.seek_line(line);
    }
    app.overlay = Overlay::Changes;
}

/// In the branch at the fork, the reply line the what-if wrote.
fn changed_line(app: &App) -> Option<usize> {
    let (index, events) = (&app.world.index, app.world.trace.events());
    let fork = app.whatif.branch.as_ref()?.fork;
    let EventKind::WhatIf {
        conn: Some(conn),
        rest,
        ..
    } = &events.get(fork)?.kind
    else {
        return None;
    };
    let session = index.session(*conn)?;
    session
        .lines
        .iter()
        .copied()
        .find(|&k| index.lines[k].seq as usize > fork && index.lines[k].text == rest.instead)
}

/// `b`: the other run on screen, at the same playhead (the runs are the
/// same up to the fork).
pub fn switch(app: &mut App) {
    let Some(branch) = app.whatif.branch.as_mut() else {
        app.notice = Some("no what-if branch yet: w on a reply makes one".into());
        return;
    };
    let pos = app.pos;
    std::mem::swap(&mut app.world, &mut branch.other.world);
    std::mem::swap(&mut app.state, &mut branch.other.state);
    branch.showing_branch = !branch.showing_branch;
    let back = std::mem::replace(&mut branch.other.pos, pos);
    let showing = if branch.showing_branch {
        "the what-if branch"
    } else {
        "the original run"
    };
    app.notice = Some(format!(
        "showing {showing}: b switches back, c says what changed"
    ));
    app.pinned = None;
    app.follow = app.world.index.messages.first().cloned();
    app.seek(back.min(app.len()));
}

/// `c`: what changed, again.
pub fn show_changes(app: &mut App) {
    if app.whatif.branch.is_some() {
        app.overlay = Overlay::Changes;
    } else {
        app.notice = Some("no what-if branch yet: w on a reply makes one".into());
    }
}
