# Thin wrapper over scripts/ and meson. The real build definition is meson.build.
#   make run    install what is missing, build, record a test tone, slice it
#   make test   install, build (normal, ASan+UBSan, fuzz, TSan), run every test
SHELL := /bin/bash
NINJA ?= ninja

SANITIZE := -Db_sanitize=address,undefined -Db_lundef=false
# Coverage instrumentation for libreel too, so libFuzzer sees inside the
# library and not only inside the harness (the harnesses add -fsanitize=fuzzer).
FUZZ_CFLAGS := -fsanitize=fuzzer-no-link
# ThreadSanitizer for the unit tests only (the integration tests drive the
# `reel` binary and the realtime paths, which the ASan tree already covers).
TSAN := -Db_sanitize=thread -Db_lundef=false -Dintegration_tests=false

.PHONY: all deps build build-asan build-fuzz build-tsan test run bench clean

all: build

deps:
	@scripts/deps.sh

# scripts/setup-build.sh runs `meson setup DIR OPTIONS` if DIR is not configured
# yet, and reconfigures it when source files were added or removed.
build: deps
	@scripts/setup-build.sh build
	$(NINJA) -C build

build-asan: deps
	@scripts/setup-build.sh build-asan $(SANITIZE)
	$(NINJA) -C build-asan

build-fuzz: deps
	@CC=clang scripts/setup-build.sh build-fuzz \
	  -Dfuzz=true -Dtests=false $(SANITIZE) -Dc_args=$(FUZZ_CFLAGS)
	$(NINJA) -C build-fuzz

build-tsan: deps
	@scripts/setup-build.sh build-tsan $(TSAN)
	$(NINJA) -C build-tsan

# Build all four, keep going past a failed build so that run-tests.sh still
# runs and counts it (a build that fails is reported there as a failed test),
# and always end with run-tests.sh's summary line and its exit status.
test: deps
	-@scripts/npm-ci.sh tests/mcp   # the MCP SDK client (tests/mcp/package-lock.json)
	-@scripts/npm-ci.sh tests/mcp-conformance   # the MCP conformance suite and node 22
	-@$(MAKE) --no-print-directory -k build build-asan build-fuzz build-tsan
	@scripts/run-tests.sh

run: build
	@scripts/demo.sh

bench: build
	@if [ -x bench/run.sh ]; then bench/run.sh; \
	elif [ -f bench/run.sh ]; then bash bench/run.sh; \
	else echo "make bench: no benchmarks yet (bench/run.sh does not exist)"; fi

clean:
	rm -rf build build-asan build-fuzz build-tsan
