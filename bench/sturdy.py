"""Can one client take the chat down? Figures for one gunicorn process under a flood.

1. Flood: one client opens BENCH_FLOOD_SOCKETS WebSockets (default 2,000: half with one
   chat's ticket, half as one logged-in worker on the console) and BENCH_SLOWLORIS
   half-sent requests (default 1,000: a request line and a header, never finished; one
   the server cuts off is opened anew). Before it, while it opens and while it is held we
   time a new visitor's pop-up (its page, the form, the start, the chat's page) and how
   long a running chat's message takes from the visitor's send to the worker's socket.
2. Churn: BENCH_CYCLES visitor sockets (default 10,000) connect, get their snapshot and
   close; the server's OS threads and memory before and after.
3. What the limits refused: close codes per kind of socket (1008: a newer socket of the
   same person won; 1013: the process holds as many sockets as it may).

Every client comes from 127.0.0.1 here, so the per-client start limit would count the
measuring visitors as the attacker: the rate limits are set wide for this run (the flood
is of sockets and half-sent requests, which they do not cover). BENCH_GUNICORN_CONF runs
another gunicorn configuration (e.g. the threaded one from before, for comparison).
Figures are printed, never asserted.
"""

import os
import re
import resource
import socket
import statistics
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import websocket

from backend import chats, create_app, tickets
from tests.chaos.browser import NoAnswer, socket_url
from tests.chaos.people import Visitor, Worker
from tests.chaos.scenario import add_workers
from tests.chaos.server import ChaosServer

SETTINGS = {
    "ACCESS_LOG": "0",
    "START_LIMIT_PER_CLIENT": "100000 per minute",
    "START_LIMIT_PER_REGION": "100000 per minute",
    "VISITOR_MESSAGE_LIMIT": "100000 per minute",
    "WORKER_MESSAGE_LIMIT": "100000 per minute",
}
SAMPLES_BEFORE, SAMPLES_DURING = 10, 20
CONNECT_TIMEOUT = 10
GIVE_UP = 16  # handshakes failing in a row: the server no longer answers


def _status(pid: int) -> dict[str, str]:
    with open(f"/proc/{pid}/status") as f:
        return dict(line.split(":\t", 1) for line in f.read().splitlines() if ":\t" in line)


def threads_and_rss(pid: int) -> str:
    status = _status(pid)
    rss = int(status["VmRSS"].split()[0]) / 1024
    return f"{int(status['Threads'])} threads, RSS {rss:.0f} MiB"


def cpu_seconds(pid: int) -> float:
    """User and system CPU time the process has used."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def raise_fd_limit() -> int:
    """As many open files as the system lets us (the server, started by us, inherits it)."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 65536
    resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return wanted


def spread(values: list[float]) -> str:
    if not values:
        return "no samples"
    ms = sorted(v * 1000 for v in values)
    return f"median {statistics.median(ms):.0f} ms, max {ms[-1]:.0f} ms (n={len(ms)})"


class RunningChat:
    """A chat in progress: the visitor sends, the worker's console socket receives."""

    def __init__(self, server: ChaosServer, worker: Worker):
        self.visitor = Visitor(server.base, "bench-running")
        self.visitor.start()
        chat_id = int(server.query("SELECT id FROM chat WHERE nickname = 'bench-running'")[0][0])
        assert worker.accept(chat_id), "the running chat could not be taken"
        self.arrivals: dict[str, float] = {}
        self.ws = websocket.create_connection(
            socket_url(server.base, worker.browser.get(f"/console/chats/{chat_id}").text),
            origin=server.base,
            cookie=worker.browser.cookie_header(),
            timeout=CONNECT_TIMEOUT,
        )
        self.ws.settimeout(None)
        self.sent = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        while True:
            try:
                frame = self.ws.recv()
            except (OSError, websocket.WebSocketException):
                return
            now = time.perf_counter()
            for text in re.findall(r"bench-msg-\d+", frame or ""):
                self.arrivals.setdefault(text, now)

    def delivery(self, timeout: float = 30) -> float | None:
        """Seconds from the visitor's send to the worker's socket; None if it never came."""
        self.sent += 1
        text = f"bench-msg-{self.sent}"
        started = time.perf_counter()
        self.visitor.send(text)
        deadline = started + timeout
        while text not in self.arrivals and time.perf_counter() < deadline:
            time.sleep(0.002)
        return self.arrivals[text] - started if text in self.arrivals else None


