"""Regions, their opening hours and the postcode table that maps four digits to a region."""

import itertools
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import delete
from sqlmodel import select

from backend import clock, db, hours, settings_changes
from backend.models import DateHours, HolidayOpen, OpeningHours, Postcode, Region

MAX_REASON_LENGTH = 80
# Dates with hours of their own are read this far ahead: "opens next at" looks no further.
LOOK_AHEAD = timedelta(days=32)


def all_regions(include_demo: bool = False) -> list[Region]:
    with db.session() as s:
        query = select(Region).order_by(Region.is_demo.desc(), Region.name)
        if not include_demo:
            query = query.where(Region.is_demo == False)  # noqa: E712
        return list(s.exec(query))


def get(code: str) -> Region | None:
    with db.session() as s:
        return s.get(Region, code)


def by_postcode(pc4: str) -> Region | None:
    with db.session() as s:
        row = s.get(Postcode, pc4)
        return s.get(Region, row.region_code) if row else None


def week(code: str) -> list[tuple[int, int, int]]:
    with db.session() as s:
        rows = s.exec(select(OpeningHours).where(OpeningHours.region_code == code))
        return [(r.weekday, r.opens_minute, r.closes_minute) for r in rows]


def status(region: Region) -> hours.Status:
    """Open or closed now, by the app's clock."""
    now = clock.now()
    tz_name = current_app.config["TIMEZONE"]
    today = now.astimezone(ZoneInfo(tz_name)).date()
    week_rows, dates, open_on = _hours_of(region.code, today)
    return hours.status(
        week_rows,
        now,
        tz_name,
        observes_holidays=region.observes_holidays,
        dates=dates,
        open_on=open_on,
    )


def _hours_of(code: str, today: date):
    """The week, the dates ahead and the holidays kept open: three queries, asked for on every
    start, accept and sweep, so kept per process until an hours row changes (settings_changes)."""
    kept = current_app.extensions.setdefault("region_hours", settings_changes.Kept())
    return kept.get(
        (code, today),
        lambda: (week(code), other_days(code, today, today + LOOK_AHEAD), open_holidays(code)),
    )


def other_days(code: str, first: date, last: date) -> dict[date, hours.OtherDay]:
    """The region's dates with hours of their own, from `first` to `last`."""
    with db.session() as s:
        rows = s.exec(
            select(DateHours).where(
                DateHours.region_code == code, DateHours.day >= first, DateHours.day <= last
            )
        )
        found: dict[date, list[DateHours]] = {}
        for row in rows:
            found.setdefault(row.day, []).append(row)
    return {
        day: hours.OtherDay(
            intervals=tuple(
                (r.opens_minute, r.closes_minute) for r in day_rows if r.opens_minute is not None
            ),
            reason=next((r.reason for r in day_rows if r.reason), ""),
        )
        for day, day_rows in found.items()
    }


def open_holidays(code: str) -> frozenset[str]:
    """The public holidays on which the region keeps its weekly hours."""
    with db.session() as s:
        rows = s.exec(select(HolidayOpen.holiday).where(HolidayOpen.region_code == code))
        return frozenset(rows)


def set_date(code: str, day: date, intervals, reason: str = "") -> None:
    """Give one date its own hours: (opens_minute, closes_minute) intervals, none for closed.

    The reason is public. It replaces what the date had; `clear_date` gives it back to the
    week (and the holidays).
    """
    intervals = sorted(intervals)
    for opens, closes in intervals:
        if not 0 <= opens < closes <= 24 * 60:
            raise ValueError(f"an interval runs from 00:00 to 24:00 at most: {opens}-{closes}")
    if any(later[0] < earlier[1] for earlier, later in itertools.pairwise(intervals)):
        raise ValueError("intervals overlap")
    if len(reason) > MAX_REASON_LENGTH:
        raise ValueError(f"a reason has at most {MAX_REASON_LENGTH} characters")
    with db.session() as s:
        s.execute(delete(DateHours).where(DateHours.region_code == code, DateHours.day == day))
        rows = [
            DateHours(region_code=code, day=day, opens_minute=o, closes_minute=c, reason=reason)
            for o, c in intervals
        ] or [DateHours(region_code=code, day=day, reason=reason)]
        s.add_all(rows)
        s.commit()


def clear_date(code: str, day: date) -> None:
    """The date follows the week (and the holidays) again."""
    with db.session() as s:
        for row in s.exec(
            select(DateHours).where(DateHours.region_code == code, DateHours.day == day)
        ):
            s.delete(row)
        s.commit()


def keep_holiday_open(code: str, holiday: str, keep_open: bool = True) -> None:
    """Whether the region keeps its weekly hours on this public holiday (named as
    hours.holiday_names gives it) or closes, as on every holiday by default."""
    with db.session() as s:
        row = s.get(HolidayOpen, (code, holiday))
        if keep_open and row is None:
            s.add(HolidayOpen(region_code=code, holiday=holiday))
        elif not keep_open and row is not None:
            s.delete(row)
        s.commit()


def is_open_now(code: str) -> bool:
    """Whether the region's chat is open at this moment (an unknown region is not)."""
    region = get(code)
    return region is not None and status(region).is_open


def set_week(code: str, intervals) -> None:
    """Replace a region's weekly schedule with (weekday, opens_minute, closes_minute) rows."""
    with db.session() as s:
        for row in s.exec(select(OpeningHours).where(OpeningHours.region_code == code)):
            s.delete(row)
        for weekday, opens, closes in intervals:
            s.add(
                OpeningHours(
                    region_code=code, weekday=weekday, opens_minute=opens, closes_minute=closes
                )
            )
        s.commit()
