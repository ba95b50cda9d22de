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
