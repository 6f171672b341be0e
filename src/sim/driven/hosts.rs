//! Who a student may play (a client or an MTA of the scenario), what the
//! played host stops doing on its own, and where it connects unless told
//! otherwise: a client to the server it submits to, an MTA to the MX of
//! the first recipient's domain that is not its own.

use crate::plan::Plan;
use crate::scenario::suggest::closest;
use crate::trace::{HostId, Role};

/// The client or MTA called `name`, or a message naming the ones there are.
pub fn hand(plan: &Plan, name: &str) -> Result<HostId, String> {
    let names = |role: Role| -> Vec<&str> {
        plan.hosts
            .iter()
            .filter(|h| h.role == role)
            .map(|h| h.name.as_str())
            .collect()
    };
    let (clients, mtas) = (names(Role::Client), names(Role::Mta));
    if let Some(i) = plan.hosts.iter().position(|h| {
        h.name.eq_ignore_ascii_case(name) && matches!(h.role, Role::Client | Role::Mta)
    }) && let Ok(id) = HostId::try_from(i)
    {
        return Ok(id);
    }
    let hint = match closest(name, clients.iter().chain(&mtas).copied()) {
        Some(c) => format!("did you mean {c:?}? "),
        None => String::new(),
    };
    let list = |v: &[&str]| {
        if v.is_empty() {
            "none".to_owned()
        } else {
            v.join(", ")
        }
    };
    Err(format!(
        "--as {name:?} is not a client or MTA of this scenario; {hint}the clients are: {}; the MTAs are: {}",
        list(&clients),
        list(&mtas)
    ))
}

/// The plan with `host` played by hand: a client's own sends and fetches
/// are left to the student; an MTA keeps serving and relaying.
pub fn played(plan: &Plan, host: HostId) -> Plan {
    let mut plan = plan.clone();
    for c in plan.clients.iter_mut().filter(|c| c.host == host) {
        c.send.clear();
        c.fetch.clear();
    }
    plan
}

/// The ports an MTA listens on: 25, 587 when it offers submission, 110
/// when it holds mailboxes. Empty for any other host.
pub fn listening_ports(plan: &Plan, host: HostId) -> Vec<u16> {
    plan.mtas
        .iter()
        .find(|m| m.host == host)
        .map(|m| {
            let mut ports = vec![25];
            if m.submission {
                ports.push(587);
            }
            if !m.mailboxes.is_empty() {
                ports.push(110);
            }
            ports
        })
        .unwrap_or_default()
}

/// Where `host` connects when the student names no server: a client to
/// its server (587 when it offers submission, else 25); an MTA to the MX
/// of the first recipient's domain it is not itself the destination for,
/// else to the first other MTA, on 25.
pub fn default_target(plan: &Plan, host: HostId) -> Option<(String, u16)> {
    let mta_named = |name: &str| {
        plan.mtas
            .iter()
            .find(|m| plan.host(m.host).name.eq_ignore_ascii_case(name))
    };
    if let Some(c) = plan.clients.iter().find(|c| c.host == host) {
        let port = match mta_named(&c.server) {
            Some(m) if m.submission => 587,
            _ => 25,
        };
        return Some((c.server.clone(), port));
    }
    let me = plan.mtas.iter().find(|m| m.host == host)?;
    let remote = plan
        .clients
        .iter()
        .flat_map(|c| &c.send)
        .flat_map(|m| m.to.iter().chain(&m.cc).chain(&m.bcc))
        .filter_map(|to| to.domain().map(str::to_lowercase))
        .find(|d| !me.domains.contains(d));
    if let Some(domain) = remote {
        let mxs = plan.mx_exchanges(&domain);
        if let Some(m) = mxs
            .iter()
            .find_map(|(_, name)| mta_named(name).filter(|m| m.host != host))
        {
            return Some((plan.host(m.host).name.clone(), 25));
        }
    }
    plan.mtas
        .iter()
        .find(|m| m.host != host)
        .map(|m| (plan.host(m.host).name.clone(), 25))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(name: &str) -> Plan {
        crate::scenario::load(name).expect("bundled").plan
    }

    #[test]
    fn a_client_connects_to_its_submission_server_and_an_mta_to_the_mx() {
        let plan = plan("hello");
        let laptop = hand(&plan, "laptop.example.org").unwrap();
        assert_eq!(
            default_target(&plan, laptop),
            Some(("smtp.example.org".into(), 587))
        );
        let smtp = hand(&plan, "SMTP.example.org").unwrap();
        assert_eq!(
            default_target(&plan, smtp),
            Some(("mx.example.net".into(), 25))
        );
        let mx = hand(&plan, "mx.example.net").unwrap();
        assert_eq!(listening_ports(&plan, mx), [25, 110]);
        assert_eq!(listening_ports(&plan, smtp), [25, 587, 110]);
    }

    #[test]
    fn an_unknown_host_is_refused_with_the_hosts_there_are() {
        let plan = plan("hello");
        let error = hand(&plan, "laptop.exmple.org").unwrap_err();
        assert!(
            error.contains("did you mean \"laptop.example.org\"?"),
            "{error}"
        );
        assert!(
            error.contains("the clients are: laptop.example.org, phone.example.net"),
            "{error}"
        );
        assert!(
            error.contains("the MTAs are: smtp.example.org, mx.example.net"),
            "{error}"
        );
        // A DNS server is not a host a student can type on.
        assert!(hand(&plan, "ns.example.org").is_err());
    }

    #[test]
    fn the_played_client_sends_and_fetches_nothing_by_itself() {
        let plan = plan("hello");
        let laptop = hand(&plan, "laptop.example.org").unwrap();
        let played = played(&plan, laptop);
        let me = played.clients.iter().find(|c| c.host == laptop).unwrap();
        assert!(me.send.is_empty() && me.fetch.is_empty());
        let phone = played.clients.iter().find(|c| c.host != laptop).unwrap();
        assert_eq!(phone.fetch.len(), 1, "the others go on as planned");
    }
}
