"""The sweeper reads the database: presence and purges survive restarts, several may sweep."""

from datetime import timedelta

from backend import chats, create_app, presence, timeouts
from backend.models import PresenceKind
from tests.helpers import all_chats

VISITOR = PresenceKind.VISITOR


def test_a_restarted_process_still_lets_the_gone_visitor_go(make_app, clock):
    first = make_app()
    with first.app_context():
        chat = chats.create("DEMO", "Anna")
        presence.arrived(VISITOR, chat.id)
        presence.left(VISITOR, chat.id)
    # Another process on the same database (a restart, or a second instance) sweeps later.
    clock.at += timedelta(seconds=first.config["WAITING_GRACE_SECONDS"])
    second = create_app({**first.config, "HUB": first.extensions["hub"]})
    with second.app_context():
        assert timeouts.abandon_gone() == [chat.id]
        assert timeouts.abandon_gone() == []  # a second sweeper finds nothing left to do
    (gone,) = all_chats(first)
    assert (gone.status, gone.ended_by) == ("abandoned", "timeout")


def test_the_sweep_command_does_one_round(app, runner, clock):
    with app.app_context():
        chat = chats.create("DEMO", "Anna")
        presence.arrived(VISITOR, chat.id)
        presence.left(VISITOR, chat.id)
    clock.at += timedelta(seconds=app.config["WAITING_GRACE_SECONDS"])
    result = runner.invoke(args=["sweep"])
    assert result.exit_code == 0, result.output
    assert "left the queue: 1" in result.output
