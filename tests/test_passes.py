"""`make test`'s PostgreSQL pass leaves out only the tests that reach no database."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def collected(path: str, second_pass: bool) -> int:
    env = {
        **os.environ,
        "VTCHAT_TEST_POSTGRES": "1",
        "VTCHAT_SECOND_PASS": "1" if second_pass else "",
    }
    listed = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:xdist", path],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout
    return sum(1 for line in listed.splitlines() if "::" in line)


def test_the_postgresql_pass_keeps_every_test_that_reaches_a_database():
    assert collected("tests/test_widget.py", True) == collected("tests/test_widget.py", False) > 50
    assert collected("e2e/test_form.py", True) == collected("e2e/test_form.py", False) > 0


def test_the_postgresql_pass_leaves_out_the_tests_that_reach_none():
    assert collected("tests/test_hours.py", False) > 30
    assert collected("tests/test_hours.py", True) == 0


GROUPING_CONFTEST = """
import pytest

@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    for item in items:
        item.add_marker(pytest.mark.xdist_group("e2e"))
"""
GROUPED_TEST = """
import os

def test_{n}():
    with open("workers.txt", "a") as ran_on:
        ran_on.write(os.environ["PYTEST_XDIST_WORKER"] + "\\n")
"""


def test_a_group_marked_by_a_conftest_runs_on_one_worker(tmp_path):
    # e2e/conftest.py marks the e2e tests this way, each chain sharing one server stack; a
    # pytest or pytest-xdist release that ignores it gives every worker a stack of its own
    # (pytest 9.2 with pytest-xdist 3.8 did) and the CI run outgrows its time.
    (tmp_path / "conftest.py").write_text(GROUPING_CONFTEST)
    for n in range(8):
        (tmp_path / f"test_{n}.py").write_text(GROUPED_TEST.format(n=n))
    finished = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-n",
            "3",
            "--dist",
            "loadgroup",
            "-p",
            "no:cacheprovider",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert finished.returncode == 0, finished.stdout
    workers = (tmp_path / "workers.txt").read_text().split()
    assert len(workers) == 8 and len(set(workers)) == 1, workers
