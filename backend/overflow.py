"""Overflow between regions: a region lets its waiting chats move to a partner region or the
national queue after a set wait, or while it is closed itself.

A chat that moves keeps its first moment (`created_at`), so in the partner's queue it stands
where its start puts it among theirs: its place in time. It moves once (`overflowed_from`),
never on along a chain, and only to a partner that is open; the visitor reads that a
colleague elsewhere will help. The sweeper moves what is due (`move_due`); a start in a
closed region that overflows outside its hours goes straight to the partner (`taking_over`).
"""

from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, update
from sqlmodel import select

from backend import chats, clock, db, regions, settings_changes
from backend.models import Chat, ChatStatus, Overflow, Region

MAX_AFTER_MINUTES = 24 * 60


def rule_of(code: str) -> Overflow | None:
    """The region's overflow, kept per process until it changes (settings_changes)."""
    kept = current_app.extensions.setdefault("overflow", settings_changes.Kept())
    return kept.get(code, lambda: _read(code))


def _read(code: str) -> Overflow | None:
    with db.session() as s:
        return s.get(Overflow, code)


def set_rule(
    code: str, partner_code: str | None, after_minutes: int | None, outside_hours: bool
) -> None:
    """Where the region's waiting chats go, and when; no partner: they stay where they are."""
    if partner_code == code:
        raise ValueError("a region cannot overflow into itself")
    if after_minutes is not None and not 1 <= after_minutes <= MAX_AFTER_MINUTES:
        raise ValueError(f"after 1 to {MAX_AFTER_MINUTES} minutes")
    with db.session() as s:
        row = s.get(Overflow, code)
        if partner_code is None:
            if row is not None:
                s.delete(row)
        elif row is None:
            s.add(
                Overflow(
                    region_code=code,
                    partner_code=partner_code,
                    after_minutes=after_minutes,
                    outside_hours=outside_hours,
                )
            )
        else:
            row.partner_code, row.after_minutes = partner_code, after_minutes
            row.outside_hours = outside_hours
        s.commit()


def taking_over(region: Region) -> Region | None:
    """The partner that takes the region's new chats now: the region is closed, overflows
    outside its hours, and the partner is open. None otherwise."""
    rule = rule_of(region.code)
    if rule is None or not rule.outside_hours or regions.status(region).is_open:
        return None
    partner = regions.get(rule.partner_code)
    return partner if partner is not None and regions.status(partner).is_open else None


def hands_on_while_closed(code: str) -> bool:
    """Whether the region, closed now, hands its waiting chats to a partner that is open.

    The rule is read from the database, not from what this process keeps: the sweeper ends
    the waiting of a closed region on this answer, and a rule saved a moment ago must count.
    """
    rule = _read(code)
    if rule is None or not rule.outside_hours:
        return False
    partner = regions.get(rule.partner_code)
    return partner is not None and regions.status(partner).is_open


def move_due() -> list[int]:
    """Move every waiting chat whose moment has come to its region's partner; the ids moved."""
    with db.session() as s:
        rules = list(s.exec(select(Overflow)))
    moved = []
    for rule in rules:
        moved += _move(rule)
    return moved


def _move(rule: Overflow) -> list[int]:
    region, partner = regions.get(rule.region_code), regions.get(rule.partner_code)
    if region is None or partner is None or not regions.status(partner).is_open:
        return []
    due = [
        Chat.status == ChatStatus.WAITING,
        Chat.region_code == region.code,
        Chat.overflowed_from.is_(None),
    ]
    if not (rule.outside_hours and not regions.status(region).is_open):
        if rule.after_minutes is None:
            return []
        due.append(Chat.created_at <= clock.now() - timedelta(minutes=rule.after_minutes))
    with db.session() as s:
        ids = list(s.exec(select(Chat.id).where(*due)))
        if not ids:
            return []
        # Conditional, like every change the sweeper makes: a chat taken meanwhile stays.
        s.execute(
            update(Chat)
            .where(Chat.id.in_(ids), *due)
            .values(region_code=partner.code, overflowed_from=region.code)
        )
        s.commit()
        ids = list(
            s.exec(
                select(Chat.id).where(
                    Chat.id.in_(ids),
                    Chat.region_code == partner.code,
                    Chat.overflowed_from == region.code,
                )
            )
        )
    for chat_id in ids:
        chats.state_changed(chat_id, partner.code)  # the visitor hears where they wait now
    chats.queue_changed(region.code)
    return ids


def drop_region(code: str, session) -> None:
    """A region going away (merged): its own rule goes, and rules pointing to it."""
    session.execute(delete(Overflow).where(Overflow.region_code == code))
    session.execute(delete(Overflow).where(Overflow.partner_code == code))
