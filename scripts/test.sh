#!/usr/bin/env bash
# Builds everything and runs every test against real PostgreSQL and Redis started on free loopback
# ports: C++ units (ASan/UBSan), pg_regress, whole-path integration tests (server under
# ASan/UBSan), MCP SDK client tests, the MCP conformance suite and a bounded fuzz run.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
set -e
install_packages "${DEBIAN_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
# The tests run the sanitizer build of every C++ program; from the optimised build they need only
# the generator (fast test data), so that is all they build of it (scripts/run.sh builds the rest).
build_release vcon-gen
step "building ASan/UBSan server and unit tests ($ROOT/build-asan)"
cmake -S "$ROOT" -B "$ROOT/build-asan" -DCMAKE_BUILD_TYPE=Debug -DVCON_SANITIZE=ON >/dev/null
cmake --build "$ROOT/build-asan" -j "$JOBS"
set +e

# The fuzzer's clang build (~5 minutes of CPU) runs at the lowest priority beside the suites, which
# wait on PostgreSQL, Redis and timers more than they compute; the fuzz suite waits for it.
mkdir -p "${VCON_FUZZ_BUILD_DIR:-$ROOT/build-fuzz}"
FUZZ_BUILD_LOG="${VCON_FUZZ_BUILD_DIR:-$ROOT/build-fuzz}/build.log"
nice -n 19 bash "$ROOT/tests/fuzz/run.sh" build >"$FUZZ_BUILD_LOG" 2>&1 &
FUZZ_BUILD_PID=$!
fuzz_suite() {
    wait "$FUZZ_BUILD_PID" || { echo "the fuzzer's build failed:"; tail -40 "$FUZZ_BUILD_LOG"; return 1; }
    bash "$ROOT/tests/fuzz/run.sh"
}

export VCON_BUILD_DIR="$ROOT/build"
export VCON_SERVER_BIN="$ROOT/build-asan/server/vcon-cache-server"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

passed=0
failed=0
failures=()
suite() {
    local name="$1"; shift
    step "suite: $name"
    local t0=$SECONDS
    if "$@"; then
        passed=$((passed + 1)); echo "--- $name: ok ($((SECONDS - t0)) s)"
    else
        failed=$((failed + 1)); failures+=("$name"); echo "--- $name: FAILED ($((SECONDS - t0)) s)"
    fi
}

suite "style (include layers)" bash "$ROOT/tests/style/layers.sh"
suite "style (clang-format)" bash "$ROOT/tests/style/format.sh"
suite "style (g++ 12 coroutine rule)" /usr/bin/python3 "$ROOT/tests/style/coroutines.py"
suite "style (PostgreSQL calls outside PgGuard)" /usr/bin/python3 "$ROOT/tests/style/pg_calls.py"
suite "unit tests (GoogleTest, ASan/UBSan)" \
    ctest --test-dir "$ROOT/build-asan" --output-on-failure -j "$JOBS"
suite "pg_regress" /usr/bin/python3 "$ROOT/tests/harness/regress.py"
suite "integration (pytest)" /usr/bin/python3 -m pytest -q -p no:cacheprovider "$ROOT/tests/integration"
suite "MCP SDK client tests" bash "$ROOT/tests/mcp/run.sh" client
suite "MCP conformance" bash "$ROOT/tests/mcp/run.sh" conformance
suite "fuzz (libFuzzer, bounded)" fuzz_suite

echo
if [ "$failed" -gt 0 ]; then echo "failed suites: ${failures[*]}"; fi
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
