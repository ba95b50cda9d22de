"""Opening hours: weekly intervals per region, closed on Dutch public holidays."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

DEFAULT_WEEK = [(weekday, 9 * 60, 17 * 60) for weekday in range(5)]  # Mon-Fri 09:00-17:00
ROUND_THE_CLOCK = [(weekday, 0, 24 * 60) for weekday in range(7)]


@dataclass(frozen=True)
class Status:
    is_open: bool
    today: list[tuple[str, str]]  # today's intervals as ("09:00", "17:00")
    holiday: str | None  # name of today's public holiday, if the region observes it
    next_opening: datetime | None  # local time the chat opens next, when closed now
    closes_at: datetime | None  # local time the current interval ends, when open now


@lru_cache(maxsize=16)
def _dutch_holidays(year: int) -> dict[date, str]:
    return dict(holidays.country_holidays("NL", years=year, language="nl"))


def holiday_name(day: date) -> str | None:
    return _dutch_holidays(day.year).get(day)


def fmt_minute(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}" if minute < 1440 else "24:00"


def _at(day: date, minute: int, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tz) + timedelta(minutes=minute)


def _intervals_on(day: date, week, observes_holidays: bool):
    if observes_holidays and holiday_name(day):
        return []
    return sorted((o, c) for (wd, o, c) in week if wd == day.weekday() and c > o)


def status(week, now: datetime, tz_name: str, observes_holidays: bool = True) -> Status:
    """Whether a region with this weekly schedule is open at `now` (aware), and what next.

    `week` is a list of (weekday, opens_minute, closes_minute).
    """
    tz = ZoneInfo(tz_name)
    local = now.astimezone(tz)
    today = local.date()
    todays = _intervals_on(today, week, observes_holidays)
    holiday = holiday_name(today) if observes_holidays else None
    closes_at = None
    for opens, closes in todays:
        start, end = _at(today, opens, tz), _at(today, closes, tz)
        if start <= local < end:
            closes_at = end
            break
    is_open = closes_at is not None
    return Status(
        is_open=is_open,
        today=[(fmt_minute(o), fmt_minute(c)) for o, c in todays],
        holiday=holiday,
        next_opening=None if is_open else _next_opening(week, local, tz, observes_holidays),
        closes_at=closes_at,
    )


def _next_opening(week, local: datetime, tz: ZoneInfo, observes_holidays: bool):
    # A long run of holidays or an empty schedule ends the search after a few weeks.
    for offset in range(0, 32):
        day = local.date() + timedelta(days=offset)
        for opens, _closes in _intervals_on(day, week, observes_holidays):
            start = _at(day, opens, tz)
            if start > local:
                return start
    return None
