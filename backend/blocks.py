"""Blocking a visitor who misuses the chat, for a set time: by chat token and follow-up code.

Never by an address: the token lives in the visitor's session cookie, the code is what they
may type in the start form. Either one found in a block that has not run out refuses a new
chat with a calm message and the phone number.
"""

from datetime import timedelta

from sqlalchemy import delete, or_
from sqlmodel import select

from backend import chats, clock, db
from backend.models import Block, Chat, EndReason

# The choices a worker has, in hours.
DURATIONS = (1, 24, 24 * 7)
# The session key under which the visitor's last chat token is kept after the ending has
# been shown (the "chat" key is cleared then): what a block on that token is checked by.
LAST_CHAT = "last_chat"


def block(chat: Chat, hours: int, worker_id: int) -> Block:
    """Block the chat's visitor for `hours`, and end the chat if it is still open.

    Blocked are the chat's token, its follow-up code and the code the visitor gave from an
    earlier chat. Stored before the chat ends, so the pop-up's closing says it at once.
    """
    if hours not in DURATIONS:
        raise ValueError(hours)
    until = clock.now() + timedelta(hours=hours)
    rows = [Block(token=chat.token, followup_code=chat.followup_code, until=until)]
    if chat.earlier_code and chat.earlier_code != chat.followup_code:
        rows.append(Block(followup_code=chat.earlier_code, until=until))
    with db.session() as s:
        for row in rows:
            row.worker_id, row.created_at = worker_id, clock.now()
            s.add(row)
        s.commit()
        s.refresh(rows[0])
    if chat.is_open:
        chats.end(chat.id, EndReason.WORKER)
    return rows[0]


def blocking(tokens=(), code: str | None = None) -> Block | None:
    """The block that still holds for one of these chat tokens or this follow-up code."""
    conditions = [Block.token == token for token in tokens if token]
    if code:
        conditions.append(Block.followup_code == code)
    if not conditions:
        return None
    with db.session() as s:
        query = (
            select(Block)
            .where(Block.until > clock.now(), or_(*conditions))
            .order_by(Block.until.desc())
        )
        return s.exec(query).first()


def of_chat(chat: Chat) -> Block | None:
    """The block that holds for this chat's visitor, if any."""
    return blocking([chat.token])


def purge_expired() -> int:
    """Forget blocks that have run out (a sweeper round); how many went."""
    with db.session() as s:
        result = s.execute(delete(Block).where(Block.until <= clock.now()))
        s.commit()
    return result.rowcount
