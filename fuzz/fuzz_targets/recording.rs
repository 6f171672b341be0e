//! Fuzzes the recording reader with arbitrary bytes, and the faces with
//! whatever it reads back.
//!
//! Input: the file's bytes, as `mailflow run FILE.mfr` reads them.
//!
//! Invariants: no panic; `record::read` either reads a recording or says
//! on which line (counted from 1) it is wrong; a recording read back
//! renders as text, JSON Lines and Mermaid, has its expectations checked,
//! and reads back the same after being written again.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mailflow::export;
use mailflow::record;

fuzz_target!(|data: &[u8]| {
    let loaded = match record::read(data) {
        Ok(loaded) => loaded,
        Err(error) => {
            assert!(error.line >= 1, "an error before the first line: {error}");
            let lines = data.split(|&b| b == b'\n').count();
            assert!(error.line <= lines + 1, "{error}, with {lines} lines");
            return;
        }
    };
    let recording = &loaded.recording;
    let trace = &recording.trace;
    let _ = export::text::render(trace);
    let _ = export::text::render_with(trace, true);
    let _ = export::json::render(trace);
    let _ = export::mermaid::render(trace, &recording.title);
    let _ = recording.verdicts();
    let mut again = Vec::new();
    record::write(recording, &mut again).expect("writing to memory");
    let reread = match record::read(&again[..]) {
        Ok(reread) => reread,
        Err(e) => panic!("a recording we wrote does not read back: {e}"),
    };
    assert_eq!(reread.recording.trace.events().len(), trace.events().len());
});
