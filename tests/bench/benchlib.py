"""Shared plumbing of the benchmarks: a throw-away stack from tests/harness, the generator, reporting.

Every benchmark prints its raw figures, the ratio against a reference measured in the same run, and
one `PASS`/`MISS` line per target of docs/design.md ("Performance targets"). Benchmarks are not tests: they never fail a build.
"""

from __future__ import annotations

import argparse
import atexit
import http.client
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "harness"))
import harness  # noqa: E402

PGBENCH = Path(os.environ.get("PGBENCH", harness.PG_BIN / "pgbench"))


def generator() -> Path:
    gen = harness.generator_bin()
    if not gen.exists():
        sys.exit(f"{gen} not found: build first (cmake -S . -B build && cmake --build build), "
                 "or set VCON_GEN_BIN / VCON_BUILD_DIR")
    return gen


def generate(count: int, *, seed: int = 1, start: int = 0, size: str | None = None, nbytes: int | None = None,
             fmt: str = "jsonl") -> str:
    cmd = [str(generator()), "--count", str(count), "--seed", str(seed), "--start", str(start), "--format", fmt]
    if size:
        cmd += ["--size", size]
    if nbytes:
        cmd += ["--bytes", str(nbytes)]
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def start_stack(name: str, settings: dict | None = None, keep: bool = False):
    """PostgreSQL (vcon_redis preloaded, extension created and attached in `postgres`) + Redis, in a
    fresh folder the postgres user can reach; torn down at exit unless keep."""
    base = Path(tempfile.mkdtemp(prefix=f"vcon-bench-{name}-"))
    base.chmod(0o755)  # PostgreSQL runs as the postgres user when we are root
    pg, redis_server = harness.start_stack(base, settings=settings)
    atexit.register(tear_down, base, pg, [redis_server], keep)
    return pg, redis_server


def set_workers(pg, workers: int):
    """Restarts PostgreSQL with vcon_redis.workers = workers and waits until every worker is idle."""
    pg.write_settings(**{"vcon_redis.workers": str(workers)})
    pg.restart()
    harness.wait_for(lambda: [r[0] for r in pg.sql("SELECT worker_state FROM vcon_redis.status()")] == ["idle"] * workers,
                     60, what=f"{workers} idle worker(s)")


def tear_down(base: Path, pg, redis_nodes: list, keep: bool, processes: list[subprocess.Popen] = ()):
    """Stops `processes` (servers), then removes PostgreSQL, the Redis nodes and the folder `base`
    unless keep; says so when the PostgreSQL log shows a crash."""
    for proc in processes:
        proc.terminate()
        proc.wait()
    crashes = pg.crashes()
    if keep:
        print(f"# kept: {base}")
    else:
        pg.destroy()
        for node in redis_nodes:
            node.destroy()
        shutil.rmtree(base, ignore_errors=True)
    if crashes:
        print("# PostgreSQL log shows a crash:\n# " + "\n# ".join(crashes))


def copy_docs(pg, table: str, copy_text: str, column: str = "doc"):
    """Loads COPY-text rows (vcon-gen --format copy) into table(column) with COPY FROM STDIN."""
    import io
    conn = pg.connect(autocommit=False)
    try:
        with conn.cursor() as cur:
            cur.copy_expert(f"COPY {table} ({column}) FROM STDIN", io.StringIO(copy_text))
        conn.commit()
    finally:
        conn.close()


