#!/usr/bin/python3
"""search_100k: search latency at 100 000 generated vCons, through vcon-cache-server (REST and MCP).

Targets (issue #10, goal 4): p50 through the server ≤ 5 ms for `search_vcons` by subject, by party
(name, email, tel) and by date, and for tag search (`search_by_tags`, and the `tags` filter of
`search_vcons`); ≤ 20 ms for `search_vcons_content`; each plan using its index.

A throw-away stack (tests/harness) gets --count generated vCons (vcon-gen --size small by default:
subject, parties with name/tel/mailto, text dialogs, JSON transcripts, summaries, sentiment, a tags
attachment): COPY into a staging table, save_vcon in transactions of 10 000, drained into Redis,
then VACUUM ANALYZE (the steady state of a database that autovacuum looks after). PostgreSQL runs
with shared_buffers 1GB (--shared-buffers), room for the ~510 MB the vCons take. The release
server (build/server/vcon-cache-server, VCON_SERVER_BIN overrides) starts with --threads 2.

The search terms come from the data (a fixed seed), distinct values each: subjects' last two words, parties' full names,
email addresses, the last 7 digits of phone numbers, one-day windows of created_at, one tag or two
tags of one vCon (for `search_by_tags` and for the `tags` filter of `search_vcons`), and for
content search a party's full name (a selective query) and a topic word (an unselective one,
thousands of hits to rank). Every kind runs --samples requests, REST (when the
server has a REST form of it) and MCP interleaved, on one keep-alive connection each, after
--warmup untimed ones. Then the SQL call the server makes is run --explain times with auto_explain
(log_nested_statements, log_analyze): its execution time inside PostgreSQL (no network, no
server), and the plans of the statements the search function EXECUTEs, whose index names are
checked against the index each kind must use.

Two rounds on the same data: without pg_trgm in the database (only the btree/GIN indexes the
extension creates on its own) and with it (CREATE EXTENSION pg_trgm, then attach() again, which
adds the trigram indexes). --modes picks them.

Reference measured in the same run, through the same server paths: a primary-key read of one
vCon, REST `GET /api/v1/vcons/<uuid>` and MCP `get_vcon` served from the cache (the server's
floor per request) and REST from PostgreSQL (a cache miss: DEL of the key first), and in SQL the
primary-key SELECT of one vcons row. Ratios = search p50 ÷ reference p50.
"""

from __future__ import annotations

import datetime
import json
import random
import re
import sys
import time
import urllib.parse

import benchlib
import readlib

SEED = 11

# kind → (target p50 ms, per mode the index names the plans of the statements a search EXECUTEs
# must show, all of them, or a list of such sets when more than one plan is right). None: no index
# can serve it in that mode (substring search without pg_trgm). A tag is found through its GIN
# index when rare, or by walking vcons newest first and probing each vCon's tags when common.
SUBSTRING = {"plain": None}
TAG_PLANS = [{"attachments_tags_idx"}, {"vcons_created_at_idx", "attachments_tags_vcon_idx"}]
# vcon-mcp's GIN indexes on its stored tsvector columns (sql/80_search.sql)
CONTENT_INDEXES = {"idx_vcons_subject_tsvector_gin", "idx_parties_party_tsvector_gin", "idx_dialog_body_tsvector_gin",
                   "idx_analysis_body_tsvector_gin"}
KINDS = {
    "subject": (5, {**SUBSTRING, "trgm": {"vcons_subject_trgm_idx"}}),
    "party name": (5, {**SUBSTRING, "trgm": {"parties_name_trgm_idx"}}),
    "party email": (5, {**SUBSTRING, "trgm": {"parties_mailto_trgm_idx"}}),
    "party tel": (5, {**SUBSTRING, "trgm": {"parties_tel_trgm_idx"}}),
    "date (1 day)": (5, {"plain": {"vcons_created_at_idx"}, "trgm": {"vcons_created_at_idx"}}),
    "tags filter (1 tag)": (5, {m: TAG_PLANS for m in ("plain", "trgm")}),
    "tags filter (2 tags)": (5, {m: TAG_PLANS for m in ("plain", "trgm")}),
    "search_by_tags (1 tag)": (5, {m: TAG_PLANS for m in ("plain", "trgm")}),
    "search_by_tags (2 tags)": (5, {m: TAG_PLANS for m in ("plain", "trgm")}),
    "content (a name)": (20, {m: CONTENT_INDEXES for m in ("plain", "trgm")}),
    "content (a topic word)": (20, {m: CONTENT_INDEXES for m in ("plain", "trgm")}),
}
TOPIC_WORDS = ["refund", "router", "password", "invoice", "warranty", "appointment", "fraud", "shipping",
               "cancel", "upgrade", "outage", "installation", "renewal", "technician", "delivery"]
