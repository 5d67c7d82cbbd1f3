"""MCP answers sized for assistants: the whole serialized message is capped (a tool result carries
its JSON twice), resources/read is capped too, refusals say how to ask for less, and get_vcon full
splices the cached text as stored (no parse, no re-serialisation)."""

import json

import pytest

from cache_server import CacheServer, wait_cached
from conftest import compact, save, small_vcon

LIMIT = 200000  # the default --max-mcp-message-bytes


@pytest.fixture(scope="module")
def server(stack, tmp_path_factory):
    with CacheServer(stack, tmp_path_factory.mktemp("server")) as s:
        s.wait_up()
        yield s


@pytest.fixture(scope="module")
def huge(stack):
    """A 3 MB vCon (one long transcript) with a summary analysis."""
    doc = small_vcon(1, analysis=[{"type": "summary", "dialog": 0, "vendor": "x", "encoding": "none",
                                   "body": "a short summary"}])
    doc["dialog"][0]["body"] = "word \"quoted\"\n" * 220000
    u = save(stack.pg, doc)
    wait_cached(stack, u)
    assert len(stack.cached(u)) > 3_000_000
    return u


def call(server, name, arguments, id=1):
    r = server.mcp("tools/call", {"name": name, "arguments": arguments}, id=id)
    assert r.status == 200
    assert len(r.body) <= LIMIT
    return r.json()["result"]


def test_get_vcon_full_of_a_huge_vcon_is_refused_with_advice(server, huge):
    result = call(server, "get_vcon", {"uuid": huge})
    assert result["isError"] is True
    text = result["content"][0]["text"]
    assert text.startswith("Result too large: the answer would be ")
    assert f"over the {LIMIT}-byte limit of one MCP message" in text
    assert 'response_format "metadata"' in text and '"summary"' in text


def test_summary_of_a_huge_vcon_fits(server, huge):
    result = call(server, "get_vcon", {"uuid": huge, "response_format": "summary"})
    assert result.get("isError") is not True
    vcon = result["structuredContent"]["vcon"]
    assert vcon["uuid"] == huge and [a["body"] for a in vcon["analysis"]] == ["a short summary"]
    assert "dialog" not in vcon


def test_resources_read_of_a_huge_vcon_is_refused_with_advice(server, huge):
    r = server.mcp("resources/read", {"uri": f"vcon://v1/vcons/{huge}"}, id="big")
    assert r.status == 200 and len(r.body) <= LIMIT
    error = r.json()["error"]
    assert error["code"] == -32602
    assert error["message"].startswith("Result too large")
    assert "get_vcon tool" in error["message"] and "summary" in error["message"]
    assert error["data"]["uri"] == f"vcon://v1/vcons/{huge}" and error["data"]["limit"] == LIMIT
    assert error["data"]["bytes"] > 3_000_000


def test_the_cap_counts_both_copies_and_the_envelope(stack, server):
    # ~120 KB of JSON: one copy fits the limit, the message with two does not
    doc = small_vcon(2)
    doc["dialog"][0]["body"] = "x" * 120000
    u = save(stack.pg, doc)
    wait_cached(stack, u)
    assert call(server, "get_vcon", {"uuid": u})["isError"] is True
    # ~90 KB: fits twice, but not with an id of 30 KB
    doc = small_vcon(3)
    doc["dialog"][0]["body"] = "x" * 90000
    v = save(stack.pg, doc)
    wait_cached(stack, v)
    assert call(server, "get_vcon", {"uuid": v}).get("isError") is not True
    assert call(server, "get_vcon", {"uuid": v}, id="i" * 30000)["isError"] is True


def test_get_vcon_full_splices_the_cached_text(stack, server):
    doc = small_vcon(4, **{"x-numbers": {"a": 0.5600001000000001, "big": 123456789012345678901234567890,
                                         "exp": 1.5e300}})
    u = save(stack.pg, doc)
    wait_cached(stack, u)
    cached = stack.cached(u)
    for miss in (False, True):
        if miss:
            stack.r.delete(f"vcon:{u}")
        r = server.mcp("tools/call", {"name": "get_vcon", "arguments": {"uuid": u}})
        body = r.body.decode()
        # structuredContent carries the stored bytes verbatim, the text item the same JSON escaped
        assert '"structuredContent":{"success":true,"vcon":' + cached + "}" in body
        result = json.loads(body)["result"]
        assert json.loads(result["content"][0]["text"]) == {"success": True, "vcon": json.loads(cached)}
        assert result["structuredContent"]["vcon"]["x-numbers"]["big"] == 123456789012345678901234567890
    assert stack.cached(u) == cached == compact(stack.doc(u))


def test_rest_is_not_capped(server, huge, stack):
    r = server.get(f"/api/v1/vcons/{huge}")
    assert r.status == 200 and len(r.body) > 3_000_000
    assert r.body == b'{"success":true,"vcon":' + stack.cached(huge).encode() + b"}"
