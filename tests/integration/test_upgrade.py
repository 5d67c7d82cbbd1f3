"""ALTER EXTENSION vcon_redis UPDATE from each earlier release: data and pending events are kept and
drained afterwards, and the upgraded database has exactly the objects of a fresh install.

Each release's install script is rebuilt from its commit (sql/*.sql concatenated as its
Makefile.pgxs did) and installed into a private copy of PostgreSQL, so nothing old reaches the
system's extension directory."""

import json
import subprocess

import psycopg2.errors
import pytest

import harness
from conftest import compact, small_vcon

# The releases an installed database may be updated from, and the commits they were built from:
# 0.1.0 goes through the frozen vcon_redis--0.1.0--0.2.0.sql and then on to this version.
RELEASES = [("0.1.0", "cc3057b"), ("0.2.0", "c2e76f5")]


def _git(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(harness.repo_root()), *args], capture_output=True, text=True)


def _release_script(commit: str) -> str | None:
    files = _git("ls-tree", "--name-only", commit, "sql/")
    if files.returncode != 0:
        return None
    parts = ["\\echo Use \"CREATE EXTENSION vcon_redis\" to load this file. \\quit\n"]
    for name in sorted(f for f in files.stdout.split() if f.endswith(".sql")):
        parts.append(f"\n-- {name}\n" + _git("show", f"{commit}:{name}").stdout)
    return "".join(parts)


def _version() -> str:
    return (harness.repo_root() / "VERSION").read_text().strip()


# Everything an install of the extension consists of, one line per property, comparable across
# databases: functions (signature, result, security, settings, privileges, body), the columns,
# indexes and privileges of its tables, its member objects, its dumped tables, the capture triggers.
CATALOG = r"""
SELECT 'function ' || p.oid::regprocedure::text || ' -> ' || pg_get_function_result(p.oid)
       || ' definer=' || p.prosecdef || ' volatile=' || p.provolatile::text || ' parallel=' || p.proparallel::text
       || ' config=' || coalesce(p.proconfig::text, '-') || ' acl=' || coalesce(p.proacl::text, '-')
       || ' body=' || md5(p.prosrc)
FROM pg_proc p WHERE p.pronamespace = 'vcon_redis'::regnamespace
UNION ALL
SELECT 'column ' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
       || ' notnull=' || a.attnotnull || ' default=' || coalesce(pg_get_expr(d.adbin, d.adrelid), '-')
       || ' identity=' || a.attidentity::text
FROM pg_class c
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
WHERE c.relnamespace = 'vcon_redis'::regnamespace AND c.relkind IN ('r', 'v')
UNION ALL
SELECT 'relation ' || c.relname || ' kind=' || c.relkind::text || ' acl=' || coalesce(c.relacl::text, '-')
       || ' options=' || coalesce(c.reloptions::text, '-')
FROM pg_class c WHERE c.relnamespace = 'vcon_redis'::regnamespace
UNION ALL
SELECT 'index ' || pg_get_indexdef(i.indexrelid) FROM pg_index i
JOIN pg_class c ON c.oid = i.indrelid WHERE c.relnamespace = 'vcon_redis'::regnamespace
UNION ALL
SELECT 'constraint ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
WHERE connamespace = 'vcon_redis'::regnamespace
UNION ALL
SELECT 'member ' || pg_describe_object(d.classid, d.objid, d.objsubid) FROM pg_depend d
JOIN pg_extension e ON e.oid = d.refobjid AND d.refclassid = 'pg_extension'::regclass
WHERE e.extname = 'vcon_redis' AND d.deptype = 'e'
UNION ALL
SELECT 'dumped ' || x::regclass::text FROM pg_extension e, unnest(e.extconfig) x WHERE e.extname = 'vcon_redis'
UNION ALL
SELECT 'trigger ' || t.tgrelid::regclass::text || ' ' || t.tgname || ' ' || t.tgfoid::regprocedure::text
       || ' args=' || encode(t.tgargs, 'escape')
FROM pg_trigger t WHERE t.tgname LIKE 'vcon\_redis\_%'
UNION ALL
SELECT 'schema acl ' || coalesce(nspacl::text, '-') FROM pg_namespace WHERE nspname = 'vcon_redis'
ORDER BY 1
"""

