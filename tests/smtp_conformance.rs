//! SMTP server conformance, as a table you can read like a lesson.
//!
//! Each case is one short conversation with a fresh `ServerSession`: the
//! bytes a client sends (in one chunk, pipelined, or trickled byte by byte),
//! and the reply codes a server that follows the RFCs gives back, in order.
//! The case name says which rule it checks and where the rule is written
//! (`rfc5321_4_1_4` is RFC 5321 section 4.1.4).
//!
//! Expected replies are written as
//!
//! * `"250"`: just the code;
//! * `"553 5.6.7"`: the code and the enhanced status code (RFC 3463);
//! * `"250 ehlo[SIZE 10485760|PIPELINING]"`: a 250 whose lines after the
//!   first are exactly these EHLO keywords, in this order.
//!
//! Two servers are used: a plain MX for `example.net` (mailboxes bob, carol
//! and dave; `ServerConfig::new("mx.example.net")`) and a submission server
//! (port 587, RFC 6409) for the same domain with the account alice/alice.
//!
//! All cases run in one `#[test]` that names every failing case, so one
//! broken rule does not hide the others.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use mailflow::smtp::server::{BareLineEndings, ServerConfig, ServerEvent, ServerSession};
use mailflow::smtp::{Peer, Reply, ReplyParser, SimplePolicy};

/// Appends CRLF to every line and joins them: the client's bytes.
macro_rules! crlf {
    ($($line:expr),* $(,)?) => {
        concat!($($line, "\r\n"),*)
    };
}

/// Everything the plain MX advertises after EHLO (RFC 5321 §4.1.1.1).
const MX_EHLO: &str =
    "250 ehlo[SIZE 10485760|PIPELINING|8BITMIME|ENHANCEDSTATUSCODES|SMTPUTF8|DSN]";
/// The submission server adds AUTH (RFC 4954 §3).
const SUBMISSION_EHLO: &str =
    "250 ehlo[SIZE 10485760|PIPELINING|8BITMIME|ENHANCEDSTATUSCODES|SMTPUTF8|AUTH PLAIN LOGIN|DSN]";

/// `\0alice\0alice` in base64: AUTH PLAIN for alice (RFC 4616 §2).
const PLAIN_ALICE: &str = "AGFsaWNlAGFsaWNl";
/// `\0alice\0wrong` in base64.
const PLAIN_WRONG: &str = "AGFsaWNlAHdyb25n";
/// `alice` in base64, for AUTH LOGIN.
const LOGIN_ALICE: &str = "YWxpY2U=";

/// The bytes after a smuggling sequence: a whole second transaction that a
/// confused server would run as commands (CVE-2023-51764/5/6).
const SMUGGLED: &str = crlf!(
    "MAIL FROM:<evil@x.example>",
    "RCPT TO:<bob@example.net>",
    "DATA",
    "Subject: forged",
    "",
    "I am not from alice",
);

// ---------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------

