#!/usr/bin/env bash
# What `make bench` runs: the story of issue 11 in one sitting.
#   1. bench/run.sh --db sqlite, then --db pg: the workloads against the FastAPI
#      reference, as ratios (BENCH_REPS rounds, default 1);
#   2. bench/concurrency.sh: req/s and p99 against connections (CONC_DBS, default sqlite);
#   3. bench/history.sh: lists at 1k, 10k and 100k tasks, both databases;
#   with BENCH_EXTRAS=1 also the other issues' numbers: bench/conditional.sh,
#   bench/writes_vs.sh, bench/idle.sh and bench/haproxy.sh.
# About 15 minutes on a quiet 2-core machine. Installs what it needs
# (scripts/install-deps.sh bench); the reference lives outside the repository
# (FASTAPI_REF, default /work/shared/anchors/fastapi-ref) and is skipped with one
# line when it or its Debian packages are missing. Everything lands in
# bench/results/ (text, tables, PNG charts).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"$here/run.sh" --db sqlite --reps "${BENCH_REPS:-1}"
"$here/run.sh" --db pg --reps "${BENCH_REPS:-1}"
for db in ${CONC_DBS:-sqlite}; do "$here/concurrency.sh" --db "$db"; done
"$here/history.sh"
if [ "${BENCH_EXTRAS:-0}" = 1 ]; then
    "$here/conditional.sh" --reps "${BENCH_REPS:-1}"
    "$here/writes_vs.sh" --reps "${BENCH_REPS:-1}"
    "$here/idle.sh"
    "$here/haproxy.sh" --reps "${BENCH_REPS:-1}"
fi
echo "# results: $(cd "$here" && pwd)/results/ (ratios-*.txt, concurrency-*.tsv/png, history.md/png)"
