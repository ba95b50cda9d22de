"""Retention: every transcript goes when its time is up, whoever or whatever ended the chat.

Also the chats the sweeper ended itself (the visitor gone, nobody writing, closing time, a
waiting visitor who left), and also when nobody runs a command: the sweeper's own rounds do it.
"""

from datetime import timedelta

import pytest

from backend import chats, presence, sweeper
from backend.models import EndReason, PresenceKind, Sender
from tests.helpers import wait_for

REAL_REGION = "VT01"  # open on weekdays 9 to 17, unlike the demo region


def active_chat(nickname: str) -> int:
    """A chat that Sanne (worker 1) took, with a message from each side."""
    chat = chats.create("DEMO", nickname)
    assert chats.accept(chat.id, 1)
    chats.add_message(chat.id, Sender.VISITOR, f"Ik ben {nickname}.")
    chats.add_message(chat.id, Sender.WORKER, "Fijn dat je er bent.")
    return chat.id


def seconds(app, setting: str) -> timedelta:
    return timedelta(seconds=app.config[setting])


# Each way a chat ends: what to do (with the app, its clock), and the (status, ended_by) after.
def by_visitor(app, clock):
    chat_id = active_chat("Mila")
    chats.end(chat_id, EndReason.VISITOR)
    return chat_id


def by_worker(app, clock):
    chat_id = active_chat("Mila")
    chats.end(chat_id, EndReason.WORKER)
    return chat_id


def by_quick_exit(app, clock):
    chat_id = active_chat("Mila")
    chats.quick_exit(chats.get(chat_id).token)
    return chat_id


def waiting_visitor_left(app, clock):
    chat_id = chats.create("DEMO", "Mila").id
    clock.at += seconds(app, "WAITING_GRACE_SECONDS")
    sweeper.sweep()
    return chat_id


def closing_time(app, clock):
    chat_id = chats.create(REAL_REGION, "Mila").id
    clock.at += timedelta(hours=9)  # 19:00 in Amsterdam: the region has closed
    sweeper.sweep()
    return chat_id


def visitor_gone(app, clock):
    chat_id = active_chat("Mila")
    clock.at += seconds(app, "VISITOR_GONE_SECONDS")
    sweeper.sweep()
    return chat_id


def nobody_writes(app, clock):
    chat_id = active_chat("Mila")
    presence.arrived(PresenceKind.VISITOR, chat_id)  # the pop-up stays open all along
    clock.at += seconds(app, "SILENT_SECONDS")
    sweeper.sweep()
    presence.left(PresenceKind.VISITOR, chat_id)
    return chat_id


ENDINGS = [
    (by_visitor, ("ended", "visitor")),
    (by_worker, ("ended", "worker")),
    (by_quick_exit, ("ended", "quick_exit")),
    (waiting_visitor_left, ("abandoned", "timeout")),
    (closing_time, ("abandoned", "closed")),
    (visitor_gone, ("ended", "visitor_gone")),
    (nobody_writes, ("ended", "silent")),
]


@pytest.mark.parametrize(("end", "ended"), ENDINGS, ids=[e.__name__ for e, _ in ENDINGS])
def test_every_ended_chat_loses_its_transcript_when_its_time_is_up(app, clock, end, ended):
    retention = timedelta(hours=app.config["TRANSCRIPT_RETENTION_HOURS"])
    with app.app_context():
        chat_id = end(app, clock)
        chat = chats.get(chat_id)
        assert (chat.status, chat.ended_by) == ended
        kept = [m.body for m in chats.messages(chat_id)]

        clock.at = chat.ended_at + retention - timedelta(minutes=1)
        sweeper.sweep()
        assert chats.get(chat_id).nickname == "Mila"
        assert [m.body for m in chats.messages(chat_id)] == kept

        clock.at += timedelta(minutes=2)
        assert sweeper.sweep()["transcripts deleted"] == 1
        assert chats.messages(chat_id) == []
        assert chats.get(chat_id).nickname == ""
        assert (chats.get(chat_id).status, chats.get(chat_id).ended_by) == ended


def test_the_sweeper_s_own_rounds_end_a_gone_visitor_s_chat_and_later_delete_it(app, clock):
    """Nobody runs a command: the rounds of a running app's sweeper do both."""
    with app.app_context():
        chat_id = active_chat("Mila")
    stop = sweeper.start(app, interval=0.05)
    try:
        clock.at += seconds(app, "VISITOR_GONE_SECONDS")
        with app.app_context():
            assert wait_for(lambda: chats.get(chat_id).ended_by == "visitor_gone")
            assert chats.messages(chat_id) != []
            clock.at = chats.get(chat_id).ended_at + timedelta(
                hours=app.config["TRANSCRIPT_RETENTION_HOURS"], minutes=1
            )
            assert wait_for(lambda: chats.get(chat_id).nickname == "")
            assert chats.messages(chat_id) == []
    finally:
        stop.set()