fn cases() -> Vec<Case> {
    let mut cases = vec![
        // --- Opening the session (RFC 5321 §3.1) --------------------------
        Case::relay("greeting_is_220_rfc5321_3_1")
            .expect(["220"])
            .closed(false),
        Case::relay("refused_service_greets_554_rfc5321_3_1")
            .policy(|p| p.refuse_service = Some("No service for you".into()))
            .expect(["554"]),
        Case::relay("refused_service_answers_503_until_quit_rfc5321_3_1")
            .policy(|p| p.refuse_service = Some("No service for you".into()))
            .send(crlf!(
                "EHLO client.example",
                "HELO client.example",
                "MAIL FROM:<alice@example.org>",
                "NOOP",
                "RSET",
                "HELP",
                "XYZZY",
            ))
            .expect(["554", "503", "503", "503", "503", "503", "503", "503"])
            .closed(false),
        Case::relay("refused_service_quit_is_221_rfc5321_3_1")
            .policy(|p| p.refuse_service = Some("No service for you".into()))
            .send(crlf!("NOOP", "QUIT"))
            .expect(["554", "503", "221"])
            .closed(true),
        // --- EHLO and HELO (RFC 5321 §4.1.1.1) ----------------------------
        Case::relay("ehlo_advertises_extensions_rfc5321_4_1_1_1")
            .send(crlf!("EHLO client.example"))
            .expect(["220", MX_EHLO]),
        Case::submission("ehlo_on_submission_advertises_auth_rfc4954_3")
            .send(crlf!("EHLO client.example"))
            .expect(["220", SUBMISSION_EHLO]),
        Case::relay("ehlo_size_shows_the_policy_limit_rfc1870_4")
            .policy(|p| p.max_message_size = Some(1000))
            .send(crlf!("EHLO client.example"))
            .expect([
                "220",
                "250 ehlo[SIZE 1000|PIPELINING|8BITMIME|ENHANCEDSTATUSCODES|SMTPUTF8|DSN]",
            ]),
        Case::relay("ehlo_without_domain_is_501_rfc5321_4_1_1_1")
            .send(crlf!("EHLO", "EHLO client.example"))
            .expect(["220", "501", MX_EHLO]),
        Case::relay("ehlo_with_address_literal_rfc5321_4_1_3")
            .send(crlf!("EHLO [192.0.2.1]"))
            .expect(["220", MX_EHLO]),
        Case::relay("helo_is_one_line_without_extensions_rfc5321_4_1_1_1")
            .send(crlf!("HELO client.example"))
            .expect(["220", "250 ehlo[]"]),
        Case::submission("helo_on_submission_offers_no_auth_rfc5321_4_1_1_1")
            .send(crlf!("HELO client.example", "AUTH PLAIN AGFsaWNlAGFsaWNl"))
            .expect(["220", "250 ehlo[]", "503"]),
        Case::relay("helo_without_domain_is_501_rfc5321_4_1_1_1")
            .send(crlf!("HELO"))
            .expect(["220", "501"]),
        Case::relay("verbs_are_case_insensitive_rfc5321_2_4")
            .send(crlf!(
                "ehlo client.example",
                "mail from:<alice@example.org>",
                "Rcpt To:<bob@example.net>",
                "nOoP",
            ))
            .expect(["220", MX_EHLO, "250", "250", "250"]),
        // --- The other commands (RFC 5321 §4.1.1.5 - §4.1.1.10) -----------
        Case::relay("noop_is_250_even_with_an_argument_rfc5321_4_1_1_9")
            .send(crlf!("NOOP", "NOOP are you there?"))
            .expect(["220", "250 2.0.0", "250 2.0.0"]),
        Case::relay("vrfy_is_252_rfc5321_3_5_3")
            .send(crlf!("EHLO client.example", "VRFY bob"))
            .expect(["220", MX_EHLO, "252"]),
        // A server that does not verify MUST answer 252, never 502 or 550,
        // whoever is asked about and whenever (RFC 5321 §3.5.3, §7.3).
        Case::relay("vrfy_of_anyone_at_any_time_is_252_not_502_rfc5321_3_5_3")
            .send(crlf!(
                "VRFY bob",
                "EHLO client.example",
                "VRFY nobody",
                "VRFY <bob@example.net>",
                "VRFY Bob Smith",
                "MAIL FROM:<alice@example.org>",
                "VRFY x@elsewhere.example",
            ))
            .expect(["220", "252 2.0.0", MX_EHLO, "252 2.0.0", "252 2.0.0", "252 2.0.0", "250", "252 2.0.0"]),
        Case::relay("vrfy_without_argument_is_501_rfc5321_4_1_1_6")
            .send(crlf!("VRFY"))
            .expect(["220", "501"]),
        Case::relay("help_is_214_rfc5321_4_1_1_8")
            .send(crlf!("HELP", "HELP MAIL"))
            .expect(["220", "214", "214"]),
        Case::relay("rset_is_250_rfc5321_4_1_1_5")
            .send(crlf!("RSET"))
            .expect(["220", "250"]),
        Case::relay("rset_aborts_the_transaction_rfc5321_4_1_1_5")
            .send(crlf!(
                "EHLO client.example",
                "MAIL FROM:<alice@example.org>",
                "RSET",
                "RCPT TO:<bob@example.net>",
                "MAIL FROM:<alice@example.org>",
            ))
            .expect(["220", MX_EHLO, "250", "250", "503 5.5.1", "250"]),
        Case::relay("rset_with_an_argument_is_501_rfc5321_4_1_1_5")
            .send(crlf!("RSET now"))
            .expect(["220", "501"]),
        Case::relay("data_with_an_argument_is_501_rfc5321_4_1_1_4")
            .send(crlf!(
                "EHLO client.example",
                "MAIL FROM:<alice@example.org>",
                "RCPT TO:<bob@example.net>",
                "DATA now",
            ))
            .expect(["220", MX_EHLO, "250", "250", "501"]),
        Case::relay("quit_is_221_and_closes_rfc5321_4_1_1_10")
            .send(crlf!("EHLO client.example", "QUIT"))
            .expect(["220", MX_EHLO, "221"])
            .closed(true),
        Case::relay("quit_with_an_argument_is_501_rfc5321_4_1_1_10")
            .send(crlf!("QUIT now", "QUIT"))
            .expect(["220", "501", "221"])
            .closed(true),
        Case::relay("input_after_quit_is_ignored_rfc5321_4_1_1_10")
            .send(crlf!("QUIT", "NOOP"))
            .send(crlf!("NOOP", "EHLO client.example"))
            .expect(["220", "221"])
            .closed(true),
        // --- A whole transaction (RFC 5321 §3.3) --------------------------
        Case::relay("one_mail_transaction_rfc5321_3_3")
            .send(crlf!(
                "EHLO client.example",
                "MAIL FROM:<alice@example.org>",
                "RCPT TO:<bob@example.net>",
                "DATA",
            ))
            .send(crlf!("Subject: hello", "", "Hi Bob!", ".", "QUIT"))
            .expect(["220", MX_EHLO, "250 2.1.0", "250 2.1.5", "354", "250 2.6.0", "221"])
            .delivers(&[crlf!("Subject: hello", "", "Hi Bob!")])
            .envelope("<alice@example.org>", &["<bob@example.net>"]),
        Case::relay("transaction_after_helo_rfc5321_4_1_1_1")
            .send(crlf!(
                "HELO client.example",
                "MAIL FROM:<alice@example.org>",
                "RCPT TO:<bob@example.net>",
                "DATA",
                "Hi",
                ".",
            ))
            .expect(["220", "250", "250", "250", "354", "250"])
            .delivers(&[crlf!("Hi")]),
        Case::relay("two_transactions_in_one_session_rfc5321_3_3")
            .send(crlf!(
                "EHLO client.example",
                "MAIL FROM:<alice@example.org>",
                "RCPT TO:<bob@example.net>",
                "DATA",
                "first",
                ".",
                "MAIL FROM:<alice@example.org>",
                "RCPT TO:<carol@example.net>",
                "RCPT TO:<dave@example.net>",
                "DATA",
                "second",
                ".",
            ))
            .expect([
                "220", MX_EHLO, "250", "250", "354", "250 2.6.0", "250", "250", "250", "354",
                "250 2.6.0",
            ])
            .delivers(&[crlf!("first"), crlf!("second")]),
        Case::relay("end_of_data_ends_the_transaction_rfc5321_4_1_1_4")
            .send(crlf!(
                "EHLO client.example",
                "MAIL FROM:<alice@example.org>",
                "RCPT TO:<bob@example.net>",
                "DATA",
                "hi",
                ".",
                "RCPT TO:<carol@example.net>",
                "DATA",
            ))
            .expect(["220", MX_EHLO, "250", "250", "354", "250", "503", "503"]),
        // --- Bad sequence of commands: 503 (RFC 5321 §4.1.4, §3.3) --------
        Case::relay("mail_before_ehlo_is_503_rfc5321_4_1_4")
            .send(crlf!("MAIL FROM:<alice@example.org>"))
            .expect(["220", "503 5.5.1"]),
        Case::relay("nested_mail_is_503_rfc5321_4_1_4")
            .send(crlf!(
                "EHLO client.example",
                "MAIL FROM:<alice@example.org>",
                "MAIL FROM:<mallory@example.org>",
                "RCPT TO:<bob@example.net>",
            ))
            .expect(["220", MX_EHLO, "250", "503 5.5.1", "250"]),
        Case::relay("rcpt_before_mail_is_503_rfc5321_4_1_4")
            .send(crlf!("EHLO client.example", "RCPT TO:<bob@example.net>"))
            .expect(["220", MX_EHLO, "503 5.5.1"]),
        Case::relay("data_before_mail_is_503_rfc5321_4_1_4")
            .send(crlf!("EHLO client.example", "DATA"))
            .expect(["220", MX_EHLO, "503 5.5.1"]),
        Case::relay("data_without_valid_rcpt_is_503_rfc5321_3_3")
            .send(crlf!(
                "EHLO client.example",
                "MAIL FROM:<alice@example.org>",
                "RCPT TO:<nobody@example.net>",
                "DATA",
            ))
            .expect(["220", MX_EHLO, "250", "550 5.1.1", "503"]),
        Case::relay("rcpt_after_refused_mail_is_503_rfc5321_4_1_4")
            .send(crlf!(
                "EHLO client.example",
                "MAIL FROM:<alice@example.org> XFOO=1",
                "RCPT TO:<bob@example.net>",
            ))
            .expect(["220", MX_EHLO, "555", "503"]),
        Case::relay("ehlo_inside_a_transaction_resets_it_rfc5321_4_1_4")
            .send(crlf!(
                "EHLO client.example",
                "MAIL FROM:<alice@example.org>",
                "RCPT TO:<bob@example.net>",
                "EHLO client.example",
                "RCPT TO:<bob@example.net>",
                "DATA",
                "MAIL FROM:<alice@example.org>",
            ))
            .expect(["220", MX_EHLO, "250", "250", MX_EHLO, "503", "503", "250"]),
        Case::relay("helo_inside_a_transaction_resets_it_rfc5321_4_1_4")
            .send(crlf!(
                "EHLO client.example",
                "MAIL FROM:<alice@example.org>",
                "HELO client.example",
                "RCPT TO:<bob@example.net>",
            ))
            .expect(["220", MX_EHLO, "250", "250 ehlo[]", "503"]),
        // --- Syntax: 500 and 501 (RFC 5321 §4.2.2, §4.3.2) ----------------
        // 500 for a verb the server does not know (RFC 5321 §4.2.4); X.5.2
        // "the command is unrecognized" (RFC 3463 §3.6).
        Case::relay("unknown_verb_is_500_5_5_2_rfc5321_4_2_4")
            .send(crlf!("XYZZY", "EHLO client.example"))
            .expect(["220", "500 5.5.2", MX_EHLO]),
        Case::relay("empty_line_is_500_rfc5321_4_2_4")
            .send(crlf!(""))
            .expect(["220", "500"]),
        Case::relay("command_not_utf8_is_500_rfc5321_4_2_4")
            .send(b"NO\xffOP\r\nNOOP\r\n")
            .expect(["220", "500", "250"]),
        Case::relay("bare_lf_does_not_end_a_command_line_rfc5321_2_3_8")
            .send("NOOP\nNOOP\r\n")
            .expect(["220", "500 5.5.2", "250"]),
        Case::relay("mail_without_from_colon_is_501_rfc5321_4_1_1_2")
            .send(crlf!("EHLO client.example", "MAIL alice@example.org"))
            .expect(["220", MX_EHLO, "501"]),
        Case::relay("path_without_angle_brackets_is_501_rfc5321_4_1_2")
            .send(crlf!("EHLO client.example", "MAIL FROM:alice@example.org"))
            .expect(["220", MX_EHLO, "501"]),
        Case::relay("junk_after_the_path_is_501_rfc5321_4_1_2")
            .send(crlf!("EHLO client.example", "MAIL FROM:<alice@example.org>junk"))
            .expect(["220", MX_EHLO, "501"]),
        Case::relay("bad_sender_domain_is_501_5_1_7_rfc3463_3_2")
            .send(crlf!("EHLO client.example", "MAIL FROM:<alice@-bad-.example>"))
            .expect(["220", MX_EHLO, "501 5.1.7"]),
        Case::relay("bad_recipient_is_501_5_1_3_rfc3463_3_2")
            .send(crlf!(
                "EHLO client.example",
                "MAIL FROM:<alice@example.org>",
                "RCPT TO:<bob..smith@example.net>",
            ))
            .expect(["220", MX_EHLO, "250", "501 5.1.3"]),
        Case::relay("null_forward_path_is_501_rfc5321_4_1_1_3")
            .send(crlf!(
                "EHLO client.example",
                "MAIL FROM:<alice@example.org>",
                "RCPT TO:<>",
            ))
            .expect(["220", MX_EHLO, "250", "501"]),
        Case::relay("space_after_colon_is_tolerated_rfc5321_4_1_2")
            .send(crlf!(
                "EHLO client.example",
                "MAIL FROM: <alice@example.org>",
                "RCPT TO: <bob@example.net>",
            ))
            .expect(["220", MX_EHLO, "250", "250"]),
        Case::relay("path_over_256_octets_is_501_rfc5321_4_5_3_1_3")
            .send(format!(
                "EHLO client.example\r\nMAIL FROM:<{}@example.org>\r\n",
                "a".repeat(250)
            ))
            .expect(["220", MX_EHLO, "501"]),
        // --- ESMTP parameters (RFC 5321 §4.1.1.11, RFC 1870, RFC 6152) ----
        Case::relay("unknown_mail_parameter_is_555_rfc5321_4_1_1_11")
            .send(crlf!("EHLO client.example", "MAIL FROM:<alice@example.org> XFOO=1"))
            .expect(["220", MX_EHLO, "555 5.5.4"]),
        Case::relay("unknown_rcpt_parameter_is_555_rfc5321_4_1_1_11")
            .send(crlf!(
                "EHLO client.example",
                "MAIL FROM:<alice@example.org>",
                "RCPT TO:<bob@example.net> XFOO",
            ))
            .expect(["220", MX_EHLO, "250", "555 5.5.4"]),
        Case::relay("mail_parameters_after_helo_are_555_rfc5321_4_1_1_11")
            .send(crlf!("HELO client.example", "MAIL FROM:<alice@example.org> SIZE=10"))
            .expect(["220", "250", "555"]),
        Case::relay("body_8bitmime_is_accepted_rfc6152_3")
            .send(crlf!(
                "EHLO client.example",
                "MAIL FROM:<alice@example.org> BODY=8BITMIME",
            ))
            .expect(["220", MX_EHLO, "250"]),
        Case::relay("body_binarymime_is_not_offered_555_rfc5321_4_1_1_11")
            .send(crlf!(
                "EHLO client.example",
                "MAIL FROM:<alice@example.org> BODY=BINARYMIME",
            ))
            .expect(["220", MX_EHLO, "555"]),
        Case::relay("size_that_is_not_a_number_is_501_rfc1870_3")
            .send(crlf!("EHLO client.example", "MAIL FROM:<alice@example.org> SIZE=big"))
            .expect(["220", MX_EHLO, "501"]),
        Case::relay("size_over_the_limit_is_552_5_3_4_rfc1870_6_1")
            .policy(|p| p.max_message_size = Some(1000))
            .send(crlf!("EHLO client.example", "MAIL FROM:<alice@example.org> SIZE=1001"))
            .expect([
                "220",
                "250 ehlo[SIZE 1000|PIPELINING|8BITMIME|ENHANCEDSTATUSCODES|SMTPUTF8|DSN]",
                "552 5.3.4",
            ]),
        Case::relay("size_at_the_limit_is_250_rfc1870_6_1")
            .policy(|p| p.max_message_size = Some(1000))
            .send(crlf!("EHLO client.example", "MAIL FROM:<alice@example.org> SIZE=1000"))
            .expect([
                "220",
                "250 ehlo[SIZE 1000|PIPELINING|8BITMIME|ENHANCEDSTATUSCODES|SMTPUTF8|DSN]",
                "250",
            ]),
        // size-value ::= 1*20DIGIT (§3): twenty nines is good syntax, and too big.
        Case::relay("size_of_twenty_digits_is_good_syntax_so_552_rfc1870_6_1")
            .send(crlf!(
                "EHLO client.example",
                "MAIL FROM:<alice@example.org> SIZE=99999999999999999999",
            ))
            .expect(["220", MX_EHLO, "552 5.3.4"]),
        Case::relay("data_over_the_limit_is_552_5_3_4_rfc1870_6_3")
            .policy(|p| p.max_message_size = Some(100))
            .send(crlf!(
                "EHLO client.example",
                "MAIL FROM:<alice@example.org>",
                "RCPT TO:<bob@example.net>",
                "DATA",
            ))
            .send(format!("{}\r\n.\r\nNOOP\r\n", "x".repeat(200)))
            .expect([
                "220",
                "250 ehlo[SIZE 100|PIPELINING|8BITMIME|ENHANCEDSTATUSCODES|SMTPUTF8|DSN]",
                "250",
                "250",
                "354",
                "552 5.3.4",
                "250",
            ])
            .message_events(1)
            .delivers(&[]),
        Case::relay("data_at_the_limit_is_accepted_rfc1870_6_3")
            .policy(|p| p.max_message_size = Some(100))
            .send(crlf!(
                "EHLO client.example",
                "MAIL FROM:<alice@example.org>",
                "RCPT TO:<bob@example.net>",
                "DATA",
            ))
            // 98 octets and CRLF: exactly 100 octets of message.
            .send(format!("{}\r\n.\r\n", "x".repeat(98)))
            .expect([
                "220",
                "250 ehlo[SIZE 100|PIPELINING|8BITMIME|ENHANCEDSTATUSCODES|SMTPUTF8|DSN]",
                "250",
                "250",
                "354",
                "250 2.6.0",
            ]),
        // --- Internationalized addresses (RFC 6531) -----------------------
        Case::relay("non_ascii_sender_without_smtputf8_is_553_5_6_7_rfc6531_3_5")
            .send(crlf!("EHLO client.example", "MAIL FROM:<jörg@bücher.example>"))
            .expect(["220", MX_EHLO, "553 5.6.7"]),
        Case::relay("non_ascii_sender_with_smtputf8_is_250_rfc6531_3_4")
            .send(crlf!(
                "EHLO client.example",
                "MAIL FROM:<jörg@bücher.example> SMTPUTF8",
            ))
            .expect(["220", MX_EHLO, "250"]),
        Case::relay("non_ascii_recipient_without_smtputf8_is_553_5_6_7_rfc6531_3_5")
            .policy(|p| {
                p.mailboxes.insert("jörg@example.net".into());
            })
            .send(crlf!(
                "EHLO client.example",
                "MAIL FROM:<alice@example.org>",
                "RCPT TO:<jörg@example.net>",
            ))
            .expect(["220", MX_EHLO, "250", "553 5.6.7"]),
        Case::relay("non_ascii_recipient_with_smtputf8_is_250_rfc6531_3_4")
            .policy(|p| {
                p.mailboxes.insert("jörg@example.net".into());
            })
            .send(crlf!(
                "EHLO client.example",
                "MAIL FROM:<alice@example.org> SMTPUTF8",
                "RCPT TO:<jörg@example.net>",
            ))
            .expect(["220", MX_EHLO, "250", "250"]),
        // --- Known but not implemented: 502 (RFC 5321 §4.2.4) -------------
        Case::relay("expn_is_502_rfc5321_7_3")
            .send(crlf!("EHLO client.example", "EXPN staff"))
            .expect(["220", MX_EHLO, "502"]),
        Case::relay("etrn_is_502_rfc5321_4_2_4")
            .send(crlf!("EHLO client.example", "ETRN example.org"))
            .expect(["220", MX_EHLO, "502"]),
        Case::relay("bdat_is_502_rfc5321_4_2_4")
            .send(crlf!("EHLO client.example", "BDAT 0 LAST"))
            .expect(["220", MX_EHLO, "502"]),
        Case::relay("starttls_is_502_when_not_offered_rfc5321_4_2_4")
            .send(crlf!("EHLO client.example", "STARTTLS"))
            .expect(["220", MX_EHLO, "502"]),
        // --- Command line length (RFC 5321 §4.5.3.1.4) --------------------
        Case::relay("command_line_of_512_octets_is_fine_rfc5321_4_5_3_1_4")
            .send(format!("NOOP {}\r\n", "x".repeat(512 - 7)))
            .expect(["220", "250"]),
        Case::relay("command_line_of_513_octets_is_500_5_5_2_rfc5321_4_5_3_1_4")
            .send(format!("NOOP {}\r\nNOOP\r\n", "x".repeat(513 - 7)))
            .expect(["220", "500 5.5.2", "250"])
            .closed(false),
        Case::relay("endless_command_line_is_500_and_session_goes_on_rfc5321_4_5_3_1_4")
            .send("x".repeat(3000))
            .send("x".repeat(3000))
            .send(crlf!("", "EHLO client.example"))
            .expect(["220", "500 5.5.2", MX_EHLO]),
        // --- Text line length (RFC 5321 §4.5.3.1.6) -----------------------
        Case::relay("text_line_of_1000_octets_is_fine_rfc5321_4_5_3_1_6")
            .send(crlf!(
                "EHLO client.example",
                "MAIL FROM:<alice@example.org>",
                "RCPT TO:<bob@example.net>",
                "DATA",
            ))
            .send(format!("{}\r\n.\r\n", "x".repeat(998)))
            .expect(["220", MX_EHLO, "250", "250", "354", "250 2.6.0"]),
        Case::relay("text_line_of_1001_octets_is_554_5_6_0_rfc5321_4_5_3_1_6")
            .send(crlf!(
                "EHLO client.example",
                "MAIL FROM:<alice@example.org>",
                "RCPT TO:<bob@example.net>",
                "DATA",
            ))
            .send(format!("{}\r\n.\r\nNOOP\r\n", "x".repeat(999)))
            .expect(["220", MX_EHLO, "250", "250", "354", "554 5.6.0", "250"])
            .message_events(1)
            .delivers(&[]),
        // "not counting the leading dot duplicated for transparency"
        Case::relay("stuffed_dot_does_not_count_in_the_1000_rfc5321_4_5_3_1_6")
            .send(crlf!(
                "EHLO client.example",
                "MAIL FROM:<alice@example.org>",
                "RCPT TO:<bob@example.net>",
                "DATA",
            ))
            .send(format!("..{}\r\n.\r\n", "x".repeat(997)))
            .expect(["220", MX_EHLO, "250", "250", "354", "250 2.6.0"]),
        // --- Recipients (RFC 5321 §4.5.3.1.8, §4.5.3.1.10) ----------------
        Case::relay("recipient_limit_from_policy_is_452_4_5_3_rfc5321_4_5_3_1_10")
            .policy(|p| p.max_recipients = Some(2))
            .send(crlf!(
                "EHLO client.example",
                "MAIL FROM:<alice@example.org>",
                "RCPT TO:<bob@example.net>",
                "RCPT TO:<carol@example.net>",
                "RCPT TO:<dave@example.net>",
                "DATA",
                "hi",
                ".",
            ))
            .expect(["220", MX_EHLO, "250", "250", "250", "452 4.5.3", "354", "250"])
            .envelope("<alice@example.org>", &["<bob@example.net>", "<carol@example.net>"]),
        Case::relay("unknown_local_mailbox_is_550_5_1_1_rfc3463_3_2")
            .send(crlf!(
                "EHLO client.example",
                "MAIL FROM:<alice@example.org>",
                "RCPT TO:<nobody@example.net>",
                "RCPT TO:<bob@example.net>",
            ))
            .expect(["220", MX_EHLO, "250", "550 5.1.1", "250"]),
        Case::relay("domains_compare_case_insensitively_rfc5321_2_4")
            .send(crlf!(
                "EHLO client.example",
                "MAIL FROM:<alice@example.org>",
                "RCPT TO:<bob@EXAMPLE.Net>",
            ))
            .expect(["220", MX_EHLO, "250", "250"]),
        Case::relay("relay_for_a_stranger_is_550_5_7_1_rfc3463_3_8")
            .send(crlf!(
                "EHLO client.example",
                "MAIL FROM:<alice@example.org>",
                "RCPT TO:<carol@elsewhere.example>",
            ))
            .expect(["220", MX_EHLO, "250", "550 5.7.1"]),
        Case::relay("relay_to_an_address_literal_is_550_5_7_1_rfc3463_3_8")
            .send(crlf!(
                "EHLO client.example",
                "MAIL FROM:<alice@example.org>",
                "RCPT TO:<root@[192.0.2.7]>",
            ))
            .expect(["220", MX_EHLO, "250", "550 5.7.1"]),
        // --- Postmaster (RFC 5321 §4.5.1) ---------------------------------
        Case::relay("bare_postmaster_is_always_accepted_rfc5321_4_5_1")
            .send(crlf!(
                "EHLO client.example",
                "MAIL FROM:<alice@example.org>",
                "RCPT TO:<Postmaster>",
            ))
            .expect(["220", MX_EHLO, "250", "250"]),
        Case::relay("postmaster_of_a_local_domain_is_accepted_rfc5321_4_5_1")
            .send(crlf!(
                "EHLO client.example",
                "MAIL FROM:<alice@example.org>",
                "RCPT TO:<postmaster@example.net>",
                "RCPT TO:<POSTMASTER@Example.NET>",
            ))
            .expect(["220", MX_EHLO, "250", "250", "250"]),
        // --- Paths (RFC 5321 §4.1.2, §4.1.3, §4.5.5, Appendix C) ----------
        Case::relay("null_reverse_path_is_accepted_rfc5321_4_5_5")
            .send(crlf!(
                "EHLO client.example",
                "MAIL FROM:<>",
                "RCPT TO:<bob@example.net>",
                "DATA",
                "bounce",
                ".",
            ))
            .expect(["220", MX_EHLO, "250", "250", "354", "250"])
            .envelope("<>", &["<bob@example.net>"]),
        Case::relay("source_route_is_accepted_and_ignored_rfc5321_appendix_c")
            .send(crlf!(
                "EHLO client.example",
                "MAIL FROM:<@relay.example,@hop.example:alice@example.org>",
                "RCPT TO:<@mx.example.net:bob@example.net>",
                "DATA",
                "routed",
                ".",
            ))
            .expect(["220", MX_EHLO, "250", "250", "354", "250"])
            .envelope("<alice@example.org>", &["<bob@example.net>"]),
        Case::relay("quoted_local_part_is_accepted_rfc5321_4_1_2")
            .send(crlf!(
                "EHLO client.example",
                "MAIL FROM:<\"john \\\"jd\\\" doe\"@example.org>",
            ))
            .expect(["220", MX_EHLO, "250"]),
        Case::relay("quoted_local_part_with_gt_parses_rfc5321_4_1_2")
            .send(crlf!(
                "EHLO client.example",
                "MAIL FROM:<alice@example.org>",
                "RCPT TO:<\"a>b\"@example.net>",
            ))
            .expect(["220", MX_EHLO, "250", "550 5.1.1"]),
        // "all quoted forms MUST be treated as equivalent"
        Case::relay("quoted_and_unquoted_local_parts_are_equivalent_rfc5321_4_1_2")
            .send(crlf!(
                "EHLO client.example",
                "MAIL FROM:<alice@example.org>",
                "RCPT TO:<\"bob\"@example.net>",
            ))
            .expect(["220", MX_EHLO, "250", "250"]),
        Case::relay("address_literal_sender_is_accepted_rfc5321_4_1_3")
            .send(crlf!(
                "EHLO client.example",
                "MAIL FROM:<alice@[192.0.2.1]>",
                "RSET",
                "MAIL FROM:<alice@[IPv6:2001:db8::1]>",
            ))
            .expect(["220", MX_EHLO, "250", "250", "250"]),
        Case::relay("bad_address_literal_is_501_rfc5321_4_1_3")
            .send(crlf!("EHLO client.example", "MAIL FROM:<alice@[300.1.1.1]>"))
            .expect(["220", MX_EHLO, "501"]),
        // --- Submission and AUTH (RFC 6409, RFC 4954) ---------------------
        Case::submission("mail_before_auth_on_submission_is_530_5_7_0_rfc6409_4_3")
            .send(crlf!(
                "EHLO client.example",
                "MAIL FROM:<alice@example.net>",
                "RCPT TO:<bob@example.net>",
            ))
            .expect(["220", SUBMISSION_EHLO, "530 5.7.0", "503"]),
        Case::submission("auth_plain_with_initial_response_is_235_rfc4954_4")
            .send(crlf!("EHLO client.example", "AUTH PLAIN AGFsaWNlAGFsaWNl"))
            .expect(["220", SUBMISSION_EHLO, "235 2.7.0"]),
        Case::submission("auth_plain_wrong_password_is_535_5_7_8_rfc4954_6")
            .send(format!(
                "EHLO client.example\r\nAUTH PLAIN {PLAIN_WRONG}\r\nAUTH PLAIN {PLAIN_ALICE}\r\n"
            ))
            .expect(["220", SUBMISSION_EHLO, "535 5.7.8", "235"]),
        Case::submission("auth_plain_without_initial_response_is_334_rfc4954_4")
            .send(format!("EHLO client.example\r\nAUTH PLAIN\r\n{PLAIN_ALICE}\r\n"))
            .expect(["220", SUBMISSION_EHLO, "334", "235"]),
        Case::submission("auth_login_is_334_334_235_rfc4954_4")
            .send(format!(
                "EHLO client.example\r\nAUTH LOGIN\r\n{LOGIN_ALICE}\r\n{LOGIN_ALICE}\r\n"
            ))
            .expect(["220", SUBMISSION_EHLO, "334", "334", "235"]),
        Case::submission("auth_login_with_initial_response_rfc4954_4")
            .send(format!(
                "EHLO client.example\r\nAUTH LOGIN {LOGIN_ALICE}\r\n{LOGIN_ALICE}\r\n"
            ))
            .expect(["220", SUBMISSION_EHLO, "334", "235"]),
        Case::submission("auth_cancelled_with_star_is_501_rfc4954_4")
            .send(format!(
                "EHLO client.example\r\nAUTH PLAIN\r\n*\r\nAUTH LOGIN\r\n{LOGIN_ALICE}\r\n*\r\nAUTH PLAIN {PLAIN_ALICE}\r\n"
            ))
            .expect(["220", SUBMISSION_EHLO, "334", "501", "334", "334", "501", "235"]),
        Case::submission("auth_with_bad_base64_is_501_rfc4954_4")
            .send(crlf!("EHLO client.example", "AUTH PLAIN !!!not-base64!!!"))
            .expect(["220", SUBMISSION_EHLO, "501"]),
        Case::submission("auth_twice_is_503_rfc4954_4")
            .send(format!(
                "EHLO client.example\r\nAUTH PLAIN {PLAIN_ALICE}\r\nAUTH PLAIN {PLAIN_ALICE}\r\n"
            ))
            .expect(["220", SUBMISSION_EHLO, "235", "503"]),
        Case::submission("auth_before_ehlo_is_503_rfc4954_4")
            .send(format!("AUTH PLAIN {PLAIN_ALICE}\r\n"))
            .expect(["220", "503"]),
        Case::relay("auth_on_port_25_is_502_rfc5321_4_2_4")
            .send(format!("EHLO client.example\r\nAUTH PLAIN {PLAIN_ALICE}\r\n"))
            .expect(["220", MX_EHLO, "502"]),
        Case::submission("auth_unknown_mechanism_is_504_rfc4954_4")
            .send(crlf!("EHLO client.example", "AUTH CRAM-MD5"))
            .expect(["220", SUBMISSION_EHLO, "504"]),
        Case::submission("relay_after_auth_is_allowed_rfc6409_3_3")
            .send(format!(
                "EHLO client.example\r\nAUTH PLAIN {PLAIN_ALICE}\r\n{}",
                crlf!(
                    "MAIL FROM:<alice@example.net>",
                    "RCPT TO:<carol@elsewhere.example>",
                    "RCPT TO:<nobody@example.net>",
                    "DATA",
                    "relayed",
                    ".",
                )
            ))
            .expect([
                "220",
                SUBMISSION_EHLO,
                "235",
                "250",
                "250",
                "550 5.1.1",
                "354",
                "250 2.6.0",
            ])
            .envelope("<alice@example.net>", &["<carol@elsewhere.example>"])
            .delivers(&[crlf!("relayed")]),
        // --- Dot-stuffing (RFC 5321 §4.5.2) -------------------------------
        Case::relay("leading_dot_is_removed_rfc5321_4_5_2")
            .send(crlf!(
                "EHLO client.example",
                "MAIL FROM:<alice@example.org>",
                "RCPT TO:<bob@example.net>",
                "DATA",
                "..hidden",
                "...two dots",
                ".x",
                "..",
                "a . in the middle.",
                ".",
            ))
            .expect(["220", MX_EHLO, "250", "250", "354", "250"])
            .delivers(&[crlf!(".hidden", "..two dots", "x", ".", "a . in the middle.")]),
        Case::relay("empty_message_ends_at_once_rfc5321_4_1_1_4")
            .send(crlf!(
                "EHLO client.example",
                "MAIL FROM:<alice@example.org>",
                "RCPT TO:<bob@example.net>",
                "DATA",
                ".",
            ))
            .expect(["220", MX_EHLO, "250", "250", "354", "250"])
            .delivers(&[""]),
        Case::relay("dot_space_is_not_the_end_rfc5321_4_1_1_4")
            .send(crlf!(
                "EHLO client.example",
                "MAIL FROM:<alice@example.org>",
                "RCPT TO:<bob@example.net>",
                "DATA",
                "end.",
                ". ",
                " .",
                ".",
            ))
            .expect(["220", MX_EHLO, "250", "250", "354", "250"])
            .delivers(&[crlf!("end.", " ", " .")]),
        Case::relay("end_of_data_split_byte_by_byte_rfc5321_4_1_1_4")
            .send(crlf!(
                "EHLO client.example",
                "MAIL FROM:<alice@example.org>",
                "RCPT TO:<bob@example.net>",
                "DATA",
            ))
            .trickle(crlf!("..a", "b", ".", "NOOP"))
            .expect(["220", MX_EHLO, "250", "250", "354", "250", "250"])
            .delivers(&[crlf!(".a", "b")]),
        Case::relay("commands_after_end_of_data_in_the_same_chunk_rfc5321_4_1_1_4")
            .send(crlf!(
                "EHLO client.example",
                "MAIL FROM:<alice@example.org>",
                "RCPT TO:<bob@example.net>",
                "DATA",
                "hi",
                ".",
                "QUIT",
            ))
            .expect(["220", MX_EHLO, "250", "250", "354", "250", "221"])
            .closed(true),
        // --- PIPELINING (RFC 2920) ----------------------------------------
        Case::relay("pipelined_group_gets_every_reply_in_order_rfc2920_3_1")
            .send(crlf!("EHLO client.example"))
            .send(crlf!(
                "MAIL FROM:<alice@example.org>",
                "RCPT TO:<bob@example.net>",
                "RCPT TO:<carol@example.net>",
                "DATA",
            ))
            .send(crlf!("pipelined", ".", "QUIT"))
            .expect(["220", MX_EHLO, "250", "250", "250", "354", "250", "221"])
            .delivers(&[crlf!("pipelined")]),
        Case::relay("pipelined_group_with_a_refused_rcpt_rfc2920_3_1")
            .send(crlf!("EHLO client.example"))
            .send(crlf!(
                "MAIL FROM:<alice@example.org>",
                "RCPT TO:<nobody@example.net>",
                "RCPT TO:<carol@elsewhere.example>",
                "RCPT TO:<bob@example.net>",
                "DATA",
            ))
            .expect(["220", MX_EHLO, "250", "550 5.1.1", "550 5.7.1", "250", "354"]),
        Case::relay("pipelined_group_without_valid_rcpt_refuses_data_rfc2920_3_1")
            .send(crlf!("EHLO client.example"))
            .send(crlf!(
                "MAIL FROM:<alice@example.org>",
                "RCPT TO:<nobody@example.net>",
                "DATA",
                "RSET",
            ))
            .expect(["220", MX_EHLO, "250", "550", "503", "250"]),
        Case::relay("pipelined_group_fed_byte_by_byte_rfc2920_3_1")
            .trickle(crlf!(
                "EHLO client.example",
                "MAIL FROM:<alice@example.org>",
                "RCPT TO:<bob@example.net>",
                "RCPT TO:<carol@example.net>",
                "DATA",
                "..one",
                "two",
                ".",
                "QUIT",
            ))
            .expect(["220", MX_EHLO, "250", "250", "250", "354", "250", "221"])
            .delivers(&[crlf!(".one", "two")]),
        Case::relay("pipelined_group_split_at_odd_boundaries_rfc2920_3_1")
            .chunks(
                crlf!(
                    "EHLO client.example",
                    "MAIL FROM:<alice@example.org>",
                    "RCPT TO:<bob@example.net>",
                    "RCPT TO:<carol@example.net>",
                    "DATA",
                    "..one",
                    "two",
                    ".",
                    "RSET",
                    "QUIT",
                ),
                &[1, 2, 3, 5, 7, 11, 13, 17],
            )
            .expect(["220", MX_EHLO, "250", "250", "250", "354", "250", "250", "221"])
            .delivers(&[crlf!(".one", "two")]),
        // --- Ending a session: 421 (RFC 5321 §3.8, §4.5.3.2.7) ------------
        Case::relay("shutdown_is_421_rfc5321_3_8")
            .send(crlf!("EHLO client.example"))
            .shutdown()
            .send(crlf!("NOOP"))
            .expect(["220", MX_EHLO, "421"])
            .closed(true),
        Case::relay("shutdown_during_data_delivers_nothing_rfc5321_3_8")
            .send(crlf!(
                "EHLO client.example",
                "MAIL FROM:<alice@example.org>",
                "RCPT TO:<bob@example.net>",
                "DATA",
                "half a mess",
            ))
            .shutdown()
            .send(crlf!("age", "."))
            .expect(["220", MX_EHLO, "250", "250", "354", "421"])
            .message_events(0)
            .closed(true),
        Case::relay("silence_for_5_minutes_is_421_rfc5321_4_5_3_2_7")
            .send(crlf!("EHLO client.example"))
            .wait(300)
            .expect(["220", MX_EHLO, "421 4.4.2"])
            .closed(true),
        Case::relay("no_timeout_before_the_deadline_rfc5321_4_5_3_2_7")
            .send(crlf!("EHLO client.example"))
            .wait(299)
            .send(crlf!("NOOP"))
            .expect(["220", MX_EHLO, "250"])
            .closed(false),
        Case::relay("each_command_restarts_the_timer_rfc5321_4_5_3_2_7")
            .wait(200)
            .send(crlf!("NOOP"))
            .wait(200)
            .send(crlf!("NOOP"))
            .wait(299)
            .expect(["220", "250", "250"])
            .closed(false),
        Case::relay("client_disconnect_in_data_delivers_nothing_rfc5321_3_8")
            .send(crlf!(
                "EHLO client.example",
                "MAIL FROM:<alice@example.org>",
                "RCPT TO:<bob@example.net>",
                "DATA",
                "cut off",
            ))
            .peer_close()
            .expect(["220", MX_EHLO, "250", "250", "354"])
            .message_events(0)
            .closed(true),
        Case::relay("twenty_bad_commands_close_with_421_rfc5321_3_8")
            .send("XYZZY\r\n".repeat(20))
            .send(crlf!("NOOP"))
            .expect(
                std::iter::once("220")
                    .chain(std::iter::repeat_n("500", 20))
                    .chain(["421"]),
            )
            .closed(true),
        Case::relay("nineteen_bad_commands_are_tolerated_rfc5321_3_8")
            .send("XYZZY\r\n".repeat(19))
            .send(crlf!("NOOP"))
            .expect(
                std::iter::once("220")
                    .chain(std::iter::repeat_n("500", 19))
                    .chain(["250"]),
            )
            .closed(false),
    ];
    cases.push(hundred_recipients());
    cases.extend(smuggling_cases());
    cases
}