LIM_VCONS = 10      # search_vcons: vcon-mcp's default
LIM_CONTENT = 50    # search_vcons_content and search_by_tags: vcon-mcp's default


def load(st, args, rep):
    t = time.monotonic()
    copy_text = benchlib.generate(args.count, seed=SEED, size=args.size, fmt="copy")
    pg = st.pg
    pg.sql("CREATE SCHEMA bench")
    pg.sql("CREATE UNLOGGED TABLE bench.staging (n serial, doc jsonb NOT NULL)")
    benchlib.copy_docs(pg, "bench.staging", copy_text)
    del copy_text
    gen_s = time.monotonic() - t
    t = time.monotonic()
    step = 10000
    for lo in range(1, args.count + 1, step):
        pg.sql("SELECT count(vcon_redis.save_vcon(doc)) FROM bench.staging WHERE n >= %s AND n < %s",
               (lo, lo + step))
    save_s = time.monotonic() - t
    drain_s = benchlib.wait_drained(pg, timeout=1800)
    t = time.monotonic()
    pg.sql("VACUUM ANALYZE")
    vac_s = time.monotonic() - t
    avg = float(pg.sql("SELECT avg(length(doc::text)) FROM bench.staging")[0][0])
    pg.sql("DROP TABLE bench.staging")
    rep.figure("documents", args.count, "", f"--size {args.size}, avg {avg:.0f} B; generated+copied {gen_s:.0f} s, "
               f"saved {save_s:.0f} s, drained {drain_s:.0f} s later, VACUUM ANALYZE {vac_s:.0f} s")


def terms(pg, n: int) -> dict[str, list]:
    """The search parameters of each kind, taken from the data (deterministic)."""
    rnd = random.Random(SEED)

    def pick(sql: str) -> list:
        """n distinct values x of the query (the same value in many rows counts once)."""
        return [r[0] for r in pg.sql(f"SELECT x FROM (SELECT DISTINCT x FROM ({sql}) s) d ORDER BY md5(x::text) "
                                     "LIMIT %s", (n,))]

    subjects = pick("SELECT substring(v.subject FROM '\\S+ \\S+$') AS x FROM vcons v WHERE v.subject ~ ' \\S+ \\S+$'")
    names = pick("SELECT p.name AS x FROM parties p WHERE p.name ~ '^\\S+ \\S+$' AND p.mailto IS NOT NULL")
    emails = pick("SELECT regexp_replace(p.mailto, '^mailto:', '') AS x FROM parties p WHERE p.mailto IS NOT NULL")
    tels = pick("SELECT right(p.tel, 7) AS x FROM parties p WHERE length(p.tel) >= 7")
    days = pick("SELECT v.created_at AS x FROM vcons v")
    tag_rows = pick("SELECT vcon_redis._tag_array(a.body) AS x FROM attachments a WHERE a.purpose = 'tags'")
    one_tag = [dict([t.split(":", 1) for t in rnd.sample(tags, 1)]) for tags in tag_rows]
    two_tags = [dict([t.split(":", 1) for t in rnd.sample(tags, 2)]) for tags in tag_rows]
    return {
        "subject": [{"subject": s} for s in subjects],
        "party name": [{"party_name": s} for s in names],
        "party email": [{"party_email": s} for s in emails],
        "party tel": [{"party_tel": s} for s in tels],
        "date (1 day)": [{"start_date": d.isoformat(), "end_date": (d + datetime.timedelta(days=1)).isoformat()}
                         for d in days],
        "tags filter (1 tag)": [{"tags": t} for t in one_tag],
        "tags filter (2 tags)": [{"tags": t} for t in two_tags],
        "search_by_tags (1 tag)": [{"tags": t} for t in one_tag],
        "search_by_tags (2 tags)": [{"tags": t} for t in two_tags],
        "content (a name)": [{"query": s} for s in names],
        "content (a topic word)": [{"query": TOPIC_WORDS[i % len(TOPIC_WORDS)]} for i in range(n)],
    }


