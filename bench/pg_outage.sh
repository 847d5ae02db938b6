#!/usr/bin/env bash
# PostgreSQL goes away under load and comes back: wrk lists tasks for
# DURATION seconds (default 20); PostgreSQL is stopped (fast shutdown) at
# DOWN_AT seconds and started again at UP_AT. Prints what the clients got
# (answers by status, latency), how long /ready took to say 200 again after
# the database was back, and whether todo-server is still the same process.
#
# usage: bench/pg_outage.sh      DURATION (20) DOWN_AT (5) UP_AT (10) CONNS (64)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
DURATION=${DURATION:-20} DOWN_AT=${DOWN_AT:-5} UP_AT=${UP_AT:-10} CONNS=${CONNS:-64}
"$top/scripts/install-deps.sh" test
make -C "$top" --no-print-directory build >/dev/null

out=$("$top/scripts/pg-cluster.sh" start)
cluster=$(sed -n 's/^PG_CLUSTER_DIR=//p' <<<"$out")
url=$(sed -n 's/^DATABASE_URL=//p' <<<"$out")
pgport=${url##*:}; pgport=${pgport%%/*}
tmp=$(mktemp -d)
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
    wait 2>/dev/null || true
    "$top/scripts/pg-cluster.sh" stop "$cluster" >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT
pg() { runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D "$cluster/data" "$@"; }

secret=$(head -c 48 /dev/urandom | base64 | tr -d '\n')
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
DATABASE_URL=$url PORT=$port WORKERS=2 LOG_LEVEL=warn BETTER_AUTH_SECRET=$secret \
    "$top/build/todo-server" 2>"$tmp/server.log" &
pid=$!
for _ in $(seq 100); do curl -fs "$base/ready" >/dev/null 2>&1 && break; sleep 0.1; done
user=outage$RANDOM
token=$(BETTER_AUTH_SECRET=$secret "$top/build/todo-server" token --sub "$user")
python3 "$here/seed.py" "$base" "$user" "$token" 100 >/dev/null

BENCH_USER=$user BENCH_TOKEN=$token wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency --timeout 10s \
    -s "$here/wrk/status.lua" "$base" >"$tmp/wrk.txt" 2>&1 &
load=$!
sleep "$DOWN_AT"
pg -m fast -w -s stop
echo "# PostgreSQL stopped at ${DOWN_AT}s; /ready: $(curl -s -o /dev/null -w '%{http_code}' "$base/ready")"
sleep $((UP_AT - DOWN_AT))
pg -l "$cluster/restart.log" -w -s -o "-c listen_addresses=127.0.0.1 -p $pgport -k $cluster \
    -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start
t0=$(date +%s.%N)
until [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/ready")" = 200 ]; do sleep 0.05; done
echo "# PostgreSQL started at ${UP_AT}s; /ready said 200 again after $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f s", b - a }')"
wait "$load"
grep '^BENCH ' "$tmp/wrk.txt" | sed 's/^BENCH //'
if kill -0 "$pid" 2>/dev/null; then echo "# todo-server: same process, still serving"; else echo "# todo-server died"; exit 1; fi
count=$(curl -fs -o /dev/null -D - -H "Authorization: Bearer $token" "$base/api/$user/tasks?limit=1" |
    tr -d '\r' | awk -F': ' 'tolower($1) == "x-total-count" { print $2 }')
echo "# tasks after the outage: $count of 100"
