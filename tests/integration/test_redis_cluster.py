"""Redis Cluster: 3 primaries + 3 replicas created with redis-cli --cluster create; the worker and
vcon-cache-server take the node-list URL (redis://n1,n2,…). 10 000 vCons are committed by several
clients into several ingress lists while redis-cli --cluster reshard moves a good share of the
slots (and their keys) between primaries: afterwards every committed vCon in Redis equals
vcon_json, every uuid is pushed exactly once to each of its lists, and the server answered every
hit and miss throughout (BYPASS at worst, never a 5xx). Then a TLS cluster (tls-cluster yes) smoke
test for the worker and the server."""

import json
import random
import threading
import time

import pytest

import harness
from cache_server import CacheServer
from conftest import compact, drain_workers, run_clients, save, serving_stack, small_vcon

LISTS = ("q_cluster_a", "q_cluster_b", "q_cluster_c")
TOTAL = 10_000
CLIENTS = 4


@pytest.fixture(scope="module")
def cstack(tmp_path_factory):
    base = harness.make_reachable(tmp_path_factory.mktemp("cluster"))
    cluster = harness.RedisClusterNodes(base / "redis").start()
    pg = harness.PgCluster(base / "pg", settings={
        "vcon_redis.redis_url": f"'{cluster.url()}'",
        "vcon_redis.poll_interval": "200",
    }).init().start()
    yield from serving_stack(pg, cluster)


class _Poller:
    """GETs vCons from the server without pause: cached ones (hits) and ones whose key it just
    deleted (misses that fill); records every (status, X-Cache)."""

    def __init__(self, server, cluster, uuids):
        self.server, self.rc, self.uuids = server, cluster.client(), uuids
        self.statuses: list[tuple[int, str]] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run)
        self.thread.start()

    def run(self):
        rnd = random.Random(7)
        while not self.stop.is_set():
            u = rnd.choice(self.uuids)
            if rnd.random() < 0.3:
                try:
                    self.rc.delete(f"vcon:{u}")  # the next GET of u is a miss
                except Exception:
                    pass  # the test's own client during a reshard: not what is tested
            try:
                r = self.server.get(f"/api/v1/vcons/{u}", timeout=10)
                self.statuses.append((r.status, r.cache))
            except OSError as e:
                self.statuses.append((0, str(e)))

    def finish(self):
        self.stop.set()
        self.thread.join()
        return self.statuses


def _write_clients(stack, total, first, lists_of, uuids_of):
    """CLIENTS clients commit `total` new generated vCons (vcon-gen's from `first` on) in
    transactions of 250, client k routing to lists_of(k); uuids_of[k] collects each client's uuids."""
    per = total // CLIENTS
    out = harness.generator_bin()
    import subprocess

    def client(k: int):
        docs = subprocess.run([str(out), "--count", str(per), "--seed", "11", "--start", str(first + k * per), "--size",
                               "small", "--format", "jsonl"], check=True, capture_output=True, text=True).stdout
        lines = [d for d in docs.splitlines() if d.strip()]
        with stack.pg.connect(autocommit=False) as conn, conn.cursor() as cur:
            for i in range(0, len(lines), 250):
                cur.execute(f"SET LOCAL vcon_redis.ingress_lists = '{', '.join(lists_of(k))}'")
                for d in lines[i:i + 250]:
                    cur.execute("SELECT vcon_redis.save_vcon(%s::jsonb)", (d,))
                    uuids_of[k].append(json.loads(d)["uuid"])
                conn.commit()

    run_clients(CLIENTS, client)


@pytest.mark.parametrize("workers,total", [(1, TOTAL), (3, 4000)], ids=["one worker", "three workers"])
def test_reshard_during_commits_loses_nothing_and_the_server_keeps_serving(cstack, tmp_path, workers, total):
    """With several workers, each follows MOVED and ASK on its own connections while the others
    write to the same slots."""
    with drain_workers(cstack, workers):
        _reshard_during_commits(cstack, tmp_path, total, first=100_000 * workers)


