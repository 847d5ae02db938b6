#!/usr/bin/python3
"""Seeds tasks for one user through the API and prints their ids on one line.

usage: seed.py BASE_URL USER TOKEN COUNT
Fails unless the user then has exactly COUNT tasks (X-Total-Count)."""
import json
import sys
import urllib.request


def call(method, url, token, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Authorization", "Bearer " + token)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=30) as resp:
        return resp.status, resp.headers, json.loads(resp.read() or b"null")


def main():
    base, user, token, count = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3], int(sys.argv[4])
    priorities = ["high", "medium", "low", None]
    ids = []
    for i in range(count):
        task = {"title": f"Seeded task number {i} for {user}",
                "priority": priorities[i % 4],
                "tags": ["work", "home", "errands", "weekly"][: 1 + i % 4]}
        if i % 2:
            task["description"] = "A description of a realistic length for a seeded task."
        if i % 3:
            task["due_date"] = f"2031-{1 + i % 12:02d}-{1 + i % 28:02d}"
            task["due_time"] = "09:30" if i % 6 == 1 else None
        if i % 7 == 0:
            task["recurrence_pattern"] = "weekly"
        status, _, created = call("POST", f"{base}/api/{user}/tasks", token, task)
        if status != 201:
            sys.exit(f"seed.py: create answered {status}")
        ids.append(created["id"])
    _, headers, _ = call("GET", f"{base}/api/{user}/tasks?limit=1", token)
    if int(headers["X-Total-Count"]) != count:
        sys.exit(f"seed.py: {user} has {headers['X-Total-Count']} tasks, expected {count}")
    print(" ".join(str(i) for i in ids))


if __name__ == "__main__":
    main()
