#!/usr/bin/env bash
# req/s and p99 against the number of connections (1, 4, 16, 64, 256),
# todo-server and the FastAPI reference side by side, for the list, create
# and mixed workloads of bench/run.sh, on one database.
#
# usage: bench/concurrency.sh [--db sqlite|pg] [--conns "1 4 16 64 256"]
#                             [--workloads "list create mixed"] [--no-baseline]
#   CDURATION (5s) per point, WARMUP (1 second); the baseline is skipped with one
#   line when the reference or its packages are missing (see bench/run.sh).
# Writes bench/results/concurrency-<db>.tsv (server workload conns rps p50 p99
# non2xx socket_errors) and concurrency-<db>.png (two panels: req/s, p99).
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

db=sqlite conns_list="1 4 16 64 256" workloads="list create mixed" baseline=auto
while [ $# -gt 0 ]; do
    case "$1" in
    --db) db=$2; shift ;;
    --conns) conns_list=$2; shift ;;
    --workloads) workloads=$2; shift ;;
    --no-baseline) baseline=no ;;
    *) sed -n '6,10p' "$0" >&2; exit 2 ;;
    esac
    shift
done
CDURATION=${CDURATION:-5s} WARMUP=${WARMUP:-1}
bench_deps
if [ "$baseline" != no ]; then
    why=$(baseline_missing)
    if [ -n "$why" ]; then echo "# FastAPI baseline skipped: $why"; baseline=no; fi
fi

# seed BASE -> env lines per workload, as in bench/run.sh
seed() {
    local base=$1 run=$RANDOM users u t i
    users=$bench_tmp/users-$run.txt
    python3 "$BENCH_DIR/seed.py" "$base" "cl$run" "$(token "cl$run")" 100 >/dev/null
    : >"$users"
    for i in 1 2 3 4 5 6 7 8; do
        u="cm$run$i" t=$(token "cm$run$i")
        echo "$u $t $(python3 "$BENCH_DIR/seed.py" "$base" "$u" "$t" 50)" >>"$users"
    done
    echo "list=BENCH_USER=cl$run BENCH_TOKEN=$(token "cl$run")"
    echo "create=BENCH_USER=cc$run BENCH_TOKEN=$(token "cc$run")"
    echo "mixed=BENCH_USERS_FILE=$users"
}

# sweep NAME BASE ENVFILE: one TSV line per workload and connection count
sweep() {
    local name=$1 base=$2 envfile=$3 w c envs line
    for w in $workloads; do
        read -r -a envs <<<"$(sed -n "s/^$w=//p" "$envfile")"
        for c in $conns_list; do
            [ "$WARMUP" = 0 ] || WRK_BASE=$base wrk_line "$w" "$c" "${WARMUP}s" "${envs[@]}" >/dev/null
            line=$(WRK_BASE=$base wrk_line "$w" "$c" "$CDURATION" "${envs[@]}")
            printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$w" "$c" "$(field rps "$line")" \
                "$(field p50_ms "$line")" "$(field p99_ms "$line")" "$(field non2xx "$line")" \
                "$(field socket_errors "$line")"
        done
    done
}

out=$BENCH_RESULTS/concurrency-$db.tsv
stamp="commit $(commit_now), $(date -u '+%Y-%m-%d')"
echo "# bench/concurrency.sh --db $db: wrk -t1 -d$CDURATION per point, $WORKERS workers each; $stamp, load $(load_now)"
[ "$db" = sqlite ] || pg_cluster
start_todo "$(database_url "$db" todo_conc)"
seed "$TODO_BASE" >"$bench_tmp/todo.env"
sweep todo-server "$TODO_BASE" "$bench_tmp/todo.env" >"$out"
cat "$out"
stop_server "$TODO_PID"
if [ "$baseline" != no ]; then
    start_ref "$(database_url "$db" todo_ref_conc)"
    seed "$REF_BASE" >"$bench_tmp/ref.env"
    sweep fastapi-ref "$REF_BASE" "$bench_tmp/ref.env" >"$bench_tmp/ref.tsv"
    tee -a "$out" <"$bench_tmp/ref.tsv"
    stop_server "$REF_PID"
fi
echo "# load after: $(load_now)"

# One data block per (server, workload) for gnuplot, in the order of the key.
awk -F'\t' '{ k = $1 " " $2; if (!(k in seen)) { seen[k] = ++n; names[n] = k }
              d[seen[k]] = d[seen[k]] $3 "\t" $4 "\t" $6 "\n" }
     END { for (i = 1; i <= n; i++) printf "\"%s\"\n%s\n\n", names[i], d[i] }' "$out" \
    >"$bench_tmp/conc.dat"
blocks=$(grep -c '^"' "$bench_tmp/conc.dat")
nw=$(wc -w <<<"$workloads")
# plot_terms COLUMN: one term per block, a colour per workload, the reference dashed
plot_terms() {
    local i sep=
    for i in $(seq 0 $((blocks - 1))); do
        printf '%s"%s" index %d using 1:%d with linespoints lw 2 lc %d dt %d title columnhead(1)' \
            "$sep" "$bench_tmp/conc.dat" "$i" "$1" $((i % nw + 1)) $((i < nw ? 1 : 2))
        sep=", "
    done
}
label=$([ "$db" = pg ] && echo PostgreSQL || echo SQLite)
gnuplot <<EOF
set terminal pngcairo noenhanced size 1200,520 font "sans,10"
set output "$BENCH_RESULTS/concurrency-$db.png"
set multiplot layout 1,2 title "todo-server and the FastAPI reference on $label, 2 workers each, wrk on the same 2 cores ($stamp)"
set logscale xy
set xtics (1, 4, 16, 64, 256)
set xrange [0.8:320]
set xlabel "connections"
set grid
set key outside bottom center horizontal maxrows 3 font ",9"
set xlabel offset 0,0.5
set title "requests per second"
set ylabel "req/s"
plot $(plot_terms 2)
set title "p99 latency"
set ylabel "p99 ms"
plot $(plot_terms 3)
unset multiplot
EOF
echo "# chart: $BENCH_RESULTS/concurrency-$db.png"
