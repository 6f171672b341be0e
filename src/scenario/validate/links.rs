//! Links: both ends are hosts, the loss is a chance, the times parse.

use super::Validator;
use super::hosts::host_id;
use crate::plan::LinkPlan;
use crate::scenario::ron::Step::{Field, Item};
use crate::scenario::schema::Scenario;
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
                let owner = format!("the link {} – {}", l.between.0, l.between.1);
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
                }
            })
            .collect()
    }
}
