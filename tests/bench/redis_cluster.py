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

import subprocess
import tempfile
from pathlib import Path

import benchlib
import harness
import readlib


def main():
    args = benchlib.abba_parser(__doc__).parse_args()
    readlib.install_signal_handlers()
    rep = benchlib.Report("redis_cluster", "Redis Cluster vs standalone (ABBA)")

    base = harness.make_reachable(Path(tempfile.mkdtemp(prefix="vcon-bench-cluster-")))
    single = harness.RedisServer(base / "single").start()
    cluster = harness.RedisClusterNodes(base / "cluster", primaries=3, replicas_per_primary=0).start()
    pg = benchlib.start_worker_pg(base, single.url(), args, rep)
    servers: list[subprocess.Popen] = []
    try:
        feed = benchlib.small_doc_feed(pg, args.count * 4 * args.rounds + 200, seed=13)
        written: list[str] = []

        def drain(url: str):
            def run():
                seconds, uuids = benchlib.timed_drain(pg, feed, url, args.count)
                written.extend(uuids)
                return seconds
            return run

        rep.note(f"{args.count} small vCons per drain; A = standalone, B = 3-primary cluster")
        benchlib.report_abba(rep, "drain s, standalone vs cluster",
                             benchlib.abba(drain(single.url()), drain(cluster.url()), args.rounds), "s", False)
        benchlib.abba_read_hits(rep, pg, base, servers, (single.url(), cluster.url()), written[:1000], args.reads,
                                args.rounds, "read hits/s, standalone vs cluster", "A = standalone, B = 3-primary cluster")
        rep.figure("load average", readlib.loadavg())
        rep.save(args.json)
    finally:
        benchlib.tear_down(base, pg, [single, cluster], args.keep, servers)


if __name__ == "__main__":
    main()