SV_ARGS = ("subject", "party_name", "party_email", "party_tel", "start_date", "end_date")


def sql_call(kind: str, p: dict) -> tuple[str, tuple]:
    """The statement the server runs for this search (as the MCP tools call it)."""
    if kind.startswith("search_by_tags"):
        return "SELECT * FROM vcon_redis.search_by_tags(%s::jsonb, %s)", (json.dumps(p["tags"]), LIM_CONTENT)
    if kind.startswith("content"):
        return ("SELECT * FROM vcon_redis.search_vcons_content(%s, NULL, NULL, %s)", (p["query"], LIM_CONTENT))
    vals = tuple(p.get(a) for a in SV_ARGS)
    tags = json.dumps(p["tags"]) if "tags" in p else None
    return ("SELECT * FROM vcon_redis.search_vcons(%s, %s, %s, %s, %s::timestamptz, %s::timestamptz, %s, 0, %s::jsonb)",
            vals + (LIM_VCONS, tags))


def rest_path(kind: str, p: dict) -> str | None:
    if kind.startswith("search_by_tags") or kind.startswith("content") or "tags" in p:
        return None     # no REST form (the tags filter: only when the server has one, see rest_tags)
    return "/api/v1/vcons?" + urllib.parse.urlencode({**p, "limit": LIM_VCONS})


def mcp_call(kind: str, p: dict) -> tuple[str, dict]:
    if kind.startswith("search_by_tags"):
        return "search_by_tags", {"tags": p["tags"], "limit": LIM_CONTENT}
    if kind.startswith("content"):
        return "search_vcons_content", {"query": p["query"], "limit": LIM_CONTENT}
    return "search_vcons", {**p, "limit": LIM_VCONS}


class Mcp:
    def __init__(self, port: int):
        self.client = readlib.RawClient(port)
        self.id = 0

    def call(self, name: str, arguments: dict) -> dict:
        self.id += 1
        body = json.dumps({"jsonrpc": "2.0", "id": self.id, "method": "tools/call",
                           "params": {"name": name, "arguments": arguments}}).encode()
        status, _, reply = self.client.post("/mcp", body)
        if status != 200:
            raise RuntimeError(f"MCP {name}: HTTP {status}: {reply[:300]!r}")
        return json.loads(reply)["result"]


class Explainer:
    """auto_explain on one session, its output sent to this client as WARNINGs (the content searches
    set client_min_messages = warning inside). timed(): the top-level statement's duration inside
    PostgreSQL, nothing else logged (no instrumentation). plans(): the plans, with row counts, of
    every statement the search function EXECUTEs, as sets of index names (per-call helper
    statements, _search_text's, are left out)."""

    def __init__(self, pg):
        self.conn = pg.connect()
        self.conn.notices = []
        with self.conn.cursor() as cur:
            cur.execute("LOAD 'auto_explain'")
            for k, v in (("log_min_duration", "0"), ("log_timing", "off"), ("log_format", "json"),
                         ("log_level", "warning")):
                cur.execute(f"SET auto_explain.{k} = '{v}'")

    def _run(self, sql: str, params: tuple, nested: bool):
        self.conn.notices.clear()
        with self.conn.cursor() as cur:
            cur.execute(f"SET auto_explain.log_nested_statements = {'on' if nested else 'off'}")
            cur.execute(f"SET auto_explain.log_analyze = {'on' if nested else 'off'}")
            self.conn.notices.clear()
            cur.execute(sql, params)
            rows = cur.fetchall()
        out = []
        for notice in self.conn.notices:
            m = re.search(r"duration: ([0-9.]+) ms\s+plan:\s*(\{.*\})\s*$", notice, re.S)
            if m:
                out.append((float(m.group(1)), json.loads(m.group(2))))
        return out, rows

    def timed(self, sql: str, params: tuple) -> tuple[float | None, list]:
        out, rows = self._run(sql, params, nested=False)
        return (out[-1][0] if out else None), rows

    def plans(self, sql: str, params: tuple) -> list[set[str]]:
        out, _ = self._run(sql, params, nested=True)
        return [index_names(plan["Plan"]) for _, plan in out
                if not plan.get("Query Text", "").lstrip().startswith(("SELECT * FROM vcon_redis.search_",
                                                                       "coalesce((SELECT string_agg"))]