/// RFC 5321 §4.5.3.1.8: at least 100 recipients must be buffered; the
/// 101st gets 452 4.5.3 (§4.5.3.1.10) and the transaction goes on.
fn hundred_recipients() -> Case {
    let mut wire = String::from(crlf!(
        "EHLO client.example",
        "MAIL FROM:<alice@example.org>"
    ));
    let mut expect = vec!["220".to_string(), MX_EHLO.to_string(), "250".to_string()];
    for i in 0..=100 {
        write!(wire, "RCPT TO:<r{i}@example.net>\r\n").unwrap();
        expect.push(if i < 100 {
            "250".into()
        } else {
            "452 4.5.3".into()
        });
    }
    wire.push_str(crlf!("DATA", "to a crowd", "."));
    expect.extend(["354".to_string(), "250 2.6.0".to_string()]);
    Case::relay("hundred_recipients_accepted_the_101st_is_452_4_5_3_rfc5321_4_5_3_1_8")
        .policy(|p| {
            for i in 0..=100 {
                p.mailboxes.insert(format!("r{i}@example.net"));
            }
        })
        .send(wire)
        .expect(expect)
        .message_events(1)
}

/// SMTP smuggling (CVE-2023-51764/5/6): only CRLF.CRLF ends the data.
/// Every other way of writing "a line with a dot" must stay inside the
/// message, so the smuggled MAIL/RCPT/DATA that follow are never run as
/// commands: one message event, never two. With the default
/// `BareLineEndings::Refuse` a message holding a bare CR or LF is refused
/// with 554 5.6.0; with `Keep` it is accepted and the bytes are kept.
fn smuggling_cases() -> Vec<Case> {
    const SEQUENCES: [(&str, &[u8]); 9] = [
        ("lf_dot_lf", b"\n.\n"),
        ("lf_dot_crlf", b"\n.\r\n"),
        ("cr_dot_cr", b"\r.\r"),
        ("cr_dot_lf", b"\r.\n"),
        ("lf_dot_cr", b"\n.\r"),
        ("cr_dot_crlf", b"\r.\r\n"),
        ("crlf_dot_cr", b"\r\n.\r"),
        ("crlf_nul_dot_crlf", b"\r\n\0.\r\n"),
        ("crlf_dot_nul_crlf", b"\r\n.\0\r\n"),
    ];
    let mut cases = Vec::new();
    for (label, seq) in SEQUENCES {
        let mut data = b"Subject: hi\r\n\r\nhello".to_vec();
        data.extend_from_slice(seq);
        data.extend_from_slice(SMUGGLED.as_bytes());
        let bare = has_bare_line_ending(&data);
        let kept = unstuff(&data);
        let mut wire = crlf!(
            "EHLO client.example",
            "MAIL FROM:<alice@example.org>",
            "RCPT TO:<bob@example.net>",
            "DATA",
        )
        .as_bytes()
        .to_vec();
        wire.extend_from_slice(&data);
        wire.extend_from_slice(crlf!(".", "QUIT").as_bytes());
        for keep in [false, true] {
            let mode = if keep { "keep" } else { "refuse" };
            let name = format!("smuggling_{label}_does_not_end_data_{mode}_rfc5321_4_1_1_4");
            let refused = bare && !keep;
            let end = if refused { "554 5.6.0" } else { "250 2.6.0" };
            let mut case = Case::relay(name)
                .send(wire.clone())
                .expect(["220", MX_EHLO, "250", "250", "354", end, "221"])
                .message_events(1)
                .envelope("<alice@example.org>", &["<bob@example.net>"]);
            if keep {
                case = case.config(|c| c.bare_line_endings = BareLineEndings::Keep);
            }
            case = case.delivers_bytes(if refused { vec![] } else { vec![kept.clone()] });
            cases.push(case);
        }
    }
    cases
}

