"""Nothing committed is lost and nothing is pushed twice: Redis outages, a killed worker, an
immediate shutdown, a new redis_url on SIGHUP, a cluster without the preloaded worker."""

import os
import signal
import subprocess
import time

import harness
from conftest import Stack, barrier, save, save_each, small_vcon


def _bulk(stack: Stack, n: int, list_name: str, seed: int) -> list[str]:
    """n generated vCons committed in one transaction, each routed to list_name."""
    out = subprocess.run([str(harness.generator_bin()), "--count", str(n), "--seed", str(seed),
                          "--size", "small", "--format", "jsonl"], check=True, capture_output=True,
                         text=True).stdout
    docs = [line for line in out.splitlines() if line.strip()]
    with stack.pg.connect(autocommit=False) as conn, conn.cursor() as cur:
        cur.execute(f"SET LOCAL vcon_redis.ingress_lists = '{list_name}'")
        cur.execute("CREATE TEMP TABLE staging (doc jsonb) ON COMMIT DROP")
        cur.execute("INSERT INTO staging SELECT jsonb_array_elements(%s::jsonb)", ("[" + ",".join(docs) + "]",))
        cur.execute("SELECT vcon_redis.save_vcon(doc)::text FROM staging")
        uuids = [r[0] for r in cur.fetchall()]
        conn.commit()
    return uuids


def _assert_pushed_once(stack: Stack, list_name: str, uuids: list[str]):
    pushed = stack.r.lrange(list_name, 0, -1)
    assert len(pushed) == len(set(pushed)), "a uuid was pushed twice"
    assert set(pushed) == set(uuids)


def test_redis_down_commits_at_normal_speed_and_backlog_drains(stack):
    stack.redis_server.stop()
    try:
        t0 = time.monotonic()
        uuids = save_each(stack.pg, 50, "q_outage")
        elapsed = time.monotonic() - t0
        assert elapsed < 5, f"50 commits took {elapsed:.2f}s with Redis down"
        st = harness.wait_for(lambda: (lambda s: s if s["last_error"] else None)(stack.status()), 10,
                              what="status to report the Redis error")
        assert st["backlog"] >= 50
        assert st["worker_state"] in ("redis_down", "connecting")
    finally:
        stack.redis_server.start()
    stack.wait_drained(30)
    stack.assert_converged(uuids)
    _assert_pushed_once(stack, "q_outage", uuids)


def test_redis_hanging_does_not_block_commits_or_shutdown(stack):
    u0 = save(stack.pg, small_vcon(60))
    barrier(stack)
    stack.redis_server.pause()
    try:
        t0 = time.monotonic()
        u = save(stack.pg, small_vcon(61))
        assert time.monotonic() - t0 < 1
        time.sleep(1)
        # SIGHUP while the worker waits on a hung Redis must be handled promptly.
        stack.pg.reload()
    finally:
        stack.redis_server.resume()
    harness.wait_for(lambda: stack.cached(u) is not None, 30, what="drain after Redis resumed")
    assert stack.cached(u0) is not None


def test_worker_killed_mid_drain_loses_nothing_and_pushes_once(stack):
    uuids = _bulk(stack, 3000, "q_kill", seed=11)
    pid = harness.wait_for(stack.pg.worker_pid, 10, what="worker pid")
    harness.wait_for(lambda: stack.r.llen("q_kill") > 0, 20, interval=0.001, what="drain to start")
    os.kill(pid, signal.SIGKILL)
    # The postmaster treats it as a crash: every backend restarts, then the worker resumes.
    harness.wait_for(lambda: _worker_back(stack, pid), 60, interval=0.2, what="worker restart")
    stack.wait_drained(60)
    stack.assert_converged(uuids)
    _assert_pushed_once(stack, "q_kill", uuids)


def _worker_back(stack: Stack, old_pid: int):
    try:
        pid = stack.pg.worker_pid()
    except Exception:
        return None
    return pid if pid and pid != old_pid else None


def test_immediate_shutdown_mid_drain_loses_nothing_and_pushes_once(stack):
    uuids = _bulk(stack, 3000, "q_immediate", seed=12)
    harness.wait_for(lambda: stack.r.llen("q_immediate") > 0, 20, interval=0.001, what="drain to start")
    stack.pg.stop("immediate")
    stack.pg.start()
    stack.wait_drained(60)
    stack.assert_converged(uuids)
    _assert_pushed_once(stack, "q_immediate", uuids)


def test_sighup_switches_to_a_new_redis_url(stack):
    other = harness.RedisServer(stack.redis_server.base.parent / "redis2").start()
    try:
        stack.pg.sql("ALTER SYSTEM SET vcon_redis.redis_url = %s", (other.url(),))
        stack.pg.reload()
        harness.wait_for(lambda: stack.status()["redis_url"].endswith(f":{other.port}/0"), 10,
                         what="worker to pick up the new URL")
        u = save(stack.pg, small_vcon(70))
        harness.wait_for(lambda: other.client().get(f"vcon:{u}") is not None, 10, what="SET on new Redis")
        assert stack.cached(u) is None
    finally:
        stack.pg.sql("ALTER SYSTEM RESET vcon_redis.redis_url")
        stack.pg.reload()
        other.destroy()
    barrier(stack)


def test_sigterm_of_worker_restarts_it(stack):
    pid = harness.wait_for(stack.pg.worker_pid, 10, what="worker pid")
    stack.pg.sql("SELECT pg_terminate_backend(%s)", (pid,))
    harness.wait_for(lambda: _worker_back(stack, pid), 30, interval=0.2, what="worker restart after SIGTERM")
    barrier(stack)


def test_without_preload_events_wait_and_status_says_why(tmp_path):
    pg = harness.PgCluster(harness.make_reachable(tmp_path) / "pg", preload=False).init().start()
    try:
        pg.sql("CREATE EXTENSION vcon_redis")
        pg.sql("SELECT vcon_redis.attach()")
        save(pg, small_vcon(80))
        row = pg.sql("SELECT worker_state, backlog FROM vcon_redis.status()")[0]
        assert row == ("not_preloaded", 1)
        assert not pg.crashes()
    finally:
        pg.destroy()


def test_worker_survives_drop_and_create_extension(stack):
    """The worker keeps its statements planned; DDL under it must re-plan, not break it."""
    u = save(stack.pg, small_vcon(90))
    barrier(stack)
    pid = stack.pg.worker_pid()
    stack.pg.sql("DROP EXTENSION vcon_redis CASCADE")
    time.sleep(1.5)  # the worker polls a database without the extension
    stack.pg.sql("CREATE EXTENSION vcon_redis")
    stack.pg.sql("SELECT vcon_redis.attach()")
    v = save(stack.pg, small_vcon(91))
    harness.wait_for(lambda: stack.cached(v) is not None, 15, what="drain after re-creating the extension")
    assert stack.pg.worker_pid() == pid, "the worker restarted instead of adapting"
    assert stack.cached(u) is not None
