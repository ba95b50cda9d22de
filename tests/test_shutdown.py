"""Shutdown and reload: every socket is told 1012 and clients find the new process at once."""

import os
import signal
import time
from pathlib import Path

import pytest

from e2e.harness import serve
from tests.helpers import text_of
from tests.real_visitor import RealVisitor, close_code

RESTART = 1012


@pytest.fixture
def server(tmp_path):
    with serve(tmp_path) as running:
        yield running


def test_a_reload_closes_sockets_with_1012_and_pushes_flow_again(server):
    first, second = RealVisitor(server), RealVisitor(server)
    first.start("Anna")
    second.start("Bo")
    path = second.socket_path()
    ws = second.connect(path)
    assert "nummer 2" in text_of(ws.recv())

    os.kill(server.pid, signal.SIGHUP)  # new worker first, then the old one stops
    assert close_code(ws) == RESTART

    again = second.connect(path)  # what the htmx ws extension does on 1012
    assert "nummer 2" in text_of(again.recv())
    first.end()
    assert "nummer 1" in text_of(again.recv())  # the new process pushes
    again.close()


def test_sigterm_closes_sockets_with_1012_and_the_server_stops(server):
    visitor = RealVisitor(server)
    visitor.start("Anna")
    ws = visitor.connect()
    ws.recv()
    os.kill(server.pid, signal.SIGTERM)
    assert close_code(ws) == RESTART
    # Within the graceful timeout, not at a WORKER TIMEOUT later.
    assert _exits(server.pid, within=10)


def _exits(pid: int, within: float) -> bool:
    """Whether the process ends (or is a zombie waiting for its parent, this test) in time."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return True
        if state == "Z":
            return True
        time.sleep(0.1)
    return False
