"""The database side as deployed: writers without superuser (an application role, Supabase's
authenticator switching to service_role / authenticated under row-level security) reach Redis;
pg_dump / pg_restore of a database with pending events; status() in a database the worker does
not serve."""

import subprocess

import harness
from conftest import Stack, barrier, compact, run_clients, save, small_vcon

SUPABASE_ROLES = """
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'anon') THEN CREATE ROLE anon NOLOGIN NOINHERIT; END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticated') THEN CREATE ROLE authenticated NOLOGIN NOINHERIT; END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'service_role') THEN CREATE ROLE service_role NOLOGIN NOINHERIT BYPASSRLS; END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticator') THEN CREATE ROLE authenticator LOGIN NOINHERIT; END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'vr_app') THEN CREATE ROLE vr_app LOGIN; END IF;
END $$;
GRANT anon, authenticated, service_role TO authenticator;
GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role, vr_app;
GRANT ALL ON ALL TABLES IN SCHEMA public TO anon, authenticated, service_role;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO vr_app;
"""


def _setup_roles(pg, dbname="postgres"):
    pg.psql("-c", SUPABASE_ROLES, dbname=dbname)


def _connect_as(pg, user: str, dbname="postgres"):
    import psycopg2
    conn = psycopg2.connect(f"host=127.0.0.1 port={pg.port} user={user} dbname={dbname}")
    conn.autocommit = False
    return conn


def test_an_application_role_writes_from_many_clients_and_every_write_reaches_redis(stack):
    _setup_roles(stack.pg)
    done: list[list[str]] = [[] for _ in range(4)]

    def writer(k: int):
        with _connect_as(stack.pg, "vr_app") as conn, conn.cursor() as cur:
            for i in range(50):
                cur.execute("SET LOCAL vcon_redis.ingress_lists = 'q_app'")
                done[k].append(save(cur, small_vcon(k * 100 + i)))
                conn.commit()
                # plain SQL from the same role: an update and a child insert
                cur.execute("UPDATE vcons SET subject = 'edited by app' WHERE uuid = %s", (done[k][-1],))
                cur.execute("INSERT INTO analysis (vcon_id, analysis_index, type, vendor, body, encoding) "
                            "VALUES (%s, 0, 'summary', 'acme', 'short', 'none')", (done[k][-1],))
                conn.commit()

    run_clients(4, writer)
    barrier(stack)
    written = [u for us in done for u in us]
    for u in written:
        cached = stack.cached(u)
        assert cached == compact(stack.doc(u))
        assert '"edited by app"' in cached and '"vendor":"acme"' in cached
    pushed = stack.r.lrange("q_app", 0, -1)
    assert sorted(pushed) == sorted(written)


def test_supabase_roles_through_authenticator_with_rls_reach_redis(stack):
    _setup_roles(stack.pg)
    stack.pg.psql("-c", """
        ALTER TABLE vcons ENABLE ROW LEVEL SECURITY;
        DROP POLICY IF EXISTS tenant_isolation ON vcons;
        CREATE POLICY tenant_isolation ON vcons FOR ALL TO authenticated
            USING (tenant_id IS NULL OR tenant_id = current_setting('request.jwt.claims', true)::jsonb ->> 'tenant')
            WITH CHECK (tenant_id IS NULL OR tenant_id = current_setting('request.jwt.claims', true)::jsonb ->> 'tenant');
    """)
    try:
        with _connect_as(stack.pg, "authenticator") as conn, conn.cursor() as cur:
            # PostgREST: one transaction per request, SET LOCAL ROLE and the JWT claims
            cur.execute("SET LOCAL ROLE service_role")
            cur.execute("SELECT set_config('request.jwt.claims', '{\"role\":\"service_role\"}', true)")
            cur.execute("SET LOCAL vcon_redis.ingress_lists = 'q_supabase'")
            by_service = save(cur, small_vcon(501))
            conn.commit()
            cur.execute("SET LOCAL ROLE authenticated")
            cur.execute("SELECT set_config('request.jwt.claims', '{\"role\":\"authenticated\",\"tenant\":\"t1\"}', true)")
            cur.execute("SET LOCAL vcon_redis.ingress_lists = 'q_supabase'")
            doc = small_vcon(502)
            by_user = save(cur, doc)
            cur.execute("UPDATE vcons SET tenant_id = 't1', subject = 'tenant one' WHERE uuid = %s", (by_user,))
            conn.commit()
        barrier(stack)
        for u in (by_service, by_user):
            assert stack.cached(u) == compact(stack.doc(u))
        assert sorted(stack.r.lrange("q_supabase", 0, -1)) == sorted([by_service, by_user])
    finally:
        stack.pg.psql("-c", "DROP POLICY tenant_isolation ON vcons; ALTER TABLE vcons DISABLE ROW LEVEL SECURITY;")


