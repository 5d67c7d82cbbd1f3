#!/usr/bin/python3
"""near_freshness: how long after the worker's SET reaches Redis the server answers the new document,
with the near cache on, against the same measurement with it off, under read load.

A throw-away stack gets --count generated vCons; two release servers start (--threads 2): "near"
(default near cache) and "plain" (--near-cache-bytes 0). While wrk keeps both busy with cache hits
of the other vCons (--no-load: idle), each sample, alternating near/plain:
  1. reads the probe vCon through the server until it is a HIT (near: stored in the near cache);
  2. starts two pollers: one GETs vcon:<probe> from Redis, one GETs it from the server (a raw
     keep-alive HTTP socket), each as fast as it can, each noting when it first sees the marker;
  3. UPDATEs the probe's subject to a new marker in PostgreSQL (the worker then SETs it in Redis).
freshness = (server poller first sees the marker) − (Redis poller first sees it). The pollers are
Python threads: their resolution is a few hundred µs (the GIL alternates them), so the figures are
an upper bound; "plain" shows that floor (a plain server reads Redis on every request).
"""

import subprocess
import sys
import threading
import time

import benchlib
import harness
import readlib
from read_throughput import start_server


def main():
    ap = benchlib.parser(__doc__)
    ap.add_argument("--count", type=int, default=100, help="vCons loaded (default 100)")
    ap.add_argument("--samples", type=int, default=200, help="updates measured per server (default 200)")
    ap.add_argument("--no-load", action="store_true", help="no wrk load during the samples")
    args = ap.parse_args()

    readlib.install_signal_handlers()
    rep = benchlib.Report("near_freshness", "worker SET in Redis → server answers the new document, near "
                          "cache on vs off, under load (p50/p99)")
    rep.figure("load average at start", readlib.loadavg(), "", "1/5/15 min")
    st = readlib.ReadStack("fresh", keep=args.keep)
    plain_proc = None
    wrk = []
    try:
        st.start_databases()
        uuids = st.load(args.count, "small")
        probe, others = uuids[0], uuids[1:]
        st.start_server(2)
        plain_proc, plain_port = start_server(st, 2, ("--near-cache-bytes", "0"), "plain")
        ports = {"near": st.server_port, "plain": plain_port}
        r = st.redis_server.client()
        if not args.no_load:
            lua = st.base / "cycle.lua"
            lua.write_text(
                "local paths = {\n" + ",\n".join(f'  "/api/v1/vcons/{u}"' for u in others) + "\n}\n"
                "local i = 0\nrequest = function()\n  i = i % #paths + 1\n  return wrk.format('GET', paths[i])\nend\n")
            for port in ports.values():
                wrk.append(subprocess.Popen(["wrk", "-t1", "-c4", "-d3600s", "-s", str(lua), f"http://127.0.0.1:{port}"],
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            time.sleep(1)
        rep.figure("load", "none" if args.no_load else "wrk -t1 -c4 on each server, cache hits of the other vCons")

        results = {"near": [], "plain": []}
        clients = {name: readlib.RawClient(port) for name, port in ports.items()}
        key = f"vcon:{probe}"
        rc = st.redis_server.client()  # one connection for every sample's Redis poller
        for i in range(args.samples * 2):
            name = "near" if i % 2 == 0 else "plain"
            c = clients[name]
            harness.wait_for(lambda: c.get(f"/api/v1/vcons/{probe}")[1] == "HIT", 10, interval=0.001,
                             what="a warm probe")
            c.get(f"/api/v1/vcons/{probe}")  # (near: now from the near cache)
            marker = f"fresh-{i}-{time.monotonic_ns()}"
            seen = {}
            done = threading.Event()

            def poll_redis():
                while not done.is_set():
                    v = rc.get(key)
                    if v and marker in v:
                        seen["redis"] = time.perf_counter()
                        return

            def poll_server():
                while not done.is_set():
                    _, _, body = c.get(f"/api/v1/vcons/{probe}")
                    if marker.encode() in body:
                        seen["server"] = time.perf_counter()
                        return

            threads = [threading.Thread(target=poll_redis), threading.Thread(target=poll_server)]
            for t in threads:
                t.start()
            st.pg.sql("UPDATE vcons SET subject = %s WHERE uuid = %s", (marker, probe))
            deadline = time.monotonic() + 10
            while len(seen) < 2 and time.monotonic() < deadline:
                time.sleep(0.001)
            done.set()
            for t in threads:
                t.join()
            if len(seen) < 2:
                rep.note(f"sample {i} ({name}): not seen within 10 s ({sorted(seen)})")
                continue
            results[name].append((seen["server"] - seen["redis"]) * 1000)
        for c in clients.values():
            c.close()
        rc.close()

        for name in ("near", "plain"):
            v = results[name]
            rep.figure(f"{name}: SET in Redis → server answers it", f"p50 {benchlib.percentile(v, 50):.3f}, "
                       f"p99 {benchlib.percentile(v, 99):.3f}, max {max(v):.3f}", "ms",
                       f"{len(v)} samples; min {min(v):.3f} ms")
        extra = benchlib.percentile(results["near"], 50) - benchlib.percentile(results["plain"], 50)
        rep.figure("near − plain (p50)", round(extra, 3), "ms", "the freshness cost of the near cache")
        rep.figure("load average at end", readlib.loadavg(), "", "1/5/15 min")
        rep.save(args.json)
    finally:
        for w in wrk:
            w.terminate()
            w.wait(10)
        if plain_proc is not None and plain_proc.poll() is None:
            plain_proc.terminate()
            plain_proc.wait(15)
        st.close()


if __name__ == "__main__":
    sys.exit(main())
