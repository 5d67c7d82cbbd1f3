"""Runs vcon-cache-server (binary from VCON_SERVER_BIN, default build/server/vcon-cache-server)
against a test stack, and talks HTTP to it with the standard library only."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
from pathlib import Path

import harness


def server_bin() -> Path:
    return Path(os.environ.get("VCON_SERVER_BIN", harness.build_dir() / "server" / "vcon-cache-server"))


class Reply:
    def __init__(self, status: int, headers: dict, body: bytes):
        self.status = status
        self.headers = {k.lower(): v for k, v in headers.items()}
        self.body = body

    def json(self):
        return json.loads(self.body)

    @property
    def cache(self):
        return self.headers.get("x-cache")


class CacheServer:
    def __init__(self, stack, log_dir: Path, args: tuple = (), env: dict | None = None,
                 redis_url: str | None = None):
        self.port = harness.free_port()
        self.log_path = Path(log_dir) / f"server-{self.port}.log"
        full_env = dict(os.environ)
        full_env.pop("VCON_API_TOKEN", None)
        full_env.update({"DATABASE_URL": stack.pg.url(), "REDIS_URL": redis_url or stack.redis_server.url()})
        full_env.update(env or {})
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([str(server_bin()), "--listen", f"127.0.0.1:{self.port}", *args],
                                     env=full_env, stdout=subprocess.DEVNULL, stderr=self._log)
        harness.wait_for(self._answers, 20, what="vcon-cache-server /healthz")

    def _answers(self):
        if self.proc.poll() is not None:
            raise RuntimeError(f"vcon-cache-server exited with {self.proc.returncode}:\n{self.log()}")
        try:
            return self.get("/healthz", timeout=1).status in (200, 503)
        except OSError:
            return False

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def connection(self, timeout: float = 10) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method: str, path: str, body: bytes | str | None = None, headers: dict | None = None,
                timeout: float = 10, conn: http.client.HTTPConnection | None = None) -> Reply:
        own = conn is None
        c = conn or self.connection(timeout)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            return Reply(r.status, dict(r.getheaders()), r.read())
        finally:
            if own:
                c.close()

    def get(self, path: str, **kw) -> Reply:
        return self.request("GET", path, **kw)

    def metrics(self, headers: dict | None = None) -> dict[str, float]:
        """Samples of /metrics as {'name{labels}': value}."""
        return harness.parse_metrics(self.get("/metrics", headers=headers).body.decode())

    def cache_count(self, result: str) -> float:
        return self.metrics().get(f'vcon_cache_total{{result="{result}"}}', 0.0)

    def mcp(self, method: str, params: dict | None = None, id=1, headers: dict | None = None) -> Reply:
        """One JSON-RPC request to POST /mcp."""
        body = json.dumps({"jsonrpc": "2.0", "id": id, "method": method, "params": params or {}})
        return self.request("POST", "/mcp", body=body,
                            headers={"Content-Type": "application/json", **(headers or {})})

    def wait_up(self, timeout: float = 20):
        """Until both backends are connected (Redis connects in the background after start)."""
        harness.wait_for(lambda: (lambda h: h["postgres"] == "up" and h["redis"] == "up")(self.get("/healthz").json()),
                         timeout, interval=0.05, what="PostgreSQL and Redis up")

    def cache_state(self) -> str:
        return self.get("/healthz").json()["cache"]

    def wait_cache_state(self, state: str, timeout: float = 20):
        harness.wait_for(lambda: self.cache_state() == state, timeout, interval=0.1,
                         what=f"/healthz to say cache {state}")

    def stop(self, sig=signal.SIGTERM, timeout: float = 15) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError(f"vcon-cache-server did not stop within {timeout}s:\n{self.log()}")
        self._log.close()
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        rc = self.stop()
        if exc[0] is None:
            assert rc == 0, f"vcon-cache-server exited with {rc}:\n{self.log()}"


def wait_cached(stack, uuid: str, timeout: float = 30):
    harness.wait_for(lambda: stack.cached(uuid) is not None, timeout, what=f"vcon:{uuid} in Redis")
