//! A generated world, end to end, on the simulated clock.
//!
//! One client (laptop.example.org) submits N messages with 1 KiB bodies to
//! its provider's submission MTA (smtp.example.org, port 587, AUTH PLAIN),
//! one every 100 ms of simulated time, round robin over 10 recipient
//! domains r0.example.net … r9.example.net. For each message the
//! submission MTA asks ns.example.org for the MX of the recipient's domain
//! and the A record of the exchange, relays the message on port 25, and the
//! recipient MTA stores it in its one mailbox. Per message that is 2 SMTP
//! transactions (submission and relay), 3 DNS lookups (the client's A of
//! its server, the MX and the A of the exchange) and 1 delivery.
//!
//! For N = 1,000, 10,000 and 100,000 it reports the wall time of
//! `mailflow::sim::run`, SMTP transactions (`Queued` events) per second,
//! trace events per second, peak memory per message, and the growth
//! time(10N)/time(N), which must stay near 10 (linear). It checks that
//! every message was delivered, to the right mailbox, with nothing deferred
//! or bounced.
//!
//! As a reference in the same run it calls `benches/postfix-reference.sh`,
//! which times Postfix's `smtp-source` pushing the same number of 1 KiB
//! messages into `smtp-sink` over loopback (skipped, with a message, where
//! Postfix is not installed), and reports the ratio.
//!
//! Wall times are the best of k runs (the median is printed beside it),
//! with the CPU time of the best run: on a busy machine the CPU time is the
//! steadier figure.
//!
//! Each N runs in a child process (this binary, re-executed), so that the
//! peak RSS (VmHWM) of one size is not the peak of another, and so that a
//! size that runs away is stopped by a memory limit and a time limit
//! instead of taking the machine down with it.
//!
//! Run with `cargo bench --bench world`. Knobs (environment):
//!
//! | variable                     | default              | meaning |
//! |------------------------------|----------------------|---------|
//! | `MAILFLOW_BENCH_SIZES`       | `1000,10000,100000`  | the Ns, comma separated (also: `cargo bench --bench world -- 1000 10000`) |
//! | `MAILFLOW_BENCH_DOMAINS`     | `10`                 | recipient domain counts, comma separated (`10,100,1000`: scale in hosts) |
//! | `MAILFLOW_BENCH_MEM_MB`      | `6144`               | address-space limit of each child (MiB) |
//! | `MAILFLOW_BENCH_TIMEOUT`     | `900`                | seconds before a child is killed |
//! | `MAILFLOW_BENCH_POSTFIX`     | `1`                  | `0` skips the Postfix reference |
//! | `MAILFLOW_BENCH_SESSIONS`    | `10`                 | parallel smtp-source sessions |
//! | `MAILFLOW_BENCH_SPACING_MS`  | `100`                | simulated time between two sends |
//! | `MAILFLOW_BENCH_REPEAT`      | 5 / 3 / 1            | runs per size (best of k): 5 up to N = 2,000, 3 up to 20,000, else 1 |

// The counting allocator below wraps `System`, which takes unsafe; the
// crate denies unsafe everywhere else (Cargo.toml `[lints]`).
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::{BTreeMap, HashSet};
use std::net::{IpAddr, Ipv4Addr};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use mailflow::dns::{Record, RecordData, Zone};
use mailflow::plan::{ClientPlan, DnsPlan, MessagePlan, MtaPlan, PlanHost};
use mailflow::scenario::Plan;
use mailflow::sim::{self, Ending};
use mailflow::smtp::Mailbox;
use mailflow::trace::{EventKind, HostId, Role};

// ---------------------------------------------------------------- memory

/// The system allocator, counting the bytes live now, their peak since the
/// last reset, and the number of allocations.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static ALLOCS: AtomicU64 = AtomicU64::new(0);

