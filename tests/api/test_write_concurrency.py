"""Writes under concurrency, on both databases (on SQLite they go through the
group-commit writer: many requests in one transaction, each in a savepoint of
its own). Every acknowledged write is there and whole; a request that fails
among good ones fails alone; concurrent completes of one recurring task make
exactly one successor (API.md 4.4); and a server killed with SIGKILL in the
middle of a write flood has lost none of the creates it answered 201."""
from __future__ import annotations

import signal
import threading
import time

import httpx

from apiutil import ServerProcess, User, base_env, database_url_for, new_secret, rand_uid

N_THREADS = 8
PER_THREAD = 40


def run_threads(n: int, target) -> None:
    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
        assert not t.is_alive(), "a client thread did not finish within 120 s"


def all_tasks(user: User) -> list:
    out, offset = [], 0
    while True:
        page = user.list(limit=1000, offset=offset)
        out += page
        if len(page) < 1000:
            return out
        offset += 1000


def test_concurrent_writes_all_acknowledged_and_whole(base_url, secret):
    """Creates, then full updates and completes, from many connections at once:
    each answer is what is stored, with every field of its request."""
    users = [User(base_url, secret) for _ in range(N_THREADS)]
    made: list[dict] = [None] * N_THREADS  # type: ignore[list-item]
    errors: list[str] = []

    def creator(i: int) -> None:
        u, mine = users[i], {}
        for k in range(PER_THREAD):
            body = {"title": f"t{i}-{k}", "description": "d" * (k % 7), "priority": "high",
                    "tags": [f"tag{k % 3}", "bulk"], "due_date": "2031-01-0%d" % (1 + k % 9)}
            r = u.http.post(u.path, json=body)
            if r.status_code != 201:
                errors.append(f"create: {r.status_code} {r.text}")
                continue
            t = r.json()
            if t["title"] != body["title"] or t["tags"] != ",".join(body["tags"]):
                errors.append(f"create answered {t} for {body}")
            mine[t["id"]] = t
        made[i] = mine

    run_threads(N_THREADS, creator)
    assert not errors, errors[:5]

    def updater(i: int) -> None:
        u = users[i]
        for k, tid in enumerate(sorted(made[i])):
            if k % 2 == 0:
                r = u.put(tid, {"title": f"put{i}-{k}", "priority": "low", "tags": ["x"]})
            else:
                r = u.complete(tid)
            if r.status_code != 200:
                errors.append(f"write {tid}: {r.status_code} {r.text}")
            else:
                made[i][tid] = r.json()

    run_threads(N_THREADS, updater)
    assert not errors, errors[:5]

    for i, u in enumerate(users):
        stored = {t["id"]: t for t in all_tasks(u)}
        assert set(stored) == set(made[i]), "acknowledged writes missing or extra"
        for tid, answered in made[i].items():
            assert stored[tid] == answered, (stored[tid], answered)
        u.close()


def test_failing_requests_among_good_ones_fail_alone(base_url, secret, anon):
    """Registrations racing for one email (one wins, the rest are 409) go with
    registrations of fresh emails and task writes to a missing task (404) in
    the same moments: only the failing requests fail, and they change nothing."""
    contested = f"race-{rand_uid('')}@example.com".lower()
    fresh = [f"fresh-{rand_uid('')}-{i}@example.com".lower() for i in range(6)]
    user = User(base_url, secret)
    results: dict[str, list[int]] = {"contested": [], "fresh": [], "missing": [], "good": []}
    lock = threading.Lock()
    barrier = threading.Barrier(18)

    def one(i: int) -> None:
        with httpx.Client(base_url=base_url, timeout=60.0) as c:
            barrier.wait()
            if i < 6:
                kind, r = "contested", c.post("/api/auth/register",
                                              json={"email": contested,
                                                    "password": "correct horse battery"})
            elif i < 12:
                kind, r = "fresh", c.post("/api/auth/register",
                                          json={"email": fresh[i - 6],
                                                "password": "correct horse battery"})
            elif i < 15:
                kind = "missing"
                r = user.http.patch(user.task_path(2**40 + i), json={"title": "nobody"})
            else:
                kind, r = "good", user.http.post(user.path, json={"title": f"good {i}"})
            with lock:
                results[kind].append(r.status_code)

    run_threads(18, one)
    assert sorted(results["contested"]) == [201] + [409] * 5, results
    assert results["fresh"] == [201] * 6, results
    assert results["missing"] == [404] * 3, results
    assert results["good"] == [201] * 3, results
    titles = sorted(t["title"] for t in user.list())
    assert titles == ["good 15", "good 16", "good 17"], titles
    # Every fresh account can log in: its row was committed whole.
    for email in fresh:
        r = anon.post("/api/auth/login", json={"email": email, "password": "correct horse battery"})
        assert r.status_code == 200, r.text
    user.close()


