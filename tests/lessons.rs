//! Quizzes and guided lessons (issue 11 §1 and §4): every bundled lesson
//! placed on its run (each selector finds its event, each answer the
//! trace can judge agrees with it, the same every run), what its text
//! claims checked against the trace and the catalog, a selector that
//! finds nothing reported at its place in the file, and the dashboard
//! walked with keys over a TestBackend to the end of hello's lesson.

#[path = "support/tui.rs"]
mod support;

use crossterm::event::KeyCode;
use mailflow::explain::Catalog;
use mailflow::scenario::lesson::{At, Goal, Question, Resolved, resolve, resolve_so_far};
use mailflow::scenario::{self, bundled};
use mailflow::trace::Trace;
use mailflow::trace::describe::event_text;
use mailflow::tui::app::Overlay;
use mailflow::tui::predict::Phase;
use mailflow::tui::{App, Classroom, Theme};
use support::*;

/// A bundled scenario run and its quiz and lesson placed on the run.
fn placed(name: &str) -> (scenario::Loaded, Trace, Resolved) {
    let loaded = scenario::load(name).unwrap_or_else(|e| panic!("{name} loads:\n{e}"));
    let run = mailflow::sim::run(&loaded.plan);
    let resolved = resolve(&loaded.scenario, &loaded.source, &loaded.origin, &run.trace)
        .unwrap_or_else(|e| panic!("{name}'s lesson finds its events:\n{e}"));
    (loaded, run.trace, resolved)
}

fn with_lessons() -> Vec<&'static str> {
    bundled::BUNDLED
        .iter()
        .filter(|(name, _)| {
            let loaded = scenario::load(name).expect("bundled scenarios load");
            !loaded.scenario.lesson.is_empty() || !loaded.scenario.quiz.is_empty()
        })
        .map(|(name, _)| *name)
        .collect()
}

#[test]
fn six_lessons_ship_covering_the_issue_s_stories() {
    let names = with_lessons();
    for story in [
        "hello",
        "mx-backup",
        "greylisting",
        "unknown-user",
        "relay-refused",
        "smuggling",
    ] {
        assert!(names.contains(&story), "{story} has no lesson: {names:?}");
    }
}

#[test]
fn every_bundled_lesson_finds_its_events_and_runs_the_same_twice() {
    for name in with_lessons() {
        let (loaded, trace, resolved) = placed(name);
        assert_eq!(
            resolved.lesson.steps.len(),
            loaded.scenario.lesson.len(),
            "{name}: every step placed"
        );
        for (k, step) in resolved.lesson.steps.iter().enumerate() {
            let mark = step
                .mark
                .unwrap_or_else(|| panic!("{name} step {k}: no at"));
            assert!(mark.after <= trace.len(), "{name} step {k}");
            assert_eq!(
                step.questions.len(),
                loaded.scenario.lesson[k].questions.len(),
                "{name} step {k}: every question placed"
            );
            if let Goal::Reached(target) = step.until {
                assert!(target > mark.after, "{name} step {k}: the goal lies ahead");
            }
        }
        // `>` walks forward through the run: a step placed before the one
        // it follows would play the story backwards.
        let marks: Vec<usize> = resolved
            .lesson
            .steps
            .iter()
            .filter_map(|s| s.mark.map(|m| m.after))
            .collect();
        if let Some(k) = marks.windows(2).position(|w| w[1] < w[0]) {
            panic!(
                "{name}: step {} is placed at event {}, before step {} at event {}",
                k + 2,
                marks[k + 1],
                k + 1,
                marks[k]
            );
        }
        // Deterministic: the same scenario places the same lesson again.
        let (_, again, twice) = placed(name);
        assert_eq!(resolved, twice, "{name}");
        assert_eq!(trace.len(), again.len(), "{name}");
    }
}

