"""The gunicorn settings keep the visitor out of the logs, and a started process settled."""

import gc
import importlib.util
import logging
from pathlib import Path

import pytest

CONF = Path(__file__).resolve().parent.parent / "backend" / "gunicorn_conf.py"


def load_conf():
    spec = importlib.util.spec_from_file_location("gunicorn_conf", CONF)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_access_log_format_names_no_client_address_agent_or_query():
    conf = load_conf()
    for atom in ("%(h)s", "%(a)s", "%(q)s", "%(U)s?", "%(r)s", "%({x-forwarded-for}i)s"):
        assert atom not in conf.access_log_format
    assert "%(U)s" in conf.access_log_format  # the path alone


def test_a_rejected_request_is_logged_without_the_client_address(caplog):
    conf = load_conf()
    conf.post_fork(server=None, worker=None)
    logger = logging.getLogger("gunicorn.error")
    try:
        with caplog.at_level(logging.WARNING, logger="gunicorn.error"):
            logger.warning(
                "Invalid request from ip={ip}: {error}".format(ip="203.0.113.9", error="x")
            )
        assert "Invalid request" in caplog.text
        assert "203.0.113.9" not in caplog.text
    finally:
        for f in [f for f in logger.filters if isinstance(f, conf.HideClientAddress)]:
            logger.removeFilter(f)


def test_one_process_holds_the_in_process_hub():
    assert load_conf().workers == 1


class Server:
    """What on_starting reads of gunicorn's arbiter."""

    def __init__(self, workers):
        self.cfg = type("Config", (), {"workers": workers})()


def test_several_processes_are_refused_without_a_hub_between_them(monkeypatch):
    conf = load_conf()
    monkeypatch.delenv("VTCHAT_HUB_URL", raising=False)
    with pytest.raises(RuntimeError, match="VTCHAT_HUB_URL=redis"):
        conf.on_starting(Server(workers=2))
    monkeypatch.setenv("VTCHAT_HUB_URL", "redis://127.0.0.1:6379/0")
    conf.on_starting(Server(workers=2))  # with Redis between them they may start


def test_a_started_process_keeps_what_it_loaded_out_of_full_collections():
    thresholds = gc.get_threshold()
    gc.unfreeze()
    try:
        load_conf().keep_what_lasts()
        assert gc.get_freeze_count() > 10_000  # modules, the app and more
        assert gc.get_threshold()[2] == 100
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
