# Thin wrappers; the scripts in scripts/ do the work (CI runs `make test`).
#   make run      build and start the server on SQLite (./data/todo.db)
#   make test     every test, as CI runs it; ends with 'N passed, N failed'
#   make build | asan | coverage | fuzz | lint | fmt | bench | clean

MESON_RELEASE := --buildtype=release
MESON_ASAN    := --buildtype=debug '-Db_sanitize=address,undefined' -Db_lundef=false \
                 -Dc_args=-fno-sanitize-recover=all
FUZZ_SECONDS  ?= 60

.PHONY: all build run test asan coverage fuzz lint fmt bench clean deps deps-test

all: build

deps:
	@scripts/install-deps.sh build

deps-test:
	@scripts/install-deps.sh test

# meson setup once; later builds only run ninja (which re-runs meson by itself
# when a meson.build changed).
build/build.ninja:
	meson setup build $(MESON_RELEASE)

# Everything: the server, the unit tests and the fuzz-corpus replays.
build: build/build.ninja
	ninja -C build

# Only the server is built for `make run`; it listens on 127.0.0.1:8000 with
# the SQLite database ./data/todo.db unless the environment says otherwise.
run: deps
	@$(MAKE) --no-print-directory build/build.ninja
	ninja -C build todo-server
	mkdir -p data
	exec build/todo-server

test: deps-test
	scripts/test.sh

build-asan/build.ninja:
	meson setup build-asan $(MESON_ASAN)

# The ASan+UBSan build and its unit tests; the server is build-asan/todo-server.
asan: build-asan/build.ninja
	ninja -C build-asan
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		meson test -C build-asan --print-errorlogs

coverage: deps-test
	scripts/coverage.sh

fuzz: deps-test
	scripts/fuzz.sh $(FUZZ_SECONDS)

lint: deps-test build/build.ninja
	scripts/lint.sh

fmt:
	find src tests/unit tests/fuzz -name '*.[ch]' -print0 | xargs -0 -r clang-format -i

# The benchmark of issue 11 (bench/all.sh): ratios against the FastAPI reference
# (FASTAPI_REF, outside the repo; skipped with one line when missing), the
# concurrency and history charts; results in bench/results/.
bench:
	@scripts/install-deps.sh bench || scripts/install-deps.sh test
	@$(MAKE) --no-print-directory build/build.ninja
	ninja -C build todo-server
	bench/all.sh

clean:
	rm -rf build build-asan build-coverage build-fuzz
