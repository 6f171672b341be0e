//! Scenarios: the RON files teachers write, loaded with precise errors,
//! validated into a plan the simulator runs, and the expectations checked
//! against the trace afterwards.
//!
//! * `schema`: the file format, as serde types
//! * `load`, `validate`, `error`: from text to a `Plan`, or to errors that
//!   name the line and suggest a fix
//! * `plan`: the validated form the simulator reads
//! * `bundled`: the scenarios shipped inside the binary
//! * `expect`: the expectations, checked against a trace

pub mod bundled;
pub mod duration;
pub mod error;
pub mod expect;
pub mod load;
pub mod plan;
pub mod schema;
pub mod validate;

pub use error::{Problem, ScenarioError};
pub use load::{Loaded, load, parse};
pub use plan::{Expectation, Plan};
pub use schema::Scenario;
