"""vcon-mcp's read surface on vcon-cache-server, end to end (real PostgreSQL, Redis, server):
lists of vCons read through the cache with one MGET (misses filled under leases, foreign values
replaced, keys of another type left alone), the tags/include_count parameters against SQL,
vcon_search's cursor pages, byte budgets, semantic/hybrid refusals, and resources/read with either
backend down."""

import base64
import json
import uuid as uuidlib

import pytest

import harness
from cache_server import CacheServer, wait_cached
from conftest import save, small_vcon

TAG = f"batch{uuidlib.uuid4().hex[:8]}"  # a tag value only this module's vCons carry


def tagged_vcon(n, created_at, **tags):
    pairs = [f"{k}:{v}" for k, v in {"run": TAG, **tags}.items()]
    return small_vcon(n, created_at=created_at, subject=f"mcp tools {TAG} call {n}",
                      attachments=[{"purpose": "tags", "encoding": "json", "body": json.dumps(pairs)}],
                      analysis=[{"type": "summary", "dialog": 0, "vendor": "x", "encoding": "none",
                                 "body": f"summary {n} about a refund for {TAG}"}])


@pytest.fixture(scope="module")
def vcons(stack):
    """Seven vCons of this module (two created at the same instant), newest first."""
    times = ["2026-03-01T10:00:00Z", "2026-03-01T09:00:00Z", "2026-03-01T09:00:00Z", "2026-02-28T10:00:00Z",
             "2026-02-27T10:00:00Z", "2026-02-26T10:00:00Z", "2026-02-25T10:00:00Z"]
    uuids = [save(stack.pg, tagged_vcon(n, t, tier="gold" if n % 2 else "silver")) for n, t in enumerate(times)]
    for u in uuids:
        wait_cached(stack, u)
    stack.wait_drained()
    rows = stack.pg.sql("SELECT uuid::text FROM vcons WHERE uuid = ANY(%s::uuid[]) ORDER BY created_at DESC, uuid",
                        (uuids,))
    return [r[0] for r in rows]


@pytest.fixture(scope="module")
def server(stack, tmp_path_factory):
    with CacheServer(stack, tmp_path_factory.mktemp("server")) as s:
        s.wait_up()
        s.wait_cache_state("maintained")
        yield s


def call(server, name, arguments):
    r = server.mcp("tools/call", {"name": name, "arguments": arguments})
    assert r.status == 200, r.body
    result = r.json()["result"]
    assert result.get("isError") is not True, result
    text = json.loads(result["content"][0]["text"])
    if "structuredContent" in result:
        assert result["structuredContent"] == text
    return text


def error(server, name, arguments):
    result = server.mcp("tools/call", {"name": name, "arguments": arguments}).json()["result"]
    assert result.get("isError") is True, result
    return result["content"][0]["text"]


def commandstats(stack):
    return {k[len("cmdstat_"):]: v["calls"] for k, v in stack.r.info("commandstats").items()}


# ---------------------------------------------------------------------------------------------
# get_many: one MGET per list
# ---------------------------------------------------------------------------------------------

def test_a_list_of_cached_vcons_is_one_mget(stack, server, vcons):
    stack.r.config_resetstat()
    out = call(server, "search_vcons", {"tags": {"run": TAG}, "response_format": "full", "limit": 10})
    stats = commandstats(stack)
    assert [d["uuid"] for d in out["results"]] == vcons
    assert out["results"] == [json.loads(stack.cached(u)) for u in vcons]
    assert stats.get("mget") == 1, stats
    assert stats.get("get", 0) == 0, stats
    assert stats.get("exists", 0) == 0 and stats.get("set", 0) == 0, stats


