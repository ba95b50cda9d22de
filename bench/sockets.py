"""How fast a queue change reaches every waiting visitor, beside a bare relay's fan-out.

N visitors wait in the demo region, each with its pop-up's WebSocket open. A worker accepts
the first chat (BENCH_PLACE_ROUNDS times, 3 by default, one after the other); every visitor
still waiting gets their new place. We time, from just before the accept's POST, the arrival
of each new place, and compare with the bare relay of bench/relay.py sending one frame to as
many sockets (POST /broadcast), measured by the same client. Also printed: the time to
connect, the app process's memory and threads per socket. BENCH_SOCKETS sets N (1,000).
"""

import asyncio
import os
import statistics
import tempfile
import time
import urllib.parse
from pathlib import Path

from bench import cast, profile
from bench.proc import app_pid, load_note, rss_mib, scheduled, threads
from bench.relay import start as start_relay
from bench.sturdy import cpu_seconds, raise_fd_limit
from bench.table import ms, print_table
from bench.wire import OPENING, Http, open_all
from e2e.harness import serve
from tests.chaos.server import free_port

GOAL = 0.100  # the last arrival
NEW_PLACE = b"Je bent nummer"


class Arrivals:
    """When each socket got a frame with a new place, from one moment on."""

    def __init__(self):
        self.since = 0.0
        self.at: dict[int, float] = {}

    def start(self) -> None:
        self.at.clear()
        self.since = time.perf_counter()

    def on_frame(self, socket, payload: bytes, arrived: float) -> None:
        if self.since and socket.tag not in self.at and NEW_PLACE in payload:
            self.at[socket.tag] = arrived

    async def wait_for(self, count: int, timeout: float = 30) -> list[float]:
        deadline = time.perf_counter() + timeout
        while len(self.at) < count and time.perf_counter() < deadline:
            await asyncio.sleep(0.005)
        return sorted(at - self.since for at in self.at.values())


def _round_figures(rounds: list[list[float]], expected: list[int]) -> list[str]:
    """Median of the rounds' medians; the rounds' last arrivals (each, or median and worst
    of many); how many new places never came."""
    medians = [statistics.median(r) for r in rounds if r]
    lasts = [r[-1] for r in rounds if r]
    missed = sum(want - len(got) for got, want in zip(rounds, expected, strict=True))
    if len(lasts) > 3:
        last = f"median {ms(statistics.median(lasts))}, worst {ms(max(lasts))}"
    else:
        last = " / ".join(ms(value) for value in lasts) or "-"
    return [
        ms(statistics.median(medians)) if medians else "-",
        last,
        f"{missed} of {sum(expected):,}",
    ]


async def _chat_rounds(server, visitors, workers, rounds: int) -> tuple[list, float, tuple]:
    """Open every visitor's socket, then accept the first waiting chat `rounds` times; the
    arrivals of each round, the seconds it took to connect, and the app's CPU seconds and
    seconds waiting for a CPU per round (from the accept to the last arrival)."""
    arrivals = Arrivals()
    specs = [(visitor.socket_path, None, n) for n, visitor in enumerate(visitors)]
    started = time.perf_counter()
    sockets = await open_all("localhost", server.port, specs, arrivals.on_frame, server.chat_base)
    connect_s = time.perf_counter() - started
    await asyncio.sleep(1)
    http, results = Http("localhost", server.port), []
    pid, used, waited = app_pid(server.pid), 0.0, 0.0
    with profile.recording([pid], f"place-{len(visitors)}"):
        for n in range(rounds):
            worker = workers[n // 2]
            body = urllib.parse.urlencode({"csrf_token": worker.csrf}).encode()
            headers = {"Cookie": worker.cookie, "Content-Type": "application/x-www-form-urlencoded"}
            cpu, starved = cpu_seconds(pid), scheduled(pid)[1]
            arrivals.start()
            status, answer, _body = await http.request(
                "POST", f"/console/chats/{visitors[n].chat_id}/accept", body, headers
            )
            where = answer.get("location", "")
            if status != 303 or not where.endswith(f"/chats/{visitors[n].chat_id}"):
                raise RuntimeError(f"the accept was refused: {status} {where}")
            results.append(await arrivals.wait_for(len(visitors) - n - 1))
            used += cpu_seconds(pid) - cpu
            waited += scheduled(pid)[1] - starved
            await asyncio.sleep(0.5)
    for socket in sockets:
        socket.close()
    http.close()
    return results, connect_s, (used / rounds, waited / rounds)


async def _relay_rounds(port: int, count: int, rounds: int) -> list:
    arrivals = Arrivals()
    origin = f"http://localhost:{port}"
    specs = [(f"/visitor/{n}", None, n) for n in range(count)]
    sockets = await open_all("localhost", port, specs, arrivals.on_frame, origin, first_frame=False)
    http, results = Http("localhost", port), []
    for _ in range(rounds):
        arrivals.start()
        await http.request("POST", "/broadcast", NEW_PLACE + b" 1")
        results.append(await arrivals.wait_for(count))
        await asyncio.sleep(0.2)
    for socket in sockets:
        socket.close()
    http.close()
    return results


def main():
    n = int(os.environ.get("BENCH_SOCKETS", "1000"))
    rounds = int(os.environ.get("BENCH_PLACE_ROUNDS", "3"))
    machine = load_note()
    raise_fd_limit()
    relay_port = free_port()
    relay = start_relay(relay_port)
    try:
        relay_results = asyncio.run(_relay_rounds(relay_port, n - 1, rounds))
    finally:
        relay.terminate()
        relay.wait()
    with (
        tempfile.TemporaryDirectory() as folder,
        serve(Path(folder), **cast.SETTINGS) as server,
    ):
        app = cast.app_for(server.database_url, server.secret_key)
        workers = cast.add_workers(app, -(-rounds // 2))
        visitors = cast.add_chats(app, n, with_cookies=False)
        app.extensions["db_engine"].dispose()
        pid = app_pid(server.pid)
        idle_rss, idle_threads = rss_mib(pid), threads(pid)
        chat_results, connect_s, (cpu, waited) = asyncio.run(
            _chat_rounds(server, visitors, workers, rounds)
        )
        held_rss, held_threads = rss_mib(pid), threads(pid)

    chat = _round_figures(chat_results, [n - 1 - k for k in range(rounds)])
    relay = _round_figures(relay_results, [n - 1] * rounds)
    names = [
        "new place, median arrival",
        "new place, last arrival of each round",
        "new places that never came (30 s)",
    ]
    goals = ["", f"<= {ms(GOAL)}", "0"]
    rows = [list(row) for row in zip(names, chat, relay, goals, strict=True)]
    print_table(
        f"bench sockets: a place change after one accept, {n} waiting visitors",
        ["figure", "chat, 1 process, SQLite", "bare relay, 1 frame to all", "goal"],
        rows,
        [
            f"{rounds} rounds: each accepts the first waiting chat; timed from just before the "
            "accept's POST (the relay: before its POST /broadcast)",
            f"app process per round, from the accept to the last arrival: {ms(cpu)} on a CPU, "
            f"{ms(waited)} runnable but waiting for one (other work on the machine)",
            f"connect + first snapshot, all {n}, {OPENING} at a time: {connect_s:.1f} s",
            f"app process RSS idle {idle_rss:.0f} MiB -> {held_rss:.0f} MiB with {n} sockets "
            f"({(held_rss - idle_rss) * 1024 / n:.0f} KiB per socket); threads {idle_threads}"
            f" -> {held_threads}",
            machine,
        ],
    )


if __name__ == "__main__":
    main()
