"""The near cache with the other Redis URL forms. Through Sentinel: a failover (Sentinel closes the
demoted primary's clients, the server finds the new one) drops the near cache, so no value from
before the failover is served after it, and the near cache is used again on the new primary. Over
TLS: the near cache is live and another writer's change is served promptly."""

import signal

import pytest

import harness
from cache_server import CacheServer
from conftest import save, serving_stack, small_vcon
from cache_server import wait_cached
from test_redis_sentinel import MASTER, SentinelRedis
from test_redis_tls import tls_stack  # noqa: F401  (a fixture)
from test_server_near_cache import fresh_within, near, rewritten, subject, wait_live


@pytest.fixture(scope="module")
def sstack(tmp_path_factory):
    base = harness.make_reachable(tmp_path_factory.mktemp("sentinel"))
    redis = SentinelRedis(base)
    pg = harness.PgCluster(base / "pg", settings={"vcon_redis.redis_url": f"'{redis.url()}'",
                                                  "vcon_redis.poll_interval": "200"}).init().start()
    yield from serving_stack(pg, redis)


def test_a_sentinel_failover_drops_the_near_cache(sstack, tmp_path):
    u, v = save(sstack.pg, small_vcon(1, subject="before")), save(sstack.pg, small_vcon(2))
    sstack.wait_drained(30)
    old = sstack.redis_server.primary_port()
    with CacheServer(sstack, tmp_path, args=("--threads", "1"), redis_url=sstack.redis_server.url()) as s:
        s.wait_up()
        s.wait_cache_state("maintained")
        wait_live(s, sstack, u)
        changed = rewritten(sstack, u, "after the failover")
        # The server is stopped across the failover and the write on the new primary, so that
        # nothing can tell it about the write: only dropping the near cache keeps the old value out.
        s.proc.send_signal(signal.SIGSTOP)
        try:
            sstack.redis_server.sentinels[0].command("SENTINEL", "failover", MASTER)
            harness.wait_for(lambda: sstack.redis_server.primary_port() != old, 30, what="failover")
            harness.wait_for(lambda: sstack.r.info("replication")["role"] == "master", 30, what="new primary")
            # the failover is complete once the old primary is a replica (Sentinel closes its clients
            # then); until that moment a client of the old primary reads it, near cache or not
            harness.wait_for(lambda: sstack.redis_server.nodes[old].client().info("replication")["role"] == "slave",
                             60, what="the old primary demoted")
            sstack.r.set(f"vcon:{u}", changed)
        finally:
            s.proc.send_signal(signal.SIGCONT)
        wait_live(s, sstack, v)  # tracking on the new primary
        for _ in range(20):
            assert subject(s.get(f"/api/v1/vcons/{u}")) == "after the failover"
        assert near(s, "flush") > 0


def test_over_tls_the_near_cache_is_live_and_coherent(tls_stack, tmp_path):  # noqa: F811
    u = save(tls_stack.pg, small_vcon(3))
    wait_cached(tls_stack, u)
    url = tls_stack.redis_server.url() + f"?tls_ca_file={tls_stack.certs / 'ca.crt'}"
    with CacheServer(tls_stack, tmp_path, args=("--threads", "1"), redis_url=url) as s:
        s.wait_up()
        s.wait_cache_state("maintained")
        wait_live(s, tls_stack, u)
        for i in range(5):
            tls_stack.r.set(f"vcon:{u}", rewritten(tls_stack, u, f"tls {i}"))
            fresh_within(s, u, f"tls {i}", 1)
        assert near(s, "invalidation") >= 5
