#!/usr/bin/env python3
"""helloN.ron: scenarios/hello.ron with its one `send` entry repeated N
times (the hello message every 100 ms), bob fetching at 5m and 5m after the
last send, run_for stretched to last send + 15m. Expectations and lesson kept.

    python3 benches/gen-hello.py 100000 scenarios/hello.ron > /tmp/hello100000.ron
    /usr/bin/time -v target/release/mailflow run /tmp/hello100000.ron > /dev/null

(issue 14 §1: `mailflow run` of hello x1,000,000 within 8 GB; see
benches/README.md, "Memory")."""
import re, sys
n = int(sys.argv[1]); src = open(sys.argv[2]).read()
start = src.index("            send: [")
end = src.index("            ],\n", start) + len("            ],\n")
entries = "".join(
    f'                (at: "{i*100}ms", to: ["bob@example.net"], subject: "Hello", '
    f'body: "Hi Bob,\\n\\nthis is my first message through mailflow. Read my Received lines from the bottom up!\\n\\nAlice\\n"),\n'
    for i in range(n))
src = src[:start] + "            send: [\n" + entries + "            ],\n" + src[end:]
last_s = (n * 100) // 1000
src = src.replace('run_for: "15m"', f'run_for: "{last_s + 900}s"', 1)
src = src.replace('fetch: ["5m"]', f'fetch: ["5m", "{last_s + 300}s"]', 1)
sys.stdout.write(src)
