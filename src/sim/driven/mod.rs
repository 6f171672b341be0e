//! A world that waits for a hand: `mailflow tui NAME --as HOST`. A
//! student types as HOST into a connection HOST opens to a server of the
//! world, and the world answers; everything else (queues, relays, DNS,
//! bounces, fetches) goes on as in any run.
//!
//! What "the world waits" means, precisely: the world runs on the paused
//! simulated clock of `sim::run`, but only while it is given an order.
//! After each order (open a connection, send a line, close) it runs on
//! until nothing has happened for [`QUIET`] of simulated time, counted
//! from the later of the last event and the moment the order came (a
//! byte still in flight counts as happening when it arrives); then it
//! stops, and its clock stands still while the student types. So the
//! reply to a line, and whatever that line set off right away (a relay,
//! its DNS lookups, a bounce), play out at once; anything further away
//! than a quiet second (a retry in 5 minutes, a fetch at +5m, a connect
//! timeout of 30 s, the server's own idle timeout) happens only when the
//! student lets time run: `wait` runs until the next thing happens (then
//! until quiet again), `wait 5m` runs that long, `run` runs until the
//! world has nothing left to do or its `run_for` is over.
//!
//! The same scenario and the same orders give the same trace, byte for
//! byte, however fast or slow they were typed: nothing here reads the
//! wall clock, and each order starts once the previous one has settled.
//!
//! * `terminal`: the student's end of the connection
//! * `hosts`: who may be played, and where they connect by default
//!
//! [`start`] runs the world on a thread of its own (its tasks share
//! `Rc`s) and hands back its events through a channel, as `mailflow
//! serve` does, so the dashboard shows it with the same live path.
//! [`Stepper`] is the same world without the thread, for tests.

mod hosts;
mod terminal;

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::mpsc;
use std::time::Duration;

use tokio::time::sleep_until;

pub use hosts::{default_target, hand, listening_ports, played};
pub use terminal::Wire;

use crate::net::Network;
use crate::node::Activity;
use crate::plan::Plan;
use crate::trace::{Event, EventKind, HostId, SimTime, Trace};

/// How long the world must have been quiet before it waits for the
/// student again.
pub const QUIET: Duration = Duration::from_secs(1);

/// The longest `wait` with nothing named: a world where nothing happens
/// for a week has nothing scheduled that a class would wait for.
pub const LONGEST_WAIT: Duration = Duration::from_secs(7 * 24 * 3600);

/// What the student asks of the world.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Order {
    /// Open a connection from the played host to `to` (a host name,
    /// looked up in the world's DNS as a real client would, or an
    /// address) on `port`; an open one is closed first.
    Connect { to: String, port: u16 },
    /// Send these bytes (a line with its CR LF) on the open connection.
    Send(Vec<u8>),
    /// Close the connection (the server sees the end of the stream).
    Close,
    /// Let time run: until the next thing happens (`None`), or this long.
    Wait(Option<Duration>),
    /// Let time run until the world has nothing left to do, or its
    /// `run_for` is over.
    Run,
}

/// Where the world stands after an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub now: SimTime,
    /// The student's connection.
    pub wire: Wire,
    /// What the order could not do, or what letting time run found.
    pub note: Option<String>,
    /// Nothing is scheduled any more: no queue entry, no session, no send.
    pub idle: bool,
}

/// The world, stepped by orders, on this thread.
pub struct Stepper {
    runtime: tokio::runtime::Runtime,
    local: tokio::task::LocalSet,
    world: World,
}

/// What the orders work on.
struct World {
    network: Rc<Network>,
    activity: Activity,
    hand: crate::net::NetHandle,
    resolver: Option<std::net::IpAddr>,
    terminal: Rc<RefCell<terminal::Terminal>>,
    run_for: Duration,
    /// Events handed out so far: the next one's sequence number.
    sent: u64,
    /// When the last event happened (or arrives, for bytes in flight).
    last: SimTime,
}

