#!/usr/bin/python3
"""read_throughput: REST cache-hit throughput at 8 keep-alive connections, with the near cache on and
off, vs plain Redis GET and vs nginx serving the same response bytes from files.

Target (docs/design.md ("Performance targets")): vcon-cache-server's `GET /api/v1/vcons/<uuid>` served from the cache reaches
≥ 0.5× the GET/s of `redis-benchmark` fetching a value of the same size at the same concurrency (near
cache off), ≥ 1.0× with the near cache on and ≥ 0.8× nginx serving the same bytes; and the server's
RSS stays < 30 MiB during this test.

A throw-away stack gets --count generated vCons (--size class, default medium) through save_vcon;
the worker writes them to Redis. Two release servers (build/server/vcon-cache-server, VCON_SERVER_BIN
overrides) start with --threads 2: "near" with its default in-process near cache (64 MiB), "plain"
with --near-cache-bytes 0 (every hit a Redis GET); every uuid is read twice through each (all HITs
on the second pass, checked). nginx (Debian's, /usr/sbin/nginx; NGINX_BIN overrides) starts in the
foreground on a free loopback port from a generated config in the stack's temp dir (-p prefix, error
log and pid there, access_log off, keep-alive on, one worker per server io thread), serving each
uuid's HTTP body as the server answered it (same path, Content-Type: application/json) from a file.
Then --rounds times, in order near, plain, nginx, redis on odd rounds and the reverse on even ones
(so that no configuration always runs first or last):
  near, plain, nginx: wrk -t1 -c8 -d<duration>s --latency, a Lua script cycling over all --count
          uuids (--single: one uuid, no Lua, the same URL every time)
  redis:  redis-benchmark -c 8 -n N -t get -d <average cached value size> against the same
          redis-server; key `key:__rand_int__` (redis-benchmark's key without -r) is SET beforehand to
          a value of that size, so each GET returns as many bytes as an average cached vCon. N is
          calibrated so that a run lasts about as long as the wrk run.
The ratios are median(server req/s) ÷ median(redis GET/s) and ÷ median(nginx req/s) for each server,
and near ÷ plain; the per-round ratios and each configuration's spread (min..max) are printed too.
Every wrk request is checked against the server's /metrics (hits delta = requests, no misses, no
non-2xx). VmRSS of the server is sampled every 20 ms during the wrk runs (peak reported) along with
the kernel's VmHWM (peak since start).

Both clients are single-threaded and run on the same 2 cores as the servers, as the target says.
Because the figure swings with whatever else the machine runs, a noise-resistant diagnostic is printed
too: the CPU seconds per request of every process involved (server + redis-server + wrk, resp.
redis-server + redis-benchmark) and their ratio — on an otherwise idle CPU-bound machine the
throughput ratio tends to it.
"""

import argparse
import http.client
import os
import re
import resource
import statistics
import subprocess
import sys
import threading
import time

import benchlib
import harness
import readlib

RSS_TARGET_KB = 30 * 1024  # 30 MiB (plus the near cache's budget for the near server)
NEAR_BYTES_DEFAULT = 64 << 20


def start_server(st, threads: int, extra: tuple, name: str, binary=None) -> tuple[subprocess.Popen, int]:
    """One more vcon-cache-server on the stack's databases (st.server is the first)."""
    port = harness.free_port()
    env = dict(os.environ)
    for k in ("VCON_API_TOKEN", "VCON_TEST_FILL_DELAY_MS", "VCON_TEST_NEAR_DELAY_MS", "VCON_NEAR_CACHE_BYTES"):
        env.pop(k, None)
    env.update({"DATABASE_URL": st.pg.url(), "REDIS_URL": st.redis_server.url()})
    log = open(st.base / f"server-{name}.log", "wb")
    proc = subprocess.Popen([str(binary or readlib.server_bin()), "--listen", f"127.0.0.1:{port}", "--threads", str(threads),
                             *extra], env=env, stdout=subprocess.DEVNULL, stderr=log)
    harness.wait_for(lambda: readlib.healthy(port), 20, what=f"vcon-cache-server ({name})")
    return proc, port


