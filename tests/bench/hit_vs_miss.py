#!/usr/bin/python3
"""hit_vs_miss: p50 latency of a cache miss ÷ p50 latency of a cache hit, REST, one connection.

Target (docs/design.md ("Performance targets")): a hit is at least 5× faster than a miss (p50).

A throw-away stack gets --count generated vCons (--size class, default medium) through save_vcon;
the worker writes them to Redis; the release server (build/server/vcon-cache-server, VCON_SERVER_BIN
overrides) starts with --threads 2 and every uuid is read once. Then --samples pairs of sequential
requests over ONE keep-alive HTTP connection (a raw-socket client, see readlib.RawClient), hit and miss interleaved (the
order inside a pair alternates) so both share the machine's noise:
  hit:  GET /api/v1/vcons/<u>  of a warm key (X-Cache: HIT checked)
  miss: DEL vcon:<v> through a separate Redis connection (not timed), then GET /api/v1/vcons/<v>
        (X-Cache: MISS checked): Redis GET nil → lease SET NX → PostgreSQL vcon_json → compact →
        fill script → response. u and v cycle over the uuids, half the set apart.
  (--miss-mode fresh instead loads --samples more vCons, deletes all their keys up front and misses
  each exactly once: uuids the server has never read, each with its first-ever lease.)
The first --warmup pairs are not counted. Timings are client-side (request written → body read),
so both include the Python client's and the HTTP round trip's own cost, which lowers the ratio: the
figure is conservative. To show how much, each pair is followed by a "floor" request that touches no
backend (`GET /api/v1/vcons/not-a-uuid` → 400, a tiny body) and the ratio net of that floor,
(miss p50 − floor p50) ÷ (hit p50 − floor p50), is printed as a diagnostic (the target uses the gross
ratio). The server's own view (/metrics cache counters) is checked against the counts.
"""

import statistics
import sys
import time

import benchlib
import readlib


