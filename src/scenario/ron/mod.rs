//! RON text as a teacher writes it, read leniently so that every mistake
//! can be explained in the words of the file.
//!
//! * `lex`: tokens, never failing
//! * `source_map`: where the value at a path is written
//! * `context`, `brackets`, `expected`, `translate`: RON's syntax errors
//!   explained, starting from the place RON stopped

mod brackets;
mod context;
mod expected;
pub mod lex;
pub mod source_map;
mod translate;

pub use lex::{Token, TokenKind, lex, unquote};
pub use source_map::{SourceMap, Step};
pub use translate::explain;
