//! Which recipients are ours, and in which mailbox each is filed.
//!
//! RFC 5321 §2.4: a local part is case-sensitive to everyone except the
//! host of its own domain. So case is folded here, and only here, when a
//! path of one of our domains is compared with our mailboxes; a relayed
//! path keeps the case it came with.

use crate::smtp::{ForwardPath, Host, Mailbox};

/// The domains an MTA delivers itself.
#[derive(Debug, Clone)]
pub(crate) struct LocalDomains {
    /// Lower case.
    domains: Vec<String>,
    hostname: String,
}

impl LocalDomains {
    pub fn new(domains: &[String], hostname: &str) -> LocalDomains {
        LocalDomains {
            domains: domains.iter().map(|d| d.to_ascii_lowercase()).collect(),
            hostname: hostname.to_ascii_lowercase(),
        }
    }

    pub fn is_local(&self, domain: &str) -> bool {
        self.domains.iter().any(|d| d.eq_ignore_ascii_case(domain))
    }

    /// The mailbox a recipient is filed in, or `None` when it is relayed.
    /// The bare `<Postmaster>` (§4.5.1) is the postmaster of the first
    /// local domain, or of the host itself when it has none: a server
    /// must accept it, so it must also have somewhere to put it.
    pub fn mailbox_of(&self, path: &ForwardPath) -> Option<String> {
        match path {
            ForwardPath::Postmaster => Some(format!(
                "postmaster@{}",
                self.domains.first().unwrap_or(&self.hostname)
            )),
            ForwardPath::Mailbox(m) => m
                .domain()
                .filter(|d| self.is_local(d))
                .map(|_| mailbox_key(m)),
        }
    }
}

/// `bob@example.net` for `BOB@Example.NET` or `"bob"@example.net`: the
/// name of one of our mailboxes, quotes removed where not needed (§4.1.2)
/// and case folded (ours to decide, §2.4).
pub(crate) fn mailbox_key(mailbox: &Mailbox) -> String {
    // Built in the local part's own String, folded in place when ASCII:
    // a `format!` and a lowercased copy were three allocations for every
    // recipient, looked up several times per message (engine5).
    let mut key = mailbox.canonical_local_part();
    key.push('@');
    match mailbox.host() {
        Host::Domain(domain) => key.push_str(domain),
        literal => {
            use std::fmt::Write as _;
            let _ = write!(key, "{literal}");
        }
    }
    if key.is_ascii() {
        key.make_ascii_lowercase();
        key
    } else {
        key.to_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(text: &str) -> ForwardPath {
        ForwardPath::parse(text).expect("a valid path")
    }

    #[test]
    fn local_mailboxes_fold_case_and_quotes_rfc5321_2_4() {
        let local = LocalDomains::new(&["example.net".to_owned()], "mx.example.net");
        for written in [
            "<bob@example.net>",
            "<BOB@Example.NET>",
            "<\"bob\"@example.net>",
        ] {
            assert_eq!(
                local.mailbox_of(&path(written)).as_deref(),
                Some("bob@example.net"),
                "{written}"
            );
        }
        assert_eq!(local.mailbox_of(&path("<Bob@example.org>")), None);
    }

    #[test]
    fn bare_postmaster_is_the_first_domains_postmaster_rfc5321_4_5_1() {
        let local = LocalDomains::new(&["Example.net".to_owned()], "mx.example.net");
        assert_eq!(
            local.mailbox_of(&path("<Postmaster>")).as_deref(),
            Some("postmaster@example.net")
        );
        assert_eq!(
            local
                .mailbox_of(&path("<PostMaster@example.net>"))
                .as_deref(),
            Some("postmaster@example.net")
        );
        // A relay-only host still has a postmaster for the bare form.
        let relay = LocalDomains::new(&[], "mx2.example.net");
        assert_eq!(
            relay.mailbox_of(&path("<Postmaster>")).as_deref(),
            Some("postmaster@mx2.example.net")
        );
    }
}
