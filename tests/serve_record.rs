//! `mailflow serve --record FILE` with real clients (Python's smtplib and
//! poplib, tests/real/record_client.py):
//!
//! * durability: SIGKILL the moment smtplib has the 250 to DATA, again and
//!   again on one file; every acknowledged message is in it;
//! * continuation: a world started again on its file goes on: POP3 STAT,
//!   LIST, RETR and UIDL show the earlier messages, unique-ids stay unique,
//!   a deletion stays deleted, the file grows and `run FILE` shows it all;
//! * a file a kill cut mid-line is continued after its last whole line;
//! * a file of another world, of `mailflow run`, or of a newer format is
//!   refused, naming the file and what differs.

#[path = "support/serve.rs"]
mod serve;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use mailflow::record;
use mailflow::trace::EventKind;
use serve::*;

fn record_args(file: &Path) -> Vec<String> {
    vec!["--record".into(), file.display().to_string()]
}

fn start(file: &Path) -> Server {
    let args = record_args(file);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Server::start(&args)
}

/// One message tagged `tag` through smtplib; with `kill`, SIGKILL to the
/// server the moment the 250 to DATA is in.
#[track_caller]
fn send(server: &Server, tag: &str, kill: bool) {
    let mut command = Command::new(python());
    command
        .arg(real("record_client.py"))
        .arg("send")
        .args(["--smtp", &server.smtp.port().to_string()])
        .args(["--tag", tag]);
    if kill {
        command.args(["--kill", &server.pid.to_string()]);
    }
    let ran = run_bounded(&mut command, PROGRAM_TIMEOUT);
    assert!(
        ran.status.success() && ran.stdout.contains(&format!("acknowledged {tag}")),
        "smtplib send failed:\n{}\n{}",
        ran.both(),
        server.stderr_text()
    );
}

/// bob's maildrop through poplib, optionally deleting one unique-id.
#[derive(Debug)]
struct Maildrop {
    count: u64,
    /// (unique-id, Message-ID) in maildrop order.
    messages: Vec<(String, String)>,
}

impl Maildrop {
    fn ids(&self) -> Vec<&str> {
        self.messages.iter().map(|(_, id)| id.as_str()).collect()
    }

    fn uids(&self) -> Vec<&str> {
        self.messages.iter().map(|(uid, _)| uid.as_str()).collect()
    }

    fn uid_of(&self, tag: &str) -> &str {
        let id = format!("<{tag}@client.example>");
        self.messages
            .iter()
            .find(|(_, m)| *m == id)
            .map(|(uid, _)| uid.as_str())
            .unwrap_or_else(|| panic!("{tag} is not in the maildrop: {self:?}"))
    }
}

