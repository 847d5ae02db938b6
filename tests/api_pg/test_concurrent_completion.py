"""Ten clients complete the same recurring task at the same moment: every one
is answered 200, and exactly one next occurrence exists afterwards (API.md 4.4:
"at most one successor, however often it is toggled, even under concurrent
requests")."""
from __future__ import annotations

import datetime as dt
import threading

import httpx

from apiutil import User, next_occurrence, utc_today

N_CLIENTS = 10


def race(srv, user: User, tid: int, body) -> list[tuple[int, dict]]:
    """N_CLIENTS connections, opened beforehand, send PATCH .../complete at once."""
    barrier = threading.Barrier(N_CLIENTS)
    results: list[tuple[int, dict]] = []
    lock = threading.Lock()

    def one() -> None:
        with httpx.Client(base_url=srv.base_url, timeout=30.0,
                          headers={"Authorization": f"Bearer {user.token}"}) as c:
            assert c.get("/health").status_code == 200  # the connection is open
            barrier.wait()
            if body is None:
                r = c.patch(f"{user.path}/{tid}/complete")
            else:
                r = c.patch(f"{user.path}/{tid}/complete", json=body)
            with lock:
                results.append((r.status_code, r.json()))

    threads = [threading.Thread(target=one) for _ in range(N_CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(results) == N_CLIENTS
    return results


def test_concurrent_completions_make_exactly_one_successor(pg_server):
    srv = pg_server(WORKERS="2", DB_POOL_SIZE="4")
    for pattern in ("daily", "weekly", "monthly"):
        user = User(srv.base_url, srv.secret)
        due = utc_today() - dt.timedelta(days=3)
        task = user.create(title=f"{pattern} standup", recurrence_pattern=pattern,
                           due_date=due.isoformat(), due_time="09:00", priority="high")

        results = race(srv, user, task["id"], {"completed": True})
        for status, body in results:
            assert status == 200, body
            assert body["id"] == task["id"] and body["completed"] is True, body
        assert len({body["completed_at"] for _, body in results}) == 1  # written once

        tasks = user.list(sort_by="created_at", sort_order="asc")
        assert len(tasks) == 2, tasks
        done, successor = sorted(tasks, key=lambda t: t["id"])
        assert done["id"] == task["id"] and done["completed"] is True
        assert successor["completed"] is False
        assert successor["title"] == task["title"]
        assert successor["recurrence_pattern"] == pattern
        assert successor["due_date"] == next_occurrence(
            pattern, due, task["recurrence_day"]).isoformat()
        user.close()


def test_concurrent_toggles_make_at_most_one_successor(pg_server):
    srv = pg_server(WORKERS="2", DB_POOL_SIZE="4")
    user = User(srv.base_url, srv.secret)
    task = user.create(title="toggled", recurrence_pattern="daily")

    results = race(srv, user, task["id"], None)
    assert [s for s, _ in results] == [200] * N_CLIENTS, results
    # Ten toggles, applied one after the other: it ends where it began.
    assert sorted(b["completed"] for _, b in results) == [False] * 5 + [True] * 5
    tasks = user.list()
    assert len(tasks) == 2, tasks
    original = next(t for t in tasks if t["id"] == task["id"])
    assert original["completed"] is False
    successor = next(t for t in tasks if t["id"] != task["id"])
    assert successor["completed"] is False and successor["title"] == "toggled"
    user.close()
