//! CHUNKING and BINARYMIME (RFC 3030): the server reading BDAT chunks, the
//! client sending them, the two back to back, a relay from BDAT to DATA,
//! and the observer that tells a view what each line is.
//!
//! Each test is named after the rule it checks and where it is written.

use std::time::Instant;

use mailflow::session::grammar::{LineKind, Side};
use mailflow::smtp::client::Reason;
use mailflow::smtp::command::Body;
use mailflow::smtp::observe::Observer;
use mailflow::smtp::pair::{Direction, Pair};
use mailflow::smtp::{
    ClientConfig, ClientEvent, EnhancedCode, ForwardPath, Outcome, Peer, Reply, ReplyParser,
    ReversePath, ServerConfig, ServerEvent, ServerSession, SimplePolicy, Transaction,
};
use proptest::prelude::*;

const EHLO: &str = "EHLO client.example\r\n";
const TX: &str = "MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\n";

fn chunking_mx() -> ServerConfig {
    let mut config = ServerConfig::new("mx.example.net");
    config.chunking = true;
    config
}

fn policy() -> SimplePolicy {
    SimplePolicy::for_domain("example.net", &["bob"])
}

/// A server session fed `inputs` one after the other: its replies and
/// its events.
fn serve(
    config: ServerConfig,
    mut policy: SimplePolicy,
    inputs: &[&[u8]],
) -> (Vec<Reply>, Vec<ServerEvent>) {
    let now = Instant::now();
    let mut s = ServerSession::new(config, Peer::default(), now, &mut policy);
    s.poll_transmit();
    let mut parser = ReplyParser::new();
    for input in inputs {
        s.handle_input(input, now, &mut policy);
        parser.push(&s.poll_transmit().unwrap_or_default());
    }
    let replies = std::iter::from_fn(|| parser.next_reply())
        .map(|r| r.expect("a well-formed reply"))
        .collect();
    (replies, std::iter::from_fn(|| s.poll_event()).collect())
}

fn codes(replies: &[Reply]) -> Vec<u16> {
    replies.iter().map(|r| r.code().get()).collect()
}

fn enhanced(reply: &Reply) -> String {
    reply.enhanced().map(|e| e.to_string()).unwrap_or_default()
}

fn received(events: &[ServerEvent]) -> Vec<(Option<Body>, Vec<u8>)> {
    events
        .iter()
        .filter_map(|e| match e {
            ServerEvent::MessageReceived {
                envelope, content, ..
            } => Some((envelope.params.body, content.clone())),
            _ => None,
        })
        .collect()
}

/// `BDAT size [LAST]` and its octets.
fn bdat(octets: &[u8], last: bool) -> Vec<u8> {
    let mut out = format!(
        "BDAT {}{}\r\n",
        octets.len(),
        if last { " LAST" } else { "" }
    )
    .into_bytes();
    out.extend_from_slice(octets);
    out
}

