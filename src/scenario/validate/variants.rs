//! Variants: the scenario with a few settings changed and its own claims,
//! each validated as a whole world, so a variant that cannot run is
//! caught by `check` like the scenario itself.

use super::Validator;
use crate::plan::Plan;
use crate::scenario::diagnostic::Problem;
use crate::scenario::ron::Step::{self, Field, Item, Key};
use crate::scenario::schema::Scenario;
use crate::scenario::settings;

impl Validator<'_> {
    /// Each variant's plan, in order; its problems are this validator's,
    /// its warnings are added to `warnings`.
    pub(super) fn variants(
        &mut self,
        s: &Scenario,
        warnings: &mut Vec<Problem>,
    ) -> Vec<(String, Plan)> {
        let mut out = Vec::new();
        for (i, variant) in s.variants.iter().enumerate() {
            let at = |f: &'static str| vec![Field(name!(Scenario.variants)), Item(i), Field(f)];
            let name = variant.name.trim().to_owned();
            if name.is_empty() || out.iter().any(|(n, _): &(String, Plan)| *n == name) {
                let message = if name.is_empty() {
                    "a variant needs a name".to_owned()
                } else {
                    format!("two variants are called {name:?}")
                };
                let problem = self
                    .at(message, &at(name!(Variant.name)))
                    .help("give each variant its own short name, e.g. \"expire\"");
                self.push(problem);
                continue;
            }
            let mut world = s.clone();
            world.variants.clear();
            let mut settable = true;
            for (key, value) in &variant.set {
                if let Err(e) = settings::apply(&mut world, key, value) {
                    let path: Vec<Step> = [at(name!(Variant.set)), vec![Key(key)]].concat();
                    let problem = self.at(e.message, &path).help(e.help);
                    self.push(problem);
                    settable = false;
                }
            }
            if !settable {
                continue;
            }
            let mut inner = Validator::new(&world, self.source);
            if let Some(expect) = &variant.expect {
                world.expect = expect.clone();
                inner.expect_path = at(name!(Variant.expect));
            }
            let mut plan = inner.plan(&world);
            plan.title = format!("{} (variant {name})", plan.title);
            if !variant.about.is_empty() {
                plan.about = variant.about.clone();
            }
            let in_variant = |p: Problem| match p.note {
                None => p.note(format!("in the variant {name:?}, with its `set` applied")),
                Some(_) => p,
            };
            // The scenario's own slips were reported for it already.
            let mut new_warnings: Vec<Problem> = inner
                .warnings
                .into_iter()
                .filter(|w| !warnings.contains(w))
                .map(in_variant)
                .collect();
            warnings.append(&mut new_warnings);
            self.problems
                .extend(inner.problems.into_iter().map(in_variant));
            out.push((name, plan));
        }
        out
    }
}
