"""PostgreSQL-only API scenarios: concurrent completion of one recurring task,
clients that hang up mid-request, and the database restarting under a running
server. They drive the real binary over HTTP, like tests/api (whose helpers
they reuse).

Run from the repository root:  python3 -m pytest tests/api_pg
  TEST_DATABASE_URL  a postgresql:// URL; without it every test here is skipped
  TODO_SERVER_BIN    the binary (default build/todo-server)

The restart scenario starts a cluster of its own with scripts/pg-cluster.sh (so
it never stops the database the other tests use): run as root or as the
postgres user, with the PostgreSQL server installed.
"""
from __future__ import annotations

import signal
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "api"))
sys.path.insert(0, str(HERE))

import apiutil  # noqa: E402
from apiutil import ServerProcess, base_env, new_secret  # noqa: E402
from pgcluster import DATABASE_URL  # noqa: E402


def pytest_collection_modifyitems(config, items):
    if DATABASE_URL.startswith(("postgresql://", "postgres://", "postgresql+asyncpg://")):
        return
    reason = ("TEST_DATABASE_URL is not set to a postgresql:// URL: the PostgreSQL "
              "scenarios need a database")
    for item in items:
        item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture
def pg_server(tmp_path):
    """pg_server(database_url=TEST_DATABASE_URL, **env) starts a todo-server on
    PostgreSQL; each one is stopped after the test (SIGTERM: exit 0) and must not
    have reported a sanitizer error or logged a token."""
    started: list[ServerProcess] = []

    def _start(database_url: str = DATABASE_URL, **env: str) -> ServerProcess:
        d = tmp_path / f"srv{len(started) + 1}"
        d.mkdir()
        secret = new_secret()
        srv = ServerProcess(base_env(database_url, secret, **env), cwd=d)
        srv.secret = secret
        started.append(srv)
        srv.start()
        return srv

    yield _start
    problems = []
    for srv in started:
        rc = srv.stop(signal.SIGTERM, 15.0)
        if rc != 0:
            problems.append(f"SIGTERM: expected exit 0 within 15 s, got {rc!r}")
        reports = srv.sanitizer_reports()
        if reports:
            problems.append("sanitizer reports:\n" + "\n".join(reports[:20]))
        out = srv.text()
        leaked = [s for s in apiutil.SECRETS_SENT if s and s in out]
        if leaked:
            problems.append(f"{len(leaked)} token(s) appear in the log")
        if problems:
            problems.append("--- log tail ---\n" + out[-3000:])
    assert not problems, "\n".join(problems)