fn grew(by: usize) {
    let live = LIVE.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
            ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
            ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                grew(new_size - layout.size());
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
            ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// A `kB` field of /proc/self/status (VmRSS, VmHWM), in bytes.
fn proc_status_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

// ---------------------------------------------------------------- the world

/// Recipient domains unless `MAILFLOW_BENCH_DOMAINS` says otherwise.
const DOMAINS: usize = 10;
/// Set by the parent for each child: how many recipient domains.
const CHILD_DOMAINS: &str = "MAILFLOW_WORLD_DOMAINS";
const SENDER: &str = "alice@example.org";
/// 2026-12-01 09:00:00 UTC.
const START_UNIX: i64 = 1_796_115_600;

/// 16 lines of 62 characters: 1024 octets on the wire once each line
/// ends in CRLF.
fn body() -> String {
    let line = "The quick brown fox jumps over the lazy dog, 0123456789 abcdef";
    assert_eq!(line.len(), 62);
    let mut body = String::with_capacity(16 * 63);
    for _ in 0..16 {
        body.push_str(line);
        body.push('\n');
    }
    body
}

fn domain(i: usize) -> String {
    format!("r{i}.example.net")
}

fn recipient(i: usize) -> String {
    format!("user@{}", domain(i))
}

fn host(name: &str, ip: Ipv4Addr, role: Role, resolver: IpAddr) -> PlanHost {
    PlanHost {
        name: name.to_owned(),
        ip: IpAddr::V4(ip),
        role,
        down: Vec::new(),
        label: None,
        resolver: Some(resolver),
    }
}

fn mailbox(address: &str) -> Mailbox {
    Mailbox::parse(address).expect("a valid address")
}

/// The id of the host at `index` in `hosts`.
fn id(index: usize) -> HostId {
    HostId::try_from(index).expect("a few hosts")
}

fn mta(host: HostId, domain: &str, mailboxes: &[(&str, &str)], submission: bool) -> MtaPlan {
    MtaPlan {
        host,
        domains: vec![domain.to_owned()],
        mailboxes: mailboxes
            .iter()
            .map(|(a, p)| ((*a).to_owned(), (*p).to_owned()))
            .collect(),
        submission,
        dsn: true,
        delay_warning: None,
        relay_networks: Vec::new(),
        relay_domains: Vec::new(),
        smarthost: None,
        // The scenario defaults: nothing should be deferred here anyway.
        retry: vec![Duration::from_secs(30 * 60)],
        max_age: Duration::from_secs(5 * 86_400),
        greylisting: None,
        slow_data_reply: None,
        max_size: 10 * 1024 * 1024,
        max_recipients: 100,
        quota: None,
        max_hops: 100,
        pipelining: true,
        keep_bare_line_endings: false,
        chunking: false,
        chunk_size: None,
        starttls: Default::default(),
        relay_tls: Default::default(),
        certificate: Default::default(),
        auth: Default::default(),
        forward: Default::default(),
        lists: Default::default(),
    }
}

/// The generated world with `n` messages, one every `spacing`, to `domains`
/// recipient domains (each its own MX host and zone).
fn world(n: usize, domains: usize, spacing: Duration) -> Plan {
    let ns_ip = Ipv4Addr::new(192, 0, 2, 53);
    let resolver = IpAddr::V4(ns_ip);
    let smtp_ip = Ipv4Addr::new(192, 0, 2, 25);
    let laptop_ip = Ipv4Addr::new(192, 0, 2, 10);
    // Documentation addresses while they last (RFC 5737), then 10/8.
    let mx_ip = |i: usize| match u8::try_from(10 + i) {
        Ok(last) if last < 250 => Ipv4Addr::new(198, 51, 100, last),
        _ => Ipv4Addr::from(u32::from(Ipv4Addr::new(10, 0, 0, 0)) + 1 + i as u32),
    };

    // Hosts: DNS, MTAs, clients (the order the validator gives them).
    let mut hosts = vec![
        host("ns.example.org", ns_ip, Role::Dns, resolver),
        host("smtp.example.org", smtp_ip, Role::Mta, resolver),
    ];
    for i in 0..domains {
        hosts.push(host(
            &format!("mx.{}", domain(i)),
            mx_ip(i),
            Role::Mta,
            resolver,
        ));
    }
    let client_host = id(hosts.len());
    hosts.push(host(
        "laptop.example.org",
        laptop_ip,
        Role::Client,
        resolver,
    ));

    // The sender's zone and one per recipient domain, each with an MX and
    // the A record of its exchange.
    let mut zones = vec![Zone::new(
        "example.org",
        vec![
            Record::new(
                "example.org",
                300,
                RecordData::Mx {
                    preference: 10,
                    exchange: "smtp.example.org".into(),
                },
            ),
            Record::new("ns.example.org", 300, RecordData::A(ns_ip)),
            Record::new("smtp.example.org", 300, RecordData::A(smtp_ip)),
            Record::new("laptop.example.org", 300, RecordData::A(laptop_ip)),
        ],
    )];
    for i in 0..domains {
        let d = domain(i);
        let mx = format!("mx.{d}");
        zones.push(Zone::new(
            &d,
            vec![
                Record::new(
                    &d,
                    300,
                    RecordData::Mx {
                        preference: 10,
                        exchange: mx.clone(),
                    },
                ),
                Record::new(&mx, 300, RecordData::A(mx_ip(i))),
            ],
        ));
    }

    let mut mtas = vec![mta(id(1), "example.org", &[(SENDER, "alice")], true)];
    for i in 0..domains {
        let rcpt = recipient(i);
        mtas.push(mta(
            id(2 + i),
            &domain(i),
            &[(rcpt.as_str(), "user")],
            false,
        ));
    }

    let body = body();
    let send = (0..n)
        .map(|k| MessagePlan {
            at: spacing * k as u32,
            to: vec![mailbox(&recipient(k % domains))],
            cc: Vec::new(),
            bcc: Vec::new(),
            subject: format!("message {k}"),
            body: body.clone(),
            raw: None,
            dsn: Default::default(),
        })
        .collect();

    Plan {
        title: format!("bench world, {n} messages"),
        about: String::new(),
        seed: 1,
        start_unix: START_UNIX,
        // Enough for every send plus a day: a run that hits it fails the check.
        run_for: spacing * n as u32 + Duration::from_secs(86_400),
        latency: Duration::from_millis(5),
        hosts,
        dns: vec![DnsPlan { host: id(0), zones }],
        mtas,
        clients: vec![ClientPlan {
            host: client_host,
            account: mailbox(SENDER),
            password: "alice".into(),
            server: "smtp.example.org".into(),
            send,
            fetch: Vec::new(),
            keep_on_server: false,
            pipelining: true,
            starttls: Default::default(),
            inject_after_starttls: Vec::new(),
            chunking: false,
            chunk_size: None,
        }],
        links: Vec::new(),
        externals: Vec::new(),
        expect: Vec::new(),
        overrides: Vec::new(),
    }
}

// ---------------------------------------------------------------- one size

/// The figures of one size, as a child prints them on one line.
#[derive(Debug, Default, Clone)]
struct Figures {
    n: usize,
    domains: usize,
    build_s: f64,
    /// How many times the world ran; the times below are over those runs.
    runs: usize,
    /// The best (least) wall time of `sim::run`.
    run_s: f64,
    run_median_s: f64,
    /// The least CPU time (user + system) of `sim::run`, and the median.
    cpu_s: f64,
    cpu_median_s: f64,
    drop_s: f64,
    sim_s: f64,
    events: usize,
    queued: usize,
    delivered: usize,
    bytes_events: usize,
    datagrams: usize,
    connects: usize,
    /// Octets the trace holds in payloads: stream bytes, datagrams and
    /// delivered messages.
    payload: usize,
    peak_heap: usize,
    allocs: u64,
    rss_before: u64,
    hwm_after: u64,
    ok: bool,
    problem: String,
}

impl Figures {
    fn to_line(&self) -> String {
        format!(
            "RESULT n={} domains={} build_s={} runs={} run_s={} run_median_s={} cpu_s={} cpu_median_s={} drop_s={} sim_s={} \
             events={} queued={} delivered={} bytes_events={} datagrams={} connects={} \
             payload={} peak_heap={} allocs={} rss_before={} hwm_after={} ok={} problem={}",
            self.n,
            self.domains,
            self.build_s,
            self.runs,
            self.run_s,
            self.run_median_s,
            self.cpu_s,
            self.cpu_median_s,
            self.drop_s,
            self.sim_s,
            self.events,
            self.queued,
            self.delivered,
            self.bytes_events,
            self.datagrams,
            self.connects,
            self.payload,
            self.peak_heap,
            self.allocs,
            self.rss_before,
            self.hwm_after,
            self.ok,
            self.problem.replace(' ', "_"),
        )
    }

    fn from_line(line: &str) -> Option<Figures> {
        let rest = line.strip_prefix("RESULT ")?;
        let kv: BTreeMap<&str, &str> = rest
            .split_whitespace()
            .filter_map(|p| p.split_once('='))
            .collect();
        let get = |k: &str| kv.get(k).copied().unwrap_or("0");
        Some(Figures {
            n: get("n").parse().ok()?,
            domains: get("domains").parse().ok()?,
            build_s: get("build_s").parse().ok()?,
            runs: get("runs").parse().ok()?,
            run_s: get("run_s").parse().ok()?,
            run_median_s: get("run_median_s").parse().ok()?,
            cpu_s: get("cpu_s").parse().ok()?,
            cpu_median_s: get("cpu_median_s").parse().ok()?,
            drop_s: get("drop_s").parse().ok()?,
            sim_s: get("sim_s").parse().ok()?,
            events: get("events").parse().ok()?,
            queued: get("queued").parse().ok()?,
            delivered: get("delivered").parse().ok()?,
            bytes_events: get("bytes_events").parse().ok()?,
            datagrams: get("datagrams").parse().ok()?,
            connects: get("connects").parse().ok()?,
            payload: get("payload").parse().ok()?,
            peak_heap: get("peak_heap").parse().ok()?,
            allocs: get("allocs").parse().ok()?,
            rss_before: get("rss_before").parse().ok()?,
            hwm_after: get("hwm_after").parse().ok()?,
            ok: get("ok") == "true",
            problem: get("problem").replace('_', " "),
        })
    }
}

/// With `MAILFLOW_BENCH_MALLOC_STATS` set: the live heap and RSS right
/// after the run, and glibc's own account of its arenas (on stderr), to
/// tell memory the trace holds from memory the allocator keeps in holes.
fn malloc_stats(live: usize) {
    eprintln!(
        "after the run: live heap {live} B, VmRSS {} B",
        proc_status_kb("VmRSS:").unwrap_or(0)
    );
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        unsafe extern "C" {
            fn malloc_stats();
        }
        // SAFETY: glibc's malloc_stats takes nothing and only prints.
        unsafe { malloc_stats() };
    }
}

