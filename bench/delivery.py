"""Message delivery, visitor to worker, every message stored first; beside a bare relay.

C chats are under way over every region, two per worker (the default capacity), and each
chat's visitor sends one message every C/rate seconds, the chats spread evenly over that
period. A visitor sends as the pop-up's form does: an htmx POST to /w/<site>/send with the
session cookie and the CSRF token, over a kept-alive connection (at most one per visitor).
Every pop-up has its socket open (it gets the message back too). Every worker has both their
chats open, each in a console page (tab) of its own with that chat on screen, so each
message has a page where its words appear, and the worker's other page hears of it as well
(unread count, sound); BENCH_DELIVERY_PAGES=worker gives each worker one page instead, their
first chat on screen (only those chats are timed). A message's delivery is the time from
just before its POST is written to the moment the frame with its words arrives at that
page's socket; the client's CPU and how late it started sends are printed to show it is
not the bottleneck.

In the same run, with the same client code, the bare relay of bench/relay.py: each pair of
sockets passes the text on, sent by WebSocket (the floor of the wire) and sent by an HTTP
POST (the floor of what the pop-up does). Loads: 200 chats at 100 messages/s and 1,000 at
500/s (BENCH_DELIVERY_LOADS="200:100,1000:500"), each for BENCH_DELIVERY_SECONDS (20).

The server under test is a `Target`: one gunicorn on SQLite, and, when PostgreSQL and Redis
are at hand (`shared_services`), one gunicorn with two processes on SQLite and a Redis hub
(both cores, the least cost per message), the same on PostgreSQL, and two gunicorns sharing
PostgreSQL and Redis: visitors on one, workers on the other. BENCH_PROFILE=folder records
the app processes with py-spy during each chat run.
"""

import asyncio
import importlib.util
import itertools
import os
import random
import re
import resource
import secrets
import tempfile
import time
import urllib.parse
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from bench import cast, profile
from bench.cast import SETTINGS
from bench.proc import app_pids, load_note, scheduled
from bench.relay import start as start_relay
from bench.sturdy import cpu_seconds, raise_fd_limit
from bench.table import ms, percentile, print_table
from bench.wire import Http, Socket, open_all
from e2e.harness import DEMO_SITE, Server, serve
from tests.chaos.server import free_port

GOALS = {200: 0.100, 1000: 0.250}  # p99 at 200 chats / 100 msg/s, 1,000 chats / 500 msg/s
WORDS = re.compile(rb"bm-(\d+)-(\d+)x")
DRAIN_SECONDS = 15  # after the last send: what has not arrived by then counts as lost


@dataclass
class Target:
    """A chat server under test: where visitors and workers go, and its app processes."""

    name: str
    visitor_server: Server
    worker_server: Server
    database_url: str
    secret_key: str

    @property
    def pids(self) -> list[int]:
        servers = (self.visitor_server, self.worker_server)
        return sorted({pid for server in servers for pid in app_pids(server.pid)})


@dataclass
class Result:
    sent: int = 0
    refused: int = 0  # sends answered with an error, or the text kept in the box
    latencies: list[float] = field(default_factory=list)
    answers: list[float] = field(default_factory=list)  # until the send's HTTP answer
    server_cpu: float = 0.0  # share of one core
    server_starved: float = 0.0  # share of the time its threads waited for a CPU
    client_cpu: float = 0.0
    client_starved: float = 0.0
    client_lags: list[float] = field(default_factory=list)  # sends begun after their moment
    connections: int = 0  # HTTP connections the client opened
    throughput: float = 0.0  # messages a second that made it, from the first send to the last
    cpu_per_message: float = 0.0  # server CPU seconds per message that made it
    setup: str = ""

    @property
    def delivered(self) -> float:
        return len(self.latencies) / self.sent if self.sent else 0.0

    def column(self) -> list[str]:
        ordered = sorted(self.latencies)
        return [
            ms(percentile(ordered, 0.50)),
            ms(percentile(ordered, 0.90)),
            ms(percentile(ordered, 0.99)),
            ms(ordered[-1] if ordered else None),
            f"{self.delivered:.1%} of {self.sent:,}",
            f"{self.refused:,}",
            _spread(self.answers),
            f"{self.throughput:,.0f}/s",
            f"{self.server_cpu:.0%} (+{self.server_starved:.0%} waiting for one)",
            ms(self.cpu_per_message),
            f"{self.client_cpu:.0%} (+{self.client_starved:.0%}); {_spread(self.client_lags)}",
        ]


ROWS = [
    "p50",
    "p90",
    "p99",
    "max",
    "delivered",
    "sends refused or failed",
    "the send's HTTP answer, p50 / p99",
    "delivered per second, first send to last arrival",
    "server on a CPU (1 core = 100%)",
    "server CPU per delivered message",
    "client on a CPU; its late starts p50 / p99",
]


