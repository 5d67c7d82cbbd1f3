"""Throw-away PostgreSQL clusters and Redis servers on free loopback ports.

Used by the integration tests, the pg_regress run, the demo and the benchmarks. PostgreSQL refuses
to run as root, so when we are root every PostgreSQL binary runs as the `postgres` system user (the
Debian package creates it) in a directory that user owns; a normal user runs them as themselves.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
REDIS_SERVER = os.environ.get("REDIS_SERVER", "redis-server")
IS_ROOT = os.geteuid() == 0
PG_OS_USER = "postgres"


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float, interval: float = 0.02, what: str = "condition"):
    """Polls predicate() until it returns a truthy value; returns it, or raises TimeoutError."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def _as_pg_user(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", PG_OS_USER, "--", *cmd] if IS_ROOT else cmd


def make_reachable(path: Path) -> Path:
    """Lets the postgres user reach `path` (when we are root): mode 0755 on it and o+rx on its
    parents below /tmp (pytest's and mkdtemp's folders are 0700)."""
    path.chmod(0o755)
    for parent in path.parents:
        if str(parent) in ("/", "/tmp"):
            break
        parent.chmod(parent.stat().st_mode | 0o055)
    return path


def _make_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    if IS_ROOT:
        shutil.chown(path, PG_OS_USER, PG_OS_USER)
    return path


