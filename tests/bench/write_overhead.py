#!/usr/bin/python3
"""write_overhead: transactions/s with the capture triggers attached ÷ detached, for save_vcon of a
realistic vCon (target >= 0.9) and for plain single-table SQL writes (target >= 0.95).

pgbench runs one custom transaction, `SELECT vcon_redis.save_vcon(doc)`, over realistic vCons
(vcon-gen --bytes 10000: 3-6 parties, 3-6 dialogs, a transcript per recording, summary, sentiment,
tags). Documents are pre-generated into a staging table; every transaction picks one at random and
gives it a fresh uuid (jsonb_set … gen_random_uuid()), so each one creates a new vCon. Runs alternate
attached (vcon_redis.attach(): triggers + outbox, the worker draining into a live Redis) and detached
(vcon_redis.detach(): plain table writes), same duration and clients, in ABBA order (attached first in
odd rounds, detached first in even ones, so neither side always runs on the larger table); the ratio
is of the medians. The plain workload is one INSERT of a new vcons row per transaction, as an
application writing the table directly would.

Diagnostic third mode (--split, on by default): attached with Redis paused (SIGSTOP), so the worker
cannot drain: the triggers and outbox run, the worker's document building (vcon_json_many) does not.
Its tps separates the two costs that share this machine's cores: capture in the user's transaction
(paused ÷ detached) and the worker's draining work (attached ÷ paused).

--durable runs the cluster as deployed, fsync = on and synchronous_commit = on (the test harness
runs PostgreSQL with fsync = off, which makes a commit nearly free and so exaggerates every per-row
cost against a deployed database).
"""

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import benchlib

SCRIPTS = {
    "save_vcon": """\\set r random(1, {n})
SELECT vcon_redis.save_vcon(jsonb_set(doc, '{{uuid}}', to_jsonb(gen_random_uuid()::text))) FROM bench.docs WHERE i = :r;
""",
    "plain": """INSERT INTO public.vcons (id, uuid, subject) VALUES (gen_random_uuid(), gen_random_uuid(), 'a plain write');
""",
}
TARGETS = {"save_vcon": 0.9, "plain": 0.95}


