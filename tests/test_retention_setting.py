"""An administrator sets how long transcripts are kept; the sweeper, the pop-up's words and the
deployment check all follow, and the page says when the next transcripts go."""

from datetime import timedelta

import pytest

from backend import chats, retention
from backend.models import Sender, WorkerRole
from tests.helpers import DEMO_SITE, logged_in_as, start_chat, taken_chat, text_of


@pytest.fixture
def admin(app):
    return logged_in_as(app, WorkerRole.ADMIN, "demo2")


def test_the_default_is_72_hours_and_the_page_says_so(app, admin):
    page = text_of(admin.get("/console/retention").text)
    assert "Gesprekken worden 3 dagen na het einde van een chat verwijderd." in page
    assert "Dit is de standaard." in page
    with app.app_context():
        assert retention.hours() == 72


def test_a_shorter_retention_is_used_by_the_sweeper_from_its_next_round(app, admin, client, clock):
    chat_id = taken_chat(app, client)
    with app.app_context():
        chats.add_message(chat_id, Sender.VISITOR, "Hallo")
        chats.end(chat_id, "worker")
    answer = admin.post("/console/retention", data={"hours": "24"})
    assert answer.status_code == 303
    page = text_of(admin.get("/console/retention").text)
    assert "Gesprekken zijn nu 1 dag na een chat verwijderd." not in page  # the flash, once
    assert "1 beëindigde chat heeft zijn gesprek nog" in page
    # Ended on the clock's Wednesday 18 November, 10:00 in Amsterdam: gone 24 hours on.
    assert "het eerste wordt verwijderd op donderdag 19 november 10:00." in page
    clock.at += timedelta(hours=24, minutes=1)
    with app.app_context():
        assert chats.purge_transcripts() == 1
        assert chats.messages(chat_id) == []
    again = logged_in_as(app, WorkerRole.ADMIN, "demo2")  # a day later: a new login
    assert "Geen beëindigde chat heeft zijn gesprek nog." in text_of(
        again.get("/console/retention").text
    )


def test_the_popup_tells_visitors_the_retention_as_it_is_set(app, admin):
    admin.post("/console/retention", data={"hours": "48"})
    form = text_of(app.test_client().get(f"/w/{DEMO_SITE}/start").text)
    assert "Je berichten worden 2 dagen na de chat gewist." in form


@pytest.mark.parametrize(
    ("hours", "words"),
    [
        ("0", "Tussen 1 en 720 uur."),
        ("721", "Tussen 1 en 720 uur."),
        ("zeven", "Ongeldig getal."),
        ("", "Vul een aantal uren in."),
    ],
)
def test_a_retention_outside_the_bounds_is_refused_with_words(app, admin, hours, words):
    answer = admin.post("/console/retention", data={"hours": hours})
    assert answer.status_code == 400
    assert words in text_of(answer.text)
    with app.app_context():
        assert retention.hours() == 72


def test_only_an_administrator_sees_or_sets_the_retention(app, worker):
    coordinator = logged_in_as(app, WorkerRole.COORDINATOR, "demo3")
    for someone in (worker, coordinator):
        assert someone.get("/console/retention").status_code == 403
        assert someone.post("/console/retention", data={"hours": "1"}).status_code == 403
    with app.app_context():
        assert retention.hours() == 72


def test_a_visitor_start_still_works_with_a_retention_set(app, admin):
    admin.post("/console/retention", data={"hours": "1"})
    assert start_chat(app.test_client()).status_code in (200, 303)
