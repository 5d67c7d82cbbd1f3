"""Commit → Redis: exact keys and list entries; nothing from rollbacks; every kind of SQL write."""

import contextlib
import json
import subprocess
import time

import harness
from conftest import barrier, compact, run_clients, save, small_vcon


def test_commit_sets_key_and_pushes_each_list_once(stack):
    doc = small_vcon(1)
    with stack.pg.connect(autocommit=False) as conn, conn.cursor() as cur:
        cur.execute("SET LOCAL vcon_redis.ingress_lists = 'q_main, q_audit'")
        save(cur, doc)
        conn.commit()
    u = doc["uuid"]
    harness.wait_for(lambda: stack.r.llen("q_audit") == 1, 10, what="push to q_audit")
    assert stack.r.lrange("q_main", 0, -1) == [u]
    assert stack.r.lrange("q_audit", 0, -1) == [u]
    assert stack.cached(u) == compact(stack.doc(u))
    ttl = stack.r.ttl(f"vcon:{u}")
    assert 3500 < ttl <= 3600
    # An update is not a creation: the key changes, nothing is pushed again.
    stack.pg.sql("UPDATE vcons SET subject = 'changed' WHERE uuid = %s", (u,))
    harness.wait_for(lambda: json.loads(stack.cached(u))["subject"] == "changed", 10, what="update")
    barrier(stack)
    assert stack.r.lrange("q_main", 0, -1) == [u]


def test_an_event_is_one_script_call_on_a_standalone_redis(stack):
    """On a standalone Redis a created vCon's document and its pushes are one script call (one round
    trip per batch); in a cluster they are split by slot (test_redis_cluster.py)."""
    def script_calls():
        stats = stack.r.info("commandstats")
        return sum(stats.get(f"cmdstat_{c}", {}).get("calls", 0) for c in ("evalsha", "eval"))

    barrier(stack)
    before = script_calls()
    with stack.pg.connect(autocommit=False) as conn, conn.cursor() as cur:
        cur.execute("SET LOCAL vcon_redis.ingress_lists = 'q_one_a, q_one_b'")
        u = save(cur, small_vcon(5))
        conn.commit()
    harness.wait_for(lambda: stack.r.llen("q_one_b") == 1, 10, what="push to q_one_b")
    stack.wait_drained()
    assert script_calls() - before == 1
    assert stack.r.lrange("q_one_a", 0, -1) == [u]
    assert stack.cached(u) == compact(stack.doc(u))


def test_a_delete_trigger_on_the_outbox_sees_every_applied_event(stack):
    """The worker deletes applied events without SQL only while the outbox has no trigger or row
    security; one added (an audit trigger here) makes it use the DELETE statement, which fires it."""
    stack.pg.sql("""
        CREATE TABLE public.outbox_audit (id bigint, vcon_uuid uuid);
        CREATE FUNCTION public.outbox_audit() RETURNS trigger LANGUAGE plpgsql AS
          $$BEGIN INSERT INTO public.outbox_audit VALUES (OLD.id, OLD.vcon_uuid); RETURN OLD; END$$;
        CREATE TRIGGER audit AFTER DELETE ON vcon_redis.outbox
          FOR EACH ROW EXECUTE FUNCTION public.outbox_audit();""")
    try:
        barrier(stack)
        uuids = [save(stack.pg, small_vcon(700 + i)) for i in range(5)]
        stack.wait_drained()
        audited = {r[0] for r in stack.pg.sql("SELECT vcon_uuid::text FROM public.outbox_audit")}
        assert set(uuids) <= audited
        for u in uuids:
            assert stack.cached(u) == compact(stack.doc(u))
    finally:
        stack.pg.sql("DROP TRIGGER audit ON vcon_redis.outbox; DROP FUNCTION public.outbox_audit();"
                     " DROP TABLE public.outbox_audit")


def test_ingress_lists_setting_is_per_transaction(stack):
    with stack.pg.connect(autocommit=False) as conn, conn.cursor() as cur:
        cur.execute("SET LOCAL vcon_redis.ingress_lists = 'q_local'")
        routed = save(cur, small_vcon(2))
        conn.commit()
        unrouted = save(cur, small_vcon(3))
        conn.commit()
    barrier(stack)
    assert stack.r.lrange("q_local", 0, -1) == [routed]
    assert stack.cached(unrouted) is not None


