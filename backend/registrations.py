"""The anonymous advice registration a worker makes when a chat ends, and what reads it.

A registration is kept apart from the transcript (the purge never touches it) and holds no
more than the chat's nickname and region and the worker's choices. A serious chat cannot end
without one; a chat that ended otherwise stays on the worker's list until it has one.
"""

from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from backend import clock, db, followup
from backend.hub import hub, worker_topic
from backend.models import Chat, ChatStatus, ContactKind, EndReason, Registration

MAX_ADVICE_LENGTH = 500
# For a serious chat each of these must be chosen; the advice itself may stay empty.
REQUIRED_WHEN_SERIOUS = ("topic", "asked_by", "under_18", "referred_to")
FIELDS = ("kind", *REQUIRED_WHEN_SERIOUS, "advice")
# How many earlier registrations a follow-up code brings up, and how far back its chain goes.
MAX_EARLIER = 10


class Incomplete(ValueError):
    """The registration misses choices it needs; `missing` names the fields."""

    def __init__(self, missing: list[str]):
        super().__init__(", ".join(missing))
        self.missing = missing


class AlreadyRegistered(Exception):
    """The chat has its registration already (another tab, a second click)."""


def missing(values: dict) -> list[str]:
    """The fields a registration with these values still needs."""
    if not values.get("kind"):
        return ["kind"]
    if values["kind"] != ContactKind.SERIOUS:
        return []
    return [name for name in REQUIRED_WHEN_SERIOUS if not values.get(name)]


def of_chat(chat_id: int) -> Registration | None:
    with db.session() as s:
        return s.exec(select(Registration).where(Registration.chat_id == chat_id)).first()


def save(chat: Chat, worker_id: int, values: dict) -> Registration:
    """Store the registration of a chat (active, to be ended next, or ended).

    The chat's follow-up code is given now if the visitor has not seen one yet, so the
    registration and the visitor's closing name the same code.
    """
    if lacking := missing(values):
        raise Incomplete(lacking)
    code = None if chat.ended_by == EndReason.QUICK_EXIT else followup.give(chat.id)
    registration = Registration(
        chat_id=chat.id,
        region_code=chat.region_code,
        nickname=chat.nickname,
        worker_id=worker_id,
        followup_code=code,
        created_at=clock.now(),
        **{name: values.get(name) or None for name in FIELDS},
    )
    with db.session() as s:
        s.add(registration)
        try:
            s.commit()
        except IntegrityError:
            s.rollback()
            raise AlreadyRegistered from None
        s.refresh(registration)
    # The worker's workspaces redraw their tabs: the chat leaves "still to register".
    hub().publish(worker_topic(worker_id), {"type": "mine"})
    return registration


def pending_for(worker_id: int) -> list[Chat]:
    """The worker's ended chats that have no registration yet, oldest first.

    A chat whose transcript was purged (no nickname left) no longer counts.
    """
    registered = select(Registration.id).where(Registration.chat_id == Chat.id).exists()
    with db.session() as s:
        query = (
            select(Chat)
            .where(
                Chat.worker_id == worker_id,
                Chat.status == ChatStatus.ENDED,
                Chat.nickname != "",
                ~registered,
            )
            .order_by(Chat.ended_at, Chat.id)
        )
        return list(s.exec(query))


def for_followup_code(code: str | None) -> list[Registration]:
    """The registrations a follow-up code brings up, newest first.

    The chat that gave the code, and the chats before it: a visitor who gave an earlier
    code in that chat brings that advice along too, so the newest code is the only one
    they need to keep.
    """
    found: dict[int, Registration] = {}
    todo, seen = [followup.normalise(code)], set()
    with db.session() as s:
        while todo and len(seen) < MAX_EARLIER:
            current = todo.pop()
            if current is None or current in seen:
                continue
            seen.add(current)
            given = s.exec(
                select(Chat.id, Chat.earlier_code).where(Chat.followup_code == current)
            ).all()
            todo.extend(earlier for _chat_id, earlier in given if earlier)
            chat_ids = [chat_id for chat_id, _earlier in given]
            query = select(Registration).where(
                (Registration.followup_code == current) | Registration.chat_id.in_(chat_ids)
            )
            found.update((r.id, r) for r in s.exec(query))
    newest_first = sorted(found.values(), key=lambda r: (r.created_at, r.id), reverse=True)
    return newest_first[:MAX_EARLIER]


def earlier(chat: Chat) -> list[Registration]:
    """The advice registered before for the code this chat's visitor gave, if any."""
    if not chat.earlier_code:
        return []
    return [r for r in for_followup_code(chat.earlier_code) if r.chat_id != chat.id]
