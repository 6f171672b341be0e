#!/usr/bin/env python3
"""A real SMTP peer for mailflow's tests: aiosmtpd on a free loopback port.

    python3 tests/real/sink.py --out DIR [--reject-rcpt] [--lifetime SECONDS]

It binds 127.0.0.1 on a port the kernel picks, prints one line,
`listening 127.0.0.1:PORT`, flushes, and serves until it is killed or its
lifetime (default 300 s) runs out, so a sink left behind stops by itself.

What it saw goes into DIR, for the test to read:

* `rcpt.log`: every RCPT address it was offered, one a line;
* `N.envelope` (N = 1, 2, ...): `helo: NAME`, `from: ADDRESS`, one
  `to: ADDRESS` line per accepted recipient, `options: ...` (MAIL
  parameters);
* `N.eml`: the message content exactly as received (dots unstuffed, line
  ends as sent). Each file is written under a temporary name and renamed,
  so a reader never sees half of one; `N.eml` appears after `N.envelope`.

With --reject-rcpt every RCPT is answered `550 5.1.1` (an unknown user, RFC
3463), so no message is ever taken.

Works with aiosmtpd 1.4 (PyPI's and Debian's python3-aiosmtpd alike): it
uses only `aiosmtpd.smtp.SMTP` and asyncio's own `create_server`.
"""

import argparse
import asyncio
import os
import socket
import sys

from aiosmtpd.smtp import SMTP


def write_atomically(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


class Sink:
    def __init__(self, out, reject_rcpt):
        self.out = out
        self.reject_rcpt = reject_rcpt
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with open(os.path.join(self.out, "rcpt.log"), "a", encoding="utf-8") as f:
            f.write(address + "\n")
        if self.reject_rcpt:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(self.out, str(self.count))
        lines = [
            f"helo: {session.host_name}",
            f"from: {envelope.mail_from}",
            *(f"to: {rcpt}" for rcpt in envelope.rcpt_tos),
            f"options: {' '.join(envelope.mail_options)}",
        ]
        write_atomically(base + ".envelope", ("\n".join(lines) + "\n").encode("utf-8"))
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8", "surrogateescape")
        write_atomically(base + ".eml", content)
        return f"250 2.0.0 Ok: queued as SINK{self.count}"


async def serve(args):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    port = sock.getsockname()[1]
    handler = Sink(args.out, args.reject_rcpt)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(
            handler,
            hostname="mx.partner.example",
            ident="aiosmtpd sink for mailflow's tests",
            enable_SMTPUTF8=True,
            decode_data=False,
        ),
        sock=sock,
    )
    print(f"listening 127.0.0.1:{port}", flush=True)
    try:
        await asyncio.sleep(args.lifetime)
    finally:
        server.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="folder for what the sink saw")
    parser.add_argument("--reject-rcpt", action="store_true", help="550 5.1.1 every RCPT")
    parser.add_argument("--lifetime", type=float, default=300.0, help="seconds before exiting")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    try:
        asyncio.run(serve(args))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
