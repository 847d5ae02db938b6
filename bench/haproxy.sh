#!/usr/bin/env bash
# Several servers on one PostgreSQL database behind HAProxy (API.md section 5)
# against one server reached directly: the same workloads through
# 1) one server, direct; 2) HAProxy in front of that one server (the proxy's
# own cost); 3) HAProxy in front of three servers (round robin, /ready checks).
# On a 2-core machine three servers share the same cores: this shows what the
# proxy hop costs, not horizontal scaling.
#
# usage: bench/haproxy.sh [--reps N] [--workloads "list create mixed"]
#   DURATION (10s) CONNS (64) WARMUP (2 seconds) WORKERS (2 per server)
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

reps=1 workloads="list create mixed"
while [ $# -gt 0 ]; do
    case "$1" in
    --reps) reps=$2; shift ;;
    --workloads) workloads=$2; shift ;;
    *) sed -n '9,10p' "$0" >&2; exit 2 ;;
    esac
    shift
done
DURATION=${DURATION:-10s} CONNS=${CONNS:-64} WARMUP=${WARMUP:-2}
bench_deps
command -v haproxy >/dev/null || { echo "# haproxy.sh skipped: no haproxy (apt-get install haproxy)"; exit 0; }

# start_haproxy BACKEND_BASE... -> sets HA_BASE
start_haproxy() {
    local port cfg i=0 b
    port=$(free_port) cfg=$bench_tmp/haproxy-$port.cfg
    {
        printf 'global\n    maxconn 8192\n    nbthread 1\n'
        printf 'defaults\n    mode http\n    option http-keep-alive\n    timeout connect 5s\n'
        printf '    timeout client 30s\n    timeout server 30s\n'
        printf 'frontend fe\n    bind 127.0.0.1:%s\n    default_backend be\n' "$port"
        printf 'backend be\n    balance roundrobin\n    option httpchk GET /ready\n    http-reuse safe\n'
        for b in "$@"; do
            i=$((i + 1))
            printf '    server s%d %s check inter 1s\n' "$i" "${b#http://}"
        done
    } >"$cfg"
    haproxy -f "$cfg" -db >"$bench_tmp/haproxy-$port.log" 2>&1 &
    HA_PID=$!
    bench_pids+=("$HA_PID")
    HA_BASE=http://127.0.0.1:$port
    wait_health "$HA_BASE"
}

exec > >(tee "$BENCH_RESULTS/haproxy.txt") 2>&1
echo "# bench/haproxy.sh: wrk -t1 -c$CONNS -d$DURATION (warm-up ${WARMUP}s), $WORKERS workers per server, PostgreSQL;" \
    "commit $(commit_now), $(date -u '+%Y-%m-%d %H:%M UTC'), load $(load_now)"
pg_cluster
url=$(database_url pg todo_ha)
bases=() srv_pids=()
for _ in 1 2 3; do
    start_todo "$url"
    bases+=("$TODO_BASE") srv_pids+=("$TODO_PID")
done
start_haproxy "${bases[0]}"
ha_one=$HA_BASE ha_one_pid=$HA_PID
start_haproxy "${bases[@]}"
ha_three=$HA_BASE ha_three_pid=$HA_PID

run=$RANDOM users=$bench_tmp/users.txt
python3 "$BENCH_DIR/seed.py" "${bases[0]}" "hl$run" "$(token "hl$run")" 100 >/dev/null
: >"$users"
for i in 1 2 3 4 5 6 7 8; do
    u="hm$run$i" t=$(token "hm$run$i")
    echo "$u $t $(python3 "$BENCH_DIR/seed.py" "${bases[0]}" "$u" "$t" 50)" >>"$users"
done

# measure LABEL BASE PIDS...: one line per workload, CPU of the given processes
measure() {
    local label=$1 base=$2 w envs line c0 c1
    shift 2
    for w in $workloads; do
        case $w in
        list) envs=(BENCH_USER="hl$run" BENCH_TOKEN="$(token "hl$run")") ;;
        create) envs=(BENCH_USER="hc$run" BENCH_TOKEN="$(token "hc$run")") ;;
        mixed) envs=(BENCH_USERS_FILE="$users") ;;
        esac
        [ "$WARMUP" = 0 ] || WRK_BASE=$base wrk_line "$w" "$CONNS" "${WARMUP}s" "${envs[@]}" >/dev/null
        c0=$(cpu_ticks "$@")
        line=$(WRK_BASE=$base wrk_line "$w" "$CONNS" "$DURATION" "${envs[@]}")
        c1=$(cpu_ticks "$@")
        echo "$label $w $line cpu_ms_per_req=$(per_req $((c1 - c0)) "$(field requests "$line")")"
    done
}

for rep in $(seq "$reps"); do
    {
        measure direct "${bases[0]}" "${srv_pids[0]}"
        measure haproxy_1 "$ha_one" "${srv_pids[0]}" "$ha_one_pid"
        measure haproxy_3 "$ha_three" "${srv_pids[@]}" "$ha_three_pid"
    } >"$bench_tmp/round-$rep.txt"
    cat "$bench_tmp/round-$rep.txt"
    awk '{ for (i = 3; i <= NF; i++) if ($i ~ /^rps=/) r[$1, $2] = substr($i, 5); w[$2] = 1 }
         END { for (k in w) printf "ratio %s haproxy_1/direct=%.2fx haproxy_3/direct=%.2fx\n", k,
                   r["haproxy_1", k] / r["direct", k], r["haproxy_3", k] / r["direct", k] }' \
        "$bench_tmp/round-$rep.txt"
    echo "# load after round $rep: $(load_now)"
done
