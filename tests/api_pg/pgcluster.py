"""What the PostgreSQL scenarios share: the database under test, psql run
against a URL, and a throwaway cluster that a test may stop and start again
(scripts/pg-cluster.sh makes and deletes it)."""
from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path
from typing import Optional

REPO_ROOT = Path(__file__).resolve().parents[2]

# The database of the suite: a postgresql:// URL, or "" (then everything here
# is skipped).
DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")


def libpq_url(url: str) -> str:
    """The URL as psql takes it (postgresql+asyncpg:// is ours, not libpq's)."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def psql(url: str, sql: str, timeout: float = 30.0) -> str:
    """Runs sql with psql (ON_ERROR_STOP) and returns its unaligned output."""
    r = subprocess.run(["psql", libpq_url(url), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"],
                       input=sql, capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, f"psql failed ({r.returncode}): {r.stderr}"
    return r.stdout.strip()


def psql_background(url: str, sql: str) -> subprocess.Popen:
    """Starts psql on sql without waiting for it."""
    p = subprocess.Popen(["psql", libpq_url(url), "-X", "-q", "-v", "ON_ERROR_STOP=1"],
                         stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    p.stdin.write(sql)
    p.stdin.close()
    return p


class Cluster:
    """scripts/pg-cluster.sh start; stop_server()/start_server() in between."""

    def __init__(self) -> None:
        r = subprocess.run([str(REPO_ROOT / "scripts" / "pg-cluster.sh"), "start"],
                           capture_output=True, text=True, timeout=180)
        if r.returncode != 0:
            raise RuntimeError("scripts/pg-cluster.sh start failed (run as root or as the "
                               "postgres user, with PostgreSQL installed):\n" + r.stderr)
        values = dict(line.split("=", 1) for line in r.stdout.splitlines() if "=" in line)
        self.dir = Path(values["PG_CLUSTER_DIR"])
        self.url = values["DATABASE_URL"]
        self.bindir = (self.dir / "bindir").read_text().strip()
        self.opts: Optional[str] = None

    def _as_pg(self, *args: str) -> None:
        cmd = list(args)
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        r = subprocess.run(cmd, cwd=self.dir, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, f"{' '.join(args)}: {r.stdout}{r.stderr}"

    def stop_server(self) -> None:
        """Stops PostgreSQL (fast: sessions are terminated), keeping the data."""
        # postmaster.opts holds the command line it was started with.
        words = shlex.split((self.dir / "data" / "postmaster.opts").read_text())
        args = words[1:]
        if "-D" in args:
            i = args.index("-D")
            del args[i:i + 2]
        self.opts = " ".join(shlex.quote(a) for a in args)
        self._as_pg(f"{self.bindir}/pg_ctl", "-D", str(self.dir / "data"), "-m", "fast", "-w",
                    "-t", "60", "-s", "stop")

    def start_server(self) -> None:
        """Starts it again on the same port."""
        assert self.opts is not None
        self._as_pg(f"{self.bindir}/pg_ctl", "-D", str(self.dir / "data"), "-l",
                    str(self.dir / "server.log"), "-w", "-t", "60", "-s", "-o", self.opts,
                    "start")

    def destroy(self) -> None:
        subprocess.run([str(REPO_ROOT / "scripts" / "pg-cluster.sh"), "stop", str(self.dir)],
                       capture_output=True, timeout=120)
