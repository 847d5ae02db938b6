#!/usr/bin/env bash
# Static checks (`make lint`): clang-format, clang-tidy, cppcheck, shellcheck,
# and for the web app (web/) ESLint and tsc --checkJs (npm, web/package.json:
# installed with `npm ci` when missing or older than the lock file).
# Needs a configured build/ (for compile_commands.json; `make lint` sees to it).
# Runs every checker, then exits non-zero if any of them complained.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2

db=${BUILD_DIR:-build}
jobs=$(nproc 2>/dev/null || echo 2)
status=0

mapfile -t fmt_files < <(find src tests/unit tests/fuzz -name '*.[ch]' | sort)
mapfile -t c_files < <(find src -name '*.c' | sort)

echo "==> clang-format (${#fmt_files[@]} files)"
clang-format --dry-run --Werror "${fmt_files[@]}" || status=1

if [ ! -f "$db/compile_commands.json" ]; then
    echo "no $db/compile_commands.json: run 'meson setup $db' (make lint does)" >&2
    exit 1
fi
# Generated sources (embedded migrations) must exist for the analysers.
ninja -C "$db" >/dev/null 2>&1 || true

# Unit tests compile some src/ files again, so compile_commands.json lists
# those several times: each would be analysed once per entry (slow, and
# clang-tidy 14 then leaks analyzer state between the runs: a false
# clang-analyzer-valist.Uninitialized). Keep one entry per file, the server's.
lintdb=$db/lint
mkdir -p "$lintdb"
"${PYTHON:-/usr/bin/python3}" - "$db/compile_commands.json" "$lintdb/compile_commands.json" <<'PY'
import json, os, sys
entries = json.load(open(sys.argv[1]))
def rank(e):  # the library's and the server's own objects first
    out = e.get("output", "") or e.get("command", "")
    return 0 if ("libtodo.a.p" in out or "todo-server.p" in out) else 1
seen, keep = set(), []
for e in sorted(entries, key=rank):
    path = os.path.normpath(os.path.join(e["directory"], e["file"]))
    if path not in seen:
        seen.add(path)
        keep.append(e)
json.dump(keep, open(sys.argv[2], "w"), indent=1)
PY

echo "==> clang-tidy (${#c_files[@]} files, $jobs at a time)"
# One file per run, for the same reason.
printf '%s\0' "${c_files[@]}" |
    xargs -0 -r -n1 -P "$jobs" clang-tidy -p "$lintdb" --quiet 2> >(grep -v -E '(warnings?|errors?) generated\.$' >&2) ||
    status=1

echo "==> cppcheck"
cppcheck --project="$lintdb/compile_commands.json" -j "$jobs" -q --inline-suppr --error-exitcode=1 \
    --enable=warning,performance,portability --suppress=missingIncludeSystem \
    '--file-filter=*src/*' || status=1

echo "==> shellcheck"
shellcheck -x scripts/*.sh bench/*.sh .ci/run || status=1

echo "==> web app: eslint, tsc --checkJs"
if ! command -v npm >/dev/null; then
    echo "npm is not installed (scripts/install-deps.sh test installs it)" >&2
    status=1
elif [ ! -f web/node_modules/.package-lock.json ] ||
    [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
    (cd web && npm ci --no-audit --no-fund --loglevel=error) || status=1
fi
if [ -d web/node_modules ]; then
    (cd web && npx --no-install eslint --max-warnings 0 . && npx --no-install tsc -p jsconfig.json) ||
        status=1
fi

if [ $status -eq 0 ]; then
    echo "lint: clean"
else
    echo "lint: problems found (see above)" >&2
fi
exit $status
