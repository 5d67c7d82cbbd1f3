#!/usr/bin/env bash
# The include rules that keep the layers apart, checked (exit 1 with every violation listed):
#   * common/ is pure C++ shared by the extension and the server: no PostgreSQL server header,
#     nothing from extension/ or server/;
#   * server/ talks to PostgreSQL through libpq only: no server header, nothing from extension/;
#   * extension/ does not reach into server/;
#   * nothing of the product (common/, extension/, server/) includes tools/ (the vCon generator is
#     for tests, benchmarks and vcon-gen only);
#   * inside server/src the arrows run one way, main → io_thread → http → rest, mcp → views, store
#     → app: app/ (config, log, metrics, secrets) includes no other layer, store/ and views/ no
#     protocol layer (http, rest, mcp), rest/ and mcp/ not each other;
#   * in extension/, C++ standard or common/ headers come after PostgreSQL's (postgres.h first),
#     which PostgreSQL's own macros require.
set -uo pipefail
cd "$(dirname "$0")/../.."
pg_server_headers='#include "(postgres|postgres_ext|fmgr|funcapi|miscadmin|pgstat)\.h"|#include "(access|catalog|commands|executor|nodes|parser|postmaster|replication|storage|tcop|utils|port|datatype|lib)/'
failed=0
report() { # pattern, files, message
    local hits
    hits=$(git ls-files -- "$2" | grep -E '\.(c|cc|cpp|h|hpp)$' | xargs -r grep -nE "$1" || true)
    if [ -n "$hits" ]; then
        printf '%s\n%s\n\n' "$3" "$hits"
        failed=1
    fi
}
report "$pg_server_headers" 'common/' "common/ must not include PostgreSQL server headers:"
report '#include "(\.\./)*(extension|server)/' 'common/' "common/ must not include extension/ or server/ headers:"
report "$pg_server_headers" 'server/' "server/ must not include PostgreSQL server headers (libpq only):"
report '#include "(\.\./)*extension/' 'server/' "server/ must not include extension/ headers:"
report '#include "(\.\./)*server/' 'extension/' "extension/ must not include server/ headers:"
for product in common/ extension/ server/; do
    report '#include "(\.\./)*(tools/|vcon/generator)' "$product" "$product must not include tools/ (the vCon generator):"
done
report '#include "(http|rest|mcp|store|views|io_thread)' 'server/src/app/' "server/src/app/ (the ground layer) must not include other server layers:"
report '#include "(http|rest|mcp|io_thread)' 'server/src/store/' "server/src/store/ must not include protocol layers:"
report '#include "(http|rest|mcp|store/cached|io_thread)' 'server/src/views/' "server/src/views/ must not include protocol layers:"
report '#include "(mcp/|io_thread)' 'server/src/rest/' "server/src/rest/ must not include mcp/ headers:"
report '#include "(rest/|io_thread)' 'server/src/mcp/' "server/src/mcp/ must not include rest/ headers:"
# postgres.h first: in every extension .cpp that includes it, no other #include precedes it
for f in $(git ls-files 'extension/src/*.cpp'); do
    first=$(grep -nE '^#include' "$f" | head -1)
    if grep -q '#include "postgres.h"' "$f" && [[ "$first" != *'"postgres.h"'* ]]; then
        printf '%s: the first #include must be "postgres.h" (got %s)\n' "$f" "$first"
        failed=1
    fi
done
if [ "$failed" -eq 0 ]; then echo "layers: ok"; fi
exit "$failed"