def test_misses_of_a_list_are_filled_under_leases(stack, server, vcons):
    gone = vcons[1:4]
    stack.r.delete(*[f"vcon:{u}" for u in gone])
    misses, fills = server.cache_count("miss"), server.cache_count("fill")
    stack.r.config_resetstat()
    out = call(server, "search_by_tags", {"tags": {"run": TAG}, "return_full_vcons": True})
    stats = commandstats(stack)
    assert [d["uuid"] for d in out["vcons"]] == vcons
    assert stats.get("mget") == 1 and stats.get("exists") == 1, stats
    # a lease each (SET NX PX) and a fill each (the script's SET counts too), no single GETs of a doc
    assert stats.get("evalsha", 0) + stats.get("eval", 0) == len(gone), stats
    assert stats.get("set") == 2 * len(gone), stats
    assert server.cache_count("miss") - misses == len(gone)
    assert server.cache_count("fill") - fills == len(gone)
    for u in gone:
        assert json.loads(stack.cached(u)) == json.loads(stack.doc(u))
        assert stack.r.get(f"vcon:{u}:lease") is None


def test_foreign_values_are_replaced_and_other_types_left_alone(stack, server, vcons):
    foreign, hashed = vcons[4], vcons[5]
    stack.r.set(f"vcon:{foreign}", "not a vcon")
    stack.r.delete(f"vcon:{hashed}")
    stack.r.hset(f"vcon:{hashed}", "field", "value")
    counted = server.cache_count("foreign"), server.cache_count("wrong_type")
    try:
        out = call(server, "search_vcons", {"tags": {"run": TAG}, "response_format": "full"})
        assert [d["uuid"] for d in out["results"]] == vcons
        assert server.cache_count("foreign") - counted[0] == 1
        assert server.cache_count("wrong_type") - counted[1] == 1
        assert json.loads(stack.cached(foreign))["uuid"] == foreign  # the fill replaced it
        assert stack.r.type(f"vcon:{hashed}") == "hash"  # not ours to overwrite
    finally:
        stack.r.delete(f"vcon:{hashed}")
    out = call(server, "vcon_fetch", {"id": hashed})
    assert out["item"]["id"] == hashed


# ---------------------------------------------------------------------------------------------
# vcon-mcp's parameters on the legacy tools, checked against SQL
# ---------------------------------------------------------------------------------------------

def test_search_vcons_formats_tags_and_include_count(stack, server, vcons):
    gold = stack.pg.sql("SELECT uuid::text FROM vcon_redis.search_vcons(NULL, NULL, NULL, NULL, NULL, NULL, 100, 0, "
                        "%s::jsonb)", (json.dumps({"run": TAG, "tier": "gold"}),))
    out = call(server, "search_vcons", {"tags": {"run": TAG, "tier": "gold"}, "response_format": "ids_only",
                                        "include_count": True})
    assert out["results"] == [r[0] for r in gold] and out["total_count"] == len(gold) == 3
    assert out["response_format"] == "ids_only" and out["count"] == 3
    meta = call(server, "search_vcons", {"tags": {"run": TAG}, "limit": 2})
    assert meta["response_format"] == "metadata" and "total_count" not in meta
    assert set(meta["results"][0]) == {"uuid", "subject", "created_at", "parties_count", "dialog_count",
                                       "analysis_count", "attachments_count"}


def test_search_vcons_content_formats_and_count(stack, server, vcons):
    query = f"refund {TAG}"
    count = stack.pg.sql("SELECT vcon_redis.search_vcons_content_count(%s, NULL, NULL, %s::jsonb)",
                         (query, json.dumps({"tier": "silver"})))[0][0]
    snippets = call(server, "search_vcons_content", {"query": query, "tags": {"tier": "silver"}, "include_count": True})
    assert snippets["total_count"] == count == 4
    assert {r["vcon_id"] for r in snippets["results"]} <= set(vcons)
    ids = call(server, "search_vcons_content", {"query": query, "response_format": "ids_only"})
    assert all(isinstance(r, str) for r in ids["results"]) and ids["count"] == len(ids["results"])
    metadata = call(server, "search_vcons_content", {"query": query, "response_format": "metadata"})
    assert all(set(r) == {"vcon_id", "content_type", "relevance_score"} for r in metadata["results"])
    full = call(server, "search_vcons_content", {"query": query, "response_format": "full"})
    assert sorted(d["uuid"] for d in full["results"]) == sorted(vcons)


