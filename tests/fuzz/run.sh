#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (separate build folder, since the main build uses g++)
# and runs each for a bounded time from its seed corpus. Any crash, leak, sanitizer report or
# invariant violation fails the run; the reproducer is left in the build folder.
#   run.sh build  only builds (scripts/test.sh starts that early, niced, beside the other suites)
#   FUZZ_SECONDS  time per target (default 60)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BUILD="${VCON_FUZZ_BUILD_DIR:-$ROOT/build-fuzz}"
SECONDS_PER_TARGET="${FUZZ_SECONDS:-60}"
CLANG="${CLANGXX:-clang++-14}"

command -v "$CLANG" >/dev/null || { echo "$CLANG not found (apt-get install clang-14 libclang-rt-14-dev)"; exit 1; }
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_CXX_COMPILER="$CLANG" -DVCON_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD" --target fuzz_jsonrpc -j "$(nproc 2>/dev/null || echo 2)"
[ "${1:-}" = build ] && exit 0

WORK="$BUILD/tests/fuzz"
mkdir -p "$WORK/corpus-new" "$WORK/artifacts"
echo "fuzz_jsonrpc: ${SECONDS_PER_TARGET}s from $HERE/corpus"
# New inputs go to a scratch corpus so the committed seeds stay small and reviewed.
"$WORK/fuzz_jsonrpc" -max_total_time="$SECONDS_PER_TARGET" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$WORK/artifacts/" -print_final_stats=1 \
    "$WORK/corpus-new" "$HERE/corpus" >"$WORK/fuzz.log" 2>&1 || {
    echo "fuzz_jsonrpc FAILED; reproducer(s) in $WORK/artifacts:"; ls "$WORK/artifacts"; tail -60 "$WORK/fuzz.log"; exit 1; }
grep -E "^stat::number_of_executed_units|^Done" "$WORK/fuzz.log" || true
echo "fuzz_jsonrpc: no crash"
