"""Opening hours: weekly intervals per region, dates with other hours (or closed, with a public
reason), and Dutch public holidays closed unless the region keeps a holiday open or a date
says otherwise. All in the region's wall-clock time, so a day with a clock change keeps its
hours as printed."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

DEFAULT_WEEK = [(weekday, 9 * 60, 17 * 60) for weekday in range(5)]  # Mon-Fri 09:00-17:00
ROUND_THE_CLOCK = [(weekday, 0, 24 * 60) for weekday in range(7)]


@dataclass(frozen=True)
class OtherDay:
    """One date's own hours instead of the week's (and of a holiday): no intervals is closed.
    `reason` is public: the pop-up shows it."""

    intervals: tuple[tuple[int, int], ...] = ()
    reason: str = ""


@dataclass(frozen=True)
class Status:
    is_open: bool
    today: list[tuple[str, str]]  # today's intervals as ("09:00", "17:00")
    holiday: str | None  # name of today's public holiday, when it closes the region
    next_opening: datetime | None  # local time the chat opens next, when closed now
    closes_at: datetime | None  # local time the current interval ends, when open now
    reason: str | None = None  # why today's hours are other than usual (a date's reason)


@lru_cache(maxsize=16)
def _dutch_holidays(year: int) -> dict[date, str]:
    return dict(holidays.country_holidays("NL", years=year, language="nl"))


def holiday_name(day: date) -> str | None:
    return _dutch_holidays(day.year).get(day)


def holiday_names(year: int) -> list[str]:
    """The Dutch public holidays of a year by name, in date order: what a region may keep open."""
    return [name for _day, name in sorted(_dutch_holidays(year).items())]


def fmt_minute(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}" if minute < 1440 else "24:00"


def _at(day: date, minute: int, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tz) + timedelta(minutes=minute)


@dataclass(frozen=True)
class _Rules:
    week: list
    observes_holidays: bool
    dates: Mapping[date, OtherDay]
    open_on: frozenset[str]

    def day(self, day: date) -> tuple[list[tuple[int, int]], str | None]:
        """A day's intervals, and the holiday that closes it if one does."""
        if day in self.dates:
            return sorted((o, c) for o, c in self.dates[day].intervals if c > o), None
        holiday = holiday_name(day) if self.observes_holidays else None
        if holiday is not None and holiday not in self.open_on:
            return [], holiday
        return sorted((o, c) for (wd, o, c) in self.week if wd == day.weekday() and c > o), None


def status(
    week,
    now: datetime,
    tz_name: str,
    observes_holidays: bool = True,
    dates: Mapping[date, OtherDay] | None = None,
    open_on: frozenset[str] = frozenset(),
) -> Status:
    """Whether a region with this schedule is open at `now` (aware), and what next.

    `week` is a list of (weekday, opens_minute, closes_minute); `dates` the dates with hours
    of their own; `open_on` the public holidays on which the week's hours hold.
    """
    rules = _Rules(week, observes_holidays, dates or {}, frozenset(open_on))
    tz = ZoneInfo(tz_name)
    local = now.astimezone(tz)
    today = local.date()
    todays, holiday = rules.day(today)
    closes_at = None
    for opens, closes in todays:
        start, end = _at(today, opens, tz), _at(today, closes, tz)
        if start <= local < end:
            closes_at = end
            break
    is_open = closes_at is not None
    other = rules.dates.get(today)
    return Status(
        is_open=is_open,
        today=[(fmt_minute(o), fmt_minute(c)) for o, c in todays],
        holiday=holiday,
        next_opening=None if is_open else _next_opening(rules, local, tz),
        closes_at=closes_at,
        reason=(other.reason or None) if other is not None else None,
    )


def _next_opening(rules: _Rules, local: datetime, tz: ZoneInfo):
    # A long run of holidays or an empty schedule ends the search after a few weeks.
    for offset in range(0, 32):
        day = local.date() + timedelta(days=offset)
        for opens, _closes in rules.day(day)[0]:
            start = _at(day, opens, tz)
            if start > local:
                return start
    return None
