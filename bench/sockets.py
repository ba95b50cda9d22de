"""How many waiting visitors one process holds, and how fast a queue change reaches them all.

N visitors wait in the demo region, each with an open WebSocket. A worker accepts the first
chat; every other visitor's place changes. We print the time to connect, the worker's memory
and threads per socket, and how long it takes until every visitor has seen their new place.
BENCH_SOCKETS sets N (default 500); gunicorn is allowed enough connections to hold them.
"""

import os
import re
import selectors
import statistics
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import websocket

from backend import chats, create_app
from backend.visitor import tickets
from backend.visitor.page_session import CONSOLE_COOKIE
from e2e.harness import serve

COOKIE = CONSOLE_COOKIE  # the worker's session: this browser only uses the console


def _status(pid: int) -> dict[str, str]:
    with open(f"/proc/{pid}/status") as f:
        lines = f.read().splitlines()
    return dict(line.split(":\t", 1) for line in lines if ":\t" in line)


def rss_mib(pid: int) -> float:
    return int(_status(pid)["VmRSS"].split()[0]) / 1024


def threads(pid: int) -> int:
    return int(_status(pid)["Threads"])


class Browser:
    """Just enough of a browser for the console: one session cookie, forms with CSRF."""

    def __init__(self, base: str):
        self.base, self.cookie = base, None
        self.opener = urllib.request.build_opener(_NoRedirect)

    def request(self, path, data=None) -> str:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body)
        if self.cookie:
            req.add_header("Cookie", f"{COOKIE}={self.cookie}")
        with self.opener.open(req) as response:
            for header in response.headers.get_all("Set-Cookie") or []:
                # http.cookies does not know the Partitioned attribute; name=value comes first.
                name, _, value = header.split(";", 1)[0].partition("=")
                if name == COOKIE:
                    self.cookie = value
            return response.read().decode()

    def token(self, path) -> str:
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', self.request(path)).group(1)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None

    def http_error_303(self, req, fp, code, msg, headers):
        return fp


def main():
    n = int(os.environ.get("BENCH_SOCKETS", "500"))
    with (
        tempfile.TemporaryDirectory() as folder,
        serve(Path(folder), WORKER_CONNECTIONS=str(n + 1000), ACCESS_LOG="0") as server,
    ):
        app = create_app({"DATABASE_URL": server.database_url, "SECRET_KEY": server.secret_key})
        with app.app_context():
            chat_ids, socket_tickets = [], []
            for i in range(n):
                chat = chats.create("DEMO", f"bench{i}")
                chat_ids.append(chat.id)
                # What the pop-up's page names its socket with.
                socket_tickets.append(tickets.issue(tickets.SOCKET, chat.token))
        worker_pid = int(
            Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()[0]
        )
        idle_rss, idle_threads = rss_mib(worker_pid), threads(worker_pid)

        started = time.perf_counter()
        sockets = []
        for ticket in socket_tickets:
            ws = websocket.create_connection(
                f"ws://localhost:{server.port}/w/demo-utrecht/ws?t={ticket}",
                origin=server.chat_base,
                timeout=30,
            )
            assert "Je bent nummer" in ws.recv()
            sockets.append(ws)
        connect_s = time.perf_counter() - started
        time.sleep(1)
        held_rss, held_threads = rss_mib(worker_pid), threads(worker_pid)

        worker = Browser(server.chat_base)
        worker.request(
            "/console/login",
            {"username": "demo", "password": "demo", "csrf_token": worker.token("/console/login")},
        )
        token = worker.token("/console/")
        selector = selectors.DefaultSelector()
        for ws in sockets[1:]:
            selector.register(ws.sock, selectors.EVENT_READ, ws)
        pending, arrivals = set(sockets[1:]), []
        sent = time.perf_counter()
        worker.request(f"/console/chats/{chat_ids[0]}/accept", {"csrf_token": token})
        while pending and time.perf_counter() - sent < 60:
            for key, _ in selector.select(timeout=1):
                ws = key.data
                if ws in pending and "Je bent nummer" in ws.recv():
                    pending.discard(ws)
                    arrivals.append(time.perf_counter() - sent)
        for ws in sockets:
            ws.close()

    print(f"bench sockets: {n} waiting visitors, one gunicorn process (gevent), SQLite")
    print(
        f"  connect + first snapshot, all {n}: {connect_s:.2f} s "
        f"({connect_s / n * 1000:.1f} ms each, one after the other)"
    )
    print(
        f"  worker RSS idle {idle_rss:.0f} MiB -> {held_rss:.0f} MiB with {n} sockets "
        f"({(held_rss - idle_rss) * 1024 / n:.0f} KiB per socket)"
    )
    print(
        f"  worker threads idle {idle_threads} -> {held_threads} "
        f"({(held_threads - idle_threads) / n:.1f} per socket)"
    )
    if arrivals:
        arrivals.sort()
        print(
            f"  new places after one accept reached {len(arrivals)}/{n - 1} visitors: "
            f"median {statistics.median(arrivals) * 1000:.0f} ms, "
            f"p95 {arrivals[int(len(arrivals) * 0.95) - 1] * 1000:.0f} ms, "
            f"last {arrivals[-1] * 1000:.0f} ms"
        )
    if pending:
        print(f"  {len(pending)} visitors did not get their new place within 60 s")


if __name__ == "__main__":
    main()