class PgCluster:
    """A PostgreSQL 15 cluster with vcon_redis preloaded, owned by this object."""

    def __init__(self, base: Path | None = None, port: int | None = None, settings: dict | None = None,
                 preload: bool = True, bin_dir: Path | None = None):
        self.base = _make_dir(Path(base or tempfile.mkdtemp(prefix="vcon-pg-")))
        self.bin = Path(bin_dir or PG_BIN)  # another installation: see relocated_postgres()
        self.data = self.base / "data"
        self.sockdir = _make_dir(self.base / "sock")
        self.log = self.base / "postgresql.log"
        self.port = port or free_port()
        self.settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.sockdir}'",
            "fsync": "off",
            "max_connections": "100",
            "log_line_prefix": "'%m [%p] %b '",
            "log_min_messages": "info",
        }
        if preload:
            self.settings["shared_preload_libraries"] = "'vcon_redis'"
            self.settings["vcon_redis.database"] = "'postgres'"
            # the whole-path tests again with several drain workers (tests/integration/test_workers.py)
            if os.environ.get("VCON_TEST_WORKERS"):
                self.settings["vcon_redis.workers"] = os.environ["VCON_TEST_WORKERS"]
        self.settings.update(settings or {})
        self.allowed_signals = {9}  # tests that kill -9 on purpose; anything else is a crash

    # -- lifecycle ---------------------------------------------------------------------------
    def init(self) -> "PgCluster":
        if not (self.data / "PG_VERSION").exists():
            subprocess.run(_as_pg_user([str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres",
                                        "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C"]),
                           check=True, stdout=subprocess.DEVNULL)
        self.write_settings()
        return self

    def write_settings(self, **extra):
        """Writes the settings to vcon_test.conf, included from postgresql.conf, so that ALTER
        SYSTEM (postgresql.auto.conf) overrides them and ALTER SYSTEM RESET falls back to them."""
        self.settings.update(extra)
        conf = self.data / "vcon_test.conf"
        conf.write_text("\n".join(f"{k} = {v}" for k, v in self.settings.items()) + "\n")
        main = self.data / "postgresql.conf"
        if "include 'vcon_test.conf'" not in main.read_text():
            with main.open("a") as f:
                f.write("\ninclude 'vcon_test.conf'\n")
        if IS_ROOT:
            shutil.chown(conf, PG_OS_USER, PG_OS_USER)

    def start(self) -> "PgCluster":
        if IS_ROOT and not self.log.exists():
            self.log.touch()
            shutil.chown(self.log, PG_OS_USER, PG_OS_USER)
        subprocess.run(_as_pg_user([str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                                    "-w", "-t", "60", "start"]), check=True, stdout=subprocess.DEVNULL)
        return self

    def stop(self, mode: str = "fast"):
        subprocess.run(_as_pg_user([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60",
                                    "stop"]), check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def restart(self, mode: str = "fast"):
        self.stop(mode)
        self.start()

    def reload(self):
        subprocess.run(_as_pg_user([str(self.bin / "pg_ctl"), "-D", str(self.data), "reload"]), check=True,
                       stdout=subprocess.DEVNULL)

    def running(self) -> bool:
        return subprocess.run(_as_pg_user([str(self.bin / "pg_ctl"), "-D", str(self.data), "status"]),
                              stdout=subprocess.DEVNULL).returncode == 0

    def destroy(self):
        self.stop("immediate")
        shutil.rmtree(self.base, ignore_errors=True)

    # -- access ------------------------------------------------------------------------------
    def dsn(self, dbname: str = "postgres") -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={dbname}"

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def connect(self, dbname: str = "postgres", autocommit: bool = True):
        import psycopg2
        conn = psycopg2.connect(self.dsn(dbname))
        conn.autocommit = autocommit
        return conn

    def sql(self, query: str, params=None, dbname: str = "postgres"):
        """Runs one statement in its own connection; returns all rows (or None)."""
        with contextlib.closing(self.connect(dbname)) as conn, conn.cursor() as cur:
            cur.execute(query, params)
            return cur.fetchall() if cur.description else None

    def psql(self, *args: str, dbname: str = "postgres", input: str | None = None) -> str:
        return subprocess.run([str(self.bin / "psql"), "-X", "-v", "ON_ERROR_STOP=1", "-q", "-h", "127.0.0.1",
                               "-p", str(self.port), "-U", "postgres", "-d", dbname, *args],
                              input=input, text=True, check=True, capture_output=True).stdout

    def worker_pid(self) -> int | None:
        rows = self.sql("SELECT pid FROM pg_stat_activity WHERE backend_type = 'vcon_redis worker' "
                        "ORDER BY application_name LIMIT 1")  # worker 0 when there are several
        return rows[0][0] if rows else None

    # -- crash detection ---------------------------------------------------------------------
    def crashes(self) -> list[str]:
        """Server log lines reporting a process killed by a signal nobody sent on purpose."""
        if not self.log.exists():
            return []
        bad = []
        for line in self.log.read_text(errors="replace").splitlines():
            m = re.search(r"terminated by signal (\d+)", line)
            if m and int(m.group(1)) not in self.allowed_signals:
                bad.append(line)
            elif "PANIC:" in line:
                bad.append(line)
        return bad


class RedisServer:
    """A redis-server child process on a free loopback port (and a unix socket).

    With tls_dir (see make_test_certs) its TCP port speaks TLS only, presenting
    tls_dir/<tls_cert>.crt; tls_auth_clients="yes" asks for client certificates (mutual TLS). The
    unix socket stays plaintext: client() uses it then. replica_of makes it a replica of that port.
    """

    def __init__(self, base: Path | None = None, port: int | None = None, password: str | None = None,
                 tls_dir: Path | None = None, tls_cert: str = "server", tls_auth_clients: str = "no",
                 replica_of: int | None = None, extra_args: list[str] | None = None):
        self.base = Path(base or tempfile.mkdtemp(prefix="vcon-redis-"))
        self.base.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.password = password
        self.tls_dir = Path(tls_dir) if tls_dir else None
        self.tls_cert = tls_cert
        self.tls_auth_clients = tls_auth_clients
        self.replica_of = replica_of
        self.extra_args = list(extra_args or [])
        self.socket = self.base / "redis.sock"
        self.log = self.base / "redis.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> "RedisServer":
        port = "0" if self.tls_dir else str(self.port)
        cmd = [REDIS_SERVER, "--port", port, "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--dir", str(self.base), "--unixsocket", str(self.socket),
               "--unixsocketperm", "777", "--logfile", str(self.log), "--daemonize", "no"]
        if self.tls_dir:
            d = self.tls_dir
            cmd += ["--tls-port", str(self.port), "--tls-cert-file", str(d / f"{self.tls_cert}.crt"),
                    "--tls-key-file", str(d / f"{self.tls_cert}.key"), "--tls-ca-cert-file", str(d / "ca.crt"),
                    "--tls-auth-clients", self.tls_auth_clients]
            if self.replica_of:
                cmd += ["--tls-replication", "yes"]
        if self.password:
            cmd += ["--requirepass", self.password, "--masterauth", self.password]
        if self.replica_of:
            cmd += ["--replicaof", "127.0.0.1", str(self.replica_of)]
        cmd += self.extra_args
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(self._answers, 10, what=f"redis-server on port {self.port}")
        return self

    def _answers(self) -> bool:
        if self.proc and self.proc.poll() is not None:
            tail = self.log.read_text(errors="replace").splitlines()[-5:] if self.log.exists() else []
            raise RuntimeError(f"redis-server on port {self.port} exited ({self.proc.returncode}): "
                               + " | ".join(tail))
        try:
            return bool(self.client().ping())
        except Exception:
            return False

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def pause(self):
        os.kill(self.proc.pid, signal.SIGSTOP)

    def resume(self):
        os.kill(self.proc.pid, signal.SIGCONT)

    def destroy(self):
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)

    def url(self, db: int = 0) -> str:
        """redis://[:password@]127.0.0.1:port/db, rediss:// for a TLS server (add ?tls_… yourself)."""
        auth = f":{self.password}@" if self.password else ""
        return f"{'rediss' if self.tls_dir else 'redis'}://{auth}127.0.0.1:{self.port}/{db}"

    def client(self, db: int = 0):
        import redis
        if self.tls_dir:
            return redis.Redis(unix_socket_path=str(self.socket), db=db, password=self.password,
                               socket_timeout=5, decode_responses=True)
        return redis.Redis(host="127.0.0.1", port=self.port, db=db, password=self.password,
                           socket_timeout=5, decode_responses=True)


