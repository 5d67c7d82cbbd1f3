"""Fixtures for the whole-path tests: real PostgreSQL (vcon_redis preloaded) and real Redis."""

import contextlib
import json
import sys
import threading
import uuid as uuidlib
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "harness"))
import harness  # noqa: E402


class Stack:
    def __init__(self, pg: harness.PgCluster, redis_server: harness.RedisServer):
        self.pg = pg
        self.redis_server = redis_server

    @property
    def r(self):
        return self.redis_server.client()

    def statuses(self) -> list[dict]:
        """status(): one row per worker, in worker order."""
        with self.pg.connect() as conn, conn.cursor() as cur:
            cur.execute("SELECT * FROM vcon_redis.status()")
            cols = [d[0] for d in cur.description]
            return [dict(zip(cols, row)) for row in cur.fetchall()]

    def status(self) -> dict:
        """Worker 0's row of status(), with the backlog of every worker (the whole outbox)."""
        rows = self.statuses()
        return dict(rows[0], backlog=sum(r["backlog"] for r in rows))

    def wait_workers_up(self, timeout: float = 30):
        """Every drain worker of status() is running (idle or draining)."""
        harness.wait_for(lambda: all(r["worker_state"] in ("idle", "draining") for r in self.statuses()), timeout,
                         what="every worker to start")

    def wait_drained(self, timeout: float = 30):
        harness.wait_for(lambda: self.status()["backlog"] == 0, timeout, what="outbox to drain")

    def doc(self, vcon_uuid: str):
        rows = self.pg.sql("SELECT vcon_redis.vcon_json(%s)::text", (vcon_uuid,))
        return rows[0][0]

    def cached(self, vcon_uuid: str):
        return self.r.get(f"vcon:{vcon_uuid}")

    def assert_converged(self, uuids=None):
        """Every vCon in the database is cached byte-for-byte as compact vcon_json; every other
        cached vCon key belongs to a uuid that no longer exists."""
        rows = self.pg.sql("SELECT uuid::text, vcon_redis.vcon_json(uuid)::text FROM vcons")
        present = {u: compact(d) for u, d in rows}
        for u in (uuids if uuids is not None else present.keys()):
            cached = self.cached(u)
            if u in present:
                assert cached == present[u], f"vcon:{u} differs from vcon_json"
            else:
                assert cached is None, f"vcon:{u} cached but deleted"


@contextlib.contextmanager
def drain_workers(stack: Stack, count: int):
    """The stack's PostgreSQL with vcon_redis.workers = count (restarted if that is a change), every
    worker running; afterwards back to the number it had, restarted again if needed."""
    before = len(stack.statuses())

    def restart_with(n: int):
        if len(stack.statuses()) != n:
            stack.pg.write_settings(**{"vcon_redis.workers": str(n)})
            stack.pg.restart()
        assert len(stack.statuses()) == n
        stack.wait_workers_up()

    restart_with(count)
    try:
        yield stack
    finally:
        restart_with(before)


def compact(text: str) -> str:
    """jsonb::text without the blanks PostgreSQL puts after ',' and ':' (as common/json/compact)."""
    return json.dumps(json.loads(text), separators=(",", ":"), ensure_ascii=False)


def small_vcon(n: int = 0, **extra) -> dict:
    doc = {
        "vcon": "0.4.0",
        "uuid": str(uuidlib.uuid4()),
        "created_at": "2026-01-02T03:04:05.000Z",
        "subject": f"integration test call {n}",
        "parties": [{"name": "Alice", "tel": "+15550001"}, {"name": "Bob", "mailto": "bob@example.com"}],
        "dialog": [{"type": "text", "start": "2026-01-02T03:04:05.000Z", "parties": [0, 1],
                    "mediatype": "text/plain", "encoding": "none", "body": f"hello {n}"}],
    }
    doc.update(extra)
    return doc


def save(pg_or_cur, doc: dict) -> str:
    if isinstance(pg_or_cur, harness.PgCluster):
        return pg_or_cur.sql("SELECT vcon_redis.save_vcon(%s::jsonb)::text", (json.dumps(doc),))[0][0]
    pg_or_cur.execute("SELECT vcon_redis.save_vcon(%s::jsonb)::text", (json.dumps(doc),))
    return pg_or_cur.fetchone()[0]


def save_each(pg: harness.PgCluster, count: int, list_name: str, first: int = 0, **extra) -> list[str]:
    """Saves small vCons first … first + count - 1, one transaction each, routed to list_name."""
    uuids = []
    with pg.connect(autocommit=False) as conn, conn.cursor() as cur:
        for i in range(first, first + count):
            cur.execute("SET LOCAL vcon_redis.ingress_lists = %s", (list_name,))
            uuids.append(save(cur, small_vcon(i, **extra)))
            conn.commit()
    return uuids


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    yield from running_stack(tmp_path_factory.mktemp("stack"))


def running_stack(base, prepare=None):
    """The body of a stack fixture: harness.start_stack (with `prepare`), the worker running;
    afterwards everything destroyed and the PostgreSQL log checked for crashes."""
    pg, redis_server = harness.start_stack(base, prepare=prepare)
    yield from serving_stack(pg, redis_server)


def serving_stack(pg: harness.PgCluster, redis_server, secrets=(), setup=None):
    """The body of a stack fixture over a started cluster and any Redis (standalone, TLS, Sentinel,
    Cluster: anything with client() and destroy()): vcon_redis created and attached, the worker
    running, `setup(stack)` applied; afterwards both destroyed, and the PostgreSQL log checked for
    crashes and for each of `secrets` (a password, key material) that must never be logged."""
    pg.sql("CREATE EXTENSION IF NOT EXISTS vcon_redis")
    pg.sql("SELECT vcon_redis.attach() WHERE NOT EXISTS (SELECT FROM vcon_redis.config)")
    s = Stack(pg, redis_server)
    if setup:
        setup(s)
    s.wait_workers_up()
    yield s
    log = pg.log.read_text(errors="replace")
    crashes = pg.crashes()
    pg.destroy()
    redis_server.destroy()
    assert not crashes, "PostgreSQL log shows a crash:\n" + "\n".join(crashes)
    for secret in secrets:
        assert secret not in log, "a secret is in the PostgreSQL log"


def run_clients(count: int, client) -> None:
    """Runs client(k) for k in range(count) in as many threads, and re-raises the first error any
    of them hit (pytest's assertion rewriting does not reach into threads)."""
    errors: list[BaseException] = []

    def run(k: int):
        try:
            client(k)
        except BaseException as e:  # re-raised below, in the test's own thread
            errors.append(e)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def barrier(stack: Stack, write=None) -> str:
    """Commits one more vCon and waits until it is cached: every event committed before it has
    been applied (the worker drains in id order). `write(doc)` commits it (default: save_vcon)
    and returns its uuid."""
    u = write(small_vcon(-1)) if write else save(stack.pg, small_vcon(-1))
    harness.wait_for(lambda: stack.cached(u) is not None, 30, what="barrier vCon in Redis")
    stack.wait_drained()
    return u
