"""vcon-cache-server's safe defaults: Host and Origin allow-lists on every route (DNS rebinding),
CORS preflight for allowed origins only, secrets kept off the command line, and bounded work per
request (bad bytes and oversized strings are a 400, not a database error)."""

import os
import time
import uuid as uuidlib

import pytest

import harness
from cache_server import CacheServer
from conftest import save, small_vcon


@pytest.fixture(scope="module")
def server(stack, tmp_path_factory):
    with CacheServer(stack, tmp_path_factory.mktemp("server")) as s:
        s.wait_up()
        yield s


def routes(u):
    return [("GET", "/healthz"), ("GET", "/metrics"), ("GET", "/api/v1/vcons?limit=1000"),
            ("GET", f"/api/v1/vcons/{u}"), ("POST", "/mcp"), ("GET", "/no/such/route"),
            ("OPTIONS", "/mcp")]


PING = '{"jsonrpc":"2.0","id":1,"method":"ping"}'


def test_rebound_host_is_refused_on_every_route(stack, server):
    u = save(stack.pg, small_vcon(1))
    for host in ("evil.example", f"evil.example:{server.port}", "localhost.evil.example", "127.0.0.1.nip.io"):
        for method, path in routes(u):
            r = server.request(method, path, body=PING if method == "POST" else None,
                               headers={"Host": host, "Content-Type": "application/json"})
            assert r.status == 403, (host, method, path, r.status, r.body)
            body = r.json()
            if path == "/mcp":
                assert body["error"]["message"].startswith("Host not allowed"), body
            else:
                assert body == {"success": False, "error": "host_not_allowed",
                                "message": "Host not allowed (see --allowed-hosts)"}
    # the loopback names, with any port (or none), are served
    for host in (f"localhost:{server.port}", "LOCALHOST", f"127.0.0.1:{server.port}", "[::1]:1234", "localhost."):
        assert server.get(f"/api/v1/vcons/{u}", headers={"Host": host}).status == 200, host
    assert server.metrics().get('vcon_http_requests_total{route="vcons_search",status="403"}', 0) >= 4


def test_allowed_hosts_flag_and_environment(stack, tmp_path):
    with CacheServer(stack, tmp_path, args=("--allowed-hosts", "vcon.internal,api.example:8443")) as s:
        assert s.get("/healthz", headers={"Host": "vcon.internal:9999"}).status == 200
        assert s.get("/healthz", headers={"Host": "api.example:8443"}).status == 200
        assert s.get("/healthz", headers={"Host": "api.example:80"}).status == 403
        assert s.get("/healthz", headers={"Host": "localhost"}).status == 403  # the list replaces the default
        assert s.get("/healthz", headers={"Host": f"127.0.0.1:{s.port}"}).status == 200  # the --listen address
    with CacheServer(stack, tmp_path, env={"VCON_ALLOWED_HOSTS": "*"}) as s:
        assert s.get("/healthz", headers={"Host": "anything.example"}).status == 200


def test_foreign_origin_is_refused_on_every_route(stack, server):
    u = save(stack.pg, small_vcon(2))
    for method, path in routes(u):
        r = server.request(method, path, body=PING if method == "POST" else None,
                           headers={"Origin": "http://evil.example", "Content-Type": "application/json"})
        assert r.status == 403, (method, path, r.status)
        assert "access-control-allow-origin" not in r.headers
    ok = server.get(f"/api/v1/vcons/{u}", headers={"Origin": f"http://localhost:{server.port}"})
    assert ok.status == 200
    assert ok.headers["access-control-allow-origin"] == f"http://localhost:{server.port}"
    assert ok.headers["vary"] == "Origin"
    assert "X-Cache" in ok.headers["access-control-expose-headers"]


