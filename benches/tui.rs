//! What the dashboard costs: one frame, and a seek to anywhere.
//!
//! (a) One frame of the largest bundled scenario (by trace length), at
//!     200x60 on ratatui's `TestBackend`, for each view (and the help
//!     overlay), at five playheads: the start, a quarter, half, three
//!     quarters, the end.
//!
//! (b) Seeking in a trace of about 1,000,000 events: the hello world with
//!     its one message repeated N times (one every 5 s of simulated time;
//!     bob's phone fetches over POP3 every 15 minutes), N chosen from a
//!     calibration run so the trace reaches the target. It reports how long
//!     the run, the index and the app take to build and the peak memory,
//!     then, per view, random `app.seek(n)` + one frame, against the same
//!     on the small trace of (a): the ratio says whether a seek depends on
//!     the trace's length (it should not: the indexes are built once).
//!     Where a view does depend on it, a third table shows its frame time
//!     by playhead in the big trace, so the growth can be read as O(pos) or
//!     O(trace), and a fourth times the keys that search the trace (`]`,
//!     `}`, Enter in the events view, `/` with a match and without one).
//!
//! (c) Every view, and the events list under each filter, one frame after
//!     a seek to the middle and to the end of the big trace, as a ratio to
//!     the main view's frame at the same playhead in the same run.
//!
//! (d) A live dashboard while mail arrives: the big trace's last tenth
//!     replayed into a live app, `MAILFLOW_TUI_LIVE_RATE` messages a
//!     second worth of events each 40 ms frame; per frame the cost of
//!     indexing what arrived, and of indexing, playing on and drawing.
//!
//! Run with `cargo bench --bench tui`. Knobs (environment):
//!
//! | variable                  | default   | meaning |
//! |---------------------------|-----------|---------|
//! | `MAILFLOW_TUI_EVENTS`     | `1000000` | target length of the big trace (`0` skips part b) |
//! | `MAILFLOW_TUI_BUDGET_MS`  | `1500`    | time spent on one cell of a table (at least 3 samples) |
//! | `MAILFLOW_TUI_SEED`       | `1`       | seed of the random playheads |
//! | `MAILFLOW_TUI_SPACING_MS` | `5000`    | simulated time between two sends of the big trace |
//! | `MAILFLOW_TUI_FETCH_S`    | `900`     | bob's phone fetches this often (`0`: only hello's one fetch) |
//! | `MAILFLOW_TUI_LIVE_RATE`  | `1000`    | messages a second arriving in (d) |
//!
//! Without `--bench` (as `cargo test --benches` runs it) it is a smoke run:
//! a 20,000-event trace and 5 ms a cell, about a second in all. A frame that
//! panics is counted and reported under its table, with its playhead; the
//! bench goes on.

// The counting allocator below wraps `System`, which takes unsafe; the
// crate denies unsafe everywhere else (Cargo.toml `[lints]`).
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use mailflow::scenario::{self, Plan, bundled};
use mailflow::sim;
use mailflow::trace::index::Index;
use mailflow::tui::app::{Overlay, View};
use mailflow::tui::{App, Theme, World, ui};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const WIDTH: u16 = 200;
const HEIGHT: u16 = 60;

// ----------------------------------------------------------------- memory

/// The system allocator, counting the bytes live now and their peak since
/// the last reset.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let live = LIVE.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

// SAFETY: every call is passed on unchanged to the system allocator; the
// counters only watch.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract is the system allocator's.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as above.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as above.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            grew(new_size);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn mib(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// Live heap now, and resets the peak to it.
fn live_and_reset() -> usize {
    let live = LIVE.load(Ordering::Relaxed);
    PEAK.store(live, Ordering::Relaxed);
    live
}

// ------------------------------------------------------------------ setup

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Time spent on one cell of a table; tiny in a smoke run.
static BUDGET: std::sync::OnceLock<Duration> = std::sync::OnceLock::new();

fn budget() -> Duration {
    *BUDGET.get_or_init(|| Duration::from_millis(env_or("MAILFLOW_TUI_BUDGET_MS", 1500)))
}

