//! Dot-stuffing, shared by SMTP and POP3: message data after SMTP's `354`
//! (RFC 5321 §4.5.2) and a POP3 multi-line response (RFC 1939 §3) both
//! double a line's leading dot and end with `CRLF.CRLF`. Here: stuffing on
//! the way out, and on the way in unstuffing plus the one true end of
//! data, `CRLF.CRLF` (RFC 5321 §4.1.1.4).
//!
//! A bare CR or a bare LF never ends a line and never starts one, so no
//! combination of them with a dot ends the data: that is what defeats SMTP
//! smuggling (CVE-2023-51764/5/6). The receiver records that it saw them;
//! the protocol decides whether to keep such a message or refuse it.

/// Longest text line, CRLF included (RFC 5321 §4.5.3.1.6; the 998
/// characters of RFC 5322 §2.1.1 plus CRLF): a rule of the message, so the
/// receiver notes it whichever protocol carries the message.
pub const MAX_TEXT_LINE: usize = 1000;

/// Where in a line the receiver stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum At {
    /// Just after CRLF (or at the very start of the data).
    LineStart,
    /// After a `.` at the start of a line.
    Dot,
    /// After `.` CR at the start of a line: LF now ends the data.
    DotCr,
    /// Inside a line.
    Text,
    /// After a CR inside a line.
    Cr,
}

/// What the receiver noticed about the data, for the end-of-data verdict.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DataFaults {
    /// Line number (1-based) of the first bare LF, if any.
    pub first_bare_lf: Option<usize>,
    /// Line number of the first bare CR, if any.
    pub first_bare_cr: Option<usize>,
    /// Line number and length of the first line over `MAX_TEXT_LINE`.
    pub first_long_line: Option<(usize, usize)>,
    /// The message grew past the size limit; the excess was not kept.
    pub oversized: bool,
}

/// Receives the data of one message, keeping at most `max_size` octets.
#[derive(Debug)]
pub struct DataReceiver {
    at: At,
    content: Vec<u8>,
    max_size: usize,
    /// Octets of the message, counted even past `max_size`.
    size: usize,
    line: usize,
    line_len: usize,
    faults: DataFaults,
}

impl DataReceiver {
    pub fn new(max_size: usize) -> DataReceiver {
        DataReceiver {
            at: At::LineStart,
            content: Vec::new(),
            max_size,
            size: 0,
            line: 1,
            line_len: 0,
            faults: DataFaults::default(),
        }
    }

    /// Takes bytes; returns how many it used, and whether the end of data
    /// was among them. Bytes after the end belong to the command stream.
    pub fn ingest(&mut self, input: &[u8]) -> (usize, bool) {
        let mut i = 0;
        while i < input.len() {
            // Inside a line only CR and LF matter: take the text up to the
            // next one in one copy (most of a message), and walk the rest
            // byte by byte.
            if self.at == At::Text {
                let run = memchr::memchr2(b'\r', b'\n', &input[i..]).unwrap_or(input.len() - i);
                if run > 0 {
                    self.line_len += run;
                    self.keep_all(&input[i..i + run]);
                    i += run;
                    continue;
                }
            }
            let b = input[i];
            // The leading dot removed by unstuffing does not count towards
            // the 1000 octets (§4.5.3.1.6).
            if !(self.at == At::LineStart && b == b'.') {
                self.line_len += 1;
            }
            match (self.at, b) {
                (At::LineStart, b'.') => self.at = At::Dot,
                (At::Dot, b'\r') => self.at = At::DotCr,
                (At::DotCr, b'\n') => return (i + 1, true),
                (At::DotCr, _) => {
                    // `.` CR then something else: the CR was bare.
                    self.note_bare_cr();
                    self.keep(b'\r');
                    self.text_byte(b);
                }
                // A leading dot is removed (§4.5.2): `..x` becomes `.x`.
                (At::LineStart | At::Dot | At::Text, _) => self.text_byte(b),
                (At::Cr, b'\n') => {
                    self.keep(b'\r');
                    self.keep(b'\n');
                    self.end_line();
                }
                (At::Cr, _) => {
                    self.note_bare_cr();
                    self.keep(b'\r');
                    self.text_byte(b);
                }
            }
            i += 1;
        }
        (input.len(), false)
    }

    /// A byte inside a line (never the LF of a CRLF).
    fn text_byte(&mut self, b: u8) {
        match b {
            b'\r' => self.at = At::Cr,
            b'\n' => {
                if self.faults.first_bare_lf.is_none() {
                    self.faults.first_bare_lf = Some(self.line);
                }
                self.keep(b'\n');
                self.at = At::Text;
            }
            _ => {
                self.keep(b);
                self.at = At::Text;
            }
        }
    }

    fn note_bare_cr(&mut self) {
        if self.faults.first_bare_cr.is_none() {
            self.faults.first_bare_cr = Some(self.line);
        }
    }

    fn end_line(&mut self) {
        if self.line_len > MAX_TEXT_LINE && self.faults.first_long_line.is_none() {
            self.faults.first_long_line = Some((self.line, self.line_len));
        }
        self.line += 1;
        self.line_len = 0;
        self.at = At::LineStart;
    }

