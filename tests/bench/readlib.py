"""Plumbing shared by the read-path benchmarks (read_throughput.py, hit_vs_miss.py, search_100k.py).

A throw-away stack (tests/harness: PostgreSQL with vcon_redis preloaded + redis-server) whose
processes are stopped in `ReadStack.close()` — call it from a `finally`; SIGTERM/SIGHUP are turned
into SystemExit so that the `finally` also runs when the benchmark is killed politely — and
vcon-cache-server (release build: build/server/vcon-cache-server, VCON_SERVER_BIN overrides).
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import benchlib  # noqa: F401  (puts tests/harness on sys.path)
import harness


def _raise_exit(signum, _frame):
    raise SystemExit(128 + signum)


def install_signal_handlers():
    for s in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, _raise_exit)


def loadavg() -> str:
    return " ".join(open("/proc/loadavg").read().split()[:3])


def server_bin() -> Path:
    return Path(os.environ.get("VCON_SERVER_BIN", harness.build_dir() / "server" / "vcon-cache-server"))


def rss_kb(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process in kB; (0, 0) once it is gone."""
    rss = hwm = 0
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return rss, hwm


class ReadStack:
    """PostgreSQL + Redis + vCons loaded and drained into Redis + vcon-cache-server."""

    def __init__(self, name: str, keep: bool = False):
        self.keep = keep
        self.base = Path(tempfile.mkdtemp(prefix=f"vcon-bench-{name}-"))
        self.base.chmod(0o755)  # PostgreSQL runs as the postgres user when we are root
        self.pg = None
        self.redis_server = None
        self.server: subprocess.Popen | None = None
        self.server_port = None
        self._server_log = None

    # -- lifecycle --------------------------------------------------------------------------
    def start_databases(self, settings: dict | None = None):
        self.pg, self.redis_server = harness.start_stack(self.base, settings=settings)
        return self

    def load(self, count: int, size: str, seed: int = 7) -> list[str]:
        uuids = harness.load_generated(self.pg, count, seed=seed, size=size)
        benchlib.wait_drained(self.pg, timeout=120)
        return uuids

    def start_server(self, threads: int = 2, extra: tuple = ()):
        binary = server_bin()
        if not binary.exists():
            sys.exit(f"{binary} not found: build first (scripts/lib.sh build_release, or cmake --build build), "
                     "or set VCON_SERVER_BIN")
        self.server_port = harness.free_port()
        env = dict(os.environ)
        env.pop("VCON_API_TOKEN", None)
        env.pop("VCON_TEST_FILL_DELAY_MS", None)
        env.update({"DATABASE_URL": self.pg.url(), "REDIS_URL": self.redis_server.url()})
        self._server_log = open(self.base / "server.log", "wb")
        self.server = subprocess.Popen([str(binary), "--listen", f"127.0.0.1:{self.server_port}",
                                        "--threads", str(threads), *extra],
                                       env=env, stdout=subprocess.DEVNULL, stderr=self._server_log)
        harness.wait_for(self._answers, 20, what="vcon-cache-server /healthz")
        return self

    def _answers(self):
        if self.server.poll() is not None:
            raise RuntimeError(f"vcon-cache-server exited with {self.server.returncode}:\n{self.server_log()}")
        try:
            c = http.client.HTTPConnection("127.0.0.1", self.server_port, timeout=1)
            try:
                c.request("GET", "/healthz")
                r = c.getresponse()
                r.read()
                return r.status == 200
            finally:
                c.close()
        except OSError:
            return False

    def server_log(self) -> str:
        if self._server_log:
            self._server_log.flush()
        p = self.base / "server.log"
        return p.read_text(errors="replace") if p.exists() else ""

    def close(self):
        """Stops everything this object started; safe to call more than once."""
        if self.server is not None:
            if self.server.poll() is None:
                self.server.terminate()
                try:
                    self.server.wait(15)
                except subprocess.TimeoutExpired:
                    self.server.kill()
                    self.server.wait()
            self.server = None
        if self._server_log:
            self._server_log.close()
            self._server_log = None
        crashes = self.pg.crashes() if self.pg else []
        if self.keep:
            print(f"# kept: {self.base} (databases left running: stop them yourself)")
            return
        if self.pg is not None:
            self.pg.destroy()
            self.pg = None
        if self.redis_server is not None:
            self.redis_server.destroy()
            self.redis_server = None
        shutil.rmtree(self.base, ignore_errors=True)
        if crashes:
            print("# PostgreSQL log shows a crash:\n# " + "\n# ".join(crashes))

    # -- talking to the server -------------------------------------------------------------
    def connection(self, timeout: float = 10) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.server_port, timeout=timeout)

    def metrics(self) -> dict[str, float]:
        c = self.connection()
        try:
            c.request("GET", "/metrics")
            text = c.getresponse().read().decode()
        finally:
            c.close()
        return harness.parse_metrics(text)

    def cache_counts(self) -> dict[str, float]:
        m = self.metrics()
        return {k: m.get(f'vcon_cache_total{{result="{k}"}}', 0.0)
                for k in ("hit", "miss", "bypass", "fill", "fill_refused")}