def test_rollback_and_rolled_back_savepoint_reach_nothing(stack):
    rolled_back = small_vcon(4)
    in_savepoint = small_vcon(5)
    kept = small_vcon(6)
    with stack.pg.connect(autocommit=False) as conn, conn.cursor() as cur:
        cur.execute("SET LOCAL vcon_redis.ingress_lists = 'q_rb'")
        save(cur, rolled_back)
        conn.rollback()
        cur.execute("SET LOCAL vcon_redis.ingress_lists = 'q_rb'")
        save(cur, kept)
        cur.execute("SAVEPOINT s1")
        save(cur, in_savepoint)
        cur.execute("UPDATE vcons SET subject = 'savepoint edit' WHERE uuid = %s", (kept["uuid"],))
        cur.execute("ROLLBACK TO SAVEPOINT s1")
        conn.commit()
    barrier(stack)
    assert stack.cached(rolled_back["uuid"]) is None
    assert stack.cached(in_savepoint["uuid"]) is None
    assert json.loads(stack.cached(kept["uuid"]))["subject"] == kept["subject"]
    assert stack.r.lrange("q_rb", 0, -1) == [kept["uuid"]]


def test_one_event_per_vcon_per_transaction(stack):
    doc = small_vcon(7)
    doc["parties"] = [{"name": f"p{i}", "tel": f"+1555{i:04d}"} for i in range(10)]
    doc["dialog"] = [{"type": "text", "start": "2026-01-02T03:04:05Z", "parties": [i % 10],
                      "mediatype": "text/plain", "encoding": "none", "body": f"line {i}"} for i in range(20)]
    doc["analysis"] = [{"type": "summary", "vendor": "v", "encoding": "none", "body": f"s{i}",
                        "dialog": i} for i in range(10)]
    with stack.pg.connect(autocommit=False) as conn, conn.cursor() as cur:
        save(cur, doc)
        save(cur, doc)  # replacing it in the same transaction still coalesces
        cur.execute("SELECT count(*) FROM vcon_redis.outbox WHERE xid = pg_current_xact_id()")
        assert cur.fetchone()[0] == 1
        conn.commit()
    harness.wait_for(lambda: stack.cached(doc["uuid"]) is not None, 10, what="coalesced vCon")
    assert stack.cached(doc["uuid"]) == compact(stack.doc(doc["uuid"]))


def test_plain_sql_on_every_table_is_captured(stack):
    doc = small_vcon(8)
    u = save(stack.pg, doc)
    harness.wait_for(lambda: stack.cached(u) is not None, 10, what="initial SET")
    stack.pg.sql("UPDATE parties SET name = 'Alicia' WHERE vcon_id = %s AND party_index = 0", (u,))
    harness.wait_for(lambda: json.loads(stack.cached(u))["parties"][0]["name"] == "Alicia", 10,
                     what="party rename")
    stack.pg.sql("""INSERT INTO dialog (vcon_id, dialog_index, type, start_time, parties, mediatype, body, encoding)
                    VALUES (%s, 1, 'text', now(), '{1}', 'text/plain', 'raw insert', 'none')""", (u,))
    harness.wait_for(lambda: len(json.loads(stack.cached(u))["dialog"]) == 2, 10, what="raw dialog insert")
    stack.pg.sql("""INSERT INTO analysis (vcon_id, analysis_index, type, vendor, body, encoding)
                    VALUES (%s, 0, 'summary', 'raw', 'a raw summary', 'none')""", (u,))
    harness.wait_for(lambda: "analysis" in json.loads(stack.cached(u)), 10, what="raw analysis insert")
    stack.pg.sql("DELETE FROM dialog WHERE vcon_id = %s AND dialog_index = 1", (u,))
    harness.wait_for(lambda: len(json.loads(stack.cached(u))["dialog"]) == 1, 10, what="raw dialog delete")
    barrier(stack)
    stack.assert_converged([u])


