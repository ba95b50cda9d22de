"""Opening hours: Monday to Friday 09:00-17:00 in Amsterdam, closed on Dutch public holidays."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from backend import hours

AMS = ZoneInfo("Europe/Amsterdam")
TZ = "Europe/Amsterdam"


def at(year, month, day, hour, minute=0) -> datetime:
    """A moment given in Amsterdam wall-clock time (aware)."""
    return datetime(year, month, day, hour, minute, tzinfo=AMS)


def status(moment, week=hours.DEFAULT_WEEK, observes_holidays=True):
    return hours.status(week, moment, TZ, observes_holidays=observes_holidays)


@pytest.mark.parametrize(
    ("hour", "minute", "is_open"),
    [
        (8, 59, False),
        (9, 0, True),
        (12, 30, True),
        (16, 59, True),
        (17, 0, False),
    ],
)
def test_weekday_opens_at_nine_and_closes_at_five(hour, minute, is_open):
    # Wednesday 18 November 2026, an ordinary working day.
    assert status(at(2026, 11, 18, hour, minute)).is_open is is_open


def test_open_status_says_when_it_closes_and_shows_todays_hours():
    result = status(at(2026, 11, 18, 10))
    assert result.closes_at == at(2026, 11, 18, 17)
    assert result.next_opening is None
    assert result.today == [("09:00", "17:00")]
    assert result.holiday is None


def test_before_opening_the_next_opening_is_the_same_morning():
    assert status(at(2026, 11, 18, 8, 59)).next_opening == at(2026, 11, 18, 9)


def test_after_closing_the_next_opening_is_the_next_morning():
    assert status(at(2026, 11, 18, 17)).next_opening == at(2026, 11, 19, 9)


def test_saturday_is_closed_and_opens_again_on_monday():
    result = status(at(2026, 11, 21, 11))  # Saturday
    assert not result.is_open
    assert result.today == []
    assert result.next_opening == at(2026, 11, 23, 9)  # Monday


def test_friday_evening_next_opening_is_monday():
    assert status(at(2026, 11, 20, 17, 30)).next_opening == at(2026, 11, 23, 9)


@pytest.mark.parametrize(
    ("moment", "name"),
    [
        (at(2026, 4, 27, 11), "Koningsdag"),  # a Monday
        (at(2025, 12, 26, 11), "Tweede kerstdag"),  # a Friday
        (at(2026, 5, 14, 11), "Hemelvaartsdag"),  # a Thursday
        (at(2026, 1, 1, 11), "Nieuwjaarsdag"),  # a Thursday
    ],
)
def test_dutch_public_holidays_on_a_weekday_are_closed_and_named(moment, name):
    assert moment.weekday() < 5
    result = status(moment)
    assert not result.is_open
    assert result.holiday == name
    assert result.today == []


def test_a_holiday_is_only_closed_for_regions_that_observe_holidays():
    result = status(at(2026, 4, 27, 11), observes_holidays=False)
    assert result.is_open
    assert result.holiday is None


def test_next_opening_skips_a_holiday_after_the_weekend():
    # Friday 24 April 2026 after closing: Saturday, Sunday, then Koningsdag on Monday.
    assert status(at(2026, 4, 24, 17, 30)).next_opening == at(2026, 4, 28, 9)


def test_next_opening_skips_the_christmas_days_and_the_weekend():
    # Wednesday 24 December 2025 evening; 25 and 26 December are Thursday and Friday.
    assert status(at(2025, 12, 24, 18)).next_opening == at(2025, 12, 29, 9)


def test_next_opening_skips_easter_monday():
    # Easter Sunday 5 April 2026; Monday 6 April is Tweede paasdag.
    assert status(at(2026, 4, 5, 12)).next_opening == at(2026, 4, 7, 9)


def test_summer_time_a_utc_morning_is_two_hours_later_in_amsterdam():
    summer = datetime.fromisoformat("2026-07-15T08:30:00+00:00")  # 10:30 CEST
    result = status(summer)
    assert result.is_open
    assert result.closes_at.utcoffset().total_seconds() == 2 * 3600
    assert result.closes_at == datetime.fromisoformat("2026-07-15T15:00:00+00:00")


def test_the_same_utc_time_falls_differently_in_winter_and_summer():
    # 07:30 UTC is 08:30 in winter (closed) but 09:30 in summer (open);
    # 15:30 UTC is 16:30 in winter (open) but 17:30 in summer (closed).
    assert not status(datetime.fromisoformat("2026-01-14T07:30:00+00:00")).is_open
    assert status(datetime.fromisoformat("2026-07-15T07:30:00+00:00")).is_open
    assert status(datetime.fromisoformat("2026-01-14T15:30:00+00:00")).is_open
    assert not status(datetime.fromisoformat("2026-07-15T15:30:00+00:00")).is_open
    closes = status(datetime.fromisoformat("2026-01-14T08:30:00+00:00")).closes_at
    assert closes == datetime.fromisoformat("2026-01-14T16:00:00+00:00")


def test_opening_hours_follow_the_clock_change_in_spring():
    # Summer time starts on Sunday 29 March 2026; Monday still opens at 09:00 local.
    before = status(datetime.fromisoformat("2026-03-27T16:30:00+00:00"))  # Fri 17:30 CET
    assert not before.is_open
    assert before.next_opening == at(2026, 3, 30, 9)
    assert before.next_opening == datetime.fromisoformat("2026-03-30T07:00:00+00:00")


def test_round_the_clock_week_is_open_at_night_on_christmas_without_holidays():
    result = status(at(2025, 12, 25, 3), week=hours.ROUND_THE_CLOCK, observes_holidays=False)
    assert result.is_open
    assert result.today == [("00:00", "24:00")]
    assert result.holiday is None


def test_round_the_clock_still_closes_on_holidays_when_observing_them():
    result = status(at(2025, 12, 25, 3), week=hours.ROUND_THE_CLOCK, observes_holidays=True)
    assert not result.is_open
    assert result.holiday == "Eerste kerstdag"
    assert result.next_opening == at(2025, 12, 27, 0)


def test_a_day_can_have_two_intervals():
    split_week = [(2, 9 * 60, 12 * 60), (2, 13 * 60, 17 * 60)]
    lunch = status(at(2026, 11, 18, 12, 30), week=split_week)
    assert not lunch.is_open
    assert lunch.today == [("09:00", "12:00"), ("13:00", "17:00")]
    assert lunch.next_opening == at(2026, 11, 18, 13)


def test_an_empty_schedule_is_never_open_and_has_no_next_opening():
    result = status(at(2026, 11, 18, 10), week=[])
    assert not result.is_open
    assert result.next_opening is None
