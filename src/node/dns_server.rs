//! An authoritative DNS server: answers every query datagram on port 53
//! from its zones, or stays silent when a fault says so. A what-if may
//! answer one query otherwise; the count of each question is shared by
//! every DNS server of the world (see `plan::whatif`).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use crate::dns::{Answer, Authority, CachedAuthority, DnsAnswer, QueryType, question_of};
use crate::net::NetHandle;
use crate::trace::{EventKind, WhatIfRest};

/// The world's DNS what-ifs and how often each question was asked.
#[derive(Debug, Default)]
pub struct DnsWhatIfs {
    /// (name, type, attempt) → the answer to give.
    set: BTreeMap<(String, QueryType, u32), DnsAnswer>,
    asked: BTreeMap<(String, QueryType), u32>,
}

impl DnsWhatIfs {
    pub fn new(list: impl IntoIterator<Item = (String, QueryType, u32, DnsAnswer)>) -> DnsWhatIfs {
        DnsWhatIfs {
            set: list
                .into_iter()
                .map(|(name, t, n, a)| ((name, t, n), a))
                .collect(),
            asked: BTreeMap::new(),
        }
    }

    /// Counts one query; its count and the what-if's answer, if one is set.
    fn ask(&mut self, query: &[u8]) -> Option<(String, QueryType, u32, DnsAnswer)> {
        if self.set.is_empty() {
            return None;
        }
        let (name, qtype) = question_of(query)?;
        let n = self.asked.entry((name.clone(), qtype)).or_default();
        *n += 1;
        let n = *n;
        let answer = self.set.get(&(name.clone(), qtype, n))?.clone();
        Some((name, qtype, n, answer))
    }
}

/// Serves DNS forever (the world ends it).
pub async fn run(net: NetHandle, authority: Authority, whatifs: Rc<RefCell<DnsWhatIfs>>) {
    let mut socket = net.bind(53);
    // The same bytes as `authority` gives, without encoding each anew.
    let mut authority = CachedAuthority::new(authority);
    while let Some(datagram) = socket.recv_from().await {
        let query = datagram.data.as_bytes();
        let instead = whatifs.borrow_mut().ask(query);
        if let Some((name, qtype, n, answer)) = &instead {
            net.record(EventKind::WhatIf {
                host: net.host(),
                conn: None,
                rest: Box::new(WhatIfRest {
                    point: format!("{name} {qtype}? #{n}"),
                    instead: answer.to_string(),
                }),
            });
        }
        let answer = instead.as_ref().map(|(.., a)| a);
        match authority.answer_with(query, net.now().duration(), answer) {
            Answer::Reply(bytes) => socket.send_to(&bytes, datagram.from.0, datagram.from.1),
            Answer::Drop => {}
        }
    }
}
