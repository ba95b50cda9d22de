"""The workspace's WebSocket: hub events of the worker's regions and chats, as fragments.

A stream is given its worker and the chat on screen when the socket opens; it reads
nothing from, and writes nothing to, `flask.g`.
"""

import time
import weakref

from flask import render_template, request, session

from backend import chats, presence, staffing, workers
from backend.console import bp
from backend.console.auth import current_worker
from backend.console.transfers import offer_parts
from backend.console.workspace import (
    active_with_workers,
    chat_context,
    queue_context,
    regional_context,
    tabs_context,
    title_count,
)
from backend.hub import chat_topic, once, region_topic, worker_topic
from backend.models import ChatStatus, PresenceKind, Sender, Worker
from backend.security import row_id
from backend.sockets import POLICY, Connection, same_origin, sock

_open_streams: "weakref.WeakSet[WorkspaceStream]" = weakref.WeakSet()

# Seconds between writes of how far a chat on screen was read while its messages stream in:
# one write per message would be a commit per message and console. The last is written when
# the page closes (a reload included), so the mark is only ever behind for a page still open.
READ_EVERY = 10.0


class WorkspaceStream:
    """Turns hub events into the workspace's fragments: queue, tabs, title, the chat on screen."""

    # Events drawn whole from the database: the last of equal ones waiting is enough.
    REDRAWS = ("queue", "mine", "settings", "staffing", "state", "presence", "typing")

    def __init__(self, worker: Worker, on_screen: int | None, epoch: int | None = None):
        self.worker, self.on_screen, self.epoch = worker, on_screen, epoch
        self.last_seq = 0  # of the chat on screen
        self.screen_chat = None  # the chat on screen as last drawn (state events redraw it)
        self.unwritten_read: tuple[int, int] | None = None  # (chat, seq) read, not yet stored
        self.read_written_at = 0.0
        self.visitor_here: bool | None = None  # what the chat's state line shows now
        self.waiting_ids: set[int] | None = None  # the queue as last drawn
        self.unread: dict[int, int] = {}  # the tabs' unread counts as last drawn
        self.tabs: dict | None = None  # what the tabs were last drawn from
        self.counted: dict[int, int] = {}  # per chat, the last message seq the counts include
        self.mine: set[int] = set()  # the worker's active chats whose topics we follow
        self.typing: set[int] = set()  # chats whose visitor was typing when last drawn
        self.connection: Connection | None = None
        _open_streams.add(self)

    def topics(self) -> list[str]:
        self.mine = {chat.id for chat in chats.active_for(self.worker.id)}
        if self.on_screen is not None:
            self.mine.add(self.on_screen)
        codes = staffing.regions_of(self.worker)
        # worker_topic: logout or disabling elsewhere closes this socket; new chats of theirs.
        return [
            *(region_topic(code) for code in codes),
            worker_topic(self.worker.id),
            *(chat_topic(chat_id) for chat_id in sorted(self.mine)),
        ]

    def opening(self) -> str:
        """The first frame; the session may have ended before the socket was subscribed."""
        if not workers.session_is_current(workers.get(self.worker.id), self.epoch):
            return self._logged_out()
        return self.snapshot()

    def _logged_out(self) -> str:
        """Logged out, here or elsewhere, or disabled: say so and close (1008: no reconnect)."""
        if self.connection is not None:
            self.connection.close_soon(POLICY)
        return render_template("console/_logged_out.html")

    def snapshot(self) -> str:
        """Everything live, from the database: sent on every (re)connect."""
        html = self._queue(alert=False) + self._tabs()
        if self.on_screen is not None:
            html += self._chat()
        return html

    def _chat(self) -> str:
        chat = self.screen_chat = chats.get(self.on_screen)
        context = chat_context(self.worker, chat, pushed=True)
        self.last_seq = context["messages"][-1].seq if context["messages"] else 0
        self.visitor_here = context["visitor_here"]
        return render_template("console/_live_parts.html", **context)

    def _queue(self, alert: bool = True, event: dict | None = None) -> str:
        """The queue again; a sound and one announcement when someone new started waiting.

        Pushed on an event, the queues and chats are looked up once per process for all the
        consoles that draw the same regions; each draws them with its own forms.
        """

        def waiting_in(codes):
            return once(event, ("waiting", *sorted(codes)), lambda: chats.waiting_in(codes))

        def active_in(codes):
            key = ("regional", *sorted(codes))
            return once(event, key, lambda: active_with_workers(codes))

        context = queue_context(self.worker, waiting_in)
        ids = {chat.id for chat in context["waiting"]}
        known = ids if self.waiting_ids is None else self.waiting_ids
        new = [chat for chat in context["waiting"] if chat.id not in known]
        self.waiting_ids = ids
        html = render_template("console/_queue.html", **context, oob=True)
        # Coordinators also keep an eye on who chats with whom: taken and ended change that.
        regional = regional_context(self.worker, active_in)
        html += render_template("console/_regional.html", **regional, oob=True)
        if alert and new:
            html += render_template("console/_alert.html", worker=self.worker, new_waiting=new)
        return html + self._title()

    def _tabs(self) -> str:
        context = tabs_context(self.worker, self.on_screen, self.typing)
        self.tabs, self.unread, self.counted = context, context["unread"], {}
        return render_template("console/_tabs.html", **context, oob=True) + self._title()

    def _one_tab(self, chat_id: int, event: dict) -> str | None:
        """A message in one of the worker's chats that is not on screen: that tab, its count
        one higher for the visitor's words, and the title, from what was drawn: no query.

        None when the tabs do not show the chat: then they are drawn again from the database.
        """
        drawn = {c.id: c for c in self.tabs["mine"]} if self.tabs else {}
        seq = event.get("seq", 0)
        if chat_id not in drawn or seq <= self.counted.get(chat_id, 0):
            return None
        self.counted[chat_id] = seq
        if event.get("sender") == Sender.VISITOR:
            self.unread[chat_id] = self.unread.get(chat_id, 0) + 1
        context = {**self.tabs, "unread": self.unread, "typing": self.typing}
        html = render_template("console/_tab.html", c=drawn[chat_id], **context, tab_oob=True)
        return html + self._title()

    def _title(self) -> str:
        """The title from the queue and the tabs as last drawn: no query of its own."""
        count = title_count(len(self.waiting_ids or ()), self.unread)
        return render_template("console/_title.html", title_count=count, oob=True)

    def _follow_new_chats(self) -> None:
        """Taken here or in another tab, or handed over: follow the worker's new chats too."""
        now = {chat.id for chat in chats.active_for(self.worker.id)}
        for chat_id in now - self.mine:
            if self.connection is not None:
                self.connection.follow(chat_topic(chat_id))
        self.mine |= now

    def _follow_regions(self) -> None:
        """The queues of the regions the worker works for now, and no others."""
        self.worker = workers.get(self.worker.id) or self.worker
        if self.connection is None:
            return
        now = {region_topic(code) for code in staffing.regions_of(self.worker)}
        for topic in [t for t in self.connection.topics if t.startswith(region_topic(""))]:
            if topic not in now:
                self.connection.unfollow(topic)
        for topic in sorted(now):
            self.connection.follow(topic)

    def render(self, event: dict) -> str | None:
        kind = event.get("type")
        if kind == "queue":
            return self._queue(event=event)
        if kind == "mine":
            self._follow_new_chats()
            return self._tabs()
        if kind == "offer":  # transfers: an offer of a colleague's, or the answer to ours
            return self._offer(event)
        if kind == "regions":  # a region of theirs was merged into another (region_admin)
            self._follow_regions()
            return self._queue(alert=False, event=event)
        if kind in ("settings", "staffing"):
            self.worker = workers.get(self.worker.id) or self.worker
            return render_template("console/_queue.html", **queue_context(self.worker), oob=True)
        if kind == "session" and (event["disabled"] or event["epoch"] != self.epoch):
            return self._logged_out()
        chat_id = event.get("chat")
        if chat_id is None:
            return None
        if kind == "message":
            return self._message(chat_id, event)
        if kind == "state":
            self.typing.discard(chat_id)
            html = self._tabs()
            return html + self._chat() if chat_id == self.on_screen else html
        if kind == "presence" and event.get("kind") == PresenceKind.VISITOR:
            html = self._tabs()
            if chat_id == self.on_screen:
                html += self._visitor_presence() or ""
            return html
        if kind == "typing" and event.get("sender") == Sender.VISITOR:
            return self._visitor_typing(chat_id)
        return None

    def _offer(self, event: dict) -> str:
        """The offers again; a chat on screen that a colleague took over leaves the screen."""
        html, self.on_screen = offer_parts(self.worker, self.on_screen, event)
        return html + self._tabs()

    def _message(self, chat_id: int, event: dict) -> str | None:
        if chat_id in self.typing and chat_id == self.on_screen:
            # The message has come, so the tab says "typing" no more.
            self.typing.discard(chat_id)
            return (self._message(chat_id, event) or "") + self._tabs()
        self.typing.discard(chat_id)
        if chat_id != self.on_screen:
            # Another chat: its unread count, the title, and a sound for the visitor's words.
            html = self._one_tab(chat_id, event)
            if html is None:
                # Not among the tabs as drawn (handed over to a colleague, say): silent.
                return self._tabs()
            if event.get("sender") == Sender.VISITOR:
                chat = next(c for c in self.tabs["mine"] if c.id == chat_id)
                html += render_template(
                    "console/_alert.html", worker=self.worker, new_message_in=chat
                )
            return html
        if event.get("seq", 0) <= self.last_seq:
            return None
        fresh = chats.fresh_messages(event, self.last_seq)
        if not fresh:
            return None
        self.last_seq = fresh[-1].seq
        drawn = self.screen_chat
        chat = drawn if drawn is not None and drawn.id == chat_id else chats.get(chat_id)
        if chat.status == ChatStatus.ACTIVE:
            self._read(chat_id)
        html = render_template("console/_append_messages.html", messages=fresh, chat=chat)
        return html + render_template("console/_typing.html", chat=chat, typing=False)

    def _read(self, chat_id: int) -> None:
        """On screen, so read: stored at most every READ_EVERY seconds, and on closing."""
        self.unwritten_read = (chat_id, self.last_seq)
        if time.monotonic() - self.read_written_at >= READ_EVERY:
            self.write_read()

    def write_read(self) -> None:
        if self.unwritten_read is not None:
            chats.mark_read(*self.unwritten_read)
            self.unwritten_read = None
            self.read_written_at = time.monotonic()

    def _visitor_typing(self, chat_id: int) -> str:
        self.typing.add(chat_id)
        html = self._tabs()
        if chat_id == self.on_screen:
            chat = chats.get(chat_id)
            html += render_template("console/_typing.html", chat=chat, typing=True)
        return html

    def _visitor_presence(self) -> str | None:
        """The state line again when the visitor has gone, or come back: read from the tabs
        just drawn when the chat is among them (active), so no query of its own."""
        drawn = {c.id: c for c in self.tabs["mine"]} if self.tabs else {}
        if self.on_screen in drawn:
            chat, here = drawn[self.on_screen], self.tabs["here"][self.on_screen]
        else:
            chat = chats.get(self.on_screen)
            here = presence.present(PresenceKind.VISITOR, self.on_screen)
        if chat is None or here == self.visitor_here:
            return None
        came_back, self.visitor_here = here and self.visitor_here is False, here
        return render_template(
            "console/_chat_state.html", chat=chat, visitor_here=here, came_back=came_back
        )


