//! Bad scenario files, and what a teacher must read about them.
//!
//! Every file in `tests/broken/` is broken on purpose. It starts with
//! comment lines `// expect: ...`, each a piece of text that must appear in
//! the error mailflow prints for it (the message, the `--> file:line:col`
//! place, the help). Adding a case is adding a file.
//!
//! Beside them: no bad file makes the loader panic (every bundled scenario
//! cut short, and with single bytes changed), and every shipped scenario
//! loads.

use std::fmt::Write as _;
use std::fs;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use mailflow::scenario::{self, bundled};

/// The `// expect:` lines at the top of a file (which may not be text
/// further down).
fn expectations(bytes: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(bytes)
        .lines()
        .take_while(|line| line.starts_with("//"))
        .filter_map(|line| line.strip_prefix("// expect: "))
        .map(str::to_owned)
        .collect()
}

fn broken_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir("tests/broken")
        .expect("tests/broken is readable")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|x| x == "ron"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_broken_file_shows_the_error_a_teacher_must_see() {
    let files = broken_files();
    assert!(files.len() >= 20, "only {} broken files", files.len());
    let mut failures = String::new();
    for path in &files {
        let name = path.to_string_lossy().into_owned();
        let bytes = fs::read(path).expect("a broken file is readable");
        let expected = expectations(&bytes);
        let rendered = match scenario::load(&name) {
            Ok(_) => {
                let _ = writeln!(failures, "── {name}: loaded without an error\n");
                continue;
            }
            Err(error) => error.to_string(),
        };
        if expected.is_empty() {
            let _ = writeln!(failures, "── {name}: no `// expect:` lines\n{rendered}");
            continue;
        }
        let missing: Vec<&String> = expected
            .iter()
            .filter(|fragment| !rendered.contains(fragment.as_str()))
            .collect();
        // Places are listed in the order of the file, and so reported.
        let places: Vec<usize> = expected
            .iter()
            .filter(|f| f.starts_with("-->"))
            .filter_map(|f| rendered.find(f.as_str()))
            .collect();
        let in_order = places.windows(2).all(|w| w[0] < w[1]);
        if !missing.is_empty() || !in_order {
            let _ = writeln!(failures, "── {name}");
            for fragment in missing {
                let _ = writeln!(failures, "   missing: {fragment}");
            }
            if !in_order {
                let _ = writeln!(failures, "   the places are not in the expected order");
            }
            let _ = writeln!(failures, "   rendered:\n{rendered}");
        }
    }
    assert!(failures.is_empty(), "\n{failures}");
}

#[test]
fn every_shipped_scenario_loads() {
    let mut failures = String::new();
    let mut count = 0;
    for entry in fs::read_dir("scenarios").expect("scenarios/ is readable") {
        let path = entry.expect("a directory entry").path();
        if path.extension().is_none_or(|x| x != "ron") {
            continue;
        }
        count += 1;
        let name = path.to_string_lossy().into_owned();
        if let Err(error) = scenario::load(&name) {
            let _ = writeln!(failures, "── {name}\n{error}");
        }
    }
    assert!(count > 0, "no scenarios found");
    assert!(failures.is_empty(), "\n{failures}");
}

#[test]
fn an_empty_file_says_so() {
    let error = scenario::parse("", "empty.ron").expect_err("empty is an error");
    let text = error.to_string();
    assert!(text.contains("error: the file is empty"), "{text}");
    assert!(text.contains("--> empty.ron"), "{text}");
}

#[test]
fn a_folder_is_not_a_scenario() {
    let error = scenario::load("tests/broken").expect_err("a folder is an error");
    let text = error.to_string();
    assert!(
        text.contains("\"tests/broken\" is a folder, not a scenario file"),
        "{text}"
    );
    assert!(
        text.contains("help: give one scenario file from it, e.g. tests/broken/"),
        "{text}"
    );
}

#[test]
fn a_missing_file_is_named_and_a_bundled_name_suggested() {
    let error = scenario::load("lessons/helo.ron").expect_err("no such file");
    let text = error.to_string();
    assert!(
        text.contains("there is no file \"lessons/helo.ron\""),
        "{text}"
    );
    assert!(text.contains("did you mean \"hello\"?"), "{text}");
    let error = scenario::load("nothing-like-this").expect_err("no such scenario");
    let text = error.to_string();
    assert!(
        text.contains("there is no file and no bundled scenario called \"nothing-like-this\""),
        "{text}"
    );
}