/// The reply codes (`550`) and enhanced codes (`5.1.1`) written in `text`.
fn codes_in(text: &str) -> (Vec<u16>, Vec<String>) {
    let mut replies = Vec::new();
    let mut enhanced = Vec::new();
    let mut previous = "";
    for word in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '.')) {
        let word = word.trim_end_matches('.');
        // "port 587" is a port, not a reply.
        let port = previous.eq_ignore_ascii_case("port");
        if !word.is_empty() {
            previous = word;
        }
        // "§4.5.5" is a section of an RFC.
        if port || text.contains(&format!("§{word}")) {
            continue;
        }
        let parts: Vec<&str> = word.split('.').collect();
        if parts.len() == 3
            && matches!(parts[0], "2" | "4" | "5")
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        {
            enhanced.push(word.to_owned());
        } else if word.len() == 3
            && word.bytes().all(|b| b.is_ascii_digit())
            && matches!(word.as_bytes()[0], b'2'..=b'5')
            && let Ok(code) = word.parse()
        {
            replies.push(code);
        }
    }
    (replies, enhanced)
}

/// Everything the run says in words: transcript lines and events.
fn said(trace: &Trace) -> String {
    let index = mailflow::trace::index::Index::build(trace);
    let mut out: String = index
        .lines
        .iter()
        .map(|l| format!("{}\n", l.text))
        .collect();
    for e in trace.events() {
        out.push_str(&event_text(trace, e));
        out.push('\n');
    }
    out
}

#[test]
fn what_each_lesson_says_is_in_its_trace_and_in_the_catalog() {
    let catalog = Catalog::builtin();
    for name in with_lessons() {
        let (loaded, trace, _) = placed(name);
        let said = said(&trace);
        let hosts: Vec<&str> = trace.hosts.iter().map(|h| h.name.as_str()).collect();
        for (k, step) in loaded.scenario.lesson.iter().enumerate() {
            // A code a step's text names happened in this run; a code a
            // question or its why names (a distractor too) has an entry.
            let (replies, enhanced) = codes_in(&step.text);
            for code in &replies {
                assert!(
                    said.lines().any(|l| l.contains(&format!("{code} "))),
                    "{name} step {k}: the text names {code}, which this run never sent"
                );
            }
            for code in &enhanced {
                assert!(
                    said.contains(code.as_str()),
                    "{name} step {k}: the text names {code}, which this run never sent"
                );
            }
            let mut all = step.text.clone();
            for q in &step.questions {
                all.push_str(&format!(" {} {} {}", q.ask, q.why, q.choices.join(" ")));
            }
            let (replies, enhanced) = codes_in(&all);
            for code in replies {
                assert!(
                    catalog.lookup(&code.to_string()).is_some(),
                    "{name} step {k}: {code} has no catalog entry"
                );
            }
            for code in enhanced {
                assert!(
                    catalog.lookup(&code).is_some(),
                    "{name} step {k}: {code} has no catalog entry"
                );
            }
            // Every host name a step mentions is a host of this world.
            for word in all.split(|c: char| c.is_whitespace() || ",:;()'\"".contains(c)) {
                let word = word.trim_end_matches('.');
                let tld = [".net", ".org", ".com"].iter().any(|t| word.ends_with(t));
                if tld
                    && word.split('.').count() == 3
                    && !word.contains('@')
                    && !word.starts_with("www.")
                {
                    assert!(
                        hosts.contains(&word),
                        "{name} step {k}: {word} is no host of this world"
                    );
                }
            }
        }
    }
}

