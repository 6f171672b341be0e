#!/usr/bin/env python3
"""Python's smtplib and poplib against `mailflow serve --record` (tests/serve_record.rs).

    python3 tests/real/record_client.py send --smtp PORT --tag TAG [--kill PID]
    python3 tests/real/record_client.py mailbox --pop3 PORT [--dele UID]

send: one message from alice@example.org to bob@example.net whose
Message-ID is <TAG@client.example> and whose Subject is TAG. With --kill,
the moment smtplib has the 250 to the end of data (RFC 5321 §4.1.1.4: the
server has taken the message on), SIGKILL goes to PID: nothing the server
does after that reply can count. Prints `acknowledged TAG`.

mailbox: logs in as bob (USER, PASS), reads STAT, LIST and UIDL (RFC 1939
§5, §7) and retrieves every message with RETR, checking that LIST's sizes
are the octets RETR gives and that STAT agrees with LIST. Prints one JSON
object: {"stat": [count, octets], "messages": [{"n", "uid", "size",
"message_id"}]}. With --dele, deletes the message with unique-id UID and
QUITs, so the deletion is committed (RFC 1939 §6, UPDATE state).

Every check that fails raises; the script then exits 1 with the reason on
stderr. Only 127.0.0.1 is contacted, and every socket has a timeout.
"""

import argparse
import json
import os
import poplib
import signal
import smtplib
import sys

HOST = "127.0.0.1"
TIMEOUT = 15


def check(condition, what):
    if not condition:
        raise AssertionError(what)


def send(args):
    text = (
        "From: Alice <alice@example.org>\r\n"
        "To: bob@example.net\r\n"
        f"Subject: {args.tag}\r\n"
        f"Message-ID: <{args.tag}@client.example>\r\n"
        "\r\n"
        f"kept across restarts: {args.tag}\r\n"
    )
    smtp = smtplib.SMTP(HOST, args.smtp, timeout=TIMEOUT)
    smtp.ehlo("client.example")
    refused = smtp.sendmail("alice@example.org", ["bob@example.net"], text.encode())
    # sendmail returned: the 250 to DATA is in.
    if args.kill:
        os.kill(args.kill, signal.SIGKILL)
    check(refused == {}, f"recipients refused: {refused}")
    print(f"acknowledged {args.tag}", flush=True)
    if not args.kill:
        smtp.quit()


def message_id(lines):
    for line in lines:
        if line.lower().startswith(b"message-id:"):
            return line.split(b":", 1)[1].strip().decode()
    return None


def mailbox(args):
    pop = poplib.POP3(HOST, args.pop3, timeout=TIMEOUT)
    pop.user("bob")
    pop.pass_("bob")
    count, octets = pop.stat()
    listed = {}
    for entry in pop.list()[1]:
        n, size = entry.split()
        listed[int(n)] = int(size)
    uids = {}
    for entry in pop.uidl()[1]:
        n, uid = entry.split()
        uids[int(n)] = uid.decode()
    check(len(listed) == count, f"STAT says {count}, LIST lists {len(listed)}")
    check(sum(listed.values()) == octets, f"STAT says {octets} octets, LIST {listed}")
    check(sorted(uids) == sorted(listed), f"UIDL {uids} and LIST {listed} differ")
    messages = []
    for n in sorted(listed):
        _, lines, size = pop.retr(n)
        # poplib counts each line's CRLF in `size`.
        check(size == listed[n], f"RETR {n} gave {size} octets, LIST said {listed[n]}")
        messages.append(
            {"n": n, "uid": uids[n], "size": size, "message_id": message_id(lines)}
        )
    if args.dele:
        number = [n for n, uid in uids.items() if uid == args.dele]
        check(number, f"no message has unique-id {args.dele}: {uids}")
        pop.dele(number[0])
    pop.quit()
    print(json.dumps({"stat": [count, octets], "messages": messages}), flush=True)


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("send")
    s.add_argument("--smtp", type=int, required=True)
    s.add_argument("--tag", required=True)
    s.add_argument("--kill", type=int, default=0)
    m = sub.add_parser("mailbox")
    m.add_argument("--pop3", type=int, required=True)
    m.add_argument("--dele", default="")
    args = parser.parse_args()
    try:
        send(args) if args.mode == "send" else mailbox(args)
    except Exception as e:  # noqa: BLE001 - any failure is the test's answer
        print(f"{args.mode}: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
