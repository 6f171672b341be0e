//! Addresses as the letter writes them (RFC 5322 §3.4): a mailbox with an
//! optional display name, `Alice Example <alice@example.org>`.
//!
//! The SMTP envelope carries bare mailboxes (`<alice@example.org>`, see
//! [`crate::smtp::Mailbox`]); the `From:`, `To:` and `Cc:` fields of the
//! letter carry them for people to read, usually with a name. The two need
//! not agree: what the recipient's screen shows in `To:` says nothing
//! about where the message was really sent. That is the lesson of Bcc.
//!
//! A display name is written as plain words when it is made of `atext`
//! (§3.2.3), as a quoted string when it has specials such as `,` or `.`
//! (§3.2.4), and as RFC 2047 encoded words when it is not ASCII.

use std::fmt;

use crate::smtp::Mailbox;

use super::{encoded_word, lex};

/// `[display-name] <addr-spec>`, RFC 5322 §3.4.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NamedMailbox {
    /// The human name, as the user wrote it (not encoded).
    pub display_name: Option<String>,
    pub mailbox: Mailbox,
}

impl NamedMailbox {
    /// A mailbox without a name: written `alice@example.org`.
    pub fn new(mailbox: Mailbox) -> NamedMailbox {
        NamedMailbox {
            display_name: None,
            mailbox,
        }
    }

    /// A mailbox with a name: written `Alice Example <alice@example.org>`.
    pub fn named(display_name: &str, mailbox: Mailbox) -> NamedMailbox {
        NamedMailbox {
            display_name: Some(display_name.to_owned()),
            mailbox,
        }
    }

    /// Reads one `name-addr` or `addr-spec` (§3.4), tolerating comments,
    /// quoted names and encoded words: `"Doe, Jane" <jane@example.org>`,
    /// `=?utf-8?B?...?= <x@example.org>`, `bob@example.net (Bob)`.
    pub fn parse(text: &str) -> Option<NamedMailbox> {
        let text = text.trim();
        if let Some(open) = lex::find_bare(text, '<') {
            let close = text[open..].find('>')? + open;
            let mailbox = Mailbox::parse(text[open + 1..close].trim()).ok()?;
            let name = phrase_text(&text[..open]);
            return Some(NamedMailbox {
                display_name: (!name.is_empty()).then_some(name),
                mailbox,
            });
        }
        let bare = strip_comments(text);
        Mailbox::parse(bare.trim()).ok().map(NamedMailbox::new)
    }

    /// Reads an `address-list` (§3.4): addresses separated by commas
    /// outside quotes, brackets and comments. A group (`team: a@x, b@y;`,
    /// or the empty `undisclosed-recipients:;`) gives its members. What
    /// does not parse is skipped.
    pub fn parse_list(value: &str) -> Vec<NamedMailbox> {
        split_list(value)
            .into_iter()
            .filter_map(|item| {
                let item = strip_group_syntax(item);
                NamedMailbox::parse(item)
            })
            .collect()
    }
}

impl From<Mailbox> for NamedMailbox {
    fn from(mailbox: Mailbox) -> Self {
        NamedMailbox::new(mailbox)
    }
}

impl fmt::Display for NamedMailbox {
    /// The header form, before folding.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self
            .display_name
            .as_deref()
            .map(super::fold::sanitize)
            .filter(|n| !n.is_empty());
        match name {
            None => write!(f, "{}", self.mailbox),
            Some(name) => write!(f, "{} <{}>", phrase(&name), self.mailbox),
        }
    }
}

/// A display name as a `phrase` (§3.2.5): words, a quoted string, or
/// encoded words.
fn phrase(name: &str) -> String {
    let is_atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c);
    if encoded_word::needs_encoding(name) {
        encoded_word::encode(name)
    } else if name
        .split(' ')
        .all(|w| !w.is_empty() && w.chars().all(is_atext))
    {
        name.to_owned()
    } else {
        let escaped = name.replace('\\', "\\\\").replace('"', "\\\"");
        format!("\"{escaped}\"")
    }
}

