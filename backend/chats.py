"""A chat's life: waiting in a region's queue, claimed by one worker, ended; and its messages.

Every change is committed before its event is published, so whatever a client is told
is already in the database for a reconnecting client to read.
"""

import secrets
from datetime import timedelta
from functools import cache

from sqlalchemy import bindparam, delete, func, insert, update
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import select

from backend import clock, db, regions, retention
from backend.hub import chat_topic, hub, once, region_topic, worker_topic
from backend.models import (
    OPEN_STATUSES,
    Chat,
    ChatStatus,
    EndReason,
    Message,
    Note,
    Sender,
    Worker,
)

MAX_MESSAGE_LENGTH = 2000


def new_token() -> str:
    """The random token that names a chat in the visitor's session and tickets."""
    return secrets.token_urlsafe(32)


def create(
    region_code: str,
    nickname: str,
    age=None,
    gender=None,
    role=None,
    earlier_code=None,
    overflowed_from=None,
) -> Chat:
    """Put a new chat at the back of the region's queue.

    `earlier_code` is a follow-up code the visitor brought from an earlier chat (followup).
    `overflowed_from`: the visitor's own region, closed, whose partner takes the chat.
    """
    with db.session() as s:
        chat = Chat(
            token=new_token(),
            region_code=region_code,
            nickname=nickname,
            age=age,
            gender=gender,
            role=role,
            earlier_code=earlier_code,
            overflowed_from=overflowed_from,
            created_at=clock.now(),
            visitor_seen_at=clock.now(),
        )
        s.add(chat)
        s.commit()
    queue_changed(region_code)
    return chat


def purge_transcripts() -> int:
    """Delete the messages, notes and nickname of chats that ended longer ago than the retention.

    What stays is anonymous: region, times, and the optional age, gender and role.
    """
    cutoff = clock.now() - timedelta(hours=retention.hours())
    with db.session() as s:
        expired = select(Chat.id).where(
            Chat.status.not_in(OPEN_STATUSES), Chat.ended_at < cutoff, Chat.nickname != ""
        )
        ids = list(s.exec(expired))
        if ids:
            s.execute(delete(Message).where(Message.chat_id.in_(ids)))
            s.execute(delete(Note).where(Note.chat_id.in_(ids)))  # workers' notes too
            # The hand-over note goes with the transcript: it may say what the visitor told.
            s.execute(update(Chat).where(Chat.id.in_(ids)).values(nickname="", handover_note=None))
            s.commit()
    return len(ids)


def get(chat_id: int) -> Chat | None:
    with db.session() as s:
        return s.get(Chat, chat_id)


def id_by_token(token: str | None) -> int | None:
    """The id of the chat with this token: all a send needs, read without the ORM."""
    if not token:
        return None
    with db.engine().connect() as connection:
        return connection.execute(_by_token(), {"token": token}).scalar_one_or_none()


@cache
def _by_token():
    """Built once: SQLAlchemy finds its compiled form by a key made from the statement, and
    making that key for a new statement on every send cost more than the lookup itself."""
    table = Chat.__table__
    return sa_select(table.c.id).where(table.c.token == bindparam("token"))


def by_token(token: str | None) -> Chat | None:
    if not token:
        return None
    with db.session() as s:
        return s.exec(select(Chat).where(Chat.token == token)).first()


def waiting(region_code: str) -> list[Chat]:
    """The region's queue, first come first served."""
    return waiting_in([region_code])


def waiting_in(region_codes: list[str]) -> list[Chat]:
    """The queues of several regions as one, first come first served."""
    with db.session() as s:
        query = (
            select(Chat)
            .where(Chat.region_code.in_(region_codes), Chat.status == ChatStatus.WAITING)
            .order_by(Chat.created_at, Chat.id)
        )
        return list(s.exec(query))


