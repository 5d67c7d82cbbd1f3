"""Never serve what nobody maintains: the server learns vcon_redis's settings from the database and
stops using the cache when the extension would not keep it in step (cache_mode off, another key
prefix), adopts the extension's prefix and TTL otherwise; values it did not write (foreign strings,
keys of another type) are not served as vCons; a miss that finds nothing gives its lease back."""

import json
import time
import uuid as uuidlib

import pytest

import harness
from cache_server import CacheServer, wait_cached
from conftest import barrier, compact, save, small_vcon


def set_extension(stack, **settings):
    """ALTER SYSTEM the vcon_redis settings (None resets) and reload."""
    for name, value in settings.items():
        if value is None:
            stack.pg.sql(f"ALTER SYSTEM RESET vcon_redis.{name}")
        else:
            stack.pg.sql(f"ALTER SYSTEM SET vcon_redis.{name} = %s", (str(value),))
    stack.pg.sql("SELECT pg_reload_conf()")


@pytest.fixture
def restore_extension(stack):
    yield
    set_extension(stack, cache_mode=None, key_prefix=None, ttl=None)
    time.sleep(0.3)
    barrier(stack)


def test_cache_mode_off_is_never_served_nor_filled(stack, tmp_path, restore_extension):
    u = save(stack.pg, small_vcon(1, subject="before off"))
    wait_cached(stack, u)
    with CacheServer(stack, tmp_path, args=("--settings-check-interval", "1")) as s:
        s.wait_up()
        assert s.cache_state() == "maintained"
        assert s.get(f"/api/v1/vcons/{u}").cache == "HIT"
        set_extension(stack, cache_mode="off")
        s.wait_cache_state("unmaintained")
        assert s.metrics()["vcon_cache_maintained"] == 0
        assert "vcon_redis.cache_mode is off" in s.log()
        # the worker no longer touches vcon:<uuid>: the cached copy is stale from now on
        stack.pg.sql("UPDATE vcons SET subject = 'after off' WHERE uuid = %s", (u,))
        stack.wait_drained()
        assert json.loads(stack.cached(u))["subject"] == "before off"
        r = s.get(f"/api/v1/vcons/{u}")
        assert r.status == 200 and r.cache == "BYPASS" and r.json()["vcon"]["subject"] == "after off"
        # a miss is not filled either, nor is a lease taken
        v = save(stack.pg, small_vcon(2))
        stack.wait_drained()
        assert stack.cached(v) is None
        assert s.get(f"/api/v1/vcons/{v}").cache == "BYPASS"
        assert stack.cached(v) is None and not stack.r.exists(f"{{vcon:{v}}}:lease")
        assert s.cache_count("unmaintained") >= 2
        # MCP reads follow the same policy
        got = s.mcp("tools/call", {"name": "get_vcon", "arguments": {"uuid": u}}).json()["result"]
        assert got["structuredContent"]["vcon"]["subject"] == "after off"
        # back on: the cache is used again
        set_extension(stack, cache_mode=None)
        s.wait_cache_state("maintained")
        stack.r.delete(f"vcon:{u}")
        assert s.get(f"/api/v1/vcons/{u}").cache == "MISS"
        assert json.loads(stack.cached(u))["subject"] == "after off"


def test_prefix_mismatch_bypasses_the_cache(stack, tmp_path):
    u = save(stack.pg, small_vcon(3))
    wait_cached(stack, u)
    stack.r.set(f"other:{u}", compact(stack.doc(u)).replace("integration test", "STALE"))
    with CacheServer(stack, tmp_path, args=("--key-prefix", "other:")) as s:
        s.wait_up()  # Redis connected: the BYPASS below is the prefix's doing, not a missing connection
        assert s.cache_state() == "unmaintained"
        log = s.log()
        assert "--key-prefix 'other:' differs from vcon_redis.key_prefix 'vcon:'" in log
        r = s.get(f"/api/v1/vcons/{u}")
        assert r.status == 200 and r.cache == "BYPASS" and "STALE" not in r.body.decode()
        assert s.get("/healthz").json() == {"status": "ok", "postgres": "up", "redis": "up", "cache": "unmaintained"}


def test_prefix_and_ttl_are_learnt_from_the_extension(stack, tmp_path, restore_extension):
    set_extension(stack, key_prefix="learnt:", ttl=77)
    time.sleep(0.3)
    u = save(stack.pg, small_vcon(4))
    harness.wait_for(lambda: stack.r.get(f"learnt:{u}") is not None, 30, what="learnt:<uuid> in Redis")
    with CacheServer(stack, tmp_path) as s:
        s.wait_up()
        assert s.cache_state() == "maintained"
        assert "key prefix 'learnt:', fill expiry 77 s" in s.log()
        assert s.get(f"/api/v1/vcons/{u}").cache == "HIT"
        stack.r.delete(f"learnt:{u}")
        assert s.get(f"/api/v1/vcons/{u}").cache == "MISS"
        assert 60 <= stack.r.ttl(f"learnt:{u}") <= 77
    # an explicit --expiry is kept, with a warning
    with CacheServer(stack, tmp_path, args=("--expiry", "500")) as s:
        s.wait_up()
        assert "--expiry 500 differs from vcon_redis.ttl 77" in s.log()
        stack.r.delete(f"learnt:{u}")
        assert s.get(f"/api/v1/vcons/{u}").cache == "MISS"
        assert stack.r.ttl(f"learnt:{u}") > 77