def wait_drained(pg, timeout: float = 300.0) -> float:
    """Waits until the outbox is empty; returns the seconds it took."""
    t0 = time.monotonic()
    harness.wait_for(lambda: pg.sql("SELECT sum(backlog) FROM vcon_redis.status()")[0][0] == 0, timeout, 0.01,
                     what="the outbox to drain")
    return time.monotonic() - t0


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (/proc/<pid>/stat)."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str]:
    return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of a process, its reaped children (cutime/cstime: e.g. PostgreSQL backends that
    have exited) and its live children: the whole PostgreSQL cluster when pid is the postmaster."""
    tck = os.sysconf("SC_CLK_TCK")
    f = _stat_fields(pid)
    total = sum(int(x) for x in f[11:15])
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            c = _stat_fields(int(entry))
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        if int(c[1]) == pid:  # ppid
            total += int(c[11]) + int(c[12])
    return total / tck


def postmaster_pid(pg) -> int:
    return int((pg.data / "postmaster.pid").read_text().split()[0])


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    s = sorted(values)
    k = max(0, min(len(s) - 1, math.ceil(p / 100.0 * len(s)) - 1))
    return s[k]


def median(values: list[float]) -> float:
    return statistics.median(values)


def machine() -> str:
    try:
        model = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except Exception:
        model = "?"
    return f"{os.cpu_count()} cpu ({model})"


class Report:
    """Collects figures; prints them as they come and a PASS/MISS line per target."""

    def __init__(self, name: str, description: str):
        self.name = name
        self.results: dict = {"bench": name, "figures": {}, "targets": []}
        print(f"=== {name}: {description}")
        print(f"    machine: {machine()}; {time.strftime('%Y-%m-%d %H:%M:%S %Z')}")

    def figure(self, key: str, value, unit: str = "", note: str = ""):
        self.results["figures"][key] = value
        shown = f"{value:.3f}" if isinstance(value, float) else str(value)
        print(f"    {key:<34} {shown} {unit}{('   # ' + note) if note else ''}")

    def note(self, text: str):
        print(f"    # {text}")

    def target(self, what: str, value: float, op: str, threshold: float, unit: str = ""):
        ok = value >= threshold if op == ">=" else value < threshold if op == "<" else value <= threshold
        line = f"{'PASS' if ok else 'MISS'} {self.name}: {what} = {value:.3f}{unit} (target {op} {threshold:g}{unit})"
        self.results["targets"].append({"what": what, "value": value, "op": op, "threshold": threshold,
                                        "pass": ok})
        print(line)
        return ok

    def save(self, path: str | None):
        if path:
            Path(path).write_text(json.dumps(self.results, indent=2) + "\n")


class DocFeed:
    """Saves the next documents of a list (JSON text, one each) with save_vcon in one transaction,
    routed to one ingress list; each call takes documents not saved before."""

    def __init__(self, pg, docs: list[str], ingress_list: str):
        self.pg, self.docs, self.ingress_list, self.next = pg, docs, ingress_list, 0

    def save(self, n: int) -> list[str]:
        batch = self.docs[self.next:self.next + n]
        self.next += n
        with self.pg.connect(autocommit=False) as conn, conn.cursor() as cur:
            cur.execute("SELECT set_config('vcon_redis.ingress_lists', %s, true)", (self.ingress_list,))
            cur.execute("CREATE TEMP TABLE staging (doc jsonb) ON COMMIT DROP")
            cur.execute("INSERT INTO staging SELECT jsonb_array_elements(%s::jsonb)", ("[" + ",".join(batch) + "]",))
            cur.execute("SELECT vcon_redis.save_vcon(doc)::text FROM staging")
            uuids = [r[0] for r in cur.fetchall()]
            conn.commit()
        return uuids


def abba(a, b, rounds: int) -> list[tuple[float, float]]:
    """Measures two configurations in ABBA order, `rounds` times: (a, b) pairs, two per round."""
    pairs = []
    for _ in range(rounds):
        a1, b1, b2, a2 = a(), b(), b(), a()
        pairs += [(a1, b1), (a2, b2)]
    return pairs


def report_abba(rep, label: str, pairs, unit: str, higher_is_better: bool):
    """Every pair, and the ratio B/A of the sums with the spread of the per-pair ratios."""
    for i, (a, b) in enumerate(pairs):
        rep.figure(f"{label} A{i + 1} / B{i + 1}", f"{a:.3f} / {b:.3f}", unit)
    ratio = sum(b for _, b in pairs) / sum(a for a, _ in pairs)
    per = [b / a for a, b in pairs]
    rep.figure(f"{label} ratio B/A", ratio, "", f"per pair {min(per):.3f}..{max(per):.3f}" +
               (" (>1 = B faster)" if higher_is_better else " (>1 = B slower)"))


def parser(doc: str) -> argparse.ArgumentParser:
    """A benchmark's argument parser: its docstring as the help text, and the common options."""
    return common_args(argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter))


def abba_parser(doc: str) -> argparse.ArgumentParser:
    """The options of the benchmarks that compare two Redis setups (write drain and read hits)."""
    ap = parser(doc)
    # A drain of 2 000 small vCons took ~0.1 s once the worker got faster: against the 10 ms polling
    # and the worker's reconnect to the other URL, the ratios then measured the order of the runs
    # (TLS "faster" than plaintext in every pair). 20 000 take ~1 s.
    ap.add_argument("--count", type=int, default=20000, help="vCons per drain measurement")
    ap.add_argument("--reads", type=int, default=20000, help="GETs per read measurement")
    ap.add_argument("--rounds", type=int, default=1, help="ABBA repetitions")
    return ap


