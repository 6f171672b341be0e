//! Real TCP connections, tapped into the trace like the simulated pipes:
//! what the real peer sends is recorded when it is read, what we send
//! when it is handed to the socket. `send` never blocks a protocol
//! machine: a reply goes straight to the socket while the kernel takes it
//! whole (nearly always: replies are small), and only what it cannot take
//! goes to a writer task of the connection's own, which writes everything
//! after it too, in order. The driver waits on `flushed` before it sends
//! more, so a slow reader slows the session down, and a peer that takes
//! nothing for the write timeout is cut off rather than buffered for ever.
//!
//! Under `serve --record`, the writer holds each chunk until every event
//! before it is written to the recording, and, when the input this reply
//! answers committed state (`EventKind::commits`: a message taken on, a
//! POP3 deletion), until that is synced: a 250 to DATA leaves only once
//! the message is on disk. Other sessions' replies wait for the write, not
//! for that sync. The protocol machine does not wait for the disk; only
//! its bytes do. Every chunk then goes through the writer task.

use std::cell::{Cell, RefCell};
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{Notify, mpsc};
use tokio::time::timeout;

use super::medium::{Medium, OnDisk};
use crate::trace::{ConnId, Dir, EventKind, HostId, Payload, SimTime};

/// How much we read from a socket at once.
const READ_CHUNK: usize = 16 * 1024;

thread_local! {
    /// The buffer every connection of the world's thread reads into: what
    /// is read is copied into its event at once, so one buffer serves them
    /// all, instead of 16 KiB to allocate and zero for each connection.
    static READ_BUF: RefCell<Box<[u8]>> = RefCell::new(vec![0; READ_CHUNK].into_boxed_slice());
}

/// Octets handed to the writer above which `flushed` waits: a POP3 RETR of
/// a big message goes out at the pace the peer reads it.
const LOW_WATER: usize = 256 * 1024;

/// Octets handed to the writer and not yet written after which the peer
/// is cut off at once: the driver waits long before, so only a machine
/// that sends without waiting gets here.
const MAX_BACKLOG: usize = 16 << 20;

/// After our close, how long and how much of what the peer still sends
/// is read and dropped (see `linger`).
const LINGER: Duration = Duration::from_secs(1);
const LINGER_OCTETS: usize = 1 << 20;

/// How long a write may wait for a peer that takes nothing, when no
/// limits say (an outgoing connection to a real server): the SMTP data
/// block timeout of RFC 5321 §4.5.3.2.6 is 3 minutes.
const WRITE_TIMEOUT: Duration = Duration::from_secs(3 * 60);

/// What a session from the real world may do: the classroom limits of
/// `mailflow serve`, applied on top of the node's own configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Silence after which the session is closed (RFC 5321 §4.5.3.2
    /// allows minutes; a classroom wants seconds).
    pub idle: Duration,
    /// The longest a session may last, however busy.
    pub session: Duration,
    /// Commands per session: SMTP and POP3 command lines, DNS-over-TCP
    /// queries.
    pub max_commands: usize,
    /// Octets per message, when smaller than the node's own limit.
    pub max_size: Option<usize>,
}

/// A place among the open real connections; freed when the connection is.
pub struct Slot(Rc<Cell<usize>>);

