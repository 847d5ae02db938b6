"""PostgreSQL stops while the server runs, then starts again: meanwhile every
request is answered 503 SERVICE_UNAVAILABLE (never 500, never a hang) and
/ready says 503; afterwards the same server process serves again within
seconds, by itself, and every change it acknowledged is still there.

This runs on a cluster of its own (pgcluster.Cluster), so that stopping it
disturbs nothing else."""
from __future__ import annotations

import threading
import time
from urllib.parse import urlparse

import httpx
import pytest

from apiutil import User
from pgcluster import Cluster, psql_background

# Bounds that tell "answers at once" from "hangs": the server's per-query
# timeout is 5 s and its reconnect backoff at most 5 s.
ANSWER_WITHIN = 4.0
BACK_WITHIN = 20.0


@pytest.fixture
def cluster():
    c = Cluster()
    yield c
    c.destroy()


def check_503(r: httpx.Response) -> None:
    assert r.status_code == 503, (f"{r.request.method} {r.request.url.path}: expected 503, got "
                                  f"{r.status_code}: {r.text[:300]}")
    body = r.json()
    assert body["code"] == "SERVICE_UNAVAILABLE", body


def test_database_restart_under_a_running_server(pg_server, cluster):
    srv = pg_server(cluster.url, WORKERS="2", DB_POOL_SIZE="2")
    pid = srv.proc.pid
    user = User(srv.base_url, srv.secret)
    kept = [user.create(title=f"before {i}", priority="high") for i in range(20)]
    recurring = user.create(title="recurring", recurrence_pattern="daily")
    assert httpx.get(srv.base_url + "/ready", timeout=10).status_code == 200

    # A request waiting in the database when it goes down: held on a row lock.
    locker = psql_background(cluster.url, f"BEGIN; SELECT 1 FROM tasks WHERE id = "
                             f"{recurring['id']} FOR UPDATE; SELECT pg_sleep(60); COMMIT;")
    in_flight: list[httpx.Response] = []

    def complete() -> None:
        with httpx.Client(base_url=srv.base_url, timeout=30.0,
                          headers={"Authorization": f"Bearer {user.token}"}) as c:
            in_flight.append(c.patch(f"{user.path}/{recurring['id']}/complete"))

    waiter = threading.Thread(target=complete)
    time.sleep(0.5)
    waiter.start()
    time.sleep(0.5)
    cluster.stop_server()
    waiter.join(ANSWER_WITHIN * 3)
    assert len(in_flight) == 1, "the request in flight was not answered"
    # Stopping PostgreSQL ends the locker's transaction too, so the waiting
    # completion may get the lock and commit just before its own backend is
    # terminated: then it is a 200 that must survive the restart; otherwise
    # it is a 503 and nothing of it was written.
    committed = in_flight[0].status_code == 200
    if not committed:
        check_503(in_flight[0])
    locker.wait(30)

    # Down: every route that needs the database answers 503 at once.
    for i in range(10):
        t0 = time.monotonic()
        ready = httpx.get(srv.base_url + "/ready", timeout=10)
        check_503(ready)
        check_503(user.http.get(user.path))
        check_503(user.http.get(user.task_path(kept[0]["id"])))
        check_503(user.http.post(user.path, json={"title": "while down"}))
        check_503(user.http.patch(user.task_path(kept[1]["id"]), json={"title": "x"}))
        check_503(user.http.patch(user.task_path(kept[1]["id"]) + "/complete"))
        check_503(user.http.delete(user.task_path(kept[2]["id"])))
        assert time.monotonic() - t0 < ANSWER_WITHIN
        assert httpx.get(srv.base_url + "/health", timeout=10).status_code == 200
        time.sleep(0.3)

    # Up again: the same process serves again within seconds.
    cluster.start_server()
    t0 = time.monotonic()
    while httpx.get(srv.base_url + "/ready", timeout=10).status_code != 200:
        assert time.monotonic() - t0 < BACK_WITHIN, "not ready again after the database returned"
        time.sleep(0.1)
    assert srv.proc.poll() is None and srv.proc.pid == pid
    tasks = user.list(sort_by="created_at", sort_order="asc")
    ids = [t["id"] for t in tasks]
    assert ids[:21] == [t["id"] for t in kept] + [recurring["id"]]
    assert all(t == k for t, k in zip(tasks, kept))  # nothing acknowledged was lost
    if committed:  # the acknowledged completion and its one successor are there
        assert tasks[20]["completed"] is True and len(tasks) == 22
        assert tasks[21]["title"] == "recurring" and tasks[21]["completed"] is False
    else:
        assert len(tasks) == 21 and tasks[20]["completed"] is False
    made = user.create(title="after")
    assert user.get(made["id"])["title"] == "after"
    if not committed:
        r = user.complete(recurring["id"])
        assert r.status_code == 200 and r.json()["completed"] is True
    assert len(user.list(search="recurring")) == 2
    user.close()

    # The outage and the recovery are in the log, without the password.
    log = srv.text()
    assert "postgresql" in log and "again" in log
    url = urlparse(cluster.url)
    assert f":{url.password}@" not in log
