#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (build-fuzz/) and runs each one.
#
#   scripts/fuzz.sh [--junit FILE] [SECONDS [TARGET...]]
#
# SECONDS per target (default 60); TARGETs default to every fuzz_* binary in
# build-fuzz/tests/fuzz/. Each target starts from its seed corpus
# tests/fuzz/corpus/<target>/ and keeps what it learns in
# build-fuzz/corpus/<target>/. A crash leaves its input in
# build-fuzz/artifacts/: copy it into tests/fuzz/corpus/<target>/ with the fix,
# so that every build replays it from then on. Exits non-zero on any crash.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2

junit=
if [ "${1:-}" = --junit ]; then
    junit=$2
    shift 2
fi
seconds=${1:-60}
shift || true
dir=build-fuzz
PYTHON=${PYTHON:-/usr/bin/python3}

opts=(--buildtype=debugoptimized -Dfuzz=true -Dtests=disabled -Dwerror=false
    '-Db_sanitize=address,undefined' -Db_lundef=false)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if [ -f "$dir/build.ninja" ]; then
    meson setup --reconfigure "$dir" "${opts[@]}" >"$log" 2>&1
else
    CC=clang meson setup "$dir" "${opts[@]}" >"$log" 2>&1
fi && ninja -C "$dir" >>"$log" 2>&1
rc=$?
if [ $rc -ne 0 ]; then
    tail -n 60 "$log" >&2
    echo "fuzz: the clang build failed" >&2
    [ -n "$junit" ] && "$PYTHON" scripts/junit.py case "$junit" fuzz "build fuzz targets" fail "$log"
    exit 1
fi

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    for f in "$dir"/tests/fuzz/fuzz_*; do
        [ -f "$f" ] && [ -x "$f" ] && targets+=("$(basename "$f")")
    done
fi
if [ ${#targets[@]} -eq 0 ]; then
    echo "fuzz: no targets in $dir/tests/fuzz" >&2
    exit 1
fi

mkdir -p "$dir/artifacts"
cases=()
failed=0
for t in "${targets[@]}"; do
    mkdir -p "$dir/corpus/$t"
    seeds=()
    [ -d "tests/fuzz/corpus/$t" ] && seeds=("tests/fuzz/corpus/$t")
    dict=()
    [ -f "tests/fuzz/$t.dict" ] && dict=("-dict=tests/fuzz/$t.dict")
    echo "fuzz: $t for ${seconds}s"
    out="$dir/artifacts/$t.log"
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
        UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1} \
        "$dir/tests/fuzz/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$dir/artifacts/$t-" "${dict[@]}" \
        "$dir/corpus/$t" "${seeds[@]}" >"$out" 2>&1
    rc=$?
    grep -E '^(Done|stat::number_of_executed_units|stat::new_units_added)' "$out" | tr '\n' ' '
    echo
    if [ $rc -eq 0 ]; then
        cases+=("$t" pass "$out")
    else
        failed=1
        tail -n 40 "$out" >&2
        echo "fuzz: $t failed (exit $rc); inputs in $dir/artifacts/" >&2
        cases+=("$t" fail "$out")
    fi
done

if [ -n "$junit" ]; then
    "$PYTHON" - "$junit" "${cases[@]}" <<'PY'
import sys
sys.path.insert(0, "scripts")
import junit
out, rest = sys.argv[1], sys.argv[2:]
cases = []
for i in range(0, len(rest), 3):
    name, status, log = rest[i:i + 3]
    msg = open(log, encoding="utf-8", errors="replace").read() if status == "fail" else ""
    cases.append((name, status, msg))
junit.write_suite(out, "fuzz", cases)
PY
fi
exit $failed
