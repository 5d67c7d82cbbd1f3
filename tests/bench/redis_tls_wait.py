#!/usr/bin/env python3
"""The cost of TLS and of WAIT, as ratios measured in one run on one PostgreSQL cluster:

  write drain  time from COMMIT of N saved vCons (one transaction) until the outbox is empty, with
               the worker on: plaintext Redis (A) vs TLS Redis (B), neither with a replica, and
               on a primary with one replica without WAIT (A) vs with vcon_redis.wait_replicas = 1 (B);
  read hits    vcon-cache-server GET /api/v1/vcons/<uuid> hits per second over one keep-alive
               connection: a server on plaintext Redis (A) vs one on TLS Redis (B).

Each pair runs in ABBA order (A B B A, repeated --rounds times); the ratio is B ÷ A of the summed
times (or rates), and the spread is the range of the per-pair ratios (A1/B1 and B2/A2 matched).
Not a test: it prints figures only."""

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
    rep = benchlib.Report("redis_tls_wait", "TLS vs plaintext and WAIT vs no WAIT (ABBA)")

    base = harness.make_reachable(Path(tempfile.mkdtemp(prefix="vcon-bench-tlswait-")))
    certs = harness.make_test_certs(base / "certs")
    # plaintext and TLS are compared on two servers alike but for TLS (the one with a replica also
    # feeds it every write: compared with a TLS server without one, TLS came out 0.8x "faster")
    single = harness.RedisServer(base / "plain").start()
    tls = harness.RedisServer(base / "tls", tls_dir=certs).start()
    primary = harness.RedisServer(base / "primary").start()
    replica = harness.RedisServer(base / "replica", replica_of=primary.port).start()
    tls_url = tls.url() + f"?tls_ca_file={certs / 'ca.crt'}"
    pg = benchlib.start_worker_pg(base, primary.url(), args, rep)
    servers: list[subprocess.Popen] = []
    try:
        harness.wait_for(lambda: primary.client().info("replication")["connected_slaves"] == 1, 20,
                         what="replica in sync")
        feed = benchlib.small_doc_feed(pg, args.count * 8 * args.rounds + 200, seed=11)

        def drain(url: str, wait: int, written: list[str] | None = None):
            def run():
                seconds, uuids = benchlib.timed_drain(pg, feed, url, args.count,
                                                      {"vcon_redis.wait_replicas": str(wait)})
                if written is not None:
                    written.extend(uuids)
                return seconds
            return run

        # --- write drain: plaintext vs TLS, then no WAIT vs WAIT 1 --------------------------------
        tls_uuids: list[str] = []
        rep.note(f"{args.count} small vCons per drain; A = plaintext, B = TLS (neither with a replica)")
        benchlib.report_abba(rep, "drain s, plain vs TLS",
                             benchlib.abba(drain(single.url(), 0), drain(tls_url, 0, tls_uuids), args.rounds),
                             "s", False)
        rep.note("A = no WAIT, B = wait_replicas 1 (the same primary, one replica on loopback)")
        benchlib.report_abba(rep, "drain s, no WAIT vs WAIT",
                             benchlib.abba(drain(primary.url(), 0), drain(primary.url(), 1), args.rounds), "s",
                             False)

        # --- read hits: a server on each Redis, the same uuids cached in both -----------------
        benchlib.abba_read_hits(rep, pg, base, servers, (single.url(), tls_url), tls_uuids[:1000], args.reads,
                                args.rounds, "read hits/s, plain vs TLS", "A = plaintext, B = TLS")
        rep.figure("load average", readlib.loadavg())
        rep.save(args.json)
    finally:
        benchlib.tear_down(base, pg, [single, tls, primary, replica], args.keep, servers)


if __name__ == "__main__":
    main()
