"""Several drain workers (vcon_redis.workers = 3): each applies only the vCons its uuid hash gives it,
so every event is applied once, by one worker, in order; one row of status() per worker; one
worker's SIGTERM, a Redis outage, dead letters, and a restart with fewer workers lose nothing."""

import os
import re
import signal
import threading
import time

import pytest

import harness
from conftest import barrier, compact, save, save_each, serving_stack, small_vcon
from test_resilience import _assert_pushed_once, _bulk

WORKERS = 3


@pytest.fixture(scope="module")
def wstack(tmp_path_factory):
    base = harness.make_reachable(tmp_path_factory.mktemp("workers"))
    pg, redis_server = harness.start_stack(base, settings={"vcon_redis.workers": str(WORKERS)})
    yield from serving_stack(pg, redis_server)


def _applied(stack) -> int:
    return sum(r["events_applied"] for r in stack.statuses())


def _owner(stack, vcon_uuid: str) -> int:
    rows = stack.pg.sql("SELECT w FROM generate_series(0, %s - 1) w WHERE vcon_redis._worker_owns(%s, %s, w)",
                        (WORKERS, vcon_uuid, WORKERS))
    assert len(rows) == 1, f"{vcon_uuid} is owned by {len(rows)} workers"
    return rows[0][0]


def test_status_has_one_row_per_worker(wstack):
    rows = wstack.statuses()
    assert [r["worker"] for r in rows] == list(range(WORKERS))
    pids = {r["worker_pid"] for r in rows}
    assert len(pids) == WORKERS and None not in pids
    names = wstack.pg.sql("SELECT pid, application_name FROM pg_stat_activity "
                          "WHERE backend_type = 'vcon_redis worker'")
    assert {pid: name for pid, name in names} == {r["worker_pid"]: f"vcon_redis worker {r['worker']}" for r in rows}
    # the same settings on every row, and the backlogs add up to the outbox
    assert len({(r["redis_url"], r["attached_schema"], r["worker_database"]) for r in rows}) == 1
    with wstack.pg.connect(autocommit=False) as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO vcon_redis.outbox (vcon_uuid) SELECT gen_random_uuid() FROM generate_series(1, 300)")
        cur.execute("SELECT sum(backlog), count(*) FILTER (WHERE backlog > 0) FROM vcon_redis.status()")
        total, nonempty = cur.fetchone()
        assert total >= 300 and nonempty == WORKERS
        conn.rollback()


def test_every_vcon_is_owned_by_exactly_one_worker(wstack):
    rows = wstack.pg.sql(
        "SELECT count(*) FILTER (WHERE n <> 1), count(DISTINCT w) FROM ("
        "  SELECT u, count(*) AS n, min(w) AS w FROM (SELECT gen_random_uuid() AS u FROM generate_series(1, 3000)) g"
        "  CROSS JOIN generate_series(0, 2) w WHERE vcon_redis._worker_owns(u, 3, w) GROUP BY u) o")
    assert rows[0] == (0, WORKERS)
    # one worker owns everything
    assert wstack.pg.sql("SELECT bool_and(vcon_redis._worker_owns(gen_random_uuid(), 1, 0)) "
                         "FROM generate_series(1, 100)")[0][0]


def test_the_partition_read_stays_an_index_scan_in_id_order(wstack):
    """The worker's read with a large outbox: the id index, not a sort of the whole table."""
    with wstack.pg.connect(autocommit=False) as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO vcon_redis.outbox (vcon_uuid) SELECT gen_random_uuid() FROM generate_series(1, 100000)")
        cur.execute("ANALYZE vcon_redis.outbox")
        for where in ("", "id > 5 AND "):
            cur.execute("EXPLAIN SELECT id FROM vcon_redis.outbox WHERE " + where +
                        "(3 = 1 OR vcon_redis._worker_owns(vcon_uuid, 3, 1)) ORDER BY id LIMIT 500")
            plan = "\n".join(r[0] for r in cur.fetchall())
            assert "Index Scan using outbox_pkey" in plan and "Sort" not in plan, plan
        conn.rollback()


