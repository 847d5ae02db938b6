"""Helpers shared by the black-box API tests (no fixtures here: see conftest.py).

Everything in tests/api/ talks to a real todo-server over HTTP; nothing here
knows how the server is written, only API.md.
"""
from __future__ import annotations

import atexit
import calendar
import datetime as dt
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import string
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Iterable, Optional
from urllib.parse import urlparse

import httpx
import jwt

# Scratch folders of servers and commands run by the tests live under one
# folder per test session, removed when the session ends.
SCRATCH = tempfile.mkdtemp(prefix="todo-api-tests-")
atexit.register(shutil.rmtree, SCRATCH, ignore_errors=True)

REPO_ROOT = Path(__file__).resolve().parents[2]


def _nodelay_connect_tcp(orig):
    """httpx 0.23 writes headers and body in two send() calls; with Nagle on,
    the body waits for the server's delayed ACK (40 ms per request). The
    tests set TCP_NODELAY, as browsers and curl do."""
    def connect_tcp(self, *args, **kwargs):
        stream = orig(self, *args, **kwargs)
        sock = getattr(stream, "_sock", None)
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return stream
    return connect_tcp


try:
    from httpcore.backends.sync import SyncBackend as _SyncBackend
    _SyncBackend.connect_tcp = _nodelay_connect_tcp(_SyncBackend.connect_tcp)
except ImportError:  # another httpcore layout: slower, still correct
    pass

TASK_KEYS = [
    "id", "user_id", "title", "description", "completed", "completed_at", "priority", "tags",
    "due_date", "due_time", "recurrence_pattern", "recurrence_day", "created_at", "updated_at",
]
READ_ONLY_KEYS = ["id", "user_id", "completed", "completed_at", "created_at", "updated_at"]
EDITABLE_KEYS = [k for k in TASK_KEYS if k not in READ_ONLY_KEYS]

ERROR_CODES = {
    "VALIDATION_ERROR", "INVALID_JSON", "UNAUTHORIZED", "FORBIDDEN", "NOT_FOUND",
    "METHOD_NOT_ALLOWED", "CONFLICT", "PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE",
    "RULE_VIOLATION", "RATE_LIMITED", "HEADERS_TOO_LARGE", "INTERNAL_ERROR",
    "SERVICE_UNAVAILABLE", "PRECONDITION_FAILED", "IDEMPOTENCY_KEY_IN_USE",
    "IDEMPOTENCY_KEY_REUSED",
}
ENTRY_CODES = {
    "missing", "unknown_field", "wrong_type", "too_short", "too_long", "out_of_range",
    "invalid_format", "invalid_choice", "control_character", "requires_field", "does_not_fit",
}

RFC3339_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$")
REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "runtime error:", "LeakSanitizer",
                     "ERROR: ThreadSanitizer", "WARNING: ThreadSanitizer")

# Every setting API.md section 1 names: stripped from the inherited environment
# so that the caller's shell cannot change what a test runs against.
SETTING_VARS = [
    "DATABASE_URL", "HOST", "PORT", "WORKERS", "BETTER_AUTH_SECRET", "JWKS_URL", "JWKS_FILE",
    "JWKS_REFRESH_SECONDS", "JWT_ISSUER", "JWT_AUDIENCE", "TOKEN_TTL", "CORS_ORIGINS",
    "DB_POOL_SIZE", "MIGRATE_ON_START", "LOG_LEVEL", "LOG_FORMAT", "MAX_BODY_BYTES",
    "DOCS_ASSETS_URL", "DOCS_ASSETS_DIR",
]

ALLOWED_ORIGINS = ["http://localhost:3000", "https://app.example.test"]

# Every token and password a test sends, so that the session can check that
# none of them ever reaches the log.
SECRETS_SENT: set[str] = set()


# --------------------------------------------------------------------- ids, tokens, dates

