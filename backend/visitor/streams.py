"""The visitor's WebSocket: queue place, messages and state, pushed as fragments to swap by id.

What a screen reader hears goes to one live region, `#vt-announce`, and only when there is
something new to say: a new place in the queue, "it may take longer", "you are chatting
with …", a message from the worker (never the visitor's own), and the end. "… is typing" is
shown but never said, and nothing on this side makes a sound or changes the page's title.
"""

from flask import current_app, render_template, request

from backend import chats, presence, sites, tickets
from backend.hub import chat_topic, once, region_topic
from backend.models import ChatStatus, EndReason, PresenceKind, Sender, Site, Worker
from backend.sockets import Connection, same_origin, sock
from backend.visitor import bp
from backend.visitor.render import chat_context, fresh_popup, region_unstaffed, worker_here


def place_fragment(place: int, unstaffed: bool) -> str:
    """The queue part for a new place, said aloud: rendered once per process for each place
    and staffing, as a queue change sends a place to every waiting visitor at once."""
    made = current_app.extensions.setdefault("place_fragments", {})
    key = (place, unstaffed)
    if key not in made:
        if len(made) > 10_000:  # a bound, not a concern: places are the queue's length
            made.clear()
        made[key] = render_template(
            "widget/_queue.html", position=place, unstaffed=unstaffed, announce=True
        )
    return made[key]


