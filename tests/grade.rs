//! `mailflow grade`: the shipped tasks grade their students as the files
//! say (pass.ron meets every criterion, fail.ron does not), the JSON has
//! the shape a learning platform reads, a folder grades every file in it,
//! and a broken student file gets a clear message while the others are
//! still graded. The binary is run as a teacher runs it.

#[path = "support/cli.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::Output;

use support::mailflow;

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Every task folder under `scenarios/tasks/`.
fn tasks() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/tasks");
    let mut out: Vec<PathBuf> = std::fs::read_dir(root)
        .expect("scenarios/tasks")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("task.ron").is_file())
        .collect();
    out.sort();
    out
}

#[test]
fn every_shipped_task_passes_its_passing_student_and_fails_its_failing_one() {
    let tasks = tasks();
    assert!(tasks.len() >= 2, "{tasks:?}");
    for dir in tasks {
        let task = dir.join("task.ron").display().to_string();
        for (student, want_pass) in [("pass.ron", true), ("fail.ron", false)] {
            let file = dir.join("students").join(student).display().to_string();
            let out = mailflow(&["grade", &task, &file]);
            let text = stdout(&out);
            assert_eq!(
                out.status.code(),
                Some(if want_pass { 0 } else { 1 }),
                "{file}:\n{text}{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert_eq!(text.contains(" passed\n"), want_pass, "{file}:\n{text}");
            // One line of feedback per criterion, each marked.
            let marked = text
                .lines()
                .filter(|l| l.starts_with("  ✓ ") || l.starts_with("  ✗ "))
                .count();
            let max: usize = text
                .split(" criteria)")
                .next()
                .and_then(|head| head.rsplit(", ").next())
                .and_then(|n| n.parse().ok())
                .expect("the header names the number of criteria");
            assert_eq!(marked, max, "{file}:\n{text}");
        }
    }
}

#[test]
fn a_failing_student_reads_what_to_fix() {
    let out = mailflow(&[
        "grade",
        "scenarios/tasks/backup-mx/task.ron",
        "scenarios/tasks/backup-mx/students/fail.ron",
    ]);
    let text = stdout(&out);
    assert!(text.contains("fail.ron: 1/4 not yet"), "{text}");
    assert!(
        text.contains("✗ example.net has a backup MX with a higher preference number: MX 10 mx1.example.net; only one MX"),
        "{text}"
    );
    assert!(
        text.contains("✗ no MTA is an open relay: smtp.example.org relays for 0.0.0.0/0"),
        "{text}"
    );
    assert!(
        text.contains("✗ deferred by smtp.example.org exactly 0 time(s): 4 deferral(s)"),
        "{text}"
    );
    assert!(
        text.contains("✓ delivered to bob@example.net between 2h and 3h"),
        "{text}"
    );
}

#[test]
fn json_has_one_object_per_student_with_a_score_and_each_criterion() {
    let out = mailflow(&[
        "grade",
        "scenarios/tasks/greylisting/task.ron",
        "scenarios/tasks/greylisting/students/",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let grades: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(grades.len(), 2, "{text}");
    let by_student = |name: &str| {
        grades
            .iter()
            .find(|g| g["student"].as_str().is_some_and(|s| s.ends_with(name)))
            .unwrap_or_else(|| panic!("{name} in {text}"))
    };
    let pass = by_student("pass.ron");
    assert_eq!(pass["task"], "Get past greylisting in time");
    assert_eq!(
        (pass["score"].as_u64(), pass["max"].as_u64()),
        (Some(4), Some(4))
    );
    assert_eq!(pass["passed"], true);
    assert!(pass["error"].is_null());
    let fail = by_student("fail.ron");
    assert_eq!(
        (fail["score"].as_u64(), fail["passed"].as_bool()),
        (Some(2), Some(false))
    );
    let criteria = fail["criteria"].as_array().expect("criteria");
    assert_eq!(criteria.len(), 4);
    for c in criteria {
        assert!(
            c["criterion"].is_string() && c["passed"].is_boolean() && c["feedback"].is_string(),
            "{c}"
        );
    }
    let slow = criteria
        .iter()
        .find(|c| {
            c["criterion"]
                .as_str()
                .unwrap()
                .starts_with("delivered to dave")
        })
        .expect("the delivery criterion");
    assert_eq!(slow["passed"], false);
}

#[test]
fn a_broken_student_file_is_named_and_the_others_are_still_graded() {
    let dir = std::env::temp_dir().join(format!("mailflow-grade-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/tasks/greylisting/students/pass.ron"),
    )
    .unwrap();
    std::fs::write(
        dir.join("a-broken.ron"),
        good.replacen("retry: [\"6m\", \"30m\"]", "retyr: [\"6m\"]", 1),
    )
    .unwrap();
    std::fs::write(dir.join("b-good.ron"), &good).unwrap();
    // The task takes down a host this student does not have.
    std::fs::write(
        dir.join("c-no-such-host.ron"),
        good.replace("mx.university.example", "mx.college.example"),
    )
    .unwrap();
    let dir_arg = dir.display().to_string();
    let out = mailflow(&["grade", "scenarios/tasks/greylisting/task.ron", &dir_arg]);
    let text = stdout(&out);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("a-broken.ron: 0/4, could not be graded:"),
        "{text}"
    );
    assert!(
        text.contains("error: an MTA has no field called `retyr`"),
        "{text}"
    );
    assert!(text.contains("did you mean `retry`?"), "{text}");
    assert!(text.contains("b-good.ron: 4/4 passed"), "{text}");
    assert!(
        text.contains("the setting mx.university.example.greylisting=5m: no host of this scenario is called \"mx.university.example\""),
        "{text}"
    );
    assert!(
        text.contains("1 of 3 students met every criterion."),
        "{text}"
    );
}

#[test]
fn a_broken_task_is_an_error_with_its_place() {
    let dir = std::env::temp_dir().join(format!("mailflow-task-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let task = dir.join("task.ron");
    std::fs::write(
        &task,
        "(\n    title: \"t\",\n    expect: [Reply(code: 550, status: \"5.1\")],\n)\n",
    )
    .unwrap();
    let task_arg = task.display().to_string();
    let out = mailflow(&[
        "grade",
        &task_arg,
        "scenarios/tasks/greylisting/students/pass.ron",
    ]);
    let err = support::said(&out);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("error: \"5.1\" is not an enhanced status code"),
        "{err}"
    );
    assert!(err.contains("task.ron:3:39"), "{err}");
}

#[test]
fn an_empty_folder_is_refused() {
    let dir = std::env::temp_dir().join(format!("mailflow-empty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let dir_arg = dir.display().to_string();
    let out = mailflow(&["grade", "scenarios/tasks/greylisting/task.ron", &dir_arg]);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(out.status.code(), Some(2));
    assert!(support::said(&out).contains("holds no .ron files to grade"));
}