def rand_uid(prefix: str = "u_") -> str:
    """A fresh user id: each test has its own user, so tests are independent."""
    alnum = string.ascii_letters + string.digits
    return prefix + "".join(random.choice(alnum) for _ in range(12))


def mint(secret: str, sub: Any, *, algorithm: str = "HS256", headers: Optional[dict] = None,
         drop: Iterable[str] = (), **claims: Any) -> str:
    """An HS256 token {sub, email, iat, exp=now+3600}; claims override, drop removes."""
    now = int(time.time())
    payload: dict[str, Any] = {"sub": sub, "email": f"{sub}@example.test", "iat": now,
                               "exp": now + 3600}
    payload.update(claims)
    for k in drop:
        payload.pop(k, None)
    tok = jwt.encode(payload, secret, algorithm=algorithm, headers=headers)
    SECRETS_SENT.add(tok)
    return tok


def utc_today() -> dt.date:
    return dt.datetime.now(dt.timezone.utc).date()


def parse_ts(s: str) -> dt.datetime:
    assert isinstance(s, str) and RFC3339_Z.match(s), f"not RFC 3339 UTC with Z: {s!r}"
    base = s[:19]
    return dt.datetime.strptime(base, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=dt.timezone.utc)


def last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def next_occurrence(pattern: str, due: Optional[dt.date], day: Optional[int],
                    today: Optional[dt.date] = None) -> dt.date:
    """API.md 4.4: next matching date strictly after max(due date, today)."""
    today = today or utc_today()
    base = max(due, today) if due else today
    d = base + dt.timedelta(days=1)
    if pattern == "daily":
        return d
    while True:
        if pattern == "weekly" and d.isoweekday() == day:
            return d
        if pattern == "monthly" and d.day == min(day, last_day(d.year, d.month)):
            return d
        d += dt.timedelta(days=1)


# --------------------------------------------------------------------- error bodies

def error_body(r: httpx.Response, status: int, code: str) -> dict:
    """Checks an error response (status, JSON body, `detail` and `code` first) and returns it."""
    assert r.status_code == status, f"expected {status} {code}, got {r.status_code}: {r.text[:500]}"
    ctype = r.headers.get("content-type", "")
    assert ctype.split(";")[0].strip().lower() == "application/json", ctype
    body = r.json()
    assert isinstance(body, dict), body
    assert body.get("code") == code, body
    assert isinstance(body.get("detail"), str) and body["detail"], body
    keys = list(body)
    assert keys[:2] == ["detail", "code"], f"detail and code must be the first keys: {keys}"
    assert set(keys) <= {"detail", "code", "field", "errors"}, keys
    return body


def plain_error(r: httpx.Response, status: int, code: str) -> dict:
    """An error that is not about a field: no `field`, no `errors`."""
    body = error_body(r, status, code)
    assert body.get("field") is None, body
    assert not body.get("errors"), body
    return body


def field_error(r: httpx.Response, status: int, code: str, field: str,
                entry_codes: Optional[Iterable[str]] = None) -> dict:
    """A validation (400) or rule (422) error naming `field`; when entry_codes is
    given, the errors entry for `field` must have one of those codes."""
    body = error_body(r, status, code)
    keys = list(body)
    assert keys[:4] == ["detail", "code", "field", "errors"], keys
    assert isinstance(body["errors"], list) and body["errors"], body
    for e in body["errors"]:
        assert isinstance(e, dict) and set(e) == {"field", "code", "detail"}, e
        assert isinstance(e["field"], str) and e["field"], e
        assert e["code"] in ENTRY_CODES, e
        assert isinstance(e["detail"], str) and e["detail"], e
    fields = [e["field"] for e in body["errors"]]
    assert body["field"] in fields, body
    assert field in fields, f"no error for {field!r}: {body}"
    if entry_codes is not None:
        wanted = set(entry_codes)
        got = {e["code"] for e in body["errors"] if e["field"] == field}
        assert got & wanted, f"{field}: codes {got}, expected one of {wanted}: {body}"
    return body


