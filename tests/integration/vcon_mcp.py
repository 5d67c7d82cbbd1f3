"""vcon-mcp's real database and its row code, ported for the tests: Supabase stand-ins, its 53
migrations, its writers as PostgREST runs them, and its getVCon reassembly.

The migrations and TypeScript are read from <repo>/../shared/reference/vcon-mcp-schema (vcon-mcp
1.3.0); tests skip when that folder is absent. Each ported function names the TypeScript function
it mirrors (batch-writer.ts, queries.ts, body-serialization.ts of that copy).

PostgREST runs every request as one transaction: it connects as `authenticator`, switches to the
request's role with SET LOCAL ROLE and puts the JWT claims in `request.jwt.claims`; rows go in
through json_populate_recordset over the JSON body (so a JavaScript value lands in a column exactly
as supabase-js sent it), `upsert` is INSERT … ON CONFLICT (…) DO UPDATE SET <every sent column>.
`Rest` below issues those statements.
"""

from __future__ import annotations

import contextlib
import json
import re
from datetime import datetime
from pathlib import Path

import harness

REFERENCE = harness.repo_root().parent / "shared" / "reference" / "vcon-mcp-schema"


def migrations() -> list[Path]:
    return sorted(REFERENCE.glob("20*.sql"))


# -- the database -----------------------------------------------------------------------------

# The smallest Supabase: its roles (service_role bypasses RLS; PostgREST logs in as the
# NOINHERIT authenticator and switches role per request), the `extensions` schema with uuid-ossp
# and pg_trgm, `auth` with the JWT helpers reading request.jwt.claims, Supabase's grants on schema
# public (default privileges of role postgres), and its search_path "$user", public, extensions.
SUPABASE_STANDINS = r"""
CREATE ROLE anon NOLOGIN NOINHERIT;
CREATE ROLE authenticated NOLOGIN NOINHERIT;
CREATE ROLE service_role NOLOGIN NOINHERIT BYPASSRLS;
CREATE ROLE authenticator LOGIN NOINHERIT;
GRANT anon, authenticated, service_role TO authenticator;

CREATE SCHEMA extensions;
CREATE EXTENSION "uuid-ossp" WITH SCHEMA extensions;
CREATE EXTENSION pg_trgm WITH SCHEMA extensions;
GRANT USAGE ON SCHEMA extensions TO anon, authenticated, service_role;

CREATE SCHEMA auth;
CREATE FUNCTION auth.jwt() RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT coalesce(nullif(current_setting('request.jwt.claims', true), ''), '{}')::jsonb
$$;
CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $$
    SELECT nullif(auth.jwt() ->> 'sub', '')::uuid
$$;
CREATE FUNCTION auth.role() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT auth.jwt() ->> 'role'
$$;
GRANT USAGE ON SCHEMA auth TO anon, authenticated, service_role;

GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT ALL ON SEQUENCES TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT ALL ON FUNCTIONS TO anon, authenticated, service_role;
ALTER DATABASE postgres SET search_path = "$user", public, extensions;
"""

# pgvector is not packaged for Debian 12. Its stand-in: a base type `vector` whose text is kept as
# given ('[0.1,0.2,…]'), with a type modifier so `vector(384)` parses (varchar's typmod functions:
# one positive integer), and the cosine-distance operator `<=>` the search functions use, in SQL.
# It has no index access method, so the migrations' `CREATE INDEX … USING hnsw` statements are the
# ones skipped (VECTOR_SKIPPED), with `CREATE EXTENSION IF NOT EXISTS vector` (nothing to install:
# the type already exists).
VECTOR_STANDIN = r"""
CREATE TYPE extensions.vector;
CREATE FUNCTION extensions.vector_in(cstring) RETURNS extensions.vector
    LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE AS 'textin';
CREATE FUNCTION extensions.vector_out(extensions.vector) RETURNS cstring
    LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE AS 'textout';
CREATE FUNCTION extensions.vector_typmod_in(cstring[]) RETURNS integer
    LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE AS 'varchartypmodin';
CREATE FUNCTION extensions.vector_typmod_out(integer) RETURNS cstring
    LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE AS 'varchartypmodout';
CREATE TYPE extensions.vector (
    INPUT = extensions.vector_in, OUTPUT = extensions.vector_out,
    TYPMOD_IN = extensions.vector_typmod_in, TYPMOD_OUT = extensions.vector_typmod_out,
    INTERNALLENGTH = VARIABLE, STORAGE = extended, ALIGNMENT = int4);
CREATE FUNCTION extensions.vector_cosine_distance(a extensions.vector, b extensions.vector)
RETURNS double precision LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT 1 - sum(x * y) / nullif(sqrt(sum(x * x)) * sqrt(sum(y * y)), 0)
    FROM unnest(translate(a::text, '[]', '{}')::float8[], translate(b::text, '[]', '{}')::float8[]) AS u(x, y)
$$;
CREATE OPERATOR extensions.<=> (LEFTARG = extensions.vector, RIGHTARG = extensions.vector,
                                FUNCTION = extensions.vector_cosine_distance, COMMUTATOR = OPERATOR(extensions.<=>));
GRANT USAGE ON TYPE extensions.vector TO anon, authenticated, service_role;
"""

