#!/usr/bin/env bash
# What logins cost, and whether they stall the event loop: one worker
# (WORKERS=1), first GET /health alone, then logins (each one Argon2id check on
# the blocking-work pool) and GET /health at the same time.
#
# usage: bench/login.sh        DURATION (10s) LOGIN_CONNS (8) HEALTH_CONNS (4)
# Prints one line per run (see bench/run.sh for the format); the login line's
# rps is logins per second, the health lines' p50/p99 show the loop's latency.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
DURATION=${DURATION:-10s} LOGIN_CONNS=${LOGIN_CONNS:-8} HEALTH_CONNS=${HEALTH_CONNS:-4}
command -v wrk >/dev/null || "$top/scripts/install-deps.sh" test
make -C "$top" --no-print-directory build >/dev/null

tmp=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$tmp"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
DATABASE_URL="sqlite://$tmp/todo.db" PORT=$port WORKERS=1 LOG_LEVEL=warn \
    BETTER_AUTH_SECRET=$(head -c 48 /dev/urandom | base64 | tr -d '\n') \
    "$top/build/todo-server" 2>"$tmp/log" &
pid=$!
for _ in $(seq 100); do curl -fs "$base/health" >/dev/null 2>&1 && break; sleep 0.1; done

email="bench-$RANDOM@example.com" password="a long enough password"
curl -fs -o /dev/null -H 'Content-Type: application/json' "$base/api/auth/register" \
    -d "{\"email\":\"$email\",\"password\":\"$password\"}"
t0=$(date +%s.%N)
curl -fs -o /dev/null -H 'Content-Type: application/json' "$base/api/auth/login" \
    -d "{\"email\":\"$email\",\"password\":\"$password\"}"
echo "# one login, alone: $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f ms", (b - a) * 1000 }') (curl, wall clock)"

export BENCH_WRK_DIR="$here/wrk" BENCH_EMAIL=$email BENCH_PASSWORD=$password
wrk_line() { grep '^BENCH ' | sed 's/^BENCH //'; }
echo "alone    $(wrk -t1 -c"$HEALTH_CONNS" -d"$DURATION" --latency -s "$here/wrk/health.lua" "$base" | wrk_line)"
wrk -t1 -c"$LOGIN_CONNS" -d"$DURATION" --latency --timeout 10s -s "$here/wrk/login.lua" "$base" \
    >"$tmp/login.txt" &
login=$!
sleep 1
echo "beside   $(wrk -t1 -c"$HEALTH_CONNS" -d"$DURATION" --latency -s "$here/wrk/health.lua" "$base" | wrk_line)"
wait "$login"
echo "logins   $(wrk_line <"$tmp/login.txt")"