def unread_counts(chat_ids: list[int]) -> dict[int, int]:
    """Per chat, the visitor's messages after the last one its worker had on screen."""
    if not chat_ids:
        return {}
    with db.session() as s:
        rows = s.exec(
            select(Message.chat_id, func.count())
            .join(Chat, Chat.id == Message.chat_id)
            .where(
                Message.chat_id.in_(chat_ids),
                Message.sender == Sender.VISITOR,
                Message.seq > Chat.worker_read_seq,
            )
            .group_by(Message.chat_id)
        )
        return {chat_id: 0 for chat_id in chat_ids} | {chat_id: count for chat_id, count in rows}


def mark_read(chat_id: int, seq: int) -> None:
    """The worker has had the chat on screen up to message `seq`."""
    with db.session() as s:
        s.execute(
            update(Chat)
            .where(Chat.id == chat_id, Chat.worker_read_seq < seq)
            .values(worker_read_seq=seq)
        )
        s.commit()


def typing(chat_id: int, sender: Sender) -> None:
    """Someone is typing in an active chat: told to the other side, stored nowhere."""
    hub().publish(chat_topic(chat_id), {"type": "typing", "sender": sender, "chat": chat_id})


def position(chat: Chat) -> int | None:
    """1 for the first in the queue; None when the chat is not waiting."""
    if chat.status != ChatStatus.WAITING:
        return None
    with db.session() as s:
        ahead = s.exec(
            select(func.count())
            .select_from(Chat)
            .where(
                Chat.region_code == chat.region_code,
                Chat.status == ChatStatus.WAITING,
                (Chat.created_at < chat.created_at)
                | ((Chat.created_at == chat.created_at) & (Chat.id < chat.id)),
            )
        ).one()
    return ahead + 1


def active_for(worker_id: int) -> list[Chat]:
    with db.session() as s:
        query = (
            select(Chat)
            .where(Chat.worker_id == worker_id, Chat.status == ChatStatus.ACTIVE)
            .order_by(Chat.accepted_at)
        )
        return list(s.exec(query))


def accept(chat_id: int, worker_id: int) -> bool:
    """Claim a waiting chat. One conditional UPDATE: of two workers at once, one wins.

    Refused when the region's chat is closed (after hours nobody new is taken on), and
    when the worker already has as many chats as their capacity.
    """
    chat = get(chat_id)
    if chat is None or not regions.is_open_now(chat.region_code):
        return False
    return _claim(worker_id, Chat.id == chat_id)


def take_next(worker_id: int, region_codes: list[str]) -> Chat | None:
    """ "Volgende chat": claim the oldest waiting chat of these regions that are open now."""
    open_codes = [code for code in region_codes if regions.is_open_now(code)]
    for _attempt in range(5):  # a colleague may take the oldest between select and update
        with db.session() as s:
            oldest = s.exec(
                select(Chat.id)
                .where(Chat.status == ChatStatus.WAITING, Chat.region_code.in_(open_codes))
                .order_by(Chat.created_at, Chat.id)
                .limit(1)
            ).first()
        if oldest is None:
            return None
        if _claim(worker_id, Chat.id == oldest):
            return get(oldest)
        if at_capacity(worker_id):
            return None
    return None


def at_capacity(worker_id: int) -> bool:
    with db.session() as s:
        worker = s.get(Worker, worker_id)
        return worker is None or active_count(s, worker_id) >= worker.capacity


def active_count(s, worker_id: int) -> int:
    return s.exec(
        select(func.count())
        .select_from(Chat)
        .where(Chat.worker_id == worker_id, Chat.status == ChatStatus.ACTIVE)
    ).one()


def _claim(worker_id: int, which) -> bool:
    """Make the chat `which` selects the worker's, if it waits and they have room.

    Two claims of one worker at once cannot both find room for one more: PostgreSQL locks the
    worker's row first; SQLite runs the selects outside the write, so the UPDATE counts again
    (tests/test_capacity.py races threads on a real file).
    """
    now = clock.now()
    with db.session() as s:
        if locked_with_room(s, worker_id) is None:
            s.rollback()
            return False
        chat = s.exec(select(Chat).where(which, Chat.status == ChatStatus.WAITING)).first()
        if chat is None:
            s.rollback()
            return False
        result = s.execute(
            update(Chat)
            .where(Chat.id == chat.id, Chat.status == ChatStatus.WAITING, has_room(worker_id))
            .values(
                status=ChatStatus.ACTIVE,
                worker_id=worker_id,
                accepted_at=now,
                last_activity_at=now,
                offered_to_id=None,
            )
        )
        s.commit()
        if result.rowcount != 1:
            return False
        chat_id, region_code = chat.id, chat.region_code
    state_changed(chat_id, region_code)
    hub().publish(worker_topic(worker_id), {"type": "mine"})
    return True