VECTOR_SKIPPED = [
    re.compile(r"CREATE\s+INDEX\b[^;]*?\bUSING\s+(hnsw|ivfflat)\b[^;]*;", re.I | re.S),
    re.compile(r"CREATE\s+EXTENSION\s+IF\s+NOT\s+EXISTS\s+vector\s*;", re.I),
]


def migration_text(path: Path) -> tuple[str, int]:
    """The migration as applied here and how many statements VECTOR_SKIPPED removed from it."""
    text = path.read_text()
    skipped = 0
    for pattern in VECTOR_SKIPPED:
        text, n = pattern.subn("-- skipped: needs pgvector\n", text)
        skipped += n
    return text, skipped


def create_vcon_mcp_database(pg: harness.PgCluster) -> int:
    """Supabase stand-ins, then all migrations in file-name order as postgres (as `supabase db
    push` applies them). Returns the number of statements skipped."""
    pg.psql(input=SUPABASE_STANDINS + VECTOR_STANDIN)
    skipped = 0
    for path in migrations():
        text, n = migration_text(path)
        skipped += n
        try:
            pg.psql("-v", "ON_ERROR_STOP=1", input=text)
        except Exception as e:  # name the migration that failed
            raise RuntimeError(f"{path.name}: {getattr(e, 'stderr', e)}") from e
    return skipped


# -- PostgREST --------------------------------------------------------------------------------

SERVICE_ROLE = {"role": "service_role"}


class Rest:
    """The statements PostgREST runs for supabase-js calls, one transaction per request, as
    `authenticator` switched to the role of the JWT claims."""

    def __init__(self, pg: harness.PgCluster, claims: dict | None = None):
        import psycopg2
        self.claims = claims or SERVICE_ROLE
        self.conn = psycopg2.connect(f"host=127.0.0.1 port={pg.port} user=authenticator dbname=postgres")

    def close(self):
        self.conn.close()

    @contextlib.contextmanager
    def request(self):
        """One PostgREST request: BEGIN; SET LOCAL ROLE; SET LOCAL request.jwt.claims; …; COMMIT."""
        with self.conn, self.conn.cursor() as cur:   # psycopg2: commit on success, rollback on error
            cur.execute("SELECT set_config('role', %s, true), set_config('request.jwt.claims', %s, true)",
                        (self.claims["role"], json.dumps(self.claims)))
            yield cur

    def _write(self, table: str, rows, on_conflict: str | None, returning: str | None):
        rows = rows if isinstance(rows, list) else [rows]
        # supabase-js sends the union of the rows' keys as `columns`; a key a row lacks is NULL
        cols = sorted({k for r in rows for k in r})
        quoted = ", ".join(f'"{c}"' for c in cols)
        sql = (f'INSERT INTO public."{table}" ({quoted}) SELECT {", ".join(f"b.{c}" for c in map(quote, cols))} '
               f'FROM json_populate_recordset(NULL::public."{table}", %s::json) AS b')
        if on_conflict:
            sql += (f" ON CONFLICT ({on_conflict}) DO UPDATE SET "
                    + ", ".join(f"{quote(c)} = EXCLUDED.{quote(c)}" for c in cols))
        if returning:
            sql += f" RETURNING {returning}"
        with self.request() as cur:
            cur.execute(sql, (js_json(rows),))
            return cur.fetchall() if returning else None

    def insert(self, table: str, rows, returning: str | None = None):
        """supabase.from(table).insert(rows)[.select(returning)]"""
        return self._write(table, rows, None, returning)

    def upsert(self, table: str, rows, on_conflict: str):
        """supabase.from(table).upsert(rows, { onConflict })"""
        return self._write(table, rows, on_conflict, None)

    def update(self, table: str, values: dict, where: dict, returning: str | None = None):
        """supabase.from(table).update(values).eq(k, v)…[.select(returning)]"""
        cols = sorted(values)
        sql = (f'UPDATE public."{table}" t SET ' + ", ".join(f"{quote(c)} = b.{quote(c)}" for c in cols)
               + f' FROM json_populate_record(NULL::public."{table}", %s::json) AS b WHERE '
               + " AND ".join(f"t.{quote(k)} = %s" for k in where))
        if returning:
            sql += " RETURNING " + ", ".join(f"t.{quote(c.strip())}" for c in returning.split(","))
        with self.request() as cur:
            cur.execute(sql, (js_json(values), *where.values()))
            return cur.fetchall() if returning else None

    def delete(self, table: str, where: dict):
        """supabase.from(table).delete().eq(k, v)…"""
        with self.request() as cur:
            cur.execute(f'DELETE FROM public."{table}" WHERE '
                        + " AND ".join(f"{quote(k)} = %s" for k in where), tuple(where.values()))

    def select(self, table: str, columns: str = "*", where: dict | None = None, order: str | None = None,
               desc: bool = False, limit: int | None = None) -> list[dict]:
        """supabase.from(table).select(columns).eq(…).order(…).limit(…): rows as PostgREST's JSON"""
        sql = f'SELECT {columns} FROM public."{table}"'
        if where:
            sql += " WHERE " + " AND ".join(f"{quote(k)} = %s" for k in where)
        if order:
            sql += f" ORDER BY {quote(order)}" + (" DESC" if desc else "")
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return self.sql_json(f"SELECT coalesce(json_agg(t), '[]') FROM ({sql}) t", tuple((where or {}).values()))

    def rpc(self, fn: str, args: dict):
        """supabase.rpc(fn, args): named arguments from the JSON body; the result rows as JSON
        objects (a scalar result as one row {fn: value})"""
        names = ", ".join(f"{quote(k)} => %s" for k in args)
        params = tuple(v if not isinstance(v, (dict, list)) else json.dumps(v) for v in args.values())
        return self.sql_json(f"SELECT coalesce(json_agg(t), '[]') FROM (SELECT * FROM public.{quote(fn)}({names})) t",
                             params)

    def sql_json(self, sql: str, params=()):
        with self.request() as cur:
            cur.execute(sql, params)
            return cur.fetchone()[0]     # psycopg2 decodes json


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def js_json(value) -> str:
    """JSON.stringify: compact, undefined keys already left out by the row builders."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


# -- vcon-mcp's writers ------------------------------------------------------------------------

class _Undefined:
    """JavaScript's undefined: JSON.stringify leaves such a key out (null is kept)."""

    def __repr__(self):
        return "undefined"