/// VmHWM or VmRSS of this process, in MiB.
fn proc_mib(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| {
            l.strip_prefix(field)?
                .trim()
                .strip_suffix("kB")?
                .trim()
                .parse::<f64>()
                .ok()
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn plan_of(name: &str) -> Plan {
    scenario::load(name)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .plan
}

/// Runs a plan and builds the dashboard's app over it, timing each part.
struct Built {
    app: App,
    sim: Duration,
    index: Duration,
    app_new: Duration,
    /// Live heap (bytes) before the run, after it (the trace), after the
    /// index; and the peak during the run and during the index.
    heap_before: usize,
    heap_trace: usize,
    heap_index: usize,
    peak_sim: usize,
    peak_index: usize,
}

fn build(plan: &Plan) -> Built {
    let heap_before = live_and_reset();
    let t = Instant::now();
    let run = sim::run(plan);
    let sim = t.elapsed();
    let peak_sim = PEAK.load(Ordering::Relaxed);
    let heap_trace = live_and_reset();
    let t = Instant::now();
    let index = Index::build(&run.trace);
    let index_time = t.elapsed();
    let peak_index = PEAK.load(Ordering::Relaxed);
    let heap_index = LIVE.load(Ordering::Relaxed);
    let world = World {
        title: plan.title.clone(),
        about: plan.about.clone(),
        trace: run.trace,
        index,
        verdicts: Vec::new(),
        plan: None,
    };
    let t = Instant::now();
    let app = App::new(world, Theme::dark());
    Built {
        app,
        sim,
        index: index_time,
        app_new: t.elapsed(),
        heap_before,
        heap_trace,
        heap_index,
        peak_sim,
        peak_index,
    }
}

/// The hello world with its message sent `n` times, 5 s apart, and bob's
/// phone fetching every 15 minutes until all is delivered.
fn big_plan(n: usize) -> Plan {
    let mut plan = plan_of("hello");
    let spacing = Duration::from_millis(env_or("MAILFLOW_TUI_SPACING_MS", 5000));
    let sender = plan
        .clients
        .iter()
        .position(|c| !c.send.is_empty())
        .expect("hello has a client that sends");
    let template = plan.clients[sender].send[0].clone();
    plan.clients[sender].send = (0..n)
        .map(|k| {
            let mut m = template.clone();
            m.at = spacing * k as u32;
            m.subject = format!("{} {k}", template.subject);
            m
        })
        .collect();
    let span = spacing * n as u32 + Duration::from_secs(30 * 60);
    let fetch_every = Duration::from_secs(env_or("MAILFLOW_TUI_FETCH_S", 15 * 60));
    for (i, client) in plan.clients.iter_mut().enumerate() {
        if i != sender && !client.fetch.is_empty() && !fetch_every.is_zero() {
            client.fetch = (1..)
                .map(|k| fetch_every * k)
                .take_while(|t| *t <= span)
                .collect();
        }
    }
    plan.run_for = span + Duration::from_secs(3600);
    plan.expect.clear();
    plan
}

// ---------------------------------------------------------------- timing

fn terminal() -> Terminal<TestBackend> {
    Terminal::new(TestBackend::new(WIDTH, HEIGHT)).expect("a test terminal")
}

/// Panics met while drawing: (screen, playhead, message). A bench that
/// seeks everywhere in a big trace finds playheads no test looked at; it
/// reports them instead of stopping.
static PANICS: Mutex<Vec<(String, usize, String)>> = Mutex::new(Vec::new());
/// The message of the last panic, kept by a quiet hook.
static LAST_PANIC: Mutex<String> = Mutex::new(String::new());

fn draw(terminal: &mut Terminal<TestBackend>, app: &App) {
    let drawn = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        terminal
            .draw(|frame| ui::draw(frame, app))
            .map(|_| ())
            .expect("drawing on a TestBackend");
    }));
    if drawn.is_err() {
        let message = std::mem::take(&mut *LAST_PANIC.lock().unwrap_or_else(|e| e.into_inner()));
        let mut panics = PANICS.lock().unwrap_or_else(|e| e.into_inner());
        if panics.len() < 1000 {
            panics.push((
                label(app.view, app.overlay == Overlay::Help),
                app.pos,
                message,
            ));
        }
    }
}

