#!/usr/bin/python3
"""commit_latency: commit → visible in Redis at a steady rate (targets: p99 < 10 ms at 500
save_vcon commits/s and at 2 000 plain commits/s), and the highest rate that keeps p99 < 10 ms.

Loader processes commit one new vCon per transaction on a fixed schedule (open-loop: a late
transaction does not delay the next one's slot), each session with
`SET vcon_redis.ingress_lists = 'bench:latency'`. The worker RPUSHes a created vCon's uuid only after
its SET (docs/internals.md), so the moment a watcher process pops the uuid (BLPOP) the document is
visible. Latency = pop time − the moment COMMIT was sent (conservative: includes the commit itself);
also shown from the moment COMMIT returned. All timestamps are CLOCK_MONOTONIC, shared by the
processes. Reference measured in the same run: the round trip of a Redis PING from another process.

Two write paths (--write, both by default), each its own run at the same rate:
  save_vcon  SELECT vcon_redis.save_vcon(doc) of a generated small vCon (validation + 5 tables)
  insert     plain SQL as any client would write it: INSERT INTO vcons … ; INSERT INTO parties …
             (two statements, one transaction) — the capture/worker path with a cheap write.

--sweep then runs each path again at rates --sweep-step apart (shorter runs) and reports the
highest rate that the loaders reached with p99 < 10 ms: rising from the first run's rate when it
passed (the first rate that misses, or is not reached, ends the sweep), falling from it when it
missed (the first rate that passes ends the sweep).

--batch-delay-ab A,B instead compares two values of vcon_redis.batch_delay (ms) at each path's rate,
in ABBA order (--rounds): p99 commit → visible, events per batch and the worker's CPU per event of
each run, and the ratios B/A. --workers-ab A,B does the same for vcon_redis.workers (a restart
before each run; the worker CPU is then every worker's).
"""

import json
import multiprocessing as mp
import sys
import time

import benchlib

LIST = "bench:latency"


def loader(dsn, docs, k, nloaders, rate, t_start, out_q, write):
    import psycopg2
    conn = psycopg2.connect(dsn)
    cur = conn.cursor()
    cur.execute("SET vcon_redis.ingress_lists = %s", (LIST,))
    cur.execute("PREPARE save(jsonb) AS SELECT vcon_redis.save_vcon($1)")
    cur.execute("PREPARE ins_v(uuid, text) AS INSERT INTO vcons (uuid, vcon_version, subject, created_at) "
                "VALUES ($1, '0.4.0', $2, now())")
    cur.execute("PREPARE ins_p(uuid, text, text, text, text) AS INSERT INTO parties "
                "(vcon_id, party_index, name, tel) VALUES ($1, 0, $2, $3), ($1, 1, $4, $5)")
    conn.commit()
    res = []
    for j in range(k, len(docs), nloaders):
        sched = t_start + j / rate
        delay = sched - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        t_exec = time.monotonic()
        if write == "save_vcon":
            cur.execute("EXECUTE save(%s)", (docs[j][1],))
        else:
            u, doc = docs[j][0], docs[j][2]
            p = doc["parties"]
            cur.execute("EXECUTE ins_v(%s, %s)", (u, doc.get("subject")))
            cur.execute("EXECUTE ins_p(%s, %s, %s, %s, %s)",
                        (u, p[0].get("name"), p[0].get("tel"), p[1].get("name"), p[1].get("tel")))
        t0 = time.monotonic()
        conn.commit()
        t1 = time.monotonic()
        res.append((docs[j][0], sched, t_exec, t0, t1))
    conn.close()
    out_q.put(res)


def watcher(port, ready, stop, out_q):
    import redis
    r = redis.Redis(host="127.0.0.1", port=port, socket_timeout=10)
    r.delete(LIST)
    ready.set()
    got = []
    while True:
        x = r.blpop(LIST, timeout=1)
        if x is None:
            if stop.is_set():
                break
            continue
        t = time.monotonic()
        got.append((x[1].decode(), t))
        # A batch pushes several uuids at once: take the rest in one reply, stamped when it arrives.
        more = r.lpop(LIST, 1000)
        if more:
            t = time.monotonic()
            got.extend((u.decode(), t) for u in more)
    out_q.put(got)


