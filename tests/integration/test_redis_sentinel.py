"""Failover under load: a primary, a replica and three sentinels; the worker and
vcon-cache-server find the primary through redis+sentinel:// and follow it. With
vcon_redis.wait_replicas = 1, a SENTINEL FAILOVER or a kill -9 of the primary during 1000 commits
from several clients loses nothing: every committed vCon in Redis equals vcon_json and every uuid
is pushed exactly once; the server keeps answering (BYPASS while the primary moves). And both
follow the sentinels' +switch-master notification at once, while a demoted old primary still
answers as a primary."""

import json
import threading
import time

import pytest

import harness
from cache_server import CacheServer
from conftest import compact, drain_workers, save, serving_stack, small_vcon

MASTER = "vconmaster"
PASSWORD = "SentinelDataPw7"


class SentinelRedis:
    """The data nodes and sentinels of one test; client() talks to the current primary."""

    def __init__(self, base):
        self.base = base
        self.nodes: dict[int, harness.RedisServer] = {}
        primary = harness.RedisServer(base / "n1", password=PASSWORD).start()
        replica = harness.RedisServer(base / "n2", password=PASSWORD, replica_of=primary.port).start()
        self.nodes = {primary.port: primary, replica.port: replica}
        self.sentinels = [harness.Sentinel(base / f"s{i}", primary.port, MASTER, password=PASSWORD).start()
                          for i in range(3)]
        harness.wait_for(self.ready, 60, interval=0.2, what="sentinels to know the replica and each other")

    def ready(self) -> bool:
        try:
            for s in self.sentinels:
                replicas = s.command("SENTINEL", "replicas", MASTER)
                others = s.command("SENTINEL", "sentinels", MASTER)
                if len(others) != 2 or not replicas:
                    return False
                flags = dict(zip(replicas[0][::2], replicas[0][1::2]))["flags"]
                if "down" in flags or "disconnected" in flags:
                    return False
                # A sentinel in TILT mode (its timer stalled for over 2 s: a loaded machine) acts on
                # nothing for 30 s, a SENTINEL FAILOVER it accepted included.
                if s.command("INFO", "sentinel").get("sentinel_tilt"):
                    return False
            return self.client().info("replication")["connected_slaves"] == 1
        except Exception:
            return False

    def other_port(self, port: int) -> int:
        """The data node that is not the one on port: the primary's replica, or the reverse."""
        return next(p for p in self.nodes if p != port)

    def wait_for_switch(self, new_port: int, what: str) -> None:
        """Waits until sentinels[0] names new_port the primary. The budget covers a TILT entered
        after the failover was asked for (30 s) plus the failover itself; a timeout shows what the
        sentinels logged."""
        try:
            harness.wait_for(lambda: self.sentinels[0].primary_port() == new_port, 45, interval=0.05, what=what)
        except TimeoutError as e:
            tails = "\n".join(f"--- sentinel {s.port}:\n" + "\n".join(
                s.log.read_text(errors="replace").splitlines()[-15:]) for s in self.sentinels)
            raise TimeoutError(f"{e}\n{tails}") from None

    def primary_port(self) -> int:
        return harness.wait_for(self.sentinels[0].primary_port, 10, what="primary from sentinel")

    def url(self, db: int = 0) -> str:
        hosts = ",".join(f"127.0.0.1:{s.port}" for s in self.sentinels)
        return f"redis+sentinel://:{PASSWORD}@{hosts}/{MASTER}/{db}"

    def client(self, db: int = 0):
        return self.nodes[self.primary_port()].client(db)

    def destroy(self):
        for s in self.sentinels:
            s.stop()
        for n in self.nodes.values():
            n.destroy()


@pytest.fixture(scope="module")
def sstack(tmp_path_factory):
    base = harness.make_reachable(tmp_path_factory.mktemp("sentinel"))
    redis = SentinelRedis(base)
    pg = harness.PgCluster(base / "pg", settings={
        "vcon_redis.redis_url": f"'{redis.url()}'",
        "vcon_redis.wait_replicas": "1",
        "vcon_redis.wait_timeout": "1000",
        "vcon_redis.poll_interval": "200",
    }).init().start()
    yield from serving_stack(pg, redis, secrets=(PASSWORD,))


def _commit_1000(stack, list_name: str, during):
    """4 clients × 250 commits routed to list_name; during() runs once 300 have committed.
    Returns the uuids."""
    uuids: list[list[str]] = [[] for _ in range(4)]
    errors: list[BaseException] = []
    committed = threading.Semaphore(0)

    def writer(k: int):
        try:
            with stack.pg.connect(autocommit=False) as conn, conn.cursor() as cur:
                for i in range(250):
                    cur.execute(f"SET LOCAL vcon_redis.ingress_lists = '{list_name}'")
                    uuids[k].append(save(cur, small_vcon(k * 1000 + i)))
                    conn.commit()
                    committed.release()
        except BaseException as e:  # surfaced below
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for _ in range(300):
        committed.acquire()
    during()
    for t in threads:
        t.join()
    assert not errors, errors
    return [u for c in uuids for u in c]