fn joined(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

#[test]
fn rfc3030_s2_bdat_octets_are_not_scanned_for_end_of_data() {
    // Every false end SMTP smuggling tries, and the true one, inside a
    // chunk (BINARYMIME: octets, so the bare ones are kept too).
    let content =
        b"Subject: x\r\n\r\na\r\n.\r\nMAIL FROM:<evil@example.com>\r\nb\n.\nc\r.\r\n.\r\n";
    let mail = "MAIL FROM:<alice@example.org> BODY=BINARYMIME\r\nRCPT TO:<bob@example.net>\r\n";
    let input = joined(&[
        EHLO.as_bytes(),
        mail.as_bytes(),
        &bdat(content, true),
        b"QUIT\r\n",
    ]);
    let (replies, events) = serve(chunking_mx(), policy(), &[&input]);
    // EHLO, MAIL, RCPT, the one answer to the whole chunk, QUIT.
    assert_eq!(codes(&replies), [250, 250, 250, 250, 221]);
    assert_eq!(enhanced(&replies[3]), "2.6.0");
    let got = received(&events);
    assert_eq!(got.len(), 1, "one message, not two");
    assert_eq!(got[0].1, content, "byte for byte, dots and all");
}

#[test]
fn rfc3030_s2_bdat_without_mail_consumes_the_chunk_and_answers_503() {
    // The chunk's octets look like commands; they are not read as any.
    let input = joined(&[
        EHLO.as_bytes(),
        &bdat(b"QUIT\r\nRSET\r\n", false),
        b"NOOP\r\n",
    ]);
    let (replies, _) = serve(chunking_mx(), policy(), &[&input]);
    assert_eq!(codes(&replies), [250, 503, 250]);
    assert_eq!(enhanced(&replies[1]), "5.5.1");
    // Without a recipient too, and split across inputs.
    let head = joined(&[EHLO.as_bytes(), b"MAIL FROM:<a@b.example>\r\nBDAT 6\r\nQU"]);
    let (replies, _) = serve(chunking_mx(), policy(), &[&head, b"IT\r\n", b"NOOP\r\n"]);
    assert_eq!(codes(&replies), [250, 250, 503, 250]);
}

#[test]
fn rfc3030_s2_bdat_0_last_ends_the_message() {
    let input = joined(&[
        EHLO.as_bytes(),
        TX.as_bytes(),
        &bdat(b"hello\r\n", false),
        b"BDAT 0 LAST\r\n",
    ]);
    let (replies, events) = serve(chunking_mx(), policy(), &[&input]);
    assert_eq!(codes(&replies), [250, 250, 250, 250, 250]);
    assert!(replies[3].to_string().contains("7 octets received"));
    assert_eq!(received(&events)[0].1, b"hello\r\n");
}

#[test]
fn rfc3030_s2_data_after_bdat_in_a_transaction_is_503() {
    let input = joined(&[
        EHLO.as_bytes(),
        TX.as_bytes(),
        &bdat(b"abc", false),
        b"DATA\r\nRSET\r\n",
        TX.as_bytes(),
        b"DATA\r\nok\r\n.\r\n",
    ]);
    let (replies, events) = serve(chunking_mx(), policy(), &[&input]);
    assert_eq!(
        codes(&replies),
        [250, 250, 250, 250, 503, 250, 250, 250, 354, 250]
    );
    assert_eq!(enhanced(&replies[4]), "5.5.1");
    // A transaction may use DATA after another used BDAT: only mixing is wrong.
    assert_eq!(received(&events)[0].1, b"ok\r\n");
}

#[test]
fn rfc3030_s2_rset_aborts_a_chunked_transaction() {
    let input = joined(&[
        EHLO.as_bytes(),
        TX.as_bytes(),
        &bdat(b"first ", false),
        b"RSET\r\n",
        TX.as_bytes(),
        &bdat(b"second\r\n", true),
    ]);
    let (replies, events) = serve(chunking_mx(), policy(), &[&input]);
    assert_eq!(codes(&replies), [250, 250, 250, 250, 250, 250, 250, 250]);
    assert_eq!(received(&events), [(None, b"second\r\n".to_vec())]);
}

#[test]
fn rfc1870_rfc3030_s2_size_counts_every_chunk_and_552_comes_after_the_octets() {
    let mut small = policy();
    small.max_message_size = Some(10);
    let input = joined(&[
        EHLO.as_bytes(),
        TX.as_bytes(),
        &bdat(b"123456", false),
        // 12 octets in all: past the limit. The chunk still reads as octets.
        &bdat(b"NOOP\r\n", true),
        // Pipelined behind the refused chunk: read, and 503 (no transaction).
        &bdat(b"QUIT\r\n", true),
        b"NOOP\r\n",
    ]);
    let (replies, events) = serve(chunking_mx(), small, &[&input]);
    assert_eq!(codes(&replies), [250, 250, 250, 250, 552, 503, 250]);
    assert_eq!(enhanced(&replies[4]), "5.3.4");
    assert!(received(&events).is_empty());
    assert!(events.iter().any(
        |e| matches!(e, ServerEvent::MessageRefused { reply, .. } if reply.code().get() == 552)
    ));
}

#[test]
fn rfc3030_s2_rfc2920_pipelined_chunks_are_answered_in_order_together() {
    let input = joined(&[
        TX.as_bytes(),
        &bdat(b"one\r\n", false),
        &bdat(b"two\r\n", false),
        &bdat(b"three\r\n", true),
    ]);
    let now = Instant::now();
    let mut p = policy();
    let mut s = ServerSession::new(chunking_mx(), Peer::default(), now, &mut p);
    s.poll_transmit();
    s.handle_input(EHLO.as_bytes(), now, &mut p);
    s.poll_transmit();
    s.handle_input(&input, now, &mut p);
    let flight = s.poll_transmit().expect("replies");
    let mut parser = ReplyParser::new();
    parser.push(&flight);
    let replies: Vec<Reply> = std::iter::from_fn(|| parser.next_reply())
        .map(Result::unwrap)
        .collect();
    assert_eq!(codes(&replies), [250, 250, 250, 250, 250]);
    assert!(s.poll_transmit().is_none(), "one flight answers the group");
    let got: Vec<ServerEvent> = std::iter::from_fn(|| s.poll_event()).collect();
    assert_eq!(received(&got)[0].1, b"one\r\ntwo\r\nthree\r\n");
}

#[test]
fn rfc3030_s2_bdat_where_chunking_is_not_offered_is_a_command_like_any_other() {
    // No CHUNKING: 502, and what follows is read as commands, as a server
    // without the extension reads it.
    let input = joined(&[EHLO.as_bytes(), &bdat(b"NOOP\r\n", true)]);
    let (replies, _) = serve(ServerConfig::new("mx.example.net"), policy(), &[&input]);
    assert_eq!(codes(&replies), [250, 502, 250]);
    // CHUNKING is offered after EHLO only: after HELO, 503 and commands.
    let input = joined(&[b"HELO client.example\r\n", &bdat(b"NOOP\r\n", true)]);
    let (replies, _) = serve(chunking_mx(), policy(), &[&input]);
    assert_eq!(codes(&replies), [250, 503, 250]);
}

#[test]
fn rfc3030_s2_ehlo_lists_chunking_and_binarymime_only_when_configured() {
    let (replies, _) = serve(chunking_mx(), policy(), &[EHLO.as_bytes()]);
    let text = replies[0].to_string();
    assert!(text.contains("250-CHUNKING") || text.contains("250 CHUNKING"));
    assert!(text.contains("BINARYMIME"));
    let (replies, _) = serve(ServerConfig::new("mx"), policy(), &[EHLO.as_bytes()]);
    assert!(!replies[0].to_string().contains("CHUNKING"));
}

#[test]
fn rfc3030_s3_binarymime_requires_bdat() {
    let mail = "MAIL FROM:<alice@example.org> BODY=BINARYMIME\r\nRCPT TO:<bob@example.net>\r\n";
    let input = format!("{EHLO}{mail}DATA\r\n");
    let (replies, _) = serve(chunking_mx(), policy(), &[input.as_bytes()]);
    assert_eq!(codes(&replies), [250, 250, 250, 503]);
    assert_eq!(enhanced(&replies[3]), "5.6.1");
    // A server that does not offer BINARYMIME does not take the parameter.
    let (replies, _) = serve(
        ServerConfig::new("mx"),
        policy(),
        &[format!("{EHLO}{mail}").as_bytes()],
    );
    assert_eq!(codes(&replies)[1], 555);
}

#[test]
fn rfc3030_s3_binarymime_content_is_octets_and_text_keeps_the_line_rules() {
    let binary = b"\x00\x01 line\nanother\rend";
    let mail = "MAIL FROM:<alice@example.org> BODY=BINARYMIME\r\nRCPT TO:<bob@example.net>\r\n";
    let input = joined(&[EHLO.as_bytes(), mail.as_bytes(), &bdat(binary, true)]);
    let (replies, events) = serve(chunking_mx(), policy(), &[&input]);
    assert_eq!(codes(&replies), [250, 250, 250, 250]);
    assert_eq!(
        received(&events),
        [(Some(Body::BinaryMime), binary.to_vec())]
    );
    // BODY=8BITMIME by BDAT is fine, but still text: a bare LF is refused
    // as it is after DATA (RFC 5321 §2.3.8), so no relay passes it on.
    let mail = "MAIL FROM:<alice@example.org> BODY=8BITMIME\r\nRCPT TO:<bob@example.net>\r\n";
    let ok = joined(&[
        EHLO.as_bytes(),
        mail.as_bytes(),
        &bdat("Grüße\r\n".as_bytes(), true),
    ]);
    let (replies, events) = serve(chunking_mx(), policy(), &[&ok]);
    assert_eq!(codes(&replies), [250, 250, 250, 250]);
    assert_eq!(received(&events)[0].0, Some(Body::EightBitMime));
    let bare = joined(&[
        EHLO.as_bytes(),
        mail.as_bytes(),
        &bdat(b"a\n.\nb\r\n", true),
    ]);
    let (replies, _) = serve(chunking_mx(), policy(), &[&bare]);
    assert_eq!(codes(&replies)[3], 554);
    assert_eq!(enhanced(&replies[3]), "5.6.0");
}

// ── The client, against the server ──────────────────────────────────

fn letter(content: &[u8]) -> Transaction {
    Transaction {
        reverse_path: ReversePath::parse("<alice@example.org>").unwrap(),
        forward_paths: vec![ForwardPath::parse("<bob@example.net>").unwrap()],
        content: content.to_vec(),
    }
}

fn chunking_client(chunk_size: Option<usize>) -> ClientConfig {
    let mut config = ClientConfig::new("client.example");
    config.chunking = true;
    config.chunk_size = chunk_size;
    config
}

fn session(client: ClientConfig, server: ServerConfig, content: &[u8]) -> Pair<SimplePolicy> {
    let mut pair = Pair::new(
        client,
        vec![letter(content)],
        server,
        policy(),
        Instant::now(),
    );
    pair.run();
    pair
}

fn client_lines(pair: &Pair<SimplePolicy>) -> Vec<String> {
    pair.transcript()
        .into_iter()
        .filter(|(d, _)| *d == Direction::ClientToServer)
        .map(|(_, l)| l)
        .collect()
}

fn outcome(pair: &Pair<SimplePolicy>) -> Outcome {
    pair.client_events()
        .iter()
        .find_map(|e| match e {
            ClientEvent::TransactionDone { outcomes, .. } => outcomes.first().cloned(),
            _ => None,
        })
        .expect("an outcome")
}

const MINUTES: &[u8] = b"Subject: minutes\r\n\r\nitem one\r\n.\r\n..two dots\r\nend\r\n";

#[test]
fn rfc3030_s2_client_sends_bdat_chunks_where_chunking_is_offered() {
    let pair = session(chunking_client(Some(16)), chunking_mx(), MINUTES);
    let pieces: Vec<&[u8]> = MINUTES.chunks(16).collect();
    let expected: Vec<u8> = pieces
        .iter()
        .enumerate()
        .flat_map(|(i, piece)| bdat(piece, i + 1 == pieces.len()))
        .collect();
    let wire: Vec<u8> = pair
        .wire
        .iter()
        .filter(|(d, _)| *d == Direction::ClientToServer)
        .flat_map(|(_, b)| b.clone())
        .collect();
    assert!(
        wire.windows(expected.len()).any(|w| w == expected),
        "the chunks, each announced, none stuffed"
    );
    assert!(!client_lines(&pair).iter().any(|l| l == "DATA"));
    assert_eq!(received(pair.server_events())[0].1, MINUTES);
    assert!(matches!(outcome(&pair), Outcome::Delivered { .. }));
}

#[test]
fn rfc3030_s2_client_falls_back_to_data_where_chunking_is_not_offered() {
    let pair = session(chunking_client(None), ServerConfig::new("mx"), MINUTES);
    let lines = client_lines(&pair);
    assert!(lines.iter().any(|l| l == "DATA"));
    assert!(!lines.iter().any(|l| l.starts_with("BDAT")));
    // Dot-stuffed on the wire, and unstuffed at the far end.
    assert!(lines.iter().any(|l| l == ".."));
    assert_eq!(received(pair.server_events())[0].1, MINUTES);
    // And a client without the option uses DATA even where BDAT is offered.
    let pair = session(ClientConfig::new("c"), chunking_mx(), MINUTES);
    assert!(client_lines(&pair).iter().any(|l| l == "DATA"));
}

#[test]
fn rfc3030_s2_without_pipelining_each_chunk_waits_for_its_250() {
    let client = chunking_client(Some(10)).without_pipelining();
    let pair = session(client, chunking_mx(), MINUTES);
    let chunks = MINUTES.len().div_ceil(10);
    // Each client flight after RCPT carries one BDAT and its octets.
    let flights = pair
        .wire
        .iter()
        .filter(|(d, bytes)| *d == Direction::ClientToServer && bytes.starts_with(b"BDAT"))
        .count();
    assert_eq!(flights, chunks);
    assert_eq!(received(pair.server_events())[0].1, MINUTES);
}

#[test]
fn rfc3030_s3_binary_body_goes_as_binarymime_by_bdat() {
    let binary = b"Subject: log\r\n\r\nt=1\nt=2\x00\r\n";
    let pair = session(chunking_client(Some(8)), chunking_mx(), binary);
    assert!(
        client_lines(&pair).iter().any(
            |l| l.starts_with("MAIL FROM:<alice@example.org>") && l.contains("BODY=BINARYMIME")
        )
    );
    assert_eq!(
        received(pair.server_events()),
        [(Some(Body::BinaryMime), binary.to_vec())]
    );
}

#[test]
fn rfc3030_s3_binary_body_to_a_server_without_binarymime_fails_5_6_3_unsent() {
    let binary = b"Subject: log\r\n\r\nt=1\n.\nt=2\n";
    let pair = session(chunking_client(None), ServerConfig::new("mx"), binary);
    let Outcome::Failed {
        reason: Reason::Local { enhanced, .. },
    } = outcome(&pair)
    else {
        panic!("{:?}", outcome(&pair))
    };
    assert_eq!(enhanced, EnhancedCode::new(5, 6, 3));
    let lines = client_lines(&pair);
    assert!(!lines.iter().any(|l| l.starts_with("MAIL") || l == "DATA"));
    assert!(received(pair.server_events()).is_empty());
}

#[test]
fn rfc3030_relay_received_by_bdat_and_sent_by_data_is_stuffed_and_identical() {
    // Hop 1 takes the message by BDAT; hop 2 has no CHUNKING, so the
    // relay's client sends the same content by DATA. No smuggling gap: the
    // lone dot is stuffed, and the far end unstuffs it to the same bytes.
    let content = b"Subject: relay\r\n\r\nline\r\n.\r\n.hidden\r\nend\r\n";
    let hop1 = session(chunking_client(Some(7)), chunking_mx(), content);
    let stored = received(hop1.server_events())[0].1.clone();
    assert_eq!(stored, content);
    let hop2 = session(chunking_client(Some(7)), ServerConfig::new("next"), &stored);
    let wire: Vec<u8> = hop2
        .wire
        .iter()
        .filter(|(d, _)| *d == Direction::ClientToServer)
        .flat_map(|(_, b)| b.clone())
        .collect();
    let stuffed = b"line\r\n..\r\n..hidden\r\nend\r\n.\r\n";
    assert!(wire.windows(stuffed.len()).any(|w| w == stuffed));
    assert_eq!(received(hop2.server_events())[0].1, content);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Any body, split into any chunks, pipelined or not, arrives byte
    /// for byte (RFC 3030 §2: the octets are counted, never changed).
    #[test]
    fn rfc3030_s2_any_body_in_any_chunks_arrives_byte_identical(
        body in proptest::collection::vec(any::<u8>(), 0..600),
        chunk in 0usize..200,
        pipelining in any::<bool>(),
    ) {
        let mut client = chunking_client(Some(chunk));
        client.pipelining = pipelining;
        let pair = session(client, chunking_mx(), &body);
        let got = received(pair.server_events());
        prop_assert_eq!(got.len(), 1);
        prop_assert_eq!(&got[0].1, &body);
    }

    /// Whatever the chunk sizes, the server stays in step: the byte
    /// stream split anywhere gives the same replies.
    #[test]
    fn rfc3030_s2_chunks_split_anywhere_give_the_same_replies(
        body in proptest::collection::vec(any::<u8>(), 0..300),
        cut in 1usize..64,
    ) {
        let input = joined(&[EHLO.as_bytes(), TX.as_bytes(), b"MAIL FROM:<x@y.example>\r\n",
            &bdat(&body, false), &bdat(b"", true), b"NOOP\r\n"]);
        let (whole, _) = serve(chunking_mx(), policy(), &[&input]);
        let pieces: Vec<&[u8]> = input.chunks(cut).collect();
        let (split, _) = serve(chunking_mx(), policy(), &pieces);
        prop_assert_eq!(codes(&whole), codes(&split));
    }
}

// ── The observer ────────────────────────────────────────────────────

fn observe(chunks: &[(Side, &[u8])]) -> Vec<(LineKind, String)> {
    let mut observer = Observer::new();
    let mut out = Vec::new();
    for (i, (side, bytes)) in chunks.iter().enumerate() {
        out.extend(match side {
            Side::Client => observer.client(i, bytes),
            Side::Server => observer.server(i, bytes),
        });
    }
    out.extend(observer.close());
    out.into_iter()
        .map(|l| (l.kind, String::from_utf8_lossy(&l.text).into_owned()))
        .collect()
}

#[test]
fn rfc3030_s2_observer_shows_a_chunk_as_counted_octets_never_as_an_end() {
    use Side::{Client as C, Server as S};
    let lines = observe(&[
        (S, b"220 mx\r\n"),
        (C, b"EHLO c\r\n"),
        (S, b"250-mx\r\n250 CHUNKING\r\n"),
        (C, b"BDAT 15\r\nhi\r\n.\r\nQUIT\r\nab"),
        (C, b"BDAT 2 LAST\r\ncd"),
        (C, b"QUIT\r\n"),
        (S, b"250 16 octets\r\n250 queued\r\n221 bye\r\n"),
    ]);
    let kinds: Vec<(LineKind, &str)> = lines.iter().map(|(k, t)| (*k, t.as_str())).collect();
    assert_eq!(
        kinds[4..],
        [
            (LineKind::Command, "BDAT 15"),
            (LineKind::Chunk, "hi"),
            (LineKind::Chunk, "."),
            (LineKind::Chunk, "QUIT"),
            (LineKind::Chunk, "ab"),
            (LineKind::Command, "BDAT 2 LAST"),
            (LineKind::Chunk, "cd"),
            (LineKind::Command, "QUIT"),
            (LineKind::Reply { code: Some(250) }, "250 16 octets"),
            (LineKind::Reply { code: Some(250) }, "250 queued"),
            (LineKind::Reply { code: Some(221) }, "221 bye"),
        ]
    );
}

#[test]
fn rfc3030_s2_observer_reads_bdat_as_the_server_did_where_chunking_was_not_offered() {
    use Side::{Client as C, Server as S};
    let lines = observe(&[
        (S, b"220 mx\r\n"),
        (C, b"EHLO c\r\n"),
        (S, b"250-mx\r\n250 PIPELINING\r\n"),
        (C, b"BDAT 6\r\nNOOP\r\n"),
        (S, b"502 not implemented\r\n250 ok\r\n"),
    ]);
    assert_eq!(lines[4], (LineKind::Command, "BDAT 6".into()));
    assert_eq!(lines[5], (LineKind::Command, "NOOP".into()));
    // Pipelined behind EHLO: held until the reply says whether CHUNKING is on.
    let lines = observe(&[
        (S, b"220 mx\r\n"),
        (C, b"EHLO c\r\nBDAT 4 LAST\r\nQUIT"),
        (S, b"250-mx\r\n250 CHUNKING\r\n250 ok\r\n"),
    ]);
    assert_eq!(lines[2], (LineKind::Command, "BDAT 4 LAST".into()));
    assert_eq!(lines[3], (LineKind::Chunk, "QUIT".into()));
}

/// The observer and the server agree on every line of a session whose
/// client mixes BDAT, DATA and junk: every command the observer sees gets
/// exactly one reply, as the server gave it.
#[test]
fn rfc3030_s2_observer_and_server_agree_on_what_is_a_command() {
    let input = joined(&[
        EHLO.as_bytes(),
        &bdat(b"NOOP\r\nNOOP\r\n", false),
        TX.as_bytes(),
        &bdat(b"x\r\n.\r\nRSET\r\n", false),
        b"DATA\r\n",
        &bdat(b"", true),
        b"BDAT 3\r\nNOOP\r\n",
    ]);
    let now = Instant::now();
    let mut p = policy();
    let mut s = ServerSession::new(chunking_mx(), Peer::default(), now, &mut p);
    let greeting = s.poll_transmit().unwrap();
    s.handle_input(&input, now, &mut p);
    let answers = s.poll_transmit().unwrap();
    let lines = observe(&[
        (Side::Server, &greeting),
        (Side::Client, &input),
        (Side::Server, &answers),
    ]);
    let commands = lines
        .iter()
        .filter(|(k, _)| *k == LineKind::Command)
        .count();
    let mut parser = ReplyParser::new();
    parser.push(&answers);
    let replies = std::iter::from_fn(|| parser.next_reply()).count();
    assert_eq!(commands, replies);
    // "BDAT 3" then "NOO" is a chunk; "P" and CRLF are a line of junk.
    assert!(lines.contains(&(LineKind::Chunk, "NOO".into())));
}
