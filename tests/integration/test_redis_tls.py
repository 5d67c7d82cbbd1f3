"""The worker and vcon-cache-server against a TLS-only Redis with a test CA made at test time:
verified TLS with a CA file relative to the data directory, a wrong CA or host name refused with a
clear message (events wait in the outbox, nothing is dead-lettered, fixing the setting resumes),
mutual TLS, and neither the password nor key material in any log."""

import shutil

import pytest
import redis

import harness
from cache_server import CacheServer, wait_cached
from conftest import barrier, drain_workers, save, serving_stack, small_vcon

PASSWORD = "TlsSecretPw42"


@pytest.fixture(scope="module")
def tls_stack(tmp_path_factory):
    base = harness.make_reachable(tmp_path_factory.mktemp("tls"))
    certs = harness.make_test_certs(base / "certs")
    redis_server = harness.RedisServer(base / "redis", password=PASSWORD, tls_dir=certs).start()
    pg = harness.PgCluster(base / "pg", settings={
        "vcon_redis.redis_url": f"'{redis_server.url()}'",
        "vcon_redis.tls_ca_file": "'redis-ca.crt'",  # relative to the data directory
        "vcon_redis.poll_interval": "200",
    }).init()
    shutil.copy(certs / "ca.crt", pg.data / "redis-ca.crt")
    if harness.IS_ROOT:
        shutil.chown(pg.data / "redis-ca.crt", harness.PG_OS_USER, harness.PG_OS_USER)
    pg.start()

    def keep_certs(s):
        s.certs = certs
    yield from serving_stack(pg, redis_server, secrets=(PASSWORD, "PRIVATE KEY"), setup=keep_certs)


def _set(stack, **gucs):
    for name, value in gucs.items():
        if value is None:
            stack.pg.sql(f"ALTER SYSTEM RESET vcon_redis.{name}")
        else:
            stack.pg.sql(f"ALTER SYSTEM SET vcon_redis.{name} = %s", (value,))
    stack.pg.reload()


def _refused(stack, needle: str):
    """Commits a vCon, waits for the worker to report `needle`; the event waits in the outbox."""
    u = save(stack.pg, small_vcon(1))
    st = harness.wait_for(lambda: (lambda s: s if needle in (s["last_error"] or "") else None)(stack.status()),
                          20, what=f"status to say {needle!r}")
    assert st["worker_state"] in ("redis_down", "connecting"), st
    assert st["backlog"] >= 1
    assert stack.cached(u) is None
    assert stack.pg.sql("SELECT count(*) FROM vcon_redis.dead_letters")[0][0] == 0
    assert PASSWORD not in st["last_error"] and PASSWORD not in (st["redis_url"] or "")
    return u, st


def test_verified_tls_drains_and_converges(tls_stack):
    uuids = [save(tls_stack.pg, small_vcon(i)) for i in range(50)]
    barrier(tls_stack)
    tls_stack.assert_converged(uuids)
    assert tls_stack.status()["redis_url"].startswith("rediss://:***@127.0.0.1:")


def test_wrong_ca_is_refused_then_fixing_it_resumes(tls_stack):
    _set(tls_stack, tls_ca_file=str(tls_stack.certs / "other-ca.crt"))
    try:
        u, st = _refused(tls_stack, "certificate verify failed")
        assert "redis: TLS handshake with 127.0.0.1:" in st["last_error"], st["last_error"]
    finally:
        _set(tls_stack, tls_ca_file=None)
    wait_cached(tls_stack, u)
    barrier(tls_stack)
    assert tls_stack.pg.sql("SELECT count(*) FROM vcon_redis.dead_letters")[0][0] == 0


def _all_refused(stack, needle: str):
    """status() when every worker reports `needle`, else None."""
    rows = stack.statuses()
    return rows if all(needle in (r["last_error"] or "") for r in rows) else None


def test_three_workers_drain_over_tls_and_each_refuses_a_wrong_ca(tls_stack):
    """Each worker makes its own TLS connection, with the settings of its own reload."""
    with drain_workers(tls_stack, 3):
        uuids = [save(tls_stack.pg, small_vcon(i)) for i in range(60)]
        barrier(tls_stack)
        tls_stack.assert_converged(uuids)
        assert all(r["events_applied"] > 0 for r in tls_stack.statuses())
        _set(tls_stack, tls_ca_file=str(tls_stack.certs / "other-ca.crt"))
        try:
            waiting = [save(tls_stack.pg, small_vcon(i)) for i in range(60, 120)]
            rows = harness.wait_for(lambda: _all_refused(tls_stack, "certificate verify failed"), 20,
                                    what="every worker to refuse the wrong CA")
            assert all(r["backlog"] > 0 and r["worker_state"] in ("redis_down", "connecting") for r in rows), rows
            assert not any(tls_stack.cached(u) for u in waiting)
            assert tls_stack.pg.sql("SELECT count(*) FROM vcon_redis.dead_letters")[0][0] == 0
        finally:
            _set(tls_stack, tls_ca_file=None)
        barrier(tls_stack)
        tls_stack.assert_converged(waiting)