    /// `keep` for each of `bytes`, in one copy.
    fn keep_all(&mut self, bytes: &[u8]) {
        let room = self.max_size.saturating_sub(self.size);
        self.content
            .extend_from_slice(&bytes[..bytes.len().min(room)]);
        self.size += bytes.len();
        if self.size > self.max_size {
            self.faults.oversized = true;
        }
    }

    fn keep(&mut self, b: u8) {
        self.size += 1;
        if self.size <= self.max_size {
            self.content.push(b);
        } else {
            self.faults.oversized = true;
        }
    }

    /// Octets received so far (after unstuffing), including any not kept.
    pub fn size(&self) -> usize {
        self.size
    }

    /// The message and what was noticed about it.
    pub fn finish(self) -> (Vec<u8>, DataFaults) {
        (self.content, self.faults)
    }
}

/// The faults a [`DataReceiver`] would note in `content` had it come
/// unstuffed: for a message that arrived counted (SMTP's BDAT, RFC 3030)
/// and is text all the same, so the same line rules apply to it.
pub fn text_faults(content: &[u8]) -> DataFaults {
    let mut faults = DataFaults::default();
    let (mut line, mut line_len) = (1, 0);
    for (i, &b) in content.iter().enumerate() {
        line_len += 1;
        let after_cr = i > 0 && content[i - 1] == b'\r';
        let before_lf = content.get(i + 1) == Some(&b'\n');
        match b {
            b'\n' if after_cr => {
                if line_len > MAX_TEXT_LINE && faults.first_long_line.is_none() {
                    faults.first_long_line = Some((line, line_len));
                }
                line += 1;
                line_len = 0;
            }
            b'\n' => {
                faults.first_bare_lf.get_or_insert(line);
            }
            b'\r' if !before_lf => {
                faults.first_bare_cr.get_or_insert(line);
            }
            _ => {}
        }
    }
    // An unended last line gets its CRLF if it ever travels by DATA.
    if line_len > 0 && line_len + 2 > MAX_TEXT_LINE && faults.first_long_line.is_none() {
        faults.first_long_line = Some((line, line_len + 2));
    }
    faults
}

