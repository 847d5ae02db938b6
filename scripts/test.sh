#!/usr/bin/env bash
# The whole test run, as CI does it (`make test` installs the packages first):
#
#   1. build release (build/) and ASan+UBSan (build-asan/)
#   2. unit tests (cmocka, meson test) in both builds; fuzz corpora replayed too
#   3. API tests (pytest, tests/api) against the release and the ASan binary,
#      on SQLite and on a throwaway PostgreSQL cluster (which the unit tests of
#      the PostgreSQL store use too, through TEST_DATABASE_URL), plus the
#      PostgreSQL-only scenarios of tests/api_pg, and the Better Auth interop
#      test (tests/interop); the web app's browser tests (tests/e2e, Chromium)
#   4. a short libFuzzer run of every fuzz target (clang)
#
# and ends with one line 'N passed, N failed', counted from the JUnit files in
# build/test-results/. Exits non-zero when anything failed.
#
# Knobs (environment):
#   PG=0            skip the PostgreSQL suites (reported as skipped; CI keeps PG=1)
#   PG_ASAN=0       skip the ASan binary on PostgreSQL (default 1)
#   FUZZ_SECONDS=N  libFuzzer time per target (default 20; 0 skips, and the
#                   corpora are still replayed by the unit tests)
#   PYTHON          the interpreter with pytest (default /usr/bin/python3)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2

: "${PG:=1}" "${PG_ASAN:=1}" "${FUZZ_SECONDS:=20}"
RESULTS=build/test-results
# shellcheck source=scripts/testlib.sh
. scripts/testlib.sh

start=$SECONDS
mkdir -p build
rm -rf "$RESULTS"
mkdir -p "$RESULTS"
trap pg_stop EXIT
trap 'exit 130' INT TERM

log_step "build: release (build/)"
release_ok=0
if setup_build build "${BUILD_RELEASE_OPTS[@]}"; then
    release_ok=1
else
    fail_case build-release "build release" "$RESULTS/build-build.log"
fi

log_step "build: ASan+UBSan (build-asan/)"
asan_ok=0
if setup_build build-asan "${BUILD_ASAN_OPTS[@]}"; then
    asan_ok=1
else
    fail_case build-asan "build asan" "$RESULTS/build-asan-build.log"
fi

# One throwaway PostgreSQL cluster for everything that needs it: the store's
# unit tests (tests/unit/store_pg, which skip without TEST_DATABASE_URL) and
# the API suites, each in a database of its own.
pg_ok=0
if [ "$PG" = 1 ]; then
    if pg_start; then
        pg_ok=1
    else
        fail_case pg "start PostgreSQL (scripts/pg-cluster.sh)"
    fi
else
    echo "PG=$PG: PostgreSQL suites not run (reported as skipped)" >&2
    $JUNIT case "$RESULTS/pg.xml" pg "PostgreSQL suites (PG=$PG)" skip
fi

# pg_url NAME: URL of a fresh database NAME, or nothing without PostgreSQL.
pg_url()
{
    [ $pg_ok = 1 ] || return 0
    pg_new_database "$1" || fail_case "pg-$1" "create database $1"
}

if [ $release_ok = 1 ]; then
    TEST_DATABASE_URL=$(pg_url todo_unit_release) run_unit build unit-release
fi
if [ $asan_ok = 1 ]; then
    TEST_DATABASE_URL=$(pg_url todo_unit_asan) run_unit build-asan unit-asan
fi

[ $release_ok = 1 ] && run_api build/todo-server api-release-sqlite
[ $asan_ok = 1 ] && run_api build-asan/todo-server api-asan-sqlite

# tests/e2e: the web app in Debian's Chromium against the release binary.
[ $release_ok = 1 ] && run_e2e build/todo-server e2e-release

# tests/interop: a real Better Auth (npm better-auth 1.7.25) issues EdDSA and
# ES256/RS256 tokens that the server must accept through JWKS_URL.
[ $release_ok = 1 ] && [ -d tests/interop ] && run_api build/todo-server interop-release "" tests/interop

# tests/api_pg: PostgreSQL-only scenarios (concurrency, clients hanging up,
# the database restarting), run where there is PostgreSQL.
pg_scenarios=
[ -d tests/api_pg ] && pg_scenarios=1
if [ $pg_ok = 1 ]; then
    if [ $release_ok = 1 ] && url=$(pg_url todo_api_release) && [ -n "$url" ]; then
        run_api build/todo-server api-release-pg "$url"
        [ -n "$pg_scenarios" ] && run_api build/todo-server api-release-pg-scenarios "$url" tests/api_pg
    fi
    if [ $asan_ok = 1 ] && [ "$PG_ASAN" = 1 ] && url=$(pg_url todo_api_asan) && [ -n "$url" ]; then
        run_api build-asan/todo-server api-asan-pg "$url"
        [ -n "$pg_scenarios" ] && run_api build-asan/todo-server api-asan-pg-scenarios "$url" tests/api_pg
    fi
fi
pg_stop

if [ "$FUZZ_SECONDS" != 0 ]; then
    log_step "fuzz: ${FUZZ_SECONDS}s per target (build-fuzz/)"
    if ! command -v clang >/dev/null; then
        fail_case fuzz "clang not installed"
    elif ! scripts/fuzz.sh --junit "$RESULTS/fuzz.xml" "$FUZZ_SECONDS"; then
        [ -f "$RESULTS/fuzz.xml" ] || fail_case fuzz "build or run the fuzz targets"
    fi
fi

echo
echo "==> summary ($((SECONDS - start)) s; JUnit files in $RESULTS/)"
pg_stop
$JUNIT summary "$RESULTS"
