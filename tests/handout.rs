//! `--format html`, the handout page: for every bundled scenario the page
//! is well-formed (tests/support/html.rs reads it strictly), holds every
//! line of every session in order as the trace has them, draws every step
//! of the trip, links only inside itself and fetches nothing. A message
//! whose title, subject and body are markup is shown as text, never run.
//! The real-browser checks are in tests/handout_browser.rs.

#[path = "support/html.rs"]
mod html_reader;
#[path = "support/serve.rs"]
mod serve;

use html_reader::{Page, parse};
use mailflow::export::html::{self, Handout};
use mailflow::export::session_heading as heading;
use mailflow::export::trip::trip;
use mailflow::plan::Plan;
use mailflow::record::Recording;
use mailflow::scenario::{self, bundled};
use mailflow::sim;
use mailflow::trace::Trace;
use mailflow::trace::transcript::{self, Transcriber};

#[path = "../benches/support/scaled.rs"]
mod scaled;

fn plan(name: &str) -> Plan {
    scenario::load(name).expect("bundled scenarios load").plan
}

fn page_of(plan: &Plan) -> (Recording, String) {
    let run = Recording::of(plan, sim::run(plan));
    let verdicts = run.verdicts();
    let page = html::render(&Handout {
        title: &run.title,
        about: &run.about,
        seed: run.seed,
        trace: &run.trace,
        verdicts: &verdicts,
    });
    (run, page)
}

fn read(name: &str, page: &str) -> Page {
    parse(page).unwrap_or_else(|e| panic!("{name}: the page is not well-formed: {e}"))
}

/// Every line of every session, in order, as the dashboard reads them
/// (a whole walk, so lines held until a close come out too).
fn lines_by_conn(trace: &Trace) -> std::collections::BTreeMap<u32, Vec<String>> {
    let mut transcriber = Transcriber::new();
    let mut out: std::collections::BTreeMap<u32, Vec<String>> = Default::default();
    for event in trace.events() {
        for line in transcriber.feed(event) {
            out.entry(line.conn.0).or_default().push(line.text.into());
        }
    }
    out
}

#[test]
fn every_bundled_page_holds_every_session_line_in_order() {
    for name in bundled::names() {
        let (run, page) = page_of(&plan(name));
        let doc = read(name, &page);
        let all = lines_by_conn(&run.trace);
        let connections = transcript::connections(&run.trace);
        assert!(!connections.is_empty(), "{name}: no sessions");
        for c in &connections {
            let id = format!("s-{}", c.conn.0);
            let (at, section) = doc
                .by_id(&id)
                .unwrap_or_else(|| panic!("{name}: no section {id}"));
            let h3 = doc
                .inside(at)
                .find(|e| e.name == "h3")
                .unwrap_or_else(|| panic!("{name}: {id} has no heading"));
            assert_eq!(h3.text, heading(&run.trace, c), "{name}: {id}");
            let shown: Vec<&str> = doc
                .inside(at)
                .filter(|e| e.name == "span" && e.has_class("w"))
                .map(|e| e.text.as_str())
                .collect();
            let want = all.get(&c.conn.0).cloned().unwrap_or_default();
            assert_eq!(shown, want, "{name}: the lines of {id}");
            // What `trace::transcript::lines` reads (bytes only) is where
            // the page starts.
            let bytes_only: Vec<String> = transcript::lines(&run.trace, c.conn)
                .into_iter()
                .map(|l| l.text.into())
                .collect();
            assert!(
                want.starts_with(&bytes_only),
                "{name}: {id} disagrees with trace::transcript::lines"
            );
            let _ = section;
        }
    }
}

#[test]
fn every_bundled_page_draws_every_step_of_the_trip() {
    for name in bundled::names() {
        let (run, page) = page_of(&plan(name));
        let doc = read(name, &page);
        let steps = trip(&run.trace).steps.len();
        let drawn = doc
            .elements
            .iter()
            .filter(|e| e.name == "g" && (e.has_class("a") || e.has_class("n") || e.has_class("g")))
            .filter(|e| doc.elements[e.ancestors[0]].name == "html")
            .count();
        assert_eq!(drawn, steps, "{name}: steps drawn");
        let blocks = doc
            .elements
            .iter()
            .filter(|e| e.name == "svg" && e.has_class("ladder"))
            .count();
        assert_eq!(
            blocks,
            steps.div_ceil(html::ladder::ROWS),
            "{name}: ladder blocks"
        );
        // Each block names every host of the trip on top.
        let hosts = trip(&run.trace).cast.len();
        for (i, svg) in doc
            .elements
            .iter()
            .enumerate()
            .filter(|(_, e)| e.name == "svg")
        {
            let names = doc
                .elements
                .iter()
                .filter(|e| e.ancestors.contains(&i) && e.name == "text" && e.has_class("h"))
                .count();
            assert_eq!(
                names,
                hosts,
                "{name}: hosts named in {:?}",
                svg.attr("aria-label")
            );
        }
    }
}