def make_test_certs(directory: Path) -> Path:
    """Throw-away test CA and certificates (tests/harness/make_test_certs.sh) in directory, which
    the postgres user can read: ca, other-ca, server (127.0.0.1/::1/localhost), wronghost, client."""
    directory = Path(directory)
    subprocess.run([str(Path(__file__).resolve().parent / "make_test_certs.sh"), str(directory)], check=True)
    return make_reachable(directory)


class Sentinel:
    """A redis-server in sentinel mode watching the primary on master_port as master_name
    (quorum 2, fast failure detection for tests). Its config file lives in its own directory
    (sentinels rewrite it). password is the data nodes' password, sentinel_password the
    sentinel's own; with tls_dir it speaks TLS only, to clients and to the data nodes."""

    def __init__(self, base: Path, master_port: int, master_name: str = "vconmaster", port: int | None = None,
                 password: str | None = None, down_after_ms: int = 1000, tls_dir: Path | None = None,
                 sentinel_password: str | None = None):
        self.base = Path(base)
        self.base.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.master_name = master_name
        self.log = self.base / "sentinel.log"
        self.conf = self.base / "sentinel.conf"
        lines = [f"port {'0' if tls_dir else self.port}", "bind 127.0.0.1", f"dir {self.base}",
                 f"logfile {self.log}", "daemonize no",
                 f"sentinel monitor {master_name} 127.0.0.1 {master_port} 2",
                 f"sentinel down-after-milliseconds {master_name} {down_after_ms}",
                 f"sentinel failover-timeout {master_name} 10000",
                 f"sentinel parallel-syncs {master_name} 1"]
        if password:
            lines.append(f"sentinel auth-pass {master_name} {password}")
        if sentinel_password:
            lines.append(f"requirepass {sentinel_password}")
        if tls_dir:
            d = Path(tls_dir)
            lines += [f"tls-port {self.port}", f"tls-cert-file {d / 'server.crt'}", f"tls-key-file {d / 'server.key'}",
                      f"tls-ca-cert-file {d / 'ca.crt'}", "tls-replication yes", "tls-auth-clients no"]
        self.conf.write_text("\n".join(lines) + "\n")
        self.tls = bool(tls_dir)
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Sentinel":
        self.proc = subprocess.Popen([REDIS_SERVER, str(self.conf), "--sentinel"], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_for(lambda: self.log.exists() and "Sentinel ID is" in self.log.read_text(errors="replace"), 10,
                 what=f"sentinel on port {self.port}")
        return self

    def command(self, *args: str):
        """A command to this sentinel (plaintext sentinels only)."""
        import redis
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5,
                           decode_responses=True).execute_command(*args)

    def primary_port(self) -> int | None:
        try:
            addr = self.command("SENTINEL", "get-master-addr-by-name", self.master_name)
        except Exception:
            return None
        return int(addr[1]) if addr else None

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