def start_worker_pg(base: Path, redis_url: str, args, rep):
    """PostgreSQL in base/pg with the worker on redis_url (polling every 200 ms), vcon_redis created and
    attached, the --setup-sql run."""
    pg = harness.PgCluster(base / "pg", settings={"vcon_redis.redis_url": f"'{redis_url}'",
                                                  "vcon_redis.poll_interval": "200"}).init().start()
    pg.sql("CREATE EXTENSION IF NOT EXISTS vcon_redis")
    pg.sql("SELECT vcon_redis.attach()")
    run_setup_sql(pg, args, rep)
    return pg


def small_doc_feed(pg, count: int, seed: int) -> DocFeed:
    """`count` small generated vCons to save in batches, routed to the ingress list q_bench."""
    return DocFeed(pg, [d for d in generate(count, seed=seed, size="small").splitlines() if d.strip()], "q_bench")


def point_worker_at(pg, url: str, feed: DocFeed, settings: dict[str, str] | None = None):
    """Moves the worker to the Redis at `url` (and any other vcon_redis settings given): ALTER SYSTEM,
    reload, wait until status() and SHOW report them, then drain a warm-up batch (connect, slot map,
    SCRIPT LOAD) so that the next measurement times only the drain."""
    settings = settings or {}
    pg.sql("ALTER SYSTEM SET vcon_redis.redis_url = %s", (url,))
    for name, value in settings.items():
        pg.sql(f"ALTER SYSTEM SET {name} = %s", (value,))
    pg.reload()
    host = url.split("?")[0].split("//")[1].split("@")[-1].split(",")[0].split("/")[0]  # as status() shows it
    harness.wait_for(lambda: host in (pg.sql("SELECT redis_url FROM vcon_redis.status()")[0][0] or ""), 20,
                     what="worker on the new URL")
    for name, value in settings.items():
        harness.wait_for(lambda: pg.sql(f"SHOW {name}")[0][0] == value, 20, what=f"{name} reloaded")
    feed.save(50)
    wait_drained(pg, 60)


def timed_drain(pg, feed: DocFeed, url: str, count: int, settings: dict[str, str] | None = None) -> tuple[float, list[str]]:
    """One drain measurement: the worker on `url`, `count` vCons saved in one transaction, seconds from
    their COMMIT until the outbox is empty; and their uuids."""
    point_worker_at(pg, url, feed, settings)
    uuids = feed.save(count)
    return wait_drained(pg, 300), uuids


def abba_read_hits(rep, pg, log_dir: Path, servers: list, urls: tuple[str, str], uuids: list[str], reads: int,
                   rounds: int, label: str, ab: str):
    """Read hits of two Redis setups: a one-thread vcon-cache-server on each of `urls` (A, B; appended to
    `servers` for the caller to stop), the same `uuids` cached in both (misses fill), then GETs/s of
    them over one keep-alive connection in ABBA order, reported as `label`; `ab` says what A and B are."""
    import readlib  # here, not at the top: readlib imports this module

    ports = []
    for url in urls:
        proc, port = readlib.start_plain_server(pg.url(), url, log_dir)
        servers.append(proc)
        ports.append(port)
    for port in ports:
        harness.wait_for(lambda: readlib.get_vcon(http.client.HTTPConnection("127.0.0.1", port, timeout=10),
                                                  uuids[0])[1] == "HIT", 20, what="a first HIT")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        for u in uuids:
            readlib.get_vcon(conn, u)
        conn.close()
    rep.note(f"{reads} GETs of cached vCons per measurement, one keep-alive connection; {ab}")
    report_abba(rep, label, abba(readlib.hit_rate(ports[0], uuids, reads, rep),
                                 readlib.hit_rate(ports[1], uuids, reads, rep), rounds), "/s", True)


def common_args(parser):
    parser.add_argument("--keep", action="store_true", help="keep the cluster folder for inspection")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--setup-sql", action="append", default=[], metavar="SQL",
                        help="run this SQL after the stack is up (repeatable), e.g. to A/B a setting: "
                             "--setup-sql \"ALTER FUNCTION vcon_redis.vcon_json_many SET plan_cache_mode = "
                             "force_generic_plan\"")
    return parser


def run_setup_sql(pg, args, rep=None):
    for stmt in getattr(args, "setup_sql", []):
        pg.sql(stmt)
        if rep:
            rep.figure("setup SQL", stmt)
