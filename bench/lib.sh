# Shared by the bench/*.sh scripts (sourced, not run): where things are,
# starting and stopping the servers under test and a throwaway PostgreSQL
# cluster, CPU accounting, and one wrk run -> one result line.
#
#   TODO_SERVER_BIN  the server under test (default: build/todo-server)
#   FASTAPI_REF      the FastAPI reference of ADR-009, which lives outside the
#                    repository (default: /work/shared/anchors/fastapi-ref, else
#                    ../shared/anchors/fastapi-ref beside the clone)
#   BENCH_RESULTS    where results, tables and charts go (default: bench/results)
#   WORKERS          workers of each server (2)
# shellcheck shell=bash

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$BENCH_DIR/.." && pwd)
TODO_SERVER_BIN=${TODO_SERVER_BIN:-$TOP/build/todo-server}
if [ -z "${FASTAPI_REF:-}" ]; then
    FASTAPI_REF=/work/shared/anchors/fastapi-ref
    [ -f "$FASTAPI_REF/app.py" ] || FASTAPI_REF=$TOP/../shared/anchors/fastapi-ref
fi
BENCH_RESULTS=${BENCH_RESULTS:-$TOP/bench/results}
WORKERS=${WORKERS:-2}
export BENCH_WRK_DIR=$BENCH_DIR/wrk
mkdir -p "$BENCH_RESULTS"

bench_tmp=$(mktemp -d "${TMPDIR:-/tmp}/todo-bench.XXXXXX")
bench_pids=()
bench_clusters=()
bench_cleanup() {
    local p c
    for p in "${bench_pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${bench_pids[@]}"; do wait "$p" 2>/dev/null || true; done
    for c in "${bench_clusters[@]}"; do "$TOP/scripts/pg-cluster.sh" stop "$c" >/dev/null 2>&1 || true; done
    rm -rf "$bench_tmp"
}
trap bench_cleanup EXIT

# The tools (wrk, gnuplot, PostgreSQL) and, when they can be had, the
# reference's Debian packages. Without those the baseline is skipped.
bench_deps() {
    "$TOP/scripts/install-deps.sh" bench || "$TOP/scripts/install-deps.sh" test
    # only the server: the tests and fuzzers are not needed here
    make -C "$TOP" --no-print-directory build/build.ninja >/dev/null
    ninja -C "$TOP/build" todo-server >/dev/null
}

# Prints why the FastAPI baseline can't run here, or nothing when it can.
baseline_missing() {
    if [ ! -f "$FASTAPI_REF/app.py" ]; then
        echo "no FastAPI reference at $FASTAPI_REF (set FASTAPI_REF)"
    elif ! /usr/bin/python3 -c 'import fastapi, uvicorn, uvloop, httptools, sqlmodel, asyncpg, aiosqlite, jwt, argon2' 2>/dev/null; then
        echo "its Debian packages are missing (scripts/install-deps.sh bench installs them)"
    fi
}

bench_secret=$(head -c 48 /dev/urandom | base64 | tr -d '\n/+=' | head -c 48)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
token() { BETTER_AUTH_SECRET=$bench_secret "$TODO_SERVER_BIN" token --sub "$1" --ttl 86400; }
load_now() { cut -d' ' -f1-3 /proc/loadavg; }
commit_now() { git -C "$TOP" rev-parse --short HEAD 2>/dev/null || echo unknown; }

wait_health() {
    local _
    for _ in $(seq 300); do curl -fs "$1/health" >/dev/null 2>&1 && return 0; sleep 0.1; done
    echo "bench: $1 did not come up" >&2
    return 1
}

# start_todo DATABASE_URL [BIN] -> sets TODO_PID and TODO_BASE
start_todo() {
    local port
    port=$(free_port)
    DATABASE_URL=$1 PORT=$port WORKERS=$WORKERS BETTER_AUTH_SECRET=$bench_secret LOG_LEVEL=warn \
        "${2:-$TODO_SERVER_BIN}" 2>>"$bench_tmp/todo-$port.log" &
    TODO_PID=$!
    bench_pids+=("$TODO_PID")
    TODO_BASE=http://127.0.0.1:$port
    wait_health "$TODO_BASE"
}

# start_ref DATABASE_URL -> sets REF_PID and REF_BASE
start_ref() {
    local port
    port=$(free_port)
    (cd "$FASTAPI_REF" && DATABASE_URL=$1 PORT=$port WORKERS=$WORKERS \
        BETTER_AUTH_SECRET=$bench_secret exec ./run.sh) >>"$bench_tmp/ref-$port.log" 2>&1 &
    REF_PID=$!
    bench_pids+=("$REF_PID")
    REF_BASE=http://127.0.0.1:$port
    wait_health "$REF_BASE"
}

stop_server() {
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

# pg_cluster -> sets PG_URL (postgresql://todo:todo@127.0.0.1:PORT/todo)
pg_cluster() {
    local out
    out=$("$TOP/scripts/pg-cluster.sh" start)
    bench_clusters+=("$(sed -n 's/^PG_CLUSTER_DIR=//p' <<<"$out")")
    PG_URL=$(sed -n 's/^DATABASE_URL=//p' <<<"$out")
}

# pg_database NAME -> prints the URL of a new, empty database of PG_URL's cluster
pg_database() {
    PGOPTIONS='-c client_min_messages=warning' psql "$PG_URL" -X -q -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" >/dev/null
    echo "${PG_URL%/*}/$1"
}

# database_url KIND NAME -> a fresh database for one server: a SQLite file in
# the scratch folder, or a new database of the cluster (call pg_cluster first,
# outside any $(...), so that the cleanup knows it)
database_url() {
    if [ "$1" = pg ]; then
        pg_database "$2"
    else
        echo "sqlite://$bench_tmp/$2.db"
    fi
}

# CPU ticks (user + system) of processes and their children (uvicorn's workers)
cpu_ticks() {
    local t=0 p v
    for p in "$@" $(for q in "$@"; do pgrep -P "$q"; done); do
        v=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)
        t=$((t + v))
    done
    echo "$t"
}

# PostgreSQL backends serving one database (to count the database's CPU too)
pg_backends() {
    [ -n "${PG_URL:-}" ] || return 0
    psql "$PG_URL" -X -At -c "SELECT pid FROM pg_stat_activity WHERE datname = '$1'" 2>/dev/null | tr '\n' ' '
}

# wrk_line SCRIPT CONNS DURATION ENV... -> "requests=… rps=… p50_ms=… p99_ms=… non2xx=… socket_errors=…"
wrk_line() {
    local script=$1 conns=$2 duration=$3 threads=1 out
    shift 3
    out=$(env "$@" wrk -t$threads -c"$conns" -d"$duration" --latency --timeout 10s \
        -s "$BENCH_DIR/wrk/$script.lua" "${WRK_BASE:?}" 2>&1 | grep '^BENCH ') || true
    if [ -z "$out" ]; then
        echo "requests=0 rps=0 p50_ms=nan p99_ms=nan non2xx=0 socket_errors=0 failed=1"
    else
        echo "$out" | cut -d' ' -f3-
    fi
}

# field NAME LINE -> the value of NAME=… in LINE
field() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2"; }

# per_req TICKS REQUESTS -> milliseconds of CPU per request
per_req() {
    awk -v t="$1" -v k="$(getconf CLK_TCK)" -v n="$2" \
        'BEGIN { if (n > 0) printf "%.3f", t * 1000 / k / n; else print "nan" }'
}
