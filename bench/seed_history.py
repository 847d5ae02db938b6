#!/usr/bin/python3
"""Seeds a long task history for one user, in seconds, then checks that the
server serves it.

usage: seed_history.py BASE_URL USER TOKEN COUNT [--database URL] [--today YYYY-MM-DD]
                       [--completed 0.75] [--conns 8] [--depth 64]

With --database (the server's DATABASE_URL, migrated): rows go straight into
the tasks table in one transaction (sqlite3, or psql COPY), in the formats the
server writes (src/store: priority 1-3, "YYYY-MM-DDTHH:MM:SSZ" text on SQLite,
timestamptz/date/time on PostgreSQL); the database's own triggers keep what
they keep (search index, counts); created_at spreads over the two years before
now; PostgreSQL gets ANALYZE, as autovacuum would give a table that grew.
Without it: through the API, keep-alive connections with pipelined requests
(API.md section 5), so the server's own write path makes every row; a few
thousand requests a second on a loaded machine.

The history: titles from a small vocabulary (about 2% mention milk, some
descriptions too), priorities and tags in rotation ("work" on a third),
due dates spread from two years back to one year ahead (two tasks in three
have one), and a fraction completed afterwards (PATCH .../complete, again
pipelined). No recurrence, so completing creates nothing.

Then checks that the server serves them: X-Total-Count of the whole list and of
the history table's filters must equal the counts computed here. Prints one
JSON line: {"count":…, "seconds":…, "requests":…, "expected":{…}}."""
import argparse
import asyncio
import sqlite3
import subprocess
import datetime
import json
import resource
import sys
import time
import urllib.parse
import urllib.request

WORDS = ["report", "invoice", "garden", "dentist", "call", "review", "plan", "laundry",
         "taxes", "meeting", "groceries", "email", "backup", "book", "trip", "car"]
VERBS = ["Prepare", "Send", "Fix", "Check", "Book", "Write", "Clean", "Pay", "Read", "Order"]
TAGS = ["work", "home", "errands", "weekly", "health", "money"]
PRIORITIES = ["high", "medium", "low", None]


def task_of(i, today):
    """The i-th task of the history (API form), and the facts the checks need."""
    if i % 50 == 7:
        title = f"Buy milk and bread {i}"
    else:
        title = f"{VERBS[i % len(VERBS)]} {WORDS[(i // 3) % len(WORDS)]} {i}"
    task = {"title": title, "priority": PRIORITIES[i % 4]}
    tags = [TAGS[(i + k) % len(TAGS)] for k in range(1 + i % 3)]
    if i % 3 == 0 and "work" not in tags:
        tags.insert(0, "work")
    task["tags"] = ",".join(tags)
    if i % 2:
        task["description"] = ("Remember the MILK for the office" if i % 97 == 3
                               else "A description of a realistic length for a task.")
    due = None
    if i % 3:
        due = today + datetime.timedelta(days=(i * 37) % 1095 - 730)
        task["due_date"] = due.isoformat()
        if i % 6 == 1:
            task["due_time"] = "09:30"
    text = (title + " " + (task.get("description") or "")).lower()
    return task, {"milk": "milk" in text, "work_high": "work" in tags and task["priority"] == "high",
                  "due": due}


def request_bytes(method, path, host, token, body=None):
    head = [f"{method} {path} HTTP/1.1", f"Host: {host}", f"Authorization: Bearer {token}"]
    data = b""
    if body is not None:
        data = json.dumps(body, separators=(",", ":")).encode()
        head += ["Content-Type: application/json", f"Content-Length: {len(data)}"]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + data


async def read_response(reader):
    """Status, headers and body of one response (Content-Length or chunked)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            body += await reader.readexactly(size)
            await reader.readexactly(2)
    else:
        body = b""
    return status, headers, body


async def pipeline(host, port, requests, depth, want, answers):
    """Sends requests in batches of `depth` on one connection; each answer
    must have status `want`; appends (index, headers) to answers."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        for start in range(0, len(requests), depth):
            batch = requests[start:start + depth]
            writer.write(b"".join(r for _, r in batch))
            await writer.drain()
            for index, _ in batch:
                status, headers, body = await read_response(reader)
                if status != want:
                    raise SystemExit(f"seed_history.py: answered {status}, expected {want}: {body[:200]!r}")
                answers.append((index, headers))
    finally:
        writer.close()


async def run_all(host, port, requests, conns, depth, want):
    answers = []
    share = (len(requests) + conns - 1) // conns
    await asyncio.gather(*(pipeline(host, port, requests[k * share:(k + 1) * share], depth, want, answers)
                           for k in range(conns) if requests[k * share:(k + 1) * share]))
    return answers


PRIORITY_NUM = {"low": 1, "medium": 2, "high": 3}
COLUMNS = ("user_id, title, description, completed, completed_at, priority, tags, due_date, "
           "due_time, recurrence_pattern, recurrence_day, created_at, updated_at, successor_id, "
           "parent_id")