#[test]
fn the_lesson_s_answers_agree_with_the_trace_where_it_can_judge() {
    // hello's RCPT question: its right answer is the code sent.
    let (_, trace, resolved) = placed("hello");
    let index = mailflow::trace::index::Index::build(&trace);
    let rcpt = resolved.lesson.steps[4].questions[0].clone();
    let line = rcpt.mark.line.expect("a reply selector keeps its line");
    let code = &index.lines[line].text[..3];
    assert_eq!(rcpt.choices[rcpt.answer], code);
    // A wrong answer written into the file is an error at `answer`.
    let source = bundled::source("hello").expect("bundled").replace(
        "choices: [\"550\", \"450\", \"250\"],\n                    answer: 3,",
        "choices: [\"550\", \"450\", \"250\"],\n                    answer: 1,",
    );
    let loaded = scenario::parse(&source, "hello.ron").expect("still loads");
    let run = mailflow::sim::run(&loaded.plan);
    let error = resolve(&loaded.scenario, &loaded.source, "hello.ron", &run.trace)
        .expect_err("the trace says 250");
    let text = error.to_string();
    assert!(
        text.contains("the answer is 550, but the server sent \"250 2.1.5"),
        "{text}"
    );
    assert!(
        text.contains("help: the choice that matches the trace is 3"),
        "{text}"
    );
    assert!(text.contains("--> hello.ron:"), "{text}");
}

#[test]
fn a_selector_that_finds_no_event_is_reported_at_its_place() {
    let source = bundled::source("hello").expect("bundled").replace(
        "at: Reply(from: \"mx.example.net\", command: \"RCPT\"),",
        "at: Reply(from: \"mx.example.net\", command: \"RCPT\", nth: 3),",
    );
    let loaded = scenario::parse(&source, "hello.ron").expect("loads: nth 3 is well formed");
    let run = mailflow::sim::run(&loaded.plan);
    let error = resolve(&loaded.scenario, &loaded.source, "hello.ron", &run.trace)
        .expect_err("mx.example.net answered one RCPT");
    let text = error.to_string();
    let line = source
        .lines()
        .position(|l| l.contains("nth: 3"))
        .expect("the line")
        + 1;
    assert!(
        text.contains("Reply(from: \"mx.example.net\", command: \"RCPT\", nth: 3) finds no event in this run: this run has 1 matching reply(ies), so nth: 3 finds none"),
        "{text}"
    );
    assert!(text.contains(&format!("--> hello.ron:{line}:")), "{text}");
}

/// A dashboard walking `name`'s lesson, as `mailflow lesson` opens it.
fn walking(name: &str) -> App {
    let (loaded, _, resolved) = placed(name);
    let mut app = App::new(world_from(loaded), Theme::dark());
    app.enter_classroom(Classroom {
        lesson: true,
        resolved,
        ..Classroom::default()
    });
    app
}

/// Answers the open question with its right choice (or the wrong one).
fn answer(app: &mut App, right: bool) {
    let Some(Phase::Asking(q)) = &app.predict.phase else {
        panic!("a question is open: {:?}", app.predict.phase);
    };
    let choice = if right {
        q.answer
    } else {
        (q.answer + 1) % q.choices.len()
    };
    press(app, KeyCode::Char((b'1' + choice as u8) as char));
}