def _slots_served(cluster) -> dict[int, int]:
    """How many slots each primary serves, by port."""
    served: dict[int, int] = {}
    for start, end, primary, *_ in cluster.nodes[0].client().execute_command("CLUSTER", "SLOTS"):
        served[primary[1]] = served.get(primary[1], 0) + end - start + 1
    return served


def _busiest_and_idlest(cluster):
    """The primaries serving the most and the fewest slots (an earlier reshard moved some)."""
    served = _slots_served(cluster)
    primaries = sorted(cluster.primaries(), key=lambda n: served.get(n.port, 0))
    return primaries[-1], primaries[0]


def _reshard_during_commits(cstack, tmp_path, total, first):
    cluster = cstack.redis_server
    cluster.client().delete(*LISTS)  # an earlier run's pushes
    seed = [save(cstack.pg, small_vcon(n)) for n in range(40)]
    cstack.wait_drained(60)
    for u in seed:
        assert cstack.cached(u) == compact(cstack.doc(u))

    def lists_of(k):  # every client two of the three lists: lists overlap across clients
        return [LISTS[k % 3], LISTS[(k + 1) % 3]]

    uuids_of: list[list[str]] = [[] for _ in range(CLIENTS)]
    with CacheServer(cstack, tmp_path, redis_url=cluster.url()) as server:
        harness.wait_for(lambda: server.get(f"/api/v1/vcons/{seed[0]}").cache == "HIT", 30,
                         what="server HIT through the cluster")
        poller = _Poller(server, cluster, seed)
        writers = threading.Thread(target=_write_clients, args=(cstack, total, first, lists_of, uuids_of))
        try:
            writers.start()
            harness.wait_for(lambda: sum(len(x) for x in uuids_of) >= total // 3, 120, interval=0.2,
                             what="a third of the commits")
            source, target = _busiest_and_idlest(cluster)
            served_before = _slots_served(cluster)
            assert writers.is_alive()  # the reshard runs in the middle of the commits
            started = time.monotonic()
            cluster.reshard(3000, source, target)
            reshard_s = time.monotonic() - started
            writers.join()
            cstack.wait_drained(240)
        finally:
            poller.stop.set()
            statuses = poller.finish()
            writers.join()
        log = server.log()

    # The reshard really moved slots while the worker wrote.
    served = _slots_served(cluster)
    assert served[source.port] == served_before[source.port] - 3000, (served_before, served)
    assert served[target.port] == served_before[target.port] + 3000, (served_before, served)
    assert reshard_s > 0.5

    # Nothing lost, nothing stale: compare every committed vCon with vcon_json.
    all_uuids = [u for chunk in uuids_of for u in chunk]
    assert len(all_uuids) == total
    rc = cluster.client()
    rows = cstack.pg.sql("SELECT uuid::text, vcon_redis.vcon_json(uuid)::text FROM vcons WHERE uuid = ANY(%s::uuid[])",
                         (all_uuids,))
    assert len(rows) == total
    cached = rc.mget_nonatomic([f"vcon:{u}" for u, _ in rows])
    differ = [u for (u, doc), got in zip(rows, cached) if got != compact(doc)]
    assert not differ, f"{len(differ)} vCon(s) differ from vcon_json, e.g. {differ[:3]}"

    # Every uuid pushed exactly once to each of its lists.
    for name in LISTS:
        expected = {u for k in range(CLIENTS) if name in lists_of(k) for u in uuids_of[k]}
        pushed = rc.lrange(name, 0, -1)
        assert len(pushed) == len(set(pushed)), f"{name}: {len(pushed) - len(set(pushed))} duplicate push(es)"
        assert set(pushed) == expected, f"{name}: {len(expected - set(pushed))} uuid(s) never pushed"

    # No lease left behind by a fill, in the document's slot layout ({vcon:<uuid>}:lease).
    assert not cluster.keys("vcon:*:lease")

    # The server served every request; hits and misses both happened.
    bad = [s for s in statuses if s[0] != 200]
    assert statuses and not bad, bad[:5]
    kinds = {c for _, c in statuses}
    assert "HIT" in kinds and "MISS" in kinds, kinds
    assert "CROSSSLOT" not in log
    assert cstack.status()["dead_letters"] == 0