def parse_metrics(text: str) -> dict[str, float]:
    """Prometheus text exposition (vcon-cache-server's /metrics) as {'name{labels}': value}."""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


def relocated_postgres(dest: Path, extra_extension_files: dict[str, str]) -> Path:
    """A private copy of the PostgreSQL installation of PG_BIN under dest, with extra files (name →
    text) in its extension directory; returns its bin directory. PostgreSQL finds its share and
    lib directories relative to its binaries, so a copy is a separate installation: a test can
    install what it must not install system-wide (an old release of the extension)."""
    pg_config = PG_BIN / "pg_config"
    bindir = Path(subprocess.run([str(pg_config), "--bindir"], capture_output=True, text=True, check=True).stdout.strip())
    sharedir = Path(subprocess.run([str(pg_config), "--sharedir"], capture_output=True, text=True, check=True).stdout.strip())
    libroot = bindir.parent  # /usr/lib/postgresql/15: bin/ and lib/
    new_lib, new_share = dest / libroot.relative_to("/"), dest / sharedir.relative_to("/")
    shutil.copytree(libroot, new_lib, symlinks=True)
    shutil.copytree(sharedir, new_share, symlinks=True)
    for name, text in extra_extension_files.items():
        (new_share / "extension" / name).write_text(text)
    make_reachable(dest)
    for d in (new_lib, new_share):
        for root, dirs, _ in os.walk(d):
            for x in dirs:
                os.chmod(Path(root) / x, 0o755)
    return new_lib / "bin"


def repo_root() -> Path:
    return Path(__file__).resolve().parents[2]


def build_dir() -> Path:
    return Path(os.environ.get("VCON_BUILD_DIR", repo_root() / "build"))


def generator_bin() -> Path:
    return Path(os.environ.get("VCON_GEN_BIN", build_dir() / "tools" / "vcon-gen"))


def load_generated(pg: PgCluster, count: int, seed: int = 1, start: int = 0, size: str = "mixed",
                   dbname: str = "postgres") -> list[str]:
    """Saves `count` generated vCons with vcon_redis.save_vcon; returns their uuids in order."""
    out = subprocess.run([str(generator_bin()), "--count", str(count), "--seed", str(seed), "--start", str(start),
                          "--size", size, "--format", "jsonl"], check=True, capture_output=True, text=True).stdout
    docs = [line for line in out.splitlines() if line.strip()]
    import psycopg2.extras
    with contextlib.closing(pg.connect(dbname, autocommit=False)) as conn, conn.cursor() as cur:
        psycopg2.extras.execute_batch(cur, "SELECT vcon_redis.save_vcon(%s::jsonb)", [(d,) for d in docs],
                                      page_size=100)
        conn.commit()
    import json
    return [json.loads(d)["uuid"] for d in docs]


