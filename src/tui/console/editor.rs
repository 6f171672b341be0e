//! The console's input line: a cursor that moves by characters (never
//! inside one), the usual editing keys, and a history walked with ↑ ↓
//! that keeps the line being typed when one walks back down to it.

/// How many lines the history keeps.
pub const HISTORY: usize = 200;

/// The longest line the console takes: SMTP's own limit for a command
/// line is 512 octets with its CR LF, and 1000 for a line of text (RFC
/// 5321 §4.5.3.1.4, §4.5.3.1.6). A little more, so that a student can
/// see what a server says to a line that is too long.
pub const MAX_CHARS: usize = 1100;

#[derive(Debug, Default, Clone)]
pub struct Editor {
    line: Vec<char>,
    /// Cursor, in characters from the start: 0 ..= len.
    cursor: usize,
    history: Vec<String>,
    /// Where ↑ ↓ stand in the history; `None` on the line being typed.
    walking: Option<usize>,
    /// The line being typed, kept while the history is walked.
    draft: String,
}

impl Editor {
    pub fn text(&self) -> String {
        self.line.iter().collect()
    }

    pub fn cursor(&self) -> usize {
        self.cursor
    }

    pub fn is_empty(&self) -> bool {
        self.line.is_empty()
    }

    pub fn insert(&mut self, c: char) {
        if self.line.len() < MAX_CHARS && !c.is_control() {
            self.line.insert(self.cursor, c);
            self.cursor += 1;
        }
    }

    pub fn left(&mut self) {
        self.cursor = self.cursor.saturating_sub(1);
    }

    pub fn right(&mut self) {
        self.cursor = (self.cursor + 1).min(self.line.len());
    }

    pub fn home(&mut self) {
        self.cursor = 0;
    }

    pub fn end(&mut self) {
        self.cursor = self.line.len();
    }

    /// Deletes the character before the cursor.
    pub fn backspace(&mut self) {
        if self.cursor > 0 {
            self.cursor -= 1;
            self.line.remove(self.cursor);
        }
    }

    /// Deletes the character under the cursor.
    pub fn delete(&mut self) {
        if self.cursor < self.line.len() {
            self.line.remove(self.cursor);
        }
    }

    /// Deletes from the start of the line to the cursor (Ctrl-U).
    pub fn kill_to_start(&mut self) {
        self.line.drain(..self.cursor);
        self.cursor = 0;
    }

    /// Deletes the word before the cursor (Ctrl-W).
    pub fn kill_word(&mut self) {
        let mut start = self.cursor;
        while start > 0 && self.line[start - 1] == ' ' {
            start -= 1;
        }
        while start > 0 && self.line[start - 1] != ' ' {
            start -= 1;
        }
        self.line.drain(start..self.cursor);
        self.cursor = start;
    }

    /// Replaces the whole line; the cursor goes to its end.
    pub fn set(&mut self, text: &str) {
        self.line = text.chars().take(MAX_CHARS).collect();
        self.cursor = self.line.len();
    }

    /// Takes the line out (Enter), keeping it in the history unless it is
    /// empty or repeats the last one.
    pub fn take(&mut self) -> String {
        let text = self.text();
        self.line.clear();
        self.cursor = 0;
        self.walking = None;
        self.draft.clear();
        if !text.trim().is_empty() && self.history.last() != Some(&text) {
            self.history.push(text.clone());
            if self.history.len() > HISTORY {
                self.history.remove(0);
            }
        }
        text
    }

    /// The line before in the history (↑).
    pub fn older(&mut self) {
        let at = match self.walking {
            None if self.history.is_empty() => return,
            None => {
                self.draft = self.text();
                self.history.len() - 1
            }
            Some(0) => return,
            Some(i) => i - 1,
        };
        self.walking = Some(at);
        let text = self.history[at].clone();
        self.set(&text);
    }

    /// The line after in the history (↓); past the newest, the line that
    /// was being typed.
    pub fn newer(&mut self) {
        let Some(i) = self.walking else { return };
        if i + 1 < self.history.len() {
            self.walking = Some(i + 1);
            let text = self.history[i + 1].clone();
            self.set(&text);
        } else {
            self.walking = None;
            let draft = std::mem::take(&mut self.draft);
            self.set(&draft);
        }
    }

    pub fn history(&self) -> &[String] {
        &self.history
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(text: &str) -> Editor {
        let mut e = Editor::default();
        text.chars().for_each(|c| e.insert(c));
        e
    }

    #[test]
    fn the_cursor_moves_by_characters_and_edits_where_it_stands() {
        let mut e = typed("RCPT TO:<bób@example.net>");
        e.home();
        e.delete();
        e.insert('r');
        assert_eq!(e.text(), "rCPT TO:<bób@example.net>");
        e.end();
        e.left();
        e.left();
        e.backspace();
        assert_eq!(e.text(), "rCPT TO:<bób@example.nt>");
        // Never past either end.
        for _ in 0..100 {
            e.right();
        }
        assert_eq!(e.cursor(), e.text().chars().count());
        for _ in 0..100 {
            e.left();
        }
        e.backspace();
        assert_eq!(e.cursor(), 0);
        assert_eq!(e.text(), "rCPT TO:<bób@example.nt>");
    }

    #[test]
    fn ctrl_w_and_ctrl_u_delete_a_word_and_the_start() {
        let mut e = typed("MAIL FROM:<a@b>  ");
        e.kill_word();
        assert_eq!(e.text(), "MAIL ");
        e.insert('X');
        e.home();
        e.right();
        e.right();
        e.kill_to_start();
        assert_eq!(e.text(), "IL X");
        assert_eq!(e.cursor(), 0);
    }

    #[test]
    fn history_walks_back_and_returns_to_the_line_being_typed() {
        let mut e = Editor::default();
        for line in ["EHLO a", "MAIL FROM:<a@b>", "MAIL FROM:<a@b>", ""] {
            e.set(line);
            e.take();
        }
        assert_eq!(e.history(), ["EHLO a", "MAIL FROM:<a@b>"]);
        e.set("RCPT");
        e.older();
        assert_eq!(e.text(), "MAIL FROM:<a@b>");
        e.older();
        e.older();
        assert_eq!(e.text(), "EHLO a");
        e.newer();
        assert_eq!(e.text(), "MAIL FROM:<a@b>");
        e.newer();
        assert_eq!(e.text(), "RCPT");
        e.newer();
        assert_eq!(e.text(), "RCPT");
    }

    #[test]
    fn control_characters_and_overlong_lines_are_kept_out() {
        let mut e = typed("a\u{7}b\r");
        assert_eq!(e.text(), "ab");
        for _ in 0..MAX_CHARS + 10 {
            e.insert('x');
        }
        assert_eq!(e.text().chars().count(), MAX_CHARS);
    }
}