def _assert_nothing_lost(stack, list_name: str, uuids: list[str]):
    stack.wait_drained(120)
    r = stack.r
    rows = stack.pg.sql("SELECT uuid::text, vcon_redis.vcon_json(uuid)::text FROM vcons WHERE uuid = ANY(%s::uuid[])",
                        (uuids,))
    assert len(rows) == len(uuids)
    for u, doc in rows:
        assert r.get(f"vcon:{u}") == compact(doc), f"vcon:{u} differs from vcon_json after the failover"
    pushed = r.lrange(list_name, 0, -1)
    assert len(pushed) == len(set(pushed)), "a uuid was pushed twice"
    assert set(pushed) == set(uuids), f"{len(set(uuids) - set(pushed))} uuid(s) never pushed"


class _Reader:
    """Keeps GETting a cached vCon from the server; records every status."""

    def __init__(self, server, u):
        self.server, self.u = server, u
        self.statuses: list[tuple[int, str]] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run)
        self.thread.start()

    def run(self):
        while not self.stop.is_set():
            try:
                r = self.server.get(f"/api/v1/vcons/{self.u}", timeout=5)
                self.statuses.append((r.status, r.cache))
            except OSError as e:
                self.statuses.append((0, str(e)))
            time.sleep(0.01)

    def finish(self):
        self.stop.set()
        self.thread.join()
        return self.statuses


def test_sentinel_failover_during_1000_commits_loses_nothing(sstack, tmp_path):
    u0 = save(sstack.pg, small_vcon(0))
    sstack.wait_drained(30)
    old = sstack.redis_server.primary_port()
    with CacheServer(sstack, tmp_path, redis_url=sstack.redis_server.url()) as server:
        harness.wait_for(lambda: server.get(f"/api/v1/vcons/{u0}").cache == "HIT", 20, what="server HIT via sentinel")
        reader = _Reader(server, u0)
        try:
            uuids = _commit_1000(sstack, "q_failover",
                                 lambda: sstack.redis_server.sentinels[0].command("SENTINEL", "failover", MASTER))
            sstack.redis_server.wait_for_switch(sstack.redis_server.other_port(old), "failover")
            _assert_nothing_lost(sstack, "q_failover", uuids)
            harness.wait_for(lambda: server.get(f"/api/v1/vcons/{u0}").cache == "HIT", 30,
                             what="server HIT from the new primary")
        finally:
            statuses = reader.finish()
        log = server.log()
    assert statuses and all(s == 200 for s, _ in statuses), [x for x in statuses if x[0] != 200][:5]
    assert PASSWORD not in log


def _holding_for_a_replica(stack):
    """status() when every worker holds its batches because WAIT 1 finds no replica, else None."""
    rows = stack.statuses()
    if all("WAIT: 0 of 1 replica(s)" in (r["last_error"] or "") and r["worker_state"] == "redis_down" for r in rows):
        return rows
    return None


@pytest.mark.parametrize("workers", [1, 3], ids=["one worker", "three workers"])
def test_kill_9_of_the_primary_during_1000_commits_loses_nothing(sstack, tmp_path, workers):
    """With several workers, each has its own connection through the sentinels, finds the new
    primary on its own and holds its own batches for the replica."""
    with drain_workers(sstack, workers):
        _kill_9_during_1000_commits(sstack, tmp_path, f"q_kill9_{workers}")


def _kill_9_during_1000_commits(sstack, tmp_path, list_name):
    redis = sstack.redis_server
    old_port = redis.primary_port()
    old = redis.nodes[old_port]
    new_port = redis.other_port(old_port)

    def crash():
        old.kill()

    u0 = save(sstack.pg, small_vcon(0))
    sstack.wait_drained(30)
    with CacheServer(sstack, tmp_path, redis_url=redis.url()) as server:
        harness.wait_for(lambda: server.get(f"/api/v1/vcons/{u0}").cache == "HIT", 20, what="server HIT via sentinel")
        reader = _Reader(server, u0)
        try:
            uuids = _commit_1000(sstack, list_name, crash)
            harness.wait_for(lambda: redis.primary_port() == new_port, 60, interval=0.2,
                             what="promotion after kill -9")
            # WAIT 1 holds the batches until the new primary has a replica again: the old node
            # returns (empty, no persistence) and the sentinels make it a replica of the new primary.
            rows = harness.wait_for(lambda: _holding_for_a_replica(sstack), 30,
                                    what="every worker to hold its batches for lack of a replica")
            assert all(r["backlog"] > 0 for r in rows), rows
            old.start()
            _assert_nothing_lost(sstack, list_name, uuids)
        finally:
            statuses = reader.finish()
        log = server.log()
    assert statuses and all(s == 200 for s, _ in statuses), [x for x in statuses if x[0] != 200][:5]
    assert any(c == "BYPASS" for _, c in statuses), "the reader never saw the primary missing"
    assert PASSWORD not in log


