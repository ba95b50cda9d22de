"""At closing time the waiting visitors are told and leave the queue; active chats go on."""

from datetime import timedelta

import pytest

from backend import chats, presence, sweeper, workers
from backend.hub import chat_topic
from backend.models import PresenceKind
from tests.helpers import WEDNESDAY_MORNING, all_chats, log_in, start_chat, text_of

# Utrecht's region: open Monday to Friday 09:00-17:00, like every real region in the seed.
REGION = "VT20"
CLOSING = WEDNESDAY_MORNING.replace(hour=16)  # 17:00 in Amsterdam


PASSWORD = "lang genoeg wachtwoord"


@pytest.fixture
def worker_id(app):
    with app.app_context():
        return workers.add("utrecht", "Noor", REGION, PASSWORD).id


def test_waiting_visitors_are_told_at_closing_time_and_leave_the_queue(app, client, clock, hub):
    clock.at = CLOSING - timedelta(minutes=10)
    start_chat(client, region=REGION)
    with app.app_context():
        (chat,) = chats.waiting(REGION)
        sweeper.sweep()
        assert chats.waiting(REGION) == [chat]  # still open: nothing happens
        clock.at = CLOSING
        hub.clear()
        assert sweeper.sweep()["closed queue"] == 1
        assert chats.waiting(REGION) == []
        assert chats.get(chat.id).ended_by == "closed"
    assert {"type": "state", "chat": chat.id} in hub.events(
        chat_topic(chat.id)
    )  # the pop-up redraws live
    page = text_of(client.get("/w/demo-utrecht?continued=1").text)
    assert "De chat is nu gesloten" in page
    assert "0800 2000" in page


def test_an_active_chat_goes_on_after_closing_time(app, client, clock, worker_id):
    clock.at = CLOSING - timedelta(minutes=10)
    start_chat(client, region=REGION)
    with app.app_context():
        (chat,) = chats.waiting(REGION)
        assert chats.accept(chat.id, worker_id)
        presence.arrived(PresenceKind.VISITOR, chat.id)  # the pop-up stays open
        clock.at = CLOSING + timedelta(minutes=20)
        sweeper.sweep()
        assert chats.get(chat.id).status == "active"
        assert chats.add_message(chat.id, "worker", "We praten gewoon verder.") is not None


def test_nobody_is_taken_on_after_hours(app, client, clock, worker_id):
    clock.at = CLOSING - timedelta(minutes=1)
    start_chat(client, region=REGION)
    clock.at = CLOSING
    with app.app_context():
        (chat,) = chats.waiting(REGION)
        assert not chats.accept(chat.id, worker_id)
        assert chats.get(chat.id).status == "waiting"


def test_the_console_says_why_a_chat_cannot_be_taken_after_hours(app, client, clock, worker_id):
    clock.at = CLOSING - timedelta(minutes=1)
    start_chat(client, region=REGION)
    console = app.test_client()
    log_in(console, "utrecht", PASSWORD)
    clock.at = CLOSING
    (chat,) = all_chats(app)
    answer = console.post(f"/console/chats/{chat.id}/accept", follow_redirects=True)
    assert "De chat is gesloten voor vandaag" in text_of(answer.text)


def test_the_demo_region_never_closes(app, client, clock):
    clock.at = CLOSING + timedelta(hours=6)
    start_chat(client)
    with app.app_context():
        sweeper.sweep()
        assert len(chats.waiting("DEMO")) == 1
