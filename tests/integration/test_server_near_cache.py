"""The server's near cache (in-process, kept coherent by Redis client tracking): hot documents are
served without Redis, and never a stale one: another writer's change is served promptly, an
invalidation that arrives while a GET of the same key is in flight wins, losing the invalidation
connection, a Redis restart or FLUSHALL drop everything, and memory stays within the budget."""

import json
import os
import signal
import threading
import time

import pytest

import harness
from cache_server import CacheServer, wait_cached
from conftest import save, small_vcon

NEAR_DELAY_MS = 1000


def near(server, event: str) -> float:
    return server.metrics().get(f'vcon_near_cache_total{{event="{event}"}}', 0.0)


def near_bytes(server) -> float:
    return server.metrics().get("vcon_near_cache_bytes", 0.0)


def gets_in_redis(stack) -> int:
    return stack.r.info("commandstats").get("cmdstat_get", {}).get("calls", 0)


def subject(reply) -> str:
    assert reply.status == 200, reply.body
    return reply.json()["vcon"]["subject"]


def listeners(stack) -> list[dict]:
    return [c for c in stack.r.client_list() if c.get("name", "").startswith("vcon-near-")]


def wait_live(server, stack, uuid):
    """Until a GET of uuid is served from the near cache (tracking armed, the value stored)."""
    def served_near():
        before = near(server, "hit")
        server.get(f"/api/v1/vcons/{uuid}")
        return near(server, "hit") > before
    harness.wait_for(served_near, 20, interval=0.05, what="a near cache hit")


def rewritten(stack, uuid, new_subject) -> str:
    """The cached document of uuid with another subject: what another writer might SET."""
    doc = json.loads(stack.cached(uuid))
    doc["subject"] = new_subject
    return json.dumps(doc, separators=(",", ":"))


def fresh_within(server, uuid, want, timeout):
    harness.wait_for(lambda: subject(server.get(f"/api/v1/vcons/{uuid}")) == want, timeout, interval=0.002,
                     what=f"the server to answer subject {want!r}")


@pytest.fixture(scope="module")
def server(stack, tmp_path_factory):
    # One io thread: every request meets the same near cache.
    with CacheServer(stack, tmp_path_factory.mktemp("server"), args=("--threads", "1")) as s:
        s.wait_up()
        s.wait_cache_state("maintained")
        yield s


def cached_vcon(stack, n, **extra) -> str:
    u = save(stack.pg, small_vcon(n, **extra))
    wait_cached(stack, u)
    return u


def test_a_hot_document_is_served_from_the_near_cache_without_redis(stack, server):
    u = cached_vcon(stack, 1)
    wait_live(server, stack, u)
    cached = stack.cached(u)
    expected = json.loads(cached)
    wire = b'{"success":true,"vcon":' + (cached.encode() if isinstance(cached, str) else cached) + b"}"
    before = gets_in_redis(stack)
    for _ in range(50):
        r = server.get(f"/api/v1/vcons/{u}")
        assert r.status == 200 and r.cache == "HIT"
        assert r.json()["vcon"] == expected
        assert r.body == wire and r.headers["content-length"] == str(len(wire))
        assert r.headers["content-type"] == "application/json"
    assert gets_in_redis(stack) == before
    assert len(listeners(stack)) == 1


def test_a_key_changed_by_another_writer_is_served_fresh_promptly(stack, server):
    u = cached_vcon(stack, 2, subject="before")
    wait_live(server, stack, u)
    stack.r.set(f"vcon:{u}", rewritten(stack, u, "set by redis-cli"))
    fresh_within(server, u, "set by redis-cli", 1)
    # and through the worker: a database update reaches Redis, then the near cache lets go of it
    stack.pg.sql("UPDATE vcons SET subject = 'updated in sql' WHERE uuid = %s", (u,))
    fresh_within(server, u, "updated in sql", 10)
    assert near(server, "invalidation") > 0


def test_a_deleted_vcon_is_not_served_from_the_near_cache(stack, server):
    u = cached_vcon(stack, 3)
    wait_live(server, stack, u)
    stack.pg.sql("SELECT vcon_redis.delete_vcon(%s::uuid)", (u,))
    harness.wait_for(lambda: server.get(f"/api/v1/vcons/{u}").status == 404, 10, interval=0.01,
                     what="404 after the delete")


