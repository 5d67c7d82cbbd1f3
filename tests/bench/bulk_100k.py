#!/usr/bin/python3
"""bulk_100k: the worker's drain after one big transaction, the two figures of issue 10 goal 3.

1. 100 000 small vCons (vcon-gen --size small) committed in ONE transaction are all in Redis
   within 3 s of the COMMIT.
2. After ONE transaction touching 20 000 realistic vCons (vcon-gen's default size class, medium),
   the worker's drain rate (vCons/s) is >= 0.25x the rate at which Redis on this machine ingests
   SETs of values of the same average size (`redis-benchmark -P 16 -t set -d <avg>`), measured in
   the same run on the same redis-server.

Each phase: the documents are COPYed into a staging table that is not a vCon table, then one
transaction runs `SELECT count(vcon_redis.save_vcon(doc)) FROM staging` with
`SET LOCAL vcon_redis.ingress_lists = 'bench:bulk'` and commits. Nothing may reach Redis before the
COMMIT (checked). From the moment COMMIT returns, the ingress list's length is polled every 5 ms: the
worker RPUSHes a uuid only after its document's SET, so LLEN = N means every document is in Redis
(then verified with EXISTS on every key). The worker's CPU time per vCon is printed too: on this
shared machine it is the figure least moved by other people's load.

With --workers A,B each phase's vCons are saved once, then re-queued with vcon_redis.resync() in one
transaction (a SET each, no push; completion polled with DBSIZE) and drained with
vcon_redis.workers = A and = B (a restart before each drain) in ABBA order (--rounds times): the
B / A ratio of the time until all are in Redis, and the realistic drain rate of each against
redis-benchmark. The worker CPU is then every worker's.
"""

import argparse
import re
import subprocess
import sys
import time

import benchlib

LIST = "bench:bulk"


def redis_set_rate(redis_server, size: int, requests: int, pipeline: int) -> float | None:
    """redis-benchmark SET of `size`-byte values, pipelined: requests/s (None if it printed none)."""
    out = subprocess.run(["redis-benchmark", "-h", "127.0.0.1", "-p", str(redis_server.port), "-t", "set",
                          "-n", str(requests), "-d", str(size), "-P", str(pipeline), "-q"],
                         capture_output=True, text=True).stdout
    m = re.findall(r"SET: ([0-9.]+) requests per second", out)
    return float(m[-1]) if m else None