class Sampler:
    """Times a new visitor's start and a running chat's message, again and again."""

    def __init__(self, server: ChaosServer, chat: RunningChat):
        self.server, self.chat, self.made = server, chat, 0
        self.popups: list[float] = []
        self.deliveries: list[float] = []
        self.failed = 0  # starts without an answer, messages that never arrived

    def sample(self) -> None:
        """A new visitor opens the pop-up, gets the form, starts and sees the chat's page;
        then the running chat's visitor sends one message."""
        self.made += 1
        visitor = Visitor(self.server.base, f"bench-new-{self.made}")
        started = time.perf_counter()
        try:
            visitor.start()
            self.popups.append(time.perf_counter() - started)
            took = self.chat.delivery()
        except (NoAnswer, AssertionError):
            took = None
        if took is None:
            self.failed += 1
        else:
            self.deliveries.append(took)

    def take(self, count: int) -> "Sampler":
        for _ in range(count):
            self.sample()
            time.sleep(0.2)
        return self

    def meanwhile(self, work):
        """Sample over and over while `work()` runs; what it returns."""
        done = threading.Event()

        def keep_sampling():
            while not done.is_set():
                self.sample()
                done.wait(0.2)

        thread = threading.Thread(target=keep_sampling, daemon=True)
        thread.start()
        try:
            return work()
        finally:
            done.set()
            thread.join()

    def report(self, when: str) -> None:
        print(f"  {when}: a new visitor's pop-up, form, start and chat page {spread(self.popups)}")
        print(
            f"  {' ' * len(when)}  a message, visitor's send to the worker's socket "
            f"{spread(self.deliveries)}"
        )
        if self.failed:
            print(f"  {' ' * len(when)}  {self.failed} starts or messages failed or took > 30 s")


def open_sockets(url: str, count: int, origin: str, cookie: str | None = None) -> tuple:
    """`count` sockets to `url`, opened by 8 threads: (the open ones, handshakes that failed).

    After GIVE_UP consecutive failures the server is taken to be down and the rest count
    as failed without trying (each try could take CONNECT_TIMEOUT).
    """
    failures_in_a_row = 0

    def one(_):
        nonlocal failures_in_a_row
        if failures_in_a_row >= GIVE_UP:
            return None
        try:
            ws = websocket.create_connection(
                url, origin=origin, cookie=cookie, timeout=CONNECT_TIMEOUT
            )
        except (OSError, websocket.WebSocketException):
            failures_in_a_row += 1
            return None
        failures_in_a_row = 0
        return ws

    with ThreadPoolExecutor(8) as pool:
        opened = list(pool.map(one, range(count)))
    return [ws for ws in opened if ws is not None], sum(1 for ws in opened if ws is None)


def close_code(ws, timeout: float) -> int | str:
    """The close code the server sent this socket, 'open' if none came within `timeout`,
    or 1006 (broken)."""
    ws.settimeout(timeout)
    try:
        while True:
            opcode, data = ws.recv_data(control_frame=True)
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                return int.from_bytes(data[:2], "big") if len(data) >= 2 else 1005
    except websocket.WebSocketTimeoutException:
        return "open"
    except (OSError, websocket.WebSocketException):
        return 1006


def close_codes(sockets: list, settle: float = 5.0) -> Counter:
    """How each socket stands now: the server's close code, 'open', or 1006 (broken).

    A close the server has decided may still be on its way (a busy process sends it late):
    sockets still open are asked again until `settle` seconds have passed in all.
    """
    codes: Counter = Counter()
    still, deadline = list(sockets), time.monotonic() + settle
    while still:
        left = []
        for ws in still:
            code = close_code(ws, 0.01)
            if code == "open":
                left.append(ws)
            else:
                codes[code] += 1
        still = left
        if time.monotonic() >= deadline:
            break
        time.sleep(0.1)
    if still:
        codes["open"] = len(still)
    return codes


class Slowloris:
    """Keeps `count` half-sent requests open (a request line and one header, never more),
    opening a new one for each the server cuts off."""

    def __init__(self, port: int, count: int):
        self.port, self.count = port, count
        self.held: list[socket.socket] = []
        self.cut_off = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._keep, daemon=True)

    def start(self) -> "Slowloris":
        while len(self.held) < self.count:
            self.held.append(self._open())
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        for s in self.held:
            s.close()

    def _open(self) -> socket.socket:
        s = socket.create_connection(("127.0.0.1", self.port), timeout=CONNECT_TIMEOUT)
        s.sendall(f"GET /w/demo-utrecht HTTP/1.1\r\nHost: localhost:{self.port}\r\n".encode())
        s.setblocking(False)
        return s

    def _keep(self) -> None:
        while not self._stop.wait(0.2):
            for n, s in enumerate(self.held):
                try:
                    s.recv(1)  # an answer or the end: the server let go of it
                except BlockingIOError:
                    continue  # still waiting for the rest of the request
                except OSError:
                    pass
                s.close()
                self.cut_off += 1
                self.held[n] = self._open()


