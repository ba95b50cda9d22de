"""Who is there: a visitor's or a worker's open sockets, kept in the database per process.

Each process counts its own sockets in memory and keeps one row per person it holds a
socket of. Its sweeper refreshes those rows every round; a row that has not been refreshed
for PRESENCE_SECONDS belongs to a dead process (kill -9, a lost machine) and counts for
nothing. So presence is rebuilt by whoever holds the sockets now, never trusted from before a
restart.

When a person's last socket in a process closes, the row stays, with no sockets, for
AWAY_AFTER_SECONDS: a page reload or a move from the queue to a chat in the console is not
leaving. The sweeper then removes it. Coming and going are published on the chats they
concern, for both sides to show.
"""

import os
import secrets
import threading
from collections import Counter
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, delete, exists, not_, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from backend import clock, db
from backend.hub import chat_topic, hub
from backend.models import Chat, ChatStatus, Presence, PresenceKind

PAGE = "page"  # the "process" of visits without a socket: pages reloading without JavaScript

_lock = threading.Lock()
_held: Counter[tuple[str, int]] = Counter()  # (kind, ref_id) -> sockets open in this process
_process: tuple[int, str] | None = None


def process_id() -> str:
    """Random per process; a forked child gets its own."""
    global _process
    if _process is None or _process[0] != os.getpid():
        _process = (os.getpid(), secrets.token_hex(8))
        _held.clear()
    return _process[1]


def sockets_open(kind: PresenceKind, ref_id: int) -> bool:
    """Whether any living process has written down an open socket of this person."""
    with db.session() as s:
        query = select(Presence.id).where(
            Presence.kind == kind,
            Presence.ref_id == ref_id,
            Presence.sockets > 0,
            Presence.seen_at >= _ago("PRESENCE_SECONDS"),
        )
        return s.exec(query).first() is not None


def forget_process() -> None:
    """Start counting afresh, as a new process would (for tests)."""
    global _process
    with _lock:
        _held.clear()
        _process = None


def _ago(setting: str):
    return clock.now() - timedelta(seconds=current_app.config[setting])


def _counting():
    """A row counts while its process keeps it fresh, or briefly after its last socket closed."""
    return or_(
        and_(Presence.sockets > 0, Presence.seen_at >= _ago("PRESENCE_SECONDS")),
        and_(Presence.sockets <= 0, Presence.seen_at >= _ago("AWAY_AFTER_SECONDS")),
    )


def is_live(kind: PresenceKind, ref_id):
    """A SQL condition: this person is there (ref_id may be a column)."""
    return exists().where(Presence.kind == kind, Presence.ref_id == ref_id, _counting())


def present(kind: PresenceKind, ref_id: int) -> bool:
    return ref_id in present_among(kind, [ref_id])


def present_among(kind: PresenceKind, ref_ids: list[int]) -> set[int]:
    """Which of these people are there, in one query: a worker's tabs are drawn on every
    coming and going of their visitors, and one query per tab held a pooled connection each."""
    if not ref_ids:
        return set()
    with db.session() as s:
        rows = s.exec(
            select(Presence.ref_id)
            .where(Presence.kind == kind, Presence.ref_id.in_(ref_ids), _counting())
            .distinct()
        )
        return set(rows)


def arrived(kind: PresenceKind, ref_id: int) -> None:
    """A socket of this person opened in this process."""
    process = process_id()
    with _lock:
        _held[(kind, ref_id)] += 1
        first = _held[(kind, ref_id)] == 1
    if first:
        was_there = present(kind, ref_id)
        _upsert(kind, ref_id, process, sockets=1)
        if not was_there:
            _announce(kind, ref_id)
    # Another socket of someone already here changes nothing in the database: opening many
    # costs no writes, and the sweeper renews the row while any stays open.


def left(kind: PresenceKind, ref_id: int) -> None:
    """A socket of this person closed in this process.

    The last one leaves the row without sockets: gone once AWAY_AFTER_SECONDS have passed
    without a new one, which the sweeper notices and announces.
    """
    process = process_id()
    with _lock:
        _held[(kind, ref_id)] -= 1
        last = _held[(kind, ref_id)] <= 0
        if last:
            del _held[(kind, ref_id)]
    if last:
        _upsert(kind, ref_id, process, sockets=0)  # also the moment they were last seen


