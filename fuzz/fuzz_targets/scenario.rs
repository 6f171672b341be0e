//! Fuzzes the scenario loader with arbitrary text.
//!
//! Input: the file's bytes, as `mailflow run FILE` reads them; UTF-8 goes
//! to `scenario::parse` as it is, anything else as `String::from_utf8_lossy`
//! makes it (the loader's own binary check is not public).
//!
//! Invariants: no panic; a scenario either loads or the error names at
//! least one problem, renders (with its excerpt and caret), and names the
//! origin.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mailflow::scenario;

const ORIGIN: &str = "fuzz.ron";

fuzz_target!(|data: &[u8]| {
    let source = String::from_utf8_lossy(data);
    match scenario::parse(&source, ORIGIN) {
        Ok(loaded) => {
            assert_eq!(loaded.origin, ORIGIN);
            let _ = format!("{:?}", loaded.plan);
        }
        Err(error) => {
            assert!(!error.problems.is_empty(), "an error with no problem in it");
            let text = error.to_string();
            assert!(
                text.contains(ORIGIN),
                "the error does not name the file:\n{text}"
            );
        }
    }
});
