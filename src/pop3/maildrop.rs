//! What a POP3 server asks its host: is this password right, what is in
//! this user's maildrop, and (in the UPDATE state) remove these messages.
//!
//! The server takes a snapshot at login and works on it for the whole
//! session (RFC 1939 §4: message numbers and sizes stay fixed while a
//! session lasts); mail that arrives meanwhile shows up in the next one.
//! Messages are named by their unique id (RFC 1939 §7), never by number,
//! because numbers belong to one session only.

use std::collections::BTreeMap;
use std::sync::Arc;

/// The host's side of a POP3 server.
pub trait Maildrop {
    fn authenticate(&mut self, user: &str, password: &str) -> bool;
    /// A snapshot of the user's messages at login: (unique id, content bytes).
    ///
    /// A unique id should be 1 to 70 characters from `!` to `~` (RFC 1939
    /// §7); the server drops other characters from the id it shows in UIDL
    /// and keeps the original for [`Maildrop::delete`]. Content is RFC 5322
    /// text with CRLF line ends, as SMTP delivered it.
    fn open(&mut self, user: &str) -> Vec<(String, Arc<[u8]>)>;
    /// UPDATE state: remove these unique ids. Called only after QUIT in
    /// the TRANSACTION state, and only when something was marked. An id
    /// that is already gone (another session removed it) is no error.
    fn delete(&mut self, user: &str, uids: &[String]);
}

/// Maildrops kept in memory: accounts with a password and messages. For
/// tests, demos and small worlds.
#[derive(Debug, Clone, Default)]
pub struct MemoryMaildrop {
    accounts: BTreeMap<String, Account>,
}

#[derive(Debug, Clone, Default)]
struct Account {
    password: String,
    messages: Vec<(String, Arc<[u8]>)>,
}

impl MemoryMaildrop {
    pub fn new() -> MemoryMaildrop {
        MemoryMaildrop::default()
    }

    /// Adds an account with an empty maildrop.
    pub fn with_account(mut self, user: &str, password: &str) -> MemoryMaildrop {
        self.accounts.insert(
            user.to_owned(),
            Account {
                password: password.to_owned(),
                messages: Vec::new(),
            },
        );
        self
    }

    /// Appends a message to `user`'s maildrop; false if there is no such
    /// account.
    pub fn deliver(&mut self, user: &str, uid: &str, content: impl Into<Arc<[u8]>>) -> bool {
        let Some(account) = self.accounts.get_mut(user) else {
            return false;
        };
        account.messages.push((uid.to_owned(), content.into()));
        true
    }

    /// What `user`'s maildrop holds now.
    pub fn messages(&self, user: &str) -> &[(String, Arc<[u8]>)] {
        self.accounts
            .get(user)
            .map_or(&[], |account| account.messages.as_slice())
    }
}

impl Maildrop for MemoryMaildrop {
    fn authenticate(&mut self, user: &str, password: &str) -> bool {
        self.accounts
            .get(user)
            .is_some_and(|account| account.password == password)
    }

    fn open(&mut self, user: &str) -> Vec<(String, Arc<[u8]>)> {
        self.messages(user).to_vec()
    }

    fn delete(&mut self, user: &str, uids: &[String]) {
        if let Some(account) = self.accounts.get_mut(user) {
            account.messages.retain(|(uid, _)| !uids.contains(uid));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_maildrop_keeps_accounts_apart() {
        let mut drop = MemoryMaildrop::new()
            .with_account("bob", "pw")
            .with_account("eve", "x");
        assert!(drop.deliver("bob", "u1", &b"a\r\n"[..]));
        assert!(drop.deliver("bob", "u2", &b"b\r\n"[..]));
        assert!(!drop.deliver("nobody", "u3", &b"c\r\n"[..]));
        assert!(drop.authenticate("bob", "pw"));
        assert!(!drop.authenticate("bob", "x"));
        assert!(!drop.authenticate("nobody", ""));
        assert_eq!(drop.open("bob").len(), 2);
        assert!(drop.open("eve").is_empty());
        drop.delete("bob", &["u1".into(), "gone".into()]);
        assert_eq!(drop.messages("bob")[0].0, "u2");
    }
}
