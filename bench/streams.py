#!/usr/bin/python3
"""Event streams (API.md section 7.3), the two numbers issue 9 asks for:

  memory   todo-server's resident memory idle, then with STREAMS open event
           streams (10 per user, the limit), and a check that one change still
           reaches its user's 10 streams;
  latency  (PostgreSQL) two servers on one database, a stream on the first,
           CHANGES creates through the second, one at a time: the delay from
           the create's answer to the event on the other server (p50, p99).

usage: bench/streams.py [--bin build/todo-server] [--db sqlite|postgresql://...]
                        [--streams 5000] [--changes 300]
Without --db postgresql://... only the memory part runs (on SQLite)."""
import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import re
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request


def b64(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def mint(secret: str, sub: str) -> str:
    now = int(time.time())
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps({"sub": sub, "iat": now, "exp": now + 3600}).encode())
    sig = hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(sig)}"


class Server:
    def __init__(self, binary, db, secret, workers="2"):
        self.dir = tempfile.mkdtemp(prefix="bench-streams-")
        url = db if db.startswith("postgres") else f"sqlite://{self.dir}/todo.db"
        env = {k: v for k, v in os.environ.items()}
        env.update(PORT="0", HOST="127.0.0.1", WORKERS=workers, BETTER_AUTH_SECRET=secret,
                   DATABASE_URL=url, LOG_LEVEL="info")
        env.pop("DATABASE_LISTEN_URL", None)
        self.proc = subprocess.Popen([binary], env=env, cwd=self.dir, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 30
        for line in self.proc.stdout:
            m = re.search(r"listening on (http://[0-9.]+:\d+)", line)
            if m:
                self.base = m.group(1)
                break
            if time.monotonic() > deadline:
                raise RuntimeError("no listening line")
        threading.Thread(target=lambda: [None for _ in self.proc.stdout], daemon=True).start()
        u = urllib.parse.urlsplit(self.base)
        self.host, self.port = u.hostname, u.port

    def rss_kib(self) -> int:
        with open(f"/proc/{self.proc.pid}/status") as f:
            return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))

    def create(self, token, uid, title):
        req = urllib.request.Request(f"{self.base}/api/{uid}/tasks", method="POST",
                                     data=json.dumps({"title": title}).encode(),
                                     headers={"Authorization": f"Bearer {token}",
                                              "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())

    def stop(self):
        self.proc.terminate()
        rc = self.proc.wait(30)
        if rc != 0:
            print(f"warning: server exited {rc}", file=sys.stderr)


async def open_stream(host, port, uid, token):
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(f"GET /api/{uid}/events HTTP/1.1\r\nHost: {host}:{port}\r\n"
                 f"Accept: text/event-stream\r\nAuthorization: Bearer {token}\r\n\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(head[:80])
    return reader, writer


async def wait_data(reader, marker: bytes, timeout: float) -> float:
    buf = b""
    deadline = time.monotonic() + timeout
    while marker not in buf:
        buf += await asyncio.wait_for(reader.read(65536), deadline - time.monotonic())
    return time.monotonic()


def memory(binary, db, n_streams):
    secret = secrets.token_urlsafe(36)
    srv = Server(binary, db, secret)
    time.sleep(0.5)
    idle = srv.rss_kib()
    per_user = 10
    users = [f"bench_{i}_{secrets.token_hex(3)}" for i in range(n_streams // per_user)]

    async def run():
        streams = []
        for start in range(0, len(users), 50):
            batch = users[start:start + 50]
            streams += await asyncio.gather(*(open_stream(srv.host, srv.port, u, mint(secret, u))
                                              for u in batch for _ in range(per_user)))
        await asyncio.sleep(1.0)
        rss = srv.rss_kib()
        # One change still reaches its user's 10 streams.
        u = users[len(users) // 2]
        i = users.index(u)
        t0 = time.monotonic()
        await asyncio.to_thread(srv.create, mint(secret, u), u, "ping")
        arrived = await asyncio.gather(*(wait_data(r, b"task.created", 10)
                                         for r, _ in streams[i * per_user:(i + 1) * per_user]))
        for _, w in streams:
            w.close()
        return len(streams), rss, max(arrived) - t0

    n, rss, delay = asyncio.run(run())
    srv.stop()
    print(f"streams_open={n} rss_idle_kib={idle} rss_with_streams_kib={rss} "
          f"per_stream_bytes={(rss - idle) * 1024 // max(n, 1)} "
          f"fanout_one_change_ms={delay * 1000:.1f}")


def latency(binary, db, n_changes):
    secret = secrets.token_urlsafe(36)
    a, b = Server(binary, db, secret), Server(binary, db, secret)
    uid = f"bench_lat_{secrets.token_hex(4)}"
    token = mint(secret, uid)

    async def run():
        reader, writer = await open_stream(a.host, a.port, uid, token)
        delays = []
        for i in range(n_changes):
            waiter = asyncio.ensure_future(wait_data(reader, f'"title":"lat {i}"'.encode(), 10))
            await asyncio.to_thread(b.create, token, uid, f"lat {i}")
            answered = time.monotonic()
            delays.append(await waiter - answered)
        writer.close()
        return delays

    delays = asyncio.run(run())
    a.stop()
    b.stop()
    q = statistics.quantiles(delays, n=100)
    print(f"changes={len(delays)} commit_to_other_server_ms p50={q[49] * 1000:.2f} "
          f"p99={q[98] * 1000:.2f} max={max(delays) * 1000:.2f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="build/todo-server")
    ap.add_argument("--db", default="sqlite")
    ap.add_argument("--streams", type=int, default=5000)
    ap.add_argument("--changes", type=int, default=300)
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, args.streams + 1024)), hard))
    binary = os.path.abspath(args.bin)
    memory(binary, args.db, args.streams)
    if args.db.startswith("postgres"):
        latency(binary, args.db, args.changes)


if __name__ == "__main__":
    main()