/// True when `data` holds a CR not followed by LF, or an LF not after CR.
fn has_bare_line_ending(data: &[u8]) -> bool {
    data.iter().enumerate().any(|(i, &b)| match b {
        b'\r' => data.get(i + 1) != Some(&b'\n'),
        b'\n' => i == 0 || data[i - 1] != b'\r',
        _ => false,
    })
}

/// The receiver's side of §4.5.2, written the simple way: the data is cut
/// into lines at CRLF only, and a line that starts with a dot loses it.
/// `data` is everything before the final `.` CRLF.
fn unstuff(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .map_or(rest.len(), |i| i + 2);
        let line = &rest[..end];
        out.extend_from_slice(line.strip_prefix(b".").unwrap_or(line));
        rest = &rest[end..];
    }
    out
}

// ---------------------------------------------------------------------------
// The runner
// ---------------------------------------------------------------------------

#[test]
fn server_conformance_table() {
    let cases = cases();
    assert!(cases.len() >= 80, "only {} cases", cases.len());
    let mut names = std::collections::BTreeSet::new();
    for case in &cases {
        assert!(
            names.insert(case.name.clone()),
            "duplicate case name {}",
            case.name
        );
    }
    let failures: Vec<String> = cases.iter().filter_map(check).collect();
    if !failures.is_empty() {
        panic!(
            "{} of {} conformance cases failed:\n\n{}",
            failures.len(),
            cases.len(),
            failures.join("\n")
        );
    }
    println!("{} conformance cases passed", cases.len());
}