def run_once(pg, redis_server, docs, args, write, rate, duration):
    """One paced run at rate commits/s; returns (measured commits, pops, PING RTTs)."""
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    ready, stop = ctx.Event(), ctx.Event()
    w = ctx.Process(target=watcher, args=(redis_server.port, ready, stop, q))
    w.start()
    ready.wait(10)
    t_start = time.monotonic() + 0.5
    loaders = [ctx.Process(target=loader, args=(pg.dsn(), docs, k, args.loaders, rate, t_start, q, write))
               for k in range(args.loaders)]
    for p in loaders:
        p.start()

    # Reference, measured while the load runs: PING round trips from this process, every 5 ms.
    import redis
    rc = redis.Redis(host="127.0.0.1", port=redis_server.port)
    rtts = []
    end = t_start + args.warmup + duration
    while time.monotonic() < end:
        a = time.monotonic()
        rc.ping()
        rtts.append((time.monotonic() - a) * 1000)
        time.sleep(0.005)

    commits = []
    for _ in loaders:
        commits.extend(q.get())
    for p in loaders:
        p.join()
    time.sleep(2.0)  # stragglers
    stop.set()
    pops = dict(q.get())
    w.join()
    measured = [c for c in commits if c[1] >= t_start + args.warmup]
    return measured, pops, rtts


def report_run(rep, pg, write, asked, measured, pops, rtts):
    """Prints one run's figures and its target; returns (achieved rate, p99 from COMMIT sent, reached)."""
    P = benchlib.percentile
    lat_sent = [(pops[u] - t0) * 1000 for u, _, _, t0, _ in measured if u in pops]
    lat_ret = [(pops[u] - t1) * 1000 for u, _, _, _, t1 in measured if u in pops]
    lost = sum(1 for c in measured if c[0] not in pops)
    late = [(t_exec - sched) * 1000 for _, sched, t_exec, _, _ in measured]
    commit_ms = [(t1 - t0) * 1000 for _, _, _, t0, t1 in measured]
    span = max(c[4] for c in measured) - min(c[2] for c in measured)
    rate = len(measured) / span
    print(f"  --- write path: {write}")
    rep.figure(f"{write}: commits measured", len(measured), "", f"achieved {rate:.1f}/s")
    rep.figure(f"{write}: loader lateness p50/p99", f"{P(late, 50):.2f} / {P(late, 99):.2f}", "ms",
               "transaction start after its slot; large = the machine cannot sustain the rate")
    rep.figure(f"{write}: COMMIT duration p50/p99", f"{P(commit_ms, 50):.3f} / {P(commit_ms, 99):.3f}", "ms")
    rep.figure(f"{write}: never seen in Redis", lost, "", "should be 0")
    if not lat_sent:
        rep.target(f"{write}: p99 commit → visible", float("inf"), "<", 10.0, " ms")
        return rate, float("inf"), False
    for label, xs in (("from COMMIT sent", lat_sent), ("from COMMIT returned", lat_ret)):
        rep.figure(f"{write}: latency {label} p50", P(xs, 50), "ms")
        rep.figure(f"{write}: latency {label} p90", P(xs, 90), "ms")
        rep.figure(f"{write}: latency {label} p99", P(xs, 99), "ms")
        rep.figure(f"{write}: latency {label} max", max(xs), "ms")
    rep.figure(f"{write}: Redis PING RTT p50/p99 (reference)", f"{P(rtts, 50):.3f} / {P(rtts, 99):.3f}", "ms",
               f"{len(rtts)} pings during the load")
    status = pg.sql("SELECT string_agg(state, ','), sum(events_applied), sum(batches), max(last_lag_ms), "
                    "string_agg(last_error, '; ') FROM vcon_redis._worker_state()")[0]
    rep.figure(f"{write}: worker", f"{status[0]}, {status[1]} events in {status[2]} batches "
               f"({status[1] / max(status[2], 1):.1f}/batch), last batch lag {status[3]} ms, last error {status[4]}")
    p99 = P(lat_sent, 99)
    rep.figure(f"{write}: ratio p99 / 10 ms target", p99 / 10.0)
    rep.figure(f"{write}: ratio p50 / PING RTT p50", P(lat_sent, 50) / P(rtts, 50))
    rep.figure(f"{write}: ratio p99 / PING RTT p99", p99 / P(rtts, 99))
    reached = rate >= 0.95 * asked
    rep.target(f"{write}: p99 commit → visible at {rate:.0f}/s" + ("" if reached else
               f" (rate NOT reached: {asked:g}/s asked)"), p99, "<", 10.0, " ms")
    return rate, p99, reached