/// CPU time (user + system) of this process so far.
#[cfg(target_os = "linux")]
fn cpu_time() -> Duration {
    #[repr(C)]
    struct Timespec {
        tv_sec: i64,
        tv_nsec: i64,
    }
    unsafe extern "C" {
        fn clock_gettime(clock: i32, tp: *mut Timespec) -> i32;
    }
    const CLOCK_PROCESS_CPUTIME_ID: i32 = 2;
    let mut t = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec, which `t` is (64-bit Linux).
    if unsafe { clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &mut t) } != 0 {
        return Duration::ZERO;
    }
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

#[cfg(not(target_os = "linux"))]
fn cpu_time() -> Duration {
    Duration::ZERO
}

/// Runs the world of size `n` `runs` times in this process and measures
/// it: times over every run, memory and the checks on the first.
fn measure(n: usize, domains: usize, spacing: Duration, runs: usize) -> Figures {
    let t = Instant::now();
    let plan = world(n, domains, spacing);
    let build_s = t.elapsed().as_secs_f64();

    let rss_before = proc_status_kb("VmRSS:").unwrap_or(0);
    let heap_before = LIVE.load(Ordering::Relaxed);
    PEAK.store(heap_before, Ordering::Relaxed);
    let allocs_before = ALLOCS.load(Ordering::Relaxed);

    let (t, cpu) = (Instant::now(), cpu_time());
    let run = sim::run(&plan);
    let mut walls = vec![t.elapsed().as_secs_f64()];
    let mut cpus = vec![cpu_time().saturating_sub(cpu).as_secs_f64()];

    let allocs = ALLOCS.load(Ordering::Relaxed) - allocs_before;
    let hwm_after = proc_status_kb("VmHWM:").unwrap_or(0);
    let peak_heap = PEAK.load(Ordering::Relaxed).saturating_sub(heap_before);
    if std::env::var_os("MAILFLOW_BENCH_MALLOC_STATS").is_some() {
        malloc_stats(LIVE.load(Ordering::Relaxed).saturating_sub(heap_before));
    }

    let mut f = Figures {
        n,
        domains,
        build_s,
        sim_s: run.ended_at.duration().as_secs_f64(),
        events: run.trace.len(),
        peak_heap,
        allocs,
        rss_before,
        hwm_after,
        ..Figures::default()
    };

    // Correctness: every message composed was delivered once, into the
    // mailbox of its round-robin domain, and nothing went wrong.
    let mut problems: Vec<String> = Vec::new();
    let mut composed: Vec<String> = Vec::new();
    let mut delivered: HashSet<String> = HashSet::new();
    let mut per_mailbox: BTreeMap<String, usize> = BTreeMap::new();
    let mut trouble = 0usize;
    for event in run.trace.events() {
        match &event.kind {
            EventKind::Composed { message_id, .. } => composed.push(message_id.clone()),
            EventKind::Queued { .. } => f.queued += 1,
            EventKind::Delivered { rest, .. } => {
                let (mailbox, message_id, content) =
                    (&rest.mailbox, &rest.message_id, &rest.content);
                f.delivered += 1;
                f.payload += content.as_bytes().len();
                *per_mailbox.entry(mailbox.clone()).or_default() += 1;
                if !delivered.insert(message_id.clone()) {
                    problems.push(format!("{message_id} delivered twice"));
                }
            }
            EventKind::Bytes { data, .. } => {
                f.bytes_events += 1;
                f.payload += data.as_bytes().len();
            }
            EventKind::Datagram { data, .. } => {
                f.datagrams += 1;
                f.payload += data.as_bytes().len();
            }
            EventKind::Connect { .. } => f.connects += 1,
            EventKind::Deferred { .. }
            | EventKind::Bounced { .. }
            | EventKind::Expired { .. }
            | EventKind::LoopDetected { .. }
            | EventKind::Refused { .. }
            | EventKind::Unreachable { .. }
            | EventKind::NoRoute { .. } => trouble += 1,
            _ => {}
        }
    }
    if run.ending != Ending::Quiet {
        problems.push(format!("the run ended by {:?}", run.ending));
    }
    if composed.len() != n {
        problems.push(format!("{} of {n} composed", composed.len()));
    }
    if f.delivered != n {
        problems.push(format!("{} of {n} delivered", f.delivered));
    }
    if let Some(missing) = composed.iter().find(|id| !delivered.contains(*id)) {
        problems.push(format!("{missing} never delivered"));
    }
    if f.queued != 2 * n {
        problems.push(format!(
            "{} SMTP transactions, expected {}",
            f.queued,
            2 * n
        ));
    }
    for i in 0..domains {
        let want = n / domains + usize::from(i < n % domains);
        let got = per_mailbox.get(&recipient(i)).copied().unwrap_or(0);
        if got != want {
            problems.push(format!("{} got {got}, expected {want}", recipient(i)));
        }
    }
    if trouble > 0 {
        problems.push(format!("{trouble} deferrals, bounces or failed connects"));
    }
    f.ok = problems.is_empty();
    f.problem = problems.join("; ");
    if f.problem.is_empty() {
        f.problem = "-".into();
    }

    let t = Instant::now();
    drop(run);
    f.drop_s = t.elapsed().as_secs_f64();

    for _ in 1..runs {
        let (t, cpu) = (Instant::now(), cpu_time());
        let run = sim::run(&plan);
        walls.push(t.elapsed().as_secs_f64());
        cpus.push(cpu_time().saturating_sub(cpu).as_secs_f64());
        if run.trace.len() != f.events {
            f.ok = false;
            f.problem = format!("a repeat gave {} events, not {}", run.trace.len(), f.events);
        }
    }
    walls.sort_by(f64::total_cmp);
    f.runs = walls.len();
    f.run_s = walls[0];
    f.run_median_s = walls[walls.len() / 2];
    cpus.sort_by(f64::total_cmp);
    f.cpu_s = cpus[0];
    f.cpu_median_s = cpus[cpus.len() / 2];
    f
}

