//! Scenarios: the RON files teachers write, loaded with precise errors,
//! validated into a plan the simulator runs, and the expectations checked
//! against the trace afterwards.
//!
//! * `schema`: the file format, as serde types; `vocabulary`: its words
//!   for teachers (what a record is called, how a value is written)
//! * `load`: from a name or a path to a `Plan` (the layer below, `plan`)
//! * `ron`: the text read leniently, and RON's errors explained
//! * `validate`: every name must point somewhere, every value parse
//! * `diagnostic`: the errors, rendered as a compiler does; `suggest`:
//!   "did you mean ...?"
//! * `bundled`: the scenarios shipped inside the binary
//! * `expect`: the expectations, checked against a trace
//! * `whatif`: what-ifs, from a scenario's `overrides` or `--what-if`
//! * `lesson`: quiz questions and guided lessons, placed on a run

pub mod bundled;
pub mod diagnostic;
pub mod duration;
pub mod expect;
pub mod lesson;
pub mod load;
pub mod ron;
pub mod schema;
pub mod settings;
pub mod suggest;
pub mod task;
pub mod validate;
pub mod vocabulary;
pub mod whatif;

pub use diagnostic::{Problem, ScenarioError};
pub use load::{Loaded, load, load_with, parse, parse_with};
// What loading gives: the plan, its own layer below this one.
pub use crate::plan::{Expectation, Plan};
pub use schema::Scenario;