/// A pipelined group is answered in one go: every reply of the group is in
/// the first transmit after the group arrived, none lost (RFC 2920 §3.2).
#[test]
fn pipelined_group_is_answered_in_one_transmit_rfc2920_3_2() {
    let now = Instant::now();
    let mut policy = relay_policy();
    let mut server = ServerSession::new(
        ServerConfig::new("mx.example.net"),
        Peer::default(),
        now,
        &mut policy,
    );
    assert_eq!(codes(&server.poll_transmit().unwrap()), [220]);
    server.handle_input(b"EHLO client.example\r\n", now, &mut policy);
    assert_eq!(codes(&server.poll_transmit().unwrap()), [250]);
    let group = crlf!(
        "MAIL FROM:<alice@example.org>",
        "RCPT TO:<bob@example.net>",
        "RCPT TO:<nobody@example.net>",
        "RCPT TO:<carol@example.net>",
        "DATA",
    );
    server.handle_input(group.as_bytes(), now, &mut policy);
    let chunk = server.poll_transmit().expect("the group is answered");
    assert_eq!(codes(&chunk), [250, 250, 550, 250, 354]);
    assert_eq!(
        server.poll_transmit(),
        None,
        "every reply was in the one chunk"
    );
}

/// Once EHLO negotiated ENHANCEDSTATUSCODES, every 2xx, 4xx and 5xx reply
/// other than the answer to EHLO/HELO carries an enhanced status code
/// (RFC 2034 §3).
#[test]
fn every_reply_after_ehlo_has_an_enhanced_code_rfc2034_3() {
    let now = Instant::now();
    for (submission, script) in [
        (
            false,
            crlf!(
                "EHLO client.example",
                "NOOP",
                "VRFY bob",
                "HELP",
                "XYZZY",
                "EXPN staff",
                "MAIL FROM:<alice@example.org> XFOO=1",
                "MAIL FROM:<jörg@example.org>",
                "MAIL FROM:<alice@example.org> SIZE=999999999",
                "MAIL FROM:<alice@example.org>",
                "MAIL FROM:<alice@example.org>",
                "RCPT TO:<nobody@example.net>",
                "RCPT TO:<x@elsewhere.example>",
                "RCPT TO:<bob@example.net> XFOO",
                "RCPT TO:<bob@example.net>",
                "DATA",
                "hi\nthere",
                ".",
                "RSET",
                "DATA",
                "MAIL FROM:<bad",
                "QUIT",
            ),
        ),
        (
            true,
            crlf!(
                "EHLO client.example",
                "MAIL FROM:<alice@example.net>",
                "AUTH PLAIN AGFsaWNlAHdyb25n",
                "AUTH CRAM-MD5",
                "AUTH PLAIN",
                "*",
                "AUTH PLAIN AGFsaWNlAGFsaWNl",
                "AUTH PLAIN AGFsaWNlAGFsaWNl",
                "QUIT",
            ),
        ),
    ] {
        let mut policy = if submission {
            submission_policy()
        } else {
            relay_policy()
        };
        let mut config = ServerConfig::new("mx.example.net");
        config.submission = submission;
        let mut server = ServerSession::new(config, Peer::default(), now, &mut policy);
        server.handle_input(script.as_bytes(), now, &mut policy);
        let replies = parse_replies(&server.poll_transmit().unwrap()).unwrap();
        // The greeting and the EHLO reply are exempt.
        for reply in &replies[2..] {
            if reply.code().is_intermediate() {
                continue;
            }
            assert!(
                reply.enhanced().is_some(),
                "no enhanced status code in {reply} (submission: {submission})"
            );
        }
    }
}

