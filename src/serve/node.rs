//! Which node `mailflow serve` exposes: the one named, or where the
//! scenario's first message is headed (the MX of its first recipient's
//! domain), since that is the server a real sender would reach too.

use crate::plan::Plan;
use crate::scenario::suggest::closest;
use crate::trace::HostId;

/// The MTA called `name`, or a message saying which names there are.
pub fn named(plan: &Plan, name: &str) -> Result<HostId, String> {
    let mtas: Vec<&str> = plan
        .mtas
        .iter()
        .map(|m| plan.host(m.host).name.as_str())
        .collect();
    if let Some(m) = plan
        .mtas
        .iter()
        .find(|m| plan.host(m.host).name.eq_ignore_ascii_case(name))
    {
        return Ok(m.host);
    }
    let hint = match closest(name, mtas.iter().copied()) {
        Some(c) => format!("did you mean {c:?}? "),
        None => String::new(),
    };
    Err(format!(
        "--node {name:?} is not an MTA of this scenario; {hint}the MTAs are: {}",
        mtas.join(", ")
    ))
}

/// The MX of the first recipient's domain (its lowest preference), else
/// the MTA that holds that domain, else the first MTA.
pub fn default(plan: &Plan) -> Option<HostId> {
    let domain = plan
        .clients
        .iter()
        .flat_map(|c| &c.send)
        .flat_map(|m| m.to.iter().chain(&m.cc).chain(&m.bcc))
        .find_map(|to| to.domain().map(str::to_lowercase));
    let is_mta = |name: &str| {
        plan.mtas
            .iter()
            .find(|m| plan.host(m.host).name.eq_ignore_ascii_case(name))
            .map(|m| m.host)
    };
    if let Some(domain) = domain {
        let mxs = plan.mx_exchanges(&domain);
        if let Some(host) = mxs.iter().find_map(|(_, name)| is_mta(name)) {
            return Some(host);
        }
        if let Some(m) = plan.mtas.iter().find(|m| m.domains.contains(&domain)) {
            return Some(m.host);
        }
    }
    plan.mtas.first().map(|m| m.host)
}

/// The MTA real mail programs submit to: `named` when given, else the
/// server of the first client of the scenario (where its people send
/// from), else the first MTA that listens for submission. It must listen
/// on 587 (`submission: true`).
pub fn submission(plan: &Plan, named: Option<HostId>) -> Result<HostId, String> {
    let offers = |host: HostId| plan.mtas.iter().any(|m| m.host == host && m.submission);
    let by_name = |name: &str| {
        plan.mtas
            .iter()
            .find(|m| plan.host(m.host).name.eq_ignore_ascii_case(name))
            .map(|m| m.host)
    };
    let node = named
        .or_else(|| {
            plan.clients
                .iter()
                .find_map(|c| by_name(&c.server))
                .filter(|&h| offers(h))
        })
        .or_else(|| plan.mtas.iter().find(|m| m.submission).map(|m| m.host));
    match node {
        Some(host) if offers(host) => Ok(host),
        Some(host) => Err(format!(
            "{} does not listen for submission: add `submission: true` to its entry under `mtas` in the scenario, or pick another with --node",
            plan.host(host).name
        )),
        None => Err(
            "no MTA of this scenario listens for submission: add `submission: true` to one under `mtas`"
                .to_owned(),
        ),
    }
}

/// The people who may log in at `node` to submit: its mailboxes and their
/// passwords (postmaster last).
pub fn accounts(plan: &Plan, node: HostId) -> Vec<(String, String)> {
    let mut accounts: Vec<(String, String)> = plan
        .mtas
        .iter()
        .filter(|m| m.host == node)
        .flat_map(|m| m.mailboxes.iter())
        .map(|(a, p)| (a.clone(), p.clone()))
        .collect();
    accounts.sort_by_key(|(a, _)| a.starts_with("postmaster@"));
    accounts
}

/// The DNS server to expose: the one the node asks, else the first.
pub fn dns_server(plan: &Plan, node: HostId) -> Option<usize> {
    let resolver = plan.host(node).resolver;
    plan.dns
        .iter()
        .position(|d| Some(plan.host(d.host).ip) == resolver)
        .or((!plan.dns.is_empty()).then_some(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hello() -> Plan {
        crate::scenario::load("hello").expect("bundled").plan
    }

    #[test]
    fn default_is_the_mx_of_the_first_recipient() {
        let plan = hello();
        let node = default(&plan).unwrap();
        assert_eq!(plan.host(node).name, "mx.example.net");
    }

    #[test]
    fn named_node_is_found_in_any_case_and_typos_get_a_suggestion() {
        let plan = hello();
        let node = named(&plan, "SMTP.example.org").unwrap();
        assert_eq!(plan.host(node).name, "smtp.example.org");
        let error = named(&plan, "mx.exmple.net").unwrap_err();
        assert!(
            error.contains("did you mean \"mx.example.net\"?"),
            "{error}"
        );
        let error = named(&plan, "ns.example.org").unwrap_err();
        assert!(
            error.contains("the MTAs are: smtp.example.org, mx.example.net"),
            "{error}"
        );
    }

    #[test]
    fn submission_goes_to_the_server_the_people_send_through() {
        let plan = hello();
        let node = submission(&plan, None).unwrap();
        assert_eq!(plan.host(node).name, "smtp.example.org");
        assert_eq!(
            accounts(&plan, node)[0],
            ("alice@example.org".to_owned(), "alice".to_owned())
        );
        let mx = named(&plan, "mx.example.net").unwrap();
        let error = submission(&plan, Some(mx)).unwrap_err();
        assert!(
            error.contains("mx.example.net does not listen for submission"),
            "{error}"
        );
    }

    #[test]
    fn the_dns_server_is_the_one_the_node_asks() {
        let plan = hello();
        let node = default(&plan).unwrap();
        let d = dns_server(&plan, node).unwrap();
        assert_eq!(plan.host(plan.dns[d].host).name, "ns.example.org");
    }
}
