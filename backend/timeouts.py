"""Chats the sweeper ends: visitors gone from the queue or the chat, silence, closing time.

Each is one conditional UPDATE per chat, checked again as it is written, then published
(chats.state_changed), so both sides redraw.
"""

from datetime import timedelta

from flask import current_app
from sqlalchemy import update
from sqlmodel import select

from backend import chats, clock, db, overflow, regions
from backend.models import Chat, ChatStatus, EndReason


def _end_where(conditions, status: ChatStatus, reason: EndReason) -> list[int]:
    """End every chat matching `conditions`, one conditional UPDATE each; the ids ended.

    The conditions are checked again in the UPDATE: the visitor may have come back, or a
    worker written, since the select.
    """
    with db.session() as s:
        candidates = list(s.exec(select(Chat.id, Chat.region_code).where(*conditions)))
    ended = []
    for chat_id, region_code in candidates:
        with db.session() as s:
            result = s.execute(
                update(Chat)
                .where(Chat.id == chat_id, *conditions)
                .values(status=status, ended_at=clock.now(), ended_by=reason)
            )
            s.commit()
        if result.rowcount == 1:
            chats.state_changed(chat_id, region_code)
            ended.append(chat_id)
    return ended


def _seconds_ago(setting: str):
    return clock.now() - timedelta(seconds=current_app.config[setting])


def abandon_gone() -> list[int]:
    """Waiting chats whose visitor has not been seen for the grace time leave the queue.

    Seen means a page load or a socket that some living process holds (the sweeper of that
    process refreshes it every round); a chat whose pop-up never opened a socket counts from
    its start. Run by the sweeper; returns the ids of the chats that left.
    """
    gone = (
        Chat.status == ChatStatus.WAITING,
        Chat.visitor_seen_at <= _seconds_ago("WAITING_GRACE_SECONDS"),
    )
    return _end_where(gone, ChatStatus.ABANDONED, EndReason.TIMEOUT)


def end_gone_active() -> list[int]:
    """Active chats whose visitor has been gone longer than VISITOR_GONE_SECONDS end."""
    gone = (
        Chat.status == ChatStatus.ACTIVE,
        Chat.visitor_seen_at <= _seconds_ago("VISITOR_GONE_SECONDS"),
    )
    return _end_where(gone, ChatStatus.ENDED, EndReason.VISITOR_GONE)


def end_silent() -> list[int]:
    """Active chats where nobody wrote for SILENT_SECONDS end."""
    silent = (
        Chat.status == ChatStatus.ACTIVE,
        Chat.last_activity_at <= _seconds_ago("SILENT_SECONDS"),
    )
    return _end_where(silent, ChatStatus.ENDED, EndReason.SILENT)


def close_queues() -> list[int]:
    """At closing time the waiting visitors of a closed region are told and leave the queue,
    unless its overflow hands them to a partner: then they wait for `overflow.move_due`.

    Active chats go on: the worker finishes them.
    """
    with db.session() as s:
        codes = list(
            s.exec(select(Chat.region_code).where(Chat.status == ChatStatus.WAITING).distinct())
        )
    # The move may not have happened yet even when it is due: what this process keeps of
    # the hours can say "open" to the move and "closed" here, a moment after a change.
    closed = [
        code
        for code in codes
        if not regions.is_open_now(code) and not overflow.hands_on_while_closed(code)
    ]
    if not closed:
        return []
    waiting_there = (Chat.status == ChatStatus.WAITING, Chat.region_code.in_(closed))
    return _end_where(waiting_there, ChatStatus.ABANDONED, EndReason.CLOSED)
