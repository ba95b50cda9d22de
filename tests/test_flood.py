"""The flood figures of bench/sturdy.py, scaled down: one client cannot take the chat down.

A real gunicorn (the gevent worker of backend/gunicorn_conf.py). What is asserted is what a
visitor or operator would notice, never a time: the pop-up still starts, messages still
arrive, one person's sockets are bounded, and threads do not pile up.
"""

import pytest

from bench.sturdy import SETTINGS, RunningChat, Slowloris, _status, churn, close_codes, open_sockets
from tests.chaos.people import Visitor
from tests.chaos.scenario import add_workers
from tests.chaos.server import ChaosServer

SOCKETS, HALF_SENT, CYCLES = 200, 200, 300


@pytest.fixture
def server(tmp_path, server_settings):
    running = ChaosServer(tmp_path, **SETTINGS, **server_settings)
    running.prepare()
    running.start()
    yield running
    running.stop()


def threads(server: ChaosServer) -> int:
    return int(_status(server.app_pid())["Threads"])


def test_a_flood_of_sockets_and_half_sent_requests_takes_nobody_down(server):
    (worker,) = add_workers(server, 1)
    worker.log_in()
    running = RunningChat(server, worker)
    target = Visitor(server.base, "flooded")
    target.start()

    loris = Slowloris(server.port, HALF_SENT).start()
    try:
        flood, failed = open_sockets(target.socket_url, SOCKETS, server.base)
        assert failed == 0
        newcomer = Visitor(server.base, "newcomer")
        newcomer.start()  # page, form, start and the chat's page all answered
        assert running.delivery() is not None  # the running chat's message arrived
        codes = close_codes(flood)
        # One chat's ticket holds a few sockets; the newest win, the rest are told why.
        assert codes["open"] == 3
        assert codes[1008] == SOCKETS - 3
    finally:
        loris.stop()
        for ws in flood:
            ws.shutdown()


def test_connecting_and_closing_sockets_leaves_no_threads_behind(server):
    before = threads(server)
    took, outcomes = churn(server, CYCLES)
    assert outcomes == {"connected": CYCLES}
    assert threads(server) <= before
