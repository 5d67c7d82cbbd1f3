#!/usr/bin/env bash
# Builds everything and runs the product locally: PostgreSQL and Redis under .run/ (or
# $VCON_RUN_DIR), the extension installed and attached, sample vCons loaded, vcon-cache-server on
# 127.0.0.1:8080. `scripts/run.sh stop` stops PostgreSQL and Redis.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
RUN_DIR="${VCON_RUN_DIR:-$ROOT/.run}"
PG_PORT="${VCON_PG_PORT:-54329}"
REDIS_PORT="${VCON_REDIS_PORT:-63799}"
LISTEN="${VCON_LISTEN:-127.0.0.1:8080}"
COUNT="${VCON_SAMPLE_COUNT:-300}"

if [ "${1:-}" = "stop" ]; then
    /usr/bin/python3 "$ROOT/tests/harness/stack.py" down --dir "$RUN_DIR"
    exit 0
fi

install_packages "${DEBIAN_PACKAGES[@]}"
build_release

step "starting PostgreSQL :$PG_PORT and Redis :$REDIS_PORT under $RUN_DIR"
eval "$(/usr/bin/python3 "$ROOT/tests/harness/stack.py" up --dir "$RUN_DIR" --pg-port "$PG_PORT" \
        --redis-port "$REDIS_PORT" --load "$COUNT")"

cat <<MSG

vcon-redis is running.
  PostgreSQL  psql "$DATABASE_URL"
              SELECT * FROM vcon_redis.status();
              SELECT vcon_redis.save_vcon('{"uuid":"…","created_at":"…",…}');
  Redis       redis-cli -p $REDIS_PORT --scan --pattern 'vcon:*' | head
              redis-cli -p $REDIS_PORT get vcon:$FIRST_UUID
  Server      curl -s http://$LISTEN/api/v1/vcons/$FIRST_UUID
              curl -s http://$LISTEN/api/v1/vcons?limit=5
              curl -s http://$LISTEN/healthz
              MCP (Streamable HTTP): http://$LISTEN/mcp
  Stop        Ctrl-C stops the server; scripts/run.sh stop stops PostgreSQL and Redis.

MSG
exec "$ROOT/build/server/vcon-cache-server" --listen "$LISTEN"
