"""Handing an active chat over: to another region's queue, or to a named colleague who accepts.

A chat handed to a region waits there again with its history and its first moment
(`created_at`), so it keeps its place in time among that region's waiting visitors. A chat
offered to a colleague stays with its worker until the colleague accepts; declining leaves it
where it was. Every change is one conditional UPDATE, committed before anyone is told.
"""

from enum import StrEnum

from sqlalchemy import or_, update
from sqlmodel import select

from backend import chats, clock, db, regions, staffing, workers
from backend.hub import hub, worker_topic
from backend.models import Chat, ChatStatus, Region, Worker, WorkerRegion

MAX_NOTE_LENGTH = 500


class Refusal(StrEnum):
    NOT_YOURS = "not_yours"  # no longer the worker's active chat (ended, handed over)
    NO_REGION = "no_region"  # unknown, the chat's own, or nobody works there
    CLOSED = "closed"  # the region's chat is closed now: nobody would take it
    NO_COLLEAGUE = "no_colleague"  # not a colleague of the chat's region, or disabled
    NO_OFFER = "no_offer"  # not (or no longer) offered to this worker
    AT_CAPACITY = "at_capacity"  # the colleague has as many chats as they take


class Refused(Exception):
    """A hand-over that cannot happen; `reason` says why, for the view to put in words."""

    def __init__(self, reason: Refusal):
        super().__init__(reason)
        self.reason = reason


class Change(StrEnum):
    """What an {"type": "offer"} event on a worker's topic says happened to an offer."""

    MADE = "made"  # to the colleague: a chat is offered to you
    GONE = "gone"  # to the colleague: the offer was withdrawn, answered elsewhere, or ended
    ACCEPTED = "accepted"  # to the first worker: the colleague took the chat
    DECLINED = "declined"  # to the first worker: the colleague said no; the chat stays


def _staffed_codes() -> set[str]:
    """Regions where at least one worker (not disabled) works."""
    with db.session() as s:
        enabled = Worker.disabled == False  # noqa: E712  (SQL, not Python)
        own = s.exec(select(Worker.region_code).where(enabled))
        extra = s.exec(
            select(WorkerRegion.region_code)
            .join(Worker, Worker.id == WorkerRegion.worker_id)
            .where(enabled)
        )
        return {*own, *extra}


def target_regions(chat: Chat) -> list[Region]:
    """Where a chat can be handed: regions with workers, not its own, demo with demo only."""
    here = regions.get(chat.region_code)
    is_demo = here is not None and here.is_demo
    staffed = _staffed_codes()
    return [
        region
        for region in regions.all_regions(include_demo=True)
        if region.code in staffed and region.code != chat.region_code and region.is_demo == is_demo
    ]


def colleagues(chat: Chat, worker_id: int) -> list[Worker]:
    """The workers of the chat's region, other than `worker_id`, who may take it over."""
    extra = select(WorkerRegion.worker_id).where(WorkerRegion.region_code == chat.region_code)
    with db.session() as s:
        query = (
            select(Worker)
            .where(
                or_(Worker.region_code == chat.region_code, Worker.id.in_(extra)),
                Worker.disabled == False,  # noqa: E712
                Worker.id != worker_id,
            )
            .order_by(Worker.display_name, Worker.id)
        )
        return list(s.exec(query))


def offers_for(worker_id: int) -> list[tuple[Chat, Worker]]:
    """The chats offered to this worker now, oldest first, each with who offers it."""
    with db.session() as s:
        rows = s.exec(
            select(Chat, Worker)
            .join(Worker, Worker.id == Chat.worker_id)
            .where(Chat.offered_to_id == worker_id, Chat.status == ChatStatus.ACTIVE)
            .order_by(Chat.accepted_at, Chat.id)
        )
        return list(rows)


def _theirs(chat_id: int, worker_id: int):
    """SQL conditions: the chat is still active and still this worker's."""
    return (Chat.id == chat_id, Chat.status == ChatStatus.ACTIVE, Chat.worker_id == worker_id)


def _tell(worker_id: int, change: Change, chat_id: int, by: int | None = None) -> None:
    event = {"type": "offer", "change": change, "chat": chat_id}
    if by is not None:
        event["by"] = by
    hub().publish(worker_topic(worker_id), event)


def to_region(chat_id: int, from_worker_id: int, region_code: str, note: str) -> Chat:
    """Put the worker's active chat back in the queue of another region; the chat as it was.

    It waits there from its first moment on, so it goes before the visitors who started
    later; its messages stay. An offer to a colleague that was still open lapses.
    """
    chat = chats.get(chat_id)
    if chat is None or chat.status != ChatStatus.ACTIVE or chat.worker_id != from_worker_id:
        raise Refused(Refusal.NOT_YOURS)
    target = next((r for r in target_regions(chat) if r.code == region_code), None)
    if target is None:
        raise Refused(Refusal.NO_REGION)
    if not regions.status(target).is_open:
        raise Refused(Refusal.CLOSED)
    with db.session() as s:
        result = s.execute(
            update(Chat)
            .where(*_theirs(chat_id, from_worker_id))
            .values(
                status=ChatStatus.WAITING,
                region_code=region_code,
                worker_id=None,
                offered_to_id=None,
                handover_note=note,
            )
        )
        s.commit()
    if result.rowcount != 1:
        raise Refused(Refusal.NOT_YOURS)
    # Both sides redraw the chat; both regions' queues changed (the old one's chat left).
    chats.state_changed(chat_id, chat.region_code)
    chats.queue_changed(region_code)
    hub().publish(worker_topic(from_worker_id), {"type": "mine"})
    if chat.offered_to_id is not None:
        _tell(chat.offered_to_id, Change.GONE, chat_id)
    return chats.get(chat_id)


