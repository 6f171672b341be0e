#!/usr/bin/env python3
"""Python's own smtplib and poplib against `mailflow serve` (tests/serve_clients.rs).

    python3 tests/real/smtplib_client.py roundtrip --smtp PORT --pop3 PORT --tag TAG
    python3 tests/real/smtplib_client.py refused --smtp PORT --rcpt ADDRESS --code 550 --status 5.1.1

Every check that fails raises; the script then exits 1 with the reason on
stderr. It prints what it did on stdout. Only 127.0.0.1 is contacted, and
every socket has a timeout.

roundtrip: one message, from alice@example.org to bob@example.net and
postmaster@example.net, with 8-bit UTF-8 in its body (BODY=8BITMIME, RFC
6152), a line starting with a dot, a line holding only a dot and a line
starting with two dots (all dot-stuffed by smtplib, RFC 5321 §4.5.2). MAIL,
RCPT and DATA are sent with smtplib's own calls so that each reply can be
checked. Then poplib logs in as bob (USER bob@example.net, PASS bob, RFC
1939) and retrieves it: after the Return-Path and Received lines the server
prepended (the first Received naming mx.example.net), the message must equal
what was sent, byte for byte; every line must end in CRLF; and LIST must give
its exact size (RFC 1939 §5). postmaster's copy is checked the same way.

refused: one RCPT that must be refused with CODE and enhanced STATUS (RFC
3463), seen through smtplib's SMTPRecipientsRefused; then, in the same
session, a message to that address and bob together: bob is accepted and
the other refused (partial acceptance, RFC 5321 §3.3), and the session goes
on (NOOP gets 250).
"""

import argparse
import poplib
import smtplib
import sys
import time

HOST = "127.0.0.1"
TIMEOUT = 15
SENDER = "alice@example.org"


def check(condition, what):
    if not condition:
        raise AssertionError(what)


def message_for(tag):
    """The message, with CRLF line ends, as smtplib will send it (before
    dot-stuffing)."""
    text = (
        "From: Alice <alice@example.org>\r\n"
        "To: bob@example.net, postmaster@example.net\r\n"
        f"Subject: smtplib {tag}\r\n"
        f"Message-ID: <{tag}@client.example>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n"
        "\r\n"
        "Grüße aus Köln: ½ € – naïve café, 日本語, 😀\r\n"
        ".a line that starts with a dot\r\n"
        ".\r\n"
        "..two dots at the start\r\n"
        " . a space and a dot\r\n"
        "\r\n"
        "Alice\r\n"
    )
    return text.encode("utf-8")


def reply_ok(reply, code, status, what):
    got_code, text = reply
    text = text.decode("utf-8", "replace")
    check(
        got_code == code and text.startswith(status),
        f"{what}: expected {code} {status}, got {got_code} {text!r}",
    )
    print(f"{what}: {got_code} {text}")


def send(smtp_port, tag):
    message = message_for(tag)
    with smtplib.SMTP(HOST, smtp_port, local_hostname="client.example", timeout=TIMEOUT) as s:
        code, text = s.ehlo()
        check(code == 250, f"EHLO: expected 250, got {code} {text!r}")
        for ext in ("8bitmime", "pipelining", "size", "enhancedstatuscodes"):
            check(s.has_extn(ext), f"EHLO reply does not offer {ext.upper()}: {text!r}")
        print("EHLO offers 8BITMIME, PIPELINING, SIZE, ENHANCEDSTATUSCODES")
        reply_ok(
            s.mail(SENDER, ["BODY=8BITMIME", f"SIZE={len(message)}"]),
            250,
            "2.1.0",
            "MAIL FROM with BODY=8BITMIME and SIZE",
        )
        for rcpt in ("bob@example.net", "postmaster@example.net"):
            reply_ok(s.rcpt(rcpt), 250, "2.1.5", f"RCPT TO:<{rcpt}>")
        reply_ok(s.data(message), 250, "2.6.0", "end of DATA")
    return message


def split_prepended(lines, first_line):
    """Splits retrieved lines into the lines the server prepended and the
    message itself, which starts at `first_line`."""
    check(first_line in lines, f"the message's first line {first_line!r} is missing")
    at = lines.index(first_line)
    return lines[:at], lines[at:]


def fetch(pop3_port, user, password, tag, sent):
    """Finds the message with `tag` in the maildrop of `user` and checks it."""
    wanted = f"Message-ID: <{tag}@client.example>".encode()
    deadline = time.monotonic() + TIMEOUT
    while True:
        box = poplib.POP3(HOST, pop3_port, timeout=TIMEOUT)
        try:
            box.user(user)
            box.pass_(password)
            sizes = {}
            for entry in box.list()[1]:
                number, size = entry.split()
                sizes[int(number)] = int(size)
            for number, size in sorted(sizes.items()):
                _, lines, octets = box.retr(number)
                if wanted in lines:
                    return check_retrieved(user, number, size, lines, octets, sent)
        finally:
            box.quit()
        check(time.monotonic() < deadline, f"no message with {wanted!r} reached {user} in {TIMEOUT}s")
        time.sleep(0.2)


