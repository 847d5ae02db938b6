#!/usr/bin/env bash
# Memory with many idle keep-alive connections: todo-server's resident memory
# at start, then with CONNS (default 10000) connections open that each made
# one GET /health, and GET /health req/s (wrk -c64) for the event loop's own
# speed. Issue 11 asks that neither regress.
#
# usage: bench/idle.sh [--db sqlite|pg]      CONNS (10000) DURATION (10s)
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

db=sqlite
[ "${1:-}" != --db ] || db=$2
CONNS=${CONNS:-10000} DURATION=${DURATION:-10s}
bench_deps
ulimit -n $((CONNS + 1024)) 2>/dev/null || ulimit -n "$(ulimit -Hn)"

exec > >(tee "$BENCH_RESULTS/idle-$db.txt") 2>&1
echo "# bench/idle.sh --db $db: $WORKERS workers; commit $(commit_now), $(date -u '+%Y-%m-%d %H:%M UTC'), load $(load_now)"
[ "$db" = sqlite ] || pg_cluster
start_todo "$(database_url "$db" todo_idle)"
rss() { awk '/VmRSS/ {print $2, $3}' "/proc/$TODO_PID/status"; }
echo "rss_at_start $(rss)"
echo "health $(WRK_BASE=$TODO_BASE wrk_line health 64 "$DURATION")"
echo "idle_connections $(python3 "$BENCH_DIR/idle_conns.py" "$TODO_BASE" "$CONNS" \
    grep VmRSS "/proc/$TODO_PID/status")"
echo "rss_after $(rss)"
