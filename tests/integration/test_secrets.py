"""Redis passwords never show: not in the server log, SHOW, pg_settings, status() nor in an error sent
to the client, whatever characters they hold (# , ; ' " / @ and spaces), while the worker really
authenticates with them. Every way PostgreSQL echoes vcon_redis.redis_url is exercised: ALTER SYSTEM
with log_statement = 'all', the reload line of the postmaster (and of every backend at DEBUG3), SET,
set_config and ALTER DATABASE (refused), an error message quoting the URL, a URL the parser refuses."""

import contextlib

import harness
import pytest
from conftest import save, small_vcon

# (password, how the URL carries it). The parser takes every character raw in the userinfo except
# '/', '?' and '%' (percent-encoded), and every character raw in a query value except '&' and '%'.
CASES = [
    ("p#ss,w;rd", "userinfo"),
    ("it's \"quoted\"", "userinfo"),
    ("sl/ash@sp ace", "userinfo"),
    ("x@y:z#1, 2; 3", "user"),
    ("q'u\"e/r@y #,;", "query"),
    ("all # , ; ' \" / @ and spaces", "userinfo"),
]


def encode(s: str, special: str) -> str:
    return "".join(f"%{ord(c):02X}" if c in special else c for c in s)


def url_for(password: str, form: str, port: int) -> str:
    if form == "query":
        return f"redis://127.0.0.1:{port}/0?password={encode(password, '&%')}"
    user = "default" if form == "user" else ""
    return f"redis://{user}:{encode(password, '/?%')}@127.0.0.1:{port}/0"


def forms_of(password: str) -> set[str]:
    """Every spelling of the password that could show: raw, percent-encoded, as an SQL literal."""
    spelled = {password, encode(password, "/?%"), encode(password, "&%")}
    return spelled | {s.replace("'", "''") for s in spelled}


def leaks(text: str, password: str) -> list[str]:
    return [f for f in forms_of(password) if f in (text or "")]


def expect_error(cur, query: str, params=None) -> str:
    """The error the server sent (libpq's "LINE 1: ..." echo of the client's own text left out)."""
    import psycopg2
    with pytest.raises(psycopg2.Error) as caught:
        cur.execute(query, params)
    d = caught.value.diag
    return "\n".join(filter(None, [d.message_primary, d.message_detail, d.message_hint, d.context,
                                   d.internal_query]))


@pytest.mark.parametrize("password,form", CASES)
def test_password_never_shows(stack, password, form):
    # Distinctive passwords: no other text of the log contains one by chance.
    assert all(len(f) >= 8 for f in forms_of(password))
    secured = harness.RedisServer(stack.redis_server.base.parent / f"redis-secured-{CASES.index((password, form))}",
                                  password=password).start()
    url = url_for(password, form, secured.port)
    log_start = stack.pg.log.stat().st_size
    client_errors = []
    try:
        with contextlib.closing(stack.pg.connect()) as conn, conn.cursor() as cur:
            cur.execute("SET log_statement = 'all'")
            cur.execute("ALTER SYSTEM SET vcon_redis.redis_url = %s", (url,))
            cur.execute("ALTER SYSTEM SET log_min_messages = 'debug3'")  # backends log the new value too
            # Refused ways to set it; each ERROR and its STATEMENT reach the log.
            client_errors.append(expect_error(cur, "SET vcon_redis.redis_url = %s", (url,)))
            client_errors.append(expect_error(cur, "SELECT set_config('vcon_redis.redis_url', %s, false)", (url,)))
            client_errors.append(expect_error(cur, "ALTER DATABASE postgres SET vcon_redis.redis_url = %s", (url,)))
            # An error message quoting the URL.
            client_errors.append(expect_error(cur, "SELECT %s::integer", (url,)))
            # The password unencoded, so that the URL is one the parser refuses.
            client_errors.append(expect_error(cur, "ALTER SYSTEM SET vcon_redis.redis_url = %s",
                                              (f"redis://:{password}@127.0.0.1:{secured.port}/0?x",)))
        stack.pg.reload()

        # The worker reconnects with the new URL and authenticates with the password.
        harness.wait_for(lambda: stack.status()["redis_url"].endswith(f":{secured.port}/0"), 15,
                         what="worker to pick up the new URL")
        u = save(stack.pg, small_vcon(90))
        harness.wait_for(lambda: secured.client().get(f"vcon:{u}") is not None, 15,
                         what="the worker to write to the password-protected Redis")

        shown = stack.pg.sql("SHOW vcon_redis.redis_url")[0][0]
        assert "***" in shown and not leaks(shown, password), shown
        assert not leaks(stack.pg.sql("SELECT current_setting('vcon_redis.redis_url')")[0][0], password)
        settings = stack.pg.sql("SELECT * FROM pg_settings")
        assert not leaks(repr(settings), password)
        status = stack.status()
        assert not leaks(repr(status), password), status
        for message in client_errors:
            assert not leaks(message, password), message
    finally:
        stack.pg.sql("ALTER SYSTEM RESET vcon_redis.redis_url")
        stack.pg.sql("ALTER SYSTEM RESET log_min_messages")
        stack.pg.reload()
        harness.wait_for(lambda: stack.status()["redis_url"].endswith(f":{stack.redis_server.port}/0"), 15,
                         what="worker back on the stack's Redis")
        secured.destroy()

    with stack.pg.log.open("rb") as f:
        f.seek(log_start)
        log = f.read().decode(errors="replace")
    assert 'parameter "vcon_redis.redis_url" changed to' in log  # the reload line was logged, masked
    assert "statement: " in log and "invalid input syntax for type integer" in log
    assert not leaks(log, password), [line for line in log.splitlines() if leaks(line, password)][:5]