# The indexes attach() made on the attached schema's tables (the search indexes among them): after
# the update and attach(), exactly those of a fresh install, none of an earlier version left over.
ATTACHED_INDEXES = "SELECT 'attached index ' || indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1"


@pytest.mark.parametrize("version, commit", RELEASES, ids=[v for v, _ in RELEASES])
def test_update_from_a_release_keeps_data_and_pending_events(tmp_path, version, commit):
    old = _release_script(commit)
    if old is None:
        pytest.skip(f"this checkout has no history of release {version} (commit {commit})")
    bin_dir = harness.relocated_postgres(tmp_path / "install", {f"vcon_redis--{version}.sql": old})
    redis_server = harness.RedisServer(tmp_path / "redis").start()
    pg = harness.PgCluster(tmp_path / "pg", bin_dir=bin_dir, settings={
        "vcon_redis.redis_url": f"'{redis_server.url()}'", "vcon_redis.poll_interval": "200"}).init().start()
    try:
        pg.sql(f"CREATE EXTENSION vcon_redis VERSION '{version}'")
        pg.sql("SELECT vcon_redis.attach()")
        uuids = []
        redis_server.pause()  # the events must still be pending when the update runs
        with pg.connect(autocommit=False) as conn, conn.cursor() as cur:
            for i in range(20):
                cur.execute("SET LOCAL vcon_redis.ingress_lists = 'q_upgrade'")
                cur.execute("SELECT vcon_redis.save_vcon(%s::jsonb)::text", (json.dumps(small_vcon(i)),))
                uuids.append(cur.fetchone()[0])
                conn.commit()
        assert pg.sql("SELECT count(*) FROM vcon_redis.outbox")[0][0] >= 20

        pg.sql("ALTER EXTENSION vcon_redis UPDATE")
        assert pg.sql("SELECT extversion FROM pg_extension WHERE extname = 'vcon_redis'")[0][0] == _version()
        # until attach(), content search says what is missing and what to run
        with pytest.raises(psycopg2.errors.ObjectNotInPrerequisiteState) as refused:
            pg.sql("SELECT * FROM vcon_redis.search_vcons_content('delivery')")
        assert "attach" in refused.value.diag.message_hint
        pg.sql("SELECT vcon_redis.attach()")  # the views and triggers that belong to the schema
        assert pg.sql("SELECT count(*) FROM vcon_redis.search_vcons_content('delivery')")[0][0] >= 0
        redis_server.resume()

        r = redis_server.client()
        harness.wait_for(lambda: r.llen("q_upgrade") == 20, 30, what="events of the old release drained")
        assert sorted(r.lrange("q_upgrade", 0, -1)) == sorted(uuids)
        for u in uuids:
            assert r.get(f"vcon:{u}") == compact(pg.sql("SELECT vcon_redis.vcon_json(%s)::text", (u,))[0][0])
        assert pg.sql("SELECT backlog, dead_letters FROM vcon_redis.status()")[0] == (0, 0)

        pg.sql("CREATE DATABASE fresh")
        pg.sql("CREATE EXTENSION vcon_redis", dbname="fresh")
        pg.sql("SELECT vcon_redis.attach()", dbname="fresh")
        upgraded = [row[0] for q in (CATALOG, ATTACHED_INDEXES) for row in pg.sql(q)]
        fresh = [row[0] for q in (CATALOG, ATTACHED_INDEXES) for row in pg.sql(q, dbname="fresh")]
        assert upgraded == fresh, "\n".join(
            ["only after the upgrade:"] + sorted(set(upgraded) - set(fresh))
            + ["only in a fresh install:"] + sorted(set(fresh) - set(upgraded)))
        crashes = pg.crashes()
        assert not crashes, crashes
    finally:
        pg.destroy()
        redis_server.destroy()
