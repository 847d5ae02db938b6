"""API.md 1 and 5, behind proxies: TRUSTED_PROXIES is checked at start; from a
trusted peer the client address is the rightmost X-Forwarded-For entry that is
not itself trusted, and it is what the per-address login limit counts and the
access log shows; from any other peer the header changes nothing.

The tests connect from 127.0.0.1, so TRUSTED_PROXIES=127.0.0.1 makes the test
a trusted proxy and TRUSTED_PROXIES=10.0.0.0/8 makes it an untrusted client."""
import secrets
import subprocess
import threading
import time

import httpx
import pytest

from apiutil import base_env, database_url_for, new_secret, rand_uid, run_cli


def new_email():
    return f"xff-{secrets.token_hex(6)}@example.com"


def login(c, email, password="wrong-password", xff=None):
    headers = {"X-Forwarded-For": xff} if xff is not None else {}
    return c.post("/api/auth/login", json={"email": email, "password": password},
                  headers=headers)


def fail_logins(base_url, xffs, threads=8):
    """One failed login per entry of xffs (its X-Forwarded-For, None: no
    header), each for its own unknown email, from `threads` threads; returns
    the statuses."""
    out = [None] * len(xffs)
    nxt = [0]
    lock = threading.Lock()

    def worker():
        with httpx.Client(base_url=base_url, timeout=60.0) as c:
            while True:
                with lock:
                    i = nxt[0]
                    nxt[0] += 1
                if i >= len(xffs):
                    return
                out[i] = login(c, new_email(), xff=xffs[i]).status_code

    ts = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(300)
    return out


def wait_log(srv, needle, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in srv.text().splitlines():
            if needle in line:
                return line
        time.sleep(0.05)
    return None


def logged_client(srv, c, headers):
    rid = "xff-" + rand_uid("")
    r = c.get("/health", headers={**headers, "X-Request-ID": rid})
    assert r.status_code == 200
    line = wait_log(srv, rid)
    assert line, "no access log line for the request"
    return line.split("client=", 1)[1].split()[0]


# ------------------------------------------------------------------ the setting

@pytest.mark.parametrize("value", ["10.0.0.0/33", "::/129", "10.0.0.1/8", "proxy.example",
                                   "127.0.0.1,", "1.2.3.4 5.6.7.8", "10.0.0.0/x"])
def test_bad_trusted_proxies_stops_start(tmp_path, value):
    env = base_env(database_url_for(tmp_path), new_secret(), TRUSTED_PROXIES=value)
    try:
        p = run_cli([], env, timeout=15)
    except subprocess.TimeoutExpired:
        pytest.fail(f"TRUSTED_PROXIES={value!r}: the server started")
    assert p.returncode != 0
    out = (p.stderr + p.stdout).decode(errors="replace")
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 1 and "TRUSTED_PROXIES" in lines[0], out


def test_good_trusted_proxies_accepted(spawn_server):
    srv = spawn_server({"TRUSTED_PROXIES": " 127.0.0.1, 10.0.0.0/8,::1, fd00::/8 ,192.0.2.0/24"})
    assert httpx.get(srv.base_url + "/health", timeout=10).status_code == 200


# ------------------------------------------------------------------ the access log

def test_access_log_from_trusted_proxy(spawn_server):
    srv = spawn_server({"TRUSTED_PROXIES": "127.0.0.1,10.0.0.0/8"})
    with httpx.Client(base_url=srv.base_url, timeout=15.0) as c:
        assert logged_client(srv, c, {}) == "127.0.0.1"
        assert logged_client(srv, c, {"X-Forwarded-For": "203.0.113.7"}) == "203.0.113.7"
        # what the client wrote itself is left of what the proxy appended
        assert logged_client(srv, c, {"X-Forwarded-For": "1.2.3.4, 203.0.113.8"}) \
            == "203.0.113.8"
        # proxies in a chain are skipped
        assert logged_client(srv, c, {"X-Forwarded-For": "203.0.113.9, 10.1.1.1 ,10.2.2.2"}) \
            == "203.0.113.9"
        assert logged_client(srv, c, {"X-Forwarded-For": "[2001:db8::7]:4711"}) == "2001:db8::7"
        # all trusted: the leftmost
        assert logged_client(srv, c, {"X-Forwarded-For": "10.0.0.5, 10.0.0.6"}) == "10.0.0.5"
        # a malformed entry on the way: the peer
        assert logged_client(srv, c, {"X-Forwarded-For": "203.0.113.7, unknown"}) == "127.0.0.1"
    # several fields are one list
    with httpx.Client(base_url=srv.base_url, timeout=15.0) as c:
        rid = "xff-" + rand_uid("")
        r = c.get("/health", headers=[("X-Request-ID", rid), ("X-Forwarded-For", "1.1.1.1"),
                                      ("X-Forwarded-For", "198.51.100.4, 10.9.9.9")])
        assert r.status_code == 200
        line = wait_log(srv, rid)
        assert line and "client=198.51.100.4" in line, line


def test_access_log_ignores_xff_from_untrusted_peer(spawn_server):
    srv = spawn_server({"TRUSTED_PROXIES": "10.0.0.0/8"})
    with httpx.Client(base_url=srv.base_url, timeout=15.0) as c:
        assert logged_client(srv, c, {"X-Forwarded-For": "203.0.113.7"}) == "127.0.0.1"
        assert logged_client(srv, c, {"X-Forwarded-For": "10.0.0.1"}) == "127.0.0.1"


def test_no_trusted_proxies_ignores_xff(spawn_server):
    srv = spawn_server()
    with httpx.Client(base_url=srv.base_url, timeout=15.0) as c:
        assert logged_client(srv, c, {"X-Forwarded-For": "203.0.113.7"}) == "127.0.0.1"


# ------------------------------------------------------------------ the per-address login limit

def test_login_limit_counts_forwarded_address(spawn_server):
    """Behind a trusted proxy the 100 failures of one client lock out that
    client only, not everybody behind the proxy."""
    srv = spawn_server({"TRUSTED_PROXIES": "127.0.0.1"})
    statuses = fail_logins(srv.base_url, ["198.51.100.1"] * 100)
    assert statuses == [401] * 100, statuses
    with httpx.Client(base_url=srv.base_url, timeout=30.0) as c:
        r = login(c, new_email(), xff="198.51.100.1")
        if r.status_code == 401:
            r = login(c, new_email(), xff="198.51.100.1")
        assert r.status_code == 429, r.text
        # the client's own X-Forwarded-For entry left of the proxy's changes nothing
        assert login(c, new_email(), xff="9.9.9.9, 198.51.100.1").status_code == 429
        # another client behind the same proxy, and the proxy itself, are not limited
        assert login(c, new_email(), xff="198.51.100.2").status_code == 401
        assert login(c, new_email()).status_code == 401


def test_login_limit_ignores_xff_from_untrusted_peer(spawn_server):
    """A client that is not a trusted proxy can't escape the limit by
    writing a new X-Forwarded-For on every attempt."""
    srv = spawn_server({"TRUSTED_PROXIES": "10.0.0.0/8"})
    statuses = fail_logins(srv.base_url, [f"198.51.100.{i}" for i in range(100)])
    assert statuses == [401] * 100, statuses
    with httpx.Client(base_url=srv.base_url, timeout=30.0) as c:
        r = login(c, new_email(), xff="203.0.113.200")
        if r.status_code == 401:
            r = login(c, new_email(), xff="203.0.113.201")
        assert r.status_code == 429, r.text
        assert login(c, new_email()).status_code == 429
