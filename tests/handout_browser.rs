//! The handout in a real browser: Debian's Chromium, headless, opens the
//! page from a file with no network, and
//!
//! * logs no console message (a probe page proves the log is read),
//! * builds the whole DOM (the glossary at the end is there),
//! * screenshots at 1280×800 with the ladder's lifelines on screen: pixels
//!   in their colour, in as many columns as the trip has hosts,
//! * prints to a PDF whose text (poppler's `pdftotext`) holds every
//!   session's heading.
//!
//! Each Chromium gets its own profile in a temporary folder, its own
//! process group, and a deadline after which the whole group is killed,
//! so it can neither leave processes behind nor hang the suite. Skips
//! loudly without chromium or pdftotext, unless `MAILFLOW_REQUIRE_REAL_CLIENTS`
//! is set (as `.ci/run` does).

#[path = "support/png.rs"]
mod png;
#[path = "support/serve.rs"]
mod serve;

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mailflow::explain::Catalog;
use mailflow::export::html::ladder;
use mailflow::export::session_heading as heading;
use mailflow::export::trip::trip;
use mailflow::scenario;
use mailflow::sim;
use mailflow::trace::transcript;
use serve::{TempDir, have};

/// How long one Chromium run may take before its process group dies.
const CHROMIUM_TIMEOUT: Duration = Duration::from_secs(90);

fn have_chromium(test: &str) -> bool {
    have(
        test,
        "chromium",
        &["--version"],
        "apt-get install -y chromium",
    )
}

fn have_pdftotext(test: &str) -> bool {
    have(
        test,
        "pdftotext",
        &["-v"],
        "apt-get install -y poppler-utils",
    )
}

/// Chromium, headless, on `page` with `args`; (stdout, stderr).
fn chromium(dir: &Path, page: &Path, args: &[&str]) -> (String, String) {
    let profile = dir.join(format!("profile-{}", serve::tag("chromium")));
    let out = dir.join(format!("{}.out", serve::tag("chromium")));
    let err = dir.join(format!("{}.err", serve::tag("chromium")));
    let mut child = Command::new("chromium")
        .args([
            "--headless",
            "--disable-gpu",
            "--no-sandbox",
            "--no-first-run",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-sync",
            "--hide-scrollbars",
            &format!("--user-data-dir={}", profile.display()),
        ])
        .args(args)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).expect("create a file for stdout"))
        .stderr(std::fs::File::create(&err).expect("create a file for stderr"))
        // Its own group: renderers and helpers die with it.
        .process_group(0)
        .spawn()
        .expect("start chromium");
    let group = child.id();
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for chromium") {
            break Some(status);
        }
        if start.elapsed() > CHROMIUM_TIMEOUT {
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    // Whatever it left running in its group goes too.
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{group}")])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let _ = child.wait();
    let stdout = std::fs::read_to_string(&out).unwrap_or_default();
    let stderr = std::fs::read_to_string(&err).unwrap_or_default();
    match status {
        Some(s) if s.success() => (stdout, stderr),
        Some(s) => panic!("chromium {args:?} failed ({s}):\n{stderr}"),
        None => panic!(
            "chromium {args:?} did not finish within {CHROMIUM_TIMEOUT:?}; killed:\n{stderr}"
        ),
    }
}

/// Console messages in Chromium's log (`--enable-logging=stderr`).
fn console_lines(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.contains(":CONSOLE")).collect()
}

fn write_page(dir: &TempDir, name: &str) -> std::path::PathBuf {
    let out = Command::new(serve::mailflow())
        .args(["run", name, "--format", "html"])
        .output()
        .expect("run mailflow");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = dir.path().join(format!("{name}.html"));
    std::fs::write(&path, out.stdout).expect("write the page");
    path
}