def main():
    ap = benchlib.parser(__doc__)
    ap.add_argument("--count", type=int, default=200, help="vCons loaded (default 200)")
    ap.add_argument("--size", default="medium", help="vcon-gen size class (small, medium, large, mixed)")
    ap.add_argument("--samples", type=int, default=1000, help="timed hit/miss pairs (default 1000)")
    ap.add_argument("--warmup", type=int, default=100, help="untimed pairs first (default 100)")
    ap.add_argument("--threads", type=int, default=2, help="server io threads (default 2)")
    ap.add_argument("--miss-mode", choices=("del", "fresh"), default="del",
                    help="del: DEL the key before each miss (default); fresh: a never-read uuid per miss")
    args = ap.parse_args()

    readlib.install_signal_handlers()
    rep = benchlib.Report("hit_vs_miss", "p50 of a REST cache miss ÷ p50 of a cache hit, one keep-alive "
                          "connection (target ≥ 5)")
    rep.figure("load average at start", readlib.loadavg(), "", "1/5/15 min")
    st = readlib.ReadStack("hitmiss", keep=args.keep)
    try:
        st.start_databases()
        benchlib.run_setup_sql(st.pg, args, rep)
        t = time.monotonic()
        uuids = st.load(args.count, args.size)
        fresh = []
        if args.miss_mode == "fresh":
            fresh = st.load(args.samples + args.warmup, args.size, seed=8)
        rep.figure("vCons loaded", len(uuids) + len(fresh), "", f"--size {args.size}, saved + drained in "
                   f"{time.monotonic() - t:.1f} s")
        r = st.redis_server.client()
        st.start_server(args.threads)
        rep.figure("server", str(readlib.server_bin()), "", f"--threads {args.threads}, pid {st.server.pid}")

        conn = st.connection()
        for u in uuids:  # warm: every key in Redis (fills any the worker did not write)
            status, cache, body = readlib.get_vcon(conn, u)
            if status != 200:
                raise RuntimeError(f"GET {u} → {status}: {body[:200]!r}")
        sizes = [r.strlen(f"vcon:{u}") for u in uuids]
        rep.figure("cached value size (avg)", round(statistics.mean(sizes)), "B", f"min {min(sizes)}, max {max(sizes)}")
        if fresh:
            r.delete(*[f"vcon:{v}" for v in fresh])

        n = len(uuids)
        hits, misses, floors = [], [], []
        wrong = {"hit": 0, "miss": 0}
        before = st.cache_counts()
        clock = time.perf_counter_ns

        raw = readlib.RawClient(st.server_port)

        def timed(uuid):
            t0 = clock()
            status, cache, body = raw.get(f"/api/v1/vcons/{uuid}")
            dt = (clock() - t0) / 1e6
            if status != 200:
                raise RuntimeError(f"GET {uuid} → {status}: {body[:200]!r}")
            return dt, cache

        def do_floor(keep):
            t0 = clock()
            status, _, _ = raw.get("/api/v1/vcons/not-a-uuid")
            dt = (clock() - t0) / 1e6
            if status != 400:
                raise RuntimeError(f"GET /api/v1/vcons/not-a-uuid → {status}, expected 400")
            if keep:
                floors.append(dt)

        def do_hit(i, keep):
            dt, cache = timed(uuids[i % n])
            if cache != "HIT":
                wrong["hit"] += 1
            elif keep:
                hits.append(dt)

        def do_miss(i, keep):
            if fresh:
                v = fresh[i]
            else:
                v = uuids[(i + n // 2) % n]
                r.delete(f"vcon:{v}")
            dt, cache = timed(v)
            if cache != "MISS":
                wrong["miss"] += 1
            elif keep:
                misses.append(dt)

        t = time.monotonic()
        for i in range(args.warmup + args.samples):
            keep = i >= args.warmup
            if i % 2:
                do_hit(i, keep)
                do_miss(i, keep)
            else:
                do_miss(i, keep)
                do_hit(i, keep)
            do_floor(keep)
        elapsed = time.monotonic() - t
        conn.close()
        raw.close()
        after = st.cache_counts()
        delta = {k: after[k] - before[k] for k in after}
        total = args.warmup + args.samples
        rep.figure("requests", 3 * total, "", f"{args.warmup} warm-up + {args.samples} timed hit/miss/floor triples in "
                   f"{elapsed:.1f} s; miss mode {args.miss_mode}; load {readlib.loadavg()}")
        rep.figure("server cache counters (delta)", ", ".join(f"{k} {v:.0f}" for k, v in delta.items()),
                   "", f"expected hit {total}, miss {total}, fill {total}")
        if wrong["hit"] or wrong["miss"]:
            rep.note(f"excluded: {wrong['hit']} 'hits' that were not HIT, {wrong['miss']} 'misses' that were not MISS")
        if not hits or not misses:
            raise RuntimeError("no clean samples")

        def stats(name, xs):
            p50, p90, p99 = (benchlib.percentile(xs, p) for p in (50, 90, 99))
            rep.figure(f"{name} latency", round(p50, 3), "ms p50",
                       f"p90 {p90:.3f}, p99 {p99:.3f}, mean {statistics.mean(xs):.3f}, min {min(xs):.3f}, "
                       f"max {max(xs):.3f} ms; {len(xs)} samples")
            return p50, p99
        h50, h99 = stats("hit", hits)
        m50, m99 = stats("miss", misses)
        f50, _ = stats("floor (400, no backend)", floors)
        rep.figure("miss p99 ÷ hit p99", round(m99 / h99, 3))
        if h50 > f50:
            rep.figure("net of floor: (miss−floor) ÷ (hit−floor)", round((m50 - f50) / (h50 - f50), 3), "",
                       "p50s; diagnostic only")
        rep.figure("load average at end", readlib.loadavg(), "", "1/5/15 min")
        rep.target("miss p50 ÷ hit p50", m50 / h50, ">=", 5.0)
        rep.save(args.json)
    finally:
        st.close()


if __name__ == "__main__":
    sys.exit(main())
