"""Follow-up codes: three random words a visitor may give in a later chat, and nothing more.

A code says nothing about the visitor: it is drawn with `secrets` from a fixed word list. It
is given when a chat with a worker has ended, stored on the chat and its registration, and
lets the worker of a later chat see the advice given before (registrations.earlier), never
a conversation.
"""

import re
import secrets
from functools import cache
from pathlib import Path

from sqlalchemy import update
from sqlmodel import select

from backend import db
from backend.models import Chat, ChatStatus, EndReason, Registration

WORDS_FILE = Path(__file__).parent / "data" / "followup_words.txt"
CODE_WORDS = 3
MAX_CODE_LENGTH = 60  # what the start form takes; a real code is much shorter
_NOT_LETTERS = re.compile(r"[^a-z]+")


@cache
def words() -> tuple[str, ...]:
    return tuple(
        line.strip() for line in WORDS_FILE.read_text("utf-8").splitlines() if line.strip()
    )


def new_code() -> str:
    """Three words drawn at random, such as "boom-lamp-vis"."""
    return "-".join(secrets.choice(words()) for _ in range(CODE_WORDS))


def normalise(text) -> str | None:
    """A code as the visitor typed it, in the one form it is stored: "Boom lamp,vis " is
    "boom-lamp-vis". None when nothing of it is left."""
    if not isinstance(text, str):
        return None
    code = _NOT_LETTERS.sub("-", text.strip().lower()).strip("-")
    return code[:MAX_CODE_LENGTH] or None


def _in_use(s, code: str) -> bool:
    on_chat = s.exec(select(Chat.id).where(Chat.followup_code == code)).first()
    return on_chat is not None or (
        s.exec(select(Registration.id).where(Registration.followup_code == code)).first()
        is not None
    )


def give(chat_id: int) -> str | None:
    """The chat's follow-up code, drawn now if it has none yet (one per chat, whoever asks
    first: the visitor's closing or the worker's registration)."""
    with db.session() as s:
        for _attempt in range(10):  # a code already given out is drawn again
            code = new_code()
            if _in_use(s, code):
                continue
            s.execute(
                update(Chat)
                .where(Chat.id == chat_id, Chat.followup_code.is_(None))
                .values(followup_code=code)
            )
            s.commit()
            break
        return s.exec(select(Chat.followup_code).where(Chat.id == chat_id)).first()


def for_visitor(chat: Chat) -> str | None:
    """The code the closing of an ended chat offers; None for a chat no worker had, or one
    left by quick exit (nobody is there to read it)."""
    if chat.status != ChatStatus.ENDED or chat.ended_by == EndReason.QUICK_EXIT:
        return None
    return chat.followup_code or give(chat.id)
