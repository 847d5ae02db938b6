#!/usr/bin/env bash
# todo-server against the FastAPI reference (ADR-009), same workloads, same
# sitting, printed as ratios: the absolute figures drift with the load of a
# shared machine, the ratios measured back to back are the claim.
#
# usage: bench/run.sh [--db sqlite|pg] [--reps N] [--workloads "list create mixed"]
#                     [--baseline | --no-baseline]
#   --db pg      both servers on a throwaway PostgreSQL cluster (scripts/pg-cluster.sh),
#                each on its own database; BENCH_DATABASE_URL overrides todo-server's
#   --reps N     rounds (default 1); each round measures todo-server then the
#                reference, and the summary gives the ratios' range over the rounds
#   the baseline runs when the reference (FASTAPI_REF, see bench/lib.sh) and its Debian
#   packages are there, and is skipped with one line saying why otherwise;
#   --baseline makes its absence an error.
#   DURATION (10s) CONNS (64) WARMUP (2 seconds) WORKERS (2)
# Prints per workload:
#   <server> <workload> requests=… rps=… p50_ms=… p99_ms=… non2xx=0 socket_errors=0 cpu_ms_per_req=… [db_cpu_ms_per_req=…]
# and the ratios todo-server / reference. A line with non2xx or socket_errors
# above 0 is not a valid measurement. Also written to bench/results/ratios-<db>.txt.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

db=sqlite baseline=auto reps=1 workloads="list create mixed"
while [ $# -gt 0 ]; do
    case "$1" in
    --db) db=$2; shift ;;
    --reps) reps=$2; shift ;;
    --workloads) workloads=$2; shift ;;
    --baseline) baseline=yes ;;
    --no-baseline) baseline=no ;;
    *) sed -n '6,14p' "$0" >&2; exit 2 ;;
    esac
    shift
done
case $db in sqlite | pg) ;; *) echo "run.sh: --db sqlite or pg" >&2; exit 2 ;; esac
DURATION=${DURATION:-10s} CONNS=${CONNS:-64} WARMUP=${WARMUP:-2}
bench_deps

if [ "$baseline" != no ]; then
    why=$(baseline_missing)
    if [ -n "$why" ]; then
        [ "$baseline" = yes ] && { echo "run.sh: no baseline: $why" >&2; exit 1; }
        echo "# FastAPI baseline skipped: $why"
        baseline=no
    fi
fi

# seed NAME BASE -> writes $bench_tmp/NAME.env (users and tokens of the workloads)
seed() {
    local name=$1 base=$2 run=$RANDOM users="$bench_tmp/$1-users.txt" u t i
    local list_user="bl$run" create_user="bc$run"
    python3 "$BENCH_DIR/seed.py" "$base" "$list_user" "$(token "$list_user")" 100 >/dev/null
    : >"$users"
    for i in 1 2 3 4 5 6 7 8; do
        u="bm$run$i" t=$(token "bm$run$i")
        echo "$u $t $(python3 "$BENCH_DIR/seed.py" "$base" "$u" "$t" 50)" >>"$users"
    done
    {
        echo "list=BENCH_USER=$list_user BENCH_TOKEN=$(token "$list_user")"
        echo "create=BENCH_USER=$create_user BENCH_TOKEN=$(token "$create_user")"
        echo "mixed=BENCH_USERS_FILE=$users"
    } >"$bench_tmp/$name.env"
}