def index_names(node: dict) -> set[str]:
    out = {node["Index Name"]} if "Index Name" in node else set()
    for child in node.get("Plans", []):
        out |= index_names(child)
    return out


def p(values: list[float], q: float) -> float:
    return benchlib.percentile(values, q) if values else float("nan")


def reference(st, rep, args, uuids) -> dict[str, float]:
    raw = readlib.RawClient(st.server_port)
    mcp = Mcp(st.server_port)
    r = st.redis_server.client()
    hit, mcp_hit, miss = [], [], []
    for i in range(args.warmup + args.samples):
        u = uuids[i % len(uuids)]
        v = uuids[(i + len(uuids) // 2) % len(uuids)]
        t0 = time.perf_counter()
        status, cache, _ = raw.get(f"/api/v1/vcons/{u}")
        t1 = time.perf_counter()
        mcp.call("get_vcon", {"uuid": u})
        t2 = time.perf_counter()
        r.delete(f"vcon:{v}")
        t3 = time.perf_counter()
        status2, cache2, _ = raw.get(f"/api/v1/vcons/{v}")
        t4 = time.perf_counter()
        if status != 200 or status2 != 200:
            raise RuntimeError(f"reference GETs answered {status}/{status2}")
        if i >= args.warmup:
            hit.append((t1 - t0) * 1000)
            mcp_hit.append((t2 - t1) * 1000)
            if cache2 == "MISS":
                miss.append((t4 - t3) * 1000)
    ex = Explainer(st.pg)
    pk = []
    for i in range(args.explain):
        top, _ = ex.timed("SELECT uuid, subject FROM vcons WHERE uuid = %s", (uuids[i % len(uuids)],))
        if top is not None:
            pk.append(top)
    raw.close()
    ref = {"rest_hit": p(hit, 50), "mcp_hit": p(mcp_hit, 50), "rest_miss": p(miss, 50), "sql_pk": p(pk, 50)}
    rep.figure("reference REST GET (cache hit)", ref["rest_hit"], "ms p50", f"p99 {p(hit, 99):.2f} ms")
    rep.figure("reference MCP get_vcon (hit)", ref["mcp_hit"], "ms p50", f"p99 {p(mcp_hit, 99):.2f} ms")
    rep.figure("reference REST GET (miss: PG read)", ref["rest_miss"], "ms p50",
               f"p99 {p(miss, 99):.2f} ms, {len(miss)} misses")
    rep.figure("reference SQL primary-key SELECT", ref["sql_pk"], "ms p50", "execution inside PostgreSQL")
    return ref


def measure(st, rep, args, mode: str, params: dict[str, list], ref: dict[str, float]):
    raw = readlib.RawClient(st.server_port)
    mcp = Mcp(st.server_port)
    ex = Explainer(st.pg)
    rest_tags = None  # does the server's REST search take a tags filter? (probed once)
    mcp_tags = None   # does the MCP search_vcons take `tags`?
    for kind, (target, expected_by_mode) in KINDS.items():
        if args.only and not any(o in kind for o in args.only.split(",")):
            continue
        expected = expected_by_mode[mode]
        plist = params[kind]
        rest_ms, mcp_ms, sql_ms, matches = [], [], [], []
        plans_ok, bad_plans = 0, []
        notes = []
        started = time.monotonic()
        for i in range(args.warmup + args.samples):
            if i >= args.warmup + 10 and time.monotonic() - started > args.budget:
                notes.append(f"sampling stopped after {args.budget:g} s ({i - args.warmup} samples)")
                break
            prm = plist[i % len(plist)]
            path = rest_path(kind, prm)
            if path is None and "tags" in prm and not kind.startswith("search_by_tags") and rest_tags is not False:
                path = "/api/v1/vcons?" + urllib.parse.urlencode(
                    {"tags": json.dumps(prm["tags"]), "limit": LIM_VCONS})
            if path is not None:
                t0 = time.perf_counter()
                status, _, body = raw.get(path)
                dt = (time.perf_counter() - t0) * 1000
                if "tags" in prm and rest_tags is None:
                    # a server without the filter ignores the parameter: compare with the SQL total
                    want = st.pg.sql("SELECT coalesce(max(total_count), 0) FROM vcon_redis.search_vcons("
                                     "tags => %s::jsonb, lim => 1)", (json.dumps(prm["tags"]),))[0][0]
                    rest_tags = status == 200 and json.loads(body).get("pagination", {}).get("total") == want
                    if not rest_tags:
                        notes.append("REST has no tags filter in this server build: SQL and MCP only")
                        path = None
                if path is not None:
                    if status != 200:
                        raise RuntimeError(f"{kind}: REST {path} answered {status}: {body[:300]!r}")
                    if i >= args.warmup:
                        rest_ms.append(dt)
            name, arguments = mcp_call(kind, prm)
            if name == "search_vcons" and "tags" in arguments and mcp_tags is False:
                pass
            else:
                t0 = time.perf_counter()
                result = mcp.call(name, arguments)
                dt = (time.perf_counter() - t0) * 1000
                if result.get("isError"):
                    if name == "search_vcons" and "tags" in arguments:
                        mcp_tags = False
                        notes.append("MCP search_vcons has no tags argument in this server build: SQL only")
                    else:
                        raise RuntimeError(f"{kind}: MCP {name} {arguments}: {json.dumps(result)[:300]}")
                elif i >= args.warmup:
                    mcp_ms.append(dt)
        started = time.monotonic()
        for i in range(args.explain):
            if i >= 10 and time.monotonic() - started > args.budget / 2:
                break
            prm = plist[i % len(plist)]
            sql, sql_params = sql_call(kind, prm)
            top, rows = ex.timed(sql, sql_params)
            if top is not None:
                sql_ms.append(top)
            if rows and kind.startswith(("subject", "party", "date", "tags filter")):
                matches.append(rows[0][-1])     # total_count
        for i in range(min(args.explain, 10)):
            sql, sql_params = sql_call(kind, plist[i % len(plist)])
            nested = ex.plans(sql, sql_params)
            used = set().union(*nested) if nested else set()
            if expected is None or any(e <= used for e in (expected if isinstance(expected, list) else [expected])):
                plans_ok += 1
            else:
                bad_plans.append(sorted(used))
        if kind.startswith("search_by_tags"):
            for prm in plist[:args.explain]:
                matches.append(st.pg.sql("SELECT coalesce(max(total_count), 0) FROM vcon_redis.search_vcons("
                                         "tags => %s::jsonb, lim => 1)", (json.dumps(prm["tags"]),))[0][0])
        if kind.startswith("content"):
            for prm in plist[:args.explain]:
                matches.append(st.pg.sql("SELECT vcon_redis.search_vcons_content_count(%s)", (prm["query"],))[0][0])
        label = f"[{mode}] {kind}"
        line = []
        if rest_ms:
            line.append(f"REST p50 {p(rest_ms, 50):.2f} p99 {p(rest_ms, 99):.2f}")
        if mcp_ms:
            line.append(f"MCP p50 {p(mcp_ms, 50):.2f} p99 {p(mcp_ms, 99):.2f}")
        line.append(f"SQL p50 {p(sql_ms, 50):.2f} p99 {p(sql_ms, 99):.2f}")
        avg_matches = sum(matches) / len(matches) if matches else 0
        line.append(f"matches avg {avg_matches:.0f}")
        rep.figure(label, p(mcp_ms or rest_ms or sql_ms, 50), "ms p50", "; ".join(line))
        rep.results["figures"][label + " detail"] = {
            "rest_p50": p(rest_ms, 50), "rest_p99": p(rest_ms, 99), "mcp_p50": p(mcp_ms, 50),
            "mcp_p99": p(mcp_ms, 99), "sql_p50": p(sql_ms, 50), "sql_p99": p(sql_ms, 99),
            "matches_avg": avg_matches}
        for n in dict.fromkeys(notes):
            rep.note(f"{kind}: {n}")
        served = mcp_ms or rest_ms
        if served:
            rep.figure(f"[{mode}] {kind} ÷ REST hit", p(served, 50) / ref["rest_hit"], "",
                       f"÷ REST miss {p(served, 50) / ref['rest_miss']:.2f}")
        if expected is None:
            rep.note(f"{kind}: no index serves a substring search without pg_trgm (sequential scan)")
        else:
            rep.figure(f"[{mode}] {kind} plans using the index", plans_ok, f"of {min(args.explain, 10)}",
                       "expected " + " or ".join(", ".join(sorted(e)) for e in
                                                 (expected if isinstance(expected, list) else [expected]))
                       + (f"; other plans used {bad_plans[0]}" if bad_plans else ""))
        if expected is not None or mode == "trgm":
            worst = max(p(rest_ms, 50) if rest_ms else 0, p(mcp_ms, 50) if mcp_ms else 0) or p(sql_ms, 50)
            rep.target(f"[{mode}] {kind} p50 through the server", worst, "<=", target, " ms")
            if expected is not None:
                rep.target(f"[{mode}] {kind} plans on the index", plans_ok / max(min(args.explain, 10), 1), ">=", 1.0)
    raw.close()
    mcp.client.close()
    ex.conn.close()


def main():
    ap = benchlib.parser(__doc__)
    ap.add_argument("--count", type=int, default=100000, help="vCons loaded (default 100000)")
    ap.add_argument("--size", default="small", help="vcon-gen size class (default small)")
    ap.add_argument("--samples", type=int, default=200, help="timed requests per kind and API (default 200)")
    ap.add_argument("--warmup", type=int, default=20, help="untimed requests first (default 20)")
    ap.add_argument("--explain", type=int, default=50, help="auto_explain runs per kind (default 50)")
    ap.add_argument("--budget", type=float, default=40.0,
                    help="stop sampling a kind after this many seconds, at 10 samples or more (default 40)")
    ap.add_argument("--terms", type=int, default=100, help="distinct search terms per kind (default 100)")
    ap.add_argument("--modes", default="plain,trgm", help="plain (no pg_trgm), trgm, or both (default)")
    ap.add_argument("--only", help="comma-separated substrings of the kinds to run")
    ap.add_argument("--threads", type=int, default=2, help="server io threads (default 2)")
    ap.add_argument("--shared-buffers", default="1GB",
                    help="PostgreSQL's shared_buffers (default 1GB: the 100 000 small vCons take ~510 MB; "
                         "PostgreSQL's own default, 128MB, holds a quarter of them and content search then "
                         "copies most pages it reads from the kernel's cache)")
    args = ap.parse_args()

    readlib.install_signal_handlers()
    rep = benchlib.Report("search_100k", f"search p50 through the server at {args.count} vCons "
                          "(targets: metadata and tags ≤ 5 ms, content ≤ 20 ms, plans on their index)")
    st = readlib.ReadStack("search", keep=args.keep)
    try:
        st.start_databases({"shared_buffers": args.shared_buffers})
        rep.figure("shared_buffers", args.shared_buffers)
        benchlib.run_setup_sql(st.pg, args, rep)
        load(st, args, rep)
        st.start_server(threads=args.threads)
        uuids = [r[0] for r in st.pg.sql("SELECT uuid::text FROM vcons ORDER BY md5(uuid::text) LIMIT 1000")]
        ref = reference(st, rep, args, uuids)
        params = terms(st.pg, args.terms)
        for mode in args.modes.split(","):
            if mode == "trgm":
                t = time.monotonic()
                st.pg.sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                st.pg.sql("SELECT vcon_redis.attach()")
                st.pg.sql("ANALYZE")
                rep.figure("CREATE EXTENSION pg_trgm + attach()", time.monotonic() - t, "s",
                           "builds the trigram indexes")
            elif st.pg.sql("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'")[0][0]:
                sys.exit("--modes: plain must come before trgm")
            measure(st, rep, args, mode, params, ref)
        sizes = st.pg.sql("SELECT indexrelid::regclass::text, pg_size_pretty(pg_relation_size(indexrelid)) "
                          "FROM pg_index WHERE indexrelid::regclass::text ~ '(fts|trgm|tags|created_at|lower|tel)_idx$' "
                          "ORDER BY 1")
        rep.figure("index sizes", ", ".join(f"{n} {s}" for n, s in sizes))
    finally:
        st.close()
    rep.save(args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