class RawClient:
    """HTTP/1.1 requests over one keep-alive socket with as little client work as possible: the
    response is read by Content-Length. http.client costs ~0.15 ms per request here, most of a
    cache hit's time, which would hide the server's own figures."""

    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def get(self, path: str) -> tuple[int, str | None, bytes]:
        """(status, X-Cache header, body) of GET path."""
        self.sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        return self._response()

    def post(self, path: str, body: bytes, content_type: str = "application/json") -> tuple[int, str | None, bytes]:
        self.sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
                          f"Accept: application/json, text/event-stream\r\n"
                          f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        return self._response()

    def _response(self) -> tuple[int, str | None, bytes]:
        while b"\r\n\r\n" not in self.buf:
            self._recv()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:])}
        length = int(headers.get("content-length", "0"))
        while len(self.buf) < length:
            self._recv()
        body, self.buf = self.buf[:length], self.buf[length:]
        return status, headers.get("x-cache"), body

    def _recv(self):
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise RuntimeError("server closed the connection")
        self.buf += chunk

    def close(self):
        self.sock.close()


def get_vcon(conn: http.client.HTTPConnection, uuid: str) -> tuple[int, str | None, bytes]:
    conn.request("GET", f"/api/v1/vcons/{uuid}")
    r = conn.getresponse()
    body = r.read()
    return r.status, r.getheader("X-Cache"), body


def healthy(port: int) -> bool:
    """Whether vcon-cache-server on this port answers /healthz with 200."""
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        c.request("GET", "/healthz")
        ok = c.getresponse().status == 200
        c.close()
        return ok
    except OSError:
        return False


def start_plain_server(database_url: str, redis_url: str, log_dir: Path) -> tuple[subprocess.Popen, int]:
    """A one-thread vcon-cache-server on a free port for the given databases, healthy."""
    port = harness.free_port()
    env = dict(os.environ)
    env.pop("VCON_API_TOKEN", None)
    env.update({"DATABASE_URL": database_url, "REDIS_URL": redis_url})
    log = open(log_dir / f"server-{port}.log", "wb")
    proc = subprocess.Popen([str(server_bin()), "--listen", f"127.0.0.1:{port}", "--threads", "1"], env=env,
                            stdout=subprocess.DEVNULL, stderr=log)
    harness.wait_for(lambda: healthy(port), 20, what="vcon-cache-server")
    return proc, port


def hit_rate(port: int, uuids: list[str], reads: int, rep):
    """A measurement: GETs/s of `reads` cached vCons over one keep-alive connection (notes a miss)."""
    def run() -> float:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        hits = 0
        t0 = time.perf_counter()
        for i in range(reads):
            status, cache, _ = get_vcon(conn, uuids[i % len(uuids)])
            hits += status == 200 and cache == "HIT"
        elapsed = time.perf_counter() - t0
        conn.close()
        if hits != reads:
            rep.note(f"only {hits} of {reads} GETs were hits on port {port}")
        return reads / elapsed
    return run
