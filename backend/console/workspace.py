"""What the workspace shows a worker: the queue of their regions, their chats, the one on screen.

Every function takes the worker as an argument: views and socket streams share them, and a
stream never reads or writes `flask.g`.
"""

from flask import abort
from sqlmodel import select

from backend import chats, clock, db, oversight, presence, regions, registrations, staffing
from backend.console.forms import RegistrationForm
from backend.forms import AvailabilityForm, ConfirmForm, MessageForm
from backend.models import Chat, ChatStatus, PresenceKind, Worker, WorkerRole


def minutes_since(moment) -> int:
    """Whole minutes from `moment` until now, never below zero."""
    if moment is None:
        return 0
    return max(0, int((clock.now() - moment).total_seconds() // 60))


def visible_chat(worker: Worker, chat_id: int) -> Chat:
    """A chat of the worker's regions they may see; 404 for any other id, guessed or not."""
    chat = chats.get(chat_id)
    if chat is None or not staffing.may_see(worker, chat):
        abort(404)
    return chat


def regional_chat(worker: Worker, chat_id: int) -> Chat:
    """A chat of one of the worker's regions, whoever has it; 404 outside them."""
    chat = chats.get(chat_id)
    if chat is None or chat.region_code not in staffing.regions_of(worker):
        abort(404)
    return chat


def own_chat(worker: Worker, chat_id: int) -> Chat:
    """One of the worker's own chats; 404 for any other."""
    chat = chats.get(chat_id)
    if chat is None or chat.worker_id != worker.id or not staffing.may_see(worker, chat):
        abort(404)
    return chat


def region_names(codes: list[str]) -> dict[str, str]:
    return {code: (region.name if (region := regions.get(code)) else code) for code in codes}


def queue_context(worker: Worker, waiting_in=chats.waiting_in) -> dict:
    """The queue of every region the worker works for, oldest first, and the staffing.

    `waiting_in` may be a shared lookup: a push looks each set of queues up once per process.
    """
    codes = staffing.regions_of(worker)
    waiting = waiting_in(codes)
    return {
        "worker": worker,
        "waiting": waiting,
        "region_names": region_names(codes),
        # Where chats that overflowed into these queues started (backend/overflow.py).
        "came_from": region_names(sorted({c.overflowed_from for c in waiting} - {None})),
        "at_capacity": chats.at_capacity(worker.id),
        "confirm": ConfirmForm(formdata=None),
        "availability_form": AvailabilityForm(formdata=None, availability=worker.availability),
    }


def tabs_context(worker: Worker, on_screen: int | None, typing: set[int] = frozenset()) -> dict:
    """The worker's active chats: unread messages, minutes, whether the visitor is there."""
    mine = chats.active_for(worker.id)
    here = presence.present_among(PresenceKind.VISITOR, [c.id for c in mine])
    return {
        "mine": mine,
        "on_screen": on_screen,
        "unread": chats.unread_counts([c.id for c in mine if c.id != on_screen]),
        "here": {c.id: c.id in here for c in mine},
        "typing": typing,
        # Ended chats of theirs that still need the advice registration (console/_end.html).
        "to_register": registrations.pending_for(worker.id),
    }


def title_count(waiting: int, unread: dict[int, int]) -> int:
    """Waiting visitors plus unread messages: what the page title counts, from the queue and
    the tabs already drawn (queue_context, tabs_context)."""
    return waiting + sum(unread.values())


def chat_context(worker: Worker, chat: Chat | None, **extra) -> dict:
    """The chat on screen: its state, messages and message box; marks them read."""
    if chat is None:
        return {"chat": None}
    messages = chats.messages(chat.id)
    if messages and chat.status == ChatStatus.ACTIVE:
        chats.mark_read(chat.id, messages[-1].seq)
    context = {
        "chat": chat,
        "messages": messages,
        "form": MessageForm(formdata=None),
        "confirm": ConfirmForm(formdata=None),
        "visitor_here": presence.present(PresenceKind.VISITOR, chat.id),
        "region_name": region_names([chat.region_code])[chat.region_code],
    }
    # The ending and its registration (console/_end.html); the advice a follow-up code
    # brings (console/_earlier.html).
    earlier = registrations.earlier(chat)
    context.update(
        registration=registrations.of_chat(chat.id),
        registration_form=RegistrationForm(formdata=None),
        earlier=earlier,
        earlier_regions=region_names(sorted({r.region_code for r in earlier})),
    )
    context.update(extra)
    return context


def regional_context(worker: Worker, active_in=None) -> dict:
    """For coordinators and administrators: every active chat of their regions, whoever has it.

    Only to look at: a coordinator answers in their own chats, like everyone else. None for
    a worker, who sees no colleague's chat.
    """
    if worker.role not in (WorkerRole.COORDINATOR, WorkerRole.ADMIN):
        return {"regional": None}
    codes = staffing.regions_of(worker)  # an administrator's are all regions
    regional = (active_in or active_with_workers)(codes)
    return {"regional": [row for row in regional if oversight.shown_to(worker, row[0])]}


def active_with_workers(codes: list[str]) -> list[tuple[Chat, str, str]]:
    """The active chats of these regions: the chat, who has it and the region's name."""
    names = region_names(codes)
    with db.session() as s:
        rows = s.exec(
            select(Chat, Worker.display_name)
            .join(Worker, Worker.id == Chat.worker_id)
            .where(Chat.region_code.in_(codes), Chat.status == ChatStatus.ACTIVE)
            .order_by(Chat.accepted_at, Chat.id)
        )
        return [(chat, who, names[chat.region_code]) for chat, who in rows]


def workspace_context(worker: Worker, chat: Chat | None = None, **extra) -> dict:
    """Everything the workspace page draws."""
    on_screen = chat.id if chat else None
    queue, tabs = queue_context(worker), tabs_context(worker, on_screen)
    return {
        **queue,
        **tabs,
        **chat_context(worker, chat, **extra),
        **regional_context(worker),
        "title_count": title_count(len(queue["waiting"]), tabs["unread"]),
    }
