"""Nothing can stall the outbox: an event that fails for good is dead-lettered (its cache key
removed) while every other event flows; transient failures wait and retry; retry and discard."""

import json
import time

import harness
from conftest import barrier, compact, run_clients, save, small_vcon

APP_ROLE = "vr_dead_app"


# Another client inserts a dialog row that claims a JSON body (our body_json column) holding text
# that is not JSON: the vCon's document cannot be built (a data error of this vCon alone).
POISON_SQL = ("INSERT INTO dialog (vcon_id, dialog_index, type, body, body_json, encoding) "
              "VALUES (%s, 99, 'text', 'not json {', true, 'json')")
CURE_SQL = "DELETE FROM dialog WHERE vcon_id = %s AND dialog_index = 99"


def _poison_document(stack, vcon_uuid: str):
    stack.pg.sql(POISON_SQL, (vcon_uuid,))


def _dead(stack) -> dict[str, dict]:
    rows = stack.pg.sql("SELECT vcon_uuid::text, attempts, error, created FROM vcon_redis.dead_letters")
    return {u: {"attempts": a, "error": e, "created": c} for u, a, e, c in rows}


def test_a_poison_vcon_and_a_wrong_type_list_are_dead_lettered_while_1000_commits_flow(stack):
    stack.pg.sql(f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') "
                 f"THEN CREATE ROLE {APP_ROLE} LOGIN; END IF; END $$")
    stack.pg.sql(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {APP_ROLE}")
    stack.r.set("q_wrongtype", "a string, not a list")

    # The poison vCon exists and is cached; then its rows are broken behind save_vcon's back.
    poison = small_vcon(9000)
    save(stack.pg, poison)
    barrier(stack)
    assert stack.cached(poison["uuid"]) is not None

    uuids: list[list[str]] = [[] for _ in range(4)]
    routed_to_wrong_type: list[str] = []

    def writer(k: int):
        with stack.pg.connect(autocommit=False) as conn, conn.cursor() as cur:
            cur.execute(f"SET SESSION AUTHORIZATION {APP_ROLE}")
            conn.commit()
            for i in range(250):
                cur.execute("SET LOCAL vcon_redis.ingress_lists = 'q_flow'")
                if k == 0 and i == 120:  # one creation routed to a key of the wrong type
                    cur.execute("SET LOCAL vcon_redis.ingress_lists = 'q_flow, q_wrongtype'")
                    routed_to_wrong_type.append(save(cur, small_vcon(9001)))
                elif k == 1 and i == 125:  # and the poison vCon changes, mid-stream
                    cur.execute("UPDATE vcons SET subject = 'poisoned' WHERE uuid = %s", (poison["uuid"],))
                    cur.execute(POISON_SQL, (poison["uuid"],))
                else:
                    uuids[k].append(save(cur, small_vcon(k * 1000 + i)))
                conn.commit()

    run_clients(4, writer)
    barrier(stack)

    flowed = [u for us in uuids for u in us]
    assert len(flowed) == 998
    for u in flowed:
        assert stack.cached(u) == compact(stack.doc(u))
    pushed = stack.r.lrange("q_flow", 0, -1)
    assert len(pushed) == len(set(pushed)), "a uuid was pushed twice"
    assert set(pushed) == set(flowed) | set(routed_to_wrong_type)

    dead = _dead(stack)
    assert set(dead) == {poison["uuid"], routed_to_wrong_type[0]}
    assert "document cannot be built" in dead[poison["uuid"]]["error"]
    assert dead[routed_to_wrong_type[0]]["error"].startswith("Redis refused the event: WRONGTYPE")
    assert "q_wrongtype" in dead[routed_to_wrong_type[0]]["error"]
    assert all(d["attempts"] == 1 for d in dead.values())
    # never stale: both keys are gone, and nothing waits in the outbox
    assert stack.cached(poison["uuid"]) is None
    assert stack.cached(routed_to_wrong_type[0]) is None
    status = stack.status()
    assert status["dead_letters"] == 2 and status["backlog"] == 0
    assert status["worker_state"] in ("idle", "draining")

    # Fixed, then retried: each is applied, and the push that did happen is not repeated.
    stack.pg.sql(CURE_SQL, (poison["uuid"],))
    stack.r.delete("q_wrongtype")
    assert stack.pg.sql("SELECT vcon_redis.retry_dead_letters()")[0][0] == 2
    barrier(stack)
    assert stack.cached(poison["uuid"]) == compact(stack.doc(poison["uuid"]))
    assert stack.cached(routed_to_wrong_type[0]) == compact(stack.doc(routed_to_wrong_type[0]))
    assert stack.r.lrange("q_wrongtype", 0, -1) == routed_to_wrong_type
    assert stack.r.lrange("q_flow", 0, -1).count(routed_to_wrong_type[0]) == 1
    assert _dead(stack) == {}
    assert stack.status()["dead_letters"] == 0


def test_a_dead_letter_fails_again_with_one_more_attempt_and_can_be_discarded(stack):
    doc = small_vcon(9100)
    save(stack.pg, doc)
    barrier(stack)
    _poison_document(stack, doc["uuid"])
    barrier(stack)
    assert _dead(stack)[doc["uuid"]]["attempts"] == 1
    stack.pg.sql("SELECT vcon_redis.retry_dead_letters()")
    barrier(stack)
    assert _dead(stack)[doc["uuid"]]["attempts"] == 2
    ids = stack.pg.sql("SELECT array_agg(id) FROM vcon_redis.dead_letters")[0][0]
    assert stack.pg.sql("SELECT vcon_redis.discard_dead_letters(%s)", (ids,))[0][0] == 1
    assert stack.status()["dead_letters"] == 0
    assert stack.cached(doc["uuid"]) is None


def test_redis_out_of_memory_is_transient_nothing_is_dead_lettered(stack):
    before = stack.status()["dead_letters"]
    stack.r.config_set("maxmemory", "1")
    try:
        docs = [small_vcon(9200 + i) for i in range(20)]
        with stack.pg.connect(autocommit=False) as conn, conn.cursor() as cur:
            cur.execute("SET LOCAL vcon_redis.ingress_lists = 'q_oom'")
            for d in docs:
                save(cur, d)
            conn.commit()
        # between retries the worker is redis_down; during one it is connecting, then draining
        harness.wait_for(lambda: "OOM" in (stack.status()["last_error"] or "")
                         and stack.status()["worker_state"] == "redis_down", 20, what="OOM reported")
        status = stack.status()
        assert status["backlog"] >= 20
        assert status["dead_letters"] == before
    finally:
        stack.r.config_set("maxmemory", "0")
    barrier(stack)
    for d in docs:
        assert stack.cached(d["uuid"]) == compact(stack.doc(d["uuid"]))
    assert sorted(stack.r.lrange("q_oom", 0, -1)) == sorted(d["uuid"] for d in docs)
    assert stack.status()["dead_letters"] == before


def test_a_schema_error_is_not_a_dead_letter(stack):
    """Breaking what every document needs is the database's state, not one vCon's: the batch
    waits (status shows the error) and nothing is dead-lettered."""
    before = stack.status()["dead_letters"]
    stack.pg.sql("ALTER VIEW vcon_redis.parties RENAME TO parties_gone")
    try:
        doc = small_vcon(9300)
        save_sql = "INSERT INTO vcons (id, uuid) VALUES (%s, %s)"
        stack.pg.sql(save_sql, (doc["uuid"], doc["uuid"]))
        harness.wait_for(lambda: stack.status()["worker_state"] == "error", 10, what="batch error")
        assert stack.status()["dead_letters"] == before
        assert stack.status()["backlog"] >= 1
    finally:
        stack.pg.sql("ALTER VIEW vcon_redis.parties_gone RENAME TO parties")
    barrier(stack)
    assert stack.cached(doc["uuid"]) is not None
    assert stack.status()["dead_letters"] == before
    assert json.loads(stack.cached(doc["uuid"]))["uuid"] == doc["uuid"]


def test_only_a_failing_batch_reads_its_documents_isolating(stack):
    """A batch's documents come straight from the C builder; only a batch whose read fails is read
    again through _drain_documents (PL/pgSQL and a subtransaction), which dead-letters the bad vCon
    while the others of that batch are applied."""
    def isolating_reads() -> int:
        barrier(stack)
        time.sleep(1.1)  # the worker flushes its function statistics at most once a second
        barrier(stack)
        return stack.pg.sql("SELECT coalesce(sum(calls), 0) FROM pg_stat_user_functions "
                            "WHERE schemaname = 'vcon_redis' AND funcname = '_drain_documents'")[0][0]

    stack.pg.sql("ALTER SYSTEM SET track_functions = 'pl'")
    stack.pg.reload()
    time.sleep(0.5)
    try:
        before = isolating_reads()
        good = [save(stack.pg, small_vcon(9400 + i)) for i in range(10)]
        assert isolating_reads() == before
        poison = small_vcon(9410)
        save(stack.pg, poison)
        barrier(stack)
        with stack.pg.connect(autocommit=False) as conn, conn.cursor() as cur:
            cur.execute(POISON_SQL, (poison["uuid"],))
            neighbour = save(cur, small_vcon(9411))  # the same transaction, so the same batch
            conn.commit()
        assert isolating_reads() > before
        assert "document cannot be built" in _dead(stack)[poison["uuid"]]["error"]
        for u in good + [neighbour]:
            assert stack.cached(u) == compact(stack.doc(u))
    finally:
        stack.pg.sql("ALTER SYSTEM RESET track_functions")
        stack.pg.reload()


def test_a_poison_vcon_deep_in_a_bulk_batch_is_dead_lettered_and_the_rest_pushed_in_order(stack):
    """A batch's documents are built a chunk (128 events) at a time as the worker reaches them; a
    vCon whose document cannot be built in the third chunk of one 400-vCon transaction fails that
    read, and the batch read again isolating dead-letters it alone: the 399 others are cached and
    pushed once each, in commit order."""
    barrier(stack)
    docs = [small_vcon(9500 + i) for i in range(400)]
    poison = docs[300]["uuid"]
    with stack.pg.connect(autocommit=False) as conn, conn.cursor() as cur:
        cur.execute("SET LOCAL vcon_redis.ingress_lists = 'q_bulk_poison'")
        for d in docs:
            save(cur, d)
        cur.execute(POISON_SQL, (poison,))
        conn.commit()
    harness.wait_for(lambda: poison in _dead(stack), 30, what="the poison vCon dead-lettered")
    stack.wait_drained()
    expected = [d["uuid"] for d in docs if d["uuid"] != poison]
    assert stack.r.lrange("q_bulk_poison", 0, -1) == expected
    assert stack.cached(poison) is None
    for u in expected[::40] + expected[-3:]:
        assert stack.cached(u) == compact(stack.doc(u))
