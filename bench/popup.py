"""Requests per second of the status pop-up, beside a bare "hello" on the same server stack.

The status pop-up is what a host page's iframe loads before anyone opens the launcher:
GET /w/<site> without a cookie (a first visit), the page saying whether the chat is open.
The bare hello (bench/hello_app.py) runs under the same gunicorn settings: gevent, one
process (bench/hello_conf.py). Both are loaded by wrk, one after the other, for
BENCH_POPUP_SECONDS (10) each over BENCH_POPUP_CONNECTIONS (32) connections, after a short
warm-up. The goal: the pop-up at 70% or more of the hello's rate. Access logs are off for
both, as in every benchmark. wrk comes from Debian: apt-get install -y wrk.
"""

import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from bench import profile
from bench.proc import app_pid, load_note, scheduled
from bench.sturdy import cpu_seconds
from bench.table import print_table
from e2e.harness import BIN, ROOT, serve
from tests.chaos.server import free_port

GOAL = 0.70
INSTALL = "apt-get install -y wrk   (Debian; or: sudo apt-get install -y wrk)"


def wrk(url: str, seconds: int, connections: int) -> dict:
    """Requests/s, latency p50 and p99, and errors of one wrk run."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    figures = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))}
    for name, share in (("p50", "50%"), ("p99", "99%")):
        found = re.search(rf"^\s+{share}\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        scale = {"us": 1e-3, "ms": 1.0, "s": 1e3}[found.group(2)] if found else 0
        figures[name] = float(found.group(1)) * scale if found else None
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(r"Socket errors: (.*)", output)
    figures["bad"] = int(bad.group(1)) if bad else 0
    figures["errors"] = errors.group(1) if errors else "none"
    return figures


def measure(url: str, pid: int, seconds: int, connections: int, name: str) -> dict:
    wrk(url, 2, connections)  # warm-up: imports, template caches, connections
    with profile.recording([pid], name):
        cpu, started, starved = cpu_seconds(pid), time.perf_counter(), scheduled(pid)[1]
        figures = wrk(url, seconds, connections)
        took = time.perf_counter() - started
        figures["cpu"] = (cpu_seconds(pid) - cpu) / took
        figures["starved"] = (scheduled(pid)[1] - starved) / took
    with urllib.request.urlopen(url) as answer:
        figures["bytes"] = len(answer.read())
    return figures


def hello_server(port: int) -> subprocess.Popen:
    env = {**os.environ, "VTCHAT_BIND": f"127.0.0.1:{port}", "VTCHAT_ACCESS_LOG": "0"}
    command = [str(BIN / "gunicorn"), "-c", "bench/hello_conf.py", "bench.hello_app:create_app()"]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the hello server did not come up")


def _column(figures: dict) -> list[str]:
    def latency(value):
        return "-" if value is None else f"{value:.1f} ms"

    return [
        f"{figures['rps']:,.0f}",
        f"{latency(figures['p50'])} / {latency(figures['p99'])}",
        f"{figures['bytes']:,} B",
        f"{figures['cpu']:.0%} (+{figures['starved']:.0%} waiting for one)",
        f"{figures['bad']} / {figures['errors']}",
    ]


def main() -> None:
    if shutil.which("wrk") is None:
        print("\nbench popup: skipped, wrk is missing. Install it with:\n  " + INSTALL)
        return
    seconds = int(os.environ.get("BENCH_POPUP_SECONDS", "10"))
    connections = int(os.environ.get("BENCH_POPUP_CONNECTIONS", "32"))
    machine = load_note()
    port = free_port()
    hello = hello_server(port)
    try:
        hello_url = f"http://127.0.0.1:{port}/"
        bare = measure(hello_url, app_pid(hello.pid), seconds, connections, "hello")
    finally:
        hello.terminate()
        hello.wait()
    with tempfile.TemporaryDirectory() as folder, serve(Path(folder), ACCESS_LOG="0") as server:
        pid = app_pid(server.pid)
        popup = measure(server.widget_url(), pid, seconds, connections, "popup")
    names = [
        "requests per second",
        "latency p50 / p99",
        "answer body",
        "server on a CPU (1 core = 100%)",
        "non-2xx/3xx / socket errors",
    ]
    ratio = popup["rps"] / bare["rps"]
    rows = [
        list(row)
        for row in zip(names, _column(popup), _column(bare), ["", "", "", "", "0"], strict=True)
    ]
    rows.append(["pop-up / hello", f"{ratio:.0%}", "", f">= {GOAL:.0%}"])
    print_table(
        "bench popup: the status pop-up (GET /w/<site>, first visit) beside a bare hello",
        ["figure", "status pop-up", "bare hello", "goal"],
        rows,
        [
            f"wrk, 1 thread, {connections} connections, {seconds} s each after a 2 s warm-up; "
            "gunicorn gevent, 1 process, access log off; wrk's timeout is 2 s",
            "on a CPU: CPU time over wall time; in brackets, runnable but waiting for a CPU "
            "(other work on the machine)",
            machine,
        ],
    )


if __name__ == "__main__":
    main()
