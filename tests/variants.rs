//! Variants and settings from the command line: `run --variant NAME`
//! runs a variant of the file, `run --set key=value` changes a setting
//! for one run, and mistakes in either are named.

#[path = "support/cli.rs"]
mod support;

use support::{mailflow, said as text};

#[test]
fn a_variant_runs_with_its_settings_and_its_own_claims() {
    let base = mailflow(&["run", "destination-down"]);
    assert_eq!(base.status.code(), Some(0), "{}", text(&base));
    assert!(text(&base).contains("✓ mx.example.net is back on the network"));
    let expire = mailflow(&["run", "destination-down", "--variant", "expire"]);
    let out = text(&expire);
    assert_eq!(expire.status.code(), Some(0), "{out}");
    assert!(out.contains("(variant expire)"), "{out}");
    assert!(
        out.contains("gave up on SMTP0001 for bob@example.net: too old"),
        "{out}"
    );
    assert!(out.contains("5 of 5 expectations held."), "{out}");
}

#[test]
fn an_unknown_variant_is_named_with_a_suggestion() {
    let out = mailflow(&["run", "destination-down", "--variant", "expier"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("has no variant called \"expier\": did you mean \"expire\"?"));
}

#[test]
fn a_setting_changes_one_run_and_the_claims_notice() {
    // Retrying after 30 minutes misses greylisting's 10-minute claim.
    let out = mailflow(&["run", "greylisting", "--set", "smtp.example.org.retry=30m"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(
        t.contains("FAILED delivered to bob@example.net within 10m"),
        "{t}"
    );
    let out = mailflow(&["run", "greylisting", "--set", "smtp.example.org.retyr=30m"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("an MTA has no setting called \"retyr\""), "{t}");
    assert!(t.contains("did you mean \"retry\"?"), "{t}");
}

#[test]
fn check_names_the_variants_and_shows_warnings() {
    let out = mailflow(&["check", "destination-down"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out).contains("(variants: expire)"));
    let source =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/hello.ron"))
            .unwrap()
            .replacen(
                "Retrieved(by: \"bob@example.net\")",
                "Retrieved(by: \"bobb@example.net\")",
                1,
            );
    let path = std::env::temp_dir().join(format!("mailflow-warn-{}.ron", std::process::id()));
    std::fs::write(&path, source).unwrap();
    let file = path.display().to_string();
    let relaxed = mailflow(&["check", &file]);
    let strict = mailflow(&["check", "--strict", &file]);
    std::fs::remove_file(&path).ok();
    let t = text(&relaxed);
    assert_eq!(relaxed.status.code(), Some(0), "{t}");
    assert!(t.contains("with 1 warning(s)"), "{t}");
    assert!(
        t.contains("warning: bobb@example.net is no mailbox of this scenario"),
        "{t}"
    );
    assert_eq!(strict.status.code(), Some(2), "{}", text(&strict));
}