/// How many times to run size `n`: best-of-k where that is cheap.
fn repeats(n: usize) -> usize {
    match std::env::var("MAILFLOW_BENCH_REPEAT")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
    {
        Some(k) => k.max(1),
        None if n <= 2_000 => 5,
        None if n <= 20_000 => 3,
        None => 1,
    }
}

// ---------------------------------------------------------------- the parent

const CHILD: &str = "MAILFLOW_WORLD_CHILD";

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

fn spacing() -> Duration {
    Duration::from_millis(env_or("MAILFLOW_BENCH_SPACING_MS", 100u64))
}

/// Recipient domain counts: `MAILFLOW_BENCH_DOMAINS=10,100,1000` measures
/// scale in hosts beside scale in messages.
fn domain_counts() -> Vec<usize> {
    let counts: Vec<usize> = std::env::var("MAILFLOW_BENCH_DOMAINS")
        .unwrap_or_default()
        .split(',')
        .filter_map(|s| s.trim().replace('_', "").parse().ok())
        .filter(|&d| d > 0)
        .collect();
    if counts.is_empty() {
        vec![DOMAINS]
    } else {
        counts
    }
}

fn sizes() -> Vec<usize> {
    let from_args: Vec<usize> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .filter_map(|a| a.replace('_', "").parse().ok())
        .collect();
    if !from_args.is_empty() {
        return from_args;
    }
    std::env::var("MAILFLOW_BENCH_SIZES")
        .unwrap_or_else(|_| "1000,10000,100000".into())
        .split(',')
        .filter_map(|s| s.trim().replace('_', "").parse().ok())
        .collect()
}

