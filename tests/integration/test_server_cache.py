"""The server's miss path: lease-checked fills (a fill that raced a worker write is refused, the
worker's newer document stays), process-wide coalescing of concurrent misses, no negative caching."""

import json
import threading
import time

import pytest

from cache_server import CacheServer, wait_cached
from conftest import compact, save, small_vcon

FILL_DELAY_MS = 1500


@pytest.fixture(scope="module")
def slow_fill_server(stack, tmp_path_factory):
    with CacheServer(stack, tmp_path_factory.mktemp("server"),
                     env={"VCON_TEST_FILL_DELAY_MS": str(FILL_DELAY_MS)}) as s:
        s.wait_up()
        yield s


def test_stale_fill_is_refused(stack, slow_fill_server):
    s = slow_fill_server
    u = save(stack.pg, small_vcon(10, subject="version one"))
    wait_cached(stack, u)
    stack.r.delete(f"vcon:{u}")
    refused_before = s.cache_count("fill_refused")
    fills_before = s.cache_count("fill")

    result = {}
    reader = threading.Thread(target=lambda: result.setdefault("r", s.get(f"/api/v1/vcons/{u}", timeout=30)))
    reader.start()
    # the reader has taken the lease and read version one; now the row changes and the worker
    # pushes version two (deleting the lease) while the reader sleeps before its fill
    harness_wait(lambda: stack.r.exists(f"{{vcon:{u}}}:lease"), 5)
    time.sleep(0.3)
    stack.pg.sql("UPDATE vcons SET subject = 'version two' WHERE uuid = %s", (u,))
    harness_wait(lambda: (stack.cached(u) or "").find("version two") >= 0, 10)
    reader.join(30)

    r = result["r"]
    assert r.status == 200 and r.cache == "MISS"
    assert r.json()["vcon"]["subject"] == "version one"  # read before the update: fine to serve
    assert s.cache_count("fill_refused") == refused_before + 1
    assert s.cache_count("fill") == fills_before
    # the late fill did not overwrite the worker's newer document
    assert stack.cached(u) == compact(stack.doc(u))
    nxt = s.get(f"/api/v1/vcons/{u}")
    assert nxt.status == 200 and nxt.cache == "HIT" and nxt.json()["vcon"]["subject"] == "version two"


def test_concurrent_misses_coalesce_into_one_fill(stack, slow_fill_server):
    s = slow_fill_server
    u = save(stack.pg, small_vcon(11))
    wait_cached(stack, u)
    stack.r.delete(f"vcon:{u}")
    fills_before = s.cache_count("fill")
    refused_before = s.cache_count("fill_refused")
    replies = []
    lock = threading.Lock()

    def one():
        r = s.get(f"/api/v1/vcons/{u}", timeout=30)
        with lock:
            replies.append(r)

    threads = [threading.Thread(target=one) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(replies) == 20
    assert all(r.status == 200 for r in replies)
    expected = json.loads(stack.doc(u))
    assert all(r.json()["vcon"] == expected for r in replies)
    assert s.cache_count("fill") == fills_before + 1
    assert s.cache_count("fill_refused") == refused_before
    assert stack.cached(u) == compact(stack.doc(u))


def test_miss_fill_sets_the_configured_ttl(stack, tmp_path):
    with CacheServer(stack, tmp_path, env={"VCON_REDIS_EXPIRY": "123"}) as s:
        s.wait_up()
        u = save(stack.pg, small_vcon(12))
        wait_cached(stack, u)
        stack.r.delete(f"vcon:{u}")
        assert s.get(f"/api/v1/vcons/{u}").cache == "MISS"
        ttl = stack.r.ttl(f"vcon:{u}")
        assert 100 <= ttl <= 123
        assert not stack.r.exists(f"{{vcon:{u}}}:lease")


def harness_wait(pred, timeout):
    import harness
    return harness.wait_for(pred, timeout, interval=0.005)
