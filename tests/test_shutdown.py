"""Shutdown and reload: every socket is told 1012 and clients find the new process at once."""

import os
import signal
import time
from pathlib import Path

import pytest
import websocket

from e2e.harness import serve
from tests.helpers import text_of
from tests.real_visitor import RealVisitor, close_code

RESTART = 1012


@pytest.fixture
def server(tmp_path, server_settings):
    with serve(tmp_path, **server_settings) as running:
        yield running


def test_a_reload_closes_sockets_with_1012_and_pushes_flow_again(server):
    first, second = RealVisitor(server), RealVisitor(server)
    first.start("Anna")
    second.start("Bo")
    path = second.socket_path()
    ws = second.connect(path)
    assert "nummer 2" in text_of(ws.recv())
    (old_worker,) = _children(server.pid)

    os.kill(server.pid, signal.SIGHUP)  # new worker first, then the old one stops
    assert close_code(ws) == RESTART
    again, snapshot = _reconnect(second, path)  # what the htmx ws extension does on 1012
    assert "nummer 2" in text_of(snapshot)
    assert _exits(old_worker, within=10)  # the in-process hub: the new worker now serves all
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


def _children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _reconnect(visitor: RealVisitor, path: str):
    """Open the socket again until a process keeps it (one that is stopping answers 1012):
    the socket and its first frame."""
    for _ in range(50):
        ws = visitor.connect(path)
        opcode, data = ws.recv_data(control_frame=True)
        if opcode != websocket.ABNF.OPCODE_CLOSE:
            return ws, data.decode()
        ws.close()
        time.sleep(0.1)
    raise AssertionError("no process kept the socket")


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