/// Prints the panics met, one line per distinct message, and clears them.
fn report_panics() {
    let panics = std::mem::take(&mut *PANICS.lock().unwrap_or_else(|e| e.into_inner()));
    if panics.is_empty() {
        return;
    }
    println!("    !! {} frame(s) PANICKED while drawing:", panics.len());
    let mut seen: Vec<&str> = Vec::new();
    for (screen, pos, message) in &panics {
        if !seen.contains(&message.as_str()) {
            seen.push(message);
            let count = panics.iter().filter(|p| p.2 == *message).count();
            println!(
                "    !! {screen} at pos {pos} (and {} more): {message}",
                count - 1
            );
        }
    }
    println!();
}

/// Mean, median and maximum of a set of samples.
#[derive(Debug, Clone, Copy)]
struct Stats {
    mean: Duration,
    median: Duration,
    max: Duration,
    n: usize,
}

impl Stats {
    fn of(mut samples: Vec<Duration>) -> Stats {
        samples.sort_unstable();
        let n = samples.len().max(1);
        Stats {
            mean: samples.iter().sum::<Duration>() / n as u32,
            median: samples.get(samples.len() / 2).copied().unwrap_or_default(),
            max: samples.last().copied().unwrap_or_default(),
            n: samples.len(),
        }
    }
}

/// Repeats `f` (timing each call) for the budget, at least 3 and at most
/// 10,000 times, after one untimed warm-up call.
fn sample(mut f: impl FnMut(usize)) -> Stats {
    let budget = budget();
    f(0);
    let start = Instant::now();
    let mut samples = Vec::new();
    let mut i = 1;
    while samples.len() < 3 || (start.elapsed() < budget && samples.len() < 10_000) {
        let t = Instant::now();
        f(i);
        samples.push(t.elapsed());
        i += 1;
    }
    Stats::of(samples)
}

/// One frame of `view` at `pos` (the app is left there).
fn frame_at(app: &mut App, view: View, help: bool, pos: usize) -> Stats {
    let mut term = terminal();
    app.view = view;
    app.overlay = if help { Overlay::Help } else { Overlay::None };
    app.seek(pos);
    let stats = sample(|_| draw(&mut term, app));
    app.overlay = Overlay::None;
    stats
}

/// A small, seedable generator for the random playheads (xorshift64*).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as usize % n.max(1)
    }
}

/// Random seeks, each followed by one frame of `view`.
fn seeks(app: &mut App, view: View, help: bool, seed: u64) -> Stats {
    let mut term = terminal();
    let mut rng = Rng(seed | 1);
    app.view = view;
    app.overlay = if help { Overlay::Help } else { Overlay::None };
    draw(&mut term, app);
    let stats = sample(|_| {
        let to = rng.below(app.len() + 1);
        app.seek(to);
        draw(&mut term, app);
    });
    app.overlay = Overlay::None;
    stats
}

fn fmt(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us < 1.0 {
        format!("{:.0} ns", us * 1000.0)
    } else if us < 1000.0 {
        format!("{us:.0} µs")
    } else if us < 1e6 {
        format!("{:.2} ms", us / 1000.0)
    } else {
        format!("{:.2} s", us / 1e6)
    }
}

fn label(view: View, help: bool) -> String {
    if help {
        "help overlay".into()
    } else {
        format!("{view:?}")
    }
}

/// The views, and the help overlay over the main view.
fn screens() -> Vec<(View, bool)> {
    let mut v: Vec<(View, bool)> = View::ALL.iter().map(|&v| (v, false)).collect();
    v.push((View::Main, true));
    v
}

// ------------------------------------------------------------------ parts

/// The bundled scenario with the longest trace.
fn largest_bundled() -> (String, Built) {
    let mut best: Option<(String, Built)> = None;
    for name in bundled::names() {
        let built = build(&plan_of(name));
        if best
            .as_ref()
            .is_none_or(|(_, b)| built.app.len() > b.app.len())
        {
            best = Some((name.to_owned(), built));
        }
    }
    best.expect("at least one bundled scenario")
}

