#!/usr/bin/env python3
"""The cost of Redis Cluster for the server's read hits, as ratios measured in one run:

  read hits    vcon-cache-server GET /api/v1/vcons/<uuid> hits per second over one keep-alive
               connection: a server on a standalone Redis (A) vs one on a 3-primary Redis Cluster
               (B, node-list URL), the same vCons cached in both;
  write drain  time from COMMIT of N saved vCons (one transaction, one ingress list) until the
               outbox is empty: worker on the standalone Redis (A) vs on the cluster (B).

Each pair runs in ABBA order (A B B A, repeated --rounds times); the ratio is B ÷ A of the summed
rates (or times), and the spread is the range of the per-pair ratios. Not a test: it prints figures
only."""

from __future__ import annotations

import argparse
import http.client
import shutil
import subprocess
import tempfile
from pathlib import Path

import benchlib
import harness
import readlib


def main():
    ap = benchlib.common_args(argparse.ArgumentParser(description=__doc__,
                                                      formatter_class=argparse.RawDescriptionHelpFormatter))
    ap.add_argument("--count", type=int, default=2000, help="vCons per drain measurement")
    ap.add_argument("--reads", type=int, default=4000, help="GETs per read measurement")
    ap.add_argument("--rounds", type=int, default=1, help="ABBA repetitions")
    args = ap.parse_args()
    readlib.install_signal_handlers()
    rep = benchlib.Report("redis_cluster", "Redis Cluster vs standalone (ABBA)")

    base = harness.make_reachable(Path(tempfile.mkdtemp(prefix="vcon-bench-cluster-")))
    single = harness.RedisServer(base / "single").start()
    cluster = harness.RedisClusterNodes(base / "cluster", primaries=3, replicas_per_primary=0).start()
    pg = harness.PgCluster(base / "pg", settings={"vcon_redis.redis_url": f"'{single.url()}'",
                                                  "vcon_redis.poll_interval": "200"}).init().start()
    servers: list[subprocess.Popen] = []
    try:
        pg.sql("CREATE EXTENSION IF NOT EXISTS vcon_redis")
        pg.sql("SELECT vcon_redis.attach()")
        benchlib.run_setup_sql(pg, args, rep)
        docs = [d for d in benchlib.generate(args.count * 4 * args.rounds + 200, seed=13, size="small").splitlines()
                if d.strip()]
        save_batch = benchlib.DocFeed(pg, docs, "q_bench").save

        def configure(url: str):
            pg.sql("ALTER SYSTEM SET vcon_redis.redis_url = %s", (url,))
            pg.reload()
            shown = url.split("//")[1].split(",")[0].split("/")[0]
            harness.wait_for(lambda: shown in (pg.sql("SELECT redis_url FROM vcon_redis.status()")[0][0] or ""), 20,
                             what="worker on the new URL")
            save_batch(50)  # a warm-up batch: connect, slot map, scripts
            benchlib.wait_drained(pg, 60)

        written: list[str] = []

        def drain(url: str):
            def run():
                configure(url)
                written.extend(save_batch(args.count))
                return benchlib.wait_drained(pg, 300)
            return run

        rep.note(f"{args.count} small vCons per drain; A = standalone, B = 3-primary cluster")
        benchlib.report_abba(rep, "drain s, standalone vs cluster",
                             benchlib.abba(drain(single.url()), drain(cluster.url()), args.rounds), "s", False)

        def start_server(url: str) -> int:
            proc, port = readlib.start_plain_server(pg.url(), url, base)
            servers.append(proc)
            return port

        uuids = written[: min(len(written), 1000)]
        single_port, cluster_port = start_server(single.url()), start_server(cluster.url())
        for port in (single_port, cluster_port):  # fill both caches (misses fill)
            harness.wait_for(lambda: readlib.get_vcon(http.client.HTTPConnection("127.0.0.1", port, timeout=10),
                                                      uuids[0])[1] == "HIT", 20, what="a first HIT")
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            for u in uuids:
                readlib.get_vcon(conn, u)
            conn.close()

        def reads(port: int):
            return readlib.hit_rate(port, uuids, args.reads, rep)

        rep.note(f"{args.reads} GETs of cached vCons per measurement, one keep-alive connection; "
                 "A = standalone, B = 3-primary cluster")
        benchlib.report_abba(rep, "read hits/s, standalone vs cluster",
                             benchlib.abba(reads(single_port), reads(cluster_port), args.rounds), "/s", True)
        rep.figure("load average", readlib.loadavg())
        rep.save(args.json)
    finally:
        for s in servers:
            s.terminate()
            s.wait()
        crashes = pg.crashes()
        if args.keep:
            print(f"# kept: {base}")
        else:
            pg.destroy()
            single.destroy()
            cluster.destroy()
            shutil.rmtree(base, ignore_errors=True)
        if crashes:
            print("# PostgreSQL log shows a crash:\n# " + "\n# ".join(crashes))



if __name__ == "__main__":
    main()