def pgbench(pg, script: Path, clients: int, seconds: int) -> dict:
    cmd = [str(benchlib.PGBENCH), "-n", "-M", "prepared", "-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres",
           "-c", str(clients), "-j", str(clients), "-T", str(seconds), "-f", str(script), "postgres"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    tps = float(re.search(r"tps = ([0-9.]+) \(without initial connection time\)", out).group(1))
    lat = re.search(r"latency average = ([0-9.]+) ms", out)
    done = re.search(r"number of transactions actually processed: (\d+)", out)
    return {"tps": tps, "latency_ms": float(lat.group(1)) if lat else None, "xacts": int(done.group(1)) if done else None}


def wait_backends_reaped(pm_pid: int, timeout: float = 5.0):
    """Waits until the client backends of the runs and statements that just ended are gone and
    reaped by the postmaster: until then the CPU of an exiting backend can be missed by
    tree_cpu_seconds (neither a live child's nor yet in the postmaster's cutime), and a run's
    server CPU read as ~0."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(_client_backend_or_zombie(entry, pm_pid) for entry in os.listdir("/proc")):
        time.sleep(0.02)


def _client_backend_or_zombie(entry: str, pm_pid: int) -> bool:
    try:
        if not entry.isdigit():
            return False
        fields = open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()
        if int(fields[1]) != pm_pid:
            return False
        return fields[0] in ("Z", "X") or b"127.0.0.1(" in open(f"/proc/{entry}/cmdline", "rb").read()
    except OSError:
        return False


def main():
    ap = benchlib.parser(__doc__)
    ap.add_argument("--docs", type=int, default=4000, help="distinct documents in the staging table")
    ap.add_argument("--bytes", type=int, default=10000, help="approximate size of each document")
    ap.add_argument("--duration", type=int, default=15, help="seconds per pgbench run")
    ap.add_argument("--rounds", type=int, default=3, help="attached/detached pairs (order alternates)")
    ap.add_argument("--clients", type=int, default=2, help="pgbench clients (default: 2, one per core here)")
    ap.add_argument("--warmup", type=int, default=5, help="seconds of unmeasured attached load first")
    ap.add_argument("--no-split", dest="split", action="store_false",
                    help="skip the diagnostic runs with Redis paused")
    ap.add_argument("--workloads", default="save_vcon,plain", help="comma-separated: save_vcon, plain")
    ap.add_argument("--durable", action="store_true",
                    help="fsync = on, synchronous_commit = on, as deployed (default: the harness's fsync = off)")
    args = ap.parse_args()

    durability = "durable (fsync on)" if args.durable else "fsync off"
    rep = benchlib.Report("write_overhead" + ("_durable" if args.durable else ""),
                          f"tps with capture attached / detached, {durability}: save_vcon (target >= 0.9), "
                          "plain single-table INSERTs (target >= 0.95)")
    settings = {"fsync": "on", "synchronous_commit": "on"} if args.durable else None
    pg, redis_server = benchlib.start_stack("write", settings=settings, keep=args.keep)
    rep.figure("durability", durability, "", ", ".join(f"{k} = {v}" for k, v in pg.sql(
        "SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit') ORDER BY name")))
    r = redis_server.client()
    benchlib.run_setup_sql(pg, args, rep)

    pg.sql("CREATE SCHEMA bench")
    pg.sql("CREATE TABLE bench.docs (i integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, doc jsonb NOT NULL)")
    benchlib.copy_docs(pg, "bench.docs", benchlib.generate(args.docs, seed=11, nbytes=args.bytes, fmt="copy"))
    pg.sql("VACUUM ANALYZE bench.docs")
    shape = pg.sql("""SELECT avg(length(doc::text)), avg(jsonb_array_length(doc->'parties')),
                             avg(jsonb_array_length(doc->'dialog')), avg(jsonb_array_length(doc->'analysis'))
                      FROM bench.docs""")[0]
    rep.figure("documents", args.docs, "", f"avg {float(shape[0]):.0f} B, {float(shape[1]):.1f} parties, "
               f"{float(shape[2]):.1f} dialogs, {float(shape[3]):.1f} analyses")
    rep.figure("pgbench", f"-c {args.clients} -j {args.clients} -T {args.duration} -M prepared",
               "", f"{args.rounds} rounds")

    pm_pid = benchlib.postmaster_pid(pg)
    for workload in args.workloads.split(","):
        measure(workload, args, pg, redis_server, r, rep, pm_pid)
    status = pg.sql("SELECT worker_state, events_applied, last_error FROM vcon_redis.status()")[0]
    rep.figure("worker", f"{status[0]}, {status[1]} events applied, last error {status[2]}")
    rep.save(args.json)


def measure(workload, args, pg, redis_server, r, rep, pm_pid):
    """ABBA rounds of one workload; prints and records its figures and target."""
    print(f"  --- {workload}")
    script = Path(tempfile.mkstemp(prefix="vcon-bench-", suffix=".pgbench")[1])
    script.write_text(SCRIPTS[workload].format(n=args.docs))

    def server_cpu() -> float:
        wait_backends_reaped(pm_pid)
        return benchlib.tree_cpu_seconds(pm_pid) + benchlib.cpu_seconds(redis_server.proc.pid)

    def run(mode: str) -> dict:
        pg.sql("SELECT vcon_redis.detach()" if mode == "detached" else "SELECT vcon_redis.attach()")
        benchlib.wait_drained(pg)
        pg.sql("CHECKPOINT")
        keys_before = r.dbsize()
        scpu0 = server_cpu()
        if mode == "paused":
            redis_server.pause()
            try:
                res = pgbench(pg, script, args.clients, args.duration)
            finally:
                redis_server.resume()
            res["drain_s"] = benchlib.wait_drained(pg)
        else:
            wpid = pg.worker_pid()
            cpu0 = benchlib.cpu_seconds(wpid)
            res = pgbench(pg, script, args.clients, args.duration)
            res["worker_cpu_s"] = benchlib.cpu_seconds(wpid) - cpu0
        if mode != "paused":  # paused: the drain happens after the run, outside the window
            res["server_cpu_ms"] = (server_cpu() - scpu0) / max(res["xacts"], 1) * 1000
        if mode == "attached":
            res["backlog_at_end"] = pg.sql("SELECT backlog FROM vcon_redis.status()")[0][0]
            res["drain_s"] = benchlib.wait_drained(pg)
            res["keys_added"] = r.dbsize() - keys_before
        return res

    if args.warmup:
        pg.sql("SELECT vcon_redis.attach()")
        subprocess.run([str(benchlib.PGBENCH), "-n", "-M", "prepared", "-h", "127.0.0.1", "-p", str(pg.port),
                        "-U", "postgres", "-c", str(args.clients), "-j", str(args.clients), "-T", str(args.warmup),
                        "-f", str(script), "postgres"], check=True, capture_output=True)
        benchlib.wait_drained(pg)

    results = {"attached": [], "detached": [], "paused": []}
    for rnd in range(args.rounds):
        order = ["attached", "detached"] if rnd % 2 == 0 else ["detached", "attached"]
        if args.split:
            order.append("paused")
        for mode in order:
            res = run(mode)
            results[mode].append(res)
            extra = ""
            if mode == "attached":
                extra = (f"  backlog at end {res['backlog_at_end']}, drained in {res['drain_s']:.2f} s, "
                         f"{res['keys_added']} keys added (expected {res['xacts']}), "
                         f"worker CPU {res['worker_cpu_s'] / max(res['xacts'], 1) * 1000:.2f} ms/vCon")
            elif mode == "paused":
                extra = f"  (Redis paused; backlog drained afterwards in {res['drain_s']:.2f} s)"
            cpu = f"  server CPU {res['server_cpu_ms']:.2f} ms/xact" if "server_cpu_ms" in res else ""
            print(f"    round {rnd + 1} {mode:<8}: {res['tps']:9.1f} tps  {res['latency_ms']:.2f} ms/xact{cpu}{extra}")

    script.unlink()
    w = workload
    att = benchlib.median([x["tps"] for x in results["attached"]])
    det = benchlib.median([x["tps"] for x in results["detached"]])
    rep.figure(f"{w}: tps attached (median)", att, "xact/s")
    rep.figure(f"{w}: tps detached (median)", det, "xact/s", "reference")
    pairs = [a["tps"] / d["tps"] for a, d in zip(results["attached"], results["detached"])]
    rep.figure(f"{w}: per-round ratios", ", ".join(f"{x:.3f}" for x in pairs),
               "", f"median {benchlib.median(pairs):.3f}, spread {min(pairs):.3f}-{max(pairs):.3f}")
    if results["paused"]:
        paused = benchlib.median([x["tps"] for x in results["paused"]])
        rep.figure(f"{w}: tps attached, Redis paused", paused, "xact/s", "diagnostic: capture only, no draining")
        rep.figure("  capture cost: paused / detached", paused / det, "", "triggers + outbox in the transaction")
        rep.figure("  drain cost: attached / paused", att / paused, "", "worker CPU competing for the cores")
    lost = sum(x["xacts"] - x["keys_added"] for x in results["attached"])
    wcpu = sum(x["worker_cpu_s"] for x in results["attached"]) / max(sum(x["xacts"] for x in results["attached"]), 1)
    rep.figure(f"{w}: worker CPU per vCon (attached)", wcpu * 1000, "ms",
               f"vs {os.cpu_count() * 1000.0 / det:.2f} ms of CPU ({os.cpu_count()} cores) per detached transaction")
    cpu_att = benchlib.median([x["server_cpu_ms"] for x in results["attached"]])
    cpu_det = benchlib.median([x["server_cpu_ms"] for x in results["detached"]])
    rep.figure(f"{w}: server CPU per transaction", f"attached {cpu_att:.2f} / detached {cpu_det:.2f}", "ms",
               "PostgreSQL (backends, worker, all) + redis-server")
    rep.figure(f"{w}: CPU-cost ratio detached / attached", cpu_det / cpu_att, "",
               "the tps ratio to expect when server CPU is the bottleneck (more clients than cores)")
    rep.figure(f"{w}: vCons missing from Redis", lost, "", "after each attached run drained (should be 0)")
    rep.target(f"{w}: tps attached / detached", att / det, ">=", TARGETS[w])

if __name__ == "__main__":
    sys.exit(main())