impl Stepper {
    /// Builds the world of `plan` with `host` played by hand (its own
    /// scripted sends and fetches left out: the student does them), and
    /// runs it until it first waits. The events so far go to `out`.
    pub fn new(plan: &Plan, host: HostId, out: &mut Vec<Event>) -> (Stepper, Report) {
        let runtime = super::runtime(true);
        let local = tokio::task::LocalSet::new();
        let plan = played(plan, host);
        let world = local.block_on(&runtime, async {
            let built = super::build(&plan, super::Clock::Simulated);
            World {
                hand: built.network.handle(host),
                network: built.network,
                activity: built.activity,
                resolver: plan.host(host).resolver,
                terminal: Rc::default(),
                run_for: plan.run_for,
                sent: 0,
                last: SimTime::ZERO,
            }
        });
        let mut stepper = Stepper {
            runtime,
            local,
            world,
        };
        let report = stepper.run(None, out);
        (stepper, report)
    }

    /// The trace's header: hosts, links, zones.
    pub fn header(&self) -> Trace {
        self.world.network.header()
    }

    /// Carries out `order` and runs the world until it waits again; the
    /// events it made go to `out`.
    pub fn order(&mut self, order: Order, out: &mut Vec<Event>) -> Report {
        self.run(Some(order), out)
    }

    fn run(&mut self, order: Option<Order>, out: &mut Vec<Event>) -> Report {
        let Stepper {
            runtime,
            local,
            world,
        } = self;
        local.block_on(runtime, world.carry_out(order, out))
    }
}

impl World {
    async fn carry_out(&mut self, order: Option<Order>, out: &mut Vec<Event>) -> Report {
        // Let every task take its first step (at the start, open its jobs).
        tokio::task::yield_now().await;
        let mut note = None;
        match order {
            None => {}
            Some(Order::Connect { to, port }) => {
                self.terminal.borrow_mut().hang_up();
                tokio::task::spawn_local(terminal::dial(
                    self.hand.clone(),
                    self.resolver,
                    to,
                    port,
                    Rc::clone(&self.terminal),
                ));
            }
            Some(Order::Send(bytes)) => {
                let sent = self.terminal.borrow_mut().send(bytes);
                note = (!sent).then(|| "not connected: nothing was sent".to_owned());
            }
            Some(Order::Close) => {
                let closed = self.terminal.borrow_mut().hang_up();
                note = (!closed).then(|| "not connected".to_owned());
            }
            Some(Order::Wait(Some(d))) => {
                tokio::time::sleep(d).await;
                self.take(out);
            }
            Some(Order::Wait(None)) => note = self.until_something_happens(out).await,
            Some(Order::Run) => note = self.until_done(out).await,
        }
        self.settle(out).await;
        Report {
            now: self.network.now(),
            wire: self.terminal.borrow().wire.clone(),
            note,
            idle: self.activity.open() == 0,
        }
    }

    /// Runs until nothing has happened for `QUIET`.
    async fn settle(&mut self, out: &mut Vec<Event>) {
        let from = self.network.now();
        loop {
            let quiet_until = SimTime::from(self.last.max(from).duration() + QUIET);
            sleep_until(self.hand.instant_of(quiet_until)).await;
            if self.take(out) == 0 && self.network.now() >= quiet_until {
                return;
            }
        }
    }

    /// `wait`: in quiet steps until an event comes; a note when nothing
    /// is scheduled at all.
    async fn until_something_happens(&mut self, out: &mut Vec<Event>) -> Option<String> {
        let from = self.network.now();
        loop {
            if self.activity.open() == 0 && !self.terminal.borrow().is_open() {
                return Some("nothing is scheduled: the world has nothing left to do".into());
            }
            tokio::time::sleep(QUIET).await;
            if self.take(out) > 0 {
                return None;
            }
            if self.network.now().duration() >= from.duration() + LONGEST_WAIT {
                return Some("nothing happened for a week: stopped waiting".into());
            }
        }
    }

