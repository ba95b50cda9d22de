"""How long transcripts are kept after a chat ends: set by an administrator, 72 hours unless
configured otherwise. Registrations and the figures for the statistics stay; they hold no
words of the conversation."""

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func
from sqlmodel import select

from backend import clock, db, settings_changes
from backend.models import OPEN_STATUSES, Chat, Retention

MIN_HOURS, MAX_HOURS = 1, 30 * 24


def hours() -> int:
    """The retention in hours, read once per process until an administrator changes it."""
    kept = current_app.extensions.setdefault("retention", settings_changes.Kept(bound=1))
    return kept.get("hours", _read)


def _read() -> int:
    with db.session() as s:
        row = s.get(Retention, 1)
    return row.transcript_hours if row else current_app.config["TRANSCRIPT_RETENTION_HOURS"]


def set_hours(new: int, worker_id: int | None = None) -> None:
    """A new retention, from the next sweeper round on; ValueError outside the bounds."""
    if not MIN_HOURS <= new <= MAX_HOURS:
        raise ValueError(f"a retention of {MIN_HOURS} to {MAX_HOURS} hours")
    with db.session() as s:
        row = s.get(Retention, 1) or Retention(id=1, transcript_hours=new)
        row.transcript_hours, row.changed_by, row.changed_at = new, worker_id, clock.now()
        s.add(row)
        s.commit()


def changed() -> Retention | None:
    """Who set the retention last, and when; None while it is the configured default."""
    with db.session() as s:
        return s.get(Retention, 1)


def kept_transcripts() -> tuple[int, datetime | None]:
    """How many ended chats still hold a transcript, and when the first of them goes."""
    with db.session() as s:
        count, first_ended = s.exec(
            select(func.count(Chat.id), func.min(Chat.ended_at)).where(
                Chat.status.not_in(OPEN_STATUSES), Chat.nickname != ""
            )
        ).one()
    if not count:
        return 0, None
    return count, first_ended + timedelta(hours=hours())