def check_retrieved(user, number, size, lines, octets, sent):
    rebuilt = b"\r\n".join(lines) + b"\r\n"
    # poplib counts each line's own end: CRLF everywhere gives exactly this.
    check(
        octets == len(rebuilt),
        f"{user} #{number}: some line does not end in CRLF ({octets} octets read, "
        f"{len(rebuilt)} with CRLF line ends)",
    )
    check(
        size == octets,
        f"{user} #{number}: LIST says {size} octets, RETR gave {octets} (RFC 1939 §5: exact size)",
    )
    first = sent.split(b"\r\n", 1)[0]
    prepended, body = split_prepended(lines, first)
    got = b"\r\n".join(body) + b"\r\n"
    check(
        got == sent,
        f"{user} #{number}: the message differs from what was sent:\nsent: {sent!r}\ngot:  {got!r}",
    )
    check(prepended, f"{user} #{number}: no Return-Path or Received line was prepended")
    check(
        prepended[0] == f"Return-Path: <{SENDER}>".encode(),
        f"{user} #{number}: the first line should be Return-Path: <{SENDER}>, got {prepended[0]!r}",
    )
    # Unfold the Received fields (continuation lines start with a space or tab).
    fields = []
    for line in prepended[1:]:
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] += b" " + line.strip()
        else:
            fields.append(line)
    check(fields, f"{user} #{number}: no Received line after Return-Path")
    for field in fields:
        check(field.startswith(b"Received: "), f"{user} #{number}: unexpected prepended line {field!r}")
    check(
        b" by mx.example.net " in fields[0],
        f"{user} #{number}: the top Received line does not name mx.example.net: {fields[0]!r}",
    )
    print(f"{user} #{number}: {octets} octets, prepended {[f.decode() for f in prepended]}")
    print(f"{user} #{number}: identical to what was sent after them")


def roundtrip(args):
    sent = send(args.smtp, args.tag)
    fetch(args.pop3, "bob@example.net", "bob", args.tag, sent)
    fetch(args.pop3, "postmaster@example.net", "postmaster", args.tag, sent)


def refused(args):
    simple = (
        "From: alice@example.org\r\n"
        f"To: {args.rcpt}\r\n"
        "Subject: refused\r\n"
        "\r\n"
        "This should not be taken for that recipient.\r\n"
    ).encode()
    status = args.status.encode()
    with smtplib.SMTP(HOST, args.smtp, local_hostname="client.example", timeout=TIMEOUT) as s:
        s.ehlo()
        try:
            s.sendmail(SENDER, [args.rcpt], simple)
        except smtplib.SMTPRecipientsRefused as e:
            code, text = e.recipients[args.rcpt]
            check(
                code == args.code and text.startswith(status),
                f"RCPT TO:<{args.rcpt}>: expected {args.code} {args.status}, got {code} {text!r}",
            )
            print(f"RCPT TO:<{args.rcpt}> refused: {code} {text.decode()}")
        else:
            raise AssertionError(f"RCPT TO:<{args.rcpt}> was accepted")
        # Partial acceptance: bob gets it, the refused address does not.
        refused_now = s.sendmail(SENDER, ["bob@example.net", args.rcpt], simple)
        check(
            list(refused_now) == [args.rcpt],
            f"with bob beside it, only {args.rcpt} should be refused: {refused_now!r}",
        )
        code, text = refused_now[args.rcpt]
        check(
            code == args.code and text.startswith(status),
            f"RCPT TO:<{args.rcpt}> beside bob: expected {args.code} {args.status}, got {code} {text!r}",
        )
        print(f"beside bob: bob accepted, {args.rcpt} refused with {code} {text.decode()}")
        code, text = s.noop()
        check(code == 250, f"NOOP after the refusals: expected 250, got {code} {text!r}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    rt = sub.add_parser("roundtrip")
    rt.add_argument("--smtp", type=int, required=True)
    rt.add_argument("--pop3", type=int, required=True)
    rt.add_argument("--tag", required=True)
    rf = sub.add_parser("refused")
    rf.add_argument("--smtp", type=int, required=True)
    rf.add_argument("--rcpt", required=True)
    rf.add_argument("--code", type=int, required=True)
    rf.add_argument("--status", required=True)
    args = parser.parse_args()
    try:
        {"roundtrip": roundtrip, "refused": refused}[args.mode](args)
    except (AssertionError, OSError, smtplib.SMTPException, poplib.error_proto) as e:
        print(f"FAILED: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
