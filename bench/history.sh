#!/usr/bin/env bash
# Lists as a user's history grows: one user with 1k, 10k and 100k tasks (each
# its own user in one database, beside the others), p50 of one request at a
# time (wrk -t1 -c1) for the queries of issue 11's table, on SQLite and on
# PostgreSQL (a throwaway cluster from scripts/pg-cluster.sh).
#
# usage: bench/history.sh [--db "sqlite pg"] [--sizes "1000 10000 100000" (or HISTORY_SIZES)]
#   HDURATION (3s) per query; the history is seeded straight into the
#   database by bench/seed_history.py (seconds for 100k rows), which then
#   checks the server's counts; SEED_VIA=api seeds through the API instead.
#   The deep page by cursor follows Link: rel="next" from the first page
#   (bench/follow_cursor.py); "n/a" when the server gives no Link.
# Writes bench/results/history-<db>.tsv, history.md (the table) and
# history.png (the chart).
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

dbs="sqlite pg" sizes=${HISTORY_SIZES:-1000 10000 100000}
while [ $# -gt 0 ]; do
    case "$1" in
    --db) dbs=$2; shift ;;
    --sizes) sizes=$2; shift ;;
    *) sed -n '6,13p' "$0" >&2; exit 2 ;;
    esac
    shift
done
HDURATION=${HDURATION:-3s}
bench_deps

# name <TAB> query (OFFSET stands for n - 50)
queries() {
    cat <<'EOF'
limit=20	limit=20
tag=work&priority=high&limit=20	tag=work&priority=high&limit=20
search=milk&limit=20	search=milk&limit=20
due_date_filter=overdue&limit=20	due_date_filter=overdue&limit=20
sort_by=title&sort_order=desc&limit=20	sort_by=title&sort_order=desc&limit=20
limit=20&offset=<n-50>	limit=20&offset=OFFSET
deep page by cursor (limit=20)	CURSOR
EOF
}

# one DB: seeds every size, measures every query; TSV lines db size name p50 p99 rps
measure_db() {
    local db=$1 url n user tok seeded name query path line
    url=$(database_url "$db" todo_history)
    start_todo "$url"
    for n in $sizes; do
        user=hist$n tok=$(token "hist$n")
        if [ "${SEED_VIA:-sql}" = api ]; then
            seeded=$(python3 "$BENCH_DIR/seed_history.py" "$TODO_BASE" "$user" "$tok" "$n")
        else
            seeded=$(python3 "$BENCH_DIR/seed_history.py" "$TODO_BASE" "$user" "$tok" "$n" --database "$url")
        fi
        echo "# $db: seeded $seeded" >&2
        while IFS=$'\t' read -r name query; do
            if [ "$query" = CURSOR ]; then
                path=$(python3 "$BENCH_DIR/follow_cursor.py" "$TODO_BASE" "$tok" \
                    "/api/$user/tasks?limit=20" $((n - 50)))
            else
                path="/api/$user/tasks?${query/OFFSET/$((n - 50))}"
            fi
            if [ "$path" = n/a ]; then
                printf '%s\t%s\t%s\tn/a\tn/a\tn/a\n' "$db" "$n" "$name"
                continue
            fi
            line=$(WRK_BASE=$TODO_BASE wrk_line get 1 "$HDURATION" BENCH_PATH="$path" BENCH_TOKEN="$tok")
            [ "$(field non2xx "$line")" = 0 ] || { echo "history.sh: $path: $line" >&2; exit 1; }
            printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$db" "$n" "$name" "$(field p50_ms "$line")" \
                "$(field p99_ms "$line")" "$(field rps "$line")"
        done < <(queries)
    done
    stop_server "$TODO_PID"
}

echo "# bench/history.sh: wrk -t1 -c1 -d$HDURATION per query; commit $(commit_now), $(date -u '+%Y-%m-%d %H:%M UTC'), load $(load_now)"
case " $dbs " in *" pg "*) pg_cluster ;; esac
for db in $dbs; do
    measure_db "$db" >"$BENCH_RESULTS/history-$db.tsv"
    cat "$BENCH_RESULTS/history-$db.tsv"
done

# The table (markdown) and the chart's data (one column per query).
stamp="commit $(commit_now), $(date -u '+%Y-%m-%d')"
read -r -a db_list <<<"$dbs"
python3 - "$BENCH_RESULTS" "$stamp" "${db_list[@]}" <<'EOF'
import collections, os, sys
out, stamp, dbs = sys.argv[1], sys.argv[2], sys.argv[3:]
label = {"sqlite": "SQLite", "pg": "PostgreSQL"}
rows = collections.OrderedDict()
sizes = []
for db in dbs:
    for line in open(os.path.join(out, f"history-{db}.tsv")):
        d, n, name, p50, _, _ = line.rstrip("\n").split("\t")
        n = int(n)
        if n not in sizes:
            sizes.append(n)
        rows.setdefault(name, {})[(d, n)] = p50
def ms(v):
    return "n/a" if v in (None, "n/a") else f"{float(v):.2f}"
head = ["query"]
for db in dbs:
    head += [f"{label[db]} {n // 1000}k" for n in sizes] + [f"{label[db]} {sizes[-1] // 1000}k / {sizes[0] // 1000}k"]
lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
for name, v in rows.items():
    cells = [f"`{name}`"]
    for db in dbs:
        cells += [ms(v.get((db, n))) for n in sizes]
        a, b = v.get((db, sizes[0])), v.get((db, sizes[-1]))
        cells.append("n/a" if "n/a" in (a, b) or None in (a, b) else f"{float(b) / float(a):.1f}×")
    lines.append("| " + " | ".join(cells) + " |")
with open(os.path.join(out, "history.md"), "w") as f:
    f.write(f"p50 in ms of one request at a time (wrk -t1 -c1), {stamp}\n\n" + "\n".join(lines) + "\n")
for db in dbs:
    with open(os.path.join(out, f"history-{db}.dat"), "w") as f:
        names = list(rows)
        f.write("tasks\t" + "\t".join('"%s"' % n for n in names) + "\n")
        for n in sizes:
            f.write(f"{n}\t" + "\t".join(
                "NaN" if rows[x].get((db, n), "n/a") == "n/a" else rows[x][(db, n)] for x in names) + "\n")
EOF
cat "$BENCH_RESULTS/history.md"

set -- "${db_list[@]}"
gnuplot <<EOF
set terminal pngcairo noenhanced size 1200,560 font "sans,10"
set output "$BENCH_RESULTS/history.png"
set multiplot layout 1,$# title "todo-server: p50 of one list request as one user's history grows ($stamp)"
set logscale xy
set xtics ("1k" 1000, "10k" 10000, "100k" 100000)
set xrange [700:140000]
set xlabel "tasks of the user"
set ylabel "p50 ms (wrk -c1)"
set grid
set key top left font ",9"
$(for db in "$@"; do
    echo "set title \"$([ "$db" = pg ] && echo PostgreSQL || echo SQLite)\""
    echo "plot for [i=2:8] \"$BENCH_RESULTS/history-$db.dat\" using 1:i with linespoints lw 2 title columnhead(i)"
done)
unset multiplot
EOF
echo "# chart: $BENCH_RESULTS/history.png"