def start_stack(base: Path | None = None, pg_port: int | None = None, redis_port: int | None = None,
                settings: dict | None = None, prepare=None) -> tuple[PgCluster, RedisServer]:
    """A Redis server and a PostgreSQL cluster whose vcon_redis worker pushes to it, extension
    created and attached in database postgres. `prepare(pg)`, when given, runs before that (e.g.
    to create an existing application schema the extension then attaches to)."""
    base = make_reachable(Path(base or tempfile.mkdtemp(prefix="vcon-stack-")))
    redis_server = RedisServer(base / "redis", redis_port).start()
    conf = {"vcon_redis.redis_url": f"'{redis_server.url()}'", "vcon_redis.poll_interval": "200"}
    conf.update(settings or {})
    pg = PgCluster(base / "pg", pg_port, conf).init().start()
    if prepare:
        prepare(pg)
    pg.sql("CREATE EXTENSION IF NOT EXISTS vcon_redis")
    pg.sql("SELECT vcon_redis.attach()")
    return pg, redis_server


class RedisClusterNodes:
    """A Redis Cluster on loopback: `primaries` primaries with `replicas_per_primary` replicas each
    (redis-cli --cluster create; a TLS cluster, without replicas, by CLUSTER commands), every node a RedisServer in its own directory with
    cluster-enabled yes. With tls_dir the nodes speak TLS only, to clients and on the cluster bus
    (tls-cluster yes, tls-replication yes). url() is the node-list URL the worker and the server
    take; client() a redis-py cluster client; cli() runs redis-cli against the first node."""

    def __init__(self, base: Path | None = None, primaries: int = 3, replicas_per_primary: int = 1,
                 tls_dir: Path | None = None, node_timeout_ms: int = 2000):
        self.base = Path(base or tempfile.mkdtemp(prefix="vcon-redis-cluster-"))
        self.base.mkdir(parents=True, exist_ok=True)
        self.tls_dir = Path(tls_dir) if tls_dir else None
        self.replicas_per_primary = replicas_per_primary
        extra = ["--cluster-enabled", "yes", "--cluster-node-timeout", str(node_timeout_ms),
                 "--cluster-require-full-coverage", "no", "--cluster-allow-reads-when-down", "yes"]
        if self.tls_dir:
            # The cluster bus always asks its peers for a certificate: present one for clientAuth.
            extra += ["--tls-cluster", "yes", "--tls-replication", "yes",
                      "--tls-client-cert-file", str(self.tls_dir / "client.crt"),
                      "--tls-client-key-file", str(self.tls_dir / "client.key")]
        count = primaries * (1 + replicas_per_primary)
        taken: set[int] = set()
        self.nodes = [RedisServer(self.base / f"node{i}", port=self._cluster_port(taken), tls_dir=self.tls_dir,
                                  extra_args=extra + ["--cluster-config-file", str(self.base / f"node{i}" / "nodes.conf")])
                      for i in range(count)]

    @staticmethod
    def _cluster_port(taken: set[int]) -> int:
        """A port p with p and p + 10000 (its cluster bus port) both free, below the kernel's
        ephemeral range (32768 and up on Linux) so no outgoing connection or free_port() takes
        either before the node binds it, and apart from the ports of this cluster's other nodes
        (taken, which this adds to)."""
        while True:
            p = random.randint(20000, 22767)
            if {p, p + 10000} & taken:
                continue
            try:
                for port in (p, p + 10000):
                    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
                        s.bind(("127.0.0.1", port))
            except OSError:
                continue
            taken.update((p, p + 10000))
            return p

    def _tls_args(self) -> list[str]:
        if not self.tls_dir:
            return []
        return ["--tls", "--cacert", str(self.tls_dir / "ca.crt")]

    def cli(self, *args: str, timeout: float = 120) -> str:
        cmd = ["redis-cli", *self._tls_args(), *args]
        return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=timeout).stdout

    def start(self) -> "RedisClusterNodes":
        for n in self.nodes:
            n.base.mkdir(parents=True, exist_ok=True)
            n.start()
        if self.tls_dir:
            self._create_over_unix_sockets()
        else:
            self.cli("--cluster", "create", *[f"127.0.0.1:{n.port}" for n in self.nodes],
                     "--cluster-replicas", str(self.replicas_per_primary), "--cluster-yes")
        wait_for(self.healthy, 30, interval=0.2, what="cluster state ok on every node")
        return self

    def _create_over_unix_sockets(self):
        """What redis-cli --cluster create does (it waits forever for a TLS-only cluster to join),
        over each node's plaintext unix socket: slots split evenly across the primaries, every
        node meets the first, replicas replicate their primary."""
        if self.replicas_per_primary:
            raise ValueError("TLS clusters are created without replicas")
        per = 16384 // len(self.nodes)
        for i, n in enumerate(self.nodes):
            last = 16383 if i == len(self.nodes) - 1 else (i + 1) * per - 1
            c = n.client()
            c.execute_command("CLUSTER", "ADDSLOTSRANGE", i * per, last)
            c.execute_command("CLUSTER", "SET-CONFIG-EPOCH", i + 1)
        for n in self.nodes[1:]:
            n.client().execute_command("CLUSTER", "MEET", "127.0.0.1", self.nodes[0].port)

    def healthy(self) -> bool:
        try:
            for n in self.nodes:
                info = n.client().execute_command("CLUSTER", "INFO")
                if "cluster_state:ok" not in info:
                    return False
                if int(re.search(r"cluster_known_nodes:(\d+)", info).group(1)) != len(self.nodes):
                    return False
            return True
        except Exception:
            return False

    def primaries(self) -> list["RedisServer"]:
        return [n for n in self.nodes if n.client().execute_command("ROLE")[0] == "master"]

    def node_of(self, key: str) -> "RedisServer":
        """The primary that serves key now (works for TLS clusters too, over unix sockets)."""
        c = self.nodes[0].client()
        slot = c.execute_command("CLUSTER", "KEYSLOT", key)
        for start, end, primary, *_ in c.execute_command("CLUSTER", "SLOTS"):
            if start <= slot <= end:
                return next(n for n in self.nodes if n.port == primary[1])
        raise LookupError(f"no primary serves slot {slot}")

    def node_id(self, node: "RedisServer") -> str:
        return node.client().execute_command("CLUSTER", "MYID")

    def reshard(self, slots: int, source: "RedisServer", target: "RedisServer", pipeline: int = 50) -> str:
        """redis-cli --cluster reshard: moves `slots` slots (and their keys) from source to target."""
        return self.cli("--cluster", "reshard", f"127.0.0.1:{self.nodes[0].port}",
                        "--cluster-from", self.node_id(source), "--cluster-to", self.node_id(target),
                        "--cluster-slots", str(slots), "--cluster-yes", "--cluster-pipeline", str(pipeline),
                        timeout=600)

    def url(self, scheme: str | None = None) -> str:
        """The node-list URL of the primaries and replicas: redis://127.0.0.1:p1,127.0.0.1:p2,…
        (rediss:// with TLS; add ?tls_ca_file=… yourself)."""
        scheme = scheme or ("rediss" if self.tls_dir else "redis")
        return f"{scheme}://" + ",".join(f"127.0.0.1:{n.port}" for n in self.nodes)

    def client(self):
        """A redis-py cluster client (plaintext clusters)."""
        from redis.cluster import RedisCluster
        return RedisCluster(host="127.0.0.1", port=self.nodes[0].port, decode_responses=True,
                            socket_timeout=10)

    def keys(self, pattern: str) -> list[str]:
        """Every key matching pattern on the primaries (SCAN on each)."""
        out: list[str] = []
        for n in self.primaries():
            out += list(n.client().scan_iter(match=pattern, count=1000))
        return out

    def stop(self):
        for n in self.nodes:
            n.kill()

    def destroy(self):
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)
