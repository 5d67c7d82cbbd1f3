"""vcon-cache-server REST surface: miss then hit, errors (400/404/405/413/401/403), search
pagination, metrics and health."""

import json
import socket
import uuid as uuidlib

import pytest

from cache_server import CacheServer, wait_cached
from conftest import compact, save, small_vcon


@pytest.fixture(scope="module")
def server(stack, tmp_path_factory):
    with CacheServer(stack, tmp_path_factory.mktemp("server")) as s:
        s.wait_up()
        yield s


def test_miss_then_hit_returns_the_canonical_document(stack, server):
    u = save(stack.pg, small_vcon(1))
    wait_cached(stack, u)
    stack.r.delete(f"vcon:{u}")
    first = server.get(f"/api/v1/vcons/{u}")
    assert first.status == 200 and first.cache == "MISS"
    assert first.headers["content-type"] == "application/json"
    assert first.json() == {"success": True, "vcon": json.loads(stack.doc(u))}
    # the fill stored the compact vcon_json text, byte for byte
    assert stack.cached(u) == compact(stack.doc(u))
    second = server.get(f"/api/v1/vcons/{u}")
    assert second.status == 200 and second.cache == "HIT"
    assert second.body == first.body
    # uppercase uuids are normalised
    upper = server.get(f"/api/v1/vcons/{u.upper()}")
    assert upper.status == 200 and upper.cache == "HIT" and upper.json()["vcon"]["uuid"] == u


def test_formats(stack, server):
    doc = small_vcon(2, analysis=[{"type": "summary", "dialog": 0, "vendor": "x", "body": "short",
                                   "encoding": "none"},
                                  {"type": "transcript", "dialog": 0, "vendor": "x", "body": "long",
                                   "encoding": "none"}])
    u = save(stack.pg, doc)
    meta = server.get(f"/api/v1/vcons/{u}?format=metadata").json()["vcon"]
    assert meta["uuid"] == u and "dialog" not in meta and "analysis" not in meta and "parties" in meta
    summary = server.get(f"/api/v1/vcons/{u}?format=summary").json()["vcon"]
    assert [a["type"] for a in summary["analysis"]] == ["summary"]
    assert server.get(f"/api/v1/vcons/{u}?format=xml").status == 400


def test_error_statuses_are_json(server):
    r = server.get("/api/v1/vcons/not-a-uuid")
    assert r.status == 400 and r.json()["success"] is False
    missing = str(uuidlib.uuid4())
    r = server.get(f"/api/v1/vcons/{missing}")
    assert r.status == 404 and r.cache in ("MISS", "BYPASS")
    assert r.json() == {"success": False, "error": "not_found", "message": f"vCon {missing} not found"}
    r = server.get("/no/such/route")
    assert r.status == 404 and r.headers["content-type"] == "application/json"
    r = server.request("POST", f"/api/v1/vcons/{missing}", body="{}")
    assert r.status == 405 and r.headers["allow"] == "GET"
    r = server.get("/mcp")
    assert r.status == 405 and r.headers["allow"] == "POST"
    r = server.request("DELETE", "/mcp")
    assert r.status == 405
    r = server.request("POST", "/mcp", body='{"jsonrpc":"2.0","id":1,"method":"ping"}',
                       headers={"Origin": "http://evil.example", "Content-Type": "application/json"})
    assert r.status == 403


def test_negative_lookups_are_not_cached(stack, server):
    u = str(uuidlib.uuid4())
    assert server.get(f"/api/v1/vcons/{u}").status == 404
    assert stack.cached(u) is None
    doc = small_vcon(3)
    doc["uuid"] = u
    save(stack.pg, doc)
    r = server.get(f"/api/v1/vcons/{u}")
    assert r.status == 200 and r.json()["vcon"]["uuid"] == u


def test_oversized_body_gets_413_and_the_response_arrives(server):
    body = b"x" * (1024 * 1024 + 10)
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                  b"Content-Length: %d\r\n\r\n" % len(body))
        try:
            s.sendall(body)
        except OSError:
            pass
        head = s.recv(65536)
    assert head.startswith(b"HTTP/1.1 413"), head
    assert b"payload_too_large" in head


def test_keep_alive_survives_an_early_rejection(stack, server):
    """A rejected POST's body must not be parsed as the next request on the connection."""
    body = b'{"jsonrpc":"2.0","id":1,"method":"ping"}'
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://evil.example\r\nContent-Length: %d\r\n\r\n%s"
                  b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % (len(body), body))
        data = b""
        while data.count(b"HTTP/1.1") < 2 or not data.rstrip().endswith(b"}"):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    assert data.startswith(b"HTTP/1.1 403")
    assert b"HTTP/1.1 200" in data and b'"status":"ok"' in data