def test_delete_removes_key_and_lease(stack):
    a = save(stack.pg, small_vcon(9))
    b = save(stack.pg, small_vcon(10))
    barrier(stack)
    stack.r.set(f"{{vcon:{a}}}:lease", "someone-filling", px=60000)
    assert stack.pg.sql("SELECT vcon_redis.delete_vcon(%s)", (a,))[0][0] is True
    stack.pg.sql("DELETE FROM vcons WHERE uuid = %s", (b,))
    harness.wait_for(lambda: stack.cached(a) is None and stack.cached(b) is None, 10, what="DELs")
    assert stack.r.exists(f"{{vcon:{a}}}:lease") == 0


def test_every_change_deletes_the_fill_lease(stack):
    u = save(stack.pg, small_vcon(11))
    barrier(stack)
    stack.r.set(f"{{vcon:{u}}}:lease", "a-reader-token", px=60000)
    stack.pg.sql("UPDATE vcons SET subject = 'lease test' WHERE uuid = %s", (u,))
    harness.wait_for(lambda: stack.r.exists(f"{{vcon:{u}}}:lease") == 0, 10, what="lease deleted")
    assert json.loads(stack.cached(u))["subject"] == "lease test"


def test_truncate_child_and_parent(stack):
    uuids = [save(stack.pg, small_vcon(20 + i)) for i in range(5)]
    barrier(stack)
    stack.pg.sql("TRUNCATE dialog CASCADE")
    harness.wait_for(lambda: all("dialog" not in json.loads(stack.cached(u)) for u in uuids), 10,
                     what="re-SET after TRUNCATE dialog")
    stack.pg.sql("TRUNCATE vcons CASCADE")
    harness.wait_for(lambda: all(stack.cached(u) is None for u in uuids), 10, what="DEL after TRUNCATE vcons")


def test_cache_mode_invalidate_then_off(stack):
    def set_mode(mode):
        stack.pg.sql(f"ALTER SYSTEM SET vcon_redis.cache_mode = '{mode}'")
        stack.pg.reload()
        time.sleep(0.5)

    try:
        set_mode("invalidate")
        u = save(stack.pg, small_vcon(30))
        harness.wait_for(lambda: stack.cached(u) is not None, 10, what="insert still SETs")
        stack.pg.sql("UPDATE vcons SET subject = 'x' WHERE uuid = %s", (u,))
        harness.wait_for(lambda: stack.cached(u) is None, 10, what="update DELs in invalidate mode")
        set_mode("off")
        with stack.pg.connect(autocommit=False) as conn, conn.cursor() as cur:
            cur.execute("SET LOCAL vcon_redis.ingress_lists = 'q_off'")
            v = save(cur, small_vcon(31))
            conn.commit()
        harness.wait_for(lambda: stack.r.llen("q_off") == 1, 10, what="push in off mode")
        assert stack.cached(v) is None
    finally:
        stack.pg.sql("ALTER SYSTEM RESET vcon_redis.cache_mode")
        stack.pg.reload()
        time.sleep(0.5)


def test_batch_delay_gathers_a_stream_of_commits(stack):
    """Commits that keep arriving right after a batch wait vcon_redis.batch_delay for each other and
    share one batch (without it, each commit 20 ms apart is a batch of its own); order and the
    pushes stay exact."""
    def worker_batches():
        return stack.pg.sql("SELECT batches FROM vcon_redis._worker_state()")[0][0]

    stack.pg.sql("ALTER SYSTEM SET vcon_redis.batch_delay = 400")
    stack.pg.reload()
    time.sleep(0.5)
    try:
        barrier(stack)
        before = worker_batches()
        uuids = []
        with contextlib.closing(stack.pg.connect()) as conn, conn.cursor() as cur:
            cur.execute("SET vcon_redis.ingress_lists = 'q_gather'")
            for i in range(6):  # the first is applied at once; the others, within 50 ms of it, gather
                uuids.append(save(cur, small_vcon(60 + i)))
                time.sleep(0.02)
        harness.wait_for(lambda: stack.r.llen("q_gather") == len(uuids), 10, what="the gathered pushes")
        assert worker_batches() - before <= 3
        assert stack.r.lrange("q_gather", 0, -1) == uuids
        stack.assert_converged(uuids)
    finally:
        stack.pg.sql("ALTER SYSTEM RESET vcon_redis.batch_delay")
        stack.pg.reload()
        time.sleep(0.5)


