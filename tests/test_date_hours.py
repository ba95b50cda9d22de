"""A region's dates with hours of their own and the holidays it keeps open, as stored and as
the pop-up shows them: at once, the shared page of first visits included."""

from datetime import UTC, date, datetime

import pytest

from backend import regions
from tests.helpers import add_site, counted_queries, text_of

REGION = "VT20"  # Utrecht: keeps the holidays
SITE_PAGE = "/w/vt-utrecht"
# Wednesday 18 November 2026, 10:00 in Amsterdam; Koningsdag 2026 is Monday 27 April.
WEDNESDAY = date(2026, 11, 18)
KONINGSDAG_11H = datetime(2026, 4, 27, 9, 0, tzinfo=UTC)


@pytest.fixture
def utrecht_site(app):
    with app.app_context():
        regions.set_week(REGION, [(day, 9 * 60, 17 * 60) for day in range(5)])
    add_site(app, "vt-utrecht", REGION, "https://u.example")


def popup(app) -> str:
    """A first visit's pop-up (no cookie): the page shared by all of them."""
    return text_of(app.test_client().get(SITE_PAGE).text)


def test_closing_today_with_a_reason_shows_in_the_popup_at_once(app, utrecht_site):
    assert "De chat is nu open." in popup(app)
    with app.app_context():
        regions.set_date(REGION, WEDNESDAY, [], "Teamdag")
    page = popup(app)
    assert "De chat is nu gesloten." in page
    assert "Vandaag gelden andere tijden: Teamdag." in page
    assert "donderdag 19 november om 09:00" in page
    with app.app_context():
        regions.clear_date(REGION, WEDNESDAY)
    assert "De chat is nu open." in popup(app)


def test_other_hours_on_a_date_show_as_todays_hours(app, utrecht_site):
    with app.app_context():
        regions.set_date(REGION, WEDNESDAY, [(9 * 60, 12 * 60), (18 * 60, 21 * 60)], "Avondchat")
        assert regions.status(regions.get(REGION)).today == [("09:00", "12:00"), ("18:00", "21:00")]
    assert "Vandaag: 09:00 tot 12:00, 18:00 tot 21:00." in popup(app)


def test_a_holiday_kept_open_follows_the_week_and_can_be_closed_again(app, clock, utrecht_site):
    clock.at = KONINGSDAG_11H
    assert "Vandaag (Koningsdag) is de chat gesloten." in popup(app)
    with app.app_context():
        regions.keep_holiday_open(REGION, "Koningsdag")
        assert regions.open_holidays(REGION) == {"Koningsdag"}
    assert "De chat is nu open." in popup(app)
    with app.app_context():
        regions.keep_holiday_open(REGION, "Koningsdag", keep_open=False)
    assert "De chat is nu gesloten." in popup(app)


def test_the_hours_are_read_once_and_a_change_counts_at_once(app, clock, utrecht_site):
    """Every start, accept and sweep asks whether a region is open: its hours are read once,
    kept until one of them changes, and read again on the next day."""
    clock.at = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)  # Wednesday, 10:00 in Amsterdam
    with app.app_context():
        utrecht = regions.get(REGION)
        assert regions.status(utrecht).is_open
        with counted_queries(app) as statements:
            assert regions.status(utrecht).is_open
        assert statements == []

        regions.set_date(REGION, WEDNESDAY, [], "Teamdag")
        assert not regions.status(utrecht).is_open

        clock.at = datetime(2026, 11, 19, 9, 0, tzinfo=UTC)  # Thursday: the week again
        with counted_queries(app) as statements:
            assert regions.status(utrecht).is_open
        assert statements != []


def test_a_new_date_replaces_what_the_date_had(app):
    with app.app_context():
        regions.set_date(REGION, WEDNESDAY, [(600, 700)], "Eerst")
        regions.set_date(REGION, WEDNESDAY, [], "Toch dicht")
        days = regions.other_days(REGION, WEDNESDAY, WEDNESDAY)
    assert days[WEDNESDAY].intervals == () and days[WEDNESDAY].reason == "Toch dicht"


@pytest.mark.parametrize(
    ("intervals", "reason"),
    [
        ([(600, 600)], ""),  # empty
        ([(900, 600)], ""),  # backwards
        ([(0, 24 * 60 + 1)], ""),  # past midnight
        ([(540, 720), (700, 800)], ""),  # overlapping
        ([], "x" * 81),  # a reason too long for the pop-up
    ],
)
def test_impossible_date_hours_are_refused_and_nothing_is_stored(app, intervals, reason):
    with app.app_context():
        with pytest.raises(ValueError):
            regions.set_date(REGION, WEDNESDAY, intervals, reason)
        assert regions.other_days(REGION, WEDNESDAY, WEDNESDAY) == {}
