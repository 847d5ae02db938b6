#!/usr/bin/env bash
# Line coverage of src/ (`make coverage`): a separate build (build-coverage/,
# -Db_coverage=true), the unit tests, the API tests on SQLite, and on a
# throwaway PostgreSQL both the store's unit tests and the API tests
# (COVERAGE_PG=0 skips PostgreSQL), then gcovr's summary.
# COVERAGE_MIN=90 makes it fail below 90 % of lines.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2

: "${COVERAGE_PG:=1}"
dir=build-coverage
RESULTS=$dir/test-results
# shellcheck source=scripts/testlib.sh
. scripts/testlib.sh
mkdir -p "$dir"
rm -rf "$RESULTS"
mkdir -p "$RESULTS"
trap pg_stop EXIT

log_step "build: coverage ($dir/)"
setup_build "$dir" "${BUILD_COVERAGE_OPTS[@]}" || exit 1
find "$dir" -name '*.gcda' -delete

unit_url='' api_url=''
if [ "$COVERAGE_PG" = 1 ]; then
    if pg_start; then
        unit_url=$(pg_new_database todo_unit_coverage) || fail_case pg "create database"
        api_url=$PG_URL
    else
        fail_case pg "start PostgreSQL"
    fi
fi
TEST_DATABASE_URL=$unit_url run_unit "$dir" unit-coverage
run_api "$dir/todo-server" api-coverage-sqlite
if [ -n "$api_url" ]; then
    run_api "$dir/todo-server" api-coverage-pg "$api_url"
    [ -d tests/api_pg ] && run_api "$dir/todo-server" api-coverage-pg-scenarios "$api_url" tests/api_pg
fi
pg_stop

log_step "tests"
$JUNIT summary "$RESULTS" || echo "(some tests failed: the coverage below is still of what ran)"

log_step "coverage of src/"
fail_under=()
[ -n "${COVERAGE_MIN:-}" ] && fail_under=(--fail-under-line "$COVERAGE_MIN")
gcovr -r . --filter 'src/' --object-directory "$dir" "$dir" \
    --txt "$dir/coverage.txt" --html-details "$dir/coverage.html" \
    --print-summary "${fail_under[@]}"
rc=$?
echo "per-file report: $dir/coverage.txt, HTML: $dir/coverage.html"
exit $rc