def test_a_late_commit_below_a_drained_bulk_is_applied(stack):
    """Outbox ids are taken at insert, not at commit: an event whose transaction commits after a bulk
    with higher ids was drained in full batches (which read after the previous batch's last id) is
    still read and applied, and the bulk's pushes stay exact."""
    stack.pg.sql("ALTER SYSTEM SET vcon_redis.batch_size = 10")
    stack.pg.reload()
    time.sleep(0.5)
    try:
        barrier(stack)
        with contextlib.closing(stack.pg.connect(autocommit=False)) as late, late.cursor() as lcur:
            late_uuid = save(lcur, small_vcon(90))  # its outbox id is below the bulk's; not committed
            with contextlib.closing(stack.pg.connect(autocommit=False)) as bulk, bulk.cursor() as cur:
                cur.execute("SET LOCAL vcon_redis.ingress_lists = 'q_late'")
                uuids = [save(cur, small_vcon(100 + i)) for i in range(95)]
                bulk.commit()
            harness.wait_for(lambda: stack.r.llen("q_late") == len(uuids), 30, what="the bulk's pushes")
            assert stack.cached(late_uuid) is None
            late.commit()
        harness.wait_for(lambda: stack.cached(late_uuid) is not None, 10, what="the late commit in Redis")
        assert stack.r.lrange("q_late", 0, -1) == uuids
        stack.wait_drained()
        stack.assert_converged(uuids + [late_uuid])
    finally:
        stack.pg.sql("ALTER SYSTEM RESET vcon_redis.batch_size")
        stack.pg.reload()
        time.sleep(0.5)


def test_resync_restores_a_flushed_cache(stack):
    uuids = [save(stack.pg, small_vcon(40 + i)) for i in range(10)]
    barrier(stack)
    stack.r.flushdb()
    n = stack.pg.sql("SELECT vcon_redis.resync()")[0][0]
    assert n >= 10
    stack.wait_drained()
    stack.assert_converged(uuids)


def test_concurrent_clients_converge_and_push_once(stack):
    """1 000 small transactions from 8 clients, creates and updates of shared vCons interleaved."""
    shared = [save(stack.pg, small_vcon(100 + i)) for i in range(20)]
    created: list[list[str]] = [[] for _ in range(8)]

    def client(k: int):
        with contextlib.closing(stack.pg.connect(autocommit=False)) as conn, conn.cursor() as cur:
            for i in range(125):
                if i % 3 == 0:
                    cur.execute("UPDATE vcons SET subject = %s WHERE uuid = %s",
                                (f"client {k} step {i}", shared[(k * 7 + i) % len(shared)]))
                else:
                    cur.execute("SET LOCAL vcon_redis.ingress_lists = 'q_conc'")
                    created[k].append(save(cur, small_vcon(1000 * k + i)))
                conn.commit()

    run_clients(8, client)
    stack.wait_drained(60)
    stack.assert_converged()
    pushed = stack.r.lrange("q_conc", 0, -1)
    expected = [u for c in created for u in c]
    assert len(pushed) == len(set(pushed)) == len(expected)
    assert set(pushed) == set(expected)
    # Per client, pushes follow commit order.
    for c in created:
        positions = [pushed.index(u) for u in c]
        assert positions == sorted(positions)