FOLLOW_WITHIN_S = 4  # the sentinels demote a still running old primary only 8 s after the switch


def _role(node) -> str:
    return node.client().execute_command("ROLE")[0]


def test_switch_master_notification_is_followed_while_the_old_primary_stays_up(sstack, tmp_path):
    """After SENTINEL FAILOVER the old primary goes on answering as a primary of its own for some
    seconds, until the sentinels reconfigure it as a replica. Without following the notification, the
    server keeps reading from it and the worker keeps writing to it (writes lost when it resyncs). The
    nodes are told apart while the old one is still a primary: a value written only on the new
    primary must be what the server returns, and a vCon committed after the switch must land on the
    new primary and not on the old one, without a failed attempt of the worker."""
    redis = sstack.redis_server
    harness.wait_for(redis.ready, 60, interval=0.2, what="the replica to be back in sync")
    log_from = len(sstack.pg.log.read_text(errors="replace"))  # earlier failovers logged their switches
    # WAIT 1 cannot be met until the old primary is a replica again: without it, a write to the
    # wrong node would succeed silently, which is what this test must see.
    sstack.pg.sql("ALTER SYSTEM SET vcon_redis.wait_replicas = 0")
    sstack.pg.sql("SELECT pg_reload_conf()")
    try:
        old_port = redis.primary_port()
        new_port = redis.other_port(old_port)
        old, new = redis.nodes[old_port], redis.nodes[new_port]
        u0 = save(sstack.pg, small_vcon(0))
        sstack.wait_drained(30)
        before = sstack.status()
        with CacheServer(sstack, tmp_path, redis_url=redis.url()) as server:
            harness.wait_for(lambda: server.get(f"/api/v1/vcons/{u0}").cache == "HIT", 20,
                             what="server HIT via sentinel")
            time.sleep(1)  # both subscriptions in place
            # WAIT is off: let the replica have u0 before it is promoted
            harness.wait_for(lambda: new.client().get(f"vcon:{u0}") is not None, 10, interval=0.05,
                             what="the replica to have the vCon")

            redis.sentinels[0].command("SENTINEL", "failover", MASTER)
            redis.wait_for_switch(new_port, "the sentinel to switch the master")
            switched = time.monotonic()
            assert _role(old) == "master", "the old primary was demoted at once: the nodes cannot be told apart"

            # Only the new primary has this version of u0.
            doc = json.loads(new.client().get(f"vcon:{u0}"))
            doc["subject"] = "only on the new primary"
            new.client().set(f"vcon:{u0}", json.dumps(doc, separators=(",", ":")))
            harness.wait_for(lambda: b"only on the new primary" in server.get(f"/api/v1/vcons/{u0}").body,
                             FOLLOW_WITHIN_S, interval=0.05, what="the server to read from the new primary")

            # A commit after the switch goes to the new primary, at the first attempt.
            u1 = save(sstack.pg, small_vcon(1))
            harness.wait_for(lambda: new.client().get(f"vcon:{u1}") is not None, FOLLOW_WITHIN_S,
                             interval=0.05, what="the worker to write to the new primary")
            followed_in = time.monotonic() - switched
            assert old.client().get(f"vcon:{u1}") is None, "the worker wrote to the old primary"
            # All of this while the old node still answered as a primary: only the notification can
            # have moved the server and the worker.
            assert _role(old) == "master", f"the old primary was demoted within {followed_in:.1f} s"
            st = sstack.status()
            assert st["last_error_at"] == before["last_error_at"], st  # no failed attempt

            # The near cache's invalidation connection, left on the old node, follows too: hits are
            # served from process memory again (kept coherent by the new primary).
            def near_hits():
                server.get(f"/api/v1/vcons/{u0}")
                return server.metrics().get('vcon_near_cache_total{event="hit"}', 0.0)
            hits = near_hits()
            harness.wait_for(lambda: near_hits() > hits + 1, 10, interval=0.1,
                             what="near cache hits again after the failover")
            server_log = server.log()
    finally:
        sstack.pg.sql("ALTER SYSTEM RESET vcon_redis.wait_replicas")
        sstack.pg.sql("SELECT pg_reload_conf()")

    moved = f"moved from 127.0.0.1:{old_port} to 127.0.0.1:{new_port}"
    assert server_log.count(moved) == 1, server_log[-2000:]  # one line, whatever the io threads
    assert sstack.pg.log.read_text(errors="replace")[log_from:].count(moved) == 1
    assert PASSWORD not in server_log
