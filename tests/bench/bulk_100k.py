#!/usr/bin/python3
"""bulk_100k: 100 000 small vCons committed in ONE transaction; all in Redis within 10 s of the commit.

The documents (vcon-gen --size small) are COPYed into a staging table that is not a vCon table, then
one transaction runs `SELECT count(vcon_redis.save_vcon(doc)) FROM staging` with
`SET LOCAL vcon_redis.ingress_lists = 'bench:bulk'` and commits. Nothing may reach Redis before the
COMMIT (checked). From the moment COMMIT returns, the ingress list's length is polled every 5 ms: the
worker RPUSHes a uuid only after its document's SET, so LLEN = 100 000 means every document is in
Redis (then verified with EXISTS on every key). Reference measured in the same run: redis-benchmark
SET of values of the same average size, 100 000 requests, pipelined (-P 64) — the time Redis alone
needs to take these writes.
"""

import argparse
import re
import subprocess
import sys
import time

import benchlib

LIST = "bench:bulk"


def main():
    ap = benchlib.common_args(argparse.ArgumentParser(description=__doc__,
                                                      formatter_class=argparse.RawDescriptionHelpFormatter))
    ap.add_argument("--count", type=int, default=100000)
    ap.add_argument("--size", default="small", help="vcon-gen size class")
    ap.add_argument("--no-lists", dest="lists", action="store_false",
                    help="no ingress list (cache SETs only); completion is then polled with DBSIZE")
    ap.add_argument("--timeout", type=float, default=600.0, help="give up waiting for Redis after this long")
    args = ap.parse_args()

    rep = benchlib.Report("bulk_100k", f"{args.count} vCons in one transaction → all in Redis "
                          "(target < 10 s after COMMIT)")
    pg, redis_server = benchlib.start_stack("bulk", keep=args.keep)
    r = redis_server.client()
    benchlib.run_setup_sql(pg, args, rep)

    t = time.monotonic()
    copy_text = benchlib.generate(args.count, seed=31, size=args.size, fmt="copy")
    gen_s = time.monotonic() - t
    pg.sql("CREATE SCHEMA bench")
    pg.sql("CREATE UNLOGGED TABLE bench.staging (doc jsonb NOT NULL)")
    benchlib.copy_docs(pg, "bench.staging", copy_text)
    del copy_text
    avg = float(pg.sql("SELECT avg(length(doc::text)) FROM bench.staging")[0][0])
    uuids = [row[0] for row in pg.sql("SELECT doc->>'uuid' FROM bench.staging")]
    rep.figure("documents", args.count, "", f"--size {args.size}, avg {avg:.0f} B (jsonb text); "
               f"generated in {gen_s:.1f} s")

    # Reference: Redis alone taking 100 000 SETs of this size, pipelined.
    out = subprocess.run(["redis-benchmark", "-h", "127.0.0.1", "-p", str(redis_server.port), "-t", "set",
                          "-n", str(args.count), "-d", str(int(avg)), "-P", "64", "-c", "1", "-q"],
                         capture_output=True, text=True).stdout
    m = re.findall(r"SET: ([0-9.]+) requests per second", out)
    ref_rps = float(m[-1]) if m else None
    r.flushdb()
    if ref_rps:
        rep.figure("reference: redis-benchmark SET -P 64", ref_rps, "req/s",
                   f"{args.count / ref_rps:.2f} s for {args.count} values of {int(avg)} B")

    worker_pid = pg.worker_pid()
    redis_pid = redis_server.proc.pid

    cpu_seconds = benchlib.cpu_seconds
    conn = pg.connect(autocommit=False)
    cur = conn.cursor()
    if args.lists:
        cur.execute("SET LOCAL vcon_redis.ingress_lists = %s", (LIST,))
    t0 = time.monotonic()
    cur.execute("SELECT count(vcon_redis.save_vcon(doc)) FROM bench.staging")
    saved = cur.fetchone()[0]
    t1 = time.monotonic()
    before_commit = r.dbsize()
    t2 = time.monotonic()
    conn.commit()
    t3 = time.monotonic()
    cpu0 = (cpu_seconds(worker_pid), cpu_seconds(redis_pid))
    conn.close()
    rep.figure("save_vcon x N in the transaction", t1 - t0, "s", f"{saved / (t1 - t0):.0f} vCons/s")
    rep.figure("keys in Redis before COMMIT", before_commit, "", "must be 0 (nothing leaks before commit)")
    rep.figure("COMMIT duration", (t3 - t2) * 1000, "ms")

    def done() -> int:
        return r.llen(LIST) if args.lists else r.dbsize()

    first = half = None
    deadline = t3 + args.timeout
    while True:
        n = done()
        now = time.monotonic()
        if n and first is None:
            first = now
        if n >= args.count // 2 and half is None:
            half = now
        if n >= args.count or now > deadline:
            break
        time.sleep(0.005)
    all_in = time.monotonic() - t3
    cpu1 = (cpu_seconds(worker_pid), cpu_seconds(redis_pid))

    # Verify: every document key exists.
    pipe = r.pipeline(transaction=False)
    for u in uuids:
        pipe.exists(f"vcon:{u}")
    present = sum(pipe.execute())
    status = pg.sql("SELECT worker_state, events_applied, pushes, last_error FROM vcon_redis.status()")[0]
    batches = pg.sql("SELECT batches FROM vcon_redis._worker_state()")[0][0]

    rep.figure("first key visible after COMMIT", (first - t3) if first else float("nan"), "s")
    rep.figure("half visible after COMMIT", (half - t3) if half else float("nan"), "s")
    rep.figure("all visible after COMMIT", all_in, "s")
    rep.figure("document keys present", present, "", f"of {args.count}")
    if args.lists:
        rep.figure("list length", r.llen(LIST), "", "pushes exactly once per created vCon")
    rep.figure("worker drain rate", args.count / all_in, "vCons/s")
    rep.figure("worker CPU while draining", (cpu1[0] - cpu0[0]) / all_in * 100, "% of one core",
               "~100 % = the worker is CPU-bound (document building), not waiting for Redis")
    rep.figure("redis-server CPU while draining", (cpu1[1] - cpu0[1]) / all_in * 100, "% of one core")
    rep.figure("worker", f"{status[0]}, {status[1]} events, {status[2]} pushes, {batches} batches, "
               f"last error {status[3]}")
    if ref_rps:
        rep.figure("ratio drain time / redis-benchmark time", all_in / (args.count / ref_rps), "",
                   "how much slower than Redis alone")
    rep.figure("ratio all-visible / 10 s target", all_in / 10.0)
    rep.target("all visible after COMMIT", all_in if present == args.count else float("inf"), "<", 10.0, " s")
    rep.save(args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
