#!/usr/bin/env bash
# Installs the Debian 12 packages todo-server needs, only those that are missing.
#
#   scripts/install-deps.sh [build|test|bench]     (default: test)
#
#   build  what `make build` / `make run` need: compiler, meson, the libraries
#   test   everything: build + unit/API test tools, PostgreSQL, sanitizer and
#          fuzzer runtimes, lint, coverage and benchmark tools, Node.js,
#          Chromium (docs page) and promtool (metrics)
#   bench  test + gnuplot and the FastAPI reference's packages (make bench)
#
# Idempotent: one dpkg-query call when everything is there (well under a
# second); `apt-get update` runs only when something is missing. Needs root
# (or sudo) only when it has something to install.
set -euo pipefail

group=${1:-test}

build_pkgs=(
    build-essential pkg-config meson ninja-build ca-certificates
    libh2o-evloop-dev libjansson-dev libsqlite3-dev libpq-dev libssl-dev
    libsodium-dev libcurl4-openssl-dev
)
test_pkgs=(
    libcmocka-dev
    python3 python3-pytest python3-httpx python3-jwt python3-jsonschema
    python3-cryptography
    postgresql postgresql-contrib
    clang libclang-rt-14-dev
    clang-tidy clang-format cppcheck shellcheck
    gcovr wrk curl valgrind
    chromium prometheus
)
# make bench: gnuplot draws the charts; the FastAPI reference of ADR-009 runs
# from Debian's packages (the baseline is skipped when they can't be had).
bench_pkgs=(
    gnuplot-nox
    python3-fastapi python3-uvicorn python3-uvloop python3-httptools
    python3-sqlalchemy python3-sqlmodel python3-asyncpg python3-aiosqlite python3-pydantic
    python3-jwt python3-argon2 python3-httpx
)

case $group in
build) want=("${build_pkgs[@]}") ;;
test) want=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
bench | all) want=("${build_pkgs[@]}" "${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
*)
    echo "usage: $0 [build|test|bench]" >&2
    exit 2
    ;;
esac

# Node.js and npm (interop and documentation tests): a node/npm already on
# PATH (e.g. from another packager) is used as is; Debian's would conflict.
if [ "$group" != build ] && ! { command -v node && command -v npm; } >/dev/null 2>&1; then
    want+=(nodejs npm)
fi

# Which of the wanted packages are not fully installed?
installed=$(dpkg-query -W -f='${Package} ${Status}\n' "${want[@]}" 2>/dev/null |
    awk '$NF == "installed" && $(NF-1) == "ok" { print $1 }') || true
missing=()
for p in "${want[@]}"; do
    if ! grep -qxF -- "$p" <<<"$installed"; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
sudo=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        sudo=(sudo)
    else
        echo "install-deps: missing packages and not root: ${missing[*]}" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
# Wait for another apt or dpkg run (an unattended upgrade, a parallel job)
# instead of failing at once on its lock.
"${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 update -q
"${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}"