def validation_error(r: httpx.Response, field: str, *entry_codes: str) -> dict:
    return field_error(r, 400, "VALIDATION_ERROR", field, entry_codes or None)


def rule_error(r: httpx.Response, field: str, *entry_codes: str) -> dict:
    body = field_error(r, 422, "RULE_VIOLATION", field, entry_codes or None)
    assert body["field"] == field or len(body["errors"]) > 1, body
    return body


def errors_by_field(body: dict) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for e in body.get("errors") or []:
        out.setdefault(e["field"], set()).add(e["code"])
    return out


# --------------------------------------------------------------------- task helpers

class User:
    """A user of the API: its own id, token and HTTP client."""

    def __init__(self, base_url: str, secret: str, uid: Optional[str] = None):
        self.uid = uid or rand_uid()
        self.token = mint(secret, self.uid)
        self.base_url = base_url
        self.http = httpx.Client(base_url=base_url, timeout=15.0, verify=False,
                                 headers={"Authorization": f"Bearer {self.token}"})
        self.path = f"/api/{self.uid}/tasks"

    def close(self) -> None:
        self.http.close()

    def task_path(self, tid: Any) -> str:
        return f"{self.path}/{tid}"

    def create(self, **fields: Any) -> dict:
        fields.setdefault("title", "a task")
        r = self.http.post(self.path, json=fields)
        assert r.status_code == 201, f"create {fields}: {r.status_code} {r.text}"
        t = r.json()
        check_task(t, self.uid)
        return t

    def get(self, tid: Any) -> dict:
        r = self.http.get(self.task_path(tid))
        assert r.status_code == 200, r.text
        return r.json()

    def list(self, **params: Any) -> list:
        r = self.http.get(self.path, params=params)
        assert r.status_code == 200, f"list {params}: {r.status_code} {r.text}"
        body = r.json()
        assert isinstance(body, list), body
        assert r.headers.get("x-total-count") is not None, dict(r.headers)
        return body

    def ids(self, **params: Any) -> list:
        return [t["id"] for t in self.list(**params)]

    def patch(self, tid: Any, body: Any) -> httpx.Response:
        return self.http.patch(self.task_path(tid), json=body)

    def put(self, tid: Any, body: Any) -> httpx.Response:
        return self.http.put(self.task_path(tid), json=body)

    def complete(self, tid: Any, body: Any = None) -> httpx.Response:
        if body is None:
            return self.http.patch(self.task_path(tid) + "/complete")
        return self.http.patch(self.task_path(tid) + "/complete", json=body)


def check_task(t: Any, uid: str) -> None:
    """API.md 4.1: every key present, the right types, nulls for unset values."""
    assert isinstance(t, dict), t
    assert list(sorted(t)) == sorted(TASK_KEYS), f"keys differ: {sorted(set(t) ^ set(TASK_KEYS))}"
    assert isinstance(t["id"], int) and not isinstance(t["id"], bool) and t["id"] > 0, t
    assert t["user_id"] == uid, t
    assert isinstance(t["title"], str) and t["title"], t
    assert t["description"] is None or isinstance(t["description"], str), t
    assert isinstance(t["completed"], bool), t
    assert t["priority"] in (None, "low", "medium", "high"), t
    assert t["tags"] is None or (isinstance(t["tags"], str) and t["tags"]), t
    if t["due_date"] is not None:
        dt.date.fromisoformat(t["due_date"])
        assert re.match(r"^\d{4}-\d{2}-\d{2}$", t["due_date"]), t
    if t["due_time"] is not None:
        assert re.match(r"^([01]\d|2[0-3]):[0-5]\d:[0-5]\d$", t["due_time"]), t
    assert t["recurrence_pattern"] in (None, "daily", "weekly", "monthly"), t
    assert t["recurrence_day"] is None or (isinstance(t["recurrence_day"], int)
                                           and not isinstance(t["recurrence_day"], bool)), t
    parse_ts(t["created_at"])
    parse_ts(t["updated_at"])
    if t["completed"]:
        parse_ts(t["completed_at"])
    else:
        assert t["completed_at"] is None, t