/// The text of a phrase as read: quotes and escapes removed, comments
/// dropped, encoded words decoded, whitespace collapsed.
fn phrase_text(raw: &str) -> String {
    let mut out = String::new();
    let mut chars = strip_comments(raw).chars().collect::<Vec<_>>().into_iter();
    let mut in_quote = false;
    while let Some(c) = chars.next() {
        match c {
            '"' => in_quote = !in_quote,
            '\\' if in_quote => out.extend(chars.next()),
            _ => out.push(c),
        }
    }
    let decoded = encoded_word::decode(&out);
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Removes `(comments)` outside quoted strings (§3.2.2).
fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut depth = 0usize;
    let mut in_quote = false;
    let mut escaped = false;
    for c in text.chars() {
        if escaped {
            escaped = false;
            if depth == 0 {
                out.push(c);
            }
            continue;
        }
        match c {
            '\\' if in_quote || depth > 0 => {
                escaped = true;
                if depth == 0 {
                    out.push(c);
                }
            }
            '"' if depth == 0 => {
                in_quote = !in_quote;
                out.push(c);
            }
            '(' if !in_quote => depth += 1,
            ')' if !in_quote && depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// Splits at commas that are outside quotes, comments and `<...>`; a `;`
/// ends a group and separates too.
fn split_list(value: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let mut start = 0;
    for b in lex::bare(value).filter(|b| lex::separates(b, &[',', ';'])) {
        items.push(&value[start..b.at]);
        start = b.at + 1;
    }
    items.push(&value[start..]);
    items.into_iter().filter(|s| !s.trim().is_empty()).collect()
}

/// `display-name ":"` opens a group (§3.4); the first member follows it.
fn strip_group_syntax(item: &str) -> &str {
    match lex::find_bare(item, ':') {
        Some(colon) if lex::find_bare(item, '<').is_none_or(|lt| colon < lt) => &item[colon + 1..],
        _ => item,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mb(text: &str) -> Mailbox {
        Mailbox::parse(text).unwrap()
    }

    #[test]
    fn plain_display_name_is_words_rfc5322_3_4() {
        let a = NamedMailbox::named("Alice Example", mb("alice@example.org"));
        assert_eq!(a.to_string(), "Alice Example <alice@example.org>");
        let bare = NamedMailbox::new(mb("bob@example.net"));
        assert_eq!(bare.to_string(), "bob@example.net");
    }

    #[test]
    fn specials_in_a_name_are_quoted_rfc5322_3_2_4() {
        let a = NamedMailbox::named(r#"Doe, Jane "JD" \ Q."#, mb("jane@example.org"));
        assert_eq!(
            a.to_string(),
            r#""Doe, Jane \"JD\" \\ Q." <jane@example.org>"#
        );
        assert_eq!(NamedMailbox::parse(&a.to_string()), Some(a));
    }

    #[test]
    fn non_ascii_name_is_encoded_rfc2047_5() {
        let a = NamedMailbox::named("Jörg Müller", mb("joerg@example.org"));
        let written = a.to_string();
        assert!(written.is_ascii());
        assert!(written.starts_with("=?utf-8?B?"));
        assert_eq!(NamedMailbox::parse(&written), Some(a));
    }

    #[test]
    fn address_list_with_groups_and_comments_rfc5322_3_4() {
        let list = NamedMailbox::parse_list(
            r#""Doe, Jane" <jane@example.org>, bob@example.net (Bob), team: c@example.com, d@example.com;, undisclosed-recipients:;"#,
        );
        let addrs: Vec<String> = list.iter().map(|a| a.mailbox.to_string()).collect();
        assert_eq!(
            addrs,
            [
                "jane@example.org",
                "bob@example.net",
                "c@example.com",
                "d@example.com"
            ]
        );
        assert_eq!(list[0].display_name.as_deref(), Some("Doe, Jane"));
        assert_eq!(list[1].display_name, None);
    }

    #[test]
    fn junk_addresses_are_skipped_not_fatal() {
        assert!(NamedMailbox::parse_list("<<<, \"unterminated, (((, @, a@").is_empty());
        assert_eq!(NamedMailbox::parse("Name <broken"), None);
    }
}
