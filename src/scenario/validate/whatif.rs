//! What-ifs: each names a server or a zone of this world, and a reply or
//! answer that can be sent.

use super::Validator;
use crate::plan::{Override, Plan};
use crate::scenario::ron::Step::{Field, Item};
use crate::scenario::schema::Scenario;
use crate::scenario::whatif::{Part, WhatIf};

impl Validator<'_> {
    pub(super) fn overrides(&mut self, s: &Scenario, plan: &Plan) -> Vec<Override> {
        let mut out = Vec::new();
        for (k, w) in s.overrides.iter().enumerate() {
            match w.resolve(plan) {
                Ok(o) => out.push(o),
                Err(fault) => {
                    let field = match (fault.part, w) {
                        (Part::Host, _) => "host",
                        (Part::Command, _) => "command",
                        (Part::Attempt, _) => "attempt",
                        (Part::Name, _) => "name",
                        (Part::Query, _) => "query",
                        (Part::Answer | Part::End, WhatIf::Reply { .. }) => "reply",
                        (Part::Answer | Part::End, WhatIf::Drop { .. }) => "how",
                        (Part::Answer | Part::End, WhatIf::Dns { .. }) => "answer",
                    };
                    let path = [Field(name!(Scenario.overrides)), Item(k), Field(field)];
                    let problem = self.at(fault.message, &path).help(fault.help);
                    self.push(problem);
                }
            }
        }
        out
    }
}
