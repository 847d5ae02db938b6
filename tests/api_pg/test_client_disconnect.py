"""Clients that hang up while their query is in flight: the server neither
crashes nor leaks, finishes the work it acknowledged to the database, and
keeps serving. First with the queries certainly in flight (the row is locked
by another session while the requests arrive), then by the thousand.

Memory: hung-up requests are sent in batches, each once the server has logged
the previous one (so that what is measured is what stays, not a backlog), and
the resident size after a warm-up must not grow over the next rounds. An ASan
build measures its own (quarantine) memory instead; there LeakSanitizer checks
at exit, and the pg_server fixture fails on its report."""
from __future__ import annotations

import json
import socket
import struct
import time
from pathlib import Path
from urllib.parse import urlparse

import httpx

from apiutil import User, server_binary
from pgcluster import DATABASE_URL, psql, psql_background

ROUNDS = 3
PER_ROUND = 4000
BATCH = 100
MAX_GROWTH_KB = 2048


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def sanitized(pid: int) -> bool:
    if "asan" in Path(f"/proc/{pid}/maps").read_text():
        return True
    return b"__asan_init" in server_binary().read_bytes()


def request(method: str, path: str, token: str, body=None) -> bytes:
    data = b"" if body is None else json.dumps(body).encode()
    head = (f"{method} {path} HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Length: {len(data)}\r\n")
    if body is not None:
        head += "Content-Type: application/json\r\n"
    return head.encode() + b"\r\n" + data


def hang_up(addr, payloads: list[bytes], count: int) -> None:
    """count connections that each send one request and go away at once,
    half of them with a reset instead of a close."""
    for i in range(count):
        s = socket.create_connection(addr, timeout=10)
        s.sendall(payloads[i % len(payloads)])
        if i % 2:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()


def logged(srv) -> int:
    """Requests the server has answered (one access-log line each)."""
    with srv.cond:
        return sum(1 for line in srv.lines if "request_id=" in line)


def hang_up_paced(srv, addr, payloads: list[bytes], count: int) -> None:
    """hang_up() in batches, each after the server has answered the last."""
    for done in range(0, count, BATCH):
        want = logged(srv) + BATCH
        hang_up(addr, payloads[done % len(payloads):] + payloads[:done % len(payloads)], BATCH)
        deadline = time.monotonic() + 30
        while logged(srv) < want:
            assert time.monotonic() < deadline, "the server stopped answering"
            time.sleep(0.005)


def wait_sql(sql: str, want: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while psql(DATABASE_URL, sql) != want:
        assert time.monotonic() < deadline, f"{sql!r} never gave {want!r}"
        time.sleep(0.05)


def test_clients_hanging_up_mid_query(pg_server):
    srv = pg_server(WORKERS="2", DB_POOL_SIZE="4")
    addr = (urlparse(srv.base_url).hostname, urlparse(srv.base_url).port)
    reader, writer = User(srv.base_url, srv.secret), User(srv.base_url, srv.secret)
    for i in range(100):
        reader.create(title=f"task {i}", tags="a,b", priority="low")
    task = reader.create(title="recurring", recurrence_pattern="daily")

    # 1. In flight for sure: the row is locked while completions arrive and
    # their clients leave; the lock goes after two seconds.
    locker = psql_background(DATABASE_URL, f"BEGIN; SELECT 1 FROM tasks WHERE id = {task['id']} "
                             "FOR UPDATE; SELECT pg_sleep(2); COMMIT;")
    wait_sql("SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(2)%' "
             "AND state = 'active' AND pid <> pg_backend_pid()", "1")
    complete = request("PATCH", f"{reader.path}/{task['id']}/complete", reader.token,
                       {"completed": True})
    hang_up(addr, [complete], 40)
    wait_sql("SELECT count(*) > 0 FROM pg_locks WHERE NOT granted", "t")  # they wait
    assert locker.wait(30) == 0, locker.stderr.read()

    # The work they started is done once: completed, with one successor.
    deadline = time.monotonic() + 20
    while True:
        tasks = reader.list(search="recurring")
        if len(tasks) == 2 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert len(tasks) == 2, tasks
    assert {t["completed"] for t in tasks} == {True, False}

    # 2. By the thousand: lists, gets, creates and completions, hung up.
    payloads = [
        request("GET", reader.path, reader.token),
        request("GET", f"{reader.path}/{task['id']}", reader.token),
        request("GET", f"{reader.path}?search=task&sort_by=title", reader.token),
        request("POST", writer.path, writer.token, {"title": "from a vanishing client"}),
        request("PATCH", f"{reader.path}/{task['id']}/complete", reader.token),
    ]
    hang_up_paced(srv, addr, payloads, PER_ROUND)  # warm-up: pools and caches fill
    before = rss_kb(srv.proc.pid)
    for _ in range(ROUNDS):
        hang_up_paced(srv, addr, payloads, PER_ROUND)
    after = rss_kb(srv.proc.pid)

    # Still serving, every route, with consistent answers.
    assert srv.proc.poll() is None
    assert httpx.get(srv.base_url + "/ready", timeout=10).status_code == 200
    r = reader.http.get(reader.path)
    assert r.status_code == 200
    # 100 tasks, the recurring one and its single successor, toggled or not.
    assert int(r.headers["x-total-count"]) == len(r.json()) == 102
    created = writer.list()
    assert len(created) <= (ROUNDS + 1) * PER_ROUND // len(payloads)
    made = writer.create(title="after")
    assert writer.get(made["id"])["title"] == "after"
    if not sanitized(srv.proc.pid):
        assert after - before < MAX_GROWTH_KB, (
            f"resident memory grew by {after - before} KiB over {ROUNDS * PER_ROUND} "
            f"hung-up requests ({before} -> {after} KiB)")
    reader.close()
    writer.close()