def locked_with_room(s, worker_id: int) -> Worker | None:
    """The worker, their row locked for this transaction (PostgreSQL), if they may take one
    more chat: enabled and below their capacity."""
    worker = s.exec(select(Worker).where(Worker.id == worker_id).with_for_update()).first()
    if worker is None or worker.disabled or active_count(s, worker_id) >= worker.capacity:
        return None
    return worker


def has_room(worker_id: int):
    """A SQL condition: the worker has fewer active chats than their capacity."""
    theirs = aliased(Chat)  # not the chat being updated
    active = (
        select(func.count())
        .select_from(theirs)
        .where(theirs.worker_id == worker_id, theirs.status == ChatStatus.ACTIVE)
        .scalar_subquery()
    )
    capacity = select(Worker.capacity).where(Worker.id == worker_id).scalar_subquery()
    return active < capacity


def end(chat_id: int, by: EndReason) -> bool:
    """End an open chat: a waiting one is abandoned, an active one ended."""
    now = clock.now()
    with db.session() as s:
        chat = s.get(Chat, chat_id)
        if chat is None or not chat.is_open:
            return False
        new_status = ChatStatus.ABANDONED if chat.status == ChatStatus.WAITING else ChatStatus.ENDED
        result = s.execute(
            update(Chat)
            .where(Chat.id == chat_id, Chat.status == chat.status)
            .values(status=new_status, ended_at=now, ended_by=by)
        )
        s.commit()
        if result.rowcount != 1:
            return False
    state_changed(chat_id, chat.region_code)
    if chat.offered_to_id is not None:  # transfers: the colleague's offer lapses with the chat
        hub().publish(
            worker_topic(chat.offered_to_id), {"type": "offer", "change": "gone", "chat": chat_id}
        )
    return True


def quick_exit(token: str) -> bool:
    """ "Verberg deze pagina": end the chat if it is open, and forget its token.

    With a new token, no cookie, page or ticket of the visitor's still finds the chat, so
    every later load shows a fresh pop-up. The worker keeps the transcript until the purge.
    Returns whether there was a chat to forget; a second call finds none.
    """
    chat = by_token(token)
    if chat is None:
        return False
    end(chat.id, EndReason.QUICK_EXIT)
    with db.session() as s:
        s.execute(update(Chat).where(Chat.id == chat.id).values(token=new_token()))
        s.commit()
    return True


def seen(chat_id: int) -> None:
    """The visitor loaded a page of the chat: their absence counts from now."""
    with db.session() as s:
        s.execute(update(Chat).where(Chat.id == chat_id).values(visitor_seen_at=clock.now()))
        s.commit()


def add_message(
    chat_id: int,
    sender: Sender,
    body: str,
    send_key: str | None = None,
    author: str | None = None,
) -> Message | None:
    """Store a message with the chat's next sequence number; None if the chat is not active.

    `send_key` comes with the message box: a send tried again because its answer was lost
    (the server restarted, the line broke) finds the message already stored and stores
    nothing new. `author` names a coordinator who joined the chat (backend/oversight.py).
    """
    now = clock.now()
    next_seq, insert_message = _storing(sender)
    row = dict(chat_id=chat_id, sender=sender, body=body, created_at=now, send_key=send_key)
    if author is not None:
        row["author"] = author
    # On a connection of its own, not through the ORM: the busiest write of all.
    try:
        with db.engine().begin() as connection:
            # A send tried again is found by the unique (chat, send key) index below, rather
            # than by a lookup before every message. The increment takes the chat's row
            # lock, so numbers are gapless and commit in order.
            row["seq"] = connection.execute(next_seq, {"chat": chat_id, "now": now}).scalar()
            if row["seq"] is None:
                return None  # the chat is not active: nothing was changed
            message_id = connection.execute(insert_message, row).scalar_one()
    except IntegrityError:
        # The same send again, tried after a lost answer or in another request at the same
        # moment: the one stored first stands, and its number is not used twice.
        if send_key and (earlier := _sent_with(chat_id, sender, send_key)) is not None:
            return earlier
        raise
    message = Message(id=message_id, **row)
    hub().publish(chat_topic(chat_id), message_event(message))
    return message