def test_tls_cluster_smoke(cstack, tmp_path):
    """The worker and the server over a TLS-only cluster (3 primaries, tls-cluster yes)."""
    certs = harness.make_test_certs(tmp_path / "certs")
    tls = harness.RedisClusterNodes(tmp_path / "tls", primaries=3, replicas_per_primary=0, tls_dir=certs).start()
    url = tls.url() + f"?tls_ca_file={certs / 'ca.crt'}"
    try:
        cstack.pg.sql(f"ALTER SYSTEM SET vcon_redis.redis_url = '{url}'")
        cstack.pg.reload()
        uuids = []
        with cstack.pg.connect(autocommit=False) as conn, conn.cursor() as cur:
            for n in range(60):
                cur.execute("SET LOCAL vcon_redis.ingress_lists = 'q_tls_cluster'")
                uuids.append(save(cur, small_vcon(5000 + n)))
            conn.commit()

        def cached(u):
            return tls.node_of(f"vcon:{u}").client().get(f"vcon:{u}")

        harness.wait_for(lambda: all(cached(u) for u in uuids), 60, what="vCons in the TLS cluster")
        for u in uuids:
            assert cached(u) == compact(cstack.doc(u))
        pushed = tls.node_of("q_tls_cluster").client().lrange("q_tls_cluster", 0, -1)
        assert sorted(pushed) == sorted(uuids)
        with CacheServer(cstack, tmp_path, redis_url=url) as server:
            # every primary connected: 60 keys hit all three
            harness.wait_for(lambda: all(server.get(f"/api/v1/vcons/{u}").cache == "HIT" for u in uuids), 30,
                             what="server HITs from every primary over TLS")
            tls.node_of(f"vcon:{uuids[1]}").client().delete(f"vcon:{uuids[1]}")
            r = server.get(f"/api/v1/vcons/{uuids[1]}")
            assert r.status == 200 and r.cache == "MISS"
            harness.wait_for(lambda: cached(uuids[1]) is not None, 10, what="fill over TLS")
    finally:
        cstack.pg.sql("ALTER SYSTEM RESET vcon_redis.redis_url")
        cstack.pg.reload()
        tls.destroy()


def test_server_reconnects_when_its_node_answers_readonly(cstack, tmp_path):
    """A node demoted to a replica (what a Sentinel failover does to the old primary) answers the
    server's lease SET with READONLY: the server serves the request from PostgreSQL, drops the
    connection and reconnects (through the sentinels, for a redis+sentinel:// URL)."""
    a = harness.RedisServer(tmp_path / "a").start()
    b = harness.RedisServer(tmp_path / "b").start()
    try:
        u = save(cstack.pg, small_vcon(9001))
        with CacheServer(cstack, tmp_path, redis_url=a.url()) as server:
            harness.wait_for(lambda: server.get(f"/api/v1/vcons/{u}").cache == "HIT", 20, what="HIT on node a")
            a.client().execute_command("REPLICAOF", "127.0.0.1", str(b.port))
            harness.wait_for(lambda: a.client().info("replication")["master_link_status"] == "up", 20,
                             what="a replicating b")
            statuses = [server.get(f"/api/v1/vcons/{u}") for _ in range(5)]  # a miss now: a holds b's (no) data
            harness.wait_for(lambda: "answered READONLY" in server.log(), 10, what="READONLY in the server log")
            assert all(r.status == 200 for r in statuses), [r.status for r in statuses]
            assert server.get(f"/api/v1/vcons/{u}").status == 200
    finally:
        a.destroy()
        b.destroy()
