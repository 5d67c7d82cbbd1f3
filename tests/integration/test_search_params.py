"""The search parameters REST and MCP share (server/src/views): a date the server accepts is one
PostgreSQL's timestamptz reads (never a database error), a bad one is a 400 / isError naming the
parameter; and both surfaces count the same matches, also past the last page."""

import json
import urllib.parse
import uuid as uuidlib

import psycopg2
import pytest

from cache_server import CacheServer
from conftest import save, small_vcon

MARKER = "params-" + uuidlib.uuid4().hex[:8]

# Accepted and refused shapes, edge cases of both (tests/unit/date_param_test.cpp has more).
CANDIDATES = [
    "2026-03-01", "2024-02-29", "0001-01-01", "9999-12-31", "2026-03-01T10:00:00Z", "2026-03-01t10:00:00z",
    "2026-03-01 10:00", "2026-03-01T10:00Z", "2026-03-01T23:59:60Z", "2026-03-01T10:00:00.123456789+02:00",
    "2026-03-01T10:00:00-0500", "2026-03-01T10:00:00+01", "2026-03-01T10:00:00+15:59", "2026-03-01T10:00:00.5",
    "yesterday", "2026-3-01", "2026-03-01T", "2026-03-01T10", "2026-03-01T10:00:00.Z", "2026-03-01Z",
    "2026-03-01T10:00:00+1", "2026-03-01T10:00:00 UTC", "0000-01-01", "2026-13-01", "2026-02-29", "2026-04-31",
    "2026-03-01T24:00:00Z", "2026-03-01T10:60Z", "2026-03-01T10:00:61Z", "2026-03-01T23:59:60.5Z",
    "2026-03-01T10:00:00+16:00", "2026-03-01T10:00:00-00:60", "epoch", "infinity", "2026-03-01 10:00:00 PST",
]


@pytest.fixture(scope="module")
def server(stack, tmp_path_factory):
    for n, created in enumerate(["2026-03-01T10:00:00Z", "2026-03-01T09:00:00Z", "2026-02-28T10:00:00Z"]):
        save(stack.pg, small_vcon(n, created_at=created, subject=f"{MARKER} {n}"))
    # PGTZ sets the server's database session time zone: a date without offset must still be UTC
    with CacheServer(stack, tmp_path_factory.mktemp("server"), env={"PGTZ": "America/New_York"}) as s:
        s.wait_up()
        yield s


def tool(server, name, arguments):
    r = server.mcp("tools/call", {"name": name, "arguments": arguments})
    assert r.status == 200, r.body
    result = r.json()["result"]
    return result.get("isError") is True, result["content"][0]["text"]


def postgres_reads(stack, text):
    try:
        stack.pg.sql("SELECT %s::timestamptz", (text,))
        return True
    except psycopg2.Error:
        return False


@pytest.mark.parametrize("param", ["start_date", "end_date"])
def test_a_date_the_server_accepts_is_one_postgres_reads(stack, server, param):
    accepted = 0
    for text in CANDIDATES:
        rest = server.get(f"/api/v1/vcons?subject={MARKER}&{param}={urllib.parse.quote(text)}")
        assert rest.status in (200, 400), (text, rest.status, rest.body)  # never a 500 from the database
        refused, message = tool(server, "search_vcons", {"subject": MARKER, param: text})
        content_refused, content_message = tool(server, "search_vcons_content", {"query": MARKER, param: text})
        assert refused == content_refused == (rest.status == 400), text  # one rule for REST and MCP
        if rest.status == 400:
            body = rest.json()
            assert body["error"] == "invalid_parameter" and body["message"].startswith(param + " "), body
            assert message.startswith(param + " ") and content_message.startswith(param + " "), message
            assert "database" not in message, message
        else:
            accepted += 1
            assert postgres_reads(stack, text), text
    assert accepted == 14


def test_a_date_without_offset_is_utc(server):
    def found(**dates):
        query = "&".join(f"{k}={urllib.parse.quote(v)}" for k, v in dates.items())
        return server.get(f"/api/v1/vcons?subject={MARKER}&include_count=true&{query}").json()["pagination"]["total"]
    assert found(start_date="2026-03-01T10:00:00") == 1
    assert found(start_date="2026-03-01T10:00:00.001") == 0
    assert found(start_date="2026-03-01") == 2
    assert found(end_date="2026-02-28T10:00") == 1


def test_rest_and_mcp_count_the_same_matches_on_every_page(server):
    for offset in (0, 1, 2, 3, 50):
        rest = server.get(f"/api/v1/vcons?subject={MARKER}&limit=2&offset={offset}&include_count=true").json()
        refused, text = tool(server, "search_vcons",
                             {"subject": MARKER, "limit": 2, "offset": offset, "include_count": True})
        assert not refused, text
        mcp = json.loads(text)
        assert rest["pagination"]["total"] == mcp["total_count"] == 3, (offset, rest, mcp)
        assert [r["uuid"] for r in rest["data"]] == [r["uuid"] for r in mcp["results"]]
        assert rest["pagination"]["has_more"] == (offset + 2 < 3)


def test_the_server_limits_search_vcons_where_sql_caps_it(stack, server):
    # vcon_redis.search_vcons_max_lim() (SQL) and kMaxSearchLimit (the server) name one number
    cap = stack.pg.sql("SELECT vcon_redis.search_vcons_max_lim()")[0][0]
    assert server.get(f"/api/v1/vcons?subject={MARKER}&limit={cap}").status == 200
    refused = server.get(f"/api/v1/vcons?subject={MARKER}&limit={cap + 1}")
    assert refused.status == 400 and refused.json()["message"] == f"limit must be an integer from 1 to {cap}"
    for name, args in (("search_vcons", {"subject": MARKER}), ("search_vcons_content", {"query": MARKER})):
        refused, message = tool(server, name, {**args, "limit": cap})
        assert not refused, message
        refused, message = tool(server, name, {**args, "limit": cap + 1})
        assert refused and message.startswith("limit "), message
    schemas = {t["name"]: t["inputSchema"] for t in server.mcp("tools/list", {}).json()["result"]["tools"]}
    assert schemas["search_vcons"]["properties"]["limit"]["maximum"] == cap
    assert schemas["search_vcons_content"]["properties"]["limit"]["maximum"] == cap
