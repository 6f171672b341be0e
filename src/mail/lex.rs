//! The one scanner for header field bodies: which characters stand
//! outside quoted strings and comments (RFC 5322 §3.2.4, §3.2.2), and
//! whether an angle-addr (`<...>`, §3.4) is open around them. Address
//! lists split, groups end and a Received field's date starts only at
//! such characters.

/// A character outside quotes and comments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bare {
    /// Its byte offset in the field body.
    pub at: usize,
    pub c: char,
    /// Inside `<...>`, where a `,` or `;` is part of the address.
    pub in_angle: bool,
}

/// The characters of `value` outside quoted strings and comments, in
/// order. A quoted-pair (`\x`) is never bare; comments nest (§3.2.2).
pub fn bare(value: &str) -> impl Iterator<Item = Bare> + '_ {
    let (mut in_quote, mut escaped, mut depth, mut in_angle) = (false, false, 0usize, false);
    value.char_indices().filter_map(move |(at, c)| {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' if depth == 0 => in_quote = !in_quote,
            _ if in_quote => {}
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            _ if depth > 0 => {}
            _ => {
                match c {
                    '<' => in_angle = true,
                    '>' => in_angle = false,
                    _ => {}
                }
                return Some(Bare { at, c, in_angle });
            }
        }
        None
    })
}

/// Where `wanted` first stands outside quotes and comments.
pub fn find_bare(value: &str, wanted: char) -> Option<usize> {
    bare(value).find(|b| b.c == wanted).map(|b| b.at)
}

/// Whether a bare character separates items: `,` or `;` outside `<...>`.
pub fn separates(b: &Bare, separators: &[char]) -> bool {
    !b.in_angle && separators.contains(&b.c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(value: &str) -> String {
        bare(value).map(|b| b.c).collect()
    }

    #[test]
    fn quoted_strings_are_not_bare_rfc5322_3_2_4() {
        assert_eq!(chars(r#""Doe, John" <j@x>"#), " <j@x>");
        assert_eq!(chars(r#""say \"hi\", ok" a"#), " a");
        assert_eq!(find_bare(r#""a:b" c:d"#, ':'), Some(7));
    }

    #[test]
    fn comments_nest_and_are_not_bare_rfc5322_3_2_2() {
        assert_eq!(chars("a (x (y, z) w) b"), "a  b");
        assert_eq!(chars(r"a (\) still comment) b"), "a  b");
        // A quote inside a comment opens nothing.
        assert_eq!(chars(r#"(it's "x) b"#), " b");
    }

    #[test]
    fn an_angle_addr_holds_its_own_commas_rfc5322_3_4() {
        let seps: Vec<usize> = bare("a <b,c>, d; e")
            .filter(|b| separates(b, &[',', ';']))
            .map(|b| b.at)
            .collect();
        assert_eq!(seps, [7, 10]);
    }

    #[test]
    fn hostile_input_ends_the_scan_without_panicking() {
        for value in [")))", "(((", "\"", "\\", "<<>>", "é,(ü", ""] {
            let _ = bare(value).count();
        }
    }
}