def test_cors_preflight_for_allowed_origins_only(stack, tmp_path):
    token = "t0k-" + uuidlib.uuid4().hex
    with CacheServer(stack, tmp_path, env={"VCON_API_TOKEN": token},
                     args=("--allowed-origins", "http://localhost:*,https://inspector.example")) as s:
        asked = {"Origin": "https://inspector.example", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type, mcp-protocol-version, authorization"}
        r = s.request("OPTIONS", "/mcp", headers=asked)
        assert r.status == 204, r.body  # no token needed: browsers send none with a preflight
        assert r.headers["access-control-allow-origin"] == "https://inspector.example"
        assert "POST" in r.headers["access-control-allow-methods"]
        assert r.headers["access-control-allow-headers"] == "content-type, mcp-protocol-version, authorization"
        assert int(r.headers["access-control-max-age"]) > 0
        assert s.request("OPTIONS", "/mcp", headers={**asked, "Origin": "https://evil.example"}).status == 403
        get = s.request("OPTIONS", "/api/v1/vcons", headers={"Origin": "http://localhost:3000",
                                                             "Access-Control-Request-Method": "GET"})
        assert get.status == 204 and "GET" in get.headers["access-control-allow-methods"]
        # the actual request still needs the token, and carries CORS headers either way
        no_token = s.mcp("ping", headers={"Origin": "https://inspector.example"})
        assert no_token.status == 401
        assert no_token.headers["access-control-allow-origin"] == "https://inspector.example"
        ok = s.mcp("ping", headers={"Origin": "https://inspector.example", "Authorization": f"Bearer {token}"})
        assert ok.status == 200 and ok.json()["result"] == {}
        assert ok.headers["access-control-allow-origin"] == "https://inspector.example"


def _cmdline(pid: int) -> str:
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        return f.read().replace(b"\0", b" ").decode()


def test_passwords_in_argv_are_warned_about_and_masked(stack, tmp_path):
    db = stack.pg.url().replace("postgresql://postgres@", "postgresql://postgres:s3cretDBpw@")  # trust: ignored
    with CacheServer(stack, tmp_path, args=("--database-url", db)) as s:
        assert s.get("/healthz").json()["postgres"] == "up"
        time.sleep(0.2)
        assert "s3cretDBpw" not in _cmdline(s.proc.pid)
        assert "postgres:**********@" in _cmdline(s.proc.pid)
        log = s.log()
        assert "--database-url carries a password" in log and "DATABASE_URL" in log
        assert "s3cretDBpw" not in log
    redis_url = stack.redis_server.url().replace("redis://", "redis://:s3cretRedis@")
    with CacheServer(stack, tmp_path, args=(f"--redis-url={redis_url}",)) as s:
        assert "s3cretRedis" not in _cmdline(s.proc.pid)
        assert "--redis-url carries a password" in s.log() and "s3cretRedis" not in s.log()
    # the environment form does not warn
    with CacheServer(stack, tmp_path) as s:
        assert "carries a password" not in s.log()


def test_url_files(stack, tmp_path):
    db_file, redis_file = tmp_path / "db.url", tmp_path / "redis.url"
    db_file.write_text(stack.pg.url() + "\n")
    redis_file.write_text(stack.redis_server.url() + "\n")
    os.chmod(db_file, 0o600)
    dead = f"postgresql://postgres@127.0.0.1:{1}/nowhere"
    with CacheServer(stack, tmp_path, env={"DATABASE_URL": dead, "DATABASE_URL_FILE": str(db_file)},
                     args=("--redis-url-file", str(redis_file))) as s:
        # Redis connects in the background: wait for both
        harness.wait_for(lambda: s.get("/healthz").json() == {"status": "ok", "postgres": "up", "redis": "up",
                                                              "cache": "maintained"}, 20, what="both backends up")
    import subprocess
    from cache_server import server_bin
    p = subprocess.run([str(server_bin()), "--database-url-file", str(tmp_path / "missing")],
                       env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True, timeout=30)
    assert p.returncode == 2 and "--database-url-file: cannot read" in p.stderr


def test_bad_bytes_and_long_strings_in_rest_queries_are_400(stack, server):
    marker = "bounded-" + uuidlib.uuid4().hex[:8]
    save(stack.pg, small_vcon(3, subject=marker))
    errors_before = server.metrics()['vcon_backend_errors_total{backend="postgres"}']
    for query, problem in (("subject=%FF", "subject is not valid UTF-8"),
                           ("party_name=caf%E9", "party_name is not valid UTF-8"),
                           ("subject=a%00b", "subject contains a NUL character"),
                           ("party_email=" + "x" * 2000, "party_email is 2000 bytes long (at most 1024)")):
        r = server.get(f"/api/v1/vcons?{query}")
        assert r.status == 400, (query, r.status, r.body)
        assert r.json() == {"success": False, "error": "invalid_parameter", "message": problem}
    assert server.get("/api/v1/vcons?subject=caf%C3%A9").status == 200
    # nothing reached the database, and the connections' prepared statements still serve
    assert server.metrics()['vcon_backend_errors_total{backend="postgres"}'] == errors_before
    r = server.get(f"/api/v1/vcons?subject={marker}&include_count=true")
    assert r.status == 200 and r.json()["pagination"]["total"] == 1


def test_mcp_strings_and_bodies_are_bounded(stack, server):
    r = server.mcp("tools/call", {"name": "search_vcons_content", "arguments": {"query": "q" * 5000}})
    assert r.status == 200
    result = r.json()["result"]
    assert result["isError"] is True
    assert result["content"][0]["text"] == "query is 5000 bytes long (at most 1024)"
    r = server.mcp("tools/call", {"name": "search_vcons", "arguments": {"subject": "a\u0000b"}})
    assert r.json()["result"]["isError"] is True and "NUL" in r.json()["result"]["content"][0]["text"]
    # a 1 MiB request body never reaches the JSON parser
    big = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search_vcons_content",' \
          '"arguments":{"query":"' + "q" * (1 << 20) + '"}}}'
    r = server.request("POST", "/mcp", body=big, headers={"Content-Type": "application/json"})
    assert r.status == 413 and r.json()["error"] == "payload_too_large"
    assert server.mcp("ping").json()["result"] == {}