def test_status_in_a_database_the_worker_does_not_serve_says_so(stack):
    stack.pg.sql("DROP DATABASE IF EXISTS vr_unserved")
    stack.pg.sql("CREATE DATABASE vr_unserved")
    try:
        stack.pg.sql("CREATE EXTENSION vcon_redis", dbname="vr_unserved")
        row = stack.pg.sql("SELECT worker_state, worker_database FROM vcon_redis.status()", dbname="vr_unserved")
        assert row[0] == ("other_database", "postgres")
        assert stack.status()["worker_state"] in ("idle", "draining")
    finally:
        stack.pg.sql("DROP DATABASE vr_unserved")


def test_dump_and_restore_with_pending_events(tmp_path):
    """pg_dump of a database whose outbox holds events the worker could not apply yet; restored
    into a new cluster, the events drain, new writes get fresh outbox ids, and the functions keep
    their pinned settings."""
    (tmp_path / "a").mkdir()
    pg, redis_server = harness.start_stack(tmp_path / "a")
    target = None
    try:
        _setup_roles(pg)
        # Redis unreachable for the source cluster: events pile up.
        pg.sql("ALTER SYSTEM SET vcon_redis.redis_url = 'redis://127.0.0.1:1/0'")
        pg.reload()
        uuids = []
        with _connect_as(pg, "vr_app") as conn, conn.cursor() as cur:
            for i in range(30):
                cur.execute("SET LOCAL vcon_redis.ingress_lists = 'q_dump'")
                uuids.append(save(cur, small_vcon(700 + i)))
                conn.commit()
        pending = pg.sql("SELECT count(*), max(id) FROM vcon_redis.outbox")[0]
        assert pending[0] == 30
        dump = tmp_path / "db.dump"
        subprocess.run([str(harness.PG_BIN / "pg_dump"), "-Fc", "-h", "127.0.0.1", "-p", str(pg.port), "-U",
                        "postgres", "-f", str(dump), "postgres"], check=True)

        target = harness.PgCluster(tmp_path / "b", settings={
            "vcon_redis.redis_url": f"'{redis_server.url()}'", "vcon_redis.poll_interval": "200"}).init().start()
        _setup_roles(target)
        subprocess.run([str(harness.PG_BIN / "pg_restore"), "-h", "127.0.0.1", "-p", str(target.port), "-U",
                        "postgres", "-d", "postgres", "--exit-on-error", str(dump)], check=True)
        target.sql("SELECT 1")

        r = redis_server.client()
        harness.wait_for(lambda: r.llen("q_dump") == 30, 30, what="restored events drained")
        assert sorted(r.lrange("q_dump", 0, -1)) == sorted(uuids)
        for u in uuids:
            doc = target.sql("SELECT vcon_redis.vcon_json(%s)::text", (u,))[0][0]
            assert r.get(f"vcon:{u}") == compact(doc)

        # New writes after the restore: outbox ids continue, triggers and views work, as a non-superuser.
        with _connect_as(target, "vr_app") as conn, conn.cursor() as cur:
            cur.execute("SET LOCAL vcon_redis.ingress_lists = 'q_dump'")
            fresh = save(cur, small_vcon(800))
            conn.commit()
        # the document is SET first, then pushed (one slot per script): wait for the push
        harness.wait_for(lambda: fresh in r.lrange("q_dump", 0, -1), 30, what="write after restore pushed")
        assert r.get(f"vcon:{fresh}") is not None
        assert r.lrange("q_dump", 0, -1).count(fresh) == 1
        assert target.sql("SELECT last_value > %s FROM vcon_redis.outbox_id_seq", (pending[1],))[0][0]
        config = target.sql("SELECT proconfig::text FROM pg_proc WHERE oid = 'vcon_redis.vcon_json_many(uuid[])'"
                            "::regprocedure")[0][0]
        assert "search_path=pg_catalog, vcon_redis, pg_temp" in config
        assert target.sql("SELECT attached_schema, dead_letters FROM vcon_redis.status()")[0] == ("public", 0)
        crashes = target.crashes()
        assert not crashes, crashes
    finally:
        if target is not None:
            target.destroy()
        pg.destroy()
        redis_server.destroy()


