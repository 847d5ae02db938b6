"""GET /api/{user_id}/events (API.md section 7.3): Server-Sent Events of every
change to the user's tasks, replay from Last-Event-ID, reset when the history
is gone, the per-user limit, pings, and a clean end at shutdown. Runs on
SQLite and on PostgreSQL (TEST_DATABASE_URL)."""
from __future__ import annotations

import json
import signal
import threading
import time

import httpx
import pytest

from apiutil import User, error_body, field_error
from sse import SSEStream


def stream(user: User, headers=None, query: str = "") -> SSEStream:
    s = SSEStream(user.base_url, f"/api/{user.uid}/events{query}", user.token, headers)
    assert s.status == 200, (s.status, s.body)
    return s


def ids(events) -> list[int]:
    return [e.id for e in events]


def test_head_of_the_stream(user):
    with httpx.Client(base_url=user.base_url, timeout=15.0,
                      headers={"Authorization": f"Bearer {user.token}",
                               "Accept": "text/event-stream", "X-Request-ID": "ev-head-1"}) as c:
        with c.stream("GET", f"/api/{user.uid}/events") as r:
            assert r.status_code == 200
            assert r.headers["content-type"].startswith("text/event-stream")
            assert r.headers["cache-control"] == "no-cache"
            assert r.headers["x-request-id"] == "ev-head-1"
            assert "content-length" not in r.headers


def test_every_kind_of_change_in_order(user):
    with stream(user) as s:
        t = user.create(title="first", priority="high")
        r = user.patch(t["id"], {"title": "renamed"})
        assert r.status_code == 200
        renamed = r.json()
        rec = user.create(title="daily", recurrence_pattern="daily", due_date="2030-01-01")
        r = user.complete(rec["id"])
        assert r.status_code == 200
        done = r.json()
        successor = [x for x in user.list() if x["title"] == "daily" and not x["completed"]][0]
        assert user.http.delete(user.task_path(t["id"])).status_code == 204
        evs = s.wait_events(6)
        got = [(e.type, json.loads(e.data)) for e in evs]
        assert got == [
            ("task.created", {"task": t}),
            ("task.updated", {"task": renamed}),
            ("task.created", {"task": rec}),
            ("task.updated", {"task": done}),
            ("task.created", {"task": successor}),
            ("task.deleted", {"id": t["id"]}),
        ]
        first = evs[0].id
        assert ids(evs) == list(range(first, first + 6))
        assert s.quiet_for(0.5) == evs  # nothing more, nothing twice


def test_failed_writes_send_nothing(user):
    t = user.create(title="keep")
    with stream(user) as s:
        assert user.patch(t["id"], {"title": ""}).status_code == 400
        assert user.patch(t["id"], {"due_time": "10:00"}).status_code == 422
        assert user.patch(t["id"] + 10**9, {"title": "x"}).status_code == 404
        assert user.http.delete(user.task_path(t["id"] + 10**9)).status_code == 404
        assert user.complete(t["id"], {"completed": False}).status_code == 200  # no change
        user.create(title="marker")
        evs = s.wait_events(1)
        assert [e.type for e in s.quiet_for(0.5)] == ["task.created"]
        assert json.loads(evs[0].data)["task"]["title"] == "marker"


def test_streams_are_per_user(users):
    a, b = users(), users()
    with stream(a) as sa, stream(b) as sb:
        a.create(title="a's")
        b.create(title="b's")
        assert [json.loads(e.data)["task"]["title"] for e in sa.wait_events(1)] == ["a's"]
        assert [json.loads(e.data)["task"]["title"] for e in sb.wait_events(1)] == ["b's"]
        assert len(sa.quiet_for(0.3)) == 1 and len(sb.events) == 1
        assert sa.events[0].id == 1 and sb.events[0].id == 1  # ids count per user


def test_replay_from_last_event_id_header_and_query(user):
    made = [user.create(title=f"t{i}") for i in range(4)]
    with stream(user, {"Last-Event-ID": "1"}) as s:
        evs = s.wait_events(3)
        assert ids(evs) == [2, 3, 4]
        assert [json.loads(e.data)["task"]["id"] for e in evs] == [t["id"] for t in made[1:]]
        user.create(title="live")
        assert ids(s.wait_events(4)) == [2, 3, 4, 5]
    with stream(user, query="?last_event_id=3") as s:
        assert ids(s.wait_events(2)) == [4, 5]
        assert len(s.quiet_for(0.3)) == 2
    # The header wins over the query (a reconnecting EventSource keeps its URL).
    with stream(user, {"Last-Event-ID": "4"}, query="?last_event_id=0") as s:
        assert ids(s.wait_events(1)) == [5]
        assert len(s.quiet_for(0.3)) == 1
    with stream(user, {"Last-Event-ID": "5"}) as s:
        assert s.quiet_for(0.3) == []
        user.create(title="after")
        assert ids(s.wait_events(1)) == [6]


def test_without_last_event_id_only_new_changes(user):
    user.create(title="before")
    with stream(user) as s:
        user.create(title="after")
        evs = s.wait_events(1)
        assert ids(evs) == [2] and json.loads(evs[0].data)["task"]["title"] == "after"


