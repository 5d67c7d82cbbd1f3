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
from pathlib import Path

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
    barrier(stack)
    stack.assert_converged(written)