#[test]
fn hello_s_lesson_walks_to_the_end_with_keys() {
    let mut app = walking("hello");
    let first = screen(&app, 120, 40);
    assert!(first.contains("Lesson · step 1/8"), "{first}");
    assert!(
        first.contains("One message, from alice's laptop"),
        "{first}"
    );
    assert!(first.contains("> next step"), "{first}");
    assert_eq!(app.pos, 0);

    // Step 2 stops before the AUTH reply and asks.
    press(&mut app, KeyCode::Char('>'));
    assert_eq!(app.lesson.step, 1);
    assert_eq!(app.overlay, Overlay::Predict);
    let asked = screen(&app, 80, 24);
    assert!(
        asked.contains("What will smtp.example.org answer to AUTH PLAIN?"),
        "{asked}"
    );
    assert!(
        !asked.contains("Authentication successful\n"),
        "the reply is not shown yet"
    );
    let before = app.pos;
    answer(&mut app, true);
    let reveal = screen(&app, 80, 24);
    assert!(reveal.contains("right."), "{reveal}");
    assert!(
        reveal.contains("S: 235 2.7.0 Authentication successful"),
        "{reveal}"
    );
    // Any key continues; the step was `until: Answered`, so it moves on.
    press(&mut app, KeyCode::Char(' '));
    assert!(app.pos > before, "the reply shows after the reveal");
    assert_eq!(app.lesson.step, 2, "answered: the lesson moves on");
    assert!(screen(&app, 120, 40).contains("Lesson · step 3/8"));

    // Back and forth: < returns without asking again.
    press(&mut app, KeyCode::Char('<'));
    assert_eq!(app.lesson.step, 1);
    assert_eq!(
        app.overlay,
        Overlay::None,
        "an answered question is not asked again"
    );
    press(&mut app, KeyCode::Char('>'));
    assert_eq!(app.lesson.step, 2);

    // The DNS question answered wrong, the RCPT question right.
    press(&mut app, KeyCode::Char('>'));
    answer(&mut app, false);
    assert!(screen(&app, 80, 24).contains("the answer is mx.example.net"));
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.lesson.step, 4);
    answer(&mut app, true);
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.lesson.step, 5);
    // Step 6 (until Key) asks, then stays until >.
    answer(&mut app, true);
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.lesson.step, 5, "until: Key waits for >");
    press(&mut app, KeyCode::Char('>'));
    assert_eq!(app.lesson.step, 6);
    // Step 7 plays on to the end by itself.
    assert!(app.playing, "until: Reached plays");
    for _ in 0..200 {
        if app.lesson.step == 7 {
            break;
        }
        mailflow::tui::advance(&mut app, std::time::Duration::from_secs(5));
    }
    assert_eq!(
        app.lesson.step, 7,
        "reaching the end moves to the last step"
    );
    assert_eq!(app.pos, app.len());
    press(&mut app, KeyCode::Char('>'));
    let end = app.notice.clone().unwrap_or_default();
    assert!(end.contains("the end of the lesson: 3/4 right"), "{end}");

    // The summary a teacher prints, in Markdown.
    let markdown = app.predict.summary("Hello", true);
    assert!(
        markdown.contains("3 of 4 answered right; 4 asked, 0 skipped"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| 1 | lesson step 2 | What will smtp.example.org answer to AUTH PLAIN? | 235 2.7.0 Authentication successful | 235 2.7.0 Authentication successful | yes |"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| 2 | lesson step 4 | Which host will the MX answer name for example.net? | mx.example.net | ns.example.org | no |"),
        "{markdown}"
    );
    let text = app.predict.summary("Hello", false);
    assert!(text.contains("lesson step 4: Which host"), "{text}");
    assert!(text.contains("answered ns.example.org: wrong"), "{text}");
}

#[test]
fn a_scenario_quiz_is_asked_in_predict_mode_only() {
    let source = bundled::source("greylisting").expect("bundled").replacen(
        "    lesson: [",
        "    quiz: [(at: Deferred(host: \"smtp.example.org\"), ask: \"Retry or bounce?\", \
         choices: [\"retry\", \"bounce\"], answer: 1, why: \"4xx is temporary.\")],\n    lesson: [",
        1,
    );
    let loaded = scenario::parse(&source, "greylisting.ron").expect("loads");
    let run = mailflow::sim::run(&loaded.plan);
    let resolved = resolve(
        &loaded.scenario,
        &loaded.source,
        "greylisting.ron",
        &run.trace,
    )
    .expect("placed");
    let at = resolved.quiz[0].mark.before;
    for (quiz_only, asks) in [(false, false), (true, true)] {
        let mut app = App::new(world_from(loaded.clone()), Theme::dark());
        app.enter_classroom(Classroom {
            quiz_only,
            resolved: resolved.clone(),
            ..Classroom::default()
        });
        app.seek(at);
        press(&mut app, KeyCode::Right);
        assert_eq!(
            app.overlay == Overlay::Predict,
            asks,
            "quiz_only {quiz_only}"
        );
        if asks {
            assert!(screen(&app, 80, 24).contains("Retry or bounce?"));
            assert_eq!(app.pos, at, "stopped before the deferral");
            press(&mut app, KeyCode::Char('1'));
            let reveal = screen(&app, 80, 24);
            assert!(reveal.contains("4xx is temporary."), "{reveal}");
            assert!(reveal.contains("deferred SMTP0001"), "{reveal}");
        }
    }
}