NGINX_CONF = """\
daemon off;
master_process on;
worker_processes {workers};
pid {base}/nginx.pid;
error_log {base}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    keepalive_timeout 65;
    keepalive_requests 1000000;
    client_body_temp_path {base}/body;
    proxy_temp_path {base}/proxy;
    fastcgi_temp_path {base}/fastcgi;
    uwsgi_temp_path {base}/uwsgi;
    scgi_temp_path {base}/scgi;
    types {{ }}
    default_type application/json;
    server {{
        listen 127.0.0.1:{port};
        root {base}/www;
    }}
}}
"""


def nginx_bin() -> str:
    return os.environ.get("NGINX_BIN", "/usr/sbin/nginx")


def start_nginx(base, workers: int, bodies: dict[str, bytes]) -> tuple[subprocess.Popen, int]:
    """nginx in the foreground on a free loopback port, serving bodies[uuid] at /api/v1/vcons/<uuid>
    with Content-Type: application/json, from files under base/nginx (its whole prefix)."""
    if not os.access(nginx_bin(), os.X_OK):
        sys.exit(f"{nginx_bin()} not found: install Debian's nginx-light (scripts/lib.sh BENCH_PACKAGES; "
                 "tests/bench/run_all.sh installs it), or set NGINX_BIN")
    prefix = base / "nginx"
    docs = prefix / "www" / "api" / "v1" / "vcons"
    docs.mkdir(parents=True)
    for d in (prefix, prefix / "www", prefix / "www" / "api", prefix / "www" / "api" / "v1", docs):
        d.chmod(0o755)  # workers run as nobody when we are root
    for uuid, body in bodies.items():
        (docs / uuid).write_bytes(body)
        (docs / uuid).chmod(0o644)
    port = harness.free_port()
    conf = prefix / "nginx.conf"
    conf.write_text(NGINX_CONF.format(workers=workers, base=prefix, port=port))
    log = open(prefix / "stderr.log", "wb")
    proc = subprocess.Popen([nginx_bin(), "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "nginx-error.log")],
                            stdout=subprocess.DEVNULL, stderr=log)
    probe = next(iter(bodies))

    def answers() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"nginx exited with {proc.returncode}: "
                               f"{(prefix / 'stderr.log').read_text(errors='replace')}"
                               f"{(prefix / 'nginx-error.log').read_text(errors='replace')}")
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            c.request("GET", f"/api/v1/vcons/{probe}")
            r = c.getresponse()
            ok = r.status == 200 and r.read() == bodies[probe] and r.getheader("Content-Type") == "application/json"
            c.close()
            return ok
        except OSError:
            return False
    harness.wait_for(answers, 20, what="nginx")
    return proc, port


def metrics(port: int) -> dict[str, float]:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request("GET", "/metrics")
        return harness.parse_metrics(c.getresponse().read().decode())
    finally:
        c.close()


def counts(port: int) -> dict[str, float]:
    m = metrics(port)
    out = {k: m.get(f'vcon_cache_total{{result="{k}"}}', 0.0) for k in ("hit", "miss", "bypass")}
    out["near_hit"] = m.get('vcon_near_cache_total{event="hit"}', 0.0)
    out["near_bytes"] = m.get("vcon_near_cache_bytes", 0.0)
    return out


def parse_wrk(out: str) -> dict:
    def latency_ms(text: str) -> float:
        m = re.match(r"([0-9.]+)(us|ms|s)", text)
        v = float(m.group(1))
        return {"us": v / 1000, "ms": v, "s": v * 1000}[m.group(2)]

    res = {"rps": float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1)),
           "requests": int(re.search(r"(\d+) requests in", out).group(1)),
           "non2xx": int((re.search(r"Non-2xx or 3xx responses: (\d+)", out) or [0, 0])[1]),
           "errors": 0}
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        res["errors"] = sum(int(x) for x in m.groups())
    for pct in ("50", "99"):
        m = re.search(rf"^\s+{pct}%\s+(\S+)", out, re.M)
        res[f"p{pct}_ms"] = latency_ms(m.group(1)) if m else float("nan")
    return res