WORKER_ROLE_GRANTS = """
CREATE ROLE vcon_worker LOGIN BYPASSRLS;
GRANT USAGE ON SCHEMA public TO vcon_worker;
GRANT SELECT ON vcons, parties, dialog, analysis, attachments, party_history, groups TO vcon_worker;
GRANT SELECT, DELETE ON vcon_redis.outbox TO vcon_worker;
GRANT SELECT, INSERT, UPDATE ON vcon_redis.dead_letters TO vcon_worker;
"""


def test_the_worker_runs_as_a_least_privilege_role(tmp_path):
    """vcon_redis.worker_role: the README's recipe is all the worker needs, row-level security
    included; until the role exists the worker retries, and nothing is lost meanwhile."""
    (tmp_path / "s").mkdir()
    pg, redis_server = harness.start_stack(tmp_path / "s", settings={"vcon_redis.worker_role": "'vcon_worker'"})
    try:
        stack = Stack(pg, redis_server)
        pg.psql("-c", "ALTER TABLE vcons ENABLE ROW LEVEL SECURITY; ALTER TABLE parties ENABLE ROW LEVEL SECURITY;")
        early = save(pg, small_vcon(900))  # captured while no worker can run
        pg.psql("-c", WORKER_ROLE_GRANTS)
        harness.wait_for(lambda: stack.status()["worker_state"] in ("idle", "draining"), 30, what="worker as vcon_worker")
        assert pg.sql("SELECT usename FROM pg_stat_activity WHERE backend_type = 'vcon_redis worker'")[0][0] == \
            "vcon_worker"
        barrier(stack)
        for u in (early, barrier(stack)):
            assert stack.cached(u) == compact(stack.doc(u))
        assert '"Alice"' in stack.cached(early)  # parties read through RLS: BYPASSRLS
        # the applied rows are deleted under the role's DELETE privilege: without it they stay
        pg.sql("REVOKE DELETE ON vcon_redis.outbox FROM vcon_worker")
        kept = save(pg, small_vcon(901))
        harness.wait_for(lambda: "permission denied" in (stack.status()["last_error"] or ""), 30,
                         what="the worker refused the DELETE")
        assert stack.status()["backlog"] == 1
        pg.sql("GRANT DELETE ON vcon_redis.outbox TO vcon_worker")
        stack.wait_drained()
        assert stack.cached(kept) == compact(stack.doc(kept))
        # a dead letter is written by that role too
        pg.sql("INSERT INTO dialog (vcon_id, dialog_index, type, body, body_json) VALUES (%s, 9, 'text', '{', true)",
               (early,))
        harness.wait_for(lambda: stack.status()["dead_letters"] == 1, 30, what="dead letter by the worker role")
        assert stack.cached(early) is None
        crashes = pg.crashes()
        assert not crashes, crashes
    finally:
        pg.destroy()
        redis_server.destroy()
