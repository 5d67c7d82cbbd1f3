#!/usr/bin/env bash
# Runs every benchmark of docs/design.md ("Performance targets") that concerns the write path, each on its own throw-away
# PostgreSQL + Redis (tests/harness), and prints a PASS/MISS summary. Benchmarks are not tests:
# the exit status is 0 whatever the figures (use --strict to fail on a MISS).
#
#   tests/bench/run_all.sh [--no-build] [--strict] [--quick] [--only NAME[,NAME…]]
#
#   --no-build  use the existing build/ and installed extension (default: build and install first,
#               as scripts/test.sh does, so the figures are of the current sources)
#   --quick     shorter runs (smoke check of the scripts, figures are noisier)
#   --only      write_overhead (fsync off, then --durable), commit_latency, bulk_100k, read_throughput, near_freshness, hit_vs_miss,
#               redis_tls_wait, search_100k, redis_cluster
# Each benchmark is also runnable alone: /usr/bin/python3 tests/bench/<name>.py --help
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"

build=1 strict=0 quick=0 only="write_overhead,commit_latency,bulk_100k,read_throughput,near_freshness,hit_vs_miss,redis_tls_wait,search_100k,redis_cluster"
while [ $# -gt 0 ]; do
    case "$1" in
        --no-build) build=0 ;;
        --strict) strict=1 ;;
        --quick) quick=1 ;;
        --only) only="$2"; shift ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
    shift
done

# shellcheck source=../../scripts/lib.sh
source "$ROOT/scripts/lib.sh"
install_packages "${BENCH_PACKAGES[@]}"
if [ "$build" = 1 ]; then
    build_release
fi
export VCON_BUILD_DIR="${VCON_BUILD_DIR:-$ROOT/build}"
PY=/usr/bin/python3 # Debian's, with python3-psycopg2 and python3-redis

declare -A quick_args=(
    [write_overhead]="--duration 5 --rounds 1 --warmup 2 --docs 1000"
    [commit_latency]="--duration 4 --warmup 1"
    [bulk_100k]="--count 10000 --realistic 2000"
    [read_throughput]="--duration 3 --rounds 1"
    [near_freshness]="--samples 50"
    [hit_vs_miss]="--samples 500 --warmup 50"
    [redis_tls_wait]="--count 300 --reads 1000"
    [search_100k]="--count 10000 --samples 30 --explain 10 --budget 10"
    [redis_cluster]="--count 300 --reads 1000"
)
declare -A full_args=(
    [commit_latency]="--sweep"
)
results="$(mktemp -d)"
trap 'rm -rf "$results"' EXIT
IFS=',' read -ra names <<<"$only"
for name in "${names[@]}"; do
    echo
    args=()
    if [ "$quick" = 1 ]; then read -ra args <<<"${quick_args[$name]}"; else read -ra args <<<"${full_args[$name]:-}"; fi
    "$PY" "$HERE/$name.py" --json "$results/$name.json" "${args[@]}" || echo "FAIL $name: the benchmark itself failed"
    if [ "$name" = write_overhead ]; then # again as deployed: fsync = on, synchronous_commit = on
        echo
        "$PY" "$HERE/$name.py" --durable --json "$results/${name}_durable.json" "${args[@]}" ||
            echo "FAIL $name --durable: the benchmark itself failed"
    fi
done

echo
echo "=== summary ($(nproc) cpu, load average $(cut -d' ' -f1-3 /proc/loadavg))"
misses=0
summaries=()
for name in "${names[@]}"; do
    summaries+=("$name")
    if [ "$name" = write_overhead ]; then summaries+=(write_overhead_durable); fi
done
for name in "${summaries[@]}"; do
    f="$results/$name.json"
    if [ ! -s "$f" ]; then echo "FAIL $name: no result"; misses=$((misses + 1)); continue; fi
    "$PY" - "$f" <<'EOF' || misses=$((misses + 1))
import json, sys
r = json.load(open(sys.argv[1]))
bad = 0
for t in r["targets"]:
    print(f"{'PASS' if t['pass'] else 'MISS'} {r['bench']}: {t['what']} = {t['value']:.3f} (target {t['op']} {t['threshold']:g})")
    bad += not t["pass"]
sys.exit(1 if bad else 0)
EOF
done
if [ "$strict" = 1 ] && [ "$misses" -gt 0 ]; then exit 1; fi
exit 0
