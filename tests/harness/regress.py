#!/usr/bin/env python3
"""Runs the pg_regress suite (Makefile.pgxs installcheck) against a throw-away cluster with
vcon_redis preloaded, and fails if the server log shows a crash. Extra arguments go to make
(e.g. REGRESS=capture to run one test)."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402


def main() -> int:
    base = Path(tempfile.mkdtemp(prefix="vcon-regress-"))
    base.chmod(0o755)
    redis_server = harness.RedisServer(base / "redis").start()
    pg = harness.PgCluster(base / "pg", settings={"vcon_redis.redis_url": f"'{redis_server.url()}'"}).init().start()
    try:
        env = dict(os.environ, PGHOST="127.0.0.1", PGPORT=str(pg.port), PGUSER="postgres")
        rc = subprocess.run(["make", "-C", str(harness.repo_root()), "-f", "Makefile.pgxs", "installcheck", *sys.argv[1:]],
                            env=env).returncode
        if rc != 0:
            diffs = harness.repo_root() / "build" / "regress" / "regression.diffs"
            if diffs.exists():
                print(diffs.read_text()[:20000])
        crashes = pg.crashes()
        if crashes:
            print("PostgreSQL log shows a crash:\n" + "\n".join(crashes))
            rc = rc or 1
        return rc
    finally:
        pg.destroy()
        redis_server.destroy()


if __name__ == "__main__":
    sys.exit(main())