def _spread(values: list[float]) -> str:
    ordered = sorted(values)
    if not ordered:
        return "-"
    return f"{ms(percentile(ordered, 0.5))} / {ms(percentile(ordered, 0.99))}"


class Load:
    """The messages of one run: when each was sent, when its words arrived."""

    def __init__(self, measured: set[int] | None = None):
        self.sent_at: dict[tuple[int, int], float] = {}
        self.arrived: dict[tuple[int, int], float] = {}
        self.answered: list[float] = []
        # The chats whose words show on a page (all, unless a worker has one page only).
        self.measured = measured

    def counts(self, chat: int) -> bool:
        return self.measured is None or chat in self.measured

    def on_page(self, socket: Socket, payload: bytes, arrived: float) -> None:
        """A frame at the page where chat `socket.tag`'s words show."""
        for chat, number in WORDS.findall(payload):
            key = (int(chat), int(number))
            if key[0] == socket.tag and key not in self.arrived:
                self.arrived[key] = arrived

    @staticmethod
    def words(chat: int, number: int) -> str:
        return f"bm-{chat}-{number}x"


async def _drive(load: Load, send, chats: int, rate: float, seconds: float, pids: list[int]):
    """Every chat sends every chats/rate seconds for `seconds`; the figures of it."""
    loop = asyncio.get_running_loop()
    period, rng = chats / rate, random.Random(8)
    start = loop.time() + 0.5
    plan = []
    for chat in range(chats):
        at, number = start + rng.uniform(0, period), 0
        while at < start + seconds:
            plan.append((at, chat, number))
            at, number = at + period, number + 1
    expected = sum(1 for _at, chat, _number in plan if load.counts(chat))
    result = Result(sent=expected)
    tasks = []

    def fire(at, chat, number):
        result.client_lags.append(loop.time() - at)
        tasks.append(loop.create_task(send(chat, number)))

    for at, chat, number in plan:
        loop.call_at(at, fire, at, chat, number)
    await asyncio.sleep(max(0.0, start - loop.time()))
    cpu, wall = sum(cpu_seconds(pid) for pid in pids), time.perf_counter()
    starved = sum(scheduled(pid)[1] for pid in pids)
    own = resource.getrusage(resource.RUSAGE_SELF)
    own_starved = scheduled(os.getpid())[1]
    await asyncio.sleep(max(0.0, start + seconds - loop.time()) + 0.01)
    drain_until = time.perf_counter() + DRAIN_SECONDS
    done, pending = await asyncio.wait(tasks, timeout=DRAIN_SECONDS)
    for task in pending:
        task.cancel()
    result.refused = len(pending) + sum(
        1 for task in done if task.exception() or task.result() is False
    )
    errors = {repr(task.exception()) for task in done if task.exception()}
    if errors:
        print("  send errors:", "; ".join(sorted(errors)[:5]))
    while len(load.arrived) < expected and time.perf_counter() < drain_until:
        await asyncio.sleep(0.01)
    end = max(load.arrived.values(), default=time.perf_counter())
    if len(load.arrived) < expected:
        end = time.perf_counter()
    took = max(end - wall, 1e-9)
    made_it = len(tasks) * len(load.arrived) / max(expected, 1)
    result.throughput = made_it / took
    server_cpu = sum(cpu_seconds(pid) for pid in pids) - cpu
    result.server_cpu = server_cpu / took
    result.server_starved = (sum(scheduled(pid)[1] for pid in pids) - starved) / took
    result.client_starved = (scheduled(os.getpid())[1] - own_starved) / took
    result.cpu_per_message = server_cpu / max(made_it, 1)
    used = resource.getrusage(resource.RUSAGE_SELF)
    result.client_cpu = (used.ru_utime + used.ru_stime - own.ru_utime - own.ru_stime) / took
    result.answers = load.answered
    result.latencies = [
        load.arrived[key] - at for key, at in load.sent_at.items() if key in load.arrived
    ]
    return result