/// Markup that could fetch or run something: none, but the page's own
/// links to its own ids and its one script.
#[test]
fn every_bundled_page_references_nothing_outside_itself() {
    for name in bundled::names() {
        let (_, page) = page_of(&plan(name));
        let doc = read(name, &page);
        let ids = doc.ids();
        for e in &doc.elements {
            for (attr, value) in &e.attrs {
                let attr = attr.to_ascii_lowercase();
                assert!(
                    ![
                        "src",
                        "srcset",
                        "xlink:href",
                        "action",
                        "formaction",
                        "background",
                        "poster",
                        "data"
                    ]
                    .contains(&attr.as_str()),
                    "{name}: <{} {attr}={value:?}>",
                    e.name
                );
                assert!(!attr.starts_with("on"), "{name}: an event handler {attr}");
                assert!(
                    !value.contains("url(") && !value.contains("://"),
                    "{name}: <{} {attr}={value:?}>",
                    e.name
                );
                if attr == "href" {
                    let target = value
                        .strip_prefix('#')
                        .unwrap_or_else(|| panic!("{name}: a link out of the page: {value}"));
                    assert!(ids.contains(&target), "{name}: a link to no id: {value}");
                }
            }
            assert!(
                ![
                    "link", "iframe", "img", "object", "embed", "image", "use", "base", "form"
                ]
                .contains(&e.name.as_str()),
                "{name}: a <{}> element",
                e.name
            );
        }
        let scripts = doc.elements.iter().filter(|e| e.name == "script").count();
        assert_eq!(scripts, 1, "{name}: scripts");
        for (element, raw) in &doc.raw {
            for bad in [
                "@import",
                "url(",
                "://",
                "fetch(",
                "XMLHttpRequest",
                "import(",
            ] {
                assert!(!raw.contains(bad), "{name}: {bad} in <{element}>");
            }
        }
    }
}

const HOSTILE: &str = "</pre></div><script>alert('body')</script>\
                       <img src=\"http://evil.example/x\" onerror=\"alert(1)\">&amp; \u{1b}[31m";

#[test]
fn a_hostile_message_is_shown_never_run() {
    let mut p = plan("hello");
    p.title = "<script>alert('title')</script>".into();
    p.about = "<style>@import url(http://evil.example/a.css)</style>".into();
    let m = &mut p.clients[0].send[0];
    m.subject = "<b onclick=\"x()\">subject</b>".into();
    m.body = format!("{HOSTILE}\n.\n..\n<!-- {HOSTILE} -->\n");
    let (_, page) = page_of(&p);
    let doc = read("hostile", &page);
    assert_eq!(
        doc.elements.iter().filter(|e| e.name == "script").count(),
        1
    );
    assert_eq!(doc.elements.iter().filter(|e| e.name == "style").count(), 1);
    for e in &doc.elements {
        assert_ne!(e.name, "img", "an <img> from the body");
        assert!(
            e.attrs
                .iter()
                .all(|(a, _)| !a.starts_with("on") && a != "src"),
            "<{} {:?}>",
            e.name,
            e.attrs
        );
    }
    // The markup is there as text, where a reader sees it.
    let h1 = doc
        .elements
        .iter()
        .find(|e| e.name == "h1")
        .expect("a title");
    assert_eq!(h1.text, "<script>alert('title')</script>");
    let body = doc
        .elements
        .iter()
        .find(|e| e.name == "pre" && e.has_class("body"))
        .expect("the letter's body");
    assert!(
        body.text.contains("<script>alert('body')</script>"),
        "{}",
        body.text
    );
    assert!(
        body.text.contains("␛[31m"),
        "control characters are shown: {}",
        body.text
    );
    assert!(page.contains("&lt;script&gt;alert(&#39;body&#39;)"));
}