UNDEFINED = _Undefined()


def js_row(**cols) -> dict:
    return {k: v for k, v in cols.items() if v is not UNDEFINED}


def serialize_body(body, encoding):
    """body-serialization.ts serializeBody: JSON.stringify a non-string body when encoding is
    unset or 'none'; anything else as given."""
    if (encoding in (UNDEFINED, None, "") or encoding == "none") and not isinstance(body, str):
        return UNDEFINED if body is UNDEFINED else js_json(body)
    return body


def deserialize_body(body, encoding):
    """body-serialization.ts deserializeBody: encoding unset or 'none' → JSON.parse when valid."""
    if encoding in (None, "") or encoding == "none":
        try:
            return json.loads(body)
        except (TypeError, ValueError):
            pass
    return body


def extract_tenant(vcon: dict, attachment_type: str = "tenant", json_path: str = "id"):
    """src/config/tenant-config.ts extractTenantFromVCon (RLS_ENABLED=true): the value at
    TENANT_JSON_PATH of the body of the first attachment whose type is TENANT_ATTACHMENT_TYPE."""
    for a in vcon.get("attachments") or []:
        if a.get("type") == attachment_type:
            body = a.get("body")
            if isinstance(body, str):
                try:
                    body = json.loads(body)
                except ValueError:
                    return None
            for part in json_path.split("."):
                body = body.get(part) if isinstance(body, dict) else None
            return None if body is None else str(body)
    return None


def normalize_vcon(vcon: dict) -> dict:
    """src/services/vcon-service.ts normalizeVCon (create-time defaults): vcon '0.4.0', a random
    uuid, created_at now."""
    import uuid as uuidlib
    out = dict(vcon)
    out.setdefault("vcon", "0.4.0")
    out.setdefault("uuid", str(uuidlib.uuid4()))
    out.setdefault("created_at", datetime.utcnow().isoformat(timespec="milliseconds") + "Z")
    return out


def _get(d: dict, k: str):
    return d.get(k, UNDEFINED)


def build_vcon_row(vcon: dict, tenant_id):
    """batch-writer.ts buildVconRow"""
    return js_row(id=vcon["uuid"], uuid=vcon["uuid"],
                  vcon_version=vcon["vcon"] if vcon.get("vcon") is not None else "0.4.0",
                  subject=_get(vcon, "subject"), created_at=_get(vcon, "created_at"),
                  updated_at=vcon.get("updated_at") or datetime.utcnow().isoformat(timespec="milliseconds") + "Z",
                  extensions=_get(vcon, "extensions"), critical=_get(vcon, "critical"),
                  redacted=vcon.get("redacted") or {}, amended=vcon.get("amended") or {}, tenant_id=tenant_id)