#[test]
fn the_lesson_pane_fits_80x24_and_200x60() {
    let mut app = walking("greylisting");
    press(&mut app, KeyCode::Char('>'));
    for (w, h) in [(80, 24), (120, 40), (200, 60)] {
        let shown = screen(&app, w, h);
        assert!(
            shown.contains("What will mx.example.net answer"),
            "{w}x{h}\n{shown}"
        );
        assert!(shown.contains("Esc skips"), "{w}x{h}\n{shown}");
    }
    answer(&mut app, true);
    press(&mut app, KeyCode::Enter);
    for (w, h) in [(80, 24), (120, 40), (200, 60)] {
        let shown = screen(&app, w, h);
        assert!(shown.contains("step 3/8"), "{w}x{h}\n{shown}");
        assert!(shown.contains("503 5.5.1"), "{w}x{h}\n{shown}");
    }
}

/// A click on a transcript line with the lesson pane open selects the
/// line clicked: the mouse reads the panes where the draw put them, above
/// the lesson pane, at every size a class uses.
#[test]
fn a_click_on_a_transcript_line_under_a_lesson_selects_that_line() {
    use mailflow::trace::{Dir, Protocol};
    for (w, h) in [(80, 24), (120, 40), (200, 60)] {
        let mut app = walking("hello");
        let mail_from = pos_of_line(&app, Protocol::Submission, Dir::Up, "MAIL FROM");
        app.seek(pos_of_reply_to(&app, Protocol::Submission, "DATA"));
        let shown = screen(&app, w, h);
        assert!(
            shown.contains("Lesson"),
            "the lesson pane is open:\n{shown}"
        );
        let row = shown
            .lines()
            .position(|l| l.contains("C: MAIL FROM"))
            .unwrap_or_else(|| panic!("MAIL FROM on screen at {w}x{h}:\n{shown}"));
        let col = shown
            .lines()
            .nth(row)
            .and_then(|l| l.find("C: MAIL FROM").map(|byte| l[..byte].chars().count()));
        let col = col.expect("the line's column") as u16;
        click(&mut app, col, row as u16, rect(w, h));
        assert_eq!(app.pos, mail_from, "the clicked line at {w}x{h}:\n{shown}");
        assert!(app.pinned.is_some(), "its session stays on screen");
    }
}

/// `name`'s scenario with a quiz beside its lesson: a question at each
/// step's event and one at the end of the run, so that quiz questions are
/// placed as the world computes as well as steps.
fn with_a_quiz(name: &str) -> scenario::Loaded {
    let mut loaded = scenario::load(name).unwrap_or_else(|e| panic!("{name} loads:\n{e}"));
    let mut at: Vec<At> = loaded
        .scenario
        .lesson
        .iter()
        .filter_map(|s| s.at.clone())
        .collect();
    at.push(At::End);
    loaded.scenario.quiz = at
        .into_iter()
        .map(|at| Question {
            at: Some(at),
            ask: "Which?".into(),
            choices: vec!["this".into(), "that".into()],
            answer: 1,
            why: String::new(),
        })
        .collect();
    loaded
}