def page_visit(chat_id: int) -> None:
    """A visitor without a socket loaded a page of their chat: present for AWAY_AFTER_SECONDS."""
    was_there = present(PresenceKind.VISITOR, chat_id)
    _upsert(PresenceKind.VISITOR, chat_id, PAGE, sockets=0)
    if not was_there:
        _announce(PresenceKind.VISITOR, chat_id)


def heartbeat() -> None:
    """Refresh this process's rows (one sweeper round); re-create any a purge removed."""
    process = process_id()
    with _lock:
        held = list(_held)
    for kind in PresenceKind:
        ids = [ref_id for k, ref_id in held if k == kind]
        if not ids:
            continue
        with db.session() as s:
            s.execute(
                update(Presence)
                .where(Presence.process == process, Presence.kind == kind)
                .where(Presence.ref_id.in_(ids), Presence.sockets > 0)
                .values(seen_at=clock.now())
            )
            found = set(
                s.exec(
                    select(Presence.ref_id).where(
                        Presence.process == process, Presence.kind == kind
                    )
                )
            )
            s.commit()
        for ref_id in set(ids) - found:
            _upsert(kind, ref_id, process, sockets=1)
        _touch_seen(kind, ids)


def expire() -> tuple[int, list[tuple[PresenceKind, int]]]:
    """Remove rows that no longer count and tell the chats concerned.

    Returns how many rows went, and who is gone now (they had no other row that counts).
    """
    with db.session() as s:
        stale = list(s.exec(select(Presence).where(not_(_counting()))))
        if not stale:
            return 0, []
        s.execute(delete(Presence).where(Presence.id.in_([row.id for row in stale])))
        s.commit()
    gone = []
    for row in stale:
        person = (PresenceKind(row.kind), row.ref_id)
        if person not in gone and not present(*person):
            _announce(*person)
            gone.append(person)
    return len(stale), gone


def _upsert(kind: PresenceKind, ref_id: int, process: str, sockets: int) -> None:
    now = clock.now()
    mine = (Presence.kind == kind, Presence.ref_id == ref_id, Presence.process == process)
    with db.session() as s:
        changed = s.execute(update(Presence).where(*mine).values(seen_at=now, sockets=sockets))
        if not changed.rowcount:
            s.add(Presence(kind=kind, ref_id=ref_id, process=process, sockets=sockets, seen_at=now))
        try:
            s.commit()
        except IntegrityError:
            # Only this process writes its rows, but two of its threads may (a socket opening
            # while the sweeper renews): on PostgreSQL both can find no row and insert.
            s.rollback()
            s.execute(update(Presence).where(*mine).values(seen_at=now, sockets=sockets))
            s.commit()
    # The same moment as the row: whoever sees the row written (a sweeper in another thread,
    # a test that moves the clock on) finds the chat's last-seen no later than it.
    _touch_seen(kind, [ref_id], now)


def _touch_seen(kind: PresenceKind, ids: list[int], now=None) -> None:
    """The visitor was there just now: the sweeper counts their absence from this moment."""
    if kind != PresenceKind.VISITOR or not ids:
        return
    with db.session() as s:
        seen = now or clock.now()
        s.execute(update(Chat).where(Chat.id.in_(ids)).values(visitor_seen_at=seen))
        s.commit()


def _announce(kind: PresenceKind, ref_id: int) -> None:
    """Both sides of the chats concerned redraw who is there."""
    if kind == PresenceKind.VISITOR:
        chat_ids = [ref_id]
    else:
        with db.session() as s:
            chat_ids = list(
                s.exec(
                    select(Chat.id).where(
                        Chat.worker_id == ref_id, Chat.status == ChatStatus.ACTIVE
                    )
                )
            )
    for chat_id in chat_ids:
        hub().publish(chat_topic(chat_id), {"type": "presence", "kind": str(kind), "chat": chat_id})
