#!/usr/bin/env bash
# What the wave's write-path features cost (or save): creates and completes
# per second at this checkout against an older commit, built into a temporary
# folder (git worktree add + meson), each server alone on the machine in turn.
#
# usage: bench/writes_vs.sh [--old COMMIT] [--db sqlite|pg] [--reps N]
#   --old   the commit to compare with (default d572eaa, main when the
#           production wave started: before ETags, idempotency keys, the change
#           log and group commit)
#   DURATION (10s) CONNS (64) WARMUP (2 seconds); rounds alternate which
#   server goes first. Workloads: create, create_idem (each request with its
#   own Idempotency-Key; the old server ignores the header), complete (a
#   toggle of one of 400 tasks). Prints ratios new / old.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

old=d572eaa db=sqlite reps=1
while [ $# -gt 0 ]; do
    case "$1" in
    --old) old=$2; shift ;;
    --db) db=$2; shift ;;
    --reps) reps=$2; shift ;;
    *) sed -n '6,13p' "$0" >&2; exit 2 ;;
    esac
    shift
done
DURATION=${DURATION:-10s} CONNS=${CONNS:-64} WARMUP=${WARMUP:-2}
bench_deps

old_tree=$bench_tmp/old
remove_old_tree() {
    git -C "$TOP" worktree remove --force "$old_tree" 2>/dev/null || true
    git -C "$TOP" worktree prune
    bench_cleanup
}
trap remove_old_tree EXIT
old_sha=$(git -C "$TOP" rev-parse --short "$old^{commit}")
echo "# building $old_sha into $old_tree" >&2
git -C "$TOP" worktree add --detach "$old_tree" "$old_sha" >/dev/null 2>&1
meson setup "$old_tree/build" "$old_tree" --buildtype=release >/dev/null
ninja -C "$old_tree/build" todo-server >/dev/null
old_bin=$old_tree/build/todo-server

exec > >(tee "$BENCH_RESULTS/writes-$db.txt") 2>&1
echo "# bench/writes_vs.sh --db $db: wrk -t1 -c$CONNS -d$DURATION (warm-up ${WARMUP}s), $WORKERS workers," \
    "new $(commit_now) vs old $old_sha; $(date -u '+%Y-%m-%d %H:%M UTC'), load $(load_now)"
[ "$db" = sqlite ] || pg_cluster

# measure LABEL BIN: one line per workload, on a fresh database
measure() {
    local label=$1 bin=$2 run=$RANDOM users line w envs i u t
    start_todo "$(database_url "$db" "todo_w$run")" "$bin"
    users=$bench_tmp/users-$run.txt
    : >"$users"
    for i in 1 2 3 4; do
        u="wc$run$i" t=$(token "wc$run$i")
        echo "$u $t $(python3 "$BENCH_DIR/seed.py" "$TODO_BASE" "$u" "$t" 100)" >>"$users"
    done
    for w in create create_idem complete; do
        case $w in
        create) envs=(BENCH_USER="wn$run" BENCH_TOKEN="$(token "wn$run")") ;;
        create_idem) envs=(BENCH_USER="wi$run" BENCH_TOKEN="$(token "wi$run")" BENCH_IDEMPOTENCY=1) ;;
        complete) envs=(BENCH_USERS_FILE="$users") ;;
        esac
        [ "$WARMUP" = 0 ] || WRK_BASE=$TODO_BASE wrk_line "${w%_idem}" "$CONNS" "${WARMUP}s" "${envs[@]}" >/dev/null
        line=$(WRK_BASE=$TODO_BASE wrk_line "${w%_idem}" "$CONNS" "$DURATION" "${envs[@]}")
        echo "$label $w $line"
    done
    stop_server "$TODO_PID"
}

for rep in $(seq "$reps"); do
    if [ $((rep % 2)) = 1 ]; then
        measure old "$old_bin" >"$bench_tmp/old-$rep.txt"; cat "$bench_tmp/old-$rep.txt"
        measure new "$TODO_SERVER_BIN" >"$bench_tmp/new-$rep.txt"; cat "$bench_tmp/new-$rep.txt"
    else
        measure new "$TODO_SERVER_BIN" >"$bench_tmp/new-$rep.txt"; cat "$bench_tmp/new-$rep.txt"
        measure old "$old_bin" >"$bench_tmp/old-$rep.txt"; cat "$bench_tmp/old-$rep.txt"
    fi
    cat "$bench_tmp/new-$rep.txt" "$bench_tmp/old-$rep.txt" | awk '
        { for (i = 3; i <= NF; i++) { split($i, kv, "="); v[$1, $2, kv[1]] = kv[2] }
          if ($1 == "new") order[++n] = $2 }
        END { for (j = 1; j <= n; j++) { w = order[j]
            printf "ratio %s new/old rps=%.2fx p99=%s/%s ms\n", w, v["new", w, "rps"] / v["old", w, "rps"],
                v["new", w, "p99_ms"], v["old", w, "p99_ms"] } }'
    echo "# load after round $rep: $(load_now)"
done
