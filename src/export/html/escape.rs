//! Text made safe for HTML and inline SVG: the five characters that
//! could start markup or end an attribute become entity references, and
//! control characters (which HTML forbids) become their visible Unicode
//! pictures, so a hostile message body is shown, never obeyed.

/// `text` escaped for an element's content or a quoted attribute value.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    push(&mut out, text);
    out
}

/// Appends `text`, escaped, to `out`.
pub fn push(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' => out.push(c),
            // C0 controls as ␀…␟ (U+2400 + code), DEL as ␡.
            c if (c as u32) < 0x20 => {
                out.push(char::from_u32(0x2400 + c as u32).unwrap_or('\u{FFFD}'))
            }
            '\u{7f}' => out.push('␡'),
            // C1 controls and noncharacters are parse errors in HTML.
            c if ('\u{80}'..='\u{9f}').contains(&c) || is_noncharacter(c) => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
}

/// U+FDD0..U+FDEF and every code point ending in FFFE or FFFF.
fn is_noncharacter(c: char) -> bool {
    let n = c as u32;
    (0xFDD0..=0xFDEF).contains(&n) || n & 0xFFFE == 0xFFFE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_characters_become_entities() {
        assert_eq!(
            escape(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
    }

    #[test]
    fn control_characters_become_visible() {
        assert_eq!(escape("a\u{0}b\u{1b}c\u{7f}\u{85}"), "a␀b␛c␡�");
        assert_eq!(escape("tab\there"), "tab\there");
        assert_eq!(escape("\u{FFFE}\u{1FFFF}"), "��");
    }
}