#[test]
fn markdown_still_holds_the_diagram_and_every_session() {
    let out = std::process::Command::new(serve::mailflow())
        .args(["run", "hello", "--format", "markdown"])
        .output()
        .expect("run mailflow");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("```mermaid\nsequenceDiagram"));
    let (run, _) = page_of(&plan("hello"));
    for c in transcript::connections(&run.trace) {
        assert!(
            text.contains(&format!("### {}", heading(&run.trace, &c))),
            "{text}"
        );
    }
}

/// `run NAME --format html`, `run FILE` of its recording and `export
/// FILE` write the same page: the page is a function of the trace.
#[test]
fn a_recording_exports_the_same_page_as_the_run() {
    let dir = serve::TempDir::new("handout");
    let record = dir.path().join("hello.mfr");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(serve::mailflow())
            .args(args)
            .output()
            .expect("run mailflow");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    let record_arg = record.to_str().expect("a UTF-8 temp path");
    let live = run(&["run", "hello", "--format", "html", "--record", record_arg]);
    let replayed = run(&["run", record_arg, "--format", "html"]);
    let exported = run(&["export", record_arg, "--format", "html"]);
    assert!(live.starts_with(b"<!DOCTYPE html>"));
    assert_eq!(live, replayed);
    assert_eq!(live, exported);
    // The verdicts went to stderr, not after </html>.
    assert!(live.ends_with(b"</html>\n"));
}

/// Not a timing: the page's size per event, printed for the record, and
/// bounded so a long run's page stays a page.
#[test]
fn the_page_grows_with_the_run_not_faster() {
    let hello = plan("hello");
    let (small_run, small) = page_of(&hello);
    let (big_run, big) = page_of(&scaled::hello_times(&hello, 200));
    let per = |run: &Recording, page: &str| page.len() as f64 / run.trace.len() as f64;
    eprintln!(
        "handout size: hello {} bytes for {} events ({:.0} B/event); hello x200 {} bytes for {} events ({:.0} B/event)",
        small.len(),
        small_run.trace.len(),
        per(&small_run, &small),
        big.len(),
        big_run.trace.len(),
        per(&big_run, &big)
    );
    // The glossary and the style are paid once: a bigger run costs no
    // more per event than hello does.
    assert!(per(&big_run, &big) <= per(&small_run, &small));
}

/// Each Received line of each letter names the hop that wrote it: its
/// link leads to the session whose server is the line's `by` host (RFC
/// 5321 §4.4), and every delivered letter is on the page.
#[test]
fn every_received_line_is_tied_to_the_session_of_its_hop_rfc5321_4_4() {
    use mailflow::mail::Received;
    use mailflow::trace::EventKind;
    let mut tied = 0;
    for name in bundled::names() {
        let (run, page) = page_of(&plan(name));
        let doc = read(name, &page);
        let delivered = run
            .trace
            .events()
            .iter()
            .filter(|e| matches!(e.kind, EventKind::Delivered { .. }))
            .count();
        let letters = doc
            .elements
            .iter()
            .filter(|e| e.name == "article" && e.has_class("letter"))
            .count();
        assert_eq!(letters, delivered, "{name}: letters");
        let connections = transcript::connections(&run.trace);
        for (i, field) in doc
            .elements
            .iter()
            .enumerate()
            .filter(|(_, e)| e.has_class("rcv"))
        {
            let hop = doc
                .inside(i)
                .find(|e| e.has_class("hop"))
                .unwrap_or_else(|| panic!("{name}: a Received line without its hop"));
            let value = field
                .text
                .strip_prefix("Received: ")
                .and_then(|t| t.strip_suffix(hop.text.as_str()))
                .unwrap_or_else(|| panic!("{name}: {:?}", field.text));
            let received = Received::parse(value)
                .unwrap_or_else(|| panic!("{name}: an unreadable Received: {value}"));
            let Some(link) = doc.inside(i).find(|e| e.name == "a") else {
                assert!(
                    !hop.text.contains("session"),
                    "{name}: {:?} names a session without a link",
                    hop.text
                );
                continue;
            };
            let conn: u32 = link
                .attr("href")
                .and_then(|h| h.strip_prefix("#s-"))
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("{name}: {:?}", link.attrs));
            let c = connections
                .iter()
                .find(|c| c.conn.0 == conn)
                .unwrap_or_else(|| panic!("{name}: no session {conn}"));
            assert_eq!(run.trace.name(c.to), received.by, "{name}: {value}");
            tied += 1;
        }
    }
    assert!(tied > 10, "only {tied} Received lines tied to sessions");
}