def test_unknown_future_id_is_a_reset(user):
    user.create(title="one")
    with stream(user, {"Last-Event-ID": "99"}) as s:
        evs = s.wait_events(1)
        assert evs[0].type == "reset" and evs[0].data == "{}" and evs[0].id == 1
        user.create(title="two")
        assert ids(s.wait_events(2)) == [1, 2]


@pytest.mark.parametrize("value", ["abc", "-1", "1.5", "12a", "99999999999999999999", "1 2", "0x1"])
def test_malformed_last_event_id_is_400(user, value):
    r = user.http.get(f"/api/{user.uid}/events", headers={"Last-Event-ID": value})
    field_error(r, 400, "VALIDATION_ERROR", "header.Last-Event-ID")


def test_malformed_last_event_id_query_is_400(user):
    r = user.http.get(f"/api/{user.uid}/events", params={"last_event_id": "x"})
    field_error(r, 400, "VALIDATION_ERROR", "query.last_event_id")


def test_auth_and_path_user(user, client):
    assert client().get(f"/api/{user.uid}/events").status_code == 401
    other = client(uid="someone_else")
    r = other.get(f"/api/{user.uid}/events")
    error_body(r, 403, "FORBIDDEN")


def test_eleventh_stream_is_429(user):
    open_ = [stream(user) for _ in range(10)]
    try:
        r = user.http.get(f"/api/{user.uid}/events")
        body = error_body(r, 429, "RATE_LIMITED")
        assert "10" in body["detail"]
        # A closed stream frees its slot (noticed within seconds).
        open_.pop().close()
        deadline = time.monotonic() + 15
        while True:
            s = SSEStream(user.base_url, f"/api/{user.uid}/events", user.token)
            if s.status == 200:
                open_.append(s)
                break
            assert s.status == 429 and time.monotonic() < deadline
            time.sleep(0.5)
        user.create(title="all hear it")
        for s in open_:
            assert s.wait_events(1)[0].type == "task.created"
    finally:
        for s in open_:
            s.close()


def test_flood_with_reconnects_misses_and_repeats_nothing(user):
    n = 300
    created: list[int] = []

    def writer():
        with httpx.Client(base_url=user.base_url, timeout=30.0,
                          headers={"Authorization": f"Bearer {user.token}"}) as c:
            for i in range(n):
                r = c.post(user.path, json={"title": f"flood {i}"})
                assert r.status_code == 201
                created.append(r.json()["id"])

    w = threading.Thread(target=writer)
    seen: list = []
    s = stream(user)
    w.start()
    try:
        # Hang up after every 40 or so events (whatever else was on its way
        # is dropped with the connection) and resume from the last one seen.
        for _ in range(5):
            seen += s.wait_events(40, timeout=60)
            s.close()
            s = stream(user, {"Last-Event-ID": str(seen[-1].id)})
        w.join(120)
        s.wait_events(n - len(seen), timeout=60)
        seen += s.quiet_for(0.5)
    finally:
        s.close()
        w.join(120)
    assert ids(seen) == list(range(1, n + 1))
    assert [json.loads(e.data)["task"]["id"] for e in seen] == created


def test_ping_and_no_idle_timeout(user):
    with stream(user) as s:
        comments = s.wait_comment(timeout=25)  # every 15 s
        assert comments[0] == ": ping"
        assert not s.closed  # longer than the 15 s idle timeout of other requests
        user.create(title="still here")
        assert s.wait_events(1)[0].type == "task.created"


def test_metrics_count_streams_and_events(user, base_url):
    def metric(name):
        text = httpx.get(base_url + "/metrics", timeout=10).text
        return [float(l.split()[1]) for l in text.splitlines() if l.startswith(name + " ")][0]

    sent = metric("todo_events_sent_total")
    with stream(user) as s:
        assert metric("todo_event_streams_open") >= 1
        user.create(title="counted")
        s.wait_events(1)
        deadline = time.monotonic() + 5
        while metric("todo_events_sent_total") < sent + 1:
            assert time.monotonic() < deadline
            time.sleep(0.1)


def test_reset_after_retention(spawn_server):
    srv = spawn_server({"EVENTS_RETENTION": "1"})
    u = User(srv.base_url, srv.secret)
    try:
        u.create(title="old")
        time.sleep(2.5)  # older than the history kept
        with stream(u, {"Last-Event-ID": "0"}) as s:
            evs = s.wait_events(1)
            assert evs[0].type == "reset" and evs[0].data == "{}" and evs[0].id == 1
            u.create(title="new")
            evs = s.wait_events(2)
            assert evs[1].id == 2 and evs[1].type == "task.created"
        with stream(u, {"Last-Event-ID": "1"}) as s:  # still within the history
            assert ids(s.wait_events(1)) == [2]
    finally:
        u.close()


def test_sigterm_ends_streams_cleanly(spawn_server):
    srv = spawn_server()
    u = User(srv.base_url, srv.secret)
    try:
        s = stream(u)
        u.create(title="before stop")
        s.wait_events(1)
        assert srv.stop(signal.SIGTERM, 15.0) == 0
        assert s.wait_closed(10)
        assert s.ended_cleanly  # the final chunk came: a clean end, not a reset
        s.close()
    finally:
        u.close()