/// Issue 14 §8: the dashboard opens before the world is computed, and the
/// quiz and lesson are placed on the trace as it grows. Fed one event at
/// a time, every step and question placed is where the whole run places
/// it, its event is already computed, and it is placed as soon as its
/// event (and every step before it) is: nothing lands early or wrong, and
/// nothing waits longer than it must. At the end all is placed.
#[test]
fn a_lesson_placed_while_its_world_computes_lands_where_the_whole_run_puts_it() {
    for name in with_lessons() {
        let loaded = with_a_quiz(name);
        let (s, source, origin) = (&loaded.scenario, &loaded.source, &loaded.origin);
        let whole = mailflow::sim::run(&loaded.plan).trace;
        let batch = resolve(s, source, origin, &whole).unwrap_or_else(|e| panic!("{name}:\n{e}"));
        let steps = &batch.lesson.steps;
        // Where each step can be placed: its event and its goal's computed;
        // a step at the end of the run, only once the run has ended.
        let needs: Vec<usize> = steps
            .iter()
            .zip(&s.lesson)
            .map(|(step, written)| {
                let at = step.mark.map_or(0, |m| m.after);
                let ends = written.at == Some(At::End)
                    || matches!(
                        &written.until,
                        mailflow::scenario::lesson::Until::Reached(At::End)
                    );
                match step.until {
                    _ if ends => usize::MAX,
                    Goal::Reached(target) => at.max(target),
                    _ => at,
                }
            })
            .collect();
        let before_end = needs
            .iter()
            .position(|&n| n == usize::MAX)
            .unwrap_or(steps.len());
        let mut growing = Trace::new(whole.hosts.clone());
        growing.links = whole.links.clone();
        growing.zones = whole.zones.clone();
        let mut events = whole.events().iter();
        loop {
            let len = growing.len();
            let so_far = resolve_so_far(s, source, origin, &growing);
            assert_eq!(so_far.problems, None, "{name} at {len}");
            let n = so_far.steps.len();
            assert_eq!(
                so_far.steps,
                steps[..n],
                "{name} at {len}: placed elsewhere"
            );
            for q in &so_far.quiz {
                assert!(batch.quiz.contains(q), "{name} at {len}: {q:?}");
                assert!(q.mark.after <= len, "{name} at {len}: not computed yet");
            }
            for step in &so_far.steps {
                assert!(step.mark.is_none_or(|m| m.after <= len), "{name} at {len}");
            }
            // The next step waits only for its own event or its goal's.
            if let Some(&need) = needs.get(n) {
                assert!(
                    need > len,
                    "{name} at {len}: step {} could be placed",
                    n + 1
                );
            }
            let placed_quiz = batch
                .quiz
                .iter()
                .filter(|q| q.mark.after <= len && q.at != "End")
                .count();
            assert_eq!(so_far.quiz.len(), placed_quiz, "{name} at {len}");
            let Some(e) = events.next() else {
                // All computed: what waits is only what names the end.
                assert_eq!(so_far.steps, steps[..before_end], "{name}");
                assert_eq!(so_far.quiz.len(), placed_quiz, "{name}");
                assert!(placed_quiz < batch.quiz.len(), "{name}");
                assert!(
                    so_far.waiting,
                    "{name}: the question at End waits for the end"
                );
                break;
            };
            growing.push(e.at, e.kind.clone());
        }
    }
}

#[test]
fn esc_in_a_lesson_asks_before_it_quits() {
    let mut app = walking("hello");
    press(&mut app, KeyCode::Esc);
    assert!(!app.quit, "one Esc does not end the walk");
    let notice = app.notice.clone().unwrap_or_default();
    assert!(
        notice.contains("Esc again leaves the lesson at step 1/8"),
        "{notice}"
    );
    // Any other key between the two takes the question back.
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Esc);
    assert!(!app.quit, "the first Esc after another key asks again");
    press(&mut app, KeyCode::Esc);
    assert!(app.quit, "Esc twice in a row quits");

    // q quits at once, as everywhere.
    let mut app = walking("hello");
    press(&mut app, KeyCode::Char('q'));
    assert!(app.quit);
}
