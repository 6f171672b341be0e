#!/usr/bin/env python3
"""Python's poplib retrieves one message from `mailflow serve` (tests/serve_clients.rs).

    python3 tests/real/poplib_retr.py --pop3 PORT --user USER --password PASS --number N --expect FILE

Logs in (USER, PASS, RFC 1939), reads LIST, retrieves message N with RETR
and checks: every line ends in CRLF; the octets read equal LIST's size for
N (RFC 1939 §5: the exact size); the first line is `Return-Path:` and what
follows the lines the server prepended (Return-Path, then Received fields)
is FILE, byte for byte. Then QUIT without DELE: nothing is deleted.

Every check that fails raises; the script then exits 1 with the reason on
stderr. Only 127.0.0.1 is contacted, and the socket has a timeout.
"""

import argparse
import poplib
import sys

HOST = "127.0.0.1"
TIMEOUT = 30


def check(condition, what):
    if not condition:
        raise AssertionError(what)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pop3", type=int, required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--number", type=int, required=True)
    parser.add_argument("--expect", required=True)
    args = parser.parse_args()
    with open(args.expect, "rb") as f:
        expected = f.read()

    box = poplib.POP3(HOST, args.pop3, timeout=TIMEOUT)
    try:
        box.user(args.user)
        box.pass_(args.password)
        sizes = {}
        for entry in box.list()[1]:
            number, size = entry.split()
            sizes[int(number)] = int(size)
        check(args.number in sizes, f"no message {args.number} in LIST: {sizes}")
        size = sizes[args.number]
        _, lines, octets = box.retr(args.number)
    finally:
        box.quit()

    rebuilt = b"\r\n".join(lines) + b"\r\n"
    # poplib counts each line's own end: CRLF everywhere gives exactly this.
    check(
        octets == len(rebuilt),
        f"#{args.number}: some line does not end in CRLF ({octets} octets read, "
        f"{len(rebuilt)} with CRLF line ends)",
    )
    check(
        octets == size,
        f"#{args.number}: LIST says {size} octets, RETR gave {octets} "
        "(RFC 1939 §5: the exact size; fewer means the message was cut off)",
    )
    check(lines and lines[0].startswith(b"Return-Path: <"), f"#{args.number}: first line {lines[:1]!r}")
    first = expected.split(b"\r\n", 1)[0]
    check(first in lines, f"#{args.number}: the message's first line {first!r} is missing")
    at = lines.index(first)
    for line in lines[1:at]:
        check(
            line.startswith(b"Received: ") or line[:1] in (b" ", b"\t"),
            f"#{args.number}: unexpected prepended line {line!r}",
        )
    got = b"\r\n".join(lines[at:]) + b"\r\n"
    check(
        got == expected,
        f"#{args.number}: the message differs from what was sent: {len(got)} octets "
        f"after the prepended lines, {len(expected)} sent; first difference at "
        f"{next((i for i, (a, b) in enumerate(zip(got, expected)) if a != b), min(len(got), len(expected)))}",
    )
    print(f"#{args.number}: {octets} octets over RETR, LIST says {size}; {at} prepended lines, then the {len(expected)} octets sent")


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # noqa: BLE001 - any failure is the test's failure
        print(f"poplib_retr: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
