//! The student's end of a connection: what a telnet on the played host
//! would be. It looks the server up in the world's DNS, connects, sends
//! each line it is given and reads whatever comes back. It reads nothing
//! into what it receives: the tap has put every byte into the trace, and
//! the views read it there.

use std::cell::RefCell;
use std::net::IpAddr;
use std::rc::Rc;

use tokio::sync::mpsc;

use crate::net::NetHandle;
use crate::node::resolve::StubResolver;
use crate::trace::ConnId;

/// The state of the student's connection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Wire {
    /// No connection asked for yet.
    #[default]
    None,
    /// Looking the server up, or waiting for it to answer the connect.
    Dialling {
        to: String,
        port: u16,
    },
    Open {
        conn: ConnId,
        to: String,
        port: u16,
    },
    /// The connection did not open: why.
    Failed {
        to: String,
        port: u16,
        why: String,
    },
    /// Closed, by either end.
    Closed {
        conn: ConnId,
        to: String,
        port: u16,
    },
}

impl Wire {
    /// The connection the trace knows, open or closed.
    pub fn conn(&self) -> Option<ConnId> {
        match self {
            Wire::Open { conn, .. } | Wire::Closed { conn, .. } => Some(*conn),
            _ => None,
        }
    }
}

/// The connection and the way to its task.
#[derive(Default)]
pub(super) struct Terminal {
    pub wire: Wire,
    lines: Option<mpsc::UnboundedSender<Vec<u8>>>,
}

impl Terminal {
    /// Queues bytes for the open connection; false when there is none.
    pub fn send(&mut self, bytes: Vec<u8>) -> bool {
        self.lines.as_ref().is_some_and(|l| l.send(bytes).is_ok())
    }

    /// Closes the connection (its task sends the FIN); false when none
    /// was open.
    pub fn hang_up(&mut self) -> bool {
        self.lines.take().is_some()
    }

    pub fn is_open(&self) -> bool {
        matches!(self.wire, Wire::Open { .. } | Wire::Dialling { .. })
    }
}

/// Looks `to` up (unless it is an address), connects to it on `port`,
/// then carries lines until either end closes.
pub(super) async fn dial(
    net: NetHandle,
    resolver: Option<IpAddr>,
    to: String,
    port: u16,
    terminal: Rc<RefCell<Terminal>>,
) {
    terminal.borrow_mut().wire = Wire::Dialling {
        to: to.clone(),
        port,
    };
    let failed = |why: String| Wire::Failed {
        to: to.clone(),
        port,
        why,
    };
    let ip = match to.parse::<IpAddr>() {
        Ok(ip) => ip,
        Err(_) => match StubResolver::new(&net, resolver).addresses(&to).await {
            Ok(ips) if !ips.is_empty() => ips[0],
            Ok(_) => {
                terminal.borrow_mut().wire = failed(format!("{to} has no address in DNS"));
                return;
            }
            Err(e) => {
                terminal.borrow_mut().wire = failed(format!("looking up {to}: {e}"));
                return;
            }
        },
    };
    let mut stream = match net.connect(ip, port).await {
        Ok(stream) => stream,
        Err(e) => {
            terminal.borrow_mut().wire = failed(e.to_string());
            return;
        }
    };
    let conn = stream.conn();
    let (tx, mut rx) = mpsc::unbounded_channel();
    {
        let mut t = terminal.borrow_mut();
        t.wire = Wire::Open {
            conn,
            to: to.clone(),
            port,
        };
        t.lines = Some(tx);
    }
    loop {
        tokio::select! {
            biased;
            line = rx.recv() => match line {
                Some(bytes) => stream.send(&bytes),
                None => {
                    // The student hung up: say so, and read what the
                    // server still says until it closes too.
                    stream.close();
                    while stream.recv().await.is_some() {}
                    break;
                }
            },
            chunk = stream.recv() => if chunk.is_none() {
                stream.close();
                break;
            },
        }
    }
    let mut t = terminal.borrow_mut();
    // A newer connection may have been dialled meanwhile: leave it be.
    if t.wire.conn() == Some(conn) {
        t.lines = None;
        t.wire = Wire::Closed { conn, to, port };
    }
}