#[test]
fn the_page_loads_with_no_console_messages() {
    if !have_chromium("the_page_loads_with_no_console_messages") {
        return;
    }
    let dir = TempDir::new("handout-console");
    // The probe: the log does show what a page says.
    let probe = dir.path().join("probe.html");
    std::fs::write(
        &probe,
        "<!DOCTYPE html><title>probe</title><script>console.error('mailflow-probe')</script>",
    )
    .expect("write the probe");
    let (_, log) = chromium(
        dir.path(),
        &probe,
        &["--enable-logging=stderr", "--v=0", "--dump-dom"],
    );
    assert!(
        console_lines(&log)
            .iter()
            .any(|l| l.contains("mailflow-probe")),
        "Chromium's log did not show the probe's console.error: the check below would prove nothing:\n{log}"
    );
    for name in ["hello", "greylisting", "relay-refused"] {
        let page = write_page(&dir, name);
        let (dom, log) = chromium(
            dir.path(),
            &page,
            &["--enable-logging=stderr", "--v=0", "--dump-dom"],
        );
        assert_eq!(
            console_lines(&log),
            Vec::<&str>::new(),
            "{name}: console messages"
        );
        assert!(
            dom.contains("id=\"glossary\""),
            "{name}: the DOM lacks the end of the page"
        );
        assert!(
            dom.contains("<svg class=\"ladder\""),
            "{name}: the DOM lacks the ladder"
        );
    }
}

#[test]
fn a_screenshot_shows_the_ladder() {
    if !have_chromium("a_screenshot_shows_the_ladder") {
        return;
    }
    let dir = TempDir::new("handout-shot");
    let page = write_page(&dir, "hello");
    let shot = dir.path().join("hello.png");
    chromium(
        dir.path(),
        &page,
        &[
            "--window-size=1280,800",
            &format!("--screenshot={}", shot.display()),
        ],
    );
    let image = png::decode(&std::fs::read(&shot).expect("the screenshot was written"))
        .unwrap_or_else(|e| panic!("cannot read the screenshot: {e}"));
    assert_eq!((image.width, image.height), (1280, 800));
    let hex = |i: usize| u8::from_str_radix(&ladder::LIFELINE[i..i + 2], 16).expect("hex");
    let stroke = [hex(1), hex(3), hex(5)];
    let near = |p: [u8; 3]| p.iter().zip(stroke).all(|(&a, b)| a.abs_diff(b) <= 24);
    // A lifeline is a column with a long run of its colour.
    let columns: Vec<usize> = (0..image.width)
        .filter(|&x| (0..image.height).filter(|&y| near(image.at(x, y))).count() >= 200)
        .collect();
    // Neighbouring columns are one line drawn across a pixel boundary.
    let mut lines = 0;
    let mut last = None;
    for &x in &columns {
        if last.is_none_or(|l| x > l + 2) {
            lines += 1;
        }
        last = Some(x);
    }
    let plan = scenario::load("hello").expect("hello loads").plan;
    let hosts = trip(&sim::run(&plan).trace).cast.len();
    assert_eq!(
        lines,
        hosts,
        "lifelines on screen in {} (columns {columns:?})",
        ladder::LIFELINE
    );
    // And the ladder is drawn, not blank: many pixels are not white.
    let inked = image.rgb.iter().filter(|p| **p != [255, 255, 255]).count();
    assert!(
        inked > image.width * image.height / 50,
        "{inked} inked pixels"
    );
}

#[test]
fn the_printed_page_holds_every_session() {
    if !have_chromium("the_printed_page_holds_every_session")
        || !have_pdftotext("the_printed_page_holds_every_session")
    {
        return;
    }
    let dir = TempDir::new("handout-pdf");
    for name in ["hello", "greylisting"] {
        let page = write_page(&dir, name);
        let pdf = dir.path().join(format!("{name}.pdf"));
        chromium(
            dir.path(),
            &page,
            &[
                "--no-pdf-header-footer",
                &format!("--print-to-pdf={}", pdf.display()),
            ],
        );
        let text = serve::run_bounded(
            Command::new("pdftotext").args([pdf.as_os_str(), "-".as_ref()]),
            serve::PROGRAM_TIMEOUT,
        );
        assert!(text.status.success(), "pdftotext: {}", text.stderr);
        // pdftotext breaks lines where the page did: compare words.
        let words = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        let printed = words(&text.stdout);
        let plan = scenario::load(name).expect("bundled").plan;
        let trace = sim::run(&plan).trace;
        let sessions = transcript::connections(&trace);
        assert!(!sessions.is_empty());
        for c in &sessions {
            let h = words(&heading(&trace, c));
            assert!(printed.contains(&h), "{name}: the PDF lacks {h:?}");
        }
        // Printed, each line's explanation is there without a click: the
        // 250 lines' as the line cites it (the glossary words it apart).
        let e = Catalog::builtin()
            .lookup("250")
            .expect("250 is in the catalog");
        let cited = words(&format!("{} — {} ({})", e.topic, e.title, e.rfc));
        assert!(
            printed.contains(&cited),
            "{name}: the PDF lacks the lines' explanations ({cited:?})"
        );
    }
}
