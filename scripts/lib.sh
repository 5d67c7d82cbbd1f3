# Shared by scripts/run.sh and scripts/test.sh: install what is missing, build everything.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JOBS="$(nproc 2>/dev/null || echo 2)"
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi

DEBIAN_PACKAGES=(
    build-essential cmake pkg-config git curl ca-certificates
    postgresql-15 postgresql-server-dev-15 libpq-dev  # postgresql-15 holds contrib (pg_trgm)
    redis-server libhiredis-dev
    libboost1.81-dev libssl-dev nlohmann-json3-dev libgtest-dev libgmock-dev
    python3 python3-psycopg2 python3-redis python3-pytest
    nodejs npm
)
TEST_PACKAGES=(clang-14 clang-format-14 libclang-rt-14-dev wrk)
# tests/bench/run_all.sh: wrk drives the HTTP benchmarks, nginx-light is read_throughput's reference
BENCH_PACKAGES=(wrk nginx-light)

step() { printf '\n==> %s\n' "$*"; }

install_packages() {
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    # node/npm may come from elsewhere than Debian (a newer Node on PATH is fine)
    if command -v node >/dev/null && command -v npm >/dev/null; then
        local filtered=()
        for p in "${missing[@]}"; do [[ "$p" == nodejs || "$p" == npm ]] || filtered+=("$p"); done
        missing=("${filtered[@]}")
    fi
    if [ "${#missing[@]}" -gt 0 ]; then
        step "installing Debian packages: ${missing[*]}"
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
}

# build_release [TARGET…]: the optimised build (all of it, or only the CMake targets named) and
# the extension, installed.
build_release() {
    step "building C++ (CMake, $ROOT/build${1:+: $*})"
    cmake -S "$ROOT" -B "$ROOT/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    local targets=()
    for t in "$@"; do targets+=(--target "$t"); done
    cmake --build "$ROOT/build" -j "$JOBS" "${targets[@]}"
    step "building and installing the extension (Makefile.pgxs)"
    make -C "$ROOT" -f Makefile.pgxs -j "$JOBS" >/dev/null
    $SUDO make -C "$ROOT" -f Makefile.pgxs install >/dev/null
}