def test_search_by_tags_full_vcons_and_message(server, vcons):
    few = call(server, "search_by_tags", {"tags": {"run": TAG}, "max_full_vcons": 2})
    assert few["vcon_uuids"] == vcons and [d["uuid"] for d in few["vcons"]] == vcons[:2]
    assert "Returned 2 full vCon objects (out of 7" in few["message"]
    ids = call(server, "search_by_tags", {"tags": {"run": TAG}, "return_full_vcons": False})
    assert "vcons" not in ids and ids["message"].startswith("Found 7 matching vCons")


def test_get_tags_and_unique_tags_against_sql(stack, server, vcons):
    tags = call(server, "get_tags", {"vcon_uuid": vcons[0]})
    assert tags == {"success": True, "vcon_uuid": vcons[0], "tags": {"run": TAG, "tier": "silver"}, "count": 2}
    one = call(server, "get_tags", {"vcon_uuid": vcons[0], "key": "nope", "default_value": 0})
    assert one == {"success": True, "key": "nope", "value": 0, "exists": False}
    unique = call(server, "get_unique_tags", {"include_counts": True, "key_filter": "TIER"})
    rows = stack.pg.sql("SELECT key, value, vcon_count FROM vcon_redis.unique_tags('tier', 1)")
    assert unique["unique_keys"] == ["tier"]
    assert unique["counts_per_value"] == {"tier": {v: n for _, v, n in rows}}
    assert unique["counts_per_value"]["tier"] == {"gold": 3, "silver": 4}
    assert call(server, "get_unique_tags", {"min_count": 4, "key_filter": "tier"})["tags_by_key"] == {"tier": ["silver"]}


# ---------------------------------------------------------------------------------------------
# vcon_search / vcon_fetch (the contract tools)
# ---------------------------------------------------------------------------------------------

def walk(server, arguments):
    pages, cursor = [], None
    while True:
        out = call(server, "vcon_search", {**arguments, **({"cursor": cursor} if cursor else {})})
        assert out["ok"] is True
        pages.append(out)
        cursor = out["page"]["next_cursor"]
        if cursor is None:
            return pages


@pytest.mark.parametrize("mode", ["metadata", "keyword"])
def test_vcon_search_cursor_pages_have_no_duplicates_or_gaps(server, vcons, mode):
    args = {"mode": mode, "tags": {"run": TAG}, "limit": 3, "include": ["core", "counts"]}
    if mode == "keyword":
        args["query"] = f"refund {TAG}"
    pages = walk(server, args)
    ids = [item["id"] for p in pages for item in p["items"]]
    assert [p["page"]["count"] for p in pages] == [3, 3, 1]
    assert len(ids) == len(set(ids)) == 7 and set(ids) == set(vcons)
    if mode == "metadata":
        assert ids == vcons
    assert all(p["page"]["total"] == 7 for p in pages)
    assert pages[-1]["meta"]["short_page_reason"] == "end_of_searchable_results"
    assert all(item["search"]["mode"] == mode and item["counts"]["analysis"] == 1 for p in pages for item in p["items"])
    cursor = json.loads(base64.urlsafe_b64decode(pages[0]["page"]["next_cursor"] + "=="))
    assert cursor == {"offset": 3}  # vcon-mcp's cursor format


def test_max_response_bytes_refuses_with_response_too_large(stack, server, vcons):
    out = call(server, "vcon_search", {"tags": {"run": TAG}, "include": ["core", "dialog", "analysis", "attachments"],
                                       "max_response_bytes": 1024})
    assert out["ok"] is False and out["error"]["code"] == "RESPONSE_TOO_LARGE"
    assert out["error"]["approximate_bytes"] > 1024 and out["error"]["max_response_bytes"] == 1024
    assert out["error"]["suggestions"]
    fetched = call(server, "vcon_fetch", {"id": vcons[0], "include": ["core", "counts", "tags"]})
    assert fetched["ok"] is True and fetched["item"]["tags"] == {"run": TAG, "tier": "silver"}
    assert fetched["meta"]["approximate_bytes"] <= 250000
    big = small_vcon(50)
    big["dialog"][0]["body"] = "long " * 2000
    b = save(stack.pg, big)
    refused = call(server, "vcon_fetch", {"id": b, "include": ["core", "dialog"], "max_response_bytes": 5000})
    assert refused["ok"] is False and refused["error"]["code"] == "RESPONSE_TOO_LARGE"
    assert refused["meta"] == {"include": ["core", "dialog"]}
    assert call(server, "vcon_fetch", {"id": b, "include": ["core", "dialog"], "max_response_bytes": 20000})["ok"]
    assert call(server, "vcon_fetch", {"id": str(uuidlib.uuid4())})["error"]["code"] == "NOT_FOUND"


