#!/usr/bin/env bash
# What a client that polls an unchanged list pays (API.md section 7.1): the
# same list (one user, 100 tasks) answered 304 to If-None-Match, answered 200,
# and GET /health (no auth, no database) for scale; then the same for one task.
#
# usage: bench/conditional.sh [--db sqlite|pg] [--reps N]
#   DURATION (10s) CONNS (64) per line; the rounds interleave the three so that
#   the ratios come from the same minutes. Without ETags on list answers (a
#   server before section 7.1), the 304 lines say n/a.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

db=sqlite reps=1
while [ $# -gt 0 ]; do
    case "$1" in
    --db) db=$2; shift ;;
    --reps) reps=$2; shift ;;
    *) sed -n '6,9p' "$0" >&2; exit 2 ;;
    esac
    shift
done
DURATION=${DURATION:-10s} CONNS=${CONNS:-64}
bench_deps

# etag_of PATH TOKEN -> the ETag of a 200 answer, or nothing
etag_of() {
    curl -fsS -o /dev/null -D - -H "Authorization: Bearer $2" "$TODO_BASE$1" |
        tr -d '\r' | awk -F': ' 'tolower($1) == "etag" { print $2 }'
}

exec > >(tee "$BENCH_RESULTS/conditional-$db.txt") 2>&1
[ "$db" = sqlite ] || pg_cluster
start_todo "$(database_url "$db" todo_cond)"
user=cond$RANDOM
tok=$(token "$user")
ids=$(python3 "$BENCH_DIR/seed.py" "$TODO_BASE" "$user" "$tok" 100)
list=/api/$user/tasks one=/api/$user/tasks/${ids%% *}
list_etag=$(etag_of "$list" "$tok") one_etag=$(etag_of "$one" "$tok")
echo "# bench/conditional.sh --db $db: wrk -t1 -c$CONNS -d$DURATION, $WORKERS workers; commit $(commit_now)," \
    "$(date -u '+%Y-%m-%d %H:%M UTC'), load $(load_now); list ETag ${list_etag:-none}, task ETag ${one_etag:-none}"

run() { # NAME PATH [ETAG]
    local line
    if [ $# -eq 3 ] && [ -z "$3" ]; then
        echo "$1 n/a (no ETag in the 200 answer)"
        return
    fi
    if [ $# -eq 3 ]; then
        line=$(WRK_BASE=$TODO_BASE wrk_line get "$CONNS" "$DURATION" BENCH_NAME="$1" BENCH_PATH="$2" \
            BENCH_TOKEN="$tok" BENCH_IF_NONE_MATCH="$3" BENCH_EXPECT=304)
    else
        line=$(WRK_BASE=$TODO_BASE wrk_line get "$CONNS" "$DURATION" BENCH_NAME="$1" BENCH_PATH="$2" \
            BENCH_TOKEN="$tok")
    fi
    echo "$1 $line"
}

for rep in $(seq "$reps"); do
    {
        run list_304 "$list" "$list_etag"
        run list_200 "$list"
        run health /health
        run task_304 "$one" "$one_etag"
        run task_200 "$one"
    } | tee "$bench_tmp/round-$rep.txt"
    awk '{ for (i = 2; i <= NF; i++) if ($i ~ /^rps=/) r[$1] = substr($i, 5) }
         END { if (r["list_304"] > 0) printf "ratio list_304/list_200=%.1fx list_304/health=%.2f task_304/task_200=%.1fx\n",
                   r["list_304"] / r["list_200"], r["list_304"] / r["health"],
                   (r["task_200"] > 0 ? r["task_304"] / r["task_200"] : 0) }' "$bench_tmp/round-$rep.txt"
    echo "# load after round $rep: $(load_now)"
done
