#!/usr/bin/env python3
"""Start or stop a long-lived stack (PostgreSQL with vcon_redis + Redis) in a folder.

    stack.py up --dir DIR [--pg-port P] [--redis-port R] [--load N]   prints shell exports
    stack.py down --dir DIR

Used by scripts/run.sh (the demo) and by the MCP client tests. Data persists in DIR between runs.
"""

import argparse
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402


def _usable_dir(requested: Path) -> Path:
    """PostgreSQL runs as the postgres user when we are root: it must be able to reach the folder."""
    requested.mkdir(parents=True, exist_ok=True)
    if not harness.IS_ROOT:
        return requested
    ok = subprocess.run(["runuser", "-u", harness.PG_OS_USER, "--", "test", "-x", str(requested)]).returncode == 0
    if ok:
        requested.chmod(0o755)
        return requested
    fallback = Path("/var/tmp") / ("vcon-redis-" + requested.resolve().as_posix().strip("/").replace("/", "_"))
    print(f"# {requested} is not reachable by the postgres user; using {fallback}", file=sys.stderr)
    fallback.mkdir(parents=True, exist_ok=True)
    fallback.chmod(0o755)
    return fallback


def up(args):
    base = _usable_dir(Path(args.dir))
    (Path(args.dir) / "location").write_text(str(base))
    r = harness.RedisServer(base / "redis", args.redis_port)
    if not r._answers():
        r.start()
        (base / "redis" / "pid").write_text(str(r.proc.pid))
    pg = harness.PgCluster(base / "pg", args.pg_port, {"vcon_redis.redis_url": f"'{r.url()}'"})
    pg.init()
    if not pg.running():
        pg.start()
    pg.sql("CREATE EXTENSION IF NOT EXISTS vcon_redis")
    pg.sql("SELECT vcon_redis.attach()")
    if pg.sql("SELECT count(*) FROM vcons")[0][0] == 0 and args.load:
        harness.load_generated(pg, args.load, seed=args.seed)
    harness.wait_for(lambda: pg.sql("SELECT backlog FROM vcon_redis.status()")[0][0] == 0, 60,
                     what="the outbox to drain into Redis")
    uuids = [row[0] for row in pg.sql("SELECT uuid::text FROM vcons ORDER BY created_at DESC, uuid LIMIT 5")]
    exports = {"DATABASE_URL": pg.url(), "REDIS_URL": r.url(), "PGPORT": str(pg.port),
               "VCON_SAMPLE_UUIDS": ",".join(uuids), "FIRST_UUID": uuids[0] if uuids else ""}
    for k, v in exports.items():
        print(f"export {k}={shlex.quote(v)}")


def alive(pid: int) -> bool:
    """Whether pid is a running process (a zombie, which nobody may reap here, is not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def stop_process(pid: int, timeout: float = 10.0):
    """SIGTERM, then waits until the process is gone (SIGKILL after `timeout`): a redis-server that
    is still writing its files at exit would race the caller's removal of its folder."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not alive(pid):
                return
            time.sleep(0.05)


def down(args):
    loc = Path(args.dir) / "location"
    base = Path(loc.read_text()) if loc.exists() else Path(args.dir)
    pg = harness.PgCluster(base / "pg", preload=False)
    pg.stop("fast")
    crashes = pg.crashes()
    pidfile = base / "redis" / "pid"
    if pidfile.exists():
        stop_process(int(pidfile.read_text()))
        pidfile.unlink()
    if crashes:
        print("PostgreSQL log shows a crash:\n" + "\n".join(crashes), file=sys.stderr)
        sys.exit(1)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("command", choices=["up", "down"])
    p.add_argument("--dir", required=True)
    p.add_argument("--pg-port", type=int)
    p.add_argument("--redis-port", type=int)
    p.add_argument("--load", type=int, default=0, help="generated vCons to load into an empty database")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    up(args) if args.command == "up" else down(args)


if __name__ == "__main__":
    main()