def test_semantic_and_hybrid_are_refused_saying_why(server):
    for name, args in [("search_vcons_semantic", {"query": "angry"}), ("search_vcons_hybrid", {"query": "angry"}),
                       ("vcon_search", {"mode": "semantic", "query": "angry"}),
                       ("vcon_search", {"mode": "hybrid", "query": "angry"})]:
        assert "pgvector" in error(server, name, args)


def test_aggregate_counts_dealers(stack, server):
    dealer = {"id": 4242, "name": f"Dealer {TAG}", "team": {"id": 8, "name": "Purple"}}
    made = [save(stack.pg, small_vcon(100 + n, attachments=[
        {"type": "strolid_dealer", "encoding": "json", "body": json.dumps(dealer)},
        {"purpose": "tags", "encoding": "json", "body": json.dumps([f"agg:{TAG}"] if n < 2 else [])}]))
        for n in range(3)]
    out = call(server, "vcon_aggregate", {"tags": {"agg": TAG}, "limit": 500})
    row = next(r for r in out["item"]["rows"] if r["dealer_id"] == "4242")
    assert row == {"dealer_id": "4242", "dealer_name": f"Dealer {TAG}", "team_id": 8, "team_name": "Purple",
                   "filtered_count": 2, "baseline_count": 3}
    assert made


# ---------------------------------------------------------------------------------------------
# Resources
# ---------------------------------------------------------------------------------------------

def read(server, uri):
    r = server.mcp("resources/read", {"uri": uri})
    assert r.status == 200
    return r.json()


def contents(server, uri):
    reply = read(server, uri)
    assert "result" in reply, reply
    (item,) = reply["result"]["contents"]
    assert item["uri"] == uri and item["mimeType"] == "application/json"
    return json.loads(item["text"])


def test_resources(stack, server, vcons):
    u = vcons[0]
    doc = json.loads(stack.doc(u))
    assert contents(server, f"vcon://v1/vcons/{u}") == doc
    meta = contents(server, f"vcon://v1/vcons/{u}/metadata")
    assert meta["uuid"] == u and not {"parties", "dialog", "analysis", "attachments"} & set(meta)
    assert contents(server, f"vcon://v1/vcons/{u}/parties") == {"parties": doc["parties"]}
    assert contents(server, f"vcon://v1/vcons/{u}/summary") == {"count": 1, "summaries": doc["analysis"]}
    assert contents(server, f"vcon://v1/vcons/{u}/transcript") == {"count": 0, "transcripts": []}
    assert contents(server, f"vcon://v1/vcons/{u}/tags") == {"tags": {"run": TAG, "tier": "silver"}}
    assert contents(server, f"vcon://v1/vcons/{u}/attachments/purpose/tags")["count"] == 1
    assert contents(server, f"vcon://v1/vcons/{u}/analysis/type/summary")["type"] == "summary"
    recent = contents(server, "vcon://v1/vcons/recent/3")
    newest = [r[0] for r in stack.pg.sql("SELECT uuid::text FROM vcons ORDER BY created_at DESC, uuid DESC LIMIT 3")]
    assert recent["count"] == 3 and [d["uuid"] for d in recent["vcons"]] == newest
    ids = contents(server, "vcon://v1/vcons/recent/ids/3")
    assert [v["uuid"] for v in ids["vcons"]] == newest and set(ids["vcons"][0]) == {"uuid", "created_at", "subject"}
    purposes = contents(server, "vcon://v1/discovery/attachments/purposes")
    expected = stack.pg.sql("SELECT value, count FROM vcon_redis.distinct_values('attachment_purpose')")
    assert purposes == {"count": len(expected), "attachment_purposes": [{"value": v, "count": n} for v, n in expected]}
    shape = contents(server, "vcon://v1/graph/shape")
    assert shape["schema_version"] == "1.0.0" and "tag_key:run" in {n["id"] for n in shape["nodes"]}
    assert call(server, "vcon_graph_shape", {})["item"]["nodes"] == shape["nodes"]


