"""Opening hours: Monday to Friday 09:00-17:00 in Amsterdam, closed on Dutch public holidays."""

from datetime import UTC, datetime
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


# ---- dates with hours of their own, and holidays a region keeps open ------------------------
FRIDAY = (2026, 11, 20)
SATURDAY = (2026, 11, 21)


def test_a_date_closed_with_a_reason_is_closed_all_day_and_says_why():
    closed = {datetime(*FRIDAY).date(): hours.OtherDay(reason="Teamdag")}
    now = hours.status(hours.DEFAULT_WEEK, at(*FRIDAY, 11), TZ, dates=closed)
    assert not now.is_open
    assert now.today == [] and now.reason == "Teamdag" and now.holiday is None
    assert now.next_opening == at(2026, 11, 23, 9)  # Monday: the weekend stays closed


def test_a_date_with_evening_hours_replaces_the_days_own_hours():
    evening = {datetime(*FRIDAY).date(): hours.OtherDay(((18 * 60, 22 * 60),), "Avondchat")}
    morning = hours.status(hours.DEFAULT_WEEK, at(*FRIDAY, 10), TZ, dates=evening)
    assert not morning.is_open and morning.next_opening == at(*FRIDAY, 18)
    night = hours.status(hours.DEFAULT_WEEK, at(*FRIDAY, 21, 30), TZ, dates=evening)
    assert night.is_open and night.closes_at == at(*FRIDAY, 22)
    assert night.today == [("18:00", "22:00")] and night.reason == "Avondchat"
    assert hours.status(hours.DEFAULT_WEEK, at(*FRIDAY, 22), TZ, dates=evening).is_open is False


def test_a_date_can_open_a_weekend_day_and_a_holiday():
    dates = {
        datetime(*SATURDAY).date(): hours.OtherDay(((10 * 60, 14 * 60),)),
        datetime(2026, 4, 27).date(): hours.OtherDay(((10 * 60, 14 * 60),), "Koningsdag open"),
    }
    assert hours.status(hours.DEFAULT_WEEK, at(*SATURDAY, 11), TZ, dates=dates).is_open
    koningsdag = hours.status(hours.DEFAULT_WEEK, at(2026, 4, 27, 11), TZ, dates=dates)
    assert koningsdag.is_open and koningsdag.holiday is None


def test_a_region_can_keep_one_holiday_open_and_close_on_the_others():
    kept = frozenset({"Goede vrijdag"})
    good_friday = hours.status(hours.DEFAULT_WEEK, at(2026, 4, 3, 10), TZ, open_on=kept)
    assert good_friday.is_open and good_friday.holiday is None
    easter_monday = hours.status(hours.DEFAULT_WEEK, at(2026, 4, 6, 10), TZ, open_on=kept)
    assert not easter_monday.is_open and easter_monday.holiday == "Tweede paasdag"
    # Without the switch Goede vrijdag closes, and the next opening is after Easter.
    closed = hours.status(hours.DEFAULT_WEEK, at(2026, 4, 3, 10), TZ)
    assert closed.holiday == "Goede vrijdag" and closed.next_opening == at(2026, 4, 7, 9)


def test_the_next_opening_skips_dates_closed_ahead():
    dates = {datetime(2026, 11, 23).date(): hours.OtherDay(reason="Studiedag")}  # a Monday
    friday_evening = hours.status(hours.DEFAULT_WEEK, at(*FRIDAY, 18), TZ, dates=dates)
    assert friday_evening.next_opening == at(2026, 11, 24, 9)


def test_the_holidays_a_region_may_keep_open_are_named_as_the_status_names_them():
    names = hours.holiday_names(2026)
    assert names[0] == "Nieuwjaarsdag" and "Goede vrijdag" in names and "Koningsdag" in names
    assert hours.status(hours.DEFAULT_WEEK, at(2026, 4, 27, 10), TZ).holiday in names


def test_evening_hours_keep_their_wall_clock_time_on_the_autumn_clock_change():
    evenings = [(day, 18 * 60, 22 * 60) for day in range(7)]
    # Saturday 24 October 2026 is summer time (UTC+2), Sunday 25th winter time (UTC+1).
    saturday = hours.status(evenings, datetime(2026, 10, 24, 16, 0, tzinfo=UTC), TZ)
    sunday_before = hours.status(evenings, datetime(2026, 10, 25, 16, 30, tzinfo=UTC), TZ)
    sunday = hours.status(evenings, datetime(2026, 10, 25, 17, 0, tzinfo=UTC), TZ)
    assert saturday.is_open  # 18:00 in Amsterdam
    assert not sunday_before.is_open and sunday_before.next_opening == at(2026, 10, 25, 18)
    assert sunday.is_open and sunday.closes_at.astimezone(UTC).hour == 21


def test_night_hours_on_the_spring_clock_change_are_shorter_by_the_hour_that_does_not_exist():
    night = {datetime(2026, 3, 29).date(): hours.OtherDay(((60, 4 * 60),), "Nachtdienst")}
    week = hours.DEFAULT_WEEK
    assert hours.status(week, datetime(2026, 3, 29, 0, 30, tzinfo=UTC), TZ, dates=night).is_open
    assert hours.status(week, datetime(2026, 3, 29, 1, 30, tzinfo=UTC), TZ, dates=night).is_open
    # 04:00 summer time is 02:00 UTC: two real hours after 01:00 winter time.
    assert not hours.status(week, datetime(2026, 3, 29, 2, 0, tzinfo=UTC), TZ, dates=night).is_open