def worker_totals(pg) -> tuple[int, int]:
    """Events applied and batches, summed over the workers."""
    return tuple(pg.sql("SELECT sum(events_applied)::bigint, sum(batches)::bigint FROM vcon_redis._worker_state()")[0])


def run_counting_worker(pg, redis_server, docs, args, write, rate):
    """run_once, and what the workers did meanwhile: (measured, pops, rtts, events, batches, CPU s)."""
    pids = [r[0] for r in pg.sql("SELECT pid FROM pg_stat_activity WHERE backend_type = 'vcon_redis worker'")]
    before = worker_totals(pg)
    cpu0 = sum(benchlib.cpu_seconds(p) for p in pids)
    measured, pops, rtts = run_once(pg, redis_server, docs, args, write, rate, args.duration)
    cpu = sum(benchlib.cpu_seconds(p) for p in pids) - cpu0
    after = worker_totals(pg)
    return measured, pops, rtts, after[0] - before[0], max(after[1] - before[1], 1), cpu


def measured_run(rep, pg, redis_server, args, write, rate, label, docs):
    """One run at rate in the current configuration (`label`): p99 (from COMMIT sent), events per
    batch and the workers' CPU µs per event."""
    measured, pops, rtts, events, batches, cpu = run_counting_worker(pg, redis_server, docs, args, write, rate)
    lat = [(pops[u] - t0) * 1000 for u, _, _, t0, _ in measured if u in pops]
    p99 = benchlib.percentile(lat, 99) if lat else float("inf")
    out = {"p99": p99, "per_batch": events / batches, "cpu_us": cpu / max(events, 1) * 1e6}
    rep.figure(f"{write} {label}", f"p50 {benchlib.percentile(lat, 50):.2f} ms, p99 {p99:.2f} ms, "
               f"{events / batches:.2f} events/batch, worker {out['cpu_us']:.0f} µs CPU/event, "
               f"{len(measured) - len(lat)} never seen")
    return out


def delay_run(rep, pg, redis_server, args, write, rate, delay, docs):
    """A run with vcon_redis.batch_delay = delay ms."""
    pg.sql(f"ALTER SYSTEM SET vcon_redis.batch_delay = {int(delay)}")
    pg.sql("SELECT pg_reload_conf()")
    time.sleep(0.5)
    return measured_run(rep, pg, redis_server, args, write, rate, f"batch_delay {delay:g} ms", docs)


def workers_run(rep, pg, redis_server, args, write, rate, workers, docs):
    """A run with vcon_redis.workers = workers (PostgreSQL restarted)."""
    benchlib.set_workers(pg, workers)
    return measured_run(rep, pg, redis_server, args, write, rate, f"workers {workers}", docs)


def config_ab(rep, pg, redis_server, args, write, rate, docs_for, values, run, name):
    """ABBA of run(…, value, docs) for the two values (A, B) at rate: per-run figures, then ratios B/A."""
    a, b = values
    rep.note(f"{write} at {rate:g}/s: A = {name} {a:g}, B = {b:g}; load average "
             f"{open('/proc/loadavg').read().split()[:3]}")
    pairs = benchlib.abba(lambda: run(rep, pg, redis_server, args, write, rate, a, docs_for(rate, args.duration)),
                          lambda: run(rep, pg, redis_server, args, write, rate, b, docs_for(rate, args.duration)),
                          args.rounds)
    for key, label in (("p99", "p99 commit → visible"), ("cpu_us", "worker CPU per event")):
        benchlib.report_abba(rep, f"{write}: {label}", [(x[key], y[key]) for x, y in pairs], "", False)
    per_batch = [y["per_batch"] / x["per_batch"] for x, y in pairs]
    rep.figure(f"{write}: events per batch ratio B/A", sum(y["per_batch"] for _, y in pairs) /
               sum(x["per_batch"] for x, _ in pairs), "", f"per pair {min(per_batch):.3f}..{max(per_batch):.3f}")
    rep.note(f"load average after {write}: {open('/proc/loadavg').read().split()[:3]}")


