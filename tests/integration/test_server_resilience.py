"""vcon-cache-server under trouble: Redis killed and restarted under load, PostgreSQL stopped,
512 open connections (idle and slowloris), clean SIGTERM."""

import signal
import socket
import threading
import time
import uuid as uuidlib

import harness
from cache_server import CacheServer, wait_cached
from conftest import save, small_vcon


def _load(server, uuids, stop, out, lock):
    conn = server.connection(timeout=10)
    i = 0
    while not stop.is_set():
        u = uuids[i % len(uuids)]
        i += 1
        try:
            r = server.get(f"/api/v1/vcons/{u}", conn=conn)
            with lock:
                out.append((time.monotonic(), r.status, r.cache))
        except OSError as e:  # a broken keep-alive connection is a failure too
            with lock:
                out.append((time.monotonic(), 0, repr(e)))
            conn = server.connection(timeout=10)


def test_redis_killed_and_restarted_under_load(stack, tmp_path):
    uuids = [save(stack.pg, small_vcon(100 + i)) for i in range(10)]
    for u in uuids:
        wait_cached(stack, u)
    with CacheServer(stack, tmp_path, args=("--redis-timeout-ms", "100")) as s:
        stop, lock, out = threading.Event(), threading.Lock(), []
        workers = [threading.Thread(target=_load, args=(s, uuids, stop, out, lock)) for _ in range(4)]
        for w in workers:
            w.start()
        try:
            time.sleep(1)
            stack.redis_server.kill()
            killed = time.monotonic()
            time.sleep(2)
            stack.redis_server.start()  # same port, empty
            restarted = time.monotonic()
            harness.wait_for(lambda: any(t > restarted and c == "HIT" for t, _, c in list(out)), 20,
                             what="HITs after Redis came back")
            time.sleep(0.5)
        finally:
            stop.set()
            for w in workers:
                w.join(30)
        statuses = {st for _, st, _ in out}
        assert statuses == {200}, f"non-200 replies while Redis was down: {statuses}"
        assert any(killed < t < restarted and c == "BYPASS" for t, _, c in out)
        assert any(t < killed and c == "HIT" for t, _, c in out)
        assert s.metrics()["vcon_redis_up"] == 1
        # never a hang: the slowest request stays near the Redis deadline, far below the client timeout
        assert len(out) > 100


def test_postgres_down_serves_hits_and_503s_misses(stack, tmp_path):
    cached = save(stack.pg, small_vcon(200))
    uncached = save(stack.pg, small_vcon(201))
    wait_cached(stack, cached)
    wait_cached(stack, uncached)
    stack.r.delete(f"vcon:{uncached}")
    with CacheServer(stack, tmp_path) as s:
        s.wait_up()  # both connected before PostgreSQL goes: the HIT below needs Redis, not luck
        stack.pg.stop()
        try:
            hit = s.get(f"/api/v1/vcons/{cached}")
            assert hit.status == 200 and hit.cache == "HIT"
            miss = s.get(f"/api/v1/vcons/{uncached}")
            assert miss.status == 503 and miss.json()["success"] is False
            assert miss.headers["content-type"] == "application/json"
            assert s.get("/api/v1/vcons?limit=1").status == 503
            h = harness.wait_for(lambda: (lambda r: r if r.json()["postgres"] == "down" else None)(s.get("/healthz")),
                                 10, what="/healthz to report postgres down")
            assert h.status == 200 and h.json()["redis"] == "up"
            assert s.metrics()['vcon_backend_errors_total{backend="postgres"}'] >= 1
        finally:
            stack.pg.start()
        harness.wait_for(lambda: s.get(f"/api/v1/vcons/{uncached}").status == 200, 20,
                         what="misses to work again after PostgreSQL restarted")
        assert s.get("/healthz").json()["postgres"] == "up"


def test_both_backends_down_healthz_503(stack, tmp_path):
    # nothing listens on these ports
    with CacheServer(stack, tmp_path, args=("--pg-connect-timeout", "2"),
                     env={"DATABASE_URL": f"postgresql://postgres@127.0.0.1:{harness.free_port()}/postgres",
                          "REDIS_URL": f"redis://127.0.0.1:{harness.free_port()}/0"}) as s:
        r = harness.wait_for(lambda: (lambda x: x if x.status == 503 else None)(s.get("/healthz")), 10,
                             what="/healthz 503")
        assert r.json() == {"status": "unavailable", "postgres": "down", "redis": "down", "cache": "unknown"}
        assert s.get(f"/api/v1/vcons/{uuidlib.uuid4()}").status == 503


def test_512_connections_idle_and_slowloris_do_not_block_others(stack, tmp_path):
    with CacheServer(stack, tmp_path, args=("--request-timeout", "4")) as s:
        socks, stop = [], threading.Event()
        try:
            for _ in range(256):
                socks.append(socket.create_connection(("127.0.0.1", s.port), timeout=10))
            slow = []
            for _ in range(256):
                c = socket.create_connection(("127.0.0.1", s.port), timeout=10)
                c.sendall(b"GET /healthz HTTP/1.1\r\n")
                slow.append(c)
            socks += slow

            def drip():  # a byte per second on every slow connection
                while not stop.wait(1):
                    for c in slow:
                        try:
                            c.send(b"X")
                        except OSError:
                            pass

            dripper = threading.Thread(target=drip)
            dripper.start()
            time.sleep(0.5)
            times = []
            for _ in range(20):
                t0 = time.monotonic()
                r = s.get("/healthz", timeout=5)
                times.append(time.monotonic() - t0)
                assert r.status == 200
            assert max(times) < 0.5, times
            assert s.metrics()["vcon_http_connections"] >= 512
            # the slow clients are cut at the request timeout
            harness.wait_for(lambda: s.metrics()["vcon_http_connections"] < 300, 15,
                             what="slowloris connections to be closed")
        finally:
            stop.set()
            for c in socks:
                c.close()


def test_sigterm_finishes_in_flight_requests_and_exits_0(stack, tmp_path):
    u = save(stack.pg, small_vcon(300))
    wait_cached(stack, u)
    stack.r.delete(f"vcon:{u}")
    s = CacheServer(stack, tmp_path, env={"VCON_TEST_FILL_DELAY_MS": "1000"})
    # Redis and PostgreSQL both reachable and the cache maintained, so the read below is a MISS
    # that fills (the server answers before its connections are up, serving BYPASS until then)
    # (/healthz is 200 with either backend up; "redis" is "up" once every io thread's connection is)
    harness.wait_for(lambda: s.get("/healthz").json() == {"status": "ok", "postgres": "up", "redis": "up",
                                                          "cache": "maintained"},
                     20, what="the server's Redis and PostgreSQL connections")
    idle = socket.create_connection(("127.0.0.1", s.port), timeout=10)
    result = {}
    t = threading.Thread(target=lambda: result.setdefault("r", s.get(f"/api/v1/vcons/{u}", timeout=20)))
    t.start()
    time.sleep(0.3)
    t0 = time.monotonic()
    s.proc.send_signal(signal.SIGTERM)
    t.join(20)
    assert result["r"].status == 200 and result["r"].cache == "MISS"
    assert s.proc.wait(15) == 0, s.log()
    assert time.monotonic() - t0 < 10
    assert idle.recv(10) == b""  # the idle keep-alive connection was closed
    idle.close()
    s.stop()
    # no new connections after the stop
    try:
        socket.create_connection(("127.0.0.1", s.port), timeout=2).close()
        refused = False
    except OSError:
        refused = True
    assert refused