def drain_phase(pg, redis_server, rep, label: str, count: int, seed: int, size: str | None,
                lists: bool, timeout: float) -> dict:
    """Saves `count` generated vCons in one transaction, commits, waits until all are in Redis."""
    r = redis_server.client()
    r.flushdb()
    t = time.monotonic()
    copy_text = benchlib.generate(count, seed=seed, size=size, fmt="copy")
    gen_s = time.monotonic() - t
    pg.sql("DROP TABLE IF EXISTS bench.staging")
    pg.sql("CREATE UNLOGGED TABLE bench.staging (doc jsonb NOT NULL)")
    benchlib.copy_docs(pg, "bench.staging", copy_text)
    del copy_text
    avg = float(pg.sql("SELECT avg(length(doc::text)) FROM bench.staging")[0][0])
    uuids = [row[0] for row in pg.sql("SELECT doc->>'uuid' FROM bench.staging")]
    rep.figure(f"{label}: documents", count, "", f"--size {size or 'default (medium)'}, avg {avg:.0f} B "
               f"(jsonb text); generated in {gen_s:.1f} s")

    worker_pids = [row[0] for row in pg.sql("SELECT pid FROM pg_stat_activity WHERE backend_type = 'vcon_redis worker'")]
    redis_pid = redis_server.proc.pid

    def cpu() -> tuple[float, float]:
        return sum(benchlib.cpu_seconds(p) for p in worker_pids), benchlib.cpu_seconds(redis_pid)

    conn = pg.connect(autocommit=False)
    cur = conn.cursor()
    if lists:
        cur.execute("SET LOCAL vcon_redis.ingress_lists = %s", (LIST,))
    t0 = time.monotonic()
    cur.execute("SELECT count(vcon_redis.save_vcon(doc)) FROM bench.staging")
    saved = cur.fetchone()[0]
    t1 = time.monotonic()
    before_commit = r.dbsize()
    t2 = time.monotonic()
    conn.commit()
    t3 = time.monotonic()
    cpu0 = cpu()
    conn.close()
    rep.figure(f"{label}: save_vcon x N in the transaction", t1 - t0, "s", f"{saved / (t1 - t0):.0f} vCons/s")
    rep.figure(f"{label}: keys in Redis before COMMIT", before_commit, "", "must be 0 (nothing leaks before commit)")
    rep.figure(f"{label}: COMMIT duration", (t3 - t2) * 1000, "ms")

    def done() -> int:
        return r.llen(LIST) if lists else r.dbsize()

    first = half = None
    deadline = t3 + timeout
    while True:
        n = done()
        now = time.monotonic()
        if n and first is None:
            first = now
        if n >= count // 2 and half is None:
            half = now
        if n >= count or now > deadline:
            break
        time.sleep(0.005)
    all_in = time.monotonic() - t3
    cpu1 = cpu()

    pipe = r.pipeline(transaction=False)
    for u in uuids:
        pipe.exists(f"vcon:{u}")
    present = sum(pipe.execute())
    status = pg.sql("SELECT string_agg(worker_state, ','), sum(events_applied), sum(pushes), "
                    "string_agg(last_error, '; ') FROM vcon_redis.status()")[0]

    worker_cpu = cpu1[0] - cpu0[0]
    rep.figure(f"{label}: first key visible after COMMIT", (first - t3) if first else float("nan"), "s")
    rep.figure(f"{label}: half visible after COMMIT", (half - t3) if half else float("nan"), "s")
    rep.figure(f"{label}: all visible after COMMIT", all_in, "s")
    rep.figure(f"{label}: document keys present", present, "", f"of {count}")
    if lists:
        rep.figure(f"{label}: list length", r.llen(LIST), "", "pushes exactly once per created vCon")
    rep.figure(f"{label}: worker drain rate", count / all_in, "vCons/s")
    rep.figure(f"{label}: worker CPU per vCon", worker_cpu / count * 1e6, "µs",
               f"{worker_cpu / all_in * 100:.0f} % of one core while draining ({len(worker_pids)} worker(s); "
               "~100 % per worker = CPU-bound)")
    rep.figure(f"{label}: redis-server CPU while draining", (cpu1[1] - cpu0[1]) / all_in * 100, "% of one core")
    rep.figure(f"{label}: workers", f"{status[0]}, {status[1]} events, {status[2]} pushes, last error {status[3]}")
    r.delete(LIST)
    return {"all_in": all_in if present == count else float("inf"), "rate": count / all_in if present == count
            else 0.0, "avg": avg}


def main():
    ap = benchlib.common_args(argparse.ArgumentParser(description=__doc__,
                                                      formatter_class=argparse.RawDescriptionHelpFormatter))
    ap.add_argument("--count", type=int, default=100000, help="small vCons of figure 1")
    ap.add_argument("--realistic", type=int, default=20000, help="realistic vCons of figure 2 (0: skip)")
    ap.add_argument("--no-lists", dest="lists", action="store_false",
                    help="no ingress list (cache SETs only); completion is then polled with DBSIZE")
    ap.add_argument("--timeout", type=float, default=600.0, help="give up waiting for Redis after this long")
    ap.add_argument("--workers", help="A,B: compare vcon_redis.workers = A and = B in ABBA order (e.g. 1,2)")
    ap.add_argument("--rounds", type=int, default=1, help="ABBA repetitions with --workers")
    args = ap.parse_args()
    if args.workers:
        return compare_workers(args)

    rep = benchlib.Report("bulk_100k", f"{args.count} small vCons in one transaction → all in Redis (target "
                          f"< 3 s after COMMIT); {args.realistic} realistic: drain rate ≥ 0.25x redis-benchmark "
                          "-P 16 SET")
    rep.note("load average at start: " + open("/proc/loadavg").read().split(" ", 3)[:3].__str__())
    pg, redis_server = benchlib.start_stack("bulk", keep=args.keep)
    benchlib.run_setup_sql(pg, args, rep)
    pg.sql("CREATE SCHEMA bench")

    small = drain_phase(pg, redis_server, rep, "small", args.count, 31, "small", args.lists, args.timeout)
    if args.realistic > 0:
        real = drain_phase(pg, redis_server, rep, "realistic", args.realistic, 37, None, args.lists, args.timeout)
        redis_server.client().flushdb()
        ref = redis_set_rate(redis_server, int(real["avg"]), max(args.realistic, 100000), 16)
        redis_server.client().flushdb()
        if ref:
            rep.figure("reference: redis-benchmark -P 16 SET", ref, "req/s", f"values of {int(real['avg'])} B")
            rep.figure("ratio realistic drain rate / Redis SET rate", real["rate"] / ref)
    rep.note("load average at end: " + open("/proc/loadavg").read().split(" ", 3)[:3].__str__())
    rep.target(f"{args.count} small: all visible after COMMIT", small["all_in"], "<", 3.0, " s")
    if args.realistic > 0:
        rep.target(f"{args.realistic} realistic: drain rate / redis-benchmark -P 16 SET rate",
                   real["rate"] / ref if ref else 0.0, ">=", 0.25)
    rep.save(args.json)
    return 0