/// Every reply the server can send, on every path the catalog walk of
/// `tests/catalog_coverage.rs` reaches (and an SMTPUTF8 address it echoes),
/// holds only what RFC 5321 §4.2's `textstring` allows after its code: HT,
/// SP and `!`..`~`. Texts that cite "§4.1" say "section 4.1" on the wire.
#[test]
fn every_reply_text_is_printable_us_ascii_rfc5321_4_2() {
    let mx = || ServerConfig::new("mx.example.net");
    let sub = || ServerConfig::new("smtp.example.org").submission();
    let local = || {
        let mut p =
            SimplePolicy::for_domain("example.net", &["bob"]).with_account("alice", "alice");
        p.max_message_size = Some(2000);
        p.max_recipients = Some(1);
        p
    };
    let refusing = || {
        let mut p = local();
        p.refuse_service = Some("no service \u{a7} here".into());
        p
    };
    let plain = PLAIN_ALICE;
    let wrong = PLAIN_WRONG;
    let long_line = "y".repeat(1200);
    let big = "z\r\n".repeat(1000);
    let tx = "EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n";
    let inputs: Vec<(ServerConfig, SimplePolicy, String)> = vec![
        (mx(), refusing(), "NOOP\r\nQUIT\r\n".into()),
        (
            mx(),
            local(),
            "HELP\r\nVRFY bob\r\nEXPN x\r\nSTARTTLS\r\nETRN x\r\nXYZZY\r\nEHLO\r\nMAIL FROM:<a@b.example>\r\n\
             HELO c.example\r\nMAIL FROM:<a@b.example> SIZE=1\r\nEHLO c.example\r\nMAIL FROM:<bad>\r\n\
             MAIL FROM:<a@b.example> SIZE=x\r\nMAIL FROM:<a@b.example> XFOO\r\nMAIL FROM:<a@b.example> SIZE=99999\r\n\
             MAIL FROM:<jörg@b.example>\r\nRCPT TO:<bob@example.net>\r\nMAIL FROM:<a@b.example>\r\nMAIL FROM:<a@b.example>\r\n\
             RCPT TO:<bad>\r\nRCPT TO:<nobody@example.net>\r\nRCPT TO:<x@elsewhere.example>\r\nDATA\r\n\
             RCPT TO:<bob@example.net>\r\nRCPT TO:<bob@example.net>\r\nRSET\r\nNOOP\r\nAUTH PLAIN\r\nQUIT\r\n"
                .into(),
        ),
        (mx(), local(), format!("{tx}ok\r\n.\r\n{tx}{long_line}\r\n.\r\n{tx}a\nb\r\n.\r\n{tx}{big}.\r\nQUIT\r\n")),
        (mx(), local(), format!("NOOP {long_line}\r\nNOOP\nQUIT\r\n")),
        (
            sub(),
            local(),
            format!(
                "AUTH PLAIN {plain}\r\nEHLO l.example\r\nMAIL FROM:<a@b.example>\r\nAUTH FOO\r\nAUTH PLAIN {wrong}\r\n\
                 AUTH PLAIN !!\r\nAUTH PLAIN\r\n*\r\nAUTH LOGIN\r\nYQ==\r\nYQ==\r\nAUTH PLAIN {plain}\r\nAUTH PLAIN {plain}\r\n\
                 MAIL FROM:<a@b.example>\r\nAUTH PLAIN {plain}\r\nQUIT\r\n"
            ),
        ),
        (mx(), local(), "XYZZY\r\n".repeat(25)),
        // Client text the server echoes: an SMTPUTF8 path, a strange verb,
        // a parameter keyword and an AUTH mechanism that are not ASCII.
        (
            mx(),
            local(),
            "EHLO c.example\r\nMAIL FROM:<jörg@b.example> SMTPUTF8\r\nRCPT TO:<bob@example.net>\r\n\
             RSET\r\nMAIL FROM:<a@b.example> XFÖÖ=1\r\nXYZZŸ\r\nQUIT\r\n"
                .into(),
        ),
        (sub(), local(), "EHLO c.example\r\nAUTH MÉCANISME\r\nQUIT\r\n".into()),
    ];
    let mut checked = 0;
    for (mut config, mut policy, input) in inputs {
        for keep in [BareLineEndings::Refuse, BareLineEndings::Keep] {
            config.bare_line_endings = keep;
            let now = Instant::now();
            let mut server = ServerSession::new(config.clone(), Peer::default(), now, &mut policy);
            server.handle_input(input.as_bytes(), now, &mut policy);
            server.handle_timeout(now + Duration::from_secs(3600));
            let mut wire = server.poll_transmit().unwrap_or_default();
            let mut shut = ServerSession::new(config.clone(), Peer::default(), now, &mut policy);
            shut.shutdown();
            wire.extend(shut.poll_transmit().unwrap_or_default());
            for line in wire.split_inclusive(|&b| b == b'\n') {
                let text = line
                    .strip_suffix(b"\r\n")
                    .expect("every reply line ends in CRLF");
                assert!(
                    text.iter()
                        .all(|&b| b == b'\t' || (b' '..=b'~').contains(&b)),
                    "not printable US-ASCII: {}",
                    escape(text)
                );
                assert!(!text.contains(&b'\xa7'), "{}", escape(text));
                checked += 1;
            }
        }
    }
    assert!(checked > 100, "only {checked} reply lines checked");
}

