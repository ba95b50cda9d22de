"""Coordinators set their regions' opening hours in the console; the pop-up follows at once."""

from datetime import UTC, date, datetime

import pytest

from backend import db, regions
from backend.models import WorkerRole
from tests.helpers import DEMO_SITE, logged_in_as, text_of

REGION = "DEMO"
TODAY = date(2026, 11, 18)  # the tests' Wednesday morning
TOMORROW = date(2026, 11, 19)


@pytest.fixture
def coordinator(app):
    return logged_in_as(app, WorkerRole.COORDINATOR, "demo")


def popup(app) -> str:
    return text_of(app.test_client().get(f"/w/{DEMO_SITE}").text)


def test_a_coordinator_closes_today_and_the_popup_says_so_at_once(app, coordinator):
    assert "De chat is nu open." in popup(app)
    answer = coordinator.post(f"/console/hours/{REGION}/close-today", data={"reason": "Teamdag"})
    assert answer.status_code == 303
    page = text_of(coordinator.get(answer.headers["Location"]).text)
    assert "is vandaag gesloten" in page and "Vandaag gelden andere tijden: Teamdag." in page
    shown = popup(app)
    assert "De chat is nu gesloten." in shown and "Teamdag" in shown
    # And back to the week: the date's button.
    coordinator.post(f"/console/hours/{REGION}/dates/{TODAY.isoformat()}/remove")
    assert "De chat is nu open." in popup(app)


def test_a_date_with_evening_hours_is_stored_and_listed(app, coordinator):
    answer = coordinator.post(
        f"/console/hours/{REGION}/dates",
        data={
            "day": TOMORROW.isoformat(),
            "opens_1": "09:00",
            "closes_1": "12:00",
            "opens_2": "18:00",
            "closes_2": "22:00",
            "reason": "Avondchat",
        },
    )
    assert answer.status_code == 303
    with app.app_context():
        days = regions.other_days(REGION, TOMORROW, TOMORROW)
    assert days[TOMORROW].intervals == ((540, 720), (1080, 1320))
    page = text_of(coordinator.get(f"/console/hours/{REGION}").text)
    assert "donderdag 19 november 2026: 09:00 tot 12:00, 18:00 tot 22:00 (Avondchat)" in page


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"opens_1": "9 uur", "closes_1": "12:00"}, "Schrijf een tijd als 09:30."),
        ({"opens_1": "09:00"}, "Vul beide tijden in."),
        ({"opens_1": "12:00", "closes_1": "09:00"}, "De sluitingstijd komt na de openingstijd."),
        (
            {"opens_1": "09:00", "closes_1": "12:00", "opens_2": "11:00", "closes_2": "13:00"},
            "De periodes overlappen.",
        ),
        ({"day": "2026-11-17"}, "Deze datum is al voorbij."),
        ({"day": ""}, "Vul een datum in."),
        ({"reason": "x" * 81}, "Hoogstens 80 tekens."),
    ],
)
def test_impossible_dates_are_refused_beside_the_field_and_nothing_is_stored(
    app, coordinator, fields, words
):
    answer = coordinator.post(
        f"/console/hours/{REGION}/dates", data={"day": TOMORROW.isoformat(), **fields}
    )
    assert answer.status_code == 400
    assert words in text_of(answer.text)
    with app.app_context():
        assert regions.other_days(REGION, date(2026, 11, 1), date(2026, 12, 31)) == {}


def test_the_weekly_hours_are_saved_with_an_evening_and_a_closed_day(app, coordinator):
    data = {}
    for day in range(7):
        data[f"d{day}_opens_1"], data[f"d{day}_closes_1"] = "09:00", "17:00"
    data["d4_opens_2"], data["d4_closes_2"] = "19:00", "23:00"  # Friday evening
    data["d6_opens_1"] = data["d6_closes_1"] = ""  # Sunday closed
    assert coordinator.post(f"/console/hours/{REGION}/week", data=data).status_code == 303
    with app.app_context():
        week = sorted(regions.week(REGION))
    assert (4, 1140, 1380) in week and not [w for w in week if w[0] == 6] and len(week) == 7
    form = coordinator.get(f"/console/hours/{REGION}").text
    assert 'name="d4_opens_2" size="5" type="text" value="19:00"' in form


def test_a_region_keeps_koningsdag_open_when_ticked(app, clock, coordinator):
    with app.app_context(), db.session() as s:
        from backend.models import Region

        s.get(Region, REGION).observes_holidays = True
        s.commit()
    clock.at = datetime(2026, 4, 27, 9, 0, tzinfo=UTC)  # Koningsdag, 11:00 in Amsterdam
    assert "Vandaag (Koningsdag) is de chat gesloten." in popup(app)
    answer = coordinator.post(
        f"/console/hours/{REGION}/holidays", data={"keep_open": ["Koningsdag"]}
    )
    assert answer.status_code == 303
    assert "De chat is nu open." in popup(app)
    refused = coordinator.post(
        f"/console/hours/{REGION}/holidays", data={"keep_open": ["Sinterklaas"]}
    )
    assert refused.status_code == 400


def test_a_worker_may_not_set_hours(app, worker):
    assert worker.get("/console/hours").status_code == 403
    assert worker.get(f"/console/hours/{REGION}").status_code == 403
    assert worker.post(f"/console/hours/{REGION}/close-today", data={}).status_code == 403
    assert "De chat is nu open." in popup(app)


def test_a_coordinator_sets_only_their_own_regions_and_an_administrator_all(app, coordinator):
    assert coordinator.get("/console/hours/VT20").status_code == 404
    assert coordinator.post("/console/hours/VT20/close-today", data={}).status_code == 404
    admin = logged_in_as(app, WorkerRole.ADMIN, "demo2")
    assert admin.post("/console/hours/VT20/close-today", data={}).status_code == 303
    with app.app_context():
        assert regions.other_days("VT20", TODAY, TODAY)[TODAY].intervals == ()
    overview = text_of(admin.get("/console/hours").text)
    assert "Utrecht" in overview


def test_closing_today_needs_the_forms_token(app, coordinator):
    answer = coordinator.post(f"/console/hours/{REGION}/close-today", data={"csrf_token": ""})
    assert answer.headers["Location"].endswith("/console/")  # "this form had expired"
    assert "De chat is nu open." in popup(app)
    with app.app_context():
        assert regions.other_days(REGION, TODAY, TODAY) == {}