def build_party_row(vcon_id: str, party: dict, index: int):
    """batch-writer.ts buildPartyRow"""
    return js_row(vcon_id=vcon_id, party_index=index,
                  **{k: _get(party, k) for k in ("tel", "sip", "stir", "mailto", "name", "did", "uuid",
                                                 "validation", "jcard", "gmlpos", "civicaddress", "timezone")})


def build_dialog_row(vcon_id: str, dialog: dict, index: int):
    """batch-writer.ts buildDialogRow (the body is stored raw, not serialised)"""
    parties = None
    if "parties" in dialog:
        parties = dialog["parties"] if isinstance(dialog["parties"], list) else [dialog["parties"]]
    return js_row(vcon_id=vcon_id, dialog_index=index, type=_get(dialog, "type"), start_time=_get(dialog, "start"),
                  duration_seconds=_get(dialog, "duration"), parties=parties,
                  **{k: _get(dialog, k) for k in ("originator", "mediatype", "filename", "body", "encoding", "url",
                                                  "content_hash", "disposition", "session_id", "application",
                                                  "message_id")})


def _dialog_indices(analysis: dict):
    d = _get(analysis, "dialog")
    return d if isinstance(d, list) else (None if d is UNDEFINED else [d])


def build_analysis_row(vcon_id: str, analysis: dict, index: int):
    """batch-writer.ts buildAnalysisRow"""
    return js_row(vcon_id=vcon_id, analysis_index=index, type=_get(analysis, "type"),
                  dialog_indices=_dialog_indices(analysis),
                  **{k: _get(analysis, k) for k in ("mediatype", "filename", "vendor", "product", "schema")},
                  body=serialize_body(_get(analysis, "body"), _get(analysis, "encoding")),
                  encoding=_get(analysis, "encoding"), url=_get(analysis, "url"),
                  content_hash=_get(analysis, "content_hash"))


def build_attachment_row(vcon_id: str, attachment: dict, index: int):
    """batch-writer.ts buildAttachmentRow"""
    return js_row(vcon_id=vcon_id, attachment_index=index, type=_get(attachment, "type"),
                  purpose=_get(attachment, "purpose"), start_time=_get(attachment, "start"),
                  party=_get(attachment, "party"), dialog=_get(attachment, "dialog"),
                  mimetype=_get(attachment, "mediatype"), filename=_get(attachment, "filename"),
                  body=serialize_body(_get(attachment, "body"), _get(attachment, "encoding")),
                  encoding=_get(attachment, "encoding"), url=_get(attachment, "url"),
                  content_hash=_get(attachment, "content_hash"))


def nullify_undefined(row: dict, builder_keys) -> dict:
    """queries.ts nullifyUndefined: every column the builder names, undefined → null (PUT)."""
    return {k: row.get(k) for k in builder_keys}


PARTY_KEYS = ("tel", "sip", "stir", "mailto", "name", "did", "uuid", "validation", "jcard", "gmlpos",
              "civicaddress", "timezone")
DIALOG_KEYS = ("type", "start_time", "duration_seconds", "parties", "originator", "mediatype", "filename", "body",
               "encoding", "url", "content_hash", "disposition", "session_id", "application", "message_id")
ANALYSIS_KEYS = ("type", "dialog_indices", "mediatype", "filename", "vendor", "product", "schema", "body",
                 "encoding", "url", "content_hash")
ATTACHMENT_KEYS = ("type", "purpose", "start_time", "party", "dialog", "mimetype", "filename", "body", "encoding",
                   "url", "content_hash")


class ChildIndexError(LookupError):
    """src/utils/vcon-children.ts ChildIndexError"""


