"""Private notes on a chat: written by its worker, read by workers only, never by the visitor.

Nothing about a note is published on the chat's topic, which the visitor's socket listens to;
notes are deleted with the transcript (chats.purge_transcripts).
"""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import select

from backend import clock, db
from backend.models import Note, Worker

MAX_NOTE_LENGTH = 1000


@dataclass(frozen=True)
class ShownNote:
    """A note as the console shows it: with its writer's name."""

    body: str
    written_by: str
    created_at: datetime


def add(chat_id: int, worker_id: int, body: str) -> Note:
    with db.session() as s:
        note = Note(chat_id=chat_id, worker_id=worker_id, body=body, created_at=clock.now())
        s.add(note)
        s.commit()
    return note


def of_chat(chat_id: int) -> list[ShownNote]:
    """The chat's notes, oldest first, each with the name of the worker who wrote it."""
    with db.session() as s:
        rows = s.exec(
            select(Note, Worker.display_name)
            .join(Worker, Worker.id == Note.worker_id)
            .where(Note.chat_id == chat_id)
            .order_by(Note.created_at, Note.id)
        )
        return [ShownNote(note.body, name, note.created_at) for note, name in rows]