fn part_a(name: &str, app: &mut App) {
    let len = app.len();
    let playheads = [0, len / 4, len / 2, len * 3 / 4, len];
    println!(
        "(a) one frame of `{name}` ({len} events, the longest bundled trace) at {WIDTH}x{HEIGHT}, TestBackend"
    );
    println!("    median time per frame\n");
    print!("{:<14}", "view");
    for p in playheads {
        print!("{:>20}", format!("pos {p}/{len}"));
    }
    println!();
    for (view, help) in screens() {
        print!("{:<14}", label(view, help));
        for p in playheads {
            print!("{:>20}", fmt(frame_at(app, view, help, p).median));
        }
        println!();
    }
    println!();
    report_panics();
}

/// Messages needed for `target` events, from a small calibration run.
fn messages_for(target: usize) -> (usize, f64) {
    let n = 200;
    let built = build(&big_plan(n));
    let per = built.app.len() as f64 / n as f64;
    (((target as f64) / per).ceil() as usize, per)
}

fn part_b(small_name: &str, small: &mut App, target: usize) {
    let seed: u64 = env_or("MAILFLOW_TUI_SEED", 1);
    let (n, per) = messages_for(target);
    let rss_before = proc_mib("VmRSS:");
    println!(
        "(b) seeking in a big trace: hello's message sent {n} times ({per:.1} events per message)"
    );
    let built = build(&big_plan(n));
    let mut big = built.app;
    println!(
        "    {} events; sim::run {:.1} s, Index::build {:.1} s, App::new {}; RSS {:.0} MiB (was {:.0} MiB before), peak (VmHWM) {:.0} MiB",
        big.len(),
        built.sim.as_secs_f64(),
        built.index.as_secs_f64(),
        fmt(built.app_new),
        proc_mib("VmRSS:"),
        rss_before,
        proc_mib("VmHWM:"),
    );
    let b = (built.heap_before, built.heap_trace, built.heap_index);
    println!(
        "    live heap: trace {:.0} MiB ({:.0} B/event), index {:.0} MiB ({:.0} B/event); peak during sim::run {:.0} MiB, during Index::build {:.0} MiB",
        mib(b.1 - b.0),
        (b.1 - b.0) as f64 / big.len() as f64,
        mib(b.2 - b.1),
        (b.2 - b.1) as f64 / big.len() as f64,
        mib(built.peak_sim - b.0),
        mib(built.peak_index - b.0),
    );
    println!(
        "    {} sessions, {} transcript lines, {} messages\n",
        big.world.index.sessions.len(),
        big.world.index.lines.len(),
        big.world.index.messages.len()
    );

    println!(
        "    random app.seek(n) + one frame at {WIDTH}x{HEIGHT}: `{small_name}` ({} events) vs the big trace ({} events)\n",
        small.len(),
        big.len()
    );
    println!(
        "{:<14}{:>13}{:>13}{:>13}{:>13}{:>13}{:>8}{:>10}",
        "view", "small mean", "small med", "big mean", "big med", "big max", "n big", "ratio"
    );
    let mut growing = Vec::new();
    for (view, help) in screens() {
        let s = seeks(small, view, help, seed);
        let b = seeks(&mut big, view, help, seed);
        let ratio = b.median.as_secs_f64() / s.median.as_secs_f64();
        println!(
            "{:<14}{:>13}{:>13}{:>13}{:>13}{:>13}{:>8}{:>9.1}×",
            label(view, help),
            fmt(s.mean),
            fmt(s.median),
            fmt(b.mean),
            fmt(b.median),
            fmt(b.max),
            b.n,
            ratio
        );
        if ratio > 2.0 {
            growing.push((view, help));
        }
    }
    println!(
        "    ratio = big median / small median; ~1× means a seek does not depend on the trace's length\n"
    );
    report_panics();

    if !growing.is_empty() {
        let len = big.len();
        let playheads = [len / 100, len / 4, len / 2, len * 3 / 4, len];
        println!(
            "    views whose frame grows with the trace: one frame by playhead in the big trace (median)\n"
        );
        print!("{:<14}", "view");
        for p in playheads {
            print!(
                "{:>14}",
                format!("pos {:.0}%", 100.0 * p as f64 / len as f64)
            );
        }
        println!();
        for (view, help) in growing {
            print!("{:<14}", label(view, help));
            for p in playheads {
                print!("{:>14}", fmt(frame_at(&mut big, view, help, p).median));
            }
            println!();
        }
        println!();
        report_panics();
    }

    keys(small_name, small, &mut big, seed);
    against_main(&mut big);
    live(&big, seed);
}

