"""Clients for benches/soak.sh: one role per process, until a deadline.

    python3 soak_clients.py pop3 HOST:PORT SECONDS
        logs in as bob every second, retrieves and deletes what is there
        (RFC 1939), so that the mailbox does not grow with the soak;
    python3 soak_clients.py hostile HOST:PORT SECONDS
        cycles through clients a server must survive: junk bytes, a line
        far past the 512-octet limit (RFC 5321 §4.5.3.1.4), a flood of
        NOOPs, a client that connects and says nothing, one that vanishes
        mid-DATA, and a bare-LF end of data (the smuggling shape);
    python3 soak_clients.py smtp HOST:PORT SECONDS
        sends 1 KiB messages with smtplib, several per connection: the
        stand-in for smtp-source where Postfix is not installed.

Each prints one line at the end: `soak-ROLE: N rounds, E errors`.
"""

import os
import poplib
import smtplib
import socket
import sys
import time


def hostport(text):
    host, port = text.rsplit(":", 1)
    return host, int(port)


def pop3(addr, until):
    rounds = errors = 0
    while time.time() < until:
        try:
            box = poplib.POP3(*addr, timeout=10)
            box.user("bob@example.net")
            box.pass_("bob")
            count, _ = box.stat()
            for n in range(1, count + 1):
                box.retr(n)
                box.dele(n)
            box.quit()
            rounds += 1
        except Exception:  # a soak reports, it does not stop
            errors += 1
        time.sleep(1)
    return rounds, errors


def hostile_round(addr, kind):
    s = socket.create_connection(addr, timeout=10)
    try:
        s.recv(512)
        if kind == 0:
            s.sendall(os.urandom(4096))
        elif kind == 1:
            s.sendall(b"EHLO " + b"x" * 100_000 + b"\r\n")
        elif kind == 2:
            s.sendall(b"EHLO junk.example\r\n" + b"NOOP\r\n" * 300)
        elif kind == 3:
            time.sleep(2)
        elif kind == 4:
            s.sendall(
                b"EHLO gone.example\r\nMAIL FROM:<x@example.org>\r\n"
                b"RCPT TO:<bob@example.net>\r\nDATA\r\n"
            )
            time.sleep(0.2)
            s.sendall(b"Subject: half\r\n\r\nand then nothing")
        elif kind == 5:
            s.sendall(
                b"EHLO lf.example\r\nMAIL FROM:<x@example.org>\r\n"
                b"RCPT TO:<bob@example.net>\r\nDATA\r\n"
            )
            time.sleep(0.2)
            s.sendall(b"Subject: lf\r\n\r\nbody\n.\nMAIL FROM:<evil@example.org>\n")
        # Read what the server says until it closes, or 3 s of silence.
        s.settimeout(3)
        try:
            while s.recv(4096):
                pass
        except OSError:
            pass
    finally:
        s.close()


def hostile(addr, until):
    rounds = errors = 0
    while time.time() < until:
        try:
            hostile_round(addr, rounds % 6)
        except OSError:
            errors += 1
        rounds += 1
        time.sleep(0.2)
    return rounds, errors


def smtp(addr, until):
    rounds = errors = 0
    body = ("x" * 62 + "\r\n") * 16
    while time.time() < until:
        try:
            with smtplib.SMTP(*addr, timeout=10) as c:
                for _ in range(20):
                    c.sendmail(
                        "alice@example.org",
                        ["bob@example.net"],
                        "Subject: soak\r\n\r\n" + body,
                    )
                    rounds += 1
        except Exception:
            errors += 1
            time.sleep(0.5)
    return rounds, errors


def main():
    role, addr, seconds = sys.argv[1], hostport(sys.argv[2]), float(sys.argv[3])
    until = time.time() + seconds
    rounds, errors = {"pop3": pop3, "hostile": hostile, "smtp": smtp}[role](addr, until)
    print(f"soak-{role}: {rounds} rounds, {errors} errors", flush=True)


if __name__ == "__main__":
    main()