    /// `run`: until no job is open, or the scenario's `run_for`.
    async fn until_done(&mut self, out: &mut Vec<Event>) -> Option<String> {
        let end = self.hand.instant_of(SimTime::from(self.run_for));
        let over = self.network.now().duration() >= self.run_for;
        let activity = self.activity.clone();
        let note = if over {
            tokio::select! {
                biased;
                () = activity.idle() => None,
                () = tokio::time::sleep(LONGEST_WAIT) => Some("run_for is over and a week went by: stopped".to_owned()),
            }
        } else {
            tokio::select! {
                biased;
                () = activity.idle() => None,
                () = sleep_until(end) => Some(format!("the scenario's run_for ({}) is over", SimTime::from(self.run_for))),
            }
        };
        self.take(out);
        note
    }

    /// Moves the events recorded since the last look to `out`, numbered
    /// on from the ones before; how many.
    fn take(&mut self, out: &mut Vec<Event>) -> usize {
        let trace = self.network.take_trace();
        let n = trace.len();
        for event in trace.events() {
            self.last = self.last.max(happens(event));
            out.push(Event {
                seq: self.sent,
                at: event.at,
                kind: event.kind.clone(),
            });
            self.sent += 1;
        }
        n
    }
}

/// When an event is over: bytes and datagrams when they arrive.
fn happens(event: &Event) -> SimTime {
    let arrives = match &event.kind {
        EventKind::Bytes { arrives, .. }
        | EventKind::Close { arrives, .. }
        | EventKind::Tls { arrives, .. } => Some(*arrives),
        EventKind::Datagram { arrives, .. } => *arrives,
        _ => None,
    };
    arrives.map_or(event.at, |a| a.max(event.at))
}

/// A stepped world on a thread of its own, and the channels to it.
pub struct Driven {
    /// Hosts, links and zones: what the events refer to.
    pub header: Trace,
    /// Every event, in order.
    pub feed: mpsc::Receiver<Event>,
    /// Where the world stood when it first waited.
    pub first: Report,
    orders: Option<mpsc::Sender<Order>>,
    reports: mpsc::Receiver<Report>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Driven {
    /// Hands an order to the world; its report comes through `report`.
    /// Orders are carried out one after the other, each once the one
    /// before has settled.
    pub fn order(&self, order: Order) -> bool {
        self.orders.as_ref().is_some_and(|o| o.send(order).is_ok())
    }

    /// The report of an order carried out since the last look, if any.
    pub fn try_report(&self) -> Option<Report> {
        self.reports.try_recv().ok()
    }

    /// Waits for the next report (`None` once the world is gone).
    pub fn report(&self) -> Option<Report> {
        self.reports.recv().ok()
    }
}

impl Drop for Driven {
    fn drop(&mut self) {
        // No more orders: the world's thread ends.
        self.orders.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Starts the world of `plan` with `host` played by hand, on its own
/// thread, and returns once it first waits.
pub fn start(plan: Plan, host: HostId) -> Result<Driven, String> {
    if plan.has_externals() {
        return Err(
            "this scenario talks to real machines (externals): a world played by hand runs on the simulated clock, without them"
                .into(),
        );
    }
    let (feed_tx, feed) = mpsc::channel();
    let (orders_tx, orders) = mpsc::channel::<Order>();
    let (reports_tx, reports) = mpsc::channel();
    let (header_tx, header_rx) = mpsc::channel();
    let thread = std::thread::Builder::new()
        .name("mailflow-hand".into())
        .spawn(move || {
            let mut out = Vec::new();
            let (mut stepper, first) = Stepper::new(&plan, host, &mut out);
            let forward = |out: &mut Vec<Event>| out.drain(..).all(|e| feed_tx.send(e).is_ok());
            // The first events are in the feed before `start` returns.
            if !forward(&mut out) || header_tx.send((stepper.header(), first)).is_err() {
                return;
            }
            while let Ok(order) = orders.recv() {
                let report = stepper.order(order, &mut out);
                if !forward(&mut out) || reports_tx.send(report).is_err() {
                    return;
                }
            }
        })
        .map_err(|e| e.to_string())?;
    let (header, first) = header_rx
        .recv()
        .map_err(|_| "the world stopped before it started".to_owned())?;
    Ok(Driven {
        header,
        feed,
        first,
        orders: Some(orders_tx),
        reports,
        thread: Some(thread),
    })
}

#[cfg(test)]
mod tests;