/// Every view (and the events list under each filter) one frame after a
/// seek to the middle and to the end of the big trace, against the main
/// view's frame at the same playhead in the same run.
fn against_main(big: &mut App) {
    use mailflow::tui::app::EventFilter;
    let len = big.len();
    let at = [("middle", len / 2), ("end", len)];
    println!(
        "(c) seek + one frame at {WIDTH}x{HEIGHT} in the big trace ({len} events), against the main view (medians)\n"
    );
    println!(
        "{:<22}{:>12}{:>10}{:>12}{:>10}",
        "view", "middle", "× main", "end", "× main"
    );
    let frame = |big: &mut App, view: View, filter: EventFilter, pos: usize| {
        big.views.events_filter = filter;
        let mut term = terminal();
        big.view = view;
        big.overlay = Overlay::None;
        // The seek is part of the frame: away and back each time.
        let stats = sample(|i| {
            big.seek(if i % 2 == 0 { 0 } else { len / 3 });
            big.seek(pos);
            draw(&mut term, big);
        });
        big.views.events_filter = EventFilter::default();
        stats.median
    };
    let main: Vec<Duration> = at
        .iter()
        .map(|&(_, pos)| frame(big, View::Main, EventFilter::default(), pos))
        .collect();
    let mut rows: Vec<(String, View, EventFilter)> = View::ALL
        .iter()
        .map(|&v| (format!("{v:?}"), v, EventFilter::default()))
        .collect();
    let filters = [
        ("Events d (no DNS)", true, false, None),
        ("Events x (failures)", false, true, None),
        ("Events o (one host)", false, false, Some(1)),
    ];
    for (name, hide_dns, failures_only, host) in filters {
        let filter = EventFilter {
            hide_dns,
            failures_only,
            host,
        };
        rows.push((name.to_owned(), View::Events, filter));
    }
    for (name, view, filter) in rows {
        print!("{name:<22}");
        for (k, &(_, pos)) in at.iter().enumerate() {
            let t = frame(big, view, filter.clone(), pos);
            print!(
                "{:>12}{:>9.1}×",
                fmt(t),
                t.as_secs_f64() / main[k].as_secs_f64()
            );
        }
        println!();
    }
    println!("    (× main: this view's frame over the main view's at the same playhead)\n");
    report_panics();
}

/// A live dashboard while mail arrives: the big trace's events replayed
/// into a live app at `MAILFLOW_TUI_LIVE_RATE` messages a second (1,000)
/// worth of events per 40 ms frame, from 90% of the trace on. Each frame
/// takes the events that arrived, plays on and draws.
fn live(big: &App, seed: u64) {
    use mailflow::tui::Live;
    let rate: f64 = env_or("MAILFLOW_TUI_LIVE_RATE", 1000.0);
    let len = big.len();
    let per_message = len as f64 / big.world.index.messages.len().max(1) as f64;
    let per_frame = ((rate * per_message * 0.040).ceil() as usize).max(1);
    let start = len * 9 / 10;
    println!(
        "(d) live: {rate:.0} messages/s ({per_frame} events per 40 ms frame) arriving into a live app from event {start} of {len}\n"
    );
    println!(
        "{:<14}{:>14}{:>14}{:>14}{:>10}",
        "view", "extend med", "frame med", "frame max", "frames"
    );
    let events = big.trace().events();
    for view in [
        View::Main,
        View::Queues,
        View::Dns,
        View::Events,
        View::Ladder,
        View::Letter,
    ] {
        let mut trace = mailflow::trace::Trace::new(big.trace().hosts.clone());
        trace.links = big.trace().links.clone();
        trace.zones = big.trace().zones.clone();
        for e in &events[..start] {
            trace.push(e.at, e.kind.clone());
        }
        let world = World {
            title: big.world.title.clone(),
            about: big.world.about.clone(),
            index: Index::build(&trace),
            trace,
            verdicts: Vec::new(),
            plan: None,
        };
        let mut app = App::new_live(world, Theme::dark(), Live::default());
        app.view = view;
        app.seek(start);
        let mut term = terminal();
        let mut next = start;
        let (mut extend, mut frames) = (Vec::new(), Vec::new());
        let mut rng = Rng(seed | 1);
        let budget = budget();
        let began = Instant::now();
        while frames.len() < 3 || (began.elapsed() < budget && next < len) {
            // What arrived during the last frame (copied outside the timing).
            let upto = (next + per_frame).min(len);
            let chunk: Vec<_> = events[next..upto].to_vec();
            next = upto;
            let t = Instant::now();
            app.extend(chunk);
            extend.push(t.elapsed());
            // A student moving the playhead now and then, as in class.
            if rng.below(10) == 0 {
                app.seek(app.pos.saturating_sub(1));
            }
            mailflow::tui::advance(&mut app, Duration::from_millis(40));
            draw(&mut term, &app);
            frames.push(t.elapsed());
        }
        let stats = Stats::of(frames);
        let extend = Stats::of(extend);
        println!(
            "{:<14}{:>14}{:>14}{:>14}{:>10}",
            format!("{view:?}"),
            fmt(extend.median),
            fmt(stats.median),
            fmt(stats.max),
            stats.n
        );
        if next >= len {
            println!("    (the trace ran out: fewer frames than the budget allowed)");
        }
    }
    println!("    frame = extend + play on + draw; a 40 ms frame leaves room for the rest\n");
    report_panics();
}

