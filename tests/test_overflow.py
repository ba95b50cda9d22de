"""Overflow between regions: waiting chats move to a partner region or the national queue
after a set wait, or while their own region is closed, keeping their place in time."""

from datetime import UTC, datetime, timedelta

import pytest

from backend import chats, hours, overflow, regions, sweeper, timeouts
from backend.models import ChatStatus, WorkerRole
from tests.helpers import (
    WEDNESDAY_MORNING,
    add_site,
    all_chats,
    log_in,
    logged_in_as,
    start_chat,
    text_of,
)

UTRECHT = "VT20"  # Monday to Friday 09:00-17:00
NATIONAL = "NL"
# Wednesday 18 November 2026, 20:00 in Amsterdam: Utrecht is closed.
EVENING = datetime(2026, 11, 18, 19, 0, tzinfo=UTC)


def chat_named(app, nickname):
    return next(chat for chat in all_chats(app) if chat.nickname == nickname)


def popup(client, site="demo-utrecht") -> str:
    return text_of(client.get(f"/w/{site}").text)


@pytest.fixture
def demo_overflows(app):
    """The demo region hands chats waiting ten minutes to the second demo region."""
    with app.app_context():
        overflow.set_rule("DEMO", "DEMO2", 10, False)


@pytest.fixture
def national_round_the_clock(app):
    with app.app_context():
        regions.set_week(NATIONAL, hours.ROUND_THE_CLOCK)


def test_a_chat_moves_after_the_set_wait_and_keeps_its_place_in_time(app, clock, demo_overflows):
    mila = app.test_client()
    start_chat(mila, nickname="Mila")  # in the demo region, at 10:00
    clock.at = WEDNESDAY_MORNING + timedelta(minutes=5)
    start_chat(app.test_client(), nickname="Bo", region="DEMO2")  # at 10:05, in the partner's

    clock.at = WEDNESDAY_MORNING + timedelta(minutes=9)
    with app.app_context():
        assert overflow.move_due() == []  # not yet
    clock.at = WEDNESDAY_MORNING + timedelta(minutes=10)
    with app.app_context():
        assert overflow.move_due() == [chat_named(app, "Mila").id]
        assert chats.places("DEMO2") == {chat_named(app, "Mila").id: 1, chat_named(app, "Bo").id: 2}
    moved = chat_named(app, "Mila")
    assert (moved.region_code, moved.overflowed_from) == ("DEMO2", "DEMO")
    assert moved.created_at == WEDNESDAY_MORNING  # its place in time
    page = popup(mila)
    assert "Een collega van Veilig Thuis Demo-regio Noord (altijd open) helpt je." in page
    assert "Je bent nummer 1" in page


def test_a_chat_moves_once_and_never_to_a_closed_partner(app, clock, demo_overflows):
    start_chat(app.test_client(), nickname="Mila")
    with app.app_context():
        overflow.set_rule("DEMO2", "DEMO", 1, False)  # and back again: no chain
        regions.set_date("DEMO2", WEDNESDAY_MORNING.date(), [], "Teamdag")
    clock.at = WEDNESDAY_MORNING + timedelta(minutes=30)
    with app.app_context():
        assert overflow.move_due() == []  # the partner is closed today
        regions.clear_date("DEMO2", WEDNESDAY_MORNING.date())
        assert overflow.move_due() == [chat_named(app, "Mila").id]
    clock.at = WEDNESDAY_MORNING + timedelta(minutes=60)
    with app.app_context():
        assert overflow.move_due() == []
    assert chat_named(app, "Mila").region_code == "DEMO2"


def test_outside_its_hours_a_region_hands_new_chats_to_the_national_queue(
    app, clock, national_round_the_clock
):
    site = add_site(app, "vt-utrecht", UTRECHT)
    clock.at = EVENING
    visitor = app.test_client()
    assert "De chat is nu gesloten." in popup(visitor, site)
    with app.app_context():
        overflow.set_rule(UTRECHT, NATIONAL, None, True)
    page = popup(visitor, site)
    assert "De chat is nu open." in page
    assert (
        "Buiten de tijden van Utrecht beantwoorden collega's van Veilig Thuis Landelijk de chat."
        in page
    )

    assert start_chat(visitor, site, nickname="Mila", region=UTRECHT).status_code == 303
    chat = chat_named(app, "Mila")
    assert (chat.region_code, chat.overflowed_from, chat.status) == (NATIONAL, UTRECHT, "waiting")
    assert "Een collega van Veilig Thuis Landelijk helpt je." in popup(visitor, site)