class VisitorStream:
    """Turns hub events into the HTML fragments the visitor's pop-up swaps in by id."""

    # Events drawn whole from the database: the last of equal ones waiting is enough.
    REDRAWS = ("queue", "staffing", "state", "presence", "typing")

    def __init__(self, site: Site, chat_id: int):
        self.site, self.chat_id, self.last_seq = site, chat_id, 0
        self.position: int | None = None  # the place the pop-up shows now
        self.worker: Worker | None = None  # whose name the visitor's messages answer to
        self.worker_here = True  # what the pop-up shows of the worker's presence
        self.unstaffed = False  # whether the queue part says it may take longer
        self.region: str | None = None  # whose queue the chat waits in (its topic followed)
        self.connection: Connection | None = None

    def snapshot(self, changed: bool = False) -> str:
        """The live part from the database: sent on every (re)connect and state change.

        `changed` is a change of state the visitor should hear and see: the heading gets the
        focus and the live region says what happened.
        """
        chat = chats.get(self.chat_id)
        if chat is None or chat.ended_by == EndReason.QUICK_EXIT:
            # Left by quick exit (perhaps in another tab): nothing of the chat may stay.
            self._close()
            return fresh_popup(self.site)
        # Before the place is read: no move in the queue can fall in between.
        self._follow_queue(chat.region_code if chat.status == ChatStatus.WAITING else None)
        context = chat_context(self.site, chat, pushed=True, swapped=changed)
        self.worker = context["worker"]
        self.worker_here = context["worker_here"]
        self.last_seq = context["messages"][-1].seq if context["messages"] else 0
        self.position = context["position"]
        self.unstaffed = context["unstaffed"]
        if self.position:
            # Drawn ahead, once per place: when the queue moves, the one behind gets this
            # place, and every fragment of a change with many waiting is then ready.
            place_fragment(self.position, self.unstaffed)
        if not chat.is_open:
            self._close()
        return render_template("widget/_live_parts.html", **context)

    def render(self, event: dict) -> str | None:
        kind = event.get("type")
        if kind == "message":
            return self._messages(event)
        if kind == "queue" and event.get("region") == self.region:
            return self._place(event)
        if kind == "staffing" and event.get("region") == self.region:
            return self._staffing(event)
        if kind == "typing" and event.get("sender") == Sender.WORKER:
            return self._worker_typing()
        if kind == "state":
            # A catch-up after the hub lost its connection redraws without a word aloud.
            return self.snapshot(changed=not event.get("catch_up"))
        if kind == "presence" and event.get("kind") == PresenceKind.WORKER:
            return self._worker_presence()
        return None

    def _follow_queue(self, region: str | None) -> None:
        """While the chat waits, its region's topic too: one event per change of the queue
        or its staffing reaches every waiting visitor."""
        if region != self.region and self.connection is not None:
            if self.region is not None:
                self.connection.unfollow(region_topic(self.region))
            if region is not None:
                self.connection.follow(region_topic(region))
        self.region = region

    def _places(self, event: dict) -> dict[int, int]:
        """The region's queue, looked up once per event for all of this process's sockets."""
        region = self.region
        return once(event, ("places", region), lambda: chats.places(region))

    def _place(self, event: dict) -> str | None:
        """The queue moved: the new place, said aloud, if this visitor's changed."""
        place = self._places(event).get(self.chat_id)
        if place is None or place == self.position:
            return None  # taken or gone: the chat's own state event follows
        self.position = place
        return place_fragment(place, self.unstaffed)

    def _staffing(self, event: dict) -> str | None:
        """The region's workers came or went: the queue part again, only if what it says
        changes; "it may take longer" is also said aloud when it appears."""
        region = self.region
        now = once(event, ("unstaffed", region), lambda: region_unstaffed(region))
        place = self._places(event).get(self.chat_id)
        if now == self.unstaffed or place is None:
            return None
        self.unstaffed, self.position = now, place
        return render_template(
            "widget/_queue.html",
            position=self.position,
            unstaffed=now,
            announce=now,
            staffing_changed=True,
        )

    def _worker_typing(self) -> str | None:
        """ "Sanne typt…" under the messages; it fades by itself unless pushed again."""
        if self.worker is None:
            return None
        return render_template(
            "widget/_typing.html", worker=self.worker, typing=True, typing_oob=True
        )

    def _worker_presence(self) -> str | None:
        chat = chats.get(self.chat_id)
        if chat is None or self.worker is None:
            return None
        here = worker_here(chat)
        if here == self.worker_here:
            return None
        came_back, self.worker_here = here and not self.worker_here, here
        return render_template(
            "widget/_presence.html",
            chat=chat,
            worker=self.worker,
            worker_here=here,
            came_back=came_back,
            announce=True,
        )

    def _messages(self, event: dict) -> str | None:
        # Read from the database: what was missed comes too, once and in order.
        if event.get("seq", 0) <= self.last_seq:
            return None
        fresh = chats.fresh_messages(event, self.last_seq)
        if not fresh:
            return None
        self.last_seq = fresh[-1].seq
        if self.worker is None:  # taken before this socket saw the state change
            self.worker = chat_context(self.site, chats.get(self.chat_id))["worker"]
        html = render_template("widget/_append_messages.html", messages=fresh, worker=self.worker)
        if any(message.sender == Sender.WORKER for message in fresh):
            # What was being typed has arrived: "… is typing" goes at once.
            html += render_template(
                "widget/_typing.html", worker=self.worker, typing=False, typing_oob=True
            )
        return html

    def _close(self) -> None:
        if self.connection is not None:
            self.connection.close_soon()


@sock.route("/<site_key>/ws", bp=bp)
def live(ws, site_key):
    """The visitor's live channel, named by the chat's socket ticket (no cookie needed)."""
    site = sites.get(site_key)
    token = tickets.redeem(tickets.SOCKET, request.args.get("t"))
    if site is None or token is None or not same_origin():
        ws.close(reason=1008, message="refused")
        return
    chat = chats.by_token(token)
    if chat is None:
        # The chat was forgotten by a quick exit: whatever the page still shows must go.
        ws.send(fresh_popup(site))
        ws.close(reason=1000)
        return
    stream = VisitorStream(site, chat.id)
    connection = Connection(
        ws, stream.render, owner=f"visitor:{chat.id}", redraws=VisitorStream.REDRAWS
    )
    stream.connection = connection
    opened = chat.is_open
    if opened:
        presence.arrived(PresenceKind.VISITOR, chat.id)
    try:
        connection.serve([chat_topic(chat.id)], first=stream.snapshot)
    finally:
        if opened:
            # The sweeper lets the chat go once the visitor has not come back for a while.
            presence.left(PresenceKind.VISITOR, chat.id)