class VConQueries:
    """queries.ts SupabaseVConQueries, the write paths and getVCon, over `Rest`."""

    def __init__(self, rest: Rest):
        self.db = rest

    # createVCon → batch-writer.ts batchSaveVCon → commitBatch (one vCon per batch)
    def create_vcon(self, vcon: dict, tenant_id: str | None = None) -> str:
        """queries.ts createVCon / batch-writer.ts commitBatch: upsert vcons on id, then one upsert
        per child table on (vcon_id, *_index), each its own request."""
        u = vcon["uuid"]
        self.db.upsert("vcons", [build_vcon_row(vcon, tenant_id)], "id")
        errors = []    # the four upserts run in parallel there: one failing does not stop the others
        for table, key, build in (("parties", "party_index", build_party_row),
                                  ("dialog", "dialog_index", build_dialog_row),
                                  ("analysis", "analysis_index", build_analysis_row),
                                  ("attachments", "attachment_index", build_attachment_row)):
            rows = [build(u, child, i) for i, child in enumerate(vcon.get(table) or [])]
            if rows:
                try:
                    self.db.upsert(table, rows, f"vcon_id,{key}")
                except Exception as e:  # noqa: BLE001 (psycopg2's errors, reported after the others ran)
                    errors.append(e)
        if errors:
            raise errors[0]
        return u

    def _vcon(self, vcon_uuid: str, columns: str = "id") -> dict:
        rows = self.db.select("vcons", columns, {"uuid": vcon_uuid})
        if len(rows) != 1:      # .single()
            raise LookupError(f"vCon not found: {vcon_uuid}")
        return rows[0]

    def _next_index(self, table: str, col: str, vcon_id: str) -> int:
        rows = self.db.select(table, col, {"vcon_id": vcon_id}, order=col, desc=True, limit=1)
        return rows[0][col] + 1 if rows else 0

    def add_analysis(self, vcon_uuid: str, analysis: dict) -> None:
        """queries.ts addAnalysis"""
        vcon = self._vcon(vcon_uuid, "id, created_at")
        row = build_analysis_row(vcon["id"], analysis, self._next_index("analysis", "analysis_index", vcon["id"]))
        row["created_at"] = vcon["created_at"]
        self.db.insert("analysis", row)

    def add_dialog(self, vcon_uuid: str, dialog: dict) -> None:
        """queries.ts addDialog (then its party_history rows: dialog_id, party_index, time, event)"""
        vcon = self._vcon(vcon_uuid)
        row = build_dialog_row(vcon["id"], dialog, self._next_index("dialog", "dialog_index", vcon["id"]))
        dialog_id = self.db.insert("dialog", row, returning="id")[0][0]
        if dialog.get("party_history"):
            self.db.insert("party_history", [js_row(dialog_id=dialog_id, party_index=_get(h, "party"),
                                                    time=_get(h, "time"), event=_get(h, "event"))
                                             for h in dialog["party_history"]])

    def add_attachment(self, vcon_uuid: str, attachment: dict) -> None:
        """queries.ts addAttachment"""
        vcon = self._vcon(vcon_uuid, "id, created_at")
        row = build_attachment_row(vcon["id"], attachment,
                                   self._next_index("attachments", "attachment_index", vcon["id"]))
        row["created_at"] = vcon["created_at"]
        self.db.insert("attachments", row)

    def add_party(self, vcon_uuid: str, party: dict) -> int:
        """queries.ts addParty"""
        vcon_id = self._vcon(vcon_uuid)["id"]
        index = self._next_index("parties", "party_index", vcon_id)
        self.db.insert("parties", build_party_row(vcon_id, party, index))
        return index

    def _update_child(self, table: str, index_col: str, vcon_uuid: str, index: int, row: dict, keys) -> str:
        vcon_id = self._vcon(vcon_uuid)["id"]
        done = self.db.update(table, nullify_undefined(row, keys), {"vcon_id": vcon_id, index_col: index}, "id")
        if not done:
            raise ChildIndexError(f"{table} index {index} not found")
        return done[0][0]

    def update_party(self, vcon_uuid: str, index: int, party: dict) -> None:
        """queries.ts updateParty (PUT: omitted members cleared)"""
        self._update_child("parties", "party_index", vcon_uuid, index, build_party_row("", party, index), PARTY_KEYS)

    def remove_party(self, vcon_uuid: str, index: int, anonymize: bool = False) -> None:
        """queries.ts removeParty (index-preserving placeholder)"""
        placeholder = {k: None for k in PARTY_KEYS}
        placeholder["name"] = "anonymous" if anonymize else None
        self._update_child("parties", "party_index", vcon_uuid, index, placeholder, PARTY_KEYS)

    def update_dialog(self, vcon_uuid: str, index: int, dialog: dict) -> None:
        """queries.ts updateDialog (PUT), then replacePartyHistory"""
        dialog_id = self._update_child("dialog", "dialog_index", vcon_uuid, index,
                                       build_dialog_row("", dialog, index), DIALOG_KEYS)
        self._replace_party_history(dialog_id, dialog.get("party_history"))

    def remove_dialog(self, vcon_uuid: str, index: int) -> None:
        """queries.ts removeDialog (placeholder keeping type; party_history cleared)"""
        vcon_id = self._vcon(vcon_uuid)["id"]
        existing = self.db.select("dialog", "id, type", {"vcon_id": vcon_id, "dialog_index": index})
        if not existing:
            raise ChildIndexError(f"dialog index {index} not found")
        placeholder = {k: None for k in DIALOG_KEYS}
        placeholder["type"] = existing[0]["type"]
        self.db.update("dialog", placeholder, {"vcon_id": vcon_id, "dialog_index": index})
        self._replace_party_history(existing[0]["id"], None)

    def _replace_party_history(self, dialog_id: str, history) -> None:
        """queries.ts replacePartyHistory"""
        self.db.delete("party_history", {"dialog_id": dialog_id})
        if history:
            self.db.insert("party_history", [js_row(dialog_id=dialog_id, party_index=_get(h, "party"),
                                                    time=_get(h, "time"), event=_get(h, "event")) for h in history])

    def update_analysis(self, vcon_uuid: str, index: int, analysis: dict) -> None:
        """queries.ts updateAnalysis (PUT)"""
        self._update_child("analysis", "analysis_index", vcon_uuid, index,
                           build_analysis_row("", analysis, index), ANALYSIS_KEYS)

    def update_attachment(self, vcon_uuid: str, index: int, attachment: dict) -> None:
        """queries.ts updateAttachment (PUT)"""
        self._update_child("attachments", "attachment_index", vcon_uuid, index,
                           build_attachment_row("", attachment, index), ATTACHMENT_KEYS)

    def _compact_child_table(self, table: str, index_col: str, vcon_id: str, index: int) -> None:
        """queries.ts compactChildTable: delete the index and its trailing run, reinsert shifted"""
        rows = [r for r in self.db.select(table, "*", {"vcon_id": vcon_id}, order=index_col) if r[index_col] >= index]
        if not any(r[index_col] == index for r in rows):
            raise ChildIndexError(f"{table} index {index} not found")
        with self.db.request() as cur:
            cur.execute(f'DELETE FROM public."{table}" WHERE vcon_id = %s AND {quote(index_col)} >= %s',
                        (vcon_id, index))
        shifted = [{**r, index_col: r[index_col] - 1} for r in rows if r[index_col] > index]
        if shifted:
            self.db.insert(table, shifted)

    def remove_analysis(self, vcon_uuid: str, index: int) -> None:
        """queries.ts removeAnalysis"""
        self._compact_child_table("analysis", "analysis_index", self._vcon(vcon_uuid)["id"], index)

    def remove_attachment(self, vcon_uuid: str, index: int) -> None:
        """queries.ts removeAttachment"""
        self._compact_child_table("attachments", "attachment_index", self._vcon(vcon_uuid)["id"], index)

    def update_vcon(self, vcon_uuid: str, updates: dict) -> None:
        """queries.ts updateVCon (subject, extensions, critical; updated_at now)"""
        data = {"updated_at": datetime.utcnow().isoformat(timespec="milliseconds") + "Z"}
        data.update({k: updates[k] for k in ("subject", "extensions", "critical") if k in updates})
        self.db.update("vcons", data, {"uuid": vcon_uuid})

    def delete_vcon(self, vcon_uuid: str) -> None:
        """queries.ts deleteVCon"""
        self.db.delete("vcons", {"uuid": vcon_uuid})

    # -- tags
    def get_tags(self, vcon_uuid: str) -> dict:
        """queries.ts getTags"""
        vcon_id = self._vcon(vcon_uuid)["id"]
        rows = self.db.select("attachments", "body", {"vcon_id": vcon_id, "type": "tags"})
        if not rows:
            return {}
        parsed = json.loads(rows[0]["body"] or "[]")
        tags = {}
        for t in parsed if isinstance(parsed, list) else []:
            if isinstance(t, str) and t.find(":") > 0:
                k, v = t.split(":", 1)
                tags[k] = v
        return tags

    def _save_tags(self, vcon_uuid: str, tags: dict) -> None:
        """queries.ts saveTags: update the first type='tags' attachment or append one; bump updated_at"""
        vcon_id = self._vcon(vcon_uuid)["id"]
        body = js_json([f"{k}:{v}" for k, v in tags.items()])
        existing = self.db.select("attachments", "id, encoding", {"vcon_id": vcon_id, "type": "tags"})
        if existing:
            self.db.update("attachments", {"body": body, "encoding": "json"}, {"id": existing[0]["id"]})
        else:
            index = self._next_index("attachments", "attachment_index", vcon_id)
            self.db.insert("attachments", {"vcon_id": vcon_id, "attachment_index": index, "type": "tags",
                                           "encoding": "json", "body": body})
        self.db.update("vcons", {"updated_at": datetime.utcnow().isoformat(timespec="milliseconds") + "Z"},
                       {"uuid": vcon_uuid})

    def add_tag(self, vcon_uuid: str, key: str, value) -> None:
        """queries.ts addTag (overwrite)"""
        tags = self.get_tags(vcon_uuid)
        tags[key] = js_string(value)
        self._save_tags(vcon_uuid, tags)

    def remove_tag(self, vcon_uuid: str, key: str) -> None:
        """queries.ts removeTag"""
        tags = self.get_tags(vcon_uuid)
        if key in tags:
            del tags[key]
            self._save_tags(vcon_uuid, tags)

    def update_tags(self, vcon_uuid: str, tags: dict, merge: bool = True) -> None:
        """queries.ts updateTags"""
        final = self.get_tags(vcon_uuid) if merge else {}
        final.update({k: js_string(v) for k, v in tags.items()})
        self._save_tags(vcon_uuid, final)

    def remove_all_tags(self, vcon_uuid: str) -> None:
        """queries.ts removeAllTags"""
        self._save_tags(vcon_uuid, {})

    # -- reading
    def get_vcon(self, vcon_uuid: str) -> dict:
        """queries.ts getVCon, the database path (its cache is not used): the vcons row and the four
        child tables by index, reassembled with v0.4.0 member names."""
        rows = self.db.select("vcons", "*", {"uuid": vcon_uuid})
        if len(rows) != 1:
            raise LookupError(f"vCon not found: {vcon_uuid}")
        v = rows[0]
        parties = self.db.select("parties", "*", {"vcon_id": v["id"]}, order="party_index")
        dialogs = self.db.select("dialog", "*", {"vcon_id": v["id"]}, order="dialog_index")
        analysis = self.db.select("analysis", "*", {"vcon_id": v["id"]}, order="analysis_index")
        attachments = self.db.select("attachments", "*", {"vcon_id": v["id"]}, order="attachment_index")
        return {
            "vcon": v["vcon_version"] or "0.4.0", "uuid": v["uuid"], "extensions": v["extensions"],
            "critical": v["critical"], "created_at": v["created_at"], "updated_at": v["updated_at"],
            "subject": v["subject"],
            "parties": [{k: p[k] for k in PARTY_KEYS} for p in parties],
            "dialog": [{"type": d["type"], "start": d["start_time"], "duration": d["duration_seconds"],
                        **{k: d[k] for k in DIALOG_KEYS[3:]}} for d in dialogs],
            "analysis": [{"type": a["type"],
                          "dialog": a["dialog_indices"][0] if a["dialog_indices"] and len(a["dialog_indices"]) == 1
                          else a["dialog_indices"],
                          **{k: a[k] for k in ("mediatype", "filename", "vendor", "product", "schema")},
                          "body": deserialize_body(a["body"], a["encoding"]), "encoding": a["encoding"],
                          "url": a["url"], "content_hash": a["content_hash"]} for a in analysis],
            "attachments": [{"type": t["type"], "purpose": t["purpose"], "start": t["start_time"], "party": t["party"],
                             "dialog": t["dialog"], "mediatype": t["mimetype"], "filename": t["filename"],
                             "body": deserialize_body(t["body"], t["encoding"]), "encoding": t["encoding"],
                             "url": t["url"], "content_hash": t["content_hash"]} for t in attachments],
        }