@pytest.fixture(scope="module")
def server(stack, tmp_path_factory):
    with CacheServer(stack, tmp_path_factory.mktemp("server")) as s:
        s.wait_up()
        yield s


@pytest.mark.parametrize("foreign", ["", "not json", '{"uuid":"someone-else"}', "[1,2,3]", '"a string"'])
def test_foreign_string_is_a_miss_and_is_replaced(stack, server, foreign):
    u = save(stack.pg, small_vcon(5))
    wait_cached(stack, u)
    stack.r.set(f"vcon:{u}", foreign)
    before = server.cache_count("foreign")
    r = server.get(f"/api/v1/vcons/{u}")
    assert r.status == 200 and r.cache == "MISS"
    assert r.json()["vcon"] == json.loads(stack.doc(u))
    assert server.cache_count("foreign") == before + 1
    assert stack.cached(u) == compact(stack.doc(u))  # the fill replaced it
    assert server.get(f"/api/v1/vcons/{u}").cache == "HIT"
    # MCP is not fooled either
    stack.r.set(f"vcon:{u}", foreign)
    got = server.mcp("tools/call", {"name": "get_vcon", "arguments": {"uuid": u}}).json()["result"]
    assert got.get("isError") is not True and got["structuredContent"]["vcon"]["uuid"] == u
    assert server.log().count("holds a") == 1  # logged once per process


def test_wrong_type_key_is_served_from_postgres_not_bypassed(stack, server):
    u = save(stack.pg, small_vcon(6))
    wait_cached(stack, u)
    stack.r.delete(f"vcon:{u}")
    stack.r.hset(f"vcon:{u}", mapping={"someone": "else"})
    before = server.metrics()
    for _ in range(3):
        r = server.get(f"/api/v1/vcons/{u}")
        assert r.status == 200 and r.cache == "MISS", r.cache
        assert r.json()["vcon"] == json.loads(stack.doc(u))
    after = server.metrics()
    assert after['vcon_cache_total{result="wrong_type"}'] == before['vcon_cache_total{result="wrong_type"}'] + 3
    assert after['vcon_cache_total{result="bypass"}'] == before['vcon_cache_total{result="bypass"}']
    assert after['vcon_backend_errors_total{backend="redis"}'] == before['vcon_backend_errors_total{backend="redis"}']
    assert after["vcon_redis_up"] == 1
    assert stack.r.type(f"vcon:{u}") == "hash"  # left alone, not filled over
    assert server.log().count("is not a string (WRONGTYPE)") == 1
    stack.r.delete(f"vcon:{u}")


def test_a_miss_that_finds_nothing_releases_its_lease_at_once(stack, server):
    missing = str(uuidlib.uuid4())
    released = server.cache_count("lease_released")
    assert server.get(f"/api/v1/vcons/{missing}").status == 404
    assert not stack.r.exists(f"{{vcon:{missing}}}:lease")
    assert server.cache_count("lease_released") == released + 1
    # the next requests take the lease themselves instead of waiting 5 x 10 ms for a holder
    conn = server.connection()
    t0 = time.monotonic()
    for _ in range(5):
        assert server.get(f"/api/v1/vcons/{missing}", conn=conn).status == 404
    elapsed = time.monotonic() - t0
    conn.close()
    assert server.cache_count("lease_released") == released + 6
    assert elapsed < 0.25, elapsed


def test_a_failed_miss_releases_its_lease(stack, server):
    u = save(stack.pg, small_vcon(7))
    wait_cached(stack, u)
    stack.r.delete(f"vcon:{u}")
    stack.pg.stop()
    try:
        r = server.get(f"/api/v1/vcons/{u}")
        assert r.status == 503
        assert not stack.r.exists(f"{{vcon:{u}}}:lease")
    finally:
        stack.pg.start()
    harness.wait_for(lambda: server.get(f"/api/v1/vcons/{u}").status == 200, 20, what="PostgreSQL back")
    assert stack.cached(u) == compact(stack.doc(u))


def test_a_plain_role_can_learn_the_settings(stack, tmp_path):
    """The check needs no superuser: settings any role can read, and status() when granted."""
    stack.pg.sql("DROP ROLE IF EXISTS vcon_reader")
    stack.pg.sql("CREATE ROLE vcon_reader LOGIN")
    try:
        url = stack.pg.url().replace("postgresql://postgres@", "postgresql://vcon_reader@")
        with CacheServer(stack, tmp_path, env={"DATABASE_URL": url}) as s:
            assert s.cache_state() == "maintained"
            log = s.log()
            # status() may or may not be granted to PUBLIC; either way the server keeps working
            assert "nobody maintains" not in log
    finally:
        stack.pg.sql("DROP ROLE vcon_reader")
