//! Recordings: a run written with `--record` and read back is the same
//! run, event for event and export for export; a file from a newer
//! mailflow, a file cut by a crash and a hostile file each get a clear
//! answer with a line number, never a panic.

#[path = "support/tui.rs"]
mod support;

use std::process::{Command, Output};

use crossterm::event::KeyCode;
use mailflow::export::{json, markdown, mermaid, pcap, text};
use mailflow::record::{self, Recording};
use mailflow::scenario::{self, bundled};
use mailflow::sim;
use mailflow::tui::{App, Theme, World};

fn live(name: &str) -> Recording {
    let plan = scenario::load(name)
        .unwrap_or_else(|e| panic!("{name} loads:\n{e}"))
        .plan;
    let run = sim::run(&plan);
    Recording::of(&plan, run)
}

fn bytes_of(recording: &Recording) -> Vec<u8> {
    let mut out = Vec::new();
    record::write(recording, &mut out).expect("writing to a Vec cannot fail");
    out
}

fn read(bytes: &[u8]) -> Result<record::Loaded, record::Error> {
    record::read(bytes)
}

/// Every face's output of a finished run, as `mailflow run` makes it.
fn exports(r: &Recording) -> Vec<(&'static str, Vec<u8>)> {
    let board = text::render_with(&r.trace, false);
    let start = r.start_unix.saturating_mul(1_000_000);
    vec![
        ("text", board.clone().into_bytes()),
        (
            "text --explain",
            text::render_with(&r.trace, true).into_bytes(),
        ),
        ("json", json::render(&r.trace).into_bytes()),
        (
            "markdown",
            markdown::render(&r.title, &r.about, &r.trace, &board).into_bytes(),
        ),
        ("mermaid", mermaid::render(&r.trace, &r.title).into_bytes()),
        ("pcapng", pcap::pcapng(&r.trace, start)),
        ("pcap", pcap::pcap(&r.trace, start)),
    ]
}