/// Dot-stuffs `content` and appends the end-of-data line (RFC 5321 §4.5.2).
///
/// A line starts after CRLF only, as the receiver sees it. Content that
/// does not end in CRLF gets one, so that `.` starts a line of its own.
pub fn stuff(content: &[u8], out: &mut Vec<u8>) {
    out.reserve(content.len() + content.len() / 64 + 5);
    // A dot starts a line at the very start or right after CRLF; a bare CR
    // or LF starts none. Copy the runs between such dots whole.
    let mut from = 0;
    if content.first() == Some(&b'.') {
        out.push(b'.');
    }
    for at in memchr::memmem::find_iter(content, b"\r\n.") {
        let dot = at + 2;
        out.extend_from_slice(&content[from..dot]);
        out.push(b'.');
        from = dot;
    }
    out.extend_from_slice(&content[from..]);
    if !content.is_empty() && !content.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Bytes rich in what the receiver looks at: CR, LF and dots.
    fn wire() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(
            prop_oneof![
                Just(b'\r'),
                Just(b'\n'),
                Just(b'.'),
                Just(b'a'),
                any::<u8>()
            ],
            0..400,
        )
    }

    /// Feeds `wire` in pieces of `step` octets (the last may be shorter)
    /// until the end of data: (octets used, whether it ended, content,
    /// faults).
    fn feed(wire: &[u8], step: usize, max: usize) -> (usize, bool, Vec<u8>, DataFaults) {
        let mut rx = DataReceiver::new(max);
        let mut used = 0;
        let mut done = false;
        for piece in wire.chunks(step.max(1)) {
            let (n, end) = rx.ingest(piece);
            used += n;
            if end {
                done = true;
                break;
            }
        }
        let (content, faults) = rx.finish();
        (used, done, content, faults)
    }

    proptest! {
        /// The bulk copy inside a line must not change what the receiver
        /// finds: fed whole, it agrees with being fed one octet at a time
        /// (where every octet takes the byte-wise path), at any size limit.
        #[test]
        fn fed_whole_or_octet_by_octet_the_receiver_agrees(
            wire in wire(), step in 2usize..64, max in 0usize..500
        ) {
            let one = feed(&wire, 1, max);
            prop_assert_eq!(&feed(&wire, wire.len().max(1), max), &one);
            prop_assert_eq!(&feed(&wire, step, max), &one);
        }

        /// RFC 5321 §4.5.2: whatever the content, stuffing then unstuffing
        /// gives it back, and the end of data comes exactly at the end.
        #[test]
        fn stuffed_content_comes_back_exactly_rfc5321_4_5_2(content in wire()) {
            let mut wire = Vec::new();
            stuff(&content, &mut wire);
            let (used, done, got, _) = feed(&wire, wire.len(), 1 << 20);
            prop_assert!(done);
            prop_assert_eq!(used, wire.len());
            let mut want = content.clone();
            if !want.is_empty() && !want.ends_with(b"\r\n") {
                want.extend_from_slice(b"\r\n");
            }
            prop_assert_eq!(got, want);
        }
    }

    fn receive(wire: &[u8]) -> (Option<usize>, Vec<u8>, DataFaults) {
        let mut rx = DataReceiver::new(1 << 20);
        let (used, done) = rx.ingest(wire);
        let (content, faults) = rx.finish();
        (done.then_some(used), content, faults)
    }

    #[test]
    fn end_of_data_is_crlf_dot_crlf_rfc5321_4_1_1_4() {
        let (end, content, _) = receive(b"Subject: x\r\n\r\nhi\r\n.\r\nQUIT\r\n");
        assert_eq!(end, Some(21));
        assert_eq!(content, b"Subject: x\r\n\r\nhi\r\n");
    }

    #[test]
    fn empty_message_ends_at_once() {
        assert_eq!(receive(b".\r\n").0, Some(3));
    }

    #[test]
    fn leading_dot_is_removed_rfc5321_4_5_2() {
        let (_, content, _) = receive(b"..hidden\r\n.x\r\n.\r\n");
        assert_eq!(content, b".hidden\r\nx\r\n");
    }

    #[test]
    fn smuggling_sequences_never_end_data_cve_2023_51764() {
        for seq in [
            &b"\n.\n"[..],
            b"\n.\r\n",
            b"\r.\r",
            b"\r.\n",
            b"\n.\r",
            b"\r.\r\n",
            b"\r\n.\r",
            b"\r\n\0.\r\n",
            b"\r\n.\0\r\n",
        ] {
            let mut wire = b"text".to_vec();
            wire.extend_from_slice(seq);
            wire.extend_from_slice(b"MAIL FROM:<evil@example.com>");
            assert_eq!(receive(&wire).0, None, "{seq:?} ended the data");
        }
    }

    #[test]
    fn bare_line_endings_are_noticed_rfc5321_2_3_8() {
        let (_, content, faults) = receive(b"a\nb\r\nc\rd\r\n.\r\n");
        assert_eq!(content, b"a\nb\r\nc\rd\r\n");
        assert_eq!(faults.first_bare_lf, Some(1));
        assert_eq!(faults.first_bare_cr, Some(2));
    }

    #[test]
    fn long_line_is_noticed_rfc5321_4_5_3_1_6() {
        let mut wire = vec![b'x'; 998];
        wire.extend_from_slice(b"\r\n");
        wire.extend_from_slice(&[b'y'; 999]);
        wire.extend_from_slice(b"\r\n.\r\n");
        let (_, _, faults) = receive(&wire);
        assert_eq!(faults.first_long_line, Some((2, 1001)));
    }

    #[test]
    fn stuffed_dot_does_not_count_in_the_1000_rfc5321_4_5_3_1_6() {
        let mut wire = b"..".to_vec();
        wire.extend_from_slice(&[b'x'; 997]);
        wire.extend_from_slice(b"\r\n.\r\n");
        let (end, content, faults) = receive(&wire);
        assert!(end.is_some());
        assert_eq!(content.len(), 1000);
        assert_eq!(faults.first_long_line, None);
    }

    #[test]
    fn size_limit_bounds_memory() {
        let mut rx = DataReceiver::new(10);
        rx.ingest(&[b'x'; 100_000]);
        assert_eq!(rx.size(), 100_000);
        let (content, faults) = rx.finish();
        assert_eq!(content.len(), 10);
        assert!(faults.oversized);
    }

    #[test]
    fn stuffing_doubles_leading_dots_rfc5321_4_5_2() {
        let mut out = Vec::new();
        stuff(b".a\r\nb\r\n..c\r\n", &mut out);
        assert_eq!(out, b"..a\r\nb\r\n...c\r\n.\r\n");
        let mut out = Vec::new();
        stuff(b"no newline", &mut out);
        assert_eq!(out, b"no newline\r\n.\r\n");
    }

    #[test]
    fn split_anywhere_gives_the_same_result() {
        let wire = b"a\r\n..b\r\n.\r\n";
        for cut in 0..wire.len() {
            let mut rx = DataReceiver::new(100);
            let (n1, d1) = rx.ingest(&wire[..cut]);
            assert!(!d1 && n1 == cut);
            let (_, d2) = rx.ingest(&wire[cut..]);
            assert!(d2);
            assert_eq!(rx.finish().0, b"a\r\n.b\r\n");
        }
    }

    #[test]
    fn counted_text_has_the_faults_the_receiver_notes_rfc5321_2_3_8() {
        for content in [
            &b"a\r\nb\r\n"[..],
            b"a\nb\r\n",
            b"a\rb\r\n",
            b"a\r\r\n",
            b"x\r\n\n.\n",
            b"\r",
            &[b'y'; 999],
            &[b'y'; 998],
        ] {
            let mut wire = Vec::new();
            stuff(content, &mut wire);
            let (_, _, faults) = receive(&wire);
            assert_eq!(text_faults(content), faults, "{content:?}");
        }
        let mut ok = vec![b'y'; 998];
        ok.extend_from_slice(b"\r\n");
        assert_eq!(text_faults(&ok), DataFaults::default());
    }
}
