"""Content search through the server reads JSON bodies as text: a transcript stored as JSON (the
generator's array of segments, the conserver's object with nested segments, a summary object written
by plain SQL as vcon-mcp writes it) comes back from the MCP tool search_vcons_content as prose
snippets (the matching string values, matches in <b></b>, at most 500 characters), never as JSON
fragments. What matches is vcon-mcp's: the stored body_tsvector of the raw body, so a key of those
bodies is a word too (its snippet is still prose)."""

import re

import pytest

from cache_server import CacheServer
from conftest import save, small_vcon

JSON_SYNTAX = re.compile(r'["{}\[\]\\]|\bspeaker\b|\bstart\b')


@pytest.fixture(scope="module")
def server(stack, tmp_path_factory):
    with CacheServer(stack, tmp_path_factory.mktemp("server")) as s:
        s.wait_up()
        yield s


@pytest.fixture(scope="module")
def transcripts(stack):
    doc = small_vcon(1, subject="parcel call", analysis=[
        {"type": "transcript", "dialog": 0, "vendor": "generator", "encoding": "json",
         "body": [{"speaker": 1, "text": "Your zeppelin delivery is booked for Monday.", "start": 1.5},
                  {"speaker": 0, "text": "Monday is no good, I am away.", "start": 4.0},
                  {"speaker": 1, "text": "Then the zeppelin arrives on Thursday.", "start": 9.2}]},
        {"type": "transcript", "dialog": 0, "vendor": "conserver", "encoding": "json",
         "body": {"transcript": "The courier confirmed the zeppelin slot.", "confidence": 0.93,
                  "segments": [{"id": 0, "speaker": "Agent", "start": 0.0,
                                "text": "The courier confirmed the zeppelin slot."}]}}])
    u = save(stack.pg, doc)
    # vcon-mcp's way: the JSON text of an object in a TEXT column, encoding none
    stack.pg.sql("INSERT INTO analysis (vcon_id, analysis_index, type, vendor, body, encoding) "
                 "VALUES (%s, 2, 'summary', 'vcon-mcp', %s, 'none')",
                 (u, '{"summary": "Zeppelin delivery moved to Thursday", "speaker": "agent", "start": 3}'))
    return u


def snippets(result) -> list[dict]:
    """Every object with a snippet in a tool result, whatever the response shape."""
    found = []

    def walk(x):
        if isinstance(x, dict):
            if "snippet" in x:
                found.append(x)
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)
    walk(result.get("structuredContent"))
    return found


def search(server, query: str) -> dict:
    r = server.mcp("tools/call", {"name": "search_vcons_content", "arguments": {"query": query}})
    assert r.status == 200
    result = r.json()["result"]
    assert result.get("isError") is not True, result
    return result


def test_snippets_of_json_bodies_are_prose(server, transcripts):
    rows = [s for s in snippets(search(server, "zeppelin")) if s.get("vcon_id") == transcripts]
    assert {(s["content_type"], s["content_index"]) for s in rows} == {("analysis", 0), ("analysis", 1),
                                                                       ("analysis", 2)}
    for s in rows:
        assert "<b>zeppelin</b>" in s["snippet"].lower(), s
        assert not JSON_SYNTAX.search(s["snippet"]), s
        assert len(s["snippet"]) <= 500
    by_index = {s["content_index"]: s["snippet"] for s in rows}
    assert "Your <b>zeppelin</b> delivery is booked for Monday." in by_index[0]
    assert "courier confirmed the <b>zeppelin</b> slot" in by_index[1]
    assert "<b>Zeppelin</b> delivery moved to Thursday" in by_index[2]


def test_keys_of_json_bodies_match_as_in_vcon_mcp(server, transcripts):
    for key, found in (("speaker", {0, 1, 2}), ("segments", {1}), ("confidence", {1})):
        rows = [s for s in snippets(search(server, key)) if s.get("vcon_id") == transcripts]
        assert {s["content_index"] for s in rows if s["content_type"] == "analysis"} == found, key
        for s in rows:
            assert not JSON_SYNTAX.search(s["snippet"]), s
