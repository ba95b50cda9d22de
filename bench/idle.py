"""Idle visitor sockets one app process holds: its memory, beside the bare relay's.

BENCH_IDLE_SOCKETS (10,000) visitors wait in the demo region, each with its pop-up's socket
open and its first snapshot received. We print the app process's RSS before and with them,
per socket, its threads, and the CPU it spends holding them for a while doing nothing;
beside it the bare relay of bench/relay.py holding as many sockets. The goal: at least
10,000 in one process under 1 GB RSS.

Every socket the app opens costs it a snapshot and a presence write, so opening them is
slow; no new one is begun after BENCH_IDLE_OPEN_SECONDS (180), and the RSS at the full count
is then extrapolated from the sockets opened, and marked so.
"""

import asyncio
import os
import tempfile
import time
from pathlib import Path

from bench import cast
from bench.proc import app_pid, load_note, rss_mib, threads
from bench.relay import start as start_relay
from bench.sturdy import cpu_seconds, raise_fd_limit
from bench.table import print_table
from bench.wire import open_all
from e2e.harness import serve
from tests.chaos.server import free_port

GOAL_MIB = 1024
HOLD_SECONDS = 10


async def _hold(port: int, specs: list[tuple], origin: str, pid: int, first_frame: bool) -> dict:
    """Open the sockets, let the process settle, measure, close; the figures."""
    before_rss, before_threads = rss_mib(pid), threads(pid)
    within = float(os.environ.get("BENCH_IDLE_OPEN_SECONDS", "180"))
    started = time.perf_counter()
    sockets = await open_all("localhost", port, specs, None, origin, first_frame, within)
    opened = time.perf_counter() - started
    await asyncio.sleep(2)
    cpu = cpu_seconds(pid)
    await asyncio.sleep(HOLD_SECONDS)
    figures = {
        "begun": len(sockets),
        "open": sum(1 for s in sockets if s.close_code is None),
        "seconds": opened,
        "before": before_rss,
        "rss": rss_mib(pid),
        "threads": f"{before_threads} -> {threads(pid)}",
        "idle_cpu": (cpu_seconds(pid) - cpu) / HOLD_SECONDS,
    }
    for socket in sockets:
        socket.close()
    return figures


def _column(figures: dict, count: int) -> list[str]:
    begun = max(figures["begun"], 1)
    per_socket = (figures["rss"] - figures["before"]) / begun
    at_count = f"{figures['rss']:,.0f} MiB"
    if begun < count:
        at_count = f"{figures['before'] + per_socket * count:,.0f} MiB (extrapolated)"
    return [
        f"{figures['open']:,} of {count:,}",
        f"{figures['seconds']:.0f} s ({begun / figures['seconds']:,.0f}/s)",
        f"{figures['before']:.0f} MiB",
        f"{figures['rss']:,.0f} MiB",
        at_count,
        f"{per_socket * 1024:.0f} KiB",
        figures["threads"],
        f"{figures['idle_cpu']:.1%}",
    ]


def main() -> None:
    count = int(os.environ.get("BENCH_IDLE_SOCKETS", "10000"))
    fd_limit = raise_fd_limit()
    machine = load_note()
    relay_port = free_port()
    relay = start_relay(relay_port)
    try:
        specs = [(f"/visitor/{n}", None, n) for n in range(count)]
        origin = f"http://localhost:{relay_port}"
        relay_figures = asyncio.run(_hold(relay_port, specs, origin, relay.pid, False))
    finally:
        relay.terminate()
        relay.wait()
    with tempfile.TemporaryDirectory() as folder, serve(Path(folder), **cast.SETTINGS) as server:
        app = cast.app_for(server.database_url, server.secret_key)
        visitors = cast.add_chats(app, count, with_cookies=False)
        app.extensions["db_engine"].dispose()
        specs = [(visitor.socket_path, None, n) for n, visitor in enumerate(visitors)]
        pid = app_pid(server.pid)
        chat_figures = asyncio.run(_hold(server.port, specs, server.chat_base, pid, True))
    names = [
        "sockets open after the hold",
        "time to open them (16 at a time)",
        "process RSS before",
        "process RSS with them",
        f"process RSS with {count:,}",
        "RSS per socket",
        "OS threads",
        f"CPU while idle ({HOLD_SECONDS} s; 1 core = 100%)",
    ]
    goals = [f">= {count:,}", "", "", "", f"< {GOAL_MIB:,} MiB", "", "", ""]
    rows = [
        list(row)
        for row in zip(
            names, _column(chat_figures, count), _column(relay_figures, count), goals, strict=True
        )
    ]
    print_table(
        f"bench idle: {count:,} waiting visitors' sockets in one process",
        ["figure", "chat, 1 process, SQLite", "bare relay", "goal"],
        rows,
        [f"each chat socket has had its first snapshot; fd limit {fd_limit}", machine],
    )


if __name__ == "__main__":
    main()
