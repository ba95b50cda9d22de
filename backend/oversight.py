"""What coordinators and administrators oversee: each region's shift at a glance, reading
along with a colleague's chat, joining it, and the audit log of both.

A chat whose visitor gave an age under 18 is seen only by its own worker and the
coordinators of its region: an administrator counts it, but neither sees nor opens it.
"""

from dataclasses import dataclass, replace
from datetime import datetime, time
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func
from sqlmodel import select

from backend import chats, clock, db, presence, regions, staffing
from backend.hub import once
from backend.models import (
    AuditAction,
    AuditEntry,
    Availability,
    Chat,
    ChatJoin,
    ChatStatus,
    PresenceKind,
    Sender,
    Worker,
    WorkerRole,
)

AUDIT_PAGE = 200  # entries on the administrators' page, newest first


def oversees(worker: Worker) -> bool:
    return worker.role in (WorkerRole.COORDINATOR, WorkerRole.ADMIN)


def may_open(worker: Worker, chat: Chat) -> bool:
    """Whether the worker may read along with (and join) this chat: a coordinator of its
    region or an administrator, never a minor's chat for an administrator."""
    if not oversees(worker) or chat.region_code not in staffing.regions_of(worker):
        return False
    return not staffing.minor_kept_from(worker, chat)


def shown_to(worker: Worker, chat: Chat) -> bool:
    """Whether a taken chat shows in the worker's overviews at all."""
    return not staffing.minor_kept_from(worker, chat)


@dataclass
class RegionShift:
    """One region's shift as the overview shows it."""

    code: str
    name: str
    waiting: int
    longest_wait: datetime | None  # the oldest waiting chat's start
    active: list[tuple[Chat, str]]  # chats shown and who has them
    hidden: int  # active chats of visitors under 18 not shown to this viewer
    available: list[str]  # names of available workers with the console open
    started_today: int
    ended_today: int
    abandoned_today: int


def shift(worker: Worker, code: str, event: dict | None = None) -> RegionShift:
    """One region's waiting, active and available, and today's counts, for this viewer.

    Pushed on a hub event, the region is read once per process for every overview open."""
    whole = once(event, ("shift", code), lambda: _whole_shift(code))
    shown = [(chat, who) for chat, who in whole.active if shown_to(worker, chat)]
    return replace(whole, active=shown, hidden=len(whole.active) - len(shown))


def _whole_shift(code: str) -> RegionShift:
    """A region's shift with every active chat, before what a viewer may not see is left out."""
    region = regions.get(code)
    midnight = _local_midnight()
    with db.session() as s:
        waiting = s.exec(
            select(func.count(), func.min(Chat.created_at)).where(
                Chat.region_code == code, Chat.status == ChatStatus.WAITING
            )
        ).one()
        active = list(
            s.exec(
                select(Chat, Worker.display_name)
                .join(Worker, Worker.id == Chat.worker_id)
                .where(Chat.region_code == code, Chat.status == ChatStatus.ACTIVE)
                .order_by(Chat.accepted_at, Chat.id)
            )
        )
        available = list(
            s.exec(
                select(Worker.display_name)
                .where(
                    staffing.members(code),
                    Worker.availability == Availability.AVAILABLE,
                    Worker.disabled == False,  # noqa: E712  (SQL, not Python)
                    presence.is_live(PresenceKind.WORKER, Worker.id),
                )
                .order_by(Worker.display_name)
            )
        )
        today = dict(
            s.exec(
                select(Chat.status, func.count())
                .where(Chat.region_code == code, Chat.created_at >= midnight)
                .group_by(Chat.status)
            ).all()
        )
        closed_today = dict(
            s.exec(
                select(Chat.status, func.count())
                .where(Chat.region_code == code, Chat.ended_at >= midnight)
                .group_by(Chat.status)
            ).all()
        )
    return RegionShift(
        code=code,
        name=region.name if region else code,
        waiting=waiting[0],
        longest_wait=waiting[1],
        active=active,
        hidden=0,
        available=available,
        started_today=sum(today.values()),
        ended_today=closed_today.get(ChatStatus.ENDED, 0),
        abandoned_today=closed_today.get(ChatStatus.ABANDONED, 0),
    )


def _local_midnight() -> datetime:
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    today = clock.now().astimezone(tz).date()
    return datetime.combine(today, time(0), tzinfo=tz)


def record(worker: Worker, action: AuditAction, chat: Chat) -> None:
    with db.session() as s:
        s.add(
            AuditEntry(
                at=clock.now(),
                worker_id=worker.id,
                action=action,
                chat_id=chat.id,
                region_code=chat.region_code,
            )
        )
        s.commit()


def read_along(worker: Worker, chat: Chat) -> None:
    """The worker opened a colleague's chat to read along: logged each time."""
    if chat.worker_id != worker.id:
        record(worker, AuditAction.READ_ALONG, chat)


def has_joined(worker_id: int, chat_id: int) -> bool:
    with db.session() as s:
        return s.get(ChatJoin, (chat_id, worker_id)) is not None


def join(worker: Worker, chat: Chat) -> bool:
    """Join an active chat as a second name: the visitor and the chat's worker see a line
    saying so. Logged; False when the chat is not active (joined before is fine)."""
    if chat.status != ChatStatus.ACTIVE or chat.worker_id == worker.id:
        return False
    if has_joined(worker.id, chat.id):
        return True
    with db.session() as s:
        s.add(ChatJoin(chat_id=chat.id, worker_id=worker.id, joined_at=clock.now()))
        s.commit()
    if chats.add_message(chat.id, Sender.NOTICE, "", author=worker.display_name) is None:
        return False  # ended meanwhile
    record(worker, AuditAction.JOIN, chat)
    return True


def entries(limit: int = AUDIT_PAGE) -> list[tuple[AuditEntry, str]]:
    """The newest audit entries and who made each."""
    with db.session() as s:
        return list(
            s.exec(
                select(AuditEntry, Worker.display_name)
                .join(Worker, Worker.id == AuditEntry.worker_id)
                .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
                .limit(limit)
            )
        )