def test_concurrent_completes_make_exactly_one_successor(base_url, secret):
    for pattern in ("daily", "weekly"):
        user = User(base_url, secret)
        task = user.create(title=f"{pattern} review", recurrence_pattern=pattern,
                           due_date="2030-03-04")
        barrier = threading.Barrier(10)
        codes: list[int] = []
        stamps: set = set()
        lock = threading.Lock()

        def one(i: int) -> None:
            with httpx.Client(base_url=base_url, timeout=60.0,
                              headers={"Authorization": f"Bearer {user.token}"}) as c:
                assert c.get("/health").status_code == 200
                barrier.wait()
                r = c.patch(f"{user.path}/{task['id']}/complete", json={"completed": True})
                with lock:
                    codes.append(r.status_code)
                    stamps.add(r.json().get("completed_at"))

        run_threads(10, one)
        assert codes == [200] * 10, codes
        assert len(stamps) == 1, stamps  # completed once, answered the same
        tasks = user.list()
        assert len(tasks) == 2, tasks
        successor = next(t for t in tasks if t["id"] != task["id"])
        assert successor["completed"] is False and successor["recurrence_pattern"] == pattern
        user.close()


def test_sigkill_mid_flood_loses_no_acknowledged_create(tmp_path):
    """kill -9 while many clients create tasks: after a restart on the same
    database, every create that was answered 201 is there, unchanged."""
    secret = new_secret()
    env = base_env(database_url_for(tmp_path), secret)
    srv = ServerProcess(env, cwd=tmp_path).start()
    uids = [rand_uid("crash_") for _ in range(N_THREADS)]
    acked: list[dict] = []
    lock = threading.Lock()
    stop = threading.Event()

    def flood(i: int) -> None:
        u = User(srv.base_url, secret, uids[i])
        k = 0
        try:
            while not stop.is_set():
                try:
                    r = u.http.post(u.path, json={"title": f"c{i}-{k}", "tags": ["crash"]})
                except httpx.HTTPError:
                    return  # the server is gone
                if r.status_code == 201:
                    with lock:
                        acked.append(r.json())
                k += 1
        finally:
            u.close()

    threads = [threading.Thread(target=flood, args=(i,)) for i in range(N_THREADS)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # let a good number of writes through
        with lock:
            if len(acked) >= 300:
                break
        time.sleep(0.05)
    srv.proc.send_signal(signal.SIGKILL)
    srv.wait_exit(15)
    stop.set()
    for t in threads:
        t.join(60)
    assert len(acked) > 0, "no create was acknowledged before the kill"

    again = ServerProcess(env, cwd=tmp_path).start()
    try:
        stored: dict[int, dict] = {}
        for uid in uids:
            u = User(again.base_url, secret, uid)
            stored.update({t["id"]: t for t in all_tasks(u)})
            u.close()
        missing = [t for t in acked if t["id"] not in stored]
        assert not missing, f"{len(missing)} of {len(acked)} acknowledged creates lost"
        for t in acked:
            assert stored[t["id"]] == t
    finally:
        assert again.stop(signal.SIGTERM, 15.0) == 0
        assert not again.sanitizer_reports(), again.sanitizer_reports()[:10]