def test_an_invalidation_that_arrives_while_a_get_is_in_flight_wins(stack, tmp_path):
    u = cached_vcon(stack, 4, subject="old")
    with CacheServer(stack, tmp_path, args=("--threads", "1"),
                     env={"VCON_TEST_NEAR_DELAY_MS": str(NEAR_DELAY_MS)}) as s:
        s.wait_up()
        s.wait_cache_state("maintained")
        wait_live(s, stack, u)  # (slow: each store waits NEAR_DELAY_MS)
        stack.r.delete(f"vcon:{u}")
        assert s.get(f"/api/v1/vcons/{u}").cache == "MISS"  # refilled in Redis, not in the near cache
        refused, hits = near(s, "stale_refused"), s.cache_count("hit")
        result = {}
        reader = threading.Thread(
            target=lambda: result.setdefault("r", s.get(f"/api/v1/vcons/{u}", timeout=30)))
        reader.start()
        # The reader's GET has been answered with "old" (the hit is counted before the near
        # store, which waits NEAR_DELAY_MS): change the key now, while that value is in flight.
        harness.wait_for(lambda: s.cache_count("hit") > hits, 5, interval=0.005, what="the reader's Redis hit")
        stack.r.set(f"vcon:{u}", rewritten(stack, u, "new"))
        reader.join(30)
        assert subject(result["r"]) == "old"  # read before the change: fine to serve once
        assert near(s, "stale_refused") == refused + 1
        # the old value was not stored: every later read sees the new one
        for _ in range(20):
            assert subject(s.get(f"/api/v1/vcons/{u}")) == "new"


def test_losing_the_invalidation_connection_drops_the_near_cache(stack, server):
    u, v = cached_vcon(stack, 5, subject="kept"), cached_vcon(stack, 51)
    wait_live(server, stack, u)
    changed = rewritten(stack, u, "written while deaf")
    # The server is stopped while its invalidation connection is killed and the key changes, so
    # that nothing can tell it about the write: only dropping the near cache keeps the old value out.
    server.proc.send_signal(signal.SIGSTOP)
    try:
        for c in listeners(stack):
            stack.r.execute_command("CLIENT", "KILL", "ID", c["id"])
        stack.r.set(f"vcon:{u}", changed)
    finally:
        server.proc.send_signal(signal.SIGCONT)
    # the connection comes back and the near cache is used again (v is served from it) ...
    harness.wait_for(lambda: len(listeners(stack)) == 1, 10, what="a new invalidation connection")
    wait_live(server, stack, v)
    # ... without the value from before the loss
    for _ in range(20):
        assert subject(server.get(f"/api/v1/vcons/{u}")) == "written while deaf"
    assert near(server, "flush") > 0
    stack.r.set(f"vcon:{u}", rewritten(stack, u, "after the reconnect"))
    fresh_within(server, u, "after the reconnect", 1)


def test_flushall_drops_the_near_cache(stack, server):
    u = cached_vcon(stack, 6)
    wait_live(server, stack, u)
    flushes = near(server, "flush")
    stack.r.flushall()
    harness.wait_for(lambda: near(server, "flush") > flushes, 5, interval=0.01, what="a near cache flush")
    r = server.get(f"/api/v1/vcons/{u}")
    assert r.status == 200 and r.cache == "MISS"  # Redis was empty: not a near hit
    assert near_bytes(server) < 4096  # only the one value stored since, if any


def test_mcp_lists_use_the_near_cache_and_stay_fresh(stack, server):
    tag = f"near{os.getpid()}"
    docs = [small_vcon(n, subject=f"list {n}",
                       attachments=[{"purpose": "tags", "encoding": "json", "body": json.dumps([f"run:{tag}"])}])
            for n in range(3)]
    uuids = [save(stack.pg, d) for d in docs]
    for u in uuids:
        wait_cached(stack, u)
    stack.wait_drained()

    def listed():
        r = server.mcp("tools/call", {"name": "search_vcons",
                                      "arguments": {"tags": {"run": tag}, "response_format": "full"}})
        assert r.status == 200, r.body
        return {d["uuid"]: d["subject"] for d in json.loads(r.json()["result"]["content"][0]["text"])["results"]}

    listed()
    hits = near(server, "hit")
    assert listed() == {u: f"list {n}" for n, u in enumerate(uuids)}
    assert near(server, "hit") - hits == 3
    stack.r.set(f"vcon:{uuids[1]}", rewritten(stack, uuids[1], "changed"))
    harness.wait_for(lambda: listed()[uuids[1]] == "changed", 1, interval=0.002, what="the list to see it")


