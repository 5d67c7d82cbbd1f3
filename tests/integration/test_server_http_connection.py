"""vcon-cache-server's HTTP connection handling: pipelined requests answered in order on one
connection, the idle timeout between requests, the request timeout from a request's first byte
(a slow client sending a byte at a time is cut even though it is never silent), and a timed-out
connection leaving the others alone."""

import socket
import time

import harness
from cache_server import CacheServer, wait_cached
from conftest import save, small_vcon


def _read_until_closed(sock: socket.socket, limit: float) -> bytes:
    """Everything the server sends until it closes the connection (fails after `limit` seconds)."""
    sock.settimeout(limit)
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk


def test_pipelined_requests_are_answered_in_order(stack, tmp_path):
    uuids = [save(stack.pg, small_vcon(700 + i)) for i in range(3)]
    for u in uuids:
        wait_cached(stack, u)
    with CacheServer(stack, tmp_path) as s:
        for u in uuids:  # the near cache and Redis both warm: hits answered at once
            assert s.get(f"/api/v1/vcons/{u}").status == 200
        reqs = b"".join(b"GET /api/v1/vcons/%s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % u.encode() for u in uuids)
        reqs += b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        with socket.create_connection(("127.0.0.1", s.port), timeout=10) as c:
            c.sendall(reqs)  # one segment: all four requests are in the server's first read
            data = _read_until_closed(c, 10)
        answers = data.split(b"HTTP/1.1 ")[1:]
        assert len(answers) == 4, data[:2000]
        for u, a in zip(uuids, answers):
            assert a.startswith(b"200"), a[:200]
            assert u.encode() in a
        assert answers[3].startswith(b"200") and b'"status"' in answers[3]


def test_idle_keep_alive_connection_is_closed_after_the_idle_timeout(stack, tmp_path):
    with CacheServer(stack, tmp_path, args=("--idle-timeout", "1")) as s:
        with socket.create_connection(("127.0.0.1", s.port), timeout=10) as c:
            c.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            t0 = time.monotonic()
            data = _read_until_closed(c, 10)  # the answer, then the close once idle for 1 s
            took = time.monotonic() - t0
        assert data.startswith(b"HTTP/1.1 200"), data[:200]
        assert 0.9 < took < 3, took
        # a connection that never sends anything is closed too
        with socket.create_connection(("127.0.0.1", s.port), timeout=10) as c:
            t0 = time.monotonic()
            assert _read_until_closed(c, 10) == b""
            assert 0.9 < time.monotonic() - t0 < 3
        assert s.get("/healthz").status == 200


def test_slow_request_is_cut_at_the_request_timeout_while_others_are_served(stack, tmp_path):
    with CacheServer(stack, tmp_path, args=("--request-timeout", "2", "--idle-timeout", "30")) as s:
        with socket.create_connection(("127.0.0.1", s.port), timeout=10) as slow:
            t0 = time.monotonic()
            slow.sendall(b"GET /healthz HTTP/1.1\r\n")
            closed = None
            while time.monotonic() - t0 < 8:  # a byte every 0.2 s: never idle, never complete
                try:
                    slow.sendall(b"X")
                except OSError:
                    closed = time.monotonic() - t0
                    break
                slow.settimeout(0.2)
                try:
                    if slow.recv(65536) == b"":
                        closed = time.monotonic() - t0
                        break
                except socket.timeout:
                    pass
                # another client is served meanwhile
                assert s.get("/healthz", timeout=5).status == 200
            assert closed is not None and 1.9 < closed < 4, closed
        harness.wait_for(lambda: s.metrics()["vcon_http_connections"] == 1, 5, what="only the metrics connection")
