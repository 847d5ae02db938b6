"""Interop: tokens from a real Better Auth (the front end's auth library, jwt
plugin) work against todo-server configured only with JWKS_URL, JWT_ISSUER
and JWT_AUDIENCE, as API.md section 3 promises. Once per signing algorithm
Better Auth offers that API.md accepts: EdDSA (its default), ES256, RS256.

Run from the repository root:  python3 -m pytest tests/interop
  TODO_SERVER_BIN   the binary (default build/todo-server)
Needs node (20) and the packages of tests/interop/package-lock.json; when
node_modules/ is missing, the session runs `npm ci` first (npm registry).
"""
from __future__ import annotations

import base64
import json
import secrets
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Optional

import httpx
import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "api"))

from apiutil import ServerProcess, clean_env  # noqa: E402

ALGS = ["EdDSA", "ES256", "RS256"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def b64json(part: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def b64(obj: dict) -> str:
    raw = json.dumps(obj, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class BetterAuth:
    """better_auth_server.mjs in a child process."""

    def __init__(self, alg: str, port: Optional[int] = None):
        self.alg = alg
        self.port = port or free_port()
        self.origin = f"http://127.0.0.1:{self.port}"
        self.jwks_url = f"{self.origin}/api/auth/jwks"
        self.proc: Optional[subprocess.Popen] = None
        self.stderr: list[str] = []

    def start(self, timeout: float = 60.0) -> "BetterAuth":
        self.proc = subprocess.Popen(
            ["node", "better_auth_server.mjs", "--port", str(self.port), "--alg", self.alg],
            cwd=HERE, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
        threading.Thread(target=lambda: self.stderr.extend(self.proc.stderr), daemon=True).start()
        line: list[str] = []
        reader = threading.Thread(target=lambda: line.append(self.proc.stdout.readline()),
                                  daemon=True)
        reader.start()
        reader.join(timeout)
        if not line or not line[0].strip():
            self.stop()
            pytest.fail(f"Better Auth ({self.alg}) did not start:\n" + "".join(self.stderr),
                        pytrace=False)
        ready = json.loads(line[0])
        assert ready["origin"] == self.origin, ready
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def sign_up(self) -> tuple[str, str, str]:
        """A new account, the way the Next.js client makes one: (user id, email, JWT)."""
        email = f"user-{secrets.token_hex(4)}@example.test"
        with httpx.Client(base_url=self.origin, timeout=30.0,
                          headers={"Origin": self.origin}) as c:
            r = c.post("/api/auth/sign-up/email",
                       json={"email": email, "password": secrets.token_urlsafe(12),
                             "name": "Interop User"})
            assert r.status_code == 200, r.text
            uid = r.json()["user"]["id"]
            r = c.get("/api/auth/token")  # the jwt plugin's endpoint; the session cookie is sent
            assert r.status_code == 200, r.text
            return uid, email, r.json()["token"]


def todo_server(tmp: Path, jwks_url: str, origin: str, **extra: str) -> ServerProcess:
    env = clean_env({
        "HOST": "127.0.0.1", "PORT": "0", "WORKERS": "2", "LOG_LEVEL": "info",
        "DATABASE_URL": f"sqlite://{tmp}/todo.db", "JWKS_URL": jwks_url,
        "JWT_ISSUER": origin, "JWT_AUDIENCE": origin,
    })
    env.update(extra)
    srv = ServerProcess(env, cwd=tmp)
    try:
        srv.start()
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)
    return srv


def stop_clean(srv: ServerProcess, tokens: list[str]) -> None:
    """SIGTERM must stop the server with 0, and no token may be in its log."""
    rc = srv.stop()
    log = srv.text()
    assert rc == 0, f"exit {rc}\n{log[-3000:]}"
    leaked = [t for t in tokens if t in log]
    assert not leaked, "a token reached the log"


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def unauthorized(r: httpx.Response) -> None:
    assert r.status_code == 401, r.text
    assert r.json()["code"] == "UNAUTHORIZED", r.text
    assert r.headers.get("www-authenticate", "").lower().startswith("bearer"), dict(r.headers)


# ---------------------------------------------------------------------- fixtures

@pytest.fixture(scope="session", autouse=True)
def node_packages():
    if subprocess.run(["node", "--version"], capture_output=True).returncode != 0:
        pytest.fail("node is not installed", pytrace=False)
    if not (HERE / "node_modules" / "better-auth" / "package.json").exists():
        r = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=HERE,
                           capture_output=True, text=True, timeout=1200)
        if r.returncode != 0:
            pytest.fail("npm ci failed in tests/interop:\n" + r.stdout[-2000:] + r.stderr[-2000:],
                        pytrace=False)


@pytest.fixture(scope="module", params=ALGS)
def front_end(request):
    ba = BetterAuth(request.param).start()
    yield ba
    ba.stop()


@pytest.fixture(scope="module")
def api(front_end, tmp_path_factory):
    """todo-server trusting front_end's keys; yields (base URL, tokens sent)."""
    srv = todo_server(tmp_path_factory.mktemp("todo"), front_end.jwks_url, front_end.origin)
    tokens: list[str] = []
    yield srv.base_url, tokens
    stop_clean(srv, tokens)


# ---------------------------------------------------------------------- tests

def test_front_end_token_is_accepted(front_end, api):
    base, tokens = api
    uid, email, token = front_end.sign_up()
    tokens.append(token)
    head, payload = (b64json(p) for p in token.split(".")[:2])
    assert head["alg"] == front_end.alg and head.get("kid"), head
    assert payload["sub"] == uid and payload["iss"] == front_end.origin, payload

    with httpx.Client(base_url=base, timeout=15.0, headers=bearer(token)) as c:
        r = c.get(f"/api/{uid}/tasks")
        assert r.status_code == 200 and r.json() == [], r.text
        r = c.post(f"/api/{uid}/tasks", json={"title": "from the front end"})
        assert r.status_code == 201, r.text
        assert r.json()["user_id"] == uid
        r = c.get("/api/auth/me")
        assert r.status_code == 200, r.text
        assert r.json() == {"id": uid, "email": email, "name": None, "created_at": None}
        r = c.get(f"/api/{uid}x/tasks")
        assert r.status_code == 403, r.text


def test_tampered_front_end_token_is_refused(front_end, api):
    base, tokens = api
    uid, _, token = front_end.sign_up()
    other, _, other_token = front_end.sign_up()
    tokens += [token, other_token]
    head, payload, sig = token.split(".")
    claims = b64json(payload)
    claims["sub"] = other
    forged = f"{head}.{b64(claims)}.{sig}"
    # The other user's real signature over different claims does not fit either.
    spliced = f"{head}.{b64(claims)}.{other_token.split('.')[2]}"
    # HS256 "signed" with the public key is refused whatever the key bytes.
    hs = f"{b64({'alg': 'HS256', 'kid': b64json(head)['kid']})}.{payload}.{sig}"
    tokens += [forged, spliced, hs]
    with httpx.Client(base_url=base, timeout=15.0) as c:
        for bad in (forged, spliced, hs, f"{head}.{payload}."):
            unauthorized(c.get(f"/api/{other}/tasks", headers=bearer(bad)))
        assert c.get(f"/api/{uid}/tasks", headers=bearer(token)).status_code == 200


def test_issuer_and_audience_are_enforced(tmp_path_factory):
    ba = BetterAuth("EdDSA").start()
    try:
        _, _, token = ba.sign_up()
        uid = b64json(token.split(".")[1])["sub"]
        for extra in ({"JWT_AUDIENCE": "http://elsewhere.test"},
                      {"JWT_ISSUER": "http://elsewhere.test"}):
            srv = todo_server(tmp_path_factory.mktemp("todo"), ba.jwks_url, ba.origin, **extra)
            with httpx.Client(base_url=srv.base_url, timeout=15.0) as c:
                unauthorized(c.get(f"/api/{uid}/tasks", headers=bearer(token)))
            stop_clean(srv, [token])
    finally:
        ba.stop()


def test_keys_fetched_when_the_front_end_starts_later(tmp_path_factory):
    """The API may start before the front end: the JWKS fetch at start fails
    (a warning), and the first token with an unknown kid fetches it again."""
    port = free_port()
    ba = BetterAuth("EdDSA", port)
    srv = todo_server(tmp_path_factory.mktemp("todo"), ba.jwks_url, ba.origin)
    tokens: list[str] = []
    try:
        assert "JWKS" in srv.text(), srv.text()
        ba.start()
        uid, _, token = ba.sign_up()
        tokens.append(token)
        with httpx.Client(base_url=srv.base_url, timeout=15.0) as c:
            r = c.get(f"/api/{uid}/tasks", headers=bearer(token))
            assert r.status_code == 200, r.text
            # A kid nobody knows, right after a fetch: refused at once.
            head, payload, sig = token.split(".")
            odd = f"{b64({'alg': 'EdDSA', 'kid': 'no-such-key'})}.{payload}.{sig}"
            tokens.append(odd)
            unauthorized(c.get(f"/api/{uid}/tasks", headers=bearer(odd)))
            assert c.get(f"/api/{uid}/tasks", headers=bearer(token)).status_code == 200
    finally:
        stop_clean(srv, tokens)
        ba.stop()