// ---------------------------------------------------------------------------
// Machinery
// ---------------------------------------------------------------------------

fn relay_policy() -> SimplePolicy {
    SimplePolicy::for_domain("example.net", &["bob", "carol", "dave"])
}

fn submission_policy() -> SimplePolicy {
    relay_policy().with_account("alice", "alice")
}

enum Step {
    /// One `handle_input` with these bytes.
    Send(Vec<u8>),
    /// One `handle_input` per byte.
    Trickle(Vec<u8>),
    /// `handle_input` with pieces of these sizes, repeating the sizes.
    Chunks(Vec<u8>, Vec<usize>),
    /// The clock moves on this much, then `handle_timeout`.
    Wait(Duration),
    Shutdown,
    PeerClose,
}

type Tweak<T> = Box<dyn Fn(&mut T)>;

struct Case {
    name: String,
    submission: bool,
    config: Vec<Tweak<ServerConfig>>,
    policy: Vec<Tweak<SimplePolicy>>,
    steps: Vec<Step>,
    expect: Vec<String>,
    closed: Option<bool>,
    /// Contents of `MessageReceived`, in order.
    delivered: Option<Vec<Vec<u8>>>,
    /// Reverse-path and forward-paths of the first message event.
    envelope: Option<(String, Vec<String>)>,
    /// How many `MessageReceived` + `MessageRefused` events.
    message_events: Option<usize>,
}

impl Case {
    fn relay(name: impl Into<String>) -> Case {
        Case {
            name: name.into(),
            submission: false,
            config: Vec::new(),
            policy: Vec::new(),
            steps: Vec::new(),
            expect: Vec::new(),
            closed: None,
            delivered: None,
            envelope: None,
            message_events: None,
        }
    }

    fn submission(name: impl Into<String>) -> Case {
        Case {
            submission: true,
            ..Case::relay(name)
        }
    }

    fn config(mut self, tweak: impl Fn(&mut ServerConfig) + 'static) -> Case {
        self.config.push(Box::new(tweak));
        self
    }

    fn policy(mut self, tweak: impl Fn(&mut SimplePolicy) + 'static) -> Case {
        self.policy.push(Box::new(tweak));
        self
    }

    fn send(mut self, bytes: impl AsRef<[u8]>) -> Case {
        self.steps.push(Step::Send(bytes.as_ref().to_vec()));
        self
    }

    fn trickle(mut self, bytes: impl AsRef<[u8]>) -> Case {
        self.steps.push(Step::Trickle(bytes.as_ref().to_vec()));
        self
    }

    fn chunks(mut self, bytes: impl AsRef<[u8]>, sizes: &[usize]) -> Case {
        self.steps
            .push(Step::Chunks(bytes.as_ref().to_vec(), sizes.to_vec()));
        self
    }

    fn wait(mut self, seconds: u64) -> Case {
        self.steps.push(Step::Wait(Duration::from_secs(seconds)));
        self
    }

    fn shutdown(mut self) -> Case {
        self.steps.push(Step::Shutdown);
        self
    }

    fn peer_close(mut self) -> Case {
        self.steps.push(Step::PeerClose);
        self
    }

