"""Harness for the black-box API tests: starts the real todo-server once per
session (and extra instances on demand) and hands out users with tokens.

Run from the repository root:  python3 -m pytest tests/api
  TODO_SERVER_BIN    the binary (default build/todo-server)
  TEST_DATABASE_URL  a postgresql:// URL; default: a fresh SQLite file per session
"""
from __future__ import annotations

import signal
import sys
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import apiutil  # noqa: E402
from apiutil import ServerProcess, User, base_env, database_url_for, new_secret  # noqa: E402

# Every response the tests receive is checked against the server's GET
# /openapi.json (openapi_validate.py); these hooks fail the test that got a bad one.
from openapi_validate import (pytest_runtest_call, pytest_runtest_setup,  # noqa: E402,F401
                              pytest_runtest_teardown)


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """The shared server. At the end: SIGTERM must make it exit 0 within 15 s,
    and no sanitizer report, token or password may appear in its output."""
    tmp = tmp_path_factory.mktemp("server")
    secret = new_secret()
    srv = ServerProcess(base_env(database_url_for(tmp), secret), cwd=tmp)
    try:
        srv.start()
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)
    srv.secret = secret
    yield srv
    rc = srv.stop(signal.SIGTERM, 15.0)
    out = srv.text()
    problems = []
    if rc != 0:
        problems.append(f"SIGTERM: expected exit 0 within 15 s, got {rc!r}")
    reports = srv.sanitizer_reports()
    if reports:
        problems.append("sanitizer reports:\n" + "\n".join(reports[:20]))
    leaked = [s for s in apiutil.SECRETS_SENT if s and s in out]
    if leaked:
        problems.append(f"{len(leaked)} token(s)/password(s) appear in the log, e.g. {leaked[0]!r}")
    if problems:
        pytest.fail("session server: " + "; ".join(problems) + "\n--- log tail ---\n"
                    + out[-3000:], pytrace=False)


@pytest.fixture(scope="session")
def base_url(server) -> str:
    return server.base_url


@pytest.fixture(scope="session")
def secret(server) -> str:
    return server.secret


@pytest.fixture
def mint(secret):
    """mint(sub, **claims) -> HS256 token signed with the server's secret."""
    def _mint(sub, **kw):
        return apiutil.mint(secret, sub, **kw)
    return _mint


@pytest.fixture
def users(base_url, secret):
    """users() -> a fresh User (own id, token, client); closed after the test."""
    made: list[User] = []

    def _new(uid=None) -> User:
        u = User(base_url, secret, uid)
        made.append(u)
        return u
    yield _new
    for u in made:
        u.close()


@pytest.fixture
def user(users) -> User:
    return users()


@pytest.fixture
def client(base_url, secret):
    """client(uid=None, token=None, **kw) -> httpx.Client; with a uid it carries
    that user's bearer token, with token that exact token, else no token."""
    made: list[httpx.Client] = []

    def _client(uid=None, token=None, **kw) -> httpx.Client:
        headers = dict(kw.pop("headers", {}))
        if uid is not None and token is None:
            token = apiutil.mint(secret, uid)
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        c = httpx.Client(base_url=base_url, headers=headers, verify=False,
                         timeout=kw.pop("timeout", 15.0), **kw)
        made.append(c)
        return c
    yield _client
    for c in made:
        c.close()


@pytest.fixture
def anon(client) -> httpx.Client:
    """A client without a token."""
    return client()


@pytest.fixture
def create_task(user):
    """create_task(**fields) -> Task dict for the test's own `user`."""
    return user.create


@pytest.fixture
def spawn_server(tmp_path):
    """spawn_server(env_extra={}, args=(), secret=None, wait_listen=True) starts
    another instance (fresh SQLite file unless TEST_DATABASE_URL or env_extra
    says otherwise); every instance is stopped after the test and must not
    have reported a sanitizer error."""
    started: list[ServerProcess] = []
    count = [0]

    def _spawn(env_extra=None, args=(), secret=None, wait_listen=True, raw_env=None):
        count[0] += 1
        d = tmp_path / f"srv{count[0]}"
        d.mkdir()
        sec = secret or new_secret()
        env = raw_env if raw_env is not None else base_env(database_url_for(d), sec)
        env.update(env_extra or {})
        srv = ServerProcess(env, args, cwd=d)
        srv.secret = sec
        started.append(srv)
        srv.start(wait_listen=wait_listen)
        return srv
    yield _spawn
    reports = []
    for srv in started:
        if srv.proc and srv.proc.poll() is None:
            srv.stop(signal.SIGTERM, 15.0)
            if srv.proc.poll() is None:
                srv.kill()
        reports += srv.sanitizer_reports()
    assert not reports, "sanitizer reports from an extra server:\n" + "\n".join(reports[:20])


@pytest.fixture
def check_alive(base_url):
    """After the test: the shared server still answers /health."""
    yield
    r = httpx.get(base_url + "/health", timeout=10.0, verify=False)
    assert r.status_code == 200 and r.json() == {"status": "ok"}, r.text
