"""vcon_redis attached to vcon-mcp's real database (its 53 migrations on Supabase stand-ins),
written by a faithful port of vcon-mcp's own write paths as PostgREST runs them (`service_role`):

- every write path still works, and reaches Redis (`vcon:<uuid>` = compact vcon_json);
- vcon_redis.vcon_json of every vCon contains everything vcon-mcp's getVCon returns, same values;
- vcon-mcp's reads, RPCs and views still work for service_role and for `authenticated` (JWT claims,
  its tenant RLS policies) after attach;
- rows save_vcon wrote and vcon-mcp then changed read with vcon-mcp's change.

Skips when ../shared/reference/vcon-mcp-schema (vcon-mcp's migrations) is absent.
"""

import json

import psycopg2.errors
import pytest

import vcon_mcp
from conftest import barrier, running_stack, save

pytestmark = pytest.mark.skipif(not vcon_mcp.REFERENCE.is_dir(),
                                reason=f"vcon-mcp's migrations not found at {vcon_mcp.REFERENCE}")

SAMPLES = sorted((vcon_mcp.REFERENCE.parent.parent / "samples").glob("*.json"))
skipped_statements = []


def _create_database(pg):
    skipped_statements.append(vcon_mcp.create_vcon_mcp_database(pg))


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    yield from running_stack(tmp_path_factory.mktemp("vcon-mcp"), prepare=_create_database)


@pytest.fixture(scope="module")
def rest(stack):
    r = vcon_mcp.Rest(stack.pg)
    yield r
    r.close()


@pytest.fixture(scope="module")
def mcp(rest):
    return vcon_mcp.VConQueries(rest)


def assert_contains(stack, mcp, vcon_uuid):
    ours = json.loads(stack.doc(vcon_uuid))
    problems = vcon_mcp.differences(ours, mcp.get_vcon(vcon_uuid))
    assert not problems, f"vcon_json({vcon_uuid}) does not contain vcon-mcp's getVCon:\n" + "\n".join(problems)


def assert_all_contain(stack, mcp, uuids):
    problems = []
    for u in uuids:
        problems += [f"{u} {p}" for p in vcon_mcp.differences(json.loads(stack.doc(u)), mcp.get_vcon(u))]
    assert not problems, "vcon_json does not contain vcon-mcp's getVCon:\n" + "\n".join(problems)


