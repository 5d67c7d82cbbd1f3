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
import os
import shutil
import subprocess
import tempfile
import time
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
        next_doc = [0]

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

        def save_batch(n: int) -> list[str]:
            batch = docs[next_doc[0]:next_doc[0] + n]
            next_doc[0] += n
            with pg.connect(autocommit=False) as conn, conn.cursor() as cur:
                cur.execute("SET LOCAL vcon_redis.ingress_lists = 'q_bench'")
                cur.execute("CREATE TEMP TABLE staging (doc jsonb) ON COMMIT DROP")
                cur.execute("INSERT INTO staging SELECT jsonb_array_elements(%s::jsonb)", ("[" + ",".join(batch) + "]",))
                cur.execute("SELECT vcon_redis.save_vcon(doc)::text FROM staging")
                uuids = [r[0] for r in cur.fetchall()]
                conn.commit()
            return uuids

        def drain_seconds(url: str, wait: int) -> tuple[float, list[str]]:
            configure(url, wait)
            uuids = save_batch(args.count)
            return benchlib.wait_drained(pg, 300), uuids

        def abba(a, b) -> list[tuple[float, float]]:
            pairs = []
            for _ in range(args.rounds):
                a1, b1, b2, a2 = a(), b(), b(), a()
                pairs += [(a1, b1), (a2, b2)]
            return pairs

        def report(label: str, pairs, unit: str, higher_is_better: bool):
            for i, (a, b) in enumerate(pairs):
                rep.figure(f"{label} A{i + 1} / B{i + 1}", f"{a:.3f} / {b:.3f}", unit)
            ratio = sum(b for _, b in pairs) / sum(a for a, _ in pairs)
            per = [b / a for a, b in pairs]
            rep.figure(f"{label} ratio B/A", ratio, "", f"per pair {min(per):.3f}..{max(per):.3f}" +
                       (" (>1 = B faster)" if higher_is_better else " (>1 = B slower)"))

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
        report("drain s, plain vs TLS", abba(plain, over_tls), "s", False)
        rep.note("A = no WAIT, B = wait_replicas 1 (one replica on loopback)")
        report("drain s, no WAIT vs WAIT", abba(plain, with_wait), "s", False)

        # --- read hits: a server on each Redis, the same uuids cached in both -----------------
        def start_server(url: str) -> int:
            port = harness.free_port()
            env = dict(os.environ)
            env.pop("VCON_API_TOKEN", None)
            env.update({"DATABASE_URL": pg.url(), "REDIS_URL": url})
            log = open(base / f"server-{port}.log", "wb")
            servers.append(subprocess.Popen([str(readlib.server_bin()), "--listen", f"127.0.0.1:{port}",
                                             "--threads", "1"], env=env, stdout=subprocess.DEVNULL, stderr=log))
            harness.wait_for(lambda: _healthy(port), 20, what="vcon-cache-server")
            return port

        uuids = tls_uuids[: min(len(tls_uuids), 1000)]
        plain_port, tls_port = start_server(primary.url()), start_server(tls_url)
        for port in (plain_port, tls_port):  # fill both caches (the TLS one holds them already)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            for u in uuids:
                readlib.get_vcon(conn, u)
            conn.close()

        def reads(port: int):
            def run():
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                hits = 0
                t0 = time.perf_counter()
                for i in range(args.reads):
                    status, cache, _ = readlib.get_vcon(conn, uuids[i % len(uuids)])
                    hits += status == 200 and cache == "HIT"
                elapsed = time.perf_counter() - t0
                conn.close()
                if hits != args.reads:
                    rep.note(f"only {hits} of {args.reads} GETs were hits on port {port}")
                return args.reads / elapsed
            return run

        rep.note(f"{args.reads} GETs of cached vCons per measurement, one keep-alive connection; A = plaintext, B = TLS")
        report("read hits/s, plain vs TLS", abba(reads(plain_port), reads(tls_port)), "/s", True)
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


def _healthy(port: int) -> bool:
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        c.request("GET", "/healthz")
        ok = c.getresponse().status == 200
        c.close()
        return ok
    except OSError:
        return False


if __name__ == "__main__":
    main()