#[track_caller]
fn maildrop(server: &Server, dele: Option<&str>) -> Maildrop {
    let mut command = Command::new(python());
    command
        .arg(real("record_client.py"))
        .arg("mailbox")
        .args(["--pop3", &server.pop3.port().to_string()]);
    if let Some(uid) = dele {
        command.args(["--dele", uid]);
    }
    let ran = run_bounded(&mut command, PROGRAM_TIMEOUT);
    assert!(
        ran.status.success(),
        "poplib failed:\n{}\n{}",
        ran.both(),
        server.stderr_text()
    );
    let json: serde_json::Value = serde_json::from_str(ran.stdout.trim())
        .unwrap_or_else(|e| panic!("poplib's report is not JSON ({e}): {}", ran.stdout));
    let messages = json["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| {
            (
                m["uid"].as_str().expect("uid").to_owned(),
                m["message_id"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    Maildrop {
        count: json["stat"][0].as_u64().expect("STAT count"),
        messages,
    }
}

/// Waits for the server that smtplib's script killed.
#[track_caller]
fn reap_killed(server: &mut Server) {
    let deadline = std::time::Instant::now() + STOP_TIMEOUT;
    while server.is_running() {
        assert!(
            std::time::Instant::now() < deadline,
            "the server outlived SIGKILL"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn load(file: &Path) -> record::Loaded {
    let f = std::fs::File::open(file).expect("the recording exists");
    record::read(std::io::BufReader::new(f)).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

/// The Message-IDs the recording says were filed into bob's mailbox.
fn filed(loaded: &record::Loaded) -> Vec<String> {
    loaded
        .recording
        .trace
        .events()
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Delivered { rest, .. } if rest.mailbox == "bob@example.net" => {
                Some(rest.message_id.clone())
            }
            _ => None,
        })
        .collect()
}

fn scratch(dir: &TempDir, name: &str) -> PathBuf {
    dir.path().join(name)
}

#[test]
fn every_message_acknowledged_before_a_kill_9_is_in_the_recording() {
    let test = "record_kill_9";
    if !have_python(test) {
        return;
    }
    let dir = TempDir::new(test);
    let file = scratch(&dir, "live.mfr");
    let mut acknowledged = Vec::new();
    // Each round goes on with the file the last kill left, cut or not.
    for round in 0..6 {
        let mut server = start(&file);
        let tag = tag(&format!("kill{round}"));
        send(&server, &tag, true);
        reap_killed(&mut server);
        acknowledged.push(format!("<{tag}@client.example>"));
        let loaded = load(&file);
        let filed = filed(&loaded);
        for id in &acknowledged {
            assert!(
                filed.contains(id),
                "round {round}: {id} got its 250 but is not in the recording (warning: {:?}); filed: {filed:?}",
                loaded.warning
            );
        }
        assert_eq!(
            loaded.recording.resumes.len(),
            round,
            "one resume line a restart"
        );
    }
    // And the last sitting's mailbox holds them all, once each.
    let server = start(&file);
    let drop = maildrop(&server, None);
    for id in &acknowledged {
        assert_eq!(
            drop.ids().iter().filter(|m| *m == id).count(),
            1,
            "{id} once in the maildrop: {drop:?}"
        );
    }
    server.stop();
}

#[test]
fn a_restart_goes_on_with_mailboxes_unique_ids_and_deletions_over_real_poplib_rfc1939_7() {
    let test = "record_continue";
    if !have_python(test) {
        return;
    }
    let dir = TempDir::new(test);
    let file = scratch(&dir, "live.mfr");
    let tags: Vec<String> = (0..3).map(|i| tag(&format!("keep{i}"))).collect();

    // First sitting: hello's own message arrives, and three of ours.
    let server = start(&file);
    for t in &tags {
        send(&server, t, false);
    }
    let first = maildrop(&server, None);
    assert_eq!(first.count, 4, "{first:?}");
    server.stop();
    let size_after_first = std::fs::metadata(&file).unwrap().len();

    // Second sitting: the same maildrop, same unique-ids; one deleted.
    let server = start(&file);
    let second = maildrop(&server, None);
    assert_eq!(
        second.messages, first.messages,
        "the maildrop after a restart is the one before"
    );
    let gone = first.uid_of(&tags[1]).to_owned();
    maildrop(&server, Some(&gone));
    let newer = tag("after");
    send(&server, &newer, false);
    server.stop();

    // Third sitting: the deletion held, the new message is there, and no
    // unique-id was ever given twice.
    let server = start(&file);
    let third = maildrop(&server, None);
    server.stop();
    let expected: Vec<String> = first
        .messages
        .iter()
        .filter(|(uid, _)| *uid != gone)
        .map(|(_, id)| id.clone())
        .chain([format!("<{newer}@client.example>")])
        .collect();
    assert_eq!(third.ids(), expected, "{third:?}");
    let uids: BTreeSet<&str> = first.uids().into_iter().chain(third.uids()).collect();
    assert_eq!(uids.len(), 5, "unique-ids reused across restarts: {uids:?}");
    assert_eq!(third.uid_of(&tags[0]), first.uid_of(&tags[0]));

    // The file grew by appending, and holds all three sittings.
    let bytes = std::fs::read(&file).unwrap();
    assert!(bytes.len() as u64 > size_after_first);
    let loaded = load(&file);
    assert_eq!(loaded.warning, None, "three clean stops");
    let r = &loaded.recording;
    assert_eq!(r.resumes.len(), 2);
    assert!(
        r.resumes.iter().all(|s| s.before.is_some()),
        "each stop ended its sitting"
    );
    let mut queue_ids = BTreeSet::new();
    for e in r.trace.events() {
        if let EventKind::Queued { queue_id, .. } = &e.kind {
            assert!(
                queue_ids.insert(queue_id.clone()),
                "queue id {queue_id} issued twice"
            );
        }
    }
    // hello's scripted message went once, in the first sitting only.
    let scripted = r
        .trace
        .events()
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Composed { .. }))
        .count();
    assert_eq!(scripted, 1, "a restart must not send the script again");

    // `run FILE` and the JSON export show the whole history.
    let ran = run_bounded(
        Command::new(mailflow()).arg("run").arg(&file),
        PROGRAM_TIMEOUT,
    );
    assert!(ran.status.success(), "{}", ran.both());
    for t in tags.iter().chain([&newer]) {
        assert!(ran.stdout.contains(t.as_str()), "run FILE lacks {t}");
    }
    assert!(
        ran.stdout.contains("The live world was stopped at"),
        "{}",
        ran.stdout
    );
    let json = run_bounded(
        Command::new(mailflow())
            .arg("run")
            .arg(&file)
            .args(["--format", "json"]),
        PROGRAM_TIMEOUT,
    );
    let events = json
        .stdout
        .lines()
        .filter(|l| l.starts_with("{\"seq\":"))
        .count();
    assert_eq!(
        events,
        r.trace.len(),
        "one JSON line per event of every sitting"
    );
}

#[test]
fn a_file_cut_mid_line_is_continued_after_its_last_whole_line() {
    let test = "record_cut";
    if !have_python(test) {
        return;
    }
    let dir = TempDir::new(test);
    let file = scratch(&dir, "live.mfr");
    let server = start(&file);
    let before = tag("before");
    send(&server, &before, false);
    server.stop();
    // What a kill in the middle of a write leaves: half a line.
    let whole = std::fs::read(&file).unwrap();
    let half = br#"{"t":1,"kind":"bytes","conn":0,"dir":"up","arri"#;
    std::fs::write(&file, [whole.as_slice(), half].concat()).unwrap();
    assert!(load(&file).warning.unwrap().contains("mid-event"));

    let server = start(&file);
    let after = tag("after");
    send(&server, &after, false);
    let drop = maildrop(&server, None);
    server.stop();
    assert!(
        drop.ids()
            .contains(&format!("<{before}@client.example>").as_str())
    );

    let bytes = std::fs::read(&file).unwrap();
    assert!(
        bytes.starts_with(&whole),
        "the whole lines stay as they were"
    );
    let rest = &bytes[whole.len()..];
    assert!(
        rest.starts_with(b"{\"resumed\":"),
        "the half line is cut off and the resume line follows the whole ones: {}",
        String::from_utf8_lossy(&rest[..rest.len().min(120)])
    );
    assert!(
        !bytes.windows(half.len()).any(|w| w == half),
        "the half line is gone"
    );
    let loaded = load(&file);
    assert_eq!(loaded.warning, None);
    let filed = filed(&loaded);
    for t in [&before, &after] {
        assert!(
            filed.contains(&format!("<{t}@client.example>")),
            "{t}: {filed:?}"
        );
    }
}

/// The serve that must refuse `file`: it exits 2 before `ready`, and its
/// error names the file and `why`.
#[track_caller]
fn refused(scenario: &str, file: &Path, why: &str) {
    let before = std::fs::read(file).unwrap();
    let ran = run_bounded(
        Command::new(mailflow())
            .args(["serve", scenario, "--headless"])
            .args([
                "--smtp",
                "127.0.0.1:0",
                "--pop3",
                "127.0.0.1:0",
                "--dns",
                "127.0.0.1:0",
            ])
            .arg("--record")
            .arg(file),
        PROGRAM_TIMEOUT,
    );
    assert_eq!(ran.status.code(), Some(2), "{}", ran.both());
    assert!(!ran.stdout.contains("ready"), "{}", ran.both());
    let said = format!("cannot continue {}", file.display());
    assert!(
        ran.stderr.contains(&said),
        "should say {said:?}: {}",
        ran.stderr
    );
    assert!(
        ran.stderr.contains(why),
        "should say {why:?}: {}",
        ran.stderr
    );
    assert_eq!(
        std::fs::read(file).unwrap(),
        before,
        "a refused file is left as it was"
    );
}

#[test]
fn a_recording_of_another_world_or_format_is_refused_naming_what_differs() {
    let dir = TempDir::new("record_refused");
    let file = scratch(&dir, "hello.mfr");
    let server = start(&file);
    server.stop();

    // Another scenario.
    refused(
        "three-domains",
        &file,
        "it records the scenario \"Hello: alice writes to bob\"",
    );

    // The same title, another topology: mx.example.net moved.
    let hello = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/hello.ron"),
    )
    .unwrap();
    let moved = hello.replace("\"198.51.100.25\"", "\"198.51.100.26\"");
    assert_ne!(moved, hello);
    let moved_file = scratch(&dir, "moved.ron");
    std::fs::write(&moved_file, moved).unwrap();
    refused(
        moved_file.to_str().unwrap(),
        &file,
        "mx.example.net (198.51.100.25, Mta) there and mx.example.net (198.51.100.26, Mta) here",
    );

    // A newer format.
    let text = std::fs::read_to_string(&file).unwrap();
    let newer = scratch(&dir, "newer.mfr");
    let next = record::VERSION + 1;
    std::fs::write(
        &newer,
        text.replacen(
            &format!("mailflow-recording {}\n", record::VERSION),
            &format!("mailflow-recording {next}\n"),
            1,
        ),
    )
    .unwrap();
    refused("hello", &newer, &format!("version {next} is newer"));

    // A simulated run's recording.
    let simulated = scratch(&dir, "run.mfr");
    let ran = run_bounded(
        Command::new(mailflow())
            .args(["run", "hello", "--record"])
            .arg(&simulated),
        PROGRAM_TIMEOUT,
    );
    assert!(ran.status.success(), "{}", ran.both());
    refused("hello", &simulated, "recorded by `mailflow run`");
}
