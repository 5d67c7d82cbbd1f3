#!/usr/bin/env bash
# Runs the MCP SDK client tests (node --test) and the MCP conformance suite against a real stack:
# PostgreSQL with vcon_redis, Redis, generated vCons, and vcon-cache-server ($VCON_SERVER_BIN).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
export VCON_SERVER_BIN="${VCON_SERVER_BIN:-$ROOT/build/server/vcon-cache-server}"
what="${1:-all}"   # all | client (SDK tests and the Inspector CLI) | inspector | conformance

(cd "$HERE" && { [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error; })

DIR="$(mktemp -d /tmp/vcon-mcp-XXXXXX)"
chmod 755 "$DIR"
SERVER_PID=""
cleanup() {
    status=$?
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    /usr/bin/python3 "$ROOT/tests/harness/stack.py" down --dir "$DIR" || status=1
    if grep -q "ERROR: AddressSanitizer\|runtime error:" "$DIR/server.log" 2>/dev/null; then
        echo "sanitizer report in the server log:"; cat "$DIR/server.log"; status=1
    fi
    rm -rf "$DIR"
    exit $status
}
trap cleanup EXIT

eval "$(/usr/bin/python3 "$ROOT/tests/harness/stack.py" up --dir "$DIR" --load 60)"
PORT="$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$VCON_SERVER_BIN" --listen "127.0.0.1:$PORT" >"$DIR/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do
    curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
    sleep 0.1
done
export MCP_URL="http://localhost:$PORT/mcp" DATABASE_URL REDIS_URL VCON_SAMPLE_UUIDS

rc=0
if [ "$what" = all ] || [ "$what" = client ]; then
    (cd "$HERE" && node --test --test-concurrency=1 test/) || rc=1
fi
if [ "$what" = all ] || [ "$what" = client ] || [ "$what" = inspector ]; then
    bash "$HERE/inspector.sh" || rc=1
fi
if [ "$what" = all ] || [ "$what" = conformance ]; then
    bash "$HERE/conformance.sh" || rc=1
fi
exit $rc