@cache
def _storing(sender: Sender):
    """The two statements storing a message, built once: taking the chat's next number (a
    visitor who writes is there, so their UPDATE also says that), and the insert."""
    chat, stored = Chat.__table__.c, Message.__table__
    values = {"last_seq": chat.last_seq + 1, "last_activity_at": bindparam("now")}
    if sender == Sender.VISITOR:
        values["visitor_seen_at"] = bindparam("now")
    next_seq = (
        update(Chat.__table__)
        .where(chat.id == bindparam("chat"), chat.status == ChatStatus.ACTIVE)
        .values(values)
        .returning(chat.last_seq)
    )
    return next_seq, insert(stored).returning(stored.c.id)


def _sent_with(chat_id: int, sender: Sender, send_key: str) -> Message | None:
    with db.session() as s:
        query = select(Message).where(
            Message.chat_id == chat_id, Message.send_key == send_key, Message.sender == sender
        )
        return s.exec(query).first()


def message_event(message: Message) -> dict:
    """Ids and small facts only: what was written is read from the database, never from the
    hub, so it travels in no event (and fits any engine's size limit)."""
    return {
        "type": "message",
        "chat": message.chat_id,
        "seq": message.seq,
        "sender": message.sender,
    }


def fresh_messages(event: dict, after_seq: int) -> list:
    """The messages after `after_seq` of the chat a message event is about, looked up once per
    process for the sockets that had seen the same (the visitor's and the worker's page)."""
    chat_id = event["chat"]
    return once(event, ("messages", chat_id, after_seq), lambda: _rows_after(chat_id, after_seq))


def _rows_after(chat_id: int, after_seq: int) -> list:
    """Rows with a message's columns, read as they are: a push per message on every socket
    of the chat needs none of the ORM's bookkeeping."""
    with db.engine().connect() as connection:
        return connection.execute(_after(), {"chat": chat_id, "seq": after_seq}).all()


@cache
def _after():
    """Built once, as `_by_token`; run on a plain connection, with no session per push."""
    table = Message.__table__
    where = (table.c.chat_id == bindparam("chat"), table.c.seq > bindparam("seq"))
    return table.select().where(*where).order_by(table.c.seq)


def messages(chat_id: int, after_seq: int = 0) -> list[Message]:
    with db.session() as s:
        query = (
            select(Message)
            .where(Message.chat_id == chat_id, Message.seq > after_seq)
            .order_by(Message.seq)
        )
        return list(s.exec(query))


def state_changed(chat_id: int, region_code: str) -> None:
    """Both sides of the chat redraw it; the region's queue has changed too."""
    hub().publish(chat_topic(chat_id), {"type": "state", "chat": chat_id})
    queue_changed(region_code)


def queue_changed(region_code: str) -> None:
    """One event for the whole region, however many wait: its workers redraw the queue, and
    each process looks up the new places once for all its waiting visitors (`places`)."""
    hub().publish(region_topic(region_code), {"type": "queue", "region": region_code})


def places(region_code: str) -> dict[int, int]:
    """Every waiting chat of the region and its place in the queue (1 is first)."""
    with db.session() as s:
        ids = s.exec(
            select(Chat.id)
            .where(Chat.region_code == region_code, Chat.status == ChatStatus.WAITING)
            .order_by(Chat.created_at, Chat.id)
        )
        return {chat_id: place for place, chat_id in enumerate(ids, start=1)}
