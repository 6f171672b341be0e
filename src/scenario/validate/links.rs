//! Links: both ends are hosts, the loss is a chance, the times parse.

use super::Validator;
use super::hosts::host_id;
use crate::plan::{LinkPlan, ResetPlan};
use crate::scenario::ron::Step;
use crate::scenario::ron::Step::{Field, Item};
use crate::scenario::schema::{Reset, Scenario};
use crate::scenario::suggest::closest;

impl Validator<'_> {
    pub(super) fn links(&mut self, s: &Scenario, names: &[&str]) -> Vec<LinkPlan> {
        s.links
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let field = |f: &'static str| [Field(name!(Scenario.links)), Item(i), Field(f)];
                let end = |v: &mut Self, name: &str, k: usize| {
                    let index = names
                        .iter()
                        .position(|n| n.eq_ignore_ascii_case(name))
                        .unwrap_or_else(|| {
                            let help = match closest(name, names.iter().copied()) {
                                Some(c) => format!("did you mean {c:?}?"),
                                None => format!("the hosts here are: {}", names.join(", ")),
                            };
                            let problem = v
                                .at(
                                    format!("a link names {name:?}, which is no host of this scenario"),
                                    &[Field(name!(Scenario.links)), Item(i), Field(name!(Link.between)), Item(k)],
                                )
                                .help(help);
                            v.push(problem);
                            0
                        });
                    host_id(index)
                };
                let a = end(self, &l.between.0, 0);
                let b = end(self, &l.between.1, 1);
                if !(0.0..=1.0).contains(&l.loss) {
                    let problem = self
                        .at(format!("the loss {} is not between 0.0 and 1.0", l.loss), &field(name!(Link.loss)))
                        .help("a loss is a chance: 0.0 loses nothing, 0.25 one datagram in four, 1.0 all");
                    self.push(problem);
                }
                for (chance, what, path) in [
                    (l.duplicate, "duplicate", name!(Link.duplicate)),
                    (l.reorder, "reorder", name!(Link.reorder)),
                ] {
                    if !(0.0..=1.0).contains(&chance) {
                        let problem = self
                            .at(format!("the {what} chance {chance} is not between 0.0 and 1.0"), &field(path))
                            .help(format!("a {what} chance is a chance: 0.0 never, 0.25 one datagram in four, 1.0 every one"));
                        self.push(problem);
                    }
                }
                let owner = format!("the link {} – {}", l.between.0, l.between.1);
                let resets = self.resets(&l.resets, &field(name!(Link.resets)));
                LinkPlan {
                    a,
                    b,
                    latency: l
                        .latency
                        .as_ref()
                        .map(|d| self.duration(d, "the latency", &field(name!(Link.latency)))),
                    jitter: l
                        .jitter
                        .as_ref()
                        .map(|d| self.duration(d, "the jitter", &field(name!(Link.jitter)))),
                    loss: l.loss.clamp(0.0, 1.0),
                    down: self.windows(&l.down, &owner, &field(name!(Link.down))),
                    resets,
                    stalls: self.spans(&l.stalls, "stall", &owner, &field(name!(Link.stalls))),
                    duplicate: l.duplicate.clamp(0.0, 1.0),
                    reorder: l.reorder.clamp(0.0, 1.0),
                }
            })
            .collect()
    }

    /// `resets: [(at: "5m"), (session: 2, after: 120)]` at `path`.
    fn resets(&mut self, resets: &[Reset], path: &[Step]) -> Vec<ResetPlan> {
        let mut plans = Vec::new();
        for (k, r) in resets.iter().enumerate() {
            let here = [path, &[Item(k)]].concat();
            let form = "write (at: \"5m\") to cut every connection open then, or \
                        (session: 2, after: 120) to cut the second connection over the \
                        link once its client has sent 120 octets";
            let problem = match (&r.at, r.session, r.after) {
                (Some(at), None, None) => {
                    let at_path = [&here[..], &[Field(name!(Reset.at))]].concat();
                    plans.push(ResetPlan::At(self.duration(
                        at,
                        "the time of a reset",
                        &at_path,
                    )));
                    continue;
                }
                (None, Some(0), Some(_)) => self
                    .at(
                        "a reset names session 0, but sessions over a link count from 1",
                        &[&here[..], &[Field(name!(Reset.session))]].concat(),
                    )
                    .help("the first connection over the link is session 1"),
                (None, Some(session), Some(after)) => {
                    plans.push(ResetPlan::After { session, after });
                    continue;
                }
                (Some(_), Some(_), _) | (Some(_), _, Some(_)) => self
                    .at(
                        "a reset has both a time (`at`) and a session: it is one or the other",
                        &here,
                    )
                    .help(form),
                (None, Some(_), None) => self
                    .at(
                        "a reset names a session but not after how many octets (`after`)",
                        &here,
                    )
                    .help(form),
                (None, None, Some(_)) => self
                    .at("a reset says `after` but not in which session", &here)
                    .help(form),
                (None, None, None) => self
                    .at(
                        "a reset says neither when (`at`) nor where (`session`, `after`)",
                        &here,
                    )
                    .help(form),
            };
            self.push(problem);
        }
        plans
    }
}