# measure NAME SEEDED BASE PID DBNAME: one line per workload
measure() {
    local name=$1 seeded=$2 base=$3 pid=$4 dbname=$5 w envs line c0 c1 d0 d1 backends=() reqs extra
    for w in $workloads; do
        read -r -a envs <<<"$(sed -n "s/^$w=//p" "$bench_tmp/$seeded.env")"
        if [ "$WARMUP" != 0 ]; then WRK_BASE=$base wrk_line "$w" "$CONNS" "${WARMUP}s" "${envs[@]}" >/dev/null; fi
        read -r -a backends <<<"$(pg_backends "$dbname")"
        c0=$(cpu_ticks "$pid") d0=$(cpu_ticks "${backends[@]}")
        line=$(WRK_BASE=$base wrk_line "$w" "$CONNS" "$DURATION" "${envs[@]}")
        c1=$(cpu_ticks "$pid") d1=$(cpu_ticks "${backends[@]}")
        reqs=$(field requests "$line")
        extra=
        [ ${#backends[@]} -eq 0 ] || extra=" db_cpu_ms_per_req=$(per_req $((d1 - d0)) "$reqs")"
        echo "$name $w $line cpu_ms_per_req=$(per_req $((c1 - c0)) "$reqs")$extra"
    done
}

# ratios FILE_OURS FILE_REF: one line per workload
ratios() {
    local w
    for w in $workloads; do
        awk -v w="$w" '
            FNR == 1 { file++ }
            $2 == w { for (i = 3; i <= NF; i++) { split($i, kv, "="); v[file, kv[1]] = kv[2] } }
            END {
                cpu1 = v[1, "cpu_ms_per_req"] + v[1, "db_cpu_ms_per_req"]
                cpu2 = v[2, "cpu_ms_per_req"] + v[2, "db_cpu_ms_per_req"]
                printf "ratio %s rps=%.1fx p99=%.1fx cpu=%.1fx\n", w, v[1, "rps"] / v[2, "rps"],
                    v[2, "p99_ms"] / v[1, "p99_ms"], (cpu1 > 0 ? cpu2 / cpu1 : 0) }' "$1" "$2"
    done
}

main() {
    local rep todo_url ref_url
    echo "# bench/run.sh --db $db: wrk -t1 -c$CONNS -d$DURATION (warm-up ${WARMUP}s), $WORKERS workers each," \
        "$reps round(s); commit $(commit_now), $(date -u '+%Y-%m-%d %H:%M UTC'), load $(load_now)"
    todo_url=${BENCH_DATABASE_URL:-$(database_url "$db" todo_bench)}
    start_todo "$todo_url"
    seed todo "$TODO_BASE"
    if [ "$baseline" != no ]; then
        ref_url=$(database_url "$db" todo_ref)
        start_ref "$ref_url"
        seed ref "$REF_BASE"
    fi
    for rep in $(seq "$reps"); do
        measure todo-server todo "$TODO_BASE" "$TODO_PID" todo_bench | tee "$bench_tmp/todo-$rep.txt"
        if [ "$baseline" != no ]; then
            measure fastapi-ref ref "$REF_BASE" "$REF_PID" todo_ref | tee "$bench_tmp/ref-$rep.txt"
            ratios "$bench_tmp/todo-$rep.txt" "$bench_tmp/ref-$rep.txt" | tee "$bench_tmp/ratio-$rep.txt"
        fi
        echo "# load after round $rep: $(load_now)"
    done
    echo "# todo-server resident memory: $(awk '/VmRSS/ {print $2, $3}' "/proc/$TODO_PID/status")"
    if [ "$baseline" != no ]; then
        echo "# reference resident memory (all its processes): $(ps -o rss= --ppid "$REF_PID" -p "$REF_PID" | awk '{s += $1} END {print s, "kB"}')"
        echo "# ratios todo-server / reference over $reps round(s): min-max (rps and cpu: higher is better for todo-server; p99: reference / ours)"
        cat "$bench_tmp"/ratio-*.txt | awk '
            { w = $2; for (i = 3; i <= NF; i++) { split($i, kv, "="); x = kv[2] + 0; k = w SUBSEP kv[1]
                if (!(k in lo) || x < lo[k]) lo[k] = x; if (!(k in hi) || x > hi[k]) hi[k] = x }
              if (!(w in seen)) { seen[w] = 1; order[++n] = w } }
            END { for (j = 1; j <= n; j++) { w = order[j]
                printf "summary %s rps=%.1f-%.1fx p99=%.1f-%.1fx cpu=%.1f-%.1fx\n", w,
                    lo[w, "rps"], hi[w, "rps"], lo[w, "p99"], hi[w, "p99"], lo[w, "cpu"], hi[w, "cpu"] } }'
    fi
}

exec > >(tee "$BENCH_RESULTS/ratios-$db.txt") 2>&1
[ "$db" = sqlite ] || pg_cluster
main