def test_search_pagination(stack, server):
    marker = "pagination-" + uuidlib.uuid4().hex[:8]
    uuids = [save(stack.pg, small_vcon(i, subject=f"{marker} {i}")) for i in range(5)]
    r = server.get(f"/api/v1/vcons?subject={marker}&limit=2&offset=0&include_count=true")
    assert r.status == 200 and r.headers["content-type"] == "application/json"
    page = r.json()
    assert page["success"] is True
    assert page["pagination"] == {"limit": 2, "offset": 0, "total": 5, "has_more": True}
    assert len(page["data"]) == 2
    assert set(page["data"][0]) >= {"uuid", "subject", "created_at", "parties_count", "dialog_count"}
    seen = [row["uuid"] for off in (0, 2, 4)
            for row in server.get(f"/api/v1/vcons?subject={marker}&limit=2&offset={off}").json()["data"]]
    assert sorted(seen) == sorted(uuids)
    last = server.get(f"/api/v1/vcons?subject={marker}&limit=2&offset=4&include_count=true").json()
    assert last["pagination"]["has_more"] is False and len(last["data"]) == 1
    past = server.get(f"/api/v1/vcons?subject={marker}&limit=2&offset=50&include_count=true").json()
    assert past["data"] == [] and past["pagination"]["total"] == 5
    for bad in ("limit=0", "limit=abc", "limit=5000", "offset=-1", "start_date=yesterday", "end_date=2026-13-01",
                "include_count=yes", "include_count="):
        r = server.get(f"/api/v1/vcons?{bad}")
        assert r.status == 400, bad
        assert r.json()["success"] is False
    ok = server.get(f"/api/v1/vcons?subject={marker}&start_date=2020-01-01&end_date=2030-01-01T00:00:00Z"
                    "&include_count=true")
    assert ok.status == 200 and ok.json()["pagination"]["total"] == 5


def test_search_without_count_still_knows_the_last_page(stack, server):
    # No include_count: no total, and has_more exact from the rows (a full page that is the last one
    # too), as with it.
    marker = "nocount-" + uuidlib.uuid4().hex[:8]
    for i in range(4):
        save(stack.pg, small_vcon(i, subject=f"{marker} {i}"))
    for offset, more, rows in ((0, True, 2), (1, True, 2), (2, False, 2), (3, False, 1), (9, False, 0)):
        for counted in (False, True):
            q = f"/api/v1/vcons?subject={marker}&limit=2&offset={offset}" + ("&include_count=true" if counted else "")
            page = server.get(q).json()
            assert len(page["data"]) == rows, (q, page)
            assert page["pagination"]["has_more"] is more, (q, page)
            assert ("total" in page["pagination"]) is counted, (q, page)
            if counted:
                assert page["pagination"]["total"] == 4, (q, page)


def test_healthz_and_metrics(server):
    h = server.get("/healthz")
    assert h.status == 200
    assert h.json() == {"status": "ok", "postgres": "up", "redis": "up", "cache": "maintained"}
    r = server.get("/metrics")
    assert r.status == 200 and r.headers["content-type"].startswith("text/plain")
    m = server.metrics()
    for name in ('vcon_cache_total{result="hit"}', 'vcon_cache_total{result="fill_refused"}',
                 "vcon_pg_pool_size", "vcon_pg_pool_in_use", "vcon_redis_up", "vcon_cache_maintained",
                 'vcon_backend_errors_total{backend="redis"}'):
        assert name in m, name
    assert m["vcon_redis_up"] == 1
    assert any(k.startswith("vcon_http_request_duration_seconds_bucket{route=\"healthz\"") for k in m)
    assert m.get('vcon_http_requests_total{route="healthz",status="200"}', 0) >= 1


def test_bearer_token(stack, tmp_path):
    token = "t0k-" + uuidlib.uuid4().hex
    with CacheServer(stack, tmp_path, env={"VCON_API_TOKEN": token}) as s:
        u = save(stack.pg, small_vcon(4))
        r = s.get(f"/api/v1/vcons/{u}")
        assert r.status == 401 and r.headers["www-authenticate"] == "Bearer"
        assert r.json() == {"success": False, "error": "unauthorized"}
        assert s.get(f"/api/v1/vcons/{u}", headers={"Authorization": "Bearer wrong"}).status == 401
        assert s.get("/metrics").status == 401
        assert s.request("POST", "/mcp", body="{}").status == 401
        assert s.get("/healthz").status == 200
        ok = s.get(f"/api/v1/vcons/{u}", headers={"Authorization": f"Bearer {token}"})
        assert ok.status == 200 and ok.json()["vcon"]["uuid"] == u
        assert token not in s.log()


def test_bad_configuration_exits_2(stack, tmp_path):
    import subprocess
    from cache_server import server_bin
    for args, env in ((["--listen", "nonsense"], {}), (["--threads", "x"], {}),
                      ([], {"REDIS_URL": "http://wrong:secretpw@host"}),
                      ([], {"DATABASE_URL": "postgresql://u:secretpw@host/db?nosuchoption=1"})):
        p = subprocess.run([str(server_bin()), *args], env={"PATH": "/usr/bin:/bin", **env},
                           capture_output=True, text=True, timeout=30)
        assert p.returncode == 2, (args, env, p.stderr)
        assert p.stderr.strip() and "secretpw" not in p.stderr
    p = subprocess.run([str(server_bin()), "--help"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0 and "--max-body-bytes" in p.stdout and "VCON_TEST_FILL_DELAY_MS" in p.stdout