async def chat_run(target: Target, chats: int, rate: float, seconds: float, pages: str) -> Result:
    """The chat app: `chats` chats, two per worker; visitors on one server, workers on the
    other (the same one for a single instance). `pages`: "chat", each chat on screen in a
    console page of its own; "worker", one page per worker, their first chat on screen."""
    started = time.perf_counter()
    app = cast.app_for(target.database_url, target.secret_key)
    # Spread over every region, as the national chat is: a worker's console hears of the
    # comings and goings of their own region's colleagues only.
    workers = cast.add_workers(app, -(-chats // 2), regions=cast.region_codes(app))
    visitors = cast.add_chats(app, chats, workers)
    app.extensions["db_engine"].dispose()
    on_screen = range(chats) if pages == "chat" else range(0, chats, 2)
    load = Load(None if pages == "chat" else set(on_screen))
    v_server, w_server = target.visitor_server, target.worker_server
    consoles = [
        (cast.Worker.socket_path(visitors[n].chat_id), workers[n // 2].cookie, n) for n in on_screen
    ]
    popups = [(visitor.socket_path, None, n) for n, visitor in enumerate(visitors)]
    sockets = await open_all("localhost", w_server.port, consoles, load.on_page, w_server.chat_base)
    sockets += await open_all("localhost", v_server.port, popups, None, v_server.chat_base)
    setup = (
        f"{len(consoles)} console and {len(popups)} pop-up sockets; set up in "
        f"{time.perf_counter() - started:.0f} s"
    )
    http = Http("localhost", v_server.port, limit=chats)
    path = f"/w/{DEMO_SITE}/send"

    async def send(chat: int, number: int) -> bool:
        visitor, words = visitors[chat], Load.words(chat, number)
        form = {"body": words, "send_key": secrets.token_urlsafe(12), "csrf_token": visitor.csrf}
        body = urllib.parse.urlencode(form).encode()
        headers = {
            "Cookie": visitor.cookie,
            "HX-Request": "true",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        load.sent_at[(chat, number)] = at = time.perf_counter()
        status, answer_headers, answer = await http.request("POST", path, body, headers)
        load.answered.append(time.perf_counter() - at)
        # Stored: a 2xx that empties the box. A refusal keeps the words in the box; an
        # expired form is the start form again, retargeted to the panel.
        retargeted = "hx-retarget" in answer_headers
        return 200 <= status < 300 and words.encode() not in answer and not retargeted

    with profile.recording(target.pids, f"delivery-{chats}-{pages}"):
        result = await _drive(load, send, chats, rate, seconds, target.pids)
    result.connections, result.setup = http.opened, setup
    http.close()
    for socket in sockets:
        socket.close()
    return result


async def relay_run(port: int, pid: int, chats: int, rate: float, seconds: float, by_http: bool):
    """The bare relay: pairs of sockets, the visitor's text sent by WebSocket or by POST."""
    load = Load()
    origin = f"http://localhost:{port}"
    pages = [(f"/worker/{n}", None, n) for n in range(chats)]
    popups = [(f"/visitor/{n}", None, n) for n in range(chats)]
    sockets = await open_all("localhost", port, pages, load.on_page, origin, first_frame=False)
    visitor_sockets = await open_all("localhost", port, popups, None, origin, first_frame=False)
    http = Http("localhost", port, limit=chats)

    async def send(chat: int, number: int) -> bool:
        words = Load.words(chat, number)
        load.sent_at[(chat, number)] = started = time.perf_counter()
        if not by_http:
            visitor_sockets[chat].send_text(words)
            return True
        status, _headers, _answer = await http.request("POST", f"/send/{chat}", words.encode())
        load.answered.append(time.perf_counter() - started)
        return 200 <= status < 300

    result = await _drive(load, send, chats, rate, seconds, [pid])
    result.connections = http.opened
    http.close()
    for socket in sockets + visitor_sockets:
        socket.close()
    return result


def loads() -> list[tuple[int, int]]:
    raw = os.environ.get("BENCH_DELIVERY_LOADS", "200:100,1000:500")
    return [tuple(int(x) for x in part.split(":")) for part in raw.split(",") if part]


def single_instance(stack: ExitStack) -> Target:
    folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
    server = stack.enter_context(serve(folder, **SETTINGS))
    return Target("chat, 1 process, SQLite", server, server, server.database_url, server.secret_key)


def shared_services(stack: ExitStack):
    """For the variants on two processes: a function giving each load its (database URL, hub
    URL), or None. BENCH_DATABASE_URL and BENCH_HUB_URL name running ones; else throwaway
    PostgreSQL and Redis are started (tests/services.py) when installed and the app has a
    Redis hub. BENCH_TWO_INSTANCES=0 leaves them out."""
    if os.environ.get("BENCH_TWO_INSTANCES", "auto") == "0":
        return None
    given = os.environ.get("BENCH_DATABASE_URL"), os.environ.get("BENCH_HUB_URL")
    if all(given):
        return lambda: given
    if not all(importlib.util.find_spec(name) for name in ("backend.redis_hub", "tests.services")):
        print("  (two instances left out: this tree has no Redis hub or tests/services.py)")
        return None
    from tests import services  # the throwaway servers of the test suite

    if absent := services.missing(["postgresql", "redis"]):
        print(f"  (two instances left out; to include them: {services.install_command(absent)})")
        return None
    postgres = stack.enter_context(services.postgres())
    redis = stack.enter_context(services.redis())
    numbers = itertools.count(1)

    def fresh():
        n = next(numbers)
        return postgres.create_database(f"bench{n}"), redis.url(n % 16)

    return fresh


def two_instances(stack: ExitStack, urls) -> Target:
    """Two gunicorns sharing a database and a hub: visitors on one, workers on the other."""
    database_url, hub_url = urls()
    shared = {
        **SETTINGS,
        "DATABASE_URL": database_url,
        "HUB_URL": hub_url,
        "RATELIMIT_STORAGE_URI": hub_url,
        "SECRET_KEY": secrets.token_hex(32),  # cookies and tickets hold on both
    }
    servers = [
        stack.enter_context(
            serve(Path(stack.enter_context(tempfile.TemporaryDirectory())), **shared)
        )
        for _ in range(2)
    ]
    return Target(
        "chat, 2 instances, PostgreSQL + Redis", *servers, database_url, shared["SECRET_KEY"]
    )


def two_processes(stack: ExitStack, urls, postgres: bool) -> Target:
    """One gunicorn with two worker processes (both cores), the hub on Redis, sharing
    PostgreSQL or one SQLite file (the least cost per message: no database server beside)."""
    database_url, hub_url = urls()
    settings = {**SETTINGS, "WORKERS": "2", "HUB_URL": hub_url, "RATELIMIT_STORAGE_URI": hub_url}
    if postgres:
        settings["DATABASE_URL"] = database_url
    folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
    server = stack.enter_context(serve(folder, **settings))
    database = "PostgreSQL" if postgres else "SQLite"
    return Target(
        f"chat, 2 processes, {database} + Redis",
        server,
        server,
        server.database_url,
        server.secret_key,
    )


def main() -> None:
    fd_limit = raise_fd_limit()
    seconds = float(os.environ.get("BENCH_DELIVERY_SECONDS", "20"))
    pages = os.environ.get("BENCH_DELIVERY_PAGES", "chat")
    relay_port = free_port()
    with ExitStack() as running:
        relay = start_relay(relay_port)
        running.callback(relay.wait)
        running.callback(relay.terminate)
        shared = shared_services(running)
        for chats, rate in loads():
            machine = load_note()
            columns = [
                asyncio.run(relay_run(relay_port, relay.pid, chats, rate, seconds, False)),
                asyncio.run(relay_run(relay_port, relay.pid, chats, rate, seconds, True)),
            ]
            makers = [single_instance]
            if shared is not None:
                makers.append(lambda stack: two_processes(stack, shared, postgres=False))
                makers.append(lambda stack: two_processes(stack, shared, postgres=True))
                makers.append(lambda stack: two_instances(stack, shared))
            names = []
            for make in makers:
                with ExitStack() as stack:  # a fresh server (and database) for every load
                    target = make(stack)
                    names.append(target.name)
                    columns.append(asyncio.run(chat_run(target, chats, rate, seconds, pages)))
            report(chats, rate, seconds, pages, names, columns, [machine, f"fd limit {fd_limit}"])


def report(chats, rate, seconds, pages, names, columns: list[Result], notes: list[str]) -> None:
    goal = GOALS.get(chats)
    header = ["figure", "relay, WS send", "relay, HTTP send", *names, "goal"]
    rows = []
    for n, name in enumerate(ROWS):
        cells = [column.column()[n] for column in columns]
        aim = {"p99": f"<= {ms(goal)}" if goal else "", "delivered": "100%"}.get(name, "")
        rows.append([name, *cells, aim])
    layout = {
        "chat": "2 console pages each, one per chat on screen",
        "worker": "1 console page each, its first chat on screen (only those are timed)",
    }[pages]
    print_table(
        f"bench delivery: {chats} chats at {rate} messages/s",
        header,
        rows,
        [
            f"{chats} chats over every region, {-(-chats // 2)} workers with {layout}; every "
            "pop-up's socket "
            f"open; a message every {chats / rate:.1f} s per chat = {rate} msg/s for "
            f"{seconds:.0f} s",
            "delivery: from just before the visitor's send to its words at the socket of "
            "the worker's page",
            "on a CPU: CPU time over the run's wall time; in brackets, the time runnable but "
            "waiting for a CPU (other work on the machine)",
            "late start: how late the client began a send against its plan; HTTP connections "
            "opened: " + ", ".join(str(column.connections) for column in columns),
            *(f"{name}: {column.setup}" for name, column in zip(names, columns[2:], strict=True)),
            *notes,
        ],
    )


if __name__ == "__main__":
    main()