def test_wrong_host_name_is_refused(tls_stack):
    url = tls_stack.redis_server.url() + "?tls_server_name=not-this-host.example"
    _set(tls_stack, redis_url=url)
    try:
        u, st = _refused(tls_stack, "hostname mismatch")
    finally:
        _set(tls_stack, redis_url=None)
    wait_cached(tls_stack, u)


def test_mutual_tls(tls_stack, tmp_path):
    mtls = harness.RedisServer(tmp_path / "mtls", password=PASSWORD, tls_dir=tls_stack.certs,
                               tls_auth_clients="yes").start()
    try:
        _set(tls_stack, redis_url=mtls.url())
        u, st = _refused(tls_stack, "redis: TLS")  # no client certificate
        _set(tls_stack, tls_cert_file=str(tls_stack.certs / "client.crt"),
             tls_key_file=str(tls_stack.certs / "client.key"))
        harness.wait_for(lambda: mtls.client().get(f"vcon:{u}") is not None, 20, what="vCon over mutual TLS")
        certs = tls_stack.certs
        url = (mtls.url() + f"?tls_ca_file={certs / 'ca.crt'}&tls_cert_file={certs / 'client.crt'}"
               f"&tls_key_file={certs / 'client.key'}")
        with CacheServer(tls_stack, tmp_path, redis_url=url) as server:
            harness.wait_for(lambda: server.get(f"/api/v1/vcons/{u}").cache == "HIT", 10, what="server HIT, mutual TLS")
    finally:
        _set(tls_stack, redis_url=None, tls_cert_file=None, tls_key_file=None)
        mtls.destroy()
    barrier(tls_stack)


def test_server_over_tls_and_refused_ca_serves_bypass(tls_stack, tmp_path):
    u = save(tls_stack.pg, small_vcon(7))
    wait_cached(tls_stack, u)
    good = tls_stack.redis_server.url() + f"?tls_ca_file={tls_stack.certs / 'ca.crt'}"
    with CacheServer(tls_stack, tmp_path, redis_url=good) as server:
        harness.wait_for(lambda: server.get(f"/api/v1/vcons/{u}").cache == "HIT", 10, what="HIT over TLS")
        assert PASSWORD not in server.log()
    bad = tls_stack.redis_server.url() + f"?tls_ca_file={tls_stack.certs / 'other-ca.crt'}"
    with CacheServer(tls_stack, tmp_path, redis_url=bad) as server:
        r = server.get(f"/api/v1/vcons/{u}")
        assert r.status == 200 and r.cache == "BYPASS", (r.status, r.cache)
        harness.wait_for(lambda: "certificate verify failed" in server.log(), 10, what="server log names the cause")
        log = server.log()
        assert PASSWORD not in log and "PRIVATE KEY" not in log


def test_sentinel_over_tls_with_a_sentinel_password_file(tls_stack, tmp_path):
    """rediss+sentinel://: TLS to the sentinel and to the primary it names; the sentinel's own
    password comes from vcon_redis.sentinel_password_file (relative to the data directory)."""
    sentinel_pw = "SentinelOwnPw9"
    sentinel = harness.Sentinel(harness.make_reachable(tmp_path) / "sentinel", tls_stack.redis_server.port,
                                password=PASSWORD, tls_dir=tls_stack.certs, sentinel_password=sentinel_pw).start()
    pw_file = tls_stack.pg.data / "sentinel.pw"
    pw_file.write_text(sentinel_pw + "\n")
    if harness.IS_ROOT:
        shutil.chown(pw_file, harness.PG_OS_USER, harness.PG_OS_USER)
    url = f"rediss+sentinel://:{PASSWORD}@127.0.0.1:{sentinel.port}/vconmaster/0"
    try:
        _set(tls_stack, redis_url=url)
        u, st = _refused(tls_stack, "NOAUTH")  # the sentinel wants its password
        _set(tls_stack, sentinel_password_file="sentinel.pw")
        wait_cached(tls_stack, u)
        assert tls_stack.status()["redis_url"].startswith("rediss+sentinel://:***@127.0.0.1:")
        # The worker also follows the sentinel's notifications, over TLS with the sentinel password.
        over_tls = redis.Redis(host="127.0.0.1", port=sentinel.port, password=sentinel_pw, ssl=True,
                               ssl_ca_certs=str(tls_stack.certs / "ca.crt"), socket_timeout=5,
                               decode_responses=True)
        harness.wait_for(lambda: " sub=1 " in over_tls.execute_command("CLIENT", "LIST"), 10,
                         what="the worker to subscribe to +switch-master over TLS")
    finally:
        _set(tls_stack, redis_url=None, sentinel_password_file=None)
        sentinel.stop()
    barrier(tls_stack)
    log = tls_stack.pg.log.read_text(errors="replace")
    assert sentinel_pw not in log