def test_ids_resource_pages_by_keyset(stack, server, vcons):
    total = stack.pg.sql("SELECT count(*) FROM vcons")[0][0]
    seen, uri = [], "vcon://v1/vcons/ids/2"
    while True:
        page = contents(server, uri)
        seen += [v["uuid"] for v in page["vcons"]]
        if not page["has_more"]:
            break
        uri = f"vcon://v1/vcons/ids/2/after/{page['next_cursor']}"
    assert len(seen) == len(set(seen)) == total
    everything = [r[0] for r in stack.pg.sql("SELECT uuid::text FROM vcons ORDER BY created_at DESC, uuid DESC")]
    assert seen == everything


def test_resources_read_with_redis_down(stack, server, vcons):
    stack.redis_server.kill()
    try:
        harness.wait_for(lambda: server.get("/healthz").json()["redis"] == "down", 20, what="redis down")
        assert contents(server, f"vcon://v1/vcons/{vcons[0]}")["uuid"] == vcons[0]
        assert [d["uuid"] for d in contents(server, "vcon://v1/vcons/recent/2")["vcons"]] == \
            [r[0] for r in stack.pg.sql("SELECT uuid::text FROM vcons ORDER BY created_at DESC, uuid DESC LIMIT 2")]
        assert contents(server, f"vcon://v1/vcons/{vcons[0]}/tags")["tags"]["run"] == TAG
    finally:
        stack.redis_server.start()
    server.wait_up()


def test_resources_read_with_postgres_down(stack, server, vcons):
    u = vcons[0]
    call(server, "get_vcon", {"uuid": u})  # cached
    wait_cached(stack, u)
    stack.pg.stop()
    try:
        assert contents(server, f"vcon://v1/vcons/{u}")["uuid"] == u  # a hit needs no database
        assert contents(server, f"vcon://v1/vcons/{u}/summary")["count"] == 1
        for uri in ["vcon://v1/vcons/recent", "vcon://v1/graph/shape", f"vcon://v1/vcons/{uuidlib.uuid4()}"]:
            reply = read(server, uri)
            assert reply.get("error", {}).get("code") == -32603, (uri, reply)
    finally:
        stack.pg.start()
    harness.wait_for(lambda: "result" in read(server, "vcon://v1/vcons/recent/1"), 30, what="PostgreSQL back")


def test_resources_read_with_the_store_down(stack, server, vcons):
    """PostgreSQL and Redis both unreachable: every resources/read through POST /mcp answers a
    JSON-RPC error saying what is down, and the (ASan-built) server lives on."""
    stack.redis_server.kill()
    stack.pg.stop()
    try:
        harness.wait_for(lambda: server.get("/healthz").status == 503, 20, what="both backends down")
        for uri in [f"vcon://v1/vcons/{vcons[0]}", f"vcon://v1/vcons/{vcons[0]}/summary",
                    f"vcon://v1/vcons/{vcons[0]}/tags", "vcon://v1/vcons/recent/2", "vcon://v1/vcons/ids/2",
                    "vcon://v1/graph/shape", f"vcon://v1/vcons/{uuidlib.uuid4()}"]:
            error = read(server, uri).get("error", {})
            assert error.get("code") == -32603, (uri, error)
            assert "unavailable" in error.get("message", "") or "database" in error.get("message", ""), error
        assert server.proc.poll() is None, server.log()
    finally:
        stack.pg.start()
        stack.redis_server.start()
    server.wait_up()
    assert contents(server, f"vcon://v1/vcons/{vcons[0]}")["uuid"] == vcons[0]
