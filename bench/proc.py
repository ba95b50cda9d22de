"""Figures of a running process from /proc: which one is gunicorn's app, its memory, threads."""

import os
from pathlib import Path


def _status(pid: int) -> dict[str, str]:
    with open(f"/proc/{pid}/status") as f:
        return dict(line.split(":\t", 1) for line in f.read().splitlines() if ":\t" in line)


def app_pid(master_pid: int) -> int:
    """gunicorn's (first) app process under its master."""
    return app_pids(master_pid)[0]


def app_pids(master_pid: int) -> list[int]:
    """gunicorn's app processes under its master."""
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    return [int(pid) for pid in children]


def rss_mib(pid: int) -> float:
    return int(_status(pid)["VmRSS"].split()[0]) / 1024


def threads(pid: int) -> int:
    return int(_status(pid)["Threads"])


def scheduled(pid: int) -> tuple[float, float]:
    """Seconds a process's threads have run on a CPU, and waited for one while runnable.

    The second tells a server starved of CPU by other work on the machine from one that is
    off the CPU on its own account (idle, or blocked in a file system call)."""
    ran = waited = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            run, wait, _slices = (task / "schedstat").read_text().split()
        except (OSError, ValueError):
            continue  # a thread that ended meanwhile
        ran, waited = ran + int(run), waited + int(wait)
    return ran / 1e9, waited / 1e9


def load_note() -> str:
    """The machine's load before a run: other work on the 2 cores skews every figure."""
    one, five, _rest = Path("/proc/loadavg").read_text().split(" ", 2)
    return f"machine: {os.cpu_count()} cores, load average {one} (1 min) {five} (5 min) before"