/// How a child ended, when it printed no figures.
enum Outcome {
    Figures(Figures),
    Failed(String),
}

/// Runs size `n` with `domains` recipient domains in a child process under
/// a memory and a time limit.
fn run_child(n: usize, domains: usize) -> Outcome {
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => return Outcome::Failed(format!("no current exe: {e}")),
    };
    let mem_mb: u64 = env_or("MAILFLOW_BENCH_MEM_MB", 6144);
    let timeout = Duration::from_secs(env_or("MAILFLOW_BENCH_TIMEOUT", 900));
    // `exec` keeps the pid, so killing the child kills the bench itself.
    let mut child = match Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {} && exec \"$0\"", mem_mb * 1024))
        .arg(&exe)
        .env(CHILD, n.to_string())
        .env(CHILD_DOMAINS, domains.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(e) => return Outcome::Failed(format!("cannot start the child: {e}")),
    };
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if started.elapsed() > timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Outcome::Failed(format!(
                    "killed after {} s (MAILFLOW_BENCH_TIMEOUT)",
                    timeout.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Outcome::Failed(format!("waiting for the child: {e}")),
        }
    }
    let output = match child.wait_with_output() {
        Ok(o) => o,
        Err(e) => return Outcome::Failed(format!("reading the child: {e}")),
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    if let Some(f) = stdout.lines().find_map(Figures::from_line) {
        return Outcome::Figures(f);
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stderr
        .lines()
        .find(|l| l.contains("memory allocation of"))
        .or_else(|| stderr.lines().rev().find(|l| !l.trim().is_empty()))
        .unwrap_or("");
    let oom = stderr.contains("memory allocation") || stderr.contains("capacity overflow");
    Outcome::Failed(format!(
        "{} ({}){}",
        output.status,
        if oom {
            format!("out of memory under the {mem_mb} MiB limit, MAILFLOW_BENCH_MEM_MB")
        } else {
            "no figures".into()
        },
        if last.is_empty() {
            String::new()
        } else {
            format!(": {last}")
        }
    ))
}

/// Postfix's smtp-source into smtp-sink over loopback: the best of
/// `runs` wall times for `n` messages, or why it was skipped.
enum Reference {
    Seconds { best: f64, median: f64, runs: usize },
    Skipped(String),
}

fn postfix_once(n: usize) -> Result<f64, String> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/postfix-reference.sh");
    let sessions: usize = env_or("MAILFLOW_BENCH_SESSIONS", 10);
    let output = Command::new("bash")
        .arg(script)
        .arg(n.to_string())
        .env("SESSIONS", sessions.to_string())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run {script}: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    for line in stdout.lines() {
        if let Some(reason) = line.strip_prefix("postfix-reference: SKIP: ") {
            return Err(reason.to_owned());
        }
        if line.starts_with("postfix-reference: n=") {
            let seconds = line
                .split_whitespace()
                .find_map(|p| p.strip_prefix("seconds="))
                .and_then(|s| s.parse().ok());
            if let Some(s) = seconds {
                return Ok(s);
            }
        }
    }
    Err(format!(
        "the script printed no figures ({}): {}",
        output.status,
        stdout.trim()
    ))
}