def test_at_closing_time_waiting_chats_move_instead_of_ending(app, clock, national_round_the_clock):
    clock.at = datetime(2026, 11, 18, 15, 59, 40, tzinfo=UTC)  # 16:59:40 in Amsterdam: open
    start_chat(app.test_client(), nickname="Mila", region=UTRECHT)
    start_chat(app.test_client(), nickname="Bo", region=UTRECHT)
    with app.app_context():
        overflow.set_rule(UTRECHT, NATIONAL, None, True)
        clock.at = datetime(2026, 11, 18, 16, 0, 5, tzinfo=UTC)  # 17:00:05: closed
        done = sweeper.sweep()
    assert done["overflowed"] == 2 and done["closed queue"] == 0
    assert {(c.nickname, c.region_code, c.status) for c in all_chats(app)} == {
        ("Mila", NATIONAL, ChatStatus.WAITING),
        ("Bo", NATIONAL, ChatStatus.WAITING),
    }
    with app.app_context():
        assert list(chats.places(NATIONAL).values()) == [1, 2]  # Mila first, as she came first


def test_closing_time_never_sends_away_those_the_overflow_is_about_to_move(
    app, clock, national_round_the_clock
):
    """The queue's closing leaves a region alone whose overflow takes its waiting, even when
    the move has not happened yet (a process that still kept the region as open skipped it)."""
    clock.at = datetime(2026, 11, 18, 15, 59, 40, tzinfo=UTC)
    start_chat(app.test_client(), nickname="Mila", region=UTRECHT)
    with app.app_context():
        overflow.set_rule(UTRECHT, NATIONAL, None, True)
        clock.at = datetime(2026, 11, 18, 16, 0, 5, tzinfo=UTC)  # closed: the move is due
        assert timeouts.close_queues() == []
        assert chat_named(app, "Mila").status == ChatStatus.WAITING
        assert overflow.move_due() == [chat_named(app, "Mila").id]
    assert (chat_named(app, "Mila").region_code, chat_named(app, "Mila").status) == (
        NATIONAL,
        ChatStatus.WAITING,
    )


def test_a_region_without_overflow_closes_its_queue_as_before(app, clock):
    clock.at = datetime(2026, 11, 18, 15, 59, 40, tzinfo=UTC)
    start_chat(app.test_client(), nickname="Mila", region=UTRECHT)
    clock.at = datetime(2026, 11, 18, 16, 0, 5, tzinfo=UTC)
    with app.app_context():
        done = sweeper.sweep()
    assert done["overflowed"] == 0 and done["closed queue"] == 1


def test_the_national_queue_is_no_visitors_choice(app):
    page = app.test_client().get("/w/demo-utrecht/start").text
    assert 'value="NL"' not in page


def test_a_coordinator_sets_the_overflow_of_their_region(app):
    coordinator = logged_in_as(app, WorkerRole.COORDINATOR, "demo")
    page = coordinator.get("/console/hours/DEMO").text
    assert "Doorschakelen" in text_of(page)
    answer = coordinator.post(
        "/console/hours/DEMO/overflow", data={"partner": "DEMO2", "after_minutes": "15"}
    )
    assert answer.status_code == 303
    assert "Wachtende chats van Demo-regio (altijd open) gaan nu naar Demo-regio Noord" in text_of(
        coordinator.get(answer.headers["Location"]).text
    )
    with app.app_context():
        rule = overflow.rule_of("DEMO")
    assert (rule.partner_code, rule.after_minutes, rule.outside_hours) == ("DEMO2", 15, False)

    answer = coordinator.post("/console/hours/DEMO/overflow", data={"partner": ""})
    assert answer.status_code == 303
    with app.app_context():
        assert overflow._read("DEMO") is None


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"partner": "DEMO2"}, "Geef een aantal minuten, vink de gesloten uren aan, of allebei."),
        ({"partner": "DEMO2", "after_minutes": "0"}, "Tussen 1 en 1440 minuten."),
        ({"partner": "VT20", "after_minutes": "5"}, "Ongeldige keuze."),  # not a demo region
        ({"partner": "DEMO", "after_minutes": "5"}, "Ongeldige keuze."),  # itself
    ],
)
def test_an_impossible_overflow_is_refused_with_words_beside_the_field(app, data, words):
    coordinator = logged_in_as(app, WorkerRole.COORDINATOR, "demo")
    answer = coordinator.post("/console/hours/DEMO/overflow", data=data)
    assert answer.status_code == 400
    assert words in text_of(answer.text)
    with app.app_context():
        assert overflow._read("DEMO") is None


def test_only_the_regions_managers_set_its_overflow(app):
    worker = app.test_client()
    log_in(worker)
    assert worker.post("/console/hours/DEMO/overflow", data={"partner": ""}).status_code == 403
    other = logged_in_as(app, WorkerRole.COORDINATOR, "demo3")  # of DEMO2 only
    answer = other.post(
        "/console/hours/DEMO/overflow", data={"partner": "DEMO2", "after_minutes": "5"}
    )
    assert answer.status_code == 404


def test_the_partners_workers_see_where_a_chat_came_from(app, clock, demo_overflows):
    start_chat(app.test_client(), nickname="Mila")
    clock.at = WEDNESDAY_MORNING + timedelta(minutes=10)
    with app.app_context():
        overflow.move_due()
    ilse = app.test_client()  # of the second demo region
    log_in(ilse, "demo3")
    queue = text_of(ilse.get("/console/").text)
    assert "Mila" in queue and "doorgeschakeld vanuit Demo-regio (altijd open)" in queue
