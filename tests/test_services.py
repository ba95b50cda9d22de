"""The throwaway services of the test run (tests/services.py): they leave nothing behind, and
nginx in front of the app passes on the scheme and host, never who the client is."""

import os
import threading
import urllib.request
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg
import pytest

from tests import services


def needs(service: str) -> None:
    """Skip when the service is not installed, saying how to get it; CI never skips."""
    if service in services.missing([service]) and os.environ.get("VTCHAT_CI") != "1":
        pytest.skip(f"{service} not installed: {services.install_command([service])}")


@contextmanager
def recorder(name: str):
    """An HTTP server on a free port that answers its name and keeps the headers it got."""
    seen: list[dict[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append({k.lower(): v for k, v in self.headers.items()})
            self.send_response(200)
            self.end_headers()
            self.wfile.write(name.encode())

        def log_message(self, *_args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1], seen
    finally:
        server.shutdown()
        server.server_close()


def fetch(url: str, **headers: str) -> str:
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as got:
        return got.read().decode()


def test_a_throwaway_postgresql_takes_databases_and_leaves_nothing_behind():
    needs("postgresql")
    with services.postgres() as server:
        url = server.create_database("kept_for_a_moment")
        assert "host=" in url and "kept_for_a_moment" in url
        with server.connect("kept_for_a_moment") as connection:
            assert connection.execute("SELECT 1 + 1").fetchone() == (2,)
        server.drop_database("kept_for_a_moment")
    assert not Path(server.socket_dir).exists()
    with pytest.raises(psycopg.OperationalError):
        server.connect()


def test_nginx_passes_on_scheme_and_host_but_never_the_client_address():
    needs("nginx")
    with recorder("app") as (port, seen), services.nginx([port]) as proxy:
        assert fetch(f"http://localhost:{proxy.port}/w/demo") == "app"
    (headers,) = seen
    assert headers["x-forwarded-proto"] == "http"
    assert headers["x-forwarded-host"] == f"localhost:{proxy.port}"
    assert headers["host"] == f"localhost:{proxy.port}"
    assert not {"x-forwarded-for", "x-real-ip", "forwarded"} & set(headers)
    assert not proxy.folder.exists()


def test_nginx_spreads_requests_over_the_instances_or_sends_them_to_the_one_named():
    needs("nginx")
    with (
        recorder("first") as (first, _),
        recorder("second") as (second, _),
        services.nginx([first, second]) as proxy,
    ):
        base = f"http://127.0.0.1:{proxy.port}/"
        assert {fetch(base) for _ in range(4)} == {"first", "second"}
        pinned = {services.INSTANCE_HEADER: "1"}
        assert {fetch(base, **pinned) for _ in range(4)} == {"second"}