def rows_of(user, tasks, done, now):
    """The tasks as rows of the tasks table, timestamps as (created, completed) datetimes."""
    span = 2 * 365 * 86400
    for i, task in enumerate(tasks):
        created = now - datetime.timedelta(seconds=(len(tasks) - i) * span // len(tasks))
        completed = created + datetime.timedelta(hours=20) if i in done else None
        if completed is not None and completed > now:
            completed = now
        due_time = task.get("due_time")
        yield (user, task["title"], task.get("description"), i in done, completed,
               PRIORITY_NUM.get(task["priority"]), task["tags"], task.get("due_date"),
               due_time + ":00" if due_time else None, None, None, created, completed or created,
               None, None)


def seed_sqlite(path, rows):
    z = "%Y-%m-%dT%H:%M:%SZ"
    db = sqlite3.connect(path, timeout=60)
    db.execute("PRAGMA cache_size = -131072")  # 128 MB: every index of 100k rows stays in memory
    with db:
        db.executemany(f"INSERT INTO tasks ({COLUMNS}) VALUES ({', '.join('?' * 15)})", (
            r[:3] + (int(r[3]), r[4] and r[4].strftime(z)) + r[5:11] +
            (r[11].strftime(z), r[12].strftime(z)) + r[13:] for r in rows))
    db.close()


def seed_pg(url, rows):
    def text(v):
        if v is None:
            return "\\N"
        if isinstance(v, bool):
            return "t" if v else "f"
        if isinstance(v, datetime.datetime):
            return v.strftime("%Y-%m-%d %H:%M:%S+00")
        return str(v).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
    data = "".join("\t".join(text(v) for v in r) + "\n" for r in rows)
    script = f"COPY tasks ({COLUMNS}) FROM STDIN;\n{data}\\.\nANALYZE tasks;\n"
    subprocess.run(["psql", url, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-1"], input=script.encode(),
                   check=True, stdout=subprocess.DEVNULL)


def total(base, user, token, query):
    req = urllib.request.Request(f"{base}/api/{user}/tasks?{query}&limit=1")
    req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=60) as resp:
        return int(resp.headers["X-Total-Count"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("base")
    ap.add_argument("user")
    ap.add_argument("token")
    ap.add_argument("count", type=int)
    ap.add_argument("--today", default=datetime.datetime.now(datetime.timezone.utc).date().isoformat())
    ap.add_argument("--completed", type=float, default=0.75)
    ap.add_argument("--database", help="seed straight into this database (the server's DATABASE_URL)")
    ap.add_argument("--conns", type=int, default=8)
    ap.add_argument("--depth", type=int, default=64)
    a = ap.parse_args()
    base = a.base.rstrip("/")
    url = urllib.parse.urlsplit(base)
    host, port = url.hostname, url.port or 80
    today = datetime.date.fromisoformat(a.today)
    path = f"/api/{a.user}/tasks"
    hostport = f"{host}:{port}"

    started = time.monotonic()
    facts, tasks = {}, []
    for i in range(a.count):
        task, facts[i] = task_of(i, today)
        tasks.append(task)
    # The completed fraction, spread evenly over the history.
    done = set(i for i in range(a.count) if (i * 7919) % 1000 < a.completed * 1000)
    if a.database:
        rows = rows_of(a.user, tasks, done, datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0))
        if a.database.startswith("sqlite://"):
            seed_sqlite(a.database[len("sqlite://"):], rows)
        else:
            seed_pg(a.database, rows)
        requests = 0
    else:
        creates = [(i, request_bytes("POST", path, hostport, a.token, t)) for i, t in enumerate(tasks)]
        answers = asyncio.run(run_all(host, port, creates, a.conns, a.depth, 201))
        ids = {index: int(headers["location"].rsplit("/", 1)[1]) for index, headers in answers}
        completes = [(i, request_bytes("PATCH", f"{path}/{ids[i]}/complete", hostport, a.token,
                                       {"completed": True})) for i in sorted(done)]
        asyncio.run(run_all(host, port, completes, a.conns, a.depth, 200))
        requests = len(creates) + len(completes)
    seconds = time.monotonic() - started

    expected = {
        "": a.count,
        "search=milk": sum(1 for f in facts.values() if f["milk"]),
        "tag=work&priority=high": sum(1 for f in facts.values() if f["work_high"]),
        f"due_date_filter=overdue&today={a.today}": sum(
            1 for i, f in facts.items() if f["due"] is not None and f["due"] < today and i not in done),
        "completed=true": len(done),
    }
    for query, want in expected.items():
        got = total(base, a.user, a.token, query)
        if got != want:
            sys.exit(f"seed_history.py: {query or 'all'}: the server counts {got}, expected {want}")
    cpu = sum(getattr(resource.getrusage(who), f) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
              for f in ("ru_utime", "ru_stime"))
    print(json.dumps({"count": a.count, "via": "sql" if a.database else "api", "seconds": round(seconds, 2),
                      "cpu_seconds": round(cpu, 2), "requests": requests, "expected": expected}))


if __name__ == "__main__":
    main()
