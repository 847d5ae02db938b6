# shellcheck shell=bash disable=SC2034
# Functions shared by scripts/test.sh and scripts/coverage.sh. Source it from
# the repository root. Every suite writes a JUnit file into $RESULTS; a step
# that cannot run (a build that fails, a database that does not start) writes
# a failing test case, so that nothing is silently left out of the count.

: "${PYTHON:=/usr/bin/python3}" # Debian's, with pytest & co (not a pyenv shim)
: "${RESULTS:=build/test-results}"
JUNIT="$PYTHON scripts/junit.py"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

# The options each build directory is configured with.
BUILD_RELEASE_OPTS=(--buildtype=release)
BUILD_ASAN_OPTS=(--buildtype=debug '-Db_sanitize=address,undefined' -Db_lundef=false
    -Dc_args=-fno-sanitize-recover=all)
BUILD_COVERAGE_OPTS=(--buildtype=debug -Db_coverage=true -Dc_args=-fprofile-update=atomic)

log_step()
{
    printf '\n==> %s\n' "$*"
}

# fail_case SUITE NAME MESSAGE_FILE: records one failing test case.
fail_case()
{
    $JUNIT case "$RESULTS/$1.xml" "$1" "$2" fail "${3:-/dev/null}"
}

# setup_build DIR OPTIONS...: configures DIR (or reconfigures it with OPTIONS)
# and builds it. Logs go to DIR-build.log in $RESULTS on failure.
setup_build()
{
    local dir=$1
    shift
    local log
    log=$(mktemp)
    if [ -f "$dir/build.ninja" ]; then
        meson setup --reconfigure "$dir" "$@" >"$log" 2>&1
    else
        meson setup "$dir" "$@" >"$log" 2>&1
    fi && ninja -C "$dir" >>"$log" 2>&1
    local rc=$?
    if [ $rc -ne 0 ]; then
        tail -n 60 "$log" >&2
        cp "$log" "$RESULTS/$(basename "$dir")-build.log" 2>/dev/null || true
    fi
    rm -f "$log"
    return $rc
}

# run_unit DIR SUITE: meson test in DIR (cmocka's TAP output is counted case by
# case) into $RESULTS/SUITE.xml.
run_unit()
{
    local dir=$1 suite=$2
    log_step "unit tests ($suite)"
    rm -f "$dir/meson-logs/testlog.json"
    CMOCKA_MESSAGE_OUTPUT=TAP meson test -C "$dir" --no-rebuild --print-errorlogs \
        --timeout-multiplier 3
    $JUNIT meson "$dir/meson-logs/testlog.json" "$RESULTS/$suite.xml" "$suite"
}

# run_api BINARY SUITE [DATABASE_URL [TEST_DIR]]: the pytest API tests
# (TEST_DIR, default tests/api) against BINARY, on SQLite when no URL is given. The harness (tests/api/conftest.py) fails a
# test whose server printed a sanitizer report or did not exit 0 on SIGTERM
# (a leak found at exit aborts it: abort_on_error=1).
run_api()
{
    local bin=$1 suite=$2 url=${3:-} tests=${4:-tests/api}
    log_step "API tests ($suite: $tests)"
    local rc=0
    (
        export TODO_SERVER_BIN="$PWD/$bin"
        if [ -n "$url" ]; then
            export TEST_DATABASE_URL="$url"
        else
            unset TEST_DATABASE_URL
        fi
        exec "$PYTHON" -m pytest "$tests" -q -rfE -p no:cacheprovider \
            --junitxml="$RESULTS/$suite.xml" -o junit_suite_name="$suite"
    ) || rc=$?
    $JUNIT check-pytest "$RESULTS/$suite.xml" "$rc" "$suite"
}

# run_e2e BINARY SUITE: the browser tests of the web app (tests/e2e: node's
# test runner, Debian's Chromium driven by playwright-core, axe-core; npm ci
# when node_modules is missing or older than the lock file) against BINARY
# on SQLite. JUnit into $RESULTS/SUITE.xml; screenshots in build/e2e/.
run_e2e()
{
    local bin=$1 suite=$2 rc=0 results
    log_step "browser tests of the web app ($suite: tests/e2e)"
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        fail_case "$suite" "node and npm are not installed (scripts/install-deps.sh test)"
        return
    fi
    if [ ! -f tests/e2e/node_modules/.package-lock.json ] ||
        [ tests/e2e/package-lock.json -nt tests/e2e/node_modules/.package-lock.json ]; then
        if ! (cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error); then
            fail_case "$suite" "npm ci in tests/e2e"
            return
        fi
    fi
    results=$(cd "$RESULTS" && pwd)
    (
        cd tests/e2e &&
            TODO_SERVER_BIN="$OLDPWD/$bin" E2E_SHOTS="$OLDPWD/build/e2e" timeout 900 \
                node --test --test-concurrency=1 --test-reporter=spec --test-reporter-destination=stdout \
                --test-reporter=junit --test-reporter-destination="$results/$suite.xml" app.test.mjs
    ) || rc=$?
    $JUNIT check-pytest "$RESULTS/$suite.xml" "$rc" "$suite"
}

PG_CLUSTER_DIR=
PG_URL=

# pg_start: starts the throwaway cluster (pg_stop, from an EXIT trap, stops it).
pg_start()
{
    local out
    log_step "PostgreSQL: starting a throwaway cluster"
    if ! out=$(scripts/pg-cluster.sh start); then
        echo "could not start PostgreSQL" >&2
        return 1
    fi
    PG_CLUSTER_DIR=$(sed -n 's/^PG_CLUSTER_DIR=//p' <<<"$out")
    PG_URL=$(sed -n 's/^DATABASE_URL=//p' <<<"$out")
    echo "$PG_URL"
}

# pg_new_database NAME: a fresh, empty database on the cluster; prints its URL.
pg_new_database()
{
    local name=$1 admin=${PG_URL%/*}/postgres
    psql "$admin" -X -q -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS $name" \
        -c "CREATE DATABASE $name" >/dev/null || return 1
    echo "${PG_URL%/*}/$name"
}

pg_stop()
{
    if [ -n "$PG_CLUSTER_DIR" ]; then
        scripts/pg-cluster.sh stop "$PG_CLUSTER_DIR" || true
        PG_CLUSTER_DIR=
    fi
}