def _monitor(stack, stop: threading.Event, seen: list[str]):
    with stack.r.monitor() as m:
        for command in m.listen():
            seen.append(command["command"])
            if stop.is_set():
                return


def test_interleaved_updates_apply_once_in_order_and_converge(wstack):
    """Many vCons, each updated many times in its own transactions by interleaving writers: every
    event is applied once (the workers' counters add up to the events committed), a vCon's document
    in Redis never moves backwards, the last committed one wins, each creation is pushed once."""
    writers, per_writer, rounds = 4, 12, 8
    barrier(wstack)
    applied_before = _applied(wstack)
    stop, seen = threading.Event(), []
    monitor = threading.Thread(target=_monitor, args=(wstack, stop, seen), daemon=True)
    monitor.start()
    time.sleep(0.2)
    uuids: list[list[str]] = [[] for _ in range(writers)]

    def writer(k: int):
        uuids[k] = save_each(wstack.pg, per_writer, "q_workers", first=k * 100, subject="v0")
        with wstack.pg.connect(autocommit=False) as conn, conn.cursor() as cur:
            for r in range(1, rounds + 1):
                for u in uuids[k]:
                    cur.execute("UPDATE vcons SET subject = %s WHERE uuid = %s", (f"v{r}", u))
                    conn.commit()

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    all_uuids = [u for us in uuids for u in us]
    last = barrier(wstack)
    stop.set()
    wstack.r.set("monitor-wakeup", "1")
    monitor.join(10)

    events = len(all_uuids) * (1 + rounds) + 1  # + the barrier's vCon
    assert _applied(wstack) - applied_before == events, "an event was applied twice, or never"
    wstack.assert_converged(all_uuids + [last])
    for u in all_uuids:
        assert f'"subject":"v{rounds}"' in wstack.cached(u)
    _assert_pushed_once(wstack, "q_workers", all_uuids)
    assert len({_owner(wstack, u) for u in all_uuids}) == WORKERS, "some worker owned none of 48 vCons"

    # Redis never went backwards for a key: each document SET carries a subject at least the last one
    newest: dict[str, int] = {}
    for command in seen:
        m = re.search(r"vcon:([0-9a-f-]{36}).*?subject\\*\":\\*\"v(\d+)", command)
        if not m:
            continue
        u, v = m.group(1), int(m.group(2))
        assert v >= newest.get(u, 0), f"vcon:{u} went from v{newest[u]} back to v{v}"
        newest[u] = v
    assert set(newest) >= set(all_uuids), "MONITOR missed document writes"


def test_sigterm_of_one_worker_restarts_it_and_others_drain_on(wstack):
    uuids = _bulk(wstack, 3000, "q_w_term", seed=21)
    harness.wait_for(lambda: wstack.r.llen("q_w_term") > 0, 20, interval=0.001, what="drain to start")
    victim = wstack.statuses()[1]
    wstack.pg.sql("SELECT pg_terminate_backend(%s)", (victim["worker_pid"],))
    # the others carry on while worker 1 waits for its restart (bgw_restart_time 5 s)
    harness.wait_for(lambda: [r["backlog"] for r in wstack.statuses()][0::2] == [0, 0], 30, what="workers 0, 2 drain")
    harness.wait_for(lambda: wstack.statuses()[1]["worker_pid"] not in (None, victim["worker_pid"]), 30,
                     interval=0.2, what="worker 1 restart")
    wstack.wait_drained(60)
    wstack.assert_converged(uuids)
    _assert_pushed_once(wstack, "q_w_term", uuids)


def test_one_worker_killed_mid_drain_loses_nothing_and_pushes_once(wstack):
    uuids = _bulk(wstack, 3000, "q_w_kill", seed=22)
    harness.wait_for(lambda: wstack.r.llen("q_w_kill") > 0, 20, interval=0.001, what="drain to start")
    victim = wstack.statuses()[2]["worker_pid"]
    os.kill(victim, signal.SIGKILL)  # a crash: the postmaster restarts every backend
    harness.wait_for(lambda: _restarted(wstack, victim), 60, interval=0.2, what="workers restart")
    wstack.wait_drained(60)
    wstack.assert_converged(uuids)
    _assert_pushed_once(wstack, "q_w_kill", uuids)