fn postfix_reference(n: usize, runs: usize) -> Reference {
    if env_or("MAILFLOW_BENCH_POSTFIX", 1u8) == 0 {
        return Reference::Skipped("MAILFLOW_BENCH_POSTFIX=0".into());
    }
    let mut times = Vec::new();
    for _ in 0..runs {
        match postfix_once(n) {
            Ok(s) => times.push(s),
            Err(why) => return Reference::Skipped(why),
        }
    }
    times.sort_by(f64::total_cmp);
    Reference::Seconds {
        best: times[0],
        median: times[times.len() / 2],
        runs: times.len(),
    }
}

/// "×2.5 faster" or "×4.0 slower", from a ratio of times (theirs ÷ ours).
fn faster(ratio: f64) -> String {
    if ratio >= 1.0 {
        format!("×{ratio:.1} faster")
    } else {
        format!("×{:.1} slower", 1.0 / ratio)
    }
}

fn kib(bytes: f64) -> String {
    format!("{:.1}", bytes / 1024.0)
}

fn main() {
    if let Ok(n) = std::env::var(CHILD) {
        let n: usize = n.parse().expect("MAILFLOW_WORLD_CHILD is a count");
        let domains = env_or(CHILD_DOMAINS, DOMAINS).max(1);
        println!("{}", measure(n, domains, spacing(), repeats(n)).to_line());
        return;
    }
    let sizes = sizes();
    let counts = domain_counts();
    let spacing = spacing();
    println!(
        "world: 1 client → submission MTA → {} recipient domains (MX + A lookup, relay, \
         delivery), 1 KiB bodies, one message every {} ms of simulated time",
        counts
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join(" / "),
        spacing.as_millis()
    );
    println!(
        "       per message: 2 SMTP transactions, 3 DNS lookups, 1 delivery; each N in its own \
         process; times are best of k runs (median beside)\n"
    );

    // Postfix does not care how many domains: one reference per N, shown
    // against the first domain count.
    let mut rows: Vec<(usize, Outcome, Reference)> = Vec::new();
    let mut by_domains: Vec<(usize, usize, Outcome)> = Vec::new();
    for &n in &sizes {
        for (i, &d) in counts.iter().enumerate() {
            eprintln!("world: N = {n}, {d} domains …");
            let outcome = run_child(n, d);
            match &outcome {
                Outcome::Figures(f) => {
                    eprintln!("world: N = {n}, {d} domains: best {:.3} s", f.run_s)
                }
                Outcome::Failed(why) => eprintln!("world: N = {n}, {d} domains: FAILED: {why}"),
            }
            if i == 0 {
                eprintln!("postfix: N = {n} …");
                let reference = postfix_reference(n, repeats(n));
                rows.push((n, outcome, reference));
            } else {
                by_domains.push((n, d, outcome));
            }
        }
    }

    println!(
        "{:>7} {:>4} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9} {:>8} {:>10} {:>10} {:>8} {:>8} {:>8}  check",
        "N",
        "k",
        "wall s",
        "median",
        "CPU s",
        "median",
        "msgs/s",
        "SMTP tx/s",
        "events",
        "events/s",
        "allocs/msg",
        "heap/msg",
        "RSS/msg",
        "sim s",
    );
    for (n, outcome, _) in &rows {
        match outcome {
            Outcome::Figures(f) => {
                let per = |x: f64| x / f.n as f64;
                println!(
                    "{:>7} {:>4} {:>8.3} {:>8.3} {:>8.3} {:>8.3} {:>8.0} {:>9.0} {:>8} {:>10.0} {:>10.0} {:>7}K {:>7}K {:>8.0}  {}",
                    f.n,
                    f.runs,
                    f.run_s,
                    f.run_median_s,
                    f.cpu_s,
                    f.cpu_median_s,
                    f.delivered as f64 / f.run_s,
                    f.queued as f64 / f.run_s,
                    f.events,
                    f.events as f64 / f.run_s,
                    per(f.allocs as f64),
                    kib(per(f.peak_heap as f64)),
                    kib(per(f.hwm_after.saturating_sub(f.rss_before) as f64)),
                    f.sim_s,
                    if f.ok {
                        format!("ok: {} of {} delivered", f.delivered, f.n)
                    } else {
                        format!("FAILED: {}", f.problem)
                    }
                );
            }
            Outcome::Failed(why) => println!("{n:>7} FAILED: {why}"),
        }
    }
    println!(
        "  SMTP tx = Queued events (2 per message); heap/msg = peak live heap during the run ÷ N \
         (counting allocator); RSS/msg = (VmHWM after − VmRSS before) ÷ N"
    );
    if let Some(f) = rows.iter().find_map(|(_, o, _)| match o {
        Outcome::Figures(f) => Some(f),
        Outcome::Failed(_) => None,
    }) {
        let per = |x: usize| x as f64 / f.n as f64;
        println!(
            "  per message the trace holds {:.1} events ({} octets each, {:.1} KiB) and {:.1} KiB \
             of payload ({:.0} stream chunks, {:.0} datagrams, the delivered copy)",
            per(f.events),
            std::mem::size_of::<mailflow::trace::Event>(),
            per(f.events) * std::mem::size_of::<mailflow::trace::Event>() as f64 / 1024.0,
            per(f.payload) / 1024.0,
            per(f.bytes_events),
            per(f.datagrams),
        );
    }

    println!(
        "\ngrowth, median times (linear: time ×10.0, per message ×1.00; allocations per message \
         above are the exact, noise-free check):"
    );
    let figures: Vec<&Figures> = rows
        .iter()
        .filter_map(|(_, o, _)| match o {
            Outcome::Figures(f) => Some(f),
            Outcome::Failed(_) => None,
        })
        .collect();
    let mut any = false;
    for a in &figures {
        for b in &figures {
            if b.n == a.n * 10 {
                any = true;
                // Medians: the best of 5 runs would favour the small N.
                let time = b.run_median_s / a.run_median_s;
                let cpu = b.cpu_median_s / a.cpu_median_s;
                let heap = (b.peak_heap as f64 / b.n as f64) / (a.peak_heap as f64 / a.n as f64);
                println!(
                    "  N {:>6} → {:>7}: wall ×{time:.2} (per message ×{:.2}), CPU ×{cpu:.2} (per message ×{:.2}), \
                     peak heap per message ×{heap:.2}, events ×{:.2}",
                    a.n,
                    b.n,
                    time / 10.0,
                    cpu / 10.0,
                    b.events as f64 / a.events as f64
                );
            }
        }
    }
    if !any {
        println!("  (no pair N, 10N measured)");
    }

    if !by_domains.is_empty() {
        println!(
            "\nscale in hosts: the same N to more recipient domains (each its own MX host, zone \
             and mailbox); linear in messages means the ratio stays near 1.00"
        );
        for (n, d, outcome) in &by_domains {
            let first = rows.iter().find_map(|(m, o, _)| match o {
                Outcome::Figures(f) if m == n => Some(f),
                _ => None,
            });
            match (outcome, first) {
                (Outcome::Figures(f), Some(a)) => println!(
                    "  N {n:>7}, {d:>5} domains: {:.3} s wall ({:.3} CPU), {:.0} msgs/s, {:.0} hosts; \
                     time ×{:.2} against {} domains, allocs/msg {:.0}, {}",
                    f.run_s,
                    f.cpu_s,
                    f.delivered as f64 / f.run_s,
                    d + 3,
                    f.run_median_s / a.run_median_s,
                    a.domains,
                    f.allocs as f64 / f.n as f64,
                    if f.ok {
                        "ok".to_owned()
                    } else {
                        format!("FAILED: {}", f.problem)
                    }
                ),
                (Outcome::Figures(f), None) => println!(
                    "  N {n:>7}, {d:>5} domains: {:.3} s wall, {:.0} msgs/s",
                    f.run_s,
                    f.delivered as f64 / f.run_s
                ),
                (Outcome::Failed(why), _) => println!("  N {n:>7}, {d:>5} domains: FAILED: {why}"),
            }
        }
    }

    println!(
        "\nreference: Postfix smtp-source → smtp-sink over loopback, {} sessions, one connection per \
         message, same count of 1 KiB messages (1 SMTP transaction per message)",
        env_or("MAILFLOW_BENCH_SESSIONS", 10usize)
    );
    for (n, outcome, reference) in &rows {
        match (outcome, reference) {
            (_, Reference::Skipped(why)) => println!("  N {n:>7}: skipped: {why}"),
            (Outcome::Figures(f), Reference::Seconds { best, median, runs }) => {
                let per_message = best / f.run_s;
                let per_transaction = per_message * (f.queued as f64 / f.n as f64);
                println!(
                    "  N {n:>7}: postfix {best:.3} s (median {median:.3}, k={runs}, {:.0} msgs/s); \
                     mailflow {:.3} s ({:.0} msgs/s, {:.0} SMTP tx/s): mailflow is {} per message, \
                     {} per SMTP transaction",
                    *n as f64 / best,
                    f.run_s,
                    f.delivered as f64 / f.run_s,
                    f.queued as f64 / f.run_s,
                    faster(per_message),
                    faster(per_transaction),
                );
            }
            (Outcome::Failed(_), Reference::Seconds { best, .. }) => println!(
                "  N {n:>7}: postfix {best:.3} s ({:.0} msgs/s); mailflow did not finish",
                *n as f64 / best
            ),
        }
    }
    let bad = |o: &Outcome| match o {
        Outcome::Figures(f) => !f.ok,
        Outcome::Failed(_) => true,
    };
    let failed = rows.iter().any(|(_, o, _)| bad(o)) || by_domains.iter().any(|(_, _, o)| bad(o));
    if failed {
        eprintln!("world: some sizes failed (see above)");
        std::process::exit(1);
    }
}
