"""Regions as data, for administrators: name and phone details, and merging one into another.

A merge moves every row that names the region merged away to the region that stays, in one
transaction, and then deletes the emptied region. Its opening hours go: the hours of the
region that stays are the hours of both from then on.
"""

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import delete, func, update
from sqlmodel import select

from backend import chats, db, overflow, staffing
from backend.hub import chat_topic, hub, worker_topic
from backend.models import (
    OPEN_STATUSES,
    AuditEntry,
    CannedAnswer,
    Chat,
    DateHours,
    HolidayOpen,
    OpeningHours,
    Overflow,
    Postcode,
    Region,
    Registration,
    Site,
    Worker,
    WorkerRegion,
)

MAX_NAME_LENGTH = 80
MAX_PHONE_LENGTH = 20
MAX_PHONE_NOTE_LENGTH = 80

# Every table with a column naming a region, and what a merge does with it (a test checks
# that no table is missing here). Moved: the row now names the region that stays.
MOVED = (Postcode, Site, Worker, Chat, Registration, AuditEntry, CannedAnswer)
# Dropped: the region merged away loses them; the hours of the region that stays stay.
DROPPED = (OpeningHours, DateHours, HolidayOpen, Overflow)
# Moved unless the worker already works for the region that stays (one row per key).
MERGED = (WorkerRegion,)
# Other columns naming a region: a chat that overflowed from `gone` came from `kept` now; an
# overflow into `gone` goes (backend/overflow.py), as `kept` may be that very region.
OTHER_COLUMNS = ((Chat, "overflowed_from"), (Overflow, "partner_code"))


class Refusal(StrEnum):
    UNKNOWN = "unknown"  # either region does not exist (any more)
    SAME = "same"  # a region into itself
    DEMO_MIX = "demo_mix"  # a demo region and a real one
    NATIONAL = "national"  # the national queue, into a region or a region into it


class Refused(Exception):
    """A merge that cannot happen; `reason` says why, for the view to put in words."""

    def __init__(self, reason: Refusal):
        super().__init__(reason)
        self.reason = reason


def save(code: str, name: str, phone: str, phone_note: str) -> None:
    """A region's name and its own line (empty strings for none), in one commit; the pop-up
    and the console show them at once (settings_changes)."""
    with db.session() as s:
        region = s.get(Region, code)
        region.name, region.phone, region.phone_note = name, phone, phone_note
        s.add(region)
        s.commit()


def check_merge(gone: str, kept: str, s=None) -> None:
    """Refused unless `gone` may be merged into `kept`; in session `s` when given."""
    if gone == kept:
        raise Refused(Refusal.SAME)
    if s is None:
        with db.session() as s:
            return check_merge(gone, kept, s)
    source, target = s.get(Region, gone), s.get(Region, kept)
    if source is None or target is None:
        raise Refused(Refusal.UNKNOWN)
    if source.is_demo != target.is_demo:
        raise Refused(Refusal.DEMO_MIX)
    # Every region may overflow into the national queue: it is no place's region, and
    # merging it would hand its chats to one region, or one region's postcodes to it.
    if source.national or target.national:
        raise Refused(Refusal.NATIONAL)


def merge(gone: str, kept: str) -> None:
    """Move everything of region `gone` to region `kept` and delete `gone`, in one commit.

    Waiting chats keep their first moment, so they take their place in time among the
    waiting of `kept`. A canned answer whose shortcut `kept` already has goes: its text stays.
    """
    with db.session() as s:
        # Checked in the merge's own transaction, on rows it holds locked (PostgreSQL; SQLite
        # writes one at a time): no second merge or rename slips in between check and moves.
        s.execute(select(Region.code).where(Region.code.in_([gone, kept])).with_for_update()).all()
        check_merge(gone, kept, s)
        open_chats = list(
            s.exec(select(Chat.id).where(Chat.region_code == gone, Chat.status.in_(OPEN_STATUSES)))
        )
        own = select(Worker.id).where(Worker.region_code == gone)
        extra = select(WorkerRegion.worker_id).where(WorkerRegion.region_code == gone)
        staff = set(s.exec(own)) | set(s.exec(extra))
        shortcuts = select(CannedAnswer.shortcut).where(CannedAnswer.region_code == kept)
        s.execute(
            delete(CannedAnswer).where(
                CannedAnswer.region_code == gone, CannedAnswer.shortcut.in_(shortcuts)
            )
        )
        for model in MOVED:
            s.execute(update(model).where(model.region_code == gone).values(region_code=kept))
        # A worker of both regions keeps one row; one whose own region is now `kept` none.
        both = select(WorkerRegion.worker_id).where(WorkerRegion.region_code == kept)
        s.execute(
            delete(WorkerRegion).where(
                WorkerRegion.region_code == gone, WorkerRegion.worker_id.in_(both)
            )
        )
        s.execute(
            update(WorkerRegion).where(WorkerRegion.region_code == gone).values(region_code=kept)
        )
        own_kept = select(Worker.id).where(Worker.region_code == kept)
        s.execute(
            delete(WorkerRegion).where(
                WorkerRegion.region_code == kept, WorkerRegion.worker_id.in_(own_kept)
            )
        )
        s.execute(update(Chat).where(Chat.overflowed_from == gone).values(overflowed_from=kept))
        overflow.drop_region(gone, s)
        for model in DROPPED:
            s.execute(delete(model).where(model.region_code == gone))
        # Deleted through the ORM, so that settings_changes counts the change.
        s.delete(s.get(Region, gone))
        s.commit()
    _publish(kept, open_chats, staff)


def _publish(kept: str, open_chats: list[int], staff: set[int]) -> None:
    """After the commit: open chats redraw (a waiting visitor follows the new queue), the
    merged region's workers follow the queue of `kept`, and that queue redraws."""
    for chat_id in open_chats:
        hub().publish(chat_topic(chat_id), {"type": "state", "chat": chat_id})
    for worker_id in sorted(staff):
        hub().publish(worker_topic(worker_id), {"type": "regions"})
    # Nothing on the topic of `gone` any more: its pop-ups and consoles were told above.
    chats.queue_changed(kept)
    staffing.changed([kept])


@dataclass(frozen=True)
class Holds:
    """What a region holds, as the merge page tells it."""

    postcodes: int
    workers: int
    chats: int
    open_chats: int
    sites: int


def holds(code: str) -> Holds:
    """The postcodes, workers (own or extra region), chats and sites of a region."""
    with db.session() as s:

        def count(query) -> int:
            return s.exec(select(func.count()).select_from(query.subquery())).one()

        own = select(Worker.id).where(Worker.region_code == code)
        extra = select(WorkerRegion.worker_id).where(WorkerRegion.region_code == code)
        return Holds(
            postcodes=count(select(Postcode.pc4).where(Postcode.region_code == code)),
            workers=count(own.union(extra)),
            chats=count(select(Chat.id).where(Chat.region_code == code)),
            open_chats=count(
                select(Chat.id).where(Chat.region_code == code, Chat.status.in_(OPEN_STATUSES))
            ),
            sites=count(select(Site.key).where(Site.region_code == code)),
        )