def churn(server: ChaosServer, cycles: int, parallel: int = 10) -> tuple[float, Counter]:
    """`cycles` visitor sockets connect, get their snapshot and close, over `parallel` chats."""
    app = create_app({"DATABASE_URL": server.database_url, "SECRET_KEY": server.secret_key})
    with app.app_context():
        urls = [
            f"ws://localhost:{server.port}/w/demo-utrecht/ws?t="
            + tickets.issue(tickets.SOCKET, chats.create("DEMO", f"bench-churn-{n}").token)
            for n in range(parallel)
        ]
    app.extensions["db_engine"].dispose()
    outcomes: Counter = Counter()

    def cycle_on(url: str) -> None:
        for _ in range(cycles // parallel):
            try:
                ws = websocket.create_connection(url, origin=server.base, timeout=CONNECT_TIMEOUT)
                ws.recv()
                ws.close()
                outcomes["connected"] += 1
            except (OSError, websocket.WebSocketException) as error:
                outcomes[type(error).__name__] += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(parallel) as pool:
        list(pool.map(cycle_on, urls))
    return time.perf_counter() - started, outcomes


def main() -> None:
    flood = int(os.environ.get("BENCH_FLOOD_SOCKETS", "2000"))
    loris = int(os.environ.get("BENCH_SLOWLORIS", "1000"))
    cycles = int(os.environ.get("BENCH_CYCLES", "10000"))
    fd_limit = raise_fd_limit()
    with tempfile.TemporaryDirectory() as folder:
        server = ChaosServer(Path(folder), **SETTINGS)
        server.conf = os.environ.get("BENCH_GUNICORN_CONF", server.conf)
        server.prepare()
        server.start()
        try:
            report(server, flood, loris, cycles, fd_limit)
        finally:
            server.stop()


def report(server: ChaosServer, flood: int, loris: int, cycles: int, fd_limit: int) -> None:
    pid = server.app_pid()
    print(f"bench sturdy: one gunicorn process ({server.conf}), SQLite, fd limit {fd_limit}")
    attacker, helper = add_workers(server, 2)
    attacker.log_in()
    helper.log_in()
    chat = RunningChat(server, helper)
    target = Visitor(server.base, "bench-attacker")
    target.start()
    print(f"  idle: {threads_and_rss(pid)}")
    Sampler(server, chat).take(SAMPLES_BEFORE).report("before the flood")

    def open_flood():
        started = time.perf_counter()
        loris_attack = Slowloris(server.port, loris).start()
        on_ticket = open_sockets(target.socket_url, flood // 2, server.base)
        on_console = open_sockets(
            socket_url(server.base, attacker.browser.get("/console/").text),
            flood - flood // 2,
            server.base,
            attacker.browser.cookie_header(),
        )
        return loris_attack, on_ticket, on_console, time.perf_counter() - started

    opening = Sampler(server, chat)
    loris_attack, (on_ticket, ticket_failed), (on_console, console_failed), took = (
        opening.meanwhile(open_flood)
    )
    print(
        f"  flood opened in {took:.1f} s: {loris} half-sent requests, {len(on_ticket)} "
        f"sockets on one chat's ticket ({ticket_failed} handshakes failed), "
        f"{len(on_console)} console sockets of one worker ({console_failed} failed)"
    )
    opening.report("while it opened")
    print(f"  with the flood held: {threads_and_rss(pid)}")
    Sampler(server, chat).take(SAMPLES_DURING).report("with the flood held")
    ticket_codes, console_codes = close_codes(on_ticket), close_codes(on_console)
    print(
        f"  the flood's sockets now, by close code (1008: a newer one of the same person won, "
        f"1013: the process is full): one chat's ticket {dict(ticket_codes)}; "
        f"one worker's console {dict(console_codes)}"
    )
    loris_attack.stop()
    print(
        f"  half-sent requests: {loris} kept open by the client; the server cut off "
        f"{loris_attack.cut_off} of them (each then opened anew)"
    )
    for ws in on_ticket + on_console:
        ws.shutdown()
    time.sleep(2)
    print(f"  after the flood: {threads_and_rss(pid)}")

    before, cpu = threads_and_rss(pid), cpu_seconds(pid)
    took, outcomes = churn(server, cycles)
    cpu = cpu_seconds(pid) - cpu
    time.sleep(2)
    done = sum(outcomes.values())
    print(
        f"  churn: {done} visitor socket connect/snapshot/close cycles in {took:.1f} s "
        f"({dict(outcomes)}), server CPU {cpu / max(done, 1) * 1000:.1f} ms per cycle"
    )
    print(f"         {before} before, {threads_and_rss(pid)} after")


if __name__ == "__main__":
    main()