def sweep(rep, pg, redis_server, args, write, start_rate, start_passed, docs_for):
    """From start_rate (the first run's rate), runs write at rates `step` apart: upwards while runs
    keep p99 < 10 ms and reach their rate when the first run did, else downwards until one does.
    Reports the highest rate that kept p99 < 10 ms (0 if none)."""
    step = args.sweep_step or start_rate / 5
    direction = 1 if start_passed else -1
    best = start_rate if start_passed else 0
    rate = start_rate
    while True:
        rate += direction * step
        if rate <= 0:
            break
        docs = docs_for(rate, args.sweep_duration)
        print(f"  --- sweep {write} at {rate:g}/s")
        measured, pops, rtts = run_once(pg, redis_server, docs, args, write, rate, args.sweep_duration)
        achieved, p99, reached = report_run(rep, pg, write, rate, measured, pops, rtts)
        passed = reached and p99 < 10.0
        if passed:
            best = max(best, rate)
        if passed != start_passed:
            break
    rep.figure(f"{write}: highest rate with p99 < 10 ms", best, "commits/s",
               f"rates {step:g}/s apart, {args.sweep_duration:g} s each")


def main():
    ap = benchlib.parser(__doc__)
    ap.add_argument("--rate", type=float, default=None,
                    help="commits per second for every path (default: 500 for save_vcon, 2000 for insert)")
    ap.add_argument("--duration", type=float, default=30.0,
                    help="measured seconds (long enough for the tables to grow: 15 000 vCons at 500/s)")
    ap.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds at the start")
    ap.add_argument("--loaders", type=int, default=4, help="committing connections sharing the schedule")
    ap.add_argument("--size", default="small", help="vcon-gen size class of the documents")
    ap.add_argument("--write", default="save_vcon,insert", help="write paths to run: save_vcon, insert")
    ap.add_argument("--sweep", action="store_true", help="then find the highest rate with p99 < 10 ms")
    ap.add_argument("--sweep-step", type=float, default=None,
                    help="commits/s between sweep rates (default: a fifth of the path's first rate)")
    ap.add_argument("--sweep-duration", type=float, default=8.0, help="measured seconds of each sweep run")
    ap.add_argument("--batch-delay-ab", metavar="A,B", help="compare these vcon_redis.batch_delay values (ms)")
    ap.add_argument("--workers-ab", metavar="A,B", help="compare these vcon_redis.workers values")
    ap.add_argument("--rounds", type=int, default=1, help="ABBA rounds of --batch-delay-ab / --workers-ab")
    args = ap.parse_args()
    target_rate = {"save_vcon": 500.0, "insert": 2000.0}

    rep = benchlib.Report("commit_latency", "commit → visible in Redis (targets: p99 < 10 ms at 500 save_vcon "
                          "and 2 000 plain commits/s)")
    pg, redis_server = benchlib.start_stack("latency", keep=args.keep)
    benchlib.run_setup_sql(pg, args, rep)
    rep.figure("schedule", f"open loop over {args.loaders} connections, {args.warmup:g} s warm-up + "
               f"{args.duration:g} s measured")
    first_doc = 0

    def docs_for(rate, duration):
        nonlocal first_doc
        n = int(rate * (args.warmup + duration))
        docs = []
        for line in benchlib.generate(n, seed=21, start=first_doc, size=args.size).splitlines():
            d = json.loads(line)
            docs.append((d["uuid"], line, d))
        first_doc += n
        return docs

    for write in (w.strip() for w in args.write.split(",")):
        if write not in target_rate:
            sys.exit(f"unknown write path {write}")
        rate = args.rate or target_rate[write]
        if args.batch_delay_ab:
            config_ab(rep, pg, redis_server, args, write, rate, docs_for,
                      [float(x) for x in args.batch_delay_ab.split(",")], delay_run, "batch_delay (ms)")
            pg.sql("ALTER SYSTEM RESET vcon_redis.batch_delay")
            pg.sql("SELECT pg_reload_conf()")
            continue
        if args.workers_ab:
            config_ab(rep, pg, redis_server, args, write, rate, docs_for,
                      [int(x) for x in args.workers_ab.split(",")], workers_run, "workers")
            continue
        docs = docs_for(rate, args.duration)
        rep.figure(f"{write}: documents", len(docs), "",
                   f"--size {args.size}, avg {sum(len(d[1]) for d in docs) / len(docs):.0f} B, {rate:g}/s")
        measured, pops, rtts, events, batches, cpu = run_counting_worker(pg, redis_server, docs, args, write, rate)
        _, p99, reached = report_run(rep, pg, write, rate, measured, pops, rtts)
        rep.figure(f"{write}: worker CPU per event", cpu / max(events, 1) * 1e6, "µs",
                   f"{events} events in {batches} batches ({events / batches:.2f}/batch) during the run")
        if args.sweep:
            sweep(rep, pg, redis_server, args, write, rate, reached and p99 < 10.0, docs_for)
    rep.save(args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