def resync_drain(pg, redis_server, rep, label: str, count: int, timeout: float) -> dict:
    """Queues every vCon again in ONE transaction (vcon_redis.resync(): a SET each, no push) on an
    empty Redis, commits, and waits until DBSIZE = count: the drain without the save before it."""
    r = redis_server.client()
    r.flushdb()
    pids = [row[0] for row in pg.sql("SELECT pid FROM pg_stat_activity WHERE backend_type = 'vcon_redis worker'")]
    conn = pg.connect(autocommit=False)
    cur = conn.cursor()
    cur.execute("SELECT vcon_redis.resync()")
    queued = cur.fetchone()[0]
    cpu0 = sum(benchlib.cpu_seconds(p) for p in pids)
    conn.commit()
    t0 = time.monotonic()
    conn.close()
    while r.dbsize() < count and time.monotonic() < t0 + timeout:
        time.sleep(0.005)
    all_in = time.monotonic() - t0
    cpu = sum(benchlib.cpu_seconds(p) for p in pids) - cpu0
    present = r.dbsize()
    rep.figure(f"{label}: all visible after COMMIT", all_in, "s",
               f"{queued} queued, {present} keys; {count / all_in:.0f} vCons/s; worker CPU {cpu / count * 1e6:.1f} µs "
               f"per vCon, {cpu / all_in * 100:.0f} % of one core ({len(pids)} worker(s))")
    return {"all_in": all_in if present >= count else float("inf"), "rate": count / all_in}


def compare_workers(args) -> int:
    """Each phase's vCons are saved once (drained by one worker), then drained again with
    resync() in ABBA order of the two worker counts."""
    a, b = (int(x) for x in args.workers.split(","))
    rep = benchlib.Report("bulk_100k", f"vcon_redis.workers {a} (A) against {b} (B), ABBA x {args.rounds}: "
                          f"{args.count} small vCons, then {args.realistic} realistic, re-queued in one transaction")
    rep.note("load average at start: " + open("/proc/loadavg").read().split(" ", 3)[:3].__str__())
    pg, redis_server = benchlib.start_stack("bulk", keep=args.keep)
    benchlib.run_setup_sql(pg, args, rep)
    pg.sql("CREATE SCHEMA bench")
    phases = [("small", args.count, "small", 31)]
    if args.realistic:
        phases.append(("realistic", args.realistic, None, 37))
    rates: dict[int, list[float]] = {a: [], b: []}
    avg = 0.0
    for label, count, size, seed in phases:
        benchlib.set_workers(pg, 1)
        pg.sql("TRUNCATE vcons CASCADE")  # each phase alone in the tables; its delete events drained first
        benchlib.wait_drained(pg)
        avg = drain_phase(pg, redis_server, rep, f"{label} saved", count, seed, size, False, args.timeout)["avg"]

        def measure(workers: int) -> float:
            benchlib.set_workers(pg, workers)
            out = resync_drain(pg, redis_server, rep, f"{label} resync workers={workers}", count, args.timeout)
            if label == "realistic":
                rates[workers].append(out["rate"])
            return out["all_in"]

        pairs = benchlib.abba(lambda: measure(a), lambda: measure(b), args.rounds)
        benchlib.report_abba(rep, f"{label}: all in Redis after COMMIT (A = {a}, B = {b} workers)", pairs, "s",
                             higher_is_better=False)
    if args.realistic:
        redis_server.client().flushdb()
        ref = redis_set_rate(redis_server, int(avg), max(args.realistic, 100000), 16)
        redis_server.client().flushdb()
        rep.figure("reference: redis-benchmark -P 16 SET", ref or 0, "req/s", f"values of {int(avg)} B")
        for workers in (a, b):
            rep.figure(f"ratio realistic drain rate / Redis SET rate, workers={workers}",
                       sum(rates[workers]) / len(rates[workers]) / ref if ref else 0.0, "",
                       f"mean of {len(rates[workers])} resync drains")
    rep.note("load average at end: " + open("/proc/loadavg").read().split(" ", 3)[:3].__str__())
    rep.save(args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
