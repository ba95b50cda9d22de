"""Where the app process spends its time during a benchmark: py-spy, on demand.

BENCH_PROFILE=folder makes the benchmarks that support it record their app processes with
py-spy (sampling BENCH_PROFILE_RATE times a second, 100 by default, without pausing them)
while they measure, write the collapsed
stacks to folder/<name>-<pid>.txt (flamegraph.pl or speedscope read them) and print the top
functions by own time and by time including what they call. py-spy is a profiling tool, not
a dependency: `.venv/bin/pip install py-spy`.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")
TOP = 15


def py_spy() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


@contextmanager
def recording(pids: list[int], name: str):
    """Record `pids` while the block runs, if BENCH_PROFILE names a folder."""
    folder = os.environ.get("BENCH_PROFILE")
    tool = py_spy()
    if not folder:
        yield
        return
    if tool is None:
        print("  (no profile: py-spy is missing; .venv/bin/pip install py-spy)")
        yield
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    rate = os.environ.get("BENCH_PROFILE_RATE", "100")
    runs = []
    for pid in pids:
        output = Path(folder) / f"{name}-{pid}.txt"
        command = [tool, "record", "--pid", str(pid), "--rate", rate, "--nonblocking"]
        command += ["--format", "raw", "--output", str(output)]
        spy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        runs.append((spy, output))
    time.sleep(1)  # attached before the measuring starts
    try:
        yield
    finally:
        for spy, output in runs:
            spy.send_signal(signal.SIGINT)
            spy.wait(timeout=60)
            if output.exists():
                print_summary(output)


def _frame(text: str) -> tuple[str, str]:
    """("function", "file:line") of one collapsed frame; paths shortened from site-packages."""
    found = FRAME.match(text.strip())
    if not found:
        return text.strip(), ""
    file = re.sub(r"^.*/(site-packages|lib/python3\.\d+)/", "", found["file"])
    file = re.sub(r"^/.*?/(?=(backend|bench|widget|e2e|tests)/)", "", file)
    return found["function"], f"{file}:{found['line']}" if found["line"] else file


def summarise(path: Path) -> tuple[int, Counter, Counter, dict]:
    """Samples in all; by function its own samples, and samples with it anywhere on the stack;
    and each function's hottest line of its own."""
    total, own, inclusive = 0, Counter(), Counter()
    lines: dict[tuple[str, str], Counter] = {}
    for row in path.read_text().splitlines():
        stack, _, count = row.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples = int(count)
        total += samples
        frames = [_frame(text) for text in stack.split(";")]
        seen = set()
        for function, place in frames:
            key = (function, place.rsplit(":", 1)[0])
            if key not in seen:
                seen.add(key)
                inclusive[key] += samples
        function, place = frames[-1]
        key = (function, place.rsplit(":", 1)[0])
        own[key] += samples
        lines.setdefault(key, Counter())[place] += samples
    return total, own, inclusive, lines


def print_summary(path: Path) -> None:
    total, own, inclusive, lines = summarise(path)
    if not total:
        print(f"  profile {path}: no samples")
        return
    print(f"  profile {path} ({total} samples while the process was busy):")
    print("    own time (the function itself):")
    for key, samples in own.most_common(TOP):
        where = lines[key].most_common(1)[0][0]
        print(f"      {samples / total:6.1%}  {key[0]}  {where}")
    print("    with what it calls (app code, templates and the database layer):")
    shown = 0
    for (function, file), samples in inclusive.most_common():
        if not re.match(r"(backend/|widget/|jinja2/|sqlalchemy/|sqlmodel/|simple_websocket)", file):
            continue
        print(f"      {samples / total:6.1%}  {function}  {file}")
        shown += 1
        if shown == TOP * 2:
            break