def location_path(r: httpx.Response) -> str:
    loc = r.headers.get("location")
    assert loc, dict(r.headers)
    return urlparse(loc).path


# --------------------------------------------------------------------- raw sockets

class RawConn:
    """A plain TCP connection for what httpx won't do (HTTP/1.0, pipelining,
    100-continue, garbage)."""

    def __init__(self, base_url: str, timeout: float = 5.0):
        u = urlparse(base_url)
        self.host, self.port = u.hostname, u.port
        self.sock = socket.create_connection((self.host, self.port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def _fill(self) -> bool:
        chunk = self.sock.recv(65536)
        if not chunk:
            return False
        self.buf += chunk
        return True

    def _read_until(self, marker: bytes) -> bytes:
        while marker not in self.buf:
            if not self._fill():
                raise ConnectionError(f"closed before {marker!r}; got {self.buf[:200]!r}")
        i = self.buf.index(marker) + len(marker)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def _read_n(self, n: int) -> bytes:
        while len(self.buf) < n:
            if not self._fill():
                raise ConnectionError("closed in the middle of a body")
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_response(self, method: str = "GET") -> tuple[int, dict, bytes, str]:
        """Reads one response (an interim 1xx counts as one): status, headers
        (lower-case names), body, HTTP version."""
        head = self._read_until(b"\r\n\r\n").decode("latin-1")
        lines = head.split("\r\n")
        version, status = lines[0].split(" ", 2)[:2]
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if line:
                k, _, v = line.partition(":")
                headers[k.strip().lower()] = v.strip()
        st = int(status)
        if 100 <= st < 200 or st in (204, 304) or method == "HEAD":
            return st, headers, b"", version
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = b""
            while True:
                size = int(self._read_until(b"\r\n").split(b";")[0].strip(), 16)
                if size == 0:
                    self._read_until(b"\r\n")
                    break
                body += self._read_n(size)
                self._read_n(2)
            return st, headers, body, version
        if "content-length" in headers:
            return st, headers, self._read_n(int(headers["content-length"])), version
        while self._fill():
            pass
        body, self.buf = self.buf, b""
        return st, headers, body, version

    def closed_by_peer(self, timeout: float = 3.0) -> bool:
        """True when the server closes (or resets) the connection within timeout."""
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
                self.buf += chunk
        except socket.timeout:
            return False
        except OSError:
            return True

    def drain(self, timeout: float = 3.0, quiet: float = 0.3) -> bytes:
        """What the server sends until it closes, or until it has sent
        something and then stays quiet for `quiet` seconds, or `timeout`."""
        deadline = time.monotonic() + timeout
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.sock.settimeout(min(left, quiet) if self.buf else left)
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                self.buf += chunk
        except (socket.timeout, OSError):
            pass
        out, self.buf = self.buf, b""
        return out


def http_request(method: str, path: str, host: str, headers: dict | None = None,
                 body: bytes = b"", version: str = "HTTP/1.1") -> bytes:
    lines = [f"{method} {path} {version}", f"Host: {host}"]
    for k, v in (headers or {}).items():
        lines.append(f"{k}: {v}")
    if body and not any(k.lower() in ("content-length", "transfer-encoding")
                        for k in (headers or {})):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


# --------------------------------------------------------------------- server processes

def server_binary() -> Path:
    p = Path(os.environ.get("TODO_SERVER_BIN", "build/todo-server"))
    return p if p.is_absolute() else REPO_ROOT / p


def clean_env(overrides: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SETTING_VARS}
    env.update(overrides)
    return env


def database_url_for(tmpdir: Path) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite://{tmpdir}/todo.db"


class ServerProcess:
    """One todo-server process whose stderr (and stdout) is kept in memory."""

    LISTEN_RE = re.compile(r"listening on (http://[0-9.]+:\d+)")

    def __init__(self, env: dict[str, str], args: Iterable[str] = (), cwd: Optional[Path] = None):
        self.env = env
        self.args = list(args)
        self.cwd = cwd or Path(tempfile.mkdtemp(prefix="cwd-", dir=SCRATCH))
        self.lines: list[str] = []
        self.cond = threading.Condition()
        self.proc: Optional[subprocess.Popen] = None
        self.base_url: Optional[str] = None
        self.threads: list[threading.Thread] = []
        self.returncode: Optional[int] = None

    def _reader(self, stream) -> None:
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self.cond:
                self.lines.append(line)
                self.cond.notify_all()
        stream.close()
        with self.cond:
            self.cond.notify_all()

    def start(self, wait_listen: bool = True, timeout: float = 15.0) -> "ServerProcess":
        binary = server_binary()
        if not binary.exists():
            raise RuntimeError(f"server binary {binary} does not exist (set TODO_SERVER_BIN)")
        self.proc = subprocess.Popen([str(binary), *self.args], env=self.env, cwd=self.cwd,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        for stream in (self.proc.stderr, self.proc.stdout):
            t = threading.Thread(target=self._reader, args=(stream,), daemon=True)
            t.start()
            self.threads.append(t)
        if wait_listen:
            m = self.wait_for(self.LISTEN_RE, timeout)
            if m is None:
                self.kill()
                raise RuntimeError("server did not log 'listening on http://HOST:PORT' within "
                                   f"{timeout}s; output:\n" + self.text()[-4000:])
            self.base_url = m.group(1)
        return self

    def wait_for(self, pattern: re.Pattern, timeout: float) -> Optional[re.Match]:
        deadline = time.monotonic() + timeout
        seen = 0
        with self.cond:
            while True:
                for line in self.lines[seen:]:
                    m = pattern.search(line)
                    if m:
                        return m
                seen = len(self.lines)
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None
                                 and not any(t.is_alive() for t in self.threads)):
                    return None
                self.cond.wait(min(left, 0.2))

    def text(self) -> str:
        with self.cond:
            return "\n".join(self.lines)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> Optional[int]:
        """Sends sig and waits; returns the exit code, or None (then kills) on timeout."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                return None
        self._join()
        self.returncode = self.proc.returncode
        return self.returncode

    def wait_exit(self, timeout: float) -> Optional[int]:
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        self._join()
        self.returncode = self.proc.returncode
        return self.returncode

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._join()

    def _join(self) -> None:
        for t in self.threads:
            t.join(5)

    def sanitizer_reports(self) -> list[str]:
        return [l for l in self.text().splitlines() if any(m in l for m in SANITIZER_MARKERS)]


def base_env(database_url: str, secret: str, **extra: str) -> dict[str, str]:
    env = clean_env({
        "PORT": "0", "HOST": "127.0.0.1", "WORKERS": "2", "BETTER_AUTH_SECRET": secret,
        "DATABASE_URL": database_url, "CORS_ORIGINS": ",".join(ALLOWED_ORIGINS),
        "LOG_LEVEL": "info",
    })
    env.update(extra)
    return env


def new_secret() -> str:
    return secrets.token_urlsafe(36)  # 48 characters


def run_cli(args: list[str], env: dict[str, str], timeout: float = 20.0,
            cwd: Optional[Path] = None) -> subprocess.CompletedProcess:
    """Runs the binary once (a subcommand, or a start that must fail)."""
    return subprocess.run([str(server_binary()), *args], env=env, capture_output=True,
                          timeout=timeout, cwd=cwd or tempfile.mkdtemp(prefix="cli-", dir=SCRATCH),
                          stdin=subprocess.DEVNULL)


def json_bytes(obj: Any) -> bytes:
    return json.dumps(obj).encode()
