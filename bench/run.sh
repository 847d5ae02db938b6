#!/usr/bin/env bash
# Load test todo-server with wrk, and optionally the FastAPI reference
# (../shared/anchors/fastapi-ref) in the same session, so that the figures
# that matter are ratios measured back to back on the same noisy machine.
#
# usage: bench/run.sh [--baseline] [--workloads "list create mixed"]
#   BENCH_DATABASE_URL  database for todo-server (default: a fresh SQLite file);
#                       a postgresql:// URL benchmarks the PostgreSQL backend
#   BASELINE_DATABASE_URL  database for the reference (default: its own SQLite file)
#   DURATION (10s) CONNS (64) THREADS (1) WARMUP (2 seconds) WORKERS (2)
# Each workload prints one line:
#   <server> <workload> requests=… rps=… p50_ms=… p99_ms=… non2xx=0 socket_errors=0 cpu_ms_per_req=…
# A line with non2xx or socket_errors above 0 is not a valid measurement.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
baseline=0
workloads="list create mixed"
while [ $# -gt 0 ]; do
    case "$1" in
    --baseline) baseline=1 ;;
    --workloads) workloads=$2; shift ;;
    *) echo "usage: bench/run.sh [--baseline] [--workloads \"list create mixed\"]" >&2; exit 2 ;;
    esac
    shift
done
DURATION=${DURATION:-10s} CONNS=${CONNS:-64} THREADS=${THREADS:-1} WARMUP=${WARMUP:-2}
WORKERS=${WORKERS:-2}
ref_dir=${REF_DIR:-$top/../shared/anchors/fastapi-ref}

command -v wrk >/dev/null || "$top/scripts/install-deps.sh" test
make -C "$top" --no-print-directory build >/dev/null

tmp=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

secret=$(head -c 48 /dev/urandom | base64 | tr -d '\n/+=' | head -c 48)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
token() { BETTER_AUTH_SECRET=$secret "$top/build/todo-server" token --sub "$1" --ttl 86400; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
cpu_of() {  # cpu ticks of a process and its children threads/processes
    local t=0 p
    for p in $1 $(pgrep -P "$1" || true); do t=$((t + $(ticks "$p"))); done
    echo "$t"
}
wait_health() {
    for _ in $(seq 100); do curl -fs "$1/health" >/dev/null 2>&1 && return 0; sleep 0.1; done
    echo "bench: $1 did not come up" >&2; return 1
}

# measure NAME BASE PID
measure() {
    local name=$1 base=$2 pid=$3 run=$RANDOM users="$tmp/users-$1.txt"
    local list_user="bl$run" create_user="bc$run"
    local list_token create_token
    list_token=$(token "$list_user"); create_token=$(token "$create_user")
    python3 "$here/seed.py" "$base" "$list_user" "$list_token" 100 >/dev/null
    : >"$users"
    for i in 1 2 3 4 5 6 7 8; do
        local u="bm$run$i" t
        t=$(token "$u")
        echo "$u $t $(python3 "$here/seed.py" "$base" "$u" "$t" 50)" >>"$users"
    done
    for w in $workloads; do
        local envs=(BENCH_WRK_DIR="$here/wrk" BENCH_USERS_FILE="$users")
        case $w in
        list) envs+=(BENCH_USER="$list_user" BENCH_TOKEN="$list_token") ;;
        create) envs+=(BENCH_USER="$create_user" BENCH_TOKEN="$create_token") ;;
        esac
        if [ "$WARMUP" != 0 ]; then
            env "${envs[@]}" wrk -t"$THREADS" -c"$CONNS" -d"${WARMUP}s" -s "$here/wrk/$w.lua" "$base" >/dev/null 2>&1 || true
        fi
        local c0 c1 out reqs
        c0=$(cpu_of "$pid")
        out=$(env "${envs[@]}" wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency --timeout 10s \
            -s "$here/wrk/$w.lua" "$base" | grep '^BENCH ')
        c1=$(cpu_of "$pid")
        reqs=$(sed -n 's/.*requests=\([0-9]*\).*/\1/p' <<<"$out")
        echo "$name ${out#BENCH } cpu_ms_per_req=$(awk -v t=$((c1 - c0)) -v k="$(getconf CLK_TCK)" -v n="$reqs" \
            'BEGIN { if (n > 0) printf "%.3f", t * 1000 / k / n; else print "nan" }')"
    done
}

echo "# wrk -t$THREADS -c$CONNS -d$DURATION, warm-up ${WARMUP}s, $WORKERS workers each; load: $(cut -d' ' -f1-3 /proc/loadavg)"
port=$(free_port)
DATABASE_URL=${BENCH_DATABASE_URL:-sqlite://$tmp/todo.db} PORT=$port WORKERS=$WORKERS \
    BETTER_AUTH_SECRET=$secret LOG_LEVEL=warn "$top/build/todo-server" 2>"$tmp/todo.log" &
pids+=($!)
todo_pid=$!
wait_health "http://127.0.0.1:$port"
measure todo-server "http://127.0.0.1:$port" "$todo_pid" | tee "$tmp/todo.txt"
echo "# todo-server resident memory after the run: $(awk '/VmRSS/ {print $2, $3}' "/proc/$todo_pid/status")"

if [ "$baseline" = 1 ]; then
    [ -f "$ref_dir/app.py" ] || { echo "bench: no reference at $ref_dir" >&2; exit 1; }
    "$top/scripts/install-deps.sh" bench
    rport=$(free_port)
    (cd "$ref_dir" && DATABASE_URL=${BASELINE_DATABASE_URL:-sqlite://$tmp/ref.db} PORT=$rport WORKERS=$WORKERS \
        BETTER_AUTH_SECRET=$secret exec ./run.sh) >"$tmp/ref.log" 2>&1 &
    pids+=($!)
    ref_pid=$!
    wait_health "http://127.0.0.1:$rport"
    measure fastapi-ref "http://127.0.0.1:$rport" "$ref_pid" | tee "$tmp/ref.txt"
    echo "# fastapi-ref resident memory (all processes): $(ps -o rss= --ppid "$ref_pid" -p "$ref_pid" | awk '{s+=$1} END {print s, "kB"}')"
    echo "# ratios todo-server / fastapi-ref (rps: higher is better; cpu per request: reference / ours)"
    for w in $workloads; do
        awk -v w="$w" '
            FNR == 1 { file++ }
            $2 == w { for (i = 3; i <= NF; i++) { split($i, kv, "="); v[file, kv[1]] = kv[2] } }
            END { printf "%s rps_ratio=%.1fx p99_ratio=%.1fx cpu_ratio=%.1fx\n", w,
                  v[1, "rps"] / v[2, "rps"], v[2, "p99_ms"] / v[1, "p99_ms"],
                  v[2, "cpu_ms_per_req"] / v[1, "cpu_ms_per_req"] }' "$tmp/todo.txt" "$tmp/ref.txt"
    done
fi