def test_password_is_masked(stack):
    with contextlib.closing(stack.pg.connect()) as conn, conn.cursor() as cur:
        cur.execute("SET log_statement = 'all'")  # the statement text itself must be masked too
        try:
            cur.execute("ALTER SYSTEM SET vcon_redis.redis_url = 'rediss://u:s3cret-Pa55@127.0.0.1:0/0'")
        except Exception:
            pass  # port 0 is refused: that ERROR and its STATEMENT line are logged
        else:
            raise AssertionError("port 0 should be refused")
        cur.execute("ALTER SYSTEM SET vcon_redis.redis_url = %s",
                    (f"redis://worker:s3cret-Pa55@127.0.0.1:{stack.redis_server.port}/0",))
    try:
        stack.pg.reload()
        time.sleep(0.5)
        shown = stack.pg.sql("SHOW vcon_redis.redis_url")[0][0]
        assert "s3cret-Pa55" not in shown
        settings = stack.pg.sql("SELECT setting FROM pg_settings WHERE name = 'vcon_redis.redis_url'")
        assert all("s3cret-Pa55" not in (row[0] or "") for row in settings)
        assert "s3cret-Pa55" not in (stack.status()["redis_url"] or "")
        save(stack.pg, small_vcon(50))  # the worker tries (and fails: no such user) to use it
        time.sleep(1.5)
        log = stack.pg.log.read_text(errors="replace")
        assert "s3cret-Pa55" not in log
        assert "worker:***@127.0.0.1" in log  # the reload line was logged, masked
        assert "s3cret-Pa55" not in (stack.status()["last_error"] or "")
    finally:
        stack.pg.sql("ALTER SYSTEM RESET vcon_redis.redis_url")
        stack.pg.reload()
    stack.wait_drained()


def test_large_documents_round_trip(stack):
    """1 MB vCons: the worker copies each document out of memory it frees between fetches."""
    out = subprocess.run([str(harness.generator_bin()), "--count", "12", "--seed", "77", "--bytes", "1m",
                          "--format", "jsonl"], check=True, capture_output=True, text=True).stdout
    uuids = []
    with stack.pg.connect(autocommit=False) as conn, conn.cursor() as cur:
        cur.execute("SET LOCAL vcon_redis.ingress_lists = 'q_large'")
        for line in out.splitlines():
            cur.execute("SELECT vcon_redis.save_vcon(%s::jsonb)::text", (line,))
            uuids.append(cur.fetchone()[0])
        conn.commit()
    stack.wait_drained(60)
    for u in uuids:
        assert len(stack.cached(u)) > 900_000
    stack.assert_converged(uuids)
    assert stack.r.lrange("q_large", 0, -1) == uuids


def test_subtransactions_and_resync_around_directly_written_events(stack):
    """The triggers write a vCon's first event of a transaction without ON CONFLICT and remember it
    per subtransaction: a savepoint that rolls back after recording (with a released one inside)
    takes its event, and the next change records the vCon again; resync() in the same transaction
    makes them coalesce with its rows, and a creation after it still pushes once."""
    changed, resynced, created = small_vcon(60), small_vcon(61), small_vcon(62)
    save(stack.pg, changed)
    save(stack.pg, resynced)
    barrier(stack)
    stack.r.delete(f"vcon:{resynced['uuid']}")
    with stack.pg.connect(autocommit=False) as conn, conn.cursor() as cur:
        cur.execute("SET LOCAL vcon_redis.ingress_lists = 'q_sub'")
        cur.execute("SAVEPOINT outer_sp")
        cur.execute("SAVEPOINT inner_sp")
        cur.execute("UPDATE vcons SET subject = 'rolled back' WHERE uuid = %s", (changed["uuid"],))
        cur.execute("RELEASE SAVEPOINT inner_sp")
        cur.execute("ROLLBACK TO SAVEPOINT outer_sp")
        cur.execute("UPDATE vcons SET subject = 'kept' WHERE uuid = %s", (changed["uuid"],))
        cur.execute("SELECT vcon_redis.resync(%s::uuid[])", ([resynced["uuid"]],))
        save(cur, created)
        cur.execute("UPDATE vcons SET subject = 'after resync' WHERE uuid = %s", (created["uuid"],))
        cur.execute("SELECT vcon_uuid::text, created FROM vcon_redis.outbox WHERE xid = pg_current_xact_id()")
        assert sorted(cur.fetchall()) == sorted([(changed["uuid"], False), (resynced["uuid"], False),
                                                 (created["uuid"], True)])
        conn.commit()
    barrier(stack)
    assert json.loads(stack.cached(changed["uuid"]))["subject"] == "kept"
    assert json.loads(stack.cached(created["uuid"]))["subject"] == "after resync"
    assert stack.r.lrange("q_sub", 0, -1) == [created["uuid"]]
    stack.assert_converged([changed["uuid"], resynced["uuid"], created["uuid"]])