def keep_checked(stream) -> None:
    """A stream of another console page (the overview) whose session the sweeper rechecks too:
    anything with the `worker` it serves."""
    _open_streams.add(stream)


def recheck_sessions() -> int:
    """Tell this process's console sockets their worker's session state; how many workers.

    Logout, a new password and disabling publish it themselves. This also reaches sockets
    whose session ended in another process, such as `flask worker disable` with the
    in-process hub: meant for every round of the sweeper.
    """
    worker_ids = {stream.worker.id for stream in list(_open_streams)}
    for worker in workers.several(worker_ids):
        workers.announce(worker)
    return len(worker_ids)


@sock.route("/ws", bp=bp)
def live(ws):
    """The workspace's live channel: the queues of the worker's regions and their chats."""
    worker = current_worker()
    if worker is None or not same_origin():
        ws.close(reason=1008, message="login")
        return
    on_screen = request.args.get("chat", type=row_id)
    if on_screen is not None:
        chat = chats.get(on_screen)
        if chat is None or chat.worker_id != worker.id or not staffing.may_see(worker, chat):
            ws.close(reason=1008, message="chat")
            return
    stream = WorkspaceStream(worker, on_screen, epoch=session.get("epoch"))
    # A few sockets per page of the worker's (the queue, each chat): newest win, per page.
    page = f"worker:{worker.id}:{on_screen or 'queue'}"
    connection = stream.connection = Connection(
        ws, stream.render, owner=page, redraws=WorkspaceStream.REDRAWS
    )
    # The worker's presence: visitors of their chats see when the console is closed, and
    # waiting visitors of their regions whether anyone is there to answer.
    was_staffed = presence.present(PresenceKind.WORKER, worker.id)
    presence.arrived(PresenceKind.WORKER, worker.id)
    if not was_staffed:
        staffing.changed(staffing.regions_of(worker))
    try:
        connection.serve(stream.topics(), first=stream.opening)
    finally:
        stream.write_read()
        presence.left(PresenceKind.WORKER, worker.id)