def run_redis_benchmark(port: int, n: int, size: int, conns: int) -> dict:
    out = subprocess.run(["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-c", str(conns), "-n", str(n),
                          "-t", "get", "-d", str(size), "-q"], capture_output=True, text=True, timeout=300)
    text = out.stdout.replace("\r", "\n")
    m = re.findall(r"GET: ([0-9.]+) requests per second(?:, p50=([0-9.]+) msec)?", text)
    if not m:
        raise RuntimeError(f"redis-benchmark gave no GET figure:\n{out.stdout}\n{out.stderr}")
    rps, p50 = m[-1]
    return {"rps": float(rps), "p50_ms": float(p50) if p50 else float("nan")}


def children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def main():
    ap = benchlib.common_args(argparse.ArgumentParser(description=__doc__,
                                                      formatter_class=argparse.RawDescriptionHelpFormatter))
    ap.add_argument("--count", type=int, default=200, help="vCons loaded and cycled over (default 200)")
    ap.add_argument("--size", default="medium", help="vcon-gen size class (small, medium, large, mixed)")
    ap.add_argument("--single", action="store_true", help="wrk requests one uuid only (no Lua script)")
    ap.add_argument("--duration", type=int, default=10, help="seconds per wrk run (default 10)")
    ap.add_argument("--rounds", type=int, default=3, help="server/redis alternations (default 3)")
    ap.add_argument("--connections", type=int, default=8, help="keep-alive connections of both clients")
    ap.add_argument("--threads", type=int, default=2, help="server io threads (default 2)")
    ap.add_argument("--baseline-bin", default="",
                    help="another vcon-cache-server binary (e.g. the build before a change), measured with its "
                         "default near cache in the same rounds as \"base\" (before/after figures)")
    ap.add_argument("--requests", type=int, default=0,
                    help="redis-benchmark -n (default: calibrated to last about --duration seconds)")
    args = ap.parse_args()

    readlib.install_signal_handlers()
    rep = benchlib.Report("read_throughput", "REST cache hits at 8 connections, near cache on and off, ÷ "
                          "redis-benchmark GET of the same size (targets ≥ 1.0 on, ≥ 0.5 off) and ÷ nginx "
                          "serving the same bytes from files (target ≥ 0.8 on); RSS < 30 MiB "
                          "(+ the near cache's bytes)")
    rep.figure("load average at start", readlib.loadavg(), "", "1/5/15 min")
    st = readlib.ReadStack("readtp", keep=args.keep)
    plain_proc = nginx_proc = base_proc = None
    try:
        st.start_databases()
        benchlib.run_setup_sql(st.pg, args, rep)
        t = time.monotonic()
        uuids = st.load(args.count, args.size)
        rep.figure("vCons loaded", len(uuids), "", f"--size {args.size}, saved + drained in "
                   f"{time.monotonic() - t:.1f} s")
        r = st.redis_server.client()
        sizes = [r.strlen(f"vcon:{u}") for u in uuids]
        if min(sizes) == 0:
            rep.note(f"{sizes.count(0)} documents were not in Redis after the drain; the warm-up fills them")
        st.start_server(args.threads)
        plain_proc, plain_port = start_server(st, args.threads, ("--near-cache-bytes", "0"), "plain")
        servers = {"near": (st.server.pid, st.server_port), "plain": (plain_proc.pid, plain_port)}
        if args.baseline_bin:
            base_proc, base_port = start_server(st, args.threads, (), "base", args.baseline_bin)
            servers["base"] = (base_proc.pid, base_port)
            rep.figure("baseline server", args.baseline_bin, "", f"default near cache (pid {base_proc.pid})")
        rep.figure("servers", str(readlib.server_bin()), "",
                   f"--threads {args.threads}; near: default near cache (pid {st.server.pid}), "
                   f"plain: --near-cache-bytes 0 (pid {plain_proc.pid})")

        # Warm: first pass may miss (if the worker did not write a key), second pass must be all HITs.
        bodies: dict[str, bytes] = {}
        for name, (_, port) in servers.items():
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            for i in range(2):
                caches = []
                for u in uuids:
                    status, cache, body = readlib.get_vcon(conn, u)
                    if status != 200:
                        raise RuntimeError(f"GET {u} → {status}: {body[:200]!r}")
                    caches.append(cache)
                    if i == 1 and name == "near":
                        bodies[u] = body
            conn.close()
            if caches.count("HIT") != len(uuids):
                raise RuntimeError(f"after warming {name}, {len(uuids) - caches.count('HIT')} of {len(uuids)} "
                                   "were not HIT")
        sizes = [r.strlen(f"vcon:{u}") for u in uuids]
        avg_size = int(round(statistics.mean(sizes)))
        if args.single:
            # the uuid whose cached value is closest to the average, so -d is the same for both
            target_uuid = min(uuids, key=lambda u: abs(r.strlen(f"vcon:{u}") - avg_size))
            avg_size = r.strlen(f"vcon:{target_uuid}")
            rep.figure("cached value size", avg_size, "B", f"--single: uuid {target_uuid}")
        else:
            rep.figure("cached value size (avg)", avg_size, "B",
                       f"min {min(sizes)}, max {max(sizes)}; HTTP body avg "
                       f"{statistics.mean(len(b) for b in bodies.values()):.0f} B")
        nginx_proc, nginx_port = start_nginx(st.base, args.threads, bodies)
        rep.figure("nginx", nginx_bin(), "",
                   f"{args.threads} workers, the same HTTP bodies from files (pid {nginx_proc.pid})")
        rep.figure("wrk", f"-t1 -c{args.connections} -d{args.duration}s", "",
                   "one uuid" if args.single else f"Lua script cycling over the {len(uuids)} uuids")

        lua = st.base / "cycle.lua"
        lua.write_text(
            "local paths = {\n" + ",\n".join(f'  "/api/v1/vcons/{u}"' for u in uuids) + "\n}\n"
            "local reqs = {}\nlocal i = 0\n"
            "init = function(args)\n  for k, p in ipairs(paths) do reqs[k] = wrk.format('GET', p) end\nend\n"
            "request = function()\n  i = i % #reqs + 1\n  return reqs[i]\nend\n")
        def wrk_cmd(port: int) -> list[str]:
            base_url = f"http://127.0.0.1:{port}"
            cmd = ["wrk", "-t1", f"-c{args.connections}", f"-d{args.duration}s", "--latency"]
            return cmd + ([f"{base_url}/api/v1/vcons/{target_uuid}"] if args.single else ["-s", str(lua), base_url])

        # Reference value: redis-benchmark GETs key:__rand_int__ (no -r → the literal key).
        r.set("key:__rand_int__", "x" * avg_size)
        n = args.requests
        if not n:
            cal = run_redis_benchmark(st.redis_server.port, 20000, avg_size, args.connections)
            n = max(20000, int(cal["rps"] * args.duration) // 1000 * 1000)
        rep.figure("redis-benchmark", f"-c {args.connections} -n {n} -t get -d {avg_size}", "",
                   "key:__rand_int__ holds a value of that size")

        def wrk_run(port: int, cpu_seconds) -> dict:
            """wrk against port: its figures, the CPU of the process measured by cpu_seconds(), of
            redis-server and of wrk (per request)."""
            cpu0, rcpu0, ccpu0 = cpu_seconds(), benchlib.cpu_seconds(st.redis_server.proc.pid), children_cpu()
            out = subprocess.run(wrk_cmd(port), capture_output=True, text=True, timeout=args.duration + 60)
            if out.returncode != 0:
                raise RuntimeError(f"wrk failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
            res = parse_wrk(out.stdout)
            res["cpu_s"] = cpu_seconds() - cpu0
            per = 1e6 / max(1, res["requests"])
            res["redis_cpu_us"] = (benchlib.cpu_seconds(st.redis_server.proc.pid) - rcpu0) * per
            res["client_cpu_us"] = (children_cpu() - ccpu0) * per
            res["total_cpu_us"] = res["cpu_s"] * per + res["redis_cpu_us"] + res["client_cpu_us"]
            return res

        def server_run(name: str):
            server_pid, port = servers[name]
            before = counts(port)
            peak = [0]
            stop = threading.Event()

            def sample():
                while not stop.is_set():
                    peak[0] = max(peak[0], readlib.rss_kb(server_pid)[0])
                    stop.wait(0.02)
            th = threading.Thread(target=sample, daemon=True)
            th.start()
            try:
                res = wrk_run(port, lambda: benchlib.cpu_seconds(server_pid))
            finally:
                stop.set()
                th.join()
            after = counts(port)
            res["hits"] = after["hit"] - before["hit"]
            res["near_hits"] = after["near_hit"] - before["near_hit"]
            res["near_bytes"] = after["near_bytes"]
            res["not_hit"] = sum(after[k] - before[k] for k in ("miss", "bypass"))
            res["rss_peak_kb"] = peak[0]
            return res

        def nginx_run():  # master and workers
            return wrk_run(nginx_port, lambda: benchlib.tree_cpu_seconds(nginx_proc.pid))

        def redis_run():
            pid = st.redis_server.proc.pid
            info0 = r.info("stats")
            cpu0 = benchlib.cpu_seconds(pid)
            ccpu0 = children_cpu()
            res = run_redis_benchmark(st.redis_server.port, n, avg_size, args.connections)
            info1 = r.info("stats")
            res["cpu_s"] = benchlib.cpu_seconds(pid) - cpu0
            res["client_cpu_us"] = (children_cpu() - ccpu0) / n * 1e6
            res["total_cpu_us"] = res["cpu_s"] / n * 1e6 + res["client_cpu_us"]
            res["hits"] = info1["keyspace_hits"] - info0["keyspace_hits"]
            res["misses"] = info1["keyspace_misses"] - info0["keyspace_misses"]
            return res

        runs = {"near": [], "plain": [], "nginx": [], "redis": []}
        if args.baseline_bin:
            runs["base"] = []

        def report_wrk(k: int, name: str, s: dict, hits: str, rss: str):
            rep.figure(f"round {k + 1} {name}", round(s["rps"], 1), "req/s",
                       f"p50 {s['p50_ms']:.3f} ms, p99 {s['p99_ms']:.3f} ms; {s['requests']} requests, {hits}"
                       f"{s['non2xx']} non-2xx, {s['errors']} socket errors; {'nginx' if name == 'nginx' else 'server'} "
                       f"CPU {s['cpu_s'] / args.duration * 100:.0f} % ({s['cpu_s'] / max(1, s['requests']) * 1e6:.1f} "
                       f"µs/req; all processes {s['total_cpu_us']:.1f} µs/req: + redis-server {s['redis_cpu_us']:.1f}, "
                       f"wrk {s['client_cpu_us']:.1f}){rss}; load {readlib.loadavg()}")

        def report_server(k: int, name: str, s: dict):
            report_wrk(k, name, s, f"{s['hits']:.0f} HITs ({s['near_hits']:.0f} from the near cache), "
                                   f"{s['not_hit']:.0f} not HIT, ", f"; RSS peak {s['rss_peak_kb'] / 1024:.1f} MiB")
            if s["non2xx"] or s["not_hit"] or s["errors"]:
                rep.note(f"round {k + 1} {name}: NOT all requests were clean cache hits (see above)")

        def report_nginx(k: int, g: dict):
            report_wrk(k, "nginx", g, "", "")
            if g["non2xx"] or g["errors"]:
                rep.note(f"round {k + 1} nginx: NOT all requests were clean 200s (see above)")

        def report_redis(k: int, g: dict):
            rep.figure(f"round {k + 1} redis GET", round(g["rps"], 1), "req/s",
                       f"p50 {g['p50_ms']:.3f} ms; keyspace hits {g['hits']}, misses {g['misses']}; "
                       f"redis-server CPU {g['cpu_s'] * g['rps'] / max(1, n) * 100:.0f} % ({g['cpu_s'] / n * 1e6:.1f} µs/GET; "
                       f"all processes {g['total_cpu_us']:.1f} µs/GET: + redis-benchmark "
                       f"{g['client_cpu_us']:.1f}); load {readlib.loadavg()}")
            if g["misses"]:
                rep.note(f"round {k + 1}: redis-benchmark GETs missed ({g['misses']}): the reference is off")

        for k in range(args.rounds):
            order = (["base"] if args.baseline_bin else []) + ["near", "plain", "nginx", "redis"]
            if k % 2:
                order.reverse()
            rep.note(f"round {k + 1}: {' → '.join(order)}")
            for name in order:
                if name == "redis":
                    runs["redis"].append(redis_run())
                    report_redis(k, runs["redis"][-1])
                elif name == "nginx":
                    runs["nginx"].append(nginx_run())
                    report_nginx(k, runs["nginx"][-1])
                else:
                    runs[name].append(server_run(name))
                    report_server(k, name, runs[name][-1])

        med = {name: statistics.median(x["rps"] for x in rs) for name, rs in runs.items()}
        for name, label in (("near", "near cache on"), ("plain", "near cache off"), ("nginx", "nginx"),
                            ("redis", "redis GET"), ("base", "baseline binary")):
            if name not in runs:
                continue
            rps = [x["rps"] for x in runs[name]]
            rep.figure(f"{label} req/s (median)", round(med[name], 1), "req/s",
                       f"spread {min(rps):.0f}..{max(rps):.0f} ({(max(rps) - min(rps)) / med[name] * 100:.0f} %): "
                       + ", ".join(f"{x:.0f}" for x in rps))
        for a, b in (("near", "redis"), ("near", "nginx"), ("plain", "redis"), ("plain", "nginx"),
                     ("near", "plain"), ("near", "base")):
            if b not in runs:
                continue
            per = [x["rps"] / y["rps"] for x, y in zip(runs[a], runs[b])]
            rep.figure(f"{a} ÷ {b}", round(med[a] / med[b], 3), "",
                       f"per round {', '.join(f'{r:.3f}' for r in per)} (spread {min(per):.3f}..{max(per):.3f})")
        cpu = {name: statistics.median(x["total_cpu_us"] for x in rs) for name, rs in runs.items()}
        rep.figure("CPU per request, all processes",
                   f"near {cpu['near']:.1f}, plain {cpu['plain']:.1f}, nginx {cpu['nginx']:.1f}, "
                   f"redis GET {cpu['redis']:.1f}", "µs",
                   f"medians; CPU-cost ratios redis÷near {cpu['redis'] / cpu['near']:.3f}, nginx÷near "
                   f"{cpu['nginx'] / cpu['near']:.3f}, redis÷plain {cpu['redis'] / cpu['plain']:.3f} "
                   "(diagnostic, less sensitive to other load)")
        peaks = {name: max(x["rss_peak_kb"] for x in runs[name]) for name in ("near", "plain")}
        hwm = {name: readlib.rss_kb(servers[name][0])[1] for name in ("near", "plain")}
        near_bytes = max(x["near_bytes"] for x in runs["near"])
        for name in ("near", "plain"):
            rep.figure(f"{name} server RSS peak (sampled)", peaks[name], "kB",
                       f"{peaks[name] / 1024:.1f} MiB; VmHWM {hwm[name]} kB ({hwm[name] / 1024:.1f} MiB, peak since start)"
                       + (f"; near cache holds {near_bytes / 1024:.0f} KiB" if name == "near" else ""))
        rep.figure("load average at end", readlib.loadavg(), "", "1/5/15 min")
        rep.target("near-cache server req/s ÷ redis GET/s (medians)", med["near"] / med["redis"], ">=", 1.0)
        rep.target("near-cache server req/s ÷ nginx req/s (medians)", med["near"] / med["nginx"], ">=", 0.8)
        rep.target("plain server req/s ÷ redis GET/s (medians)", med["plain"] / med["redis"], ">=", 0.5)
        rep.target("plain server peak RSS (sampled) ÷ 30 MiB", peaks["plain"] / RSS_TARGET_KB, "<", 1.0)
        rep.target("near server peak RSS (sampled) ÷ (30 MiB + near cache bytes)",
                   peaks["near"] / (RSS_TARGET_KB + near_bytes / 1024), "<", 1.0)
        rep.save(args.json)
    finally:
        for proc in (plain_proc, nginx_proc, base_proc):
            if proc is not None and proc.poll() is None:
                proc.terminate()  # nginx: fast shutdown of master and workers
                proc.wait(15)
        st.close()


if __name__ == "__main__":
    sys.exit(main())