def to_colleague(chat_id: int, from_worker_id: int, colleague_id: int, note: str) -> Chat:
    """Offer the worker's active chat to a colleague of its region, with a note for them.

    The chat stays the worker's until the colleague accepts. A new offer replaces an open one.
    """
    chat = chats.get(chat_id)
    if chat is None or chat.status != ChatStatus.ACTIVE or chat.worker_id != from_worker_id:
        raise Refused(Refusal.NOT_YOURS)
    if colleague_id not in {w.id for w in colleagues(chat, from_worker_id)}:
        raise Refused(Refusal.NO_COLLEAGUE)
    with db.session() as s:
        result = s.execute(
            update(Chat)
            .where(*_theirs(chat_id, from_worker_id))
            .values(offered_to_id=colleague_id, handover_note=note)
        )
        s.commit()
    if result.rowcount != 1:
        raise Refused(Refusal.NOT_YOURS)
    if chat.offered_to_id not in (None, colleague_id):
        _tell(chat.offered_to_id, Change.GONE, chat_id)
    _tell(colleague_id, Change.MADE, chat_id)
    return chats.get(chat_id)


def withdraw_offer(chat_id: int, from_worker_id: int) -> bool:
    """The worker takes back an offer that has not been answered; whether there was one."""
    chat = chats.get(chat_id)
    if chat is None or chat.offered_to_id is None:
        return False
    with db.session() as s:
        result = s.execute(
            update(Chat)
            .where(*_theirs(chat_id, from_worker_id), Chat.offered_to_id == chat.offered_to_id)
            .values(offered_to_id=None, handover_note=None)
        )
        s.commit()
    if result.rowcount != 1:
        return False
    _tell(chat.offered_to_id, Change.GONE, chat_id)
    return True


def accept_offer(chat_id: int, colleague_id: int) -> Chat:
    """The colleague takes the chat offered to them, if they have room for one more.

    Like a claim from the queue (chats._claim), the colleague's row is locked first
    (PostgreSQL) and the room counted again in the UPDATE (SQLite), so two accepts or claims
    of one worker at once cannot both find room for one more.
    """
    chat = chats.get(chat_id)
    if chat is None or chat.offered_to_id != colleague_id or chat.status != ChatStatus.ACTIVE:
        raise Refused(Refusal.NO_OFFER)
    colleague = workers.get(colleague_id)
    if colleague is None or chat.region_code not in staffing.regions_of(colleague):
        raise Refused(Refusal.NO_COLLEAGUE)
    now = clock.now()
    with db.session() as s:
        if chats.locked_with_room(s, colleague_id) is None:
            s.rollback()
            raise Refused(Refusal.NO_COLLEAGUE if colleague.disabled else Refusal.AT_CAPACITY)
        result = s.execute(
            update(Chat)
            .where(
                Chat.id == chat_id,
                Chat.status == ChatStatus.ACTIVE,
                Chat.offered_to_id == colleague_id,
                Chat.worker_id == chat.worker_id,
                chats.has_room(colleague_id),  # counted again in the write (SQLite)
            )
            .values(
                worker_id=colleague_id,
                offered_to_id=None,
                accepted_at=now,
                last_activity_at=now,
            )
        )
        s.commit()
    if result.rowcount != 1:
        raise Refused(Refusal.AT_CAPACITY if chats.at_capacity(colleague_id) else Refusal.NO_OFFER)
    # The first worker's page lets go of the chat before its new state arrives there.
    _tell(chat.worker_id, Change.ACCEPTED, chat_id, by=colleague_id)
    chats.state_changed(chat_id, chat.region_code)
    hub().publish(worker_topic(colleague_id), {"type": "mine"})
    _tell(colleague_id, Change.GONE, chat_id)  # their other pages drop the offer
    return chats.get(chat_id)


def decline_offer(chat_id: int, colleague_id: int) -> bool:
    """The colleague says no: the chat stays with its worker, who is told."""
    chat = chats.get(chat_id)
    if chat is None or chat.offered_to_id != colleague_id:
        return False
    with db.session() as s:
        result = s.execute(
            update(Chat)
            .where(Chat.id == chat_id, Chat.offered_to_id == colleague_id)
            .values(offered_to_id=None, handover_note=None)
        )
        s.commit()
    if result.rowcount != 1:
        return False
    if chat.worker_id is not None:
        _tell(chat.worker_id, Change.DECLINED, chat_id, by=colleague_id)
    _tell(colleague_id, Change.GONE, chat_id)
    return True