def test_migrations_apply_with_only_pgvector_statements_skipped(stack):
    # 3 hnsw indexes and 2 CREATE EXTENSION vector; everything else applied
    assert skipped_statements == [5]
    tables = {r[0] for r in stack.pg.sql("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    assert {"vcons", "parties", "dialog", "analysis", "attachments", "party_history", "groups",
            "vcon_embeddings", "embedding_queue"} <= tables
    assert stack.status()["attached_schema"] == "public"


def test_create_vcon_every_sample_and_structure(stack, mcp):
    docs = [json.loads(p.read_text()) for p in SAMPLES] + vcon_mcp.structured_vcons(10)
    written = []
    for doc in docs:
        doc = vcon_mcp.normalize_vcon(doc)
        try:
            mcp.create_vcon(doc)
        except psycopg2.errors.CheckViolation as e:
            # vcon-mcp's own CHECKs refuse parts of some real vCons (a "video" dialog); its vcons
            # row and the other tables' rows stay, as with vcon-mcp
            print(f"{doc['uuid']}: vcon-mcp's schema refused a part: {str(e).splitlines()[0]}")
        written.append(doc["uuid"])
    assert len(written) == len(docs) >= 10
    assert_all_contain(stack, mcp, written)
    barrier(stack, mcp.create_vcon)
    stack.assert_converged(written)


def test_every_write_path(stack, mcp):
    """Each of vcon-mcp's write paths, as service_role; after each the document contains what
    vcon-mcp reads back; at the end every change is in Redis and the deleted vCon is gone."""
    doc = vcon_mcp.structured_vcons(1, seed=11)[0]
    u = mcp.create_vcon(doc)
    steps = [
        ("addDialog", lambda: mcp.add_dialog(u, {
            "type": "recording", "start": "2026-04-01T10:00:00.25Z", "duration": 1234.567, "parties": [0, 1],
            "originator": 1, "mediatype": "audio/x-wav", "url": "https://example.com/d.wav", "content_hash": "sha512-B",
            "session_id": {"local": "l1", "remote": "r1"},
            "party_history": [{"party": 0, "time": "2026-04-01T10:00:00Z", "event": "join"},
                              {"party": 1, "time": "2026-04-01T10:00:05Z", "event": "drop"}]})),
        ("addAnalysis", lambda: mcp.add_analysis(u, {"type": "summary", "dialog": [0, 3], "vendor": "openai",
                                                     "encoding": "none", "body": {"summary": "ok", "n": 3}})),
        ("addAttachment strolid_dealer", lambda: mcp.add_attachment(u, {
            "type": "strolid_dealer", "encoding": "json",
            "body": {"id": "D9", "name": "Dealer Nine", "team": {"id": 3, "name": "T3"}}})),
        ("addAttachment", lambda: mcp.add_attachment(u, {
            "purpose": "receipt", "start": "2026-04-01T10:01:00Z", "party": 0, "dialog": 3,
            "mediatype": "application/json", "encoding": "none", "body": [1, 2.5, "x"]})),
        ("addParty", lambda: mcp.add_party(u, {"name": "Supervisor", "sip": "sip:sup@example.com",
                                               "jcard": ["vcard", []]})),
        ("updateParty", lambda: mcp.update_party(u, 2, {"name": "Supervisor 2", "tel": "+15550009999"})),
        ("removeParty", lambda: mcp.remove_party(u, 2, anonymize=True)),
        ("updateDialog", lambda: mcp.update_dialog(u, 1, {
            "type": "text", "start": "2026-04-01T11:00:00Z", "parties": [1], "encoding": "none", "body": "edited text",
            "party_history": [{"party": 1, "time": "2026-04-01T11:00:00Z", "event": "join"}]})),
        ("removeDialog", lambda: mcp.remove_dialog(u, 2)),
        ("updateAnalysis", lambda: mcp.update_analysis(u, 1, {"type": "summary", "dialog": 1, "vendor": "anthropic",
                                                              "encoding": "none", "body": "null"})),
        ("removeAnalysis", lambda: mcp.remove_analysis(u, 0)),
        ("updateAttachment", lambda: mcp.update_attachment(u, 3, {"purpose": "note", "encoding": "none",
                                                                  "body": {"n": 1}})),
        ("removeAttachment", lambda: mcp.remove_attachment(u, 4)),
        ("updateVCon", lambda: mcp.update_vcon(u, {"subject": "updated subject", "extensions": ["X"], "critical": []})),
        ("addTag", lambda: mcp.add_tag(u, "status", "open")),
        ("addTag number", lambda: mcp.add_tag(u, "score", 7)),
        ("removeTag", lambda: mcp.remove_tag(u, "priority")),
        ("updateTags merge", lambda: mcp.update_tags(u, {"dealer_name": "Dealer Nine", "flag": True})),
        ("updateTags replace", lambda: mcp.update_tags(u, {"only": "this"}, merge=False)),
        ("removeAllTags", lambda: mcp.remove_all_tags(u)),
        ("createVCon again (upsert)", lambda: mcp.create_vcon({**doc, "subject": "re-posted"})),
    ]
    problems = []
    for name, step in steps:
        step()
        problems += [f"after {name}: {p}" for p in vcon_mcp.differences(json.loads(stack.doc(u)), mcp.get_vcon(u))]
    assert not problems, "\n".join(problems)
    assert mcp.get_tags(u) == {"topic": "t0", "priority": "high", "url": "http://x"}   # the re-post restored them
    barrier(stack, mcp.create_vcon)
    stack.assert_converged([u])

    other = mcp.create_vcon(vcon_mcp.structured_vcons(2, seed=12)[1])
    mcp.delete_vcon(other)
    assert stack.doc(other) is None
    barrier(stack, mcp.create_vcon)
    assert stack.cached(other) is None


def test_tags_on_vcons_written_by_vcon_mcp_are_found(stack, mcp, rest):
    """vcon-mcp's tag features look attachments up by type = 'tags'; its materialized view and RPCs
    see the tags, and vcon_json keeps type so other readers can too."""
    u = mcp.create_vcon(vcon_mcp.structured_vcons(3, seed=13)[2])
    mcp.add_tag(u, "campaign", "spring")
    # refresh_vcon_tags_mv is granted to service_role but REFRESH needs the view's owner, attached
    # or not: vcon-mcp's import scripts run it as the database owner
    stack.pg.sql("SELECT refresh_vcon_tags_mv()")
    assert u in [r["vcon_id"] for r in rest.rpc("search_vcons_by_tags", {"tag_filter": {"campaign": "spring"}})]
    tags = [a for a in json.loads(stack.doc(u))["attachments"] if a.get("type") == "tags"]
    assert len(tags) == 1 and "campaign:spring" in json.loads(tags[0]["body"])


def test_reads_rpcs_and_views_for_its_roles(stack, mcp, rest):
    """After attach, vcon-mcp's reads, RPCs and views work as service_role and as authenticated
    (JWT claims, its tenant RLS policies), and return the vCons vcon-mcp wrote."""
    docs = vcon_mcp.structured_vcons(4, seed=21)
    for d in docs:
        mcp.create_vcon(d, tenant_id=vcon_mcp.extract_tenant(d))
    t0 = [d["uuid"] for d in docs if vcon_mcp.extract_tenant(d) == "tenant-0"]
    t1 = [d["uuid"] for d in docs if vcon_mcp.extract_tenant(d) == "tenant-1"]
    assert t0 and t1
    # an embedding as vcon-mcp's embed worker stores it (vector(384); 3 values suffice for the stand-in)
    with rest.request() as cur:
        cur.execute("INSERT INTO vcon_embeddings (vcon_id, content_type, content_reference, content_text, embedding) "
                    "VALUES (%s, 'subject', NULL, 'structured call', '[1,0,0]')", (t0[0],))
    stack.pg.sql("SELECT refresh_vcon_tags_mv()")   # the owner's job (see the tags test)

    authenticated = vcon_mcp.Rest(stack.pg, {"role": "authenticated", "tenant_id": "tenant-0",
                                             "sub": "00000000-0000-0000-0000-000000000001"})
    try:
        for db, visible, hidden in ((rest, t0 + t1, []), (authenticated, t0, t1)):
            q = vcon_mcp.VConQueries(db)
            for u in visible:
                assert vcon_mcp.differences(json.loads(stack.doc(u)), q.get_vcon(u)) == []
            for u in hidden:
                with pytest.raises(LookupError):
                    q.get_vcon(u)
            found = {r["vcon_id"] for r in db.rpc("search_vcons_keyword", {"query_text": "structured"})}
            assert set(visible) <= found and not found & set(hidden)
            assert t0[0] in {r["vcon_id"] for r in db.rpc("search_vcons_semantic", {
                "query_embedding": "[1,0,0]", "match_threshold": 0.5})}
            assert t0[0] in {r["vcon_id"] for r in db.rpc("search_vcons_hybrid", {
                "keyword_query": "structured", "query_embedding": "[1,0,0]"})}
            high = {"priority": "high"}
            by_tags = {r["vcon_id"] for r in db.rpc("search_vcons_by_tags", {"tag_filter": high, "max_results": 100})}
            assert set(visible) <= by_tags and not by_tags & set(hidden)
            by_date = {r["vcon_uuid"] for r in db.rpc("search_vcons_by_tags_and_date", {
                "tag_filter": {"priority": "high"}, "vcon_created_after": "2026-01-01T00:00:00Z"})}
            assert set(visible) <= by_date
            assert db.rpc("search_vcons_by_tags_and_date_count", {"tag_filter": {"priority": "high"}})[0][
                "search_vcons_by_tags_and_date_count"] >= len(visible)
            assert db.rpc("get_vcon_tags", {"p_vcon_uuid": visible[0]})[0]["tags"]["priority"] == "high"
            assert db.rpc("vcon_has_tags", {"p_vcon_uuid": visible[0], "tag_filter": high})[0]["vcon_has_tags"]
            dealer = docs[[d["uuid"] for d in docs].index(visible[0])]["attachments"][1]["body"]["id"]
            by_dealer = db.rpc("vcon_uuids_for_dealer_filter", {"p_dealer_id": dealer})
            assert visible[0] in {r["vcon_uuid"] for r in by_dealer}
            count = db.rpc("count_vcons_for_dealer_filter", {"p_dealer_id": dealer})
            assert count[0]["count_vcons_for_dealer_filter"] >= 1
            count = db.rpc("count_vcons_tags_and_dealer", {"tag_filter": high, "p_dealer_id": dealer})
            assert count[0]["count_vcons_tags_and_dealer"] >= 1
            stats = db.rpc("aggregate_vcons_by_dealer_stats", {"tag_filter": high})
            assert dealer in {r["dealer_id"] for r in stats}
            assert db.rpc("get_vcon_critical", {"vcon_id": visible[0]}) is not None
            assert db.select("vcons_legacy", "uuid", {"uuid": visible[0]}) == [{"uuid": visible[0]}]
            assert db.select("vcon_field_usage", "uuid", {"uuid": visible[0]}) == [{"uuid": visible[0]}]
            mv = {r["vcon_id"] for r in db.select("vcon_tags_mv", "vcon_id")}
            assert set(visible) <= mv
        # exec_sql is SECURITY DEFINER and granted to anon too
        anon = vcon_mcp.Rest(stack.pg, {"role": "anon"})
        try:
            n = anon.rpc("exec_sql", {"q": "SELECT count(*) AS n FROM attachments WHERE type = 'tags'", "params": {}})
            assert n[0]["exec_sql"][0]["n"] >= len(docs)
        finally:
            anon.close()
        # an authenticated client writes within its tenant, and that reaches Redis too
        mine = vcon_mcp.structured_vcons(6, seed=22)[4]
        assert vcon_mcp.extract_tenant(mine) == "tenant-0"
        vcon_mcp.VConQueries(authenticated).create_vcon(mine, tenant_id="tenant-0")
    finally:
        authenticated.close()
    barrier(stack, mcp.create_vcon)
    stack.assert_converged(t0 + t1 + [mine["uuid"]])


def test_vcon_mcp_changes_to_rows_save_vcon_wrote_are_not_hidden(stack, mcp, rest):
    """save_vcon's own columns (extra, body_json, duration, doc_updated_at) describe the rows as it
    wrote them; once vcon-mcp changes a row, the document shows vcon-mcp's change. Rows and members
    nobody else touched keep everything save_vcon stored."""
    u = save(stack.pg, {
        "vcon": "0.4.0", "uuid": "018f0000-0000-8000-8000-00000000a001", "created_at": "2026-05-01T00:00:00Z",
        "updated_at": "2026-05-01T00:00:01Z", "subject": "saved", "x_meta": {"source": "conserver"},
        "parties": [{"name": "A", "tel": "+1555", "type": "person",
                     "jCard": ["vcard", [["fn", {}, "text", "A"]]]},
                    {"name": "B", "mailto": "b@example.com", "org": "Example"}],
        "dialog": [{"type": "text", "start": "2026-05-01T00:00:02Z", "parties": [0, 1], "duration": 1234.567,
                    "mediatype": "application/json", "encoding": "json", "body": {"a": 1}, "x_dialog": True},
                   {"type": "text", "start": "2026-05-01T00:00:03Z", "parties": [[0], [1]],
                    "mediatype": "text/plain", "encoding": "none", "body": "kept", "x_dialog": 2}],
        "analysis": [{"type": "summary", "dialog": [0], "vendor": "v", "encoding": "none", "body": {"k": 1}}],
        "attachments": [{"purpose": "tags", "encoding": "json", "body": ["topic:a"]},
                        {"purpose": "note", "encoding": "none", "body": "x", "x_ext": 1}]})
    mcp.update_vcon(u, {"subject": "changed by vcon-mcp"})
    mcp.add_tag(u, "status", "open")                  # saveTags rewrites the tags attachment (type 'tags')
    mcp.update_dialog(u, 0, {"type": "text", "start": "2026-05-01T00:00:04Z", "parties": [1],
                             "encoding": "none", "body": "now plain text"})
    mcp.update_party(u, 0, {"name": "A2", "jcard": ["vcard", []]})
    mcp.remove_party(u, 1)
    mcp.update_analysis(u, 0, {"type": "summary", "dialog": 0, "vendor": "w", "encoding": "none", "body": "plain"})
    with rest.request() as cur:   # upkeep that changes no document column leaves save_vcon's columns alone
        cur.execute("UPDATE dialog SET tenant_id = 'z' WHERE vcon_id = %s", (u,))

    ours, theirs = json.loads(stack.doc(u)), mcp.get_vcon(u)
    problems = []
    for key in ("subject", "updated_at"):
        problems += vcon_mcp.differences(ours, {key: theirs[key]})
    for arr, i in (("attachments", 0), ("dialog", 0), ("parties", 0), ("parties", 1), ("analysis", 0)):
        problems += vcon_mcp.differences(ours[arr][i], theirs[arr][i], f"{arr}[{i}].")
    assert not problems, "\n".join(problems)
    assert ours["dialog"][0]["body"] == "now plain text" and "x_dialog" not in ours["dialog"][0]
    assert ours["parties"][1] == {}                   # the placeholder, not B's members
    assert ours["x_meta"] == {"source": "conserver"} and ours["vcon"] == "0.4.0"
    assert ours["dialog"][1] == {"type": "text", "start": "2026-05-01T00:00:03Z", "parties": [[0], [1]],
                                 "mediatype": "text/plain", "encoding": "none", "body": "kept", "x_dialog": 2}
    assert ours["attachments"][1] == {"purpose": "note", "encoding": "none", "body": "x", "x_ext": 1}
    barrier(stack, mcp.create_vcon)
    stack.assert_converged([u])


def _keyword_hits(rows, id_key, type_key, index_key, rank_key) -> set:
    return {(str(r[id_key]), r[type_key], r[index_key], round(float(r[rank_key]), 5)) for r in rows}


def test_content_search_is_vcon_mcps_keyword_search(stack, mcp, rest):
    """On vcon-mcp's database search_vcons_content matches and ranks on vcon-mcp's stored tsvector
    columns (kept by its triggers): the same fields and ranks as its search_vcons_keyword, for rows
    vcon-mcp wrote and rows save_vcon wrote; the columns stay vcon-mcp's own (attach adds none)."""
    word = "quokka"
    doc = vcon_mcp.structured_vcons(1, seed=31)[0]
    doc["subject"] = f"{word} call"
    doc["parties"][0]["name"] = f"Ann {word.capitalize()}"
    doc["parties"][1]["mailto"] = f"{word}@example.com"
    theirs = mcp.create_vcon(doc)
    mcp.add_analysis(theirs, {"type": "summary", "vendor": "v", "encoding": "none",
                              "body": {"summary": f"{word} sighted", "speaker": "agent"}})
    ours = save(stack.pg, {"vcon": "0.4.0", "uuid": "018f0000-0000-8000-8000-00000000c001",
                           "created_at": "2026-05-02T00:00:00Z", "subject": f"another {word}",
                           "parties": [{"name": word.upper(), "tel": "+15550001"}],
                           "dialog": [{"type": "text", "start": "2026-05-02T00:00:01Z", "parties": [0],
                                       "encoding": "json", "body": [{"speaker": 0, "text": f"a {word}"}]}]})
    for query in (word, f"{word}@example.com", "speaker"):
        expected = _keyword_hits(rest.rpc("search_vcons_keyword", {"query_text": query, "max_results": 100}),
                                 "vcon_id", "doc_type", "ref_index", "rank")
        got = _keyword_hits(rest.sql_json(
            "SELECT coalesce(json_agg(t), '[]') FROM vcon_redis.search_vcons_content(%s, lim => 100) t", (query,)),
            "vcon_id", "content_type", "content_index", "relevance_score")
        assert got == expected, query
        assert {h[0] for h in got} & {theirs, ours}, query
    generated = stack.pg.sql("SELECT count(*) FROM pg_attribute WHERE attname LIKE '%tsvector' AND attgenerated <> ''"
                             " AND attrelid IN ('vcons'::regclass, 'parties'::regclass, 'dialog'::regclass,"
                             " 'analysis'::regclass)")[0][0]
    assert generated == 0


def test_rows_without_a_stored_tsvector_are_filled_by_attach(stack, mcp):
    """Rows vcon-mcp wrote before its migration added the tsvector columns hold NULL there (its
    triggers fill new rows only): attach() fills them, so content search finds them."""
    doc = vcon_mcp.structured_vcons(1, seed=32)[0]
    doc["subject"] = "wombat call"
    u = mcp.create_vcon(doc)
    stack.pg.sql("UPDATE vcons SET subject_tsvector = NULL WHERE uuid = %s", (u,))

    def found():
        return [r[0] for r in stack.pg.sql("SELECT vcon_id::text FROM vcon_redis.search_vcons_content('wombat')")]
    assert found() == []
    stack.pg.sql("SELECT vcon_redis.attach()")
    assert found() == [u]