def test_concurrent_readers_never_keep_a_stale_value(stack, server):
    """Readers hammer one key while another writer changes it 300 times: once the writer stops,
    every reader sees its last value within a second (whatever interleavings happened)."""
    u = cached_vcon(stack, 7)
    wait_live(server, stack, u)
    stop = threading.Event()

    def reader():
        conn = server.connection()
        while not stop.is_set():
            server.get(f"/api/v1/vcons/{u}", conn=conn)
        conn.close()

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        for i in range(300):
            stack.r.set(f"vcon:{u}", rewritten(stack, u, f"version {i}"))
    finally:
        time.sleep(0.05)
        stop.set()
        for t in threads:
            t.join(10)
    fresh_within(server, u, "version 299", 1)
    for _ in range(20):
        assert subject(server.get(f"/api/v1/vcons/{u}")) == "version 299"


def test_eviction_keeps_the_near_cache_within_its_budget(stack, tmp_path):
    budget = 64 * 1024
    uuids = [save(stack.pg, small_vcon(100 + n, subject="x" * 2000)) for n in range(80)]
    for u in uuids:
        wait_cached(stack, u)
    with CacheServer(stack, tmp_path, args=("--threads", "1", "--near-cache-bytes", str(budget))) as s:
        s.wait_up()
        s.wait_cache_state("maintained")
        wait_live(s, stack, uuids[0])
        for _ in range(2):
            for u in uuids:
                r = s.get(f"/api/v1/vcons/{u}")
                assert r.status == 200 and r.json()["vcon"] == json.loads(stack.cached(u))
                assert near_bytes(s) <= budget
        assert near(s, "eviction") > 0
        assert 0 < near_bytes(s) <= budget


def test_with_the_near_cache_off_every_hit_reads_redis(stack, tmp_path):
    u = cached_vcon(stack, 8)
    with CacheServer(stack, tmp_path, args=("--threads", "1", "--near-cache-bytes", "0")) as s:
        s.wait_up()
        s.wait_cache_state("maintained")
        harness.wait_for(lambda: len(listeners(stack)) == 1, 10, what="only the module server listening")
        before = gets_in_redis(stack)
        for _ in range(20):
            r = s.get(f"/api/v1/vcons/{u}")
            assert r.status == 200 and r.cache == "HIT"
        assert gets_in_redis(stack) - before == 20
        assert near(s, "hit") == 0 and near(s, "store") == 0


# Last: restarts the module's Redis.
def test_a_redis_restart_drops_the_near_cache(stack, server):
    u, v = cached_vcon(stack, 9), cached_vcon(stack, 91)
    wait_live(server, stack, u)
    changed, other = rewritten(stack, u, "written across the restart"), rewritten(stack, v, "v")
    # The server is stopped across the restart so that the new Redis holds another value before the
    # server can track anything there: only dropping the near cache keeps the old value out.
    server.proc.send_signal(signal.SIGSTOP)
    try:
        stack.redis_server.stop()
        stack.redis_server.start()  # empty: no persistence
        stack.r.set(f"vcon:{u}", changed)
        stack.r.set(f"vcon:{v}", other)
    finally:
        server.proc.send_signal(signal.SIGCONT)
    server.wait_up()
    harness.wait_for(lambda: len(listeners(stack)) == 1, 10, what="a new invalidation connection")
    wait_live(server, stack, v)
    for _ in range(20):
        assert subject(server.get(f"/api/v1/vcons/{u}")) == "written across the restart"
    stack.r.set(f"vcon:{u}", rewritten(stack, u, "after the restart"))
    fresh_within(server, u, "after the restart", 1)
