"""Event streams across servers sharing one PostgreSQL database (API.md
section 7.3): a change made through one server reaches a stream open on
another within a second (LISTEN/NOTIFY, also on a separate
DATABASE_LISTEN_URL), and streams open while PostgreSQL restarts resume
without missing or repeating anything."""
from __future__ import annotations

import json
import time

import httpx
import pytest

from apiutil import User
from pgcluster import Cluster
from sse import SSEStream

WITHIN = 1.0  # API.md: "within a second"


def open_stream(srv, user: User, last_id=None) -> SSEStream:
    headers = {"Last-Event-ID": str(last_id)} if last_id is not None else None
    s = SSEStream(srv.base_url, f"/api/{user.uid}/events", user.token, headers)
    assert s.status == 200, (s.status, s.body)
    return s


def test_change_through_one_server_reaches_the_other(pg_server):
    a = pg_server(WORKERS="2")
    b = pg_server(WORKERS="2", BETTER_AUTH_SECRET=a.secret)  # one user, both servers
    on_a = User(a.base_url, a.secret)
    on_b = User(b.base_url, a.secret, on_a.uid)
    with open_stream(a, on_a) as s:
        for i in range(5):
            t0 = time.monotonic()
            t = on_b.create(title=f"via b {i}")
            sent = time.monotonic()
            ev = s.wait_events(i + 1, timeout=10)[i]
            assert ev.type == "task.created" and json.loads(ev.data) == {"task": t}
            assert ev.at - sent <= WITHIN, f"{ev.at - sent:.3f}s after the answer from b"
            assert ev.at - t0 > 0
        assert [e.id for e in s.events] == [1, 2, 3, 4, 5]
    on_a.close()
    on_b.close()


def test_separate_listen_url(pg_server):
    from pgcluster import DATABASE_URL
    srv = pg_server(DATABASE_LISTEN_URL=DATABASE_URL, WORKERS="1")
    u = User(srv.base_url, srv.secret)
    with open_stream(srv, u) as s:
        u.create(title="heard")
        assert s.wait_events(1)[0].type == "task.created"
    u.close()


@pytest.fixture
def cluster():
    c = Cluster()
    yield c
    c.destroy()


def test_streams_resume_after_a_database_restart(pg_server, cluster):
    srv = pg_server(cluster.url, WORKERS="2", DB_POOL_SIZE="2")
    u = User(srv.base_url, srv.secret)
    for i in range(3):
        u.create(title=f"before {i}")
    live = open_stream(srv, u)
    replaying = open_stream(srv, u, last_id=1)
    assert [e.id for e in replaying.wait_events(2)] == [2, 3]

    cluster.stop_server()
    time.sleep(1.0)
    cluster.start_server()
    # Changes right after the restart, possibly before the LISTEN connection
    # is back: the streams catch up from the log.
    deadline = time.monotonic() + 30
    made = []
    while len(made) < 5:
        r = u.http.post(u.path, json={"title": f"after {len(made)}"})
        if r.status_code == 201:
            made.append(r.json())
        else:
            assert r.status_code == 503 and time.monotonic() < deadline, r.text
            time.sleep(0.2)
    try:
        evs = live.wait_events(5, timeout=30)
        assert [e.id for e in evs] == [4, 5, 6, 7, 8]
        assert [json.loads(e.data)["task"] for e in evs] == made
        evs = replaying.wait_events(7, timeout=30)
        assert [e.id for e in evs] == [2, 3, 4, 5, 6, 7, 8]
        time.sleep(0.5)
        assert len(live.events) == 5 and len(replaying.events) == 7  # nothing twice
        assert not live.closed and not replaying.closed
    finally:
        live.close()
        replaying.close()
        u.close()
    assert httpx.get(srv.base_url + "/health", timeout=10).status_code == 200