    fn expect<S: Into<String>>(mut self, replies: impl IntoIterator<Item = S>) -> Case {
        self.expect = replies.into_iter().map(Into::into).collect();
        self
    }

    fn closed(mut self, closed: bool) -> Case {
        self.closed = Some(closed);
        self
    }

    fn delivers(self, contents: &[&str]) -> Case {
        self.delivers_bytes(contents.iter().map(|c| c.as_bytes().to_vec()).collect())
    }

    fn delivers_bytes(mut self, contents: Vec<Vec<u8>>) -> Case {
        self.delivered = Some(contents);
        self
    }

    fn envelope(mut self, from: &str, to: &[&str]) -> Case {
        self.envelope = Some((from.into(), to.iter().map(|t| t.to_string()).collect()));
        self
    }

    fn message_events(mut self, n: usize) -> Case {
        self.message_events = Some(n);
        self
    }

    /// Everything the client sends, for the failure report.
    fn client_bytes(&self) -> Vec<u8> {
        let mut all = Vec::new();
        for step in &self.steps {
            match step {
                Step::Send(b) | Step::Trickle(b) | Step::Chunks(b, _) => all.extend_from_slice(b),
                Step::Wait(d) => {
                    all.extend_from_slice(format!("<wait {}s>", d.as_secs()).as_bytes())
                }
                Step::Shutdown => all.extend_from_slice(b"<shutdown>"),
                Step::PeerClose => all.extend_from_slice(b"<client closes>"),
            }
        }
        all
    }
}

/// What one run of a case produced.
struct Run {
    output: Vec<u8>,
    events: Vec<ServerEvent>,
    closed: bool,
}

fn run(case: &Case) -> Run {
    let start = Instant::now();
    let mut now = start;
    let mut policy = if case.submission {
        submission_policy()
    } else {
        relay_policy()
    };
    case.policy.iter().for_each(|t| t(&mut policy));
    let mut config = ServerConfig::new("mx.example.net");
    if case.submission {
        config = config.submission();
    }
    case.config.iter().for_each(|t| t(&mut config));

    let mut server = ServerSession::new(config, Peer::default(), now, &mut policy);
    let mut output = Vec::new();
    let mut events = Vec::new();
    let mut collect = |server: &mut ServerSession| {
        while let Some(bytes) = server.poll_transmit() {
            output.extend_from_slice(&bytes);
        }
        events.extend(std::iter::from_fn(|| server.poll_event()));
    };
    collect(&mut server);
    for step in &case.steps {
        match step {
            Step::Send(bytes) => server.handle_input(bytes, now, &mut policy),
            Step::Trickle(bytes) => {
                for b in bytes {
                    server.handle_input(std::slice::from_ref(b), now, &mut policy);
                    collect(&mut server);
                }
            }
            Step::Chunks(bytes, sizes) => {
                let mut rest = &bytes[..];
                for &size in sizes.iter().cycle() {
                    if rest.is_empty() {
                        break;
                    }
                    let (piece, tail) = rest.split_at(size.min(rest.len()));
                    server.handle_input(piece, now, &mut policy);
                    collect(&mut server);
                    rest = tail;
                }
            }
            Step::Wait(d) => {
                now += *d;
                server.handle_timeout(now);
            }
            Step::Shutdown => server.shutdown(),
            Step::PeerClose => server.handle_close(),
        }
        collect(&mut server);
    }
    Run {
        output,
        events,
        closed: server.is_closed(),
    }
}

/// Runs a case; `Some(report)` when it failed.
fn check(case: &Case) -> Option<String> {
    let run = run(case);
    let mut problems = Vec::new();
    let replies = match parse_replies(&run.output) {
        Ok(replies) => replies,
        Err(e) => {
            problems.push(format!("the server's output does not parse: {e}"));
            Vec::new()
        }
    };
    let replies_ok = replies.len() == case.expect.len()
        && replies.iter().zip(&case.expect).all(|(r, e)| matches(e, r));
    if !replies_ok {
        problems.push(format!(
            "replies differ\n      expected: {:?}\n      actual:   {:?}",
            case.expect,
            replies.iter().map(describe).collect::<Vec<_>>()
        ));
    }
    if let Some(closed) = case.closed
        && closed != run.closed
    {
        problems.push(format!(
            "expected closed = {closed}, but it is {}",
            run.closed
        ));
    }
    let received: Vec<&Vec<u8>> = run
        .events
        .iter()
        .filter_map(|e| match e {
            ServerEvent::MessageReceived { content, .. } => Some(content),
            _ => None,
        })
        .collect();
    let message_events: Vec<_> = run
        .events
        .iter()
        .filter_map(|e| match e {
            ServerEvent::MessageReceived { envelope, .. }
            | ServerEvent::MessageRefused { envelope, .. } => Some(envelope),
            _ => None,
        })
        .collect();
    if let Some(expected) = &case.delivered {
        let same =
            received.len() == expected.len() && received.iter().zip(expected).all(|(a, b)| *a == b);
        if !same {
            problems.push(format!(
                "delivered contents differ\n      expected: {:?}\n      actual:   {:?}",
                expected.iter().map(|c| escape(c)).collect::<Vec<_>>(),
                received.iter().map(|c| escape(c)).collect::<Vec<_>>()
            ));
        }
    }
    if let Some(n) = case.message_events
        && n != message_events.len()
    {
        problems.push(format!(
            "expected {n} message event(s) (received + refused), got {}",
            message_events.len()
        ));
    }
    if let Some((from, to)) = &case.envelope {
        match message_events.first() {
            None => problems.push("expected a message event with an envelope, got none".into()),
            Some(envelope) => {
                let actual_from = envelope.reverse_path.to_string();
                let actual_to: Vec<String> = envelope
                    .forward_paths
                    .iter()
                    .map(|f| f.to_string())
                    .collect();
                if &actual_from != from || &actual_to != to {
                    problems.push(format!(
                        "envelope differs\n      expected: {from} -> {to:?}\n      actual:   {actual_from} -> {actual_to:?}"
                    ));
                }
            }
        }
    }
    if problems.is_empty() {
        return None;
    }
    let mut report = format!(
        "✗ {}\n    client sent: {}\n",
        case.name,
        escape_short(&case.client_bytes())
    );
    for p in problems {
        writeln!(report, "    {p}").unwrap();
    }
    Some(report)
}

fn parse_replies(bytes: &[u8]) -> Result<Vec<Reply>, String> {
    let mut parser = ReplyParser::new();
    parser.push(bytes);
    let replies: Result<Vec<Reply>, _> = std::iter::from_fn(|| parser.next_reply()).collect();
    let replies = replies.map_err(|e| e.to_string())?;
    if parser.has_partial() {
        return Err("output ends inside a reply".into());
    }
    Ok(replies)
}

fn codes(bytes: &[u8]) -> Vec<u16> {
    parse_replies(bytes)
        .unwrap()
        .iter()
        .map(|r| r.code().get())
        .collect()
}

/// Does `reply` fit the expectation `"250"`, `"553 5.6.7"` or `"250 ehlo[A|B]"`?
fn matches(expect: &str, reply: &Reply) -> bool {
    let mut words = expect.splitn(2, ' ');
    let code: u16 = words
        .next()
        .unwrap()
        .parse()
        .expect("expectation starts with a code");
    if reply.code().get() != code {
        return false;
    }
    let mut rest = words.next().unwrap_or("");
    if let Some(first) = rest.split(' ').next()
        && first.starts_with(|c: char| c.is_ascii_digit())
    {
        if reply.enhanced().map(|e| e.to_string()).as_deref() != Some(first) {
            return false;
        }
        rest = rest[first.len()..].trim_start();
    }
    if let Some(list) = rest.strip_prefix("ehlo[").and_then(|r| r.strip_suffix(']')) {
        let expected: Vec<&str> = if list.is_empty() {
            Vec::new()
        } else {
            list.split('|').collect()
        };
        let actual: Vec<&str> = reply.lines()[1..].iter().map(String::as_str).collect();
        return actual == expected;
    }
    assert!(rest.is_empty(), "cannot read expectation {expect:?}");
    true
}

/// A reply in the notation of the expectations, with its first line of text.
fn describe(reply: &Reply) -> String {
    let mut s = reply.code().to_string();
    if let Some(esc) = reply.enhanced() {
        write!(s, " {esc}").unwrap();
    }
    if reply.lines().len() > 1 {
        write!(s, " ehlo[{}]", reply.lines()[1..].join("|")).unwrap();
    }
    let text: String = reply.lines()[0].chars().take(50).collect();
    write!(s, " «{text}»").unwrap();
    s
}

fn escape(bytes: &[u8]) -> String {
    bytes.escape_ascii().to_string()
}

fn escape_short(bytes: &[u8]) -> String {
    let text = escape(bytes);
    if text.chars().count() > 400 {
        let head: String = text.chars().take(400).collect();
        format!("{head}… ({} bytes)", bytes.len())
    } else {
        text
    }
}
