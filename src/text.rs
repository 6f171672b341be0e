//! Plain-text helpers every face of the crate needs: how far apart two
//! words are (for "did you mean ...?") and filling words into lines.
//!
//! Both count characters, not bytes, so a name or a reply with letters
//! outside ASCII is measured as a reader sees it.

/// Optimal string alignment distance: inserting, deleting or changing a
/// character, or swapping two neighbours, each cost one. "rctp" is one
/// from "rcpt", as a typist would count it.
pub fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Three rows of the table: before last, last, current.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut last: Vec<usize> = (0..=b.len()).collect();
    let mut row: Vec<usize> = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        row[0] = i;
        for j in 1..=b.len() {
            let change = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (last[j] + 1).min(row[j - 1] + 1).min(last[j - 1] + change);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(before[j - 2] + 1);
            }
            row[j] = best;
        }
        std::mem::swap(&mut before, &mut last);
        std::mem::swap(&mut last, &mut row);
    }
    last[b.len()]
}

/// The candidate nearest to `word`, ignoring case, if it is at most
/// `max_distance` edits away and is not `word` itself; of equally near
/// ones, the first.
pub fn closest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    max_distance: usize,
) -> Option<&'a str> {
    let word_lower = word.to_lowercase();
    candidates
        .into_iter()
        .filter(|c| *c != word)
        .map(|c| (distance(&word_lower, &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= max_distance)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Fills the words of `text` into lines of at most `width` characters,
/// each starting with `indent`; a word longer than a line stands alone.
/// Line breaks in `text` count as spaces. There is always one line, if
/// only the indent.
pub fn wrap(text: &str, width: usize, indent: &str) -> Vec<String> {
    let room = width.saturating_sub(indent.chars().count()).max(1);
    let mut lines = Vec::new();
    let mut line = String::from(indent);
    let mut used = 0;
    for word in text.split_whitespace() {
        let length = word.chars().count();
        if used > 0 && used + 1 + length > room {
            lines.push(std::mem::replace(&mut line, String::from(indent)));
            used = 0;
        }
        if used > 0 {
            line.push(' ');
            used += 1;
        }
        line.push_str(word);
        used += length;
    }
    lines.push(line);
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swapped_neighbours_cost_one() {
        assert_eq!(distance("rctp", "rcpt"), 1);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("abc", ""), 3);
        assert_eq!(distance("550", "550"), 0);
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("exmaple", "example"), 1);
        assert_eq!(distance("ça", "ca"), 1);
    }

    #[test]
    fn closest_is_near_different_and_first_of_equals() {
        let names = ["latency", "seed", "jitter"];
        assert_eq!(closest("latancy", names, 1), Some("latency"));
        assert_eq!(closest("LATENCY", names, 0), Some("latency"));
        assert_eq!(closest("latency", names, 3), None);
        assert_eq!(closest("zzz", names, 2), None);
        assert_eq!(closest("ab", ["ac", "ad"], 1), Some("ac"));
    }

    #[test]
    fn wrapping_keeps_lines_short_and_words_whole() {
        let text = "word ".repeat(40);
        let lines = wrap(&text, 30, "    ");
        assert!(lines.iter().all(|l| l.chars().count() <= 30));
        assert!(lines.iter().all(|l| l.starts_with("    ")));
        assert_eq!(lines.concat().split_whitespace().count(), 40);
        assert_eq!(wrap("a\nb  c", 72, ""), ["a b c"]);
        assert_eq!(wrap("", 72, "  "), ["  "]);
        assert_eq!(wrap("tiny enormousword", 8, ""), ["tiny", "enormousword"]);
    }
}
