//! The mailflow binary as a teacher runs it, from the project's folder
//! (so `scenarios/...` paths work).

use std::process::{Command, Output};

pub fn mailflow(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mailflow"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("mailflow runs")
}

/// Stdout and stderr together, for messages that may go to either.
pub fn said(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}
