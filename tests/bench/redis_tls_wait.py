#!/usr/bin/env python3
"""The cost of TLS and of WAIT, as ratios measured in one run on one PostgreSQL cluster:

  write drain  time from COMMIT of N saved vCons (one transaction) until the outbox is empty, with
               the worker on: plaintext Redis (A) vs TLS Redis (B), and plaintext without WAIT (A)
               vs with vcon_redis.wait_replicas = 1 on a primary with one replica (B);
  read hits    vcon-cache-server GET /api/v1/vcons/<uuid> hits per second over one keep-alive
               connection: a server on plaintext Redis (A) vs one on TLS Redis (B).

Each pair runs in ABBA order (A B B A, repeated --rounds times); the ratio is B ÷ A of the summed
times (or rates), and the spread is the range of the per-pair ratios (A1/B1 and B2/A2 matched).
Not a test: it prints figures only."""

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
    rep = benchlib.Report("redis_tls_wait", "TLS vs plaintext and WAIT vs no WAIT (ABBA)")

    base = harness.make_reachable(Path(tempfile.mkdtemp(prefix="vcon-bench-tlswait-")))
    certs = harness.make_test_certs(base / "certs")
    primary = harness.RedisServer(base / "primary").start()
    replica = harness.RedisServer(base / "replica", replica_of=primary.port).start()
    tls = harness.RedisServer(base / "tls", tls_dir=certs).start()
    tls_url = tls.url() + f"?tls_ca_file={certs / 'ca.crt'}"
    pg = harness.PgCluster(base / "pg", settings={"vcon_redis.redis_url": f"'{primary.url()}'",
                                                  "vcon_redis.poll_interval": "200"}).init().start()
    servers: list[subprocess.Popen] = []
    try:
        pg.sql("CREATE EXTENSION IF NOT EXISTS vcon_redis")
        pg.sql("SELECT vcon_redis.attach()")
        benchlib.run_setup_sql(pg, args, rep)
        harness.wait_for(lambda: primary.client().info("replication")["connected_slaves"] == 1, 20,
                         what="replica in sync")
        docs = [d for d in benchlib.generate(args.count * 8 * args.rounds + 200, seed=11, size="small").splitlines()
                if d.strip()]
        save_batch = benchlib.DocFeed(pg, docs, "q_bench").save

        def configure(url: str, wait: int):
            pg.sql("ALTER SYSTEM SET vcon_redis.redis_url = %s", (url,))
            pg.sql("ALTER SYSTEM SET vcon_redis.wait_replicas = %s", (str(wait),))
            pg.reload()
            shown = url.split("?")[0].split("@")[-1].split("/")[0]
            harness.wait_for(lambda: shown in (pg.sql("SELECT redis_url FROM vcon_redis.status()")[0][0] or ""), 20,
                             what="worker on the new URL")
            harness.wait_for(lambda: pg.sql("SHOW vcon_redis.wait_replicas")[0][0] == str(wait), 20,
                             what="wait_replicas reloaded")
            save_batch(50)  # a warm-up batch: connect, SCRIPT LOAD
            benchlib.wait_drained(pg, 60)

        def drain_seconds(url: str, wait: int) -> tuple[float, list[str]]:
            configure(url, wait)
            uuids = save_batch(args.count)
            return benchlib.wait_drained(pg, 300), uuids

        # --- write drain: plaintext vs TLS, then no WAIT vs WAIT 1 --------------------------------
        tls_uuids: list[str] = []

        def plain():
            return drain_seconds(primary.url(), 0)[0]

        def over_tls():
            seconds, uuids = drain_seconds(tls_url, 0)
            tls_uuids.extend(uuids)
            return seconds

        def with_wait():
            return drain_seconds(primary.url(), 1)[0]

        rep.note(f"{args.count} small vCons per drain; A = plaintext, B = TLS")
        benchlib.report_abba(rep, "drain s, plain vs TLS",
                             benchlib.abba(plain, over_tls, args.rounds), "s", False)
        rep.note("A = no WAIT, B = wait_replicas 1 (one replica on loopback)")
        benchlib.report_abba(rep, "drain s, no WAIT vs WAIT",
                             benchlib.abba(plain, with_wait, args.rounds), "s", False)

        # --- read hits: a server on each Redis, the same uuids cached in both -----------------
        def start_server(url: str) -> int:
            proc, port = readlib.start_plain_server(pg.url(), url, base)
            servers.append(proc)
            return port

        uuids = tls_uuids[: min(len(tls_uuids), 1000)]
        plain_port, tls_port = start_server(primary.url()), start_server(tls_url)
        for port in (plain_port, tls_port):  # fill both caches (the TLS one holds them already)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            for u in uuids:
                readlib.get_vcon(conn, u)
            conn.close()

        def reads(port: int):
            return readlib.hit_rate(port, uuids, args.reads, rep)

        rep.note(f"{args.reads} GETs of cached vCons per measurement, one keep-alive connection; A = plaintext, B = TLS")
        benchlib.report_abba(rep, "read hits/s, plain vs TLS",
                             benchlib.abba(reads(plain_port), reads(tls_port), args.rounds), "/s", True)
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
            for r in (primary, replica, tls):
                r.destroy()
            shutil.rmtree(base, ignore_errors=True)
        if crashes:
            print("# PostgreSQL log shows a crash:\n# " + "\n# ".join(crashes))



if __name__ == "__main__":
    main()
