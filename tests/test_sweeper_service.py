"""The sweeper as a service of its own (`flask run-sweeper`, vtchat-sweeper.service), and app
processes that then leave sweeping to it (VTCHAT_SWEEP_IN_APP=0)."""

import threading
from datetime import timedelta

import pytest

from backend import chats, presence, sweeper, sweeper_cli
from backend.models import EndReason, PresenceKind
from tests.helpers import all_chats


def ended_long_ago(app, clock):
    """A chat whose transcript is past the retention time: the next full round deletes it."""
    with app.app_context():
        chat = chats.create("DEMO", "Anna")
        chats.end(chat.id, EndReason.VISITOR)
    clock.at += timedelta(hours=app.config["TRANSCRIPT_RETENTION_HOURS"] + 1)
    return chat


def test_the_service_refuses_an_in_process_hub(app):
    result = app.test_cli_runner().invoke(args=["run-sweeper"])
    assert result.exit_code == 1
    assert "VTCHAT_HUB_URL is memory://" in result.output
    assert "would reach no open pop-up or console" in result.output


def test_the_service_sweeps_at_once_and_stops_when_told(app, clock, capsys):
    chat = ended_long_ago(app, clock)
    stop = threading.Event()
    stop.set()  # as SIGTERM would during the first round
    sweeper_cli.run(app, stop)  # returns after that round instead of waiting for the next
    (swept,) = [c for c in all_chats(app) if c.id == chat.id]
    assert swept.nickname == ""
    assert "transcripts deleted: 1" in capsys.readouterr().out


def test_a_failed_round_is_logged_and_the_service_goes_on(app, monkeypatch, caplog):
    def broken():
        raise RuntimeError("database away")

    monkeypatch.setattr(sweeper, "sweep", broken)
    stop = threading.Event()
    stop.set()
    sweeper_cli.run(app, stop)
    assert "sweep failed" in caplog.text


@pytest.mark.parametrize(("in_app", "expected"), [(True, "sweep"), (False, "sweep_own")])
def test_app_processes_sweep_all_or_only_their_own_part(make_app, monkeypatch, in_app, expected):
    app = make_app(SWEEP_IN_APP=in_app)
    called = []
    done = threading.Event()
    for name in ("sweep", "sweep_own"):
        monkeypatch.setattr(sweeper, name, lambda name=name: called.append(name) or done.set())
    stop = sweeper.start(app, interval=0.01)
    assert done.wait(10), "the sweeper thread never ran a round"
    stop.set()
    assert set(called) == {expected}


def test_an_app_process_leaving_the_sweep_still_renews_its_presence(make_app, clock):
    app = make_app(SWEEP_IN_APP=False)
    chat = ended_long_ago(app, clock)
    with app.app_context():
        waiting = chats.create("DEMO", "Bram")
        presence.arrived(PresenceKind.VISITOR, waiting.id)
        clock.at += timedelta(seconds=app.config["PRESENCE_SECONDS"] - 1)
        sweeper.sweep_own()
        clock.at += timedelta(seconds=app.config["PRESENCE_SECONDS"] - 1)
        # Renewed a moment ago: still there, long after the first row would have lapsed.
        assert presence.present(PresenceKind.VISITOR, waiting.id)
    (kept,) = [c for c in all_chats(app) if c.id == chat.id]
    assert kept.nickname == "Anna"  # purging is the service's work now