// ── Nothing panics ─────────────────────────────────────────────────────

/// Loads `bytes` as a scenario file would be loaded, and renders any error.
/// Text goes straight to the parser; other bytes go through a file, as a
/// teacher's would.
fn load_bytes(bytes: &[u8], scratch: &Path) -> Result<(), String> {
    let result = match std::str::from_utf8(bytes) {
        Ok(text) => scenario::parse(text, "mutated.ron"),
        Err(_) => {
            fs::write(scratch, bytes).expect("the scratch file is writable");
            scenario::load(&scratch.to_string_lossy())
        }
    };
    match result {
        Ok(_) => Ok(()),
        Err(error) => {
            let text = error.to_string();
            assert!(!error.problems.is_empty());
            assert!(text.starts_with("error: "), "{text}");
            Err(text)
        }
    }
}

/// Runs every case, catching panics, and fails listing the ones that did.
fn never_panics(cases: impl Iterator<Item = (String, Vec<u8>)>, scratch: &Path) -> usize {
    let mut panicked = Vec::new();
    let mut count = 0;
    for (label, bytes) in cases {
        count += 1;
        if catch_unwind(AssertUnwindSafe(|| load_bytes(&bytes, scratch))).is_err() {
            panicked.push(label);
        }
    }
    assert!(panicked.is_empty(), "the loader panicked on: {panicked:#?}");
    count
}

fn scratch_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(name)
}

#[test]
fn no_bundled_scenario_cut_short_makes_the_loader_panic() {
    let cases = bundled::BUNDLED.iter().flat_map(|(name, source)| {
        (0..source.len()).step_by(97).map(move |cut| {
            (
                format!("{name} cut at byte {cut}"),
                source.as_bytes()[..cut].to_vec(),
            )
        })
    });
    let count = never_panics(cases, &scratch_file("cut.ron"));
    assert!(count > 100, "only {count} cases");
}

/// A small deterministic generator (xorshift64*), so a failure repeats.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn no_single_byte_change_makes_the_loader_panic() {
    // Bytes that matter to RON and to the checks, and a few that are not text.
    const INTERESTING: &[u8] = b"()[]{},:;=#\"'\\/*rb0123456789.-_@ \n\tazAZ\x00\x7f\xc3\xff";
    const PER_SCENARIO: usize = 150;
    let mut dice = Dice(0x6d61_696c_666c_6f77);
    let mut cases = Vec::new();
    for (name, source) in bundled::BUNDLED {
        for _ in 0..PER_SCENARIO {
            let mut bytes = source.as_bytes().to_vec();
            let at = dice.below(bytes.len());
            let label = match dice.below(4) {
                0 => {
                    let removed = bytes.remove(at);
                    format!("{name}: byte {at} ({removed:#04x}) removed")
                }
                1 => {
                    let byte = INTERESTING[dice.below(INTERESTING.len())];
                    bytes.insert(at, byte);
                    format!("{name}: {byte:#04x} inserted at byte {at}")
                }
                2 => {
                    let byte = (dice.next() & 0xff) as u8;
                    bytes[at] = byte;
                    format!("{name}: byte {at} set to {byte:#04x}")
                }
                _ => {
                    let byte = INTERESTING[dice.below(INTERESTING.len())];
                    bytes[at] = byte;
                    format!("{name}: byte {at} set to {byte:#04x}")
                }
            };
            cases.push((label, bytes));
        }
    }
    let count = never_panics(cases.into_iter(), &scratch_file("mutated.ron"));
    assert!(count >= 2000, "only {count} cases");
}

/// `mailflow list | head`: a reader that goes away ends the command
/// quietly with SIGPIPE's status, never with a panic on stderr.
#[test]
fn a_closed_stdout_ends_quietly_with_the_sigpipe_status() {
    use std::process::{Command, Stdio};
    for args in [&["list"][..], &["run", "three-domains", "--explain"][..]] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mailflow"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start mailflow");
        // Close the reading end before anything is written.
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("mailflow ends");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(
            matches!(out.status.code(), Some(141 | 0 | 1)),
            "{args:?}: {:?}",
            out.status
        );
    }
}
