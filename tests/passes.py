"""`make test`'s passes: the whole suite on SQLite, then again on PostgreSQL behind nginx.

Pass 1: unit, integration and e2e tests on SQLite, the e2e ones against one gunicorn (as
`make run`). Pass 2: the same tests on a throwaway PostgreSQL, the e2e ones against two
gunicorn masters on PostgreSQL and the Redis hub behind nginx (tests/services.py); tests that
reach no database (templates, the catalogue, config files) ran in pass 1 and are left out,
saying how many. Each pass runs one pytest-xdist worker more than there are cores: the e2e
tests are dealt into two chains (e2e/conftest.py), each run one test after the other on one
worker with its own server and browser, while the other workers take the rest.

Without PostgreSQL, Redis or nginx installed, what needs them is skipped with a loud banner
naming it and the command that installs it; with VTCHAT_CI=1 (.ci/run) that is an error.
A pass fails on any pytest exit code but 0, "no tests collected" (5) included.
"""

import os
import re
import subprocess
import sys
import time

from tests import services

# A worker running e2e tests mostly waits for a browser and a server, and the others keep the
# cores busy meanwhile: one worker more than there are cores (pass 1 on this 2-core machine:
# 10 min with two workers, 8 min 40 s with three). Four were barely faster (8 min 00-30 s)
# and starved the servers that tests start: the chaos test's logins went unanswered.
WORKERS = str((os.cpu_count() or 1) + 1)
PYTEST = [sys.executable, "-m", "pytest", "-n", WORKERS, "--dist", "loadgroup", "--durations=12"]
STACK = "VTCHAT_E2E_STACK"


def banner(lines: list[str]) -> None:
    width = max(len(line) for line in lines) + 4
    print("\n" + "!" * width, flush=True)
    for line in lines:
        print(f"! {line.ljust(width - 4)} !")
    print("!" * width + "\n", flush=True)


def run(title: str, arguments: list[str], env: dict[str, str]) -> tuple[str, int, float]:
    print(f"\n==== {title} ====", flush=True)
    started = time.monotonic()
    code = subprocess.run([*PYTEST, *arguments], env={**os.environ, **env}).returncode
    return title, code, time.monotonic() - started


def left_out(arguments: list[str], env: dict[str, str]) -> str:
    """How many tests the PostgreSQL pass leaves out (pytest-xdist does not report it)."""
    listed = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", *arguments],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
    ).stdout
    found = re.search(r"(\d+) deselected", listed)
    count = found.group(1) if found else "no"
    return (
        f"\n{count} tests that reach no database are left out of pass 2: pass 1 ran them,"
        " and they would run the same (tests/conftest.py, DATABASE_FIXTURES)."
    )


def minutes(seconds: float) -> str:
    return f"{int(seconds // 60)} min {int(seconds % 60):02d} s"


def main(arguments: list[str]) -> int:
    """Run both passes with `arguments` given to each pytest; 0 only if every pass passed."""
    absent = services.missing()
    if absent and os.environ.get("VTCHAT_CI") == "1":
        banner(
            [
                f"CI needs {', '.join(absent)} and will not skip them.",
                f"Install: {services.install_command(absent)}",
            ]
        )
        return 1
    results = [run("pass 1: SQLite, one gunicorn", arguments, {STACK: "sqlite"})]
    skipped = []
    if "postgresql" in absent:
        skipped.append("pass 2 (all tests on PostgreSQL, e2e behind nginx)")
    else:
        with services.environment(["postgresql"]) as variables:
            if absent:  # PostgreSQL, but no Redis or nginx for the e2e stack
                skipped.append("pass 2's e2e tests (PostgreSQL + Redis + 2 gunicorns + nginx)")
                title, extra = "pass 2: PostgreSQL, no e2e", ["-m", "not e2e"]
            else:
                title, extra = "pass 2: PostgreSQL; e2e on Redis, two gunicorns, nginx", []
            # Tests that reach no database run the same again: left out (tests/conftest.py).
            env = {**variables, STACK: "postgres-nginx", "VTCHAT_SECOND_PASS": "1"}
            print(left_out([*extra, *arguments], env), flush=True)
            results.append(run(title, [*extra, *arguments], env))

    print("\n==== durations ====")
    for title, code, seconds in results:
        print(f"{title}: {minutes(seconds)}, {'passed' if code == 0 else f'FAILED ({code})'}")
    if skipped:
        banner(
            [f"SKIPPED: {part}" for part in skipped]
            + [
                f"Not installed: {', '.join(absent)}.",
                f"To run them: {services.install_command(absent)}",
                "(CI, .ci/run, installs it and never skips.)",
            ]
        )
    return 0 if all(code == 0 for _title, code, _seconds in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