#[test]
fn every_bundled_scenario_reads_back_event_for_event_and_export_for_export() {
    for name in bundled::names() {
        let before = live(name);
        let loaded = read(&bytes_of(&before)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(loaded.warning, None, "{name}");
        let after = loaded.recording;
        assert_eq!(after.trace.events(), before.trace.events(), "{name}");
        assert_eq!(after.trace.hosts, before.trace.hosts, "{name}");
        assert_eq!(after.trace.links, before.trace.links, "{name}");
        assert_eq!(after.trace.zones, before.trace.zones, "{name}");
        assert_eq!(
            (&after.title, &after.about, after.seed, after.start_unix),
            (&before.title, &before.about, before.seed, before.start_unix),
            "{name}"
        );
        assert_eq!(after.expect, before.expect, "{name}");
        assert_eq!(after.end, before.end, "{name}");
        assert_eq!(after.verdicts(), before.verdicts(), "{name}");
        for ((format, a), (_, b)) in exports(&before).into_iter().zip(exports(&after)) {
            assert!(
                a == b,
                "{name}: the {format} export differs after reading back"
            );
        }
        // Written again, a recording is the same file.
        assert_eq!(bytes_of(&after), bytes_of(&before), "{name}");
    }
}

fn mailflow(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mailflow"))
        .args(args)
        .output()
        .expect("the mailflow binary runs")
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("mailflow-recording-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir.join(name)
}

#[test]
fn run_file_prints_what_the_live_run_printed_in_every_format_and_exit_code() {
    for name in bundled::names() {
        let file = scratch(&format!("{name}.mfr"));
        let path = file.to_str().expect("a UTF-8 temp path");
        let recorded = mailflow(&["run", name, "--record", path]);
        for format in ["text", "json", "markdown", "mermaid", "pcapng", "pcap"] {
            let a = mailflow(&["run", name, "--format", format]);
            let b = mailflow(&["run", path, "--format", format]);
            assert!(
                a.stdout == b.stdout,
                "{name} --format {format}: stdout differs"
            );
            assert_eq!(
                String::from_utf8_lossy(&a.stderr),
                String::from_utf8_lossy(&b.stderr),
                "{name} --format {format}"
            );
            assert_eq!(a.status.code(), b.status.code(), "{name} --format {format}");
            if format == "text" {
                assert_eq!(
                    recorded.stdout, a.stdout,
                    "{name}: --record changes nothing"
                );
            }
        }
        std::fs::remove_file(&file).ok();
    }
}

#[test]
fn a_recording_is_known_by_its_first_line_not_its_name() {
    let file = scratch("hello-without-extension");
    std::fs::write(&file, bytes_of(&live("hello"))).expect("write");
    let out = mailflow(&["run", file.to_str().expect("utf-8")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seeded = mailflow(&["run", file.to_str().expect("utf-8"), "--seed", "7"]);
    assert_eq!(seeded.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&seeded.stderr).contains("--seed does not apply"));
    std::fs::remove_file(&file).ok();
}

#[test]
fn a_cut_recording_says_so_on_stderr_and_replays_its_whole_events() {
    let bytes = bytes_of(&live("hello"));
    let file = scratch("hello-cut.mfr");
    std::fs::write(&file, &bytes[..bytes.len() - 200]).expect("write");
    let out = mailflow(&["run", file.to_str().expect("utf-8")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("recording ends mid-event after "),
        "{stderr}"
    );
    assert!(stderr.contains("read the "), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("it was cut off before the run ended"),
        "{stdout}"
    );
}

#[test]
fn a_newer_version_is_refused_naming_both_versions() {
    let bytes = bytes_of(&live("hello"));
    let text = String::from_utf8(bytes).expect("hello's recording is UTF-8");
    let (ours, next) = (record::VERSION, record::VERSION + 1);
    let newer = text.replacen(
        &format!("mailflow-recording {ours}\n"),
        &format!("mailflow-recording {next}\n"),
        1,
    );
    let error = read(newer.as_bytes()).expect_err("a newer version is refused");
    assert_eq!(error.line, 1);
    assert!(
        error.what.contains(&format!("version {next} is newer")),
        "{error}"
    );
    assert!(error.what.contains(&format!("(version {ours})")), "{error}");
}

/// Version 1 is version 2 without the resume line and the end
/// `"stopped"`: a file an older mailflow wrote reads as it did.
#[test]
fn a_version_1_file_still_reads_event_for_event() {
    let before = live("hello");
    let text = String::from_utf8(bytes_of(&before)).expect("UTF-8");
    let old = text.replacen(
        &format!("mailflow-recording {}\n", record::VERSION),
        "mailflow-recording 1\n",
        1,
    );
    let loaded = read(old.as_bytes()).expect("version 1 reads");
    assert_eq!(loaded.version, 1);
    assert_eq!(loaded.warning, None);
    assert_eq!(loaded.recording.trace.events(), before.trace.events());
    assert_eq!(loaded.recording.end, before.end);
    // A resume line is not version 1.
    let lines: Vec<&str> = old.lines().collect();
    let mut resumed = lines[..4].join("\n");
    resumed.push_str("\n{\"resumed\":2,\"t\":999999999999}\n");
    let error = read(resumed.as_bytes()).expect_err("no resume line in version 1");
    assert_eq!(error.line, 5, "{error}");
}

/// A live world's file in sittings: hello's events split in two, the
/// first sitting stopped, the second cut off; written and read back.
fn in_sittings(name: &str) -> Recording {
    let mut r = live(name);
    let half = r.trace.len() / 2;
    let at = r.trace.events()[half].at;
    r.resumes = vec![record::Resume {
        after: half,
        at,
        before: Some(record::End {
            ending: sim::Ending::Stopped,
            at: r.trace.events()[half - 1].at,
        }),
    }];
    r
}

#[test]
fn sittings_of_a_live_world_read_back_with_their_resume_lines_in_every_bundled_scenario() {
    for name in bundled::names() {
        let before = in_sittings(name);
        let bytes = bytes_of(&before);
        let text = String::from_utf8(bytes.clone()).expect("UTF-8");
        assert!(text.contains("{\"end\":\"stopped\""), "{name}");
        let loaded = read(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(loaded.warning, None, "{name}");
        assert_eq!(loaded.whole, bytes.len() as u64, "{name}");
        let after = loaded.recording;
        assert_eq!(after.resumes, before.resumes, "{name}");
        assert_eq!(after.end, before.end, "{name}");
        assert_eq!(after.trace.events(), before.trace.events(), "{name}");
        assert_eq!(
            bytes_of(&after),
            bytes,
            "{name}: written again, byte for byte"
        );
        // The views see one trace: the sittings' events in order.
        for ((format, a), (_, b)) in exports(&before).into_iter().zip(exports(&after)) {
            assert!(
                a == b,
                "{name}: the {format} export differs after reading back"
            );
        }
    }
}

#[test]
fn a_resume_line_must_count_the_events_before_it_and_not_go_back_in_time() {
    let before = in_sittings("hello");
    let half = before.resumes[0].after;
    let text = String::from_utf8(bytes_of(&before)).expect("UTF-8");
    let resume = format!("{{\"resumed\":{half},");
    let line = text.lines().position(|l| l.starts_with(&resume)).unwrap() + 1;
    let wrong = text.replacen(&resume, &format!("{{\"resumed\":{},", half + 1), 1);
    let error = read(wrong.as_bytes()).expect_err("a wrong count is refused");
    assert_eq!(error.line, line, "{error}");
    assert!(
        error.what.contains(&format!("{half} come before")),
        "{error}"
    );
    let t = before.resumes[0].at.duration().as_nanos();
    let back = text.replacen(
        &format!("{resume}\"t\":{t}}}"),
        &format!("{resume}\"t\":0}}"),
        1,
    );
    let error = read(back.as_bytes()).expect_err("a resume back in time is refused");
    assert_eq!(error.line, line, "{error}");
    assert!(error.what.contains("time goes forwards"), "{error}");
}

/// `whole` is where a continuation appends: the end of the last whole
/// line, before a line a crash cut.
#[test]
fn whole_is_the_end_of_the_last_whole_line_at_every_cut() {
    let bytes = bytes_of(&in_sittings("hello"));
    let starts: Vec<usize> = (0..bytes.len())
        .filter(|&i| i == 0 || bytes[i - 1] == b'\n')
        .collect();
    let resume = starts
        .iter()
        .position(|&i| bytes[i..].starts_with(b"{\"resumed\""))
        .unwrap();
    // Around the end and resume lines, and through the last lines.
    let around = starts[resume - 2]..starts[resume + 2];
    let tail = starts[starts.len() - 3]..bytes.len() + 1;
    for cut in around.chain(tail) {
        let prefix = &bytes[..cut];
        let loaded = read(prefix).unwrap_or_else(|e| panic!("cut at {cut}: {e}"));
        let expected = prefix.iter().rposition(|&b| b == b'\n').unwrap() + 1;
        assert_eq!(loaded.whole, expected as u64, "cut at {cut}");
    }
}

/// Whole event lines in `bytes` (a prefix of a recording): lines after
/// the header that end with `\n`, minus the end line.
fn whole_events(bytes: &[u8]) -> usize {
    bytes
        .split_inclusive(|&b| b == b'\n')
        .skip(2)
        .filter(|l| l.ends_with(b"\n") && !l.starts_with(b"{\"end\""))
        .count()
}

#[test]
fn a_cut_at_every_byte_of_the_last_lines_reads_the_whole_events_before_it() {
    let bytes = bytes_of(&live("hello"));
    let total = read(&bytes).expect("whole").recording.trace.len();
    let line_starts: Vec<usize> = (0..bytes.len())
        .filter(|&i| i == 0 || bytes[i - 1] == b'\n')
        .collect();
    let from = line_starts[line_starts.len() - 4];
    for cut in from..=bytes.len() {
        let prefix = &bytes[..cut];
        let loaded = read(prefix).unwrap_or_else(|e| panic!("cut at {cut}: {e}"));
        let n = whole_events(prefix);
        assert_eq!(loaded.recording.trace.len(), n, "cut at {cut}");
        assert_eq!(
            loaded.recording.trace.events(),
            &read(&bytes).expect("whole").recording.trace.events()[..n],
            "cut at {cut}"
        );
        if cut == bytes.len() {
            assert_eq!(loaded.warning, None);
            assert_eq!(n, total);
        } else {
            let warning = loaded
                .warning
                .unwrap_or_else(|| panic!("cut at {cut} says so"));
            let expected = if prefix.ends_with(b"\n") {
                format!("recording stops after {n} events without its end line")
            } else {
                format!("recording ends mid-event after {n} events: read the {n} whole ones")
            };
            assert!(warning.starts_with(&expected), "cut at {cut}: {warning}");
        }
    }
}

#[test]
fn a_cut_in_the_header_is_refused_with_its_line() {
    let bytes = bytes_of(&live("hello"));
    let header_end = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(1)
        .map(|(i, _)| i)
        .expect("two lines");
    for cut in 0..=header_end {
        let error = read(&bytes[..cut]).expect_err("a cut header is refused");
        assert!(error.line <= 2, "cut at {cut}: {error}");
        assert!(
            error.what.contains("cut off") || error.what.contains("empty"),
            "cut at {cut}: {error}"
        );
    }
}

/// A small valid recording's lines, to break one at a time.
fn hello_lines() -> Vec<String> {
    String::from_utf8(bytes_of(&live("hello")))
        .expect("UTF-8")
        .lines()
        .map(str::to_owned)
        .collect()
}

fn with_line(lines: &[String], number: usize, replacement: &str) -> Vec<u8> {
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        out += if i + 1 == number { replacement } else { line };
        out += "\n";
    }
    out.into_bytes()
}

#[test]
fn garbage_and_hostile_lines_give_an_error_with_their_line_number() {
    let lines = hello_lines();
    let cases: &[(usize, &str, &str)] = &[
        (1, "From: alice@example.org", "not a mailflow recording"),
        (
            1,
            "mailflow-recording one",
            "unknown recording format version",
        ),
        (2, "{\"title\": 3}", "column"),
        (5, "not json at all", "column"),
        (5, "{\"t\":1,\"kind\":\"teleport\"}", "unknown variant"),
        (5, "{\"t\":1,\"kind\":\"accept\"}", "missing field `conn`"),
        (
            5,
            "{\"t\":0,\"kind\":\"wake\",\"host\":999,\"why\":\"x\"}",
            "host 999 is not in the header's 5 hosts",
        ),
        (
            5,
            "{\"t\":0,\"kind\":\"accept\",\"conn\":77}",
            "connection 77 was never opened",
        ),
        (
            5,
            "{\"t\":0,\"kind\":\"bytes\",\"conn\":0,\"dir\":\"up\",\"arrives\":0,\"data\":{\"b64\":\"!!\"}}",
            "column",
        ),
        (
            6,
            "{\"t\":0,\"kind\":\"wake\",\"host\":0,\"why\":\"back in time\"}",
            "time goes forwards",
        ),
        (
            5,
            "{\"t\":-1,\"kind\":\"wake\",\"host\":0,\"why\":\"x\"}",
            "column",
        ),
    ];
    for &(line, replacement, expected) in cases {
        let error = read(&with_line(&lines, line, replacement))
            .expect_err(&format!("line {line} `{replacement}` is refused"));
        assert_eq!(error.line, line, "{replacement}: {error}");
        assert!(error.what.contains(expected), "{replacement}: {error}");
        assert!(error.to_string().starts_with(&format!("line {line}: ")));
    }
    // Not UTF-8, and anything after the end line.
    let mut bad = with_line(&lines, 4, "{}");
    let at = lines[..3].iter().map(|l| l.len() + 1).sum::<usize>();
    bad[at] = 0xff;
    assert_eq!(read(&bad).expect_err("bad UTF-8").line, 4);
    let mut after = bytes_of(&live("hello"));
    after.extend_from_slice(b"{\"t\":1,\"kind\":\"wake\",\"host\":0,\"why\":\"x\"}\n");
    let error = read(&after).expect_err("nothing after the end");
    assert_eq!(error.line, lines.len() + 1);
}

#[test]
fn a_line_longer_than_the_cap_is_refused_without_reading_it_whole() {
    let mut bytes = b"mailflow-recording 1\n".to_vec();
    bytes.extend(std::iter::repeat_n(b'{', 10_000));
    let error = record::read::read_limited(&bytes[..], 4096).expect_err("too long");
    assert_eq!(error.line, 2);
    assert!(error.what.contains("longer than 4096 bytes"), "{error}");
}

#[test]
fn every_byte_changed_gives_a_recording_or_an_error_never_a_panic() {
    let bytes = bytes_of(&live("hello"));
    for i in (0..bytes.len()).step_by(7) {
        for b in [0u8, b'\n', b'"', b'9', b'}', 0xc3] {
            let mut hostile = bytes.clone();
            hostile[i] = b;
            if let Ok(loaded) = read(&hostile) {
                // Whatever was accepted, every face can show it.
                let _ = exports(&loaded.recording);
                let _ = World::of(loaded.recording);
            }
        }
    }
}

#[test]
fn extreme_times_and_clocks_are_read_and_shown_without_overflow() {
    let lines = hello_lines();
    let max = u64::MAX;
    let header = lines[1].replace(
        "\"start_unix\":1796115600",
        &format!("\"start_unix\":{}", i64::MAX),
    );
    assert_ne!(header, lines[1], "the header names start_unix");
    let mut text = format!("{}\n{header}\n", lines[0]);
    for line in &lines[2..lines.len() - 1] {
        text += line;
        text += "\n";
    }
    text += &format!(
        "{{\"t\":{max},\"kind\":\"deferred\",\"host\":1,\"queue_id\":\"Q\",\"attempts\":[],\"retry_at\":{max},\"attempt\":4294967295}}\n"
    );
    text += &format!(
        "{{\"t\":{max},\"kind\":\"datagram\",\"from\":0,\"from_port\":53,\"to\":1,\"to_port\":0,\"arrives\":{max},\"data\":{{\"b64\":\"AAAA\"}}}}\n"
    );
    text += &format!("{{\"end\":\"time_limit\",\"t\":{max}}}\n");
    let loaded = read(text.as_bytes()).expect("extreme but well-formed");
    assert_eq!(loaded.warning, None);
    let _ = exports(&loaded.recording);
    let mut app = App::new(World::of(loaded.recording), Theme::dark());
    support::press(&mut app, KeyCode::End);
    let _ = support::screen(&app, 120, 40);
}

#[test]
fn the_dashboard_on_a_recording_shows_what_it_shows_on_the_live_run() {
    let read_back = read(&bytes_of(&live("hello"))).expect("reads").recording;
    let mut replayed = App::new(World::of(read_back), Theme::dark());
    let mut fresh = support::app("hello");
    for app in [&mut replayed, &mut fresh] {
        support::press(app, KeyCode::End);
    }
    assert_eq!(
        support::screen(&replayed, 120, 40),
        support::screen(&fresh, 120, 40)
    );
    for _ in 0..25 {
        for app in [&mut replayed, &mut fresh] {
            support::press(app, KeyCode::Left);
        }
        assert_eq!(
            support::screen(&replayed, 120, 40),
            support::screen(&fresh, 120, 40)
        );
    }
}
