"""Regions, their opening hours and the postcode table that maps four digits to a region."""

from sqlmodel import select

from backend import clock, db, hours
from backend.models import OpeningHours, Postcode, Region


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
    from flask import current_app

    return hours.status(
        week(region.code),
        clock.now(),
        current_app.config["TIMEZONE"],
        observes_holidays=region.observes_holidays,
    )


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