/// The keys that search the trace, at a random playhead each time.
fn keys(small_name: &str, small: &mut App, big: &mut App, seed: u64) {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use mailflow::tui::keys::handle_key;
    use ratatui::layout::Rect;
    let screen = Rect::new(0, 0, WIDTH, HEIGHT);
    let press = |app: &mut App, code: KeyCode| {
        handle_key(app, KeyEvent::new(code, KeyModifiers::NONE), screen)
    };
    let cases: [(&str, View, &[KeyCode]); 7] = [
        ("→ step", View::Main, &[KeyCode::Right]),
        ("] session", View::Main, &[KeyCode::Char(']')]),
        ("} hop", View::Main, &[KeyCode::Char('}')]),
        ("↓ in events", View::Events, &[KeyCode::Down]),
        ("Enter events", View::Events, &[KeyCode::Enter]),
        (
            "/ MAIL Enter",
            View::Main,
            &[
                KeyCode::Char('/'),
                KeyCode::Char('M'),
                KeyCode::Char('A'),
                KeyCode::Char('I'),
                KeyCode::Char('L'),
                KeyCode::Enter,
            ],
        ),
        (
            "/ miss Enter",
            View::Main,
            &[
                KeyCode::Char('/'),
                KeyCode::Char('z'),
                KeyCode::Char('q'),
                KeyCode::Char('x'),
                KeyCode::Char('!'),
                KeyCode::Enter,
            ],
        ),
    ];
    println!(
        "    keys that look through the trace: random playhead, then the key(s), without drawing\n"
    );
    println!(
        "{:<14}{:>16}{:>16}{:>10}",
        "keys", small_name, "big", "ratio"
    );
    for (label, view, codes) in cases {
        let time = |app: &mut App| {
            let mut rng = Rng(seed | 1);
            sample(|_| {
                let to = rng.below(app.len() + 1);
                app.seek(to);
                app.view = view;
                app.playing = false;
                for &code in codes {
                    press(app, code);
                }
            })
        };
        let s = time(small);
        let b = time(big);
        println!(
            "{:<14}{:>16}{:>16}{:>9.1}×",
            label,
            fmt(s.median),
            fmt(b.median),
            b.median.as_secs_f64() / s.median.as_secs_f64()
        );
    }
    println!("    (medians)\n");
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this once
    // as a smoke test, with a small trace.
    let smoke = std::env::args().all(|a| a != "--bench");
    std::panic::set_hook(Box::new(|info| {
        *LAST_PANIC.lock().unwrap_or_else(|e| e.into_inner()) = info.to_string();
    }));
    let target = if smoke {
        let _ = BUDGET.set(Duration::from_millis(5));
        20_000
    } else {
        env_or("MAILFLOW_TUI_EVENTS", 1_000_000)
    };
    let (name, built) = largest_bundled();
    let mut small = built.app;
    part_a(&name, &mut small);
    if target > 0 {
        part_b(&name, &mut small, target);
    }
}