impl Slot {
    /// Takes a place if fewer than `max` are taken.
    pub fn take(count: &Rc<Cell<usize>>, max: usize) -> Option<Slot> {
        (count.get() < max).then(|| {
            count.set(count.get() + 1);
            Slot(Rc::clone(count))
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.set(self.0.get().saturating_sub(1));
    }
}

/// One end of a real TCP connection, as a node of the world holds it.
pub struct RealStream {
    medium: Rc<Medium>,
    conn: ConnId,
    /// The direction of what this end sends.
    dir: Dir,
    /// The host that stands for the real machine in the trace.
    peer: HostId,
    peer_addr: SocketAddr,
    reader: OwnedReadHalf,
    /// Where what we send goes.
    out: Out,
    /// The last commit recorded when this end last read input or sent: a
    /// later one was made by the input it answers now (nothing else runs
    /// between a read, the machine's handling of it and its reply).
    seen_commit: Option<u64>,
    /// Counts the writer task, once there is one.
    writers: Writers,
    write_timeout: Duration,
    eof: bool,
    /// TLS runs on this connection: what the peer sends is recorded by
    /// the driver once it is decrypted ([`RealStream::received`]), not
    /// as it is read.
    sealed_input: bool,
    limits: Option<Limits>,
    _slot: Option<Slot>,
}

/// Where the bytes of one end go, and whether it is closed.
enum Out {
    /// Straight to the socket: nothing waits to be written and nothing
    /// waits for the recording, so the kernel takes each reply at once,
    /// without a copy or a task to wake.
    Direct(OwnedWriteHalf),
    /// Through the writer task, for good: the kernel once took less than
    /// a whole chunk (a slow reader), or the recording holds chunks back.
    Queued(Writer),
    /// The socket failed under a direct write: the next send closes.
    Failed,
    /// Closed by us (the Close event is recorded).
    Closed,
}

/// The writer task of one connection, as its end sees it.
struct Writer {
    /// Chunks to write, each with what must be on disk before it.
    chunks: mpsc::UnboundedSender<(Barrier, Vec<u8>)>,
    /// Octets handed to the task and not yet written.
    backlog: Rc<Cell<usize>>,
    /// Told by the task after each write, and when it gives up.
    drained: Rc<Notify>,
}

/// What must be in the recording before a chunk leaves: `None` when
/// nothing is recorded.
type Barrier = Option<After>;

/// The events a chunk waits for.
#[derive(Debug, Clone, Copy)]
struct After {
    /// Its own event: every one up to it written.
    written: u64,
    /// A commit its session's input made: synced.
    synced: Option<u64>,
}

impl After {
    fn passed(&self, d: &OnDisk) -> bool {
        d.written > self.written && self.synced.is_none_or(|c| d.synced > c)
    }
}

/// Open writer tasks of a network: a shutdown waits for them to flush.
#[derive(Clone, Default)]
pub struct Writers(Rc<Cell<usize>>);

impl Writers {
    pub fn open(&self) -> usize {
        self.0.get()
    }
}

pub(crate) struct Parts {
    pub conn: ConnId,
    pub dir: Dir,
    pub peer: HostId,
    pub limits: Option<Limits>,
    pub slot: Option<Slot>,
    pub writers: Writers,
    /// The real machine's address: the caller has it already (one
    /// `getpeername` less per connection).
    pub peer_addr: SocketAddr,
}

impl RealStream {
    /// Wraps a connected socket; `parts.peer` is the host that stands for
    /// the other end.
    pub(crate) fn new(medium: Rc<Medium>, tcp: TcpStream, parts: Parts) -> RealStream {
        // Replies are small and interactive: send them at once.
        let _ = tcp.set_nodelay(true);
        let (reader, write_half) = tcp.into_split();
        let write_timeout = parts.limits.as_ref().map_or(WRITE_TIMEOUT, |l| l.idle);
        let mut stream = RealStream {
            seen_commit: medium.last_commit(),
            conn: parts.conn,
            dir: parts.dir,
            peer: parts.peer,
            peer_addr: parts.peer_addr,
            reader,
            out: Out::Direct(write_half),
            writers: parts.writers,
            write_timeout,
            eof: false,
            sealed_input: false,
            limits: parts.limits,
            _slot: parts.slot,
            medium,
        };
        if stream.medium.durable().is_some() {
            // Every chunk waits for the recording: all go through the task.
            stream.queue();
        }
        stream
    }

    /// From now on every chunk goes through a writer task: spawns it,
    /// with the socket, unless it runs.
    fn queue(&mut self) {
        let Out::Direct(write_half) = std::mem::replace(&mut self.out, Out::Closed) else {
            return;
        };
        let (tx, rx) = mpsc::unbounded_channel::<(Barrier, Vec<u8>)>();
        let backlog = Rc::new(Cell::new(0usize));
        let drained = Rc::new(Notify::new());
        let writers = self.writers.clone();
        writers.0.set(writers.0.get() + 1);
        tokio::task::spawn_local(write_out(
            write_half,
            rx,
            self.medium.durable(),
            self.write_timeout,
            (Rc::clone(&backlog), Rc::clone(&drained)),
            writers,
        ));
        self.out = Out::Queued(Writer {
            chunks: tx,
            backlog,
            drained,
        });
    }

    pub fn conn(&self) -> ConnId {
        self.conn
    }

    pub fn peer(&self) -> HostId {
        self.peer
    }

    /// The real machine's address.
    pub fn peer_addr(&self) -> SocketAddr {
        self.peer_addr
    }

    pub fn limits(&self) -> Option<&Limits> {
        self.limits.as_ref()
    }

    fn peer_dir(&self) -> Dir {
        match self.dir {
            Dir::Up => Dir::Down,
            Dir::Down => Dir::Up,
        }
    }

    pub fn send(&mut self, bytes: &[u8]) {
        let data = Payload::new(bytes);
        self.transmit(bytes, |conn, dir, arrives| EventKind::Bytes {
            conn,
            dir,
            arrives,
            data,
            sealed: None,
        });
    }

    /// Sends TLS records that carry `plaintext`.
    pub fn send_sealed(&mut self, plaintext: &[u8], records: &[u8]) {
        let data = Payload::new(plaintext);
        let sealed = Some(Payload::new(records));
        self.transmit(records, |conn, dir, arrives| EventKind::Bytes {
            conn,
            dir,
            arrives,
            data,
            sealed,
        });
    }

    /// Sends TLS records of the handshake, an alert or close_notify, with
    /// the key log lines derived before them.
    pub fn send_tls(&mut self, records: &[u8], secrets: Vec<String>) {
        let data = Payload::new(records);
        self.transmit(records, |conn, dir, arrives| EventKind::Tls {
            conn,
            dir,
            arrives,
            data,
            secrets: secrets.into(),
        });
    }

    /// From now on the peer speaks TLS: its records are recorded by the
    /// driver, which alone can tell a handshake record from one that
    /// carries plaintext.
    pub fn seal_input(&mut self) {
        self.sealed_input = true;
    }

    /// Records records the peer sent (read by an earlier `recv`), once the
    /// driver has read them: `plaintext` is what they carried (empty for
    /// the handshake, alerts and close_notify), `secrets` the key log
    /// lines derived before them.
    pub fn received(&mut self, records: &[u8], plaintext: &[u8], secrets: Vec<String>) {
        if records.is_empty() {
            return;
        }
        let (conn, dir) = (self.conn, self.peer_dir());
        self.seen_commit = self.medium.last_commit();
        let data = Payload::new(records);
        self.medium.record_at(|now| {
            if plaintext.is_empty() {
                EventKind::Tls {
                    conn,
                    dir,
                    arrives: now,
                    data,
                    secrets: secrets.into(),
                }
            } else {
                EventKind::Bytes {
                    conn,
                    dir,
                    arrives: now,
                    data: Payload::new(plaintext),
                    sealed: Some(data),
                }
            }
        });
    }

    /// Writes `bytes` to the socket and records what was sent.
    fn transmit(&mut self, bytes: &[u8], event: impl FnOnce(ConnId, Dir, SimTime) -> EventKind) {
        if bytes.is_empty() || matches!(self.out, Out::Closed) {
            return;
        }
        if matches!(self.out, Out::Failed) {
            // The socket failed: this side is closed now.
            self.close();
            return;
        }
        if let Out::Queued(w) = &self.out
            && w.backlog.get() > MAX_BACKLOG
        {
            // The peer has not read a megabyte of replies: it never will.
            self.close();
            return;
        }
        let (conn, dir) = (self.conn, self.dir);
        let seq = self.medium.record_at(|now| event(conn, dir, now));
        let commit = self.medium.last_commit();
        let synced = commit.filter(|_| commit > self.seen_commit);
        self.seen_commit = commit;
        let mut rest = bytes;
        if let Out::Direct(half) = &self.out {
            match half.try_write(rest) {
                Ok(n) if n == rest.len() => return,
                Ok(n) => rest = &rest[n..],
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(_) => {
                    // Gone: drop the socket; the next send closes.
                    self.out = Out::Failed;
                    return;
                }
            }
            // The kernel took less than the whole chunk: the rest, and
            // everything after it, waits in the writer task.
            self.queue();
        }
        let Out::Queued(w) = &self.out else {
            return;
        };
        w.backlog.set(w.backlog.get() + rest.len());
        // The task looks at barriers only under `--record`.
        let barrier = seq.map(|seq| After {
            written: seq,
            synced,
        });
        if w.chunks.send((barrier, rest.to_vec())).is_err() {
            // The writer gave up on the peer: this side is closed now.
            self.close();
        }
    }

    /// Waits until what was sent is mostly written, so that the next send
    /// does not pile up behind a slow reader. A peer that takes nothing
    /// for the write timeout is cut off.
    pub async fn flushed(&mut self) {
        while let Out::Queued(w) = &self.out
            && w.backlog.get() > LOW_WATER
        {
            let drained = Rc::clone(&w.drained);
            if timeout(self.write_timeout, drained.notified())
                .await
                .is_err()
            {
                self.close();
            }
        }
    }

    /// After our close: takes and drops what the peer still sends, for a
    /// moment, so that the kernel does not answer it with a reset that
    /// would destroy our last reply on its way (a 421 the client must
    /// read, RFC 5321 §3.8). What comes now is no longer read as protocol,
    /// so it is not recorded.
    pub async fn linger(&mut self) {
        let until = tokio::time::Instant::now() + LINGER;
        let mut left = LINGER_OCTETS;
        while !self.eof && left > 0 {
            match tokio::time::timeout_at(until, self.read()).await {
                Ok(Ok(n)) if n > 0 => left = left.saturating_sub(n),
                _ => break,
            }
        }
    }

    /// Reads what the peer sent into the shared buffer (`READ_BUF`): the
    /// number of octets, 0 at the end. Cancel-safe: the buffer is borrowed
    /// only inside one poll, and a poll that reads returns at once.
    ///
    /// Through `poll_read` rather than `readable` and `try_read`: on epoll
    /// tokio takes a read shorter than the buffer as the socket drained
    /// and clears its readiness, where `try_read` kept it until a read
    /// found nothing, a `recvfrom` that failed with EAGAIN after most
    /// commands (the client waits for our reply before it sends more).
    async fn read(&mut self) -> std::io::Result<usize> {
        let reader = &mut self.reader;
        std::future::poll_fn(|cx| {
            READ_BUF.with_borrow_mut(|buf| {
                let mut filled = ReadBuf::new(buf);
                std::pin::Pin::new(&mut *reader)
                    .poll_read(cx, &mut filled)
                    .map_ok(|()| filled.filled().len())
            })
        })
        .await
    }

    /// The next chunk the peer sent, recorded as it is read; `None` once
    /// it has closed (or reset) the connection. Cancel-safe: a read that
    /// is dropped has taken nothing.
    pub async fn recv(&mut self) -> Option<Payload> {
        if self.eof {
            return None;
        }
        let read = self.read().await;
        let (conn, dir) = (self.conn, self.peer_dir());
        match read {
            Ok(n) if n > 0 => {
                self.seen_commit = self.medium.last_commit();
                let data = READ_BUF.with_borrow(|buf| Payload::new(&buf[..n]));
                if self.sealed_input {
                    return Some(data);
                }
                let sent = data.clone();
                self.medium.record_at(|now| EventKind::Bytes {
                    conn,
                    dir,
                    arrives: now,
                    data: sent,
                    sealed: None,
                });
                Some(data)
            }
            _ => {
                self.eof = true;
                self.medium.record_at(|now| EventKind::Close {
                    conn,
                    dir,
                    arrives: now,
                });
                None
            }
        }
    }

    /// Closes our side once what was sent is written.
    pub fn close(&mut self) {
        // A direct socket is shut down here (its write half dropped: FIN);
        // a writer task does it once everything queued is written.
        if !matches!(std::mem::replace(&mut self.out, Out::Closed), Out::Closed) {
            let (conn, dir) = (self.conn, self.dir);
            self.medium.record_at(|now| EventKind::Close {
                conn,
                dir,
                arrives: now,
            });
        }
    }
}

impl Drop for RealStream {
    fn drop(&mut self) {
        self.close();
    }
}

/// The writer task: writes each chunk once the recording holds what it
/// must, then the FIN once the stream is closed; gives up on a peer that
/// takes nothing for `write_timeout`.
async fn write_out(
    mut write_half: OwnedWriteHalf,
    mut rx: mpsc::UnboundedReceiver<(Barrier, Vec<u8>)>,
    mut durable: Option<super::Durable>,
    write_timeout: Duration,
    (pending, told): (Rc<Cell<usize>>, Rc<Notify>),
    writers: Writers,
) {
    while let Some((barrier, chunk)) = rx.recv().await {
        if let (Some(durable), Some(barrier)) = (&mut durable, barrier)
            && durable.wait_for(|d| barrier.passed(d)).await.is_err()
        {
            // The recording failed: nothing it does not hold may
            // leave, so the peer hears nothing more.
            pending.set(0);
            writers.0.set(writers.0.get().saturating_sub(1));
            return;
        }
        let wrote = timeout(write_timeout, write_half.write_all(&chunk)).await;
        pending.set(pending.get().saturating_sub(chunk.len()));
        told.notify_one();
        if !matches!(wrote, Ok(Ok(()))) {
            // Gone, or taking nothing: drop the socket, and what
            // is still queued with it.
            pending.set(0);
            writers.0.set(writers.0.get().saturating_sub(1));
            return;
        }
    }
    // Everything queued before the close is written: now the FIN.
    let _ = timeout(write_timeout, write_half.shutdown()).await;
    writers.0.set(writers.0.get().saturating_sub(1));
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::io::AsyncReadExt;
    use tokio::net::TcpStream;

    use super::OnDisk;
    use crate::net::{Link, Network};
    use crate::trace::{EventKind, HostId, HostInfo, Role};

    /// Whether `client` gets nothing for a moment.
    async fn silent(client: &mut TcpStream) -> bool {
        let mut buf = [0u8; 64];
        tokio::time::timeout(Duration::from_millis(200), client.read(&mut buf))
            .await
            .is_err()
    }

    async fn reads(client: &mut TcpStream) -> Vec<u8> {
        let mut buf = [0u8; 64];
        let n = tokio::time::timeout(Duration::from_secs(10), client.read(&mut buf))
            .await
            .expect("the bytes leave once their events are on disk")
            .unwrap();
        buf[..n].to_vec()
    }

    /// On the wall clock, bytes to and from a real peer arrive when they
    /// are recorded, never before: a capture built from the trace would
    /// otherwise acknowledge them before they were sent (RFC 9293 §3.4).
    #[test]
    fn real_bytes_never_arrive_before_they_are_recorded_rfc9293_3_4() {
        let runtime = crate::sim::runtime(false);
        let local = tokio::task::LocalSet::new();
        local.block_on(&runtime, async {
            let host = |name: &str, d: u8| HostInfo {
                name: name.into(),
                ip: std::net::IpAddr::from([192, 0, 2, d]),
                role: Role::External,
                down: Vec::new(),
                label: None,
            };
            let network = Network::new(
                vec![host("outside", 1), host("mx", 2)],
                Vec::new(),
                Link::default(),
                1,
            );
            let (tap, events) = std::sync::mpsc::sync_channel(1024);
            network.stream_to(tap, false, 0, None);
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let mut client = TcpStream::connect(listener.local_addr().unwrap())
                .await
                .unwrap();
            let accepted = listener.accept().await.unwrap();
            let outside = network.handle(HostId(0));
            let mut stream = outside.admit(accepted, HostId(1), 25, None, None);
            for _ in 0..50 {
                stream.send(b"220 ready\r\n");
                let _ = reads(&mut client).await;
                tokio::io::AsyncWriteExt::write_all(&mut client, b"NOOP\r\n")
                    .await
                    .unwrap();
                stream.recv().await.unwrap();
            }
            stream.close();
            let mut seen = 0;
            for event in events.try_iter() {
                if let EventKind::Bytes { arrives, .. } | EventKind::Close { arrives, .. } =
                    event.kind
                {
                    assert_eq!(arrives, event.at, "event {}", event.seq);
                    seen += 1;
                }
            }
            assert_eq!(seen, 101);
        });
    }

    /// `serve --record`: a reply leaves only once the events before it
    /// are written, and once the commit its input made is synced: a 250 to
    /// DATA means the message is on disk.
    #[test]
    fn bytes_to_a_real_peer_wait_until_their_events_are_on_disk() {
        let runtime = crate::sim::runtime(false);
        let local = tokio::task::LocalSet::new();
        local.block_on(&runtime, async {
            let host = |name: &str, d: u8| HostInfo {
                name: name.into(),
                ip: std::net::IpAddr::from([192, 0, 2, d]),
                role: Role::External,
                down: Vec::new(),
                label: None,
            };
            let network = Network::new(
                vec![host("outside", 1), host("mx", 2)],
                Vec::new(),
                Link::default(),
                1,
            );
            let (tap, events) = std::sync::mpsc::sync_channel(16);
            let (on_disk, durable) = tokio::sync::watch::channel(OnDisk::default());
            network.stream_to(tap, false, 0, Some(durable));
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let mut client = TcpStream::connect(listener.local_addr().unwrap())
                .await
                .unwrap();
            let accepted = listener.accept().await.unwrap();
            let outside = network.handle(HostId(0));
            let mut stream = outside.admit(accepted, HostId(1), 25, None, None);
            let last = |events: &std::sync::mpsc::Receiver<crate::trace::Event>| {
                events.try_iter().last().unwrap().seq
            };

            // A reply that follows no commit: written is enough.
            stream.send(b"220 ready\r\n");
            let seq = last(&events);
            assert!(silent(&mut client).await, "left before it was written");
            on_disk.send_replace(OnDisk {
                written: seq,
                synced: 0,
            });
            assert!(
                silent(&mut client).await,
                "left before its own event was written"
            );
            on_disk.send_replace(OnDisk {
                written: seq + 1,
                synced: 0,
            });
            assert_eq!(reads(&mut client).await, b"220 ready\r\n");

            // A reply after a commit (a message filed): synced too.
            outside.record(EventKind::Removed {
                host: HostId(1),
                mailbox: "bob@example.net".into(),
                uids: vec!["1".into()].into(),
            });
            stream.send(b"250 2.0.0 queued\r\n");
            let seq = last(&events);
            let commit = seq - 1;
            on_disk.send_replace(OnDisk {
                written: seq + 1,
                synced: commit,
            });
            assert!(
                silent(&mut client).await,
                "left before its commit was synced"
            );
            on_disk.send_replace(OnDisk {
                written: seq + 1,
                synced: commit + 1,
            });
            assert_eq!(reads(&mut client).await, b"250 2.0.0 queued\r\n");

            // The next reply in the session answers no new commit.
            stream.send(b"221 bye\r\n");
            let seq = last(&events);
            on_disk.send_replace(OnDisk {
                written: seq + 1,
                synced: commit + 1,
            });
            assert_eq!(reads(&mut client).await, b"221 bye\r\n");
        });
    }
}