def _restarted(stack, old_pid: int) -> bool:
    try:
        rows = stack.statuses()
    except Exception:
        return False
    return all(r["worker_pid"] not in (None, old_pid) for r in rows)


def test_redis_outage_every_worker_reports_and_resumes(wstack):
    wstack.redis_server.stop()
    try:
        uuids = save_each(wstack.pg, 60, "q_w_outage")
        harness.wait_for(lambda: all(r["last_error"] and r["worker_state"] in ("redis_down", "connecting")
                                     for r in wstack.statuses()), 20, what="every worker to report the outage")
        assert sum(r["backlog"] for r in wstack.statuses()) >= 60
    finally:
        wstack.redis_server.start()
    wstack.wait_drained(30)
    wstack.assert_converged(uuids)
    _assert_pushed_once(wstack, "q_w_outage", uuids)


def test_a_poison_vcon_is_dead_lettered_by_its_owner_while_others_flow(wstack):
    poison = small_vcon(9100)
    save(wstack.pg, poison)
    barrier(wstack)
    wstack.pg.sql("INSERT INTO dialog (vcon_id, dialog_index, type, body, body_json, encoding) "
                  "VALUES (%s, 99, 'text', 'not json {', true, 'json')", (poison["uuid"],))
    others = [save(wstack.pg, small_vcon(9200 + i)) for i in range(30)]
    harness.wait_for(lambda: wstack.status()["dead_letters"] == 1, 30, what="the dead letter")
    barrier(wstack)
    assert wstack.cached(poison["uuid"]) is None
    for u in others:
        assert wstack.cached(u) == compact(wstack.doc(u))
    assert wstack.pg.sql("SELECT vcon_uuid::text FROM vcon_redis.dead_letters") == [(poison["uuid"],)]
    wstack.pg.sql("DELETE FROM dialog WHERE vcon_id = %s AND dialog_index = 99", (poison["uuid"],))
    assert wstack.pg.sql("SELECT vcon_redis.retry_dead_letters()")[0][0] == 1
    barrier(wstack)
    wstack.assert_converged([poison["uuid"]])


def test_fewer_workers_after_a_restart_apply_what_the_others_left(wstack):
    """Events waiting for 3 workers are applied, once, by 2 after a restart, then by 1."""
    wstack.redis_server.stop()
    try:
        uuids = _bulk(wstack, 600, "q_w_shrink", seed=23)
        with wstack.pg.connect(autocommit=False) as conn, conn.cursor() as cur:
            for u in uuids[:200]:
                cur.execute("UPDATE vcons SET subject = 'after' WHERE uuid = %s", (u,))
                conn.commit()
        wstack.pg.write_settings(**{"vcon_redis.workers": "2"})
        wstack.pg.restart()
        assert [r["worker"] for r in wstack.statuses()] == [0, 1]
        assert sum(r["backlog"] for r in wstack.statuses()) == 800
    finally:
        wstack.redis_server.start()
    wstack.wait_drained(60)
    wstack.assert_converged(uuids)
    _assert_pushed_once(wstack, "q_w_shrink", uuids)
    wstack.pg.write_settings(**{"vcon_redis.workers": "1"})
    wstack.pg.restart()
    assert len(wstack.statuses()) == 1
    u = barrier(wstack)
    wstack.assert_converged([u])
    wstack.pg.write_settings(**{"vcon_redis.workers": str(WORKERS)})
    wstack.pg.restart()
    wstack.wait_workers_up()


def test_more_workers_than_worker_processes_refuse_to_start(tmp_path):
    base = harness.make_reachable(tmp_path)
    pg = harness.PgCluster(base / "pg", settings={"vcon_redis.workers": "9", "max_worker_processes": "8"}).init()
    try:
        with pytest.raises(Exception):
            pg.start()
        assert "vcon_redis.workers (9) exceeds max_worker_processes (8)" in pg.log.read_text()
    finally:
        pg.destroy()