def js_string(value) -> str:
    """String(value) for the tag values vcon-mcp accepts (string, number, boolean)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# -- what "vcon_json contains vcon-mcp's reassembly" means ------------------------------------

CHILD_ARRAYS = ("parties", "dialog", "analysis", "attachments")
DATE_MEMBERS = ("created_at", "updated_at", "start")


def _present(obj: dict) -> dict:
    """vcon-mcp emits every member it has a column for, null or empty when unset; vcon_json omits
    those. Bodies are values like any other here (a null body is absent)."""
    return {k: v for k, v in obj.items() if v is not None and v != {} and v != []}


def _same(key: str, ours, theirs) -> bool:
    if key in DATE_MEMBERS and isinstance(ours, str) and isinstance(theirs, str):
        return instant(ours) == instant(theirs)
    return type(ours) is type(theirs) and ours == theirs or (
        isinstance(ours, (int, float)) and isinstance(theirs, (int, float)) and not isinstance(ours, bool)
        and not isinstance(theirs, bool) and ours == theirs)


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def differences(ours: dict, theirs: dict, path: str = "") -> list[str]:
    """Where `ours` (vcon_json) fails to contain `theirs` (getVCon): every member vcon-mcp returns
    with a value (not null, {} or []) is in ours with the same value — the same JSON type and
    value, dates as the same instant; the four child arrays element by element. Members only we
    have are allowed."""
    problems = []
    for k, v in _present(theirs).items():
        where = f"{path}{k}"
        if k not in ours:
            problems.append(f"{where}: missing (vcon-mcp: {v!r})")
        elif k in CHILD_ARRAYS and not path:
            if not isinstance(ours[k], list) or len(ours[k]) != len(v):
                problems.append(f"{where}: {len(ours[k]) if isinstance(ours[k], list) else ours[k]!r} elements, "
                                f"vcon-mcp {len(v)}")
                continue
            for i, (o, t) in enumerate(zip(ours[k], v)):
                problems += differences(o, t, f"{where}[{i}].")
        elif not _same(k, ours[k], v):
            problems.append(f"{where}: {ours[k]!r}, vcon-mcp {v!r}")
    return problems


# -- vCons with every structure vcon-mcp's columns hold ----------------------------------------

def structured_vcons(count: int, seed: int = 7) -> list[dict]:
    """Deterministic vCons as vcon-mcp's clients send them: tags and strolid_dealer attachments,
    bodies of every JSON type with encoding none/json/base64url, durations with more digits than
    REAL keeps, jcard, party uuid, session_id as string and object, analysis dialog as index and
    arrays, scalar dialog parties, a tenant attachment."""
    import random
    import uuid as uuidlib
    rnd = random.Random(seed)
    out = []
    for n in range(count):
        u = str(uuidlib.UUID(int=rnd.getrandbits(128), version=4))
        party_uuid = str(uuidlib.UUID(int=rnd.getrandbits(128), version=4))
        parties = [{"name": f"Customer {n}", "tel": f"+1555{n:07d}", "uuid": party_uuid,
                    "jcard": ["vcard", [["version", {}, "text", "4.0"], ["fn", {}, "text", f"Customer {n}"]]],
                    "civicaddress": {"country": "US", "a1": "CA"}, "timezone": "America/Los_Angeles"},
                   {"name": "Agent", "mailto": f"agent{n}@example.com", "validation": "none",
                    "did": "did:web:example.com"}]
        duration = [1234.567, 57.168, 0.5, 3600, 12.345678][n % 5]
        dialog = [{"type": "recording", "start": f"2026-0{1 + n % 9}-1{n % 10}T10:00:0{n % 10}.{n:03d}Z",
                   "duration": duration, "parties": [0, 1], "originator": 0, "mediatype": "audio/x-wav",
                   "url": f"https://example.com/rec/{n}.wav", "content_hash": "sha512-AAAA",
                   "session_id": [f"session-{n}", {"local": f"loc-{n}", "remote": f"rem-{n}"}][n % 2],
                   "application": "dialer", "message_id": f"<m{n}@example.com>"},
                  {"type": "text", "start": "2026-01-02T03:04:05Z", "parties": 1 if n % 2 else [1, 0],
                   "mediatype": "text/plain", "encoding": "none", "body": f"hello {n}: {{not json}}"},
                  {"type": "incomplete", "start": "2026-01-02T03:05:00+02:00", "parties": [0],
                   "disposition": "no-answer"}]
        analysis = [{"type": "transcript", "dialog": 0, "vendor": "deepgram", "product": "nova-2", "schema": "v1",
                     "mediatype": "application/json", "encoding": "none",
                     "body": {"transcript": f"hello {n}", "confidence": 0.93, "words": [{"w": "hello", "t": 0.25}]}},
                    {"type": "summary", "dialog": [0, 1], "vendor": "openai", "encoding": "none",
                     "body": f"Summary {n}."},
                    {"type": "sentiment", "dialog": [0], "vendor": "openai", "encoding": "json",
                     "body": json.dumps({"score": n / 10})},
                    {"type": "topics", "vendor": "openai", "encoding": "none", "body": ["billing", "refund"]},
                    {"type": "flag", "dialog": [1, 2], "vendor": "x", "encoding": "none", "body": n % 2 == 0},
                    {"type": "audio", "dialog": 0, "vendor": "x", "encoding": "base64url", "body": "UklGRg",
                     "filename": "a.wav", "url": "https://example.com/a"}]
        tags = [f"topic:t{n % 3}", "priority:high", "url:http://x"]
        attachments = [{"type": "tags", "encoding": "json", "body": json.dumps(tags)},
                       {"type": "strolid_dealer", "encoding": "json",
                        "body": {"id": f"D{n % 4}", "name": f"Dealer {n % 4}",
                                 "team": {"id": n % 2 + 1, "name": f"Team {n % 2}"}}},
                       {"type": "tenant", "encoding": "none", "body": {"id": f"tenant-{n % 2}"}},
                       {"purpose": "note", "start": "2026-01-02T03:04:05.5Z", "party": 1, "dialog": 0,
                        "mediatype": "text/plain", "encoding": "none", "body": "a plain note"},
                       {"type": "legacy", "purpose": "invoice", "mediatype": "application/pdf", "encoding": "base64url",
                        "body": "JVBERi0", "filename": "invoice.pdf"}]
        doc = {"vcon": "0.4.0", "uuid": u, "created_at": f"2026-02-0{1 + n % 9}T0{n % 10}:00:00.{n:06d}Z",
               "subject": f"structured call {n}", "parties": parties, "dialog": dialog, "analysis": analysis,
               "attachments": attachments}
        if n % 2:
            doc.update(updated_at="2026-03-01T00:00:00Z", extensions=["CC"], critical=["CC"])
        out.append(doc)
    return out
