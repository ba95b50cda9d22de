"""WebSocket connections: each has one writer fed by an outbox, as turbo-flask does.

Hub callbacks only put events in the outbox, so a slow client never holds up a publisher,
and flask-sock's `send()` is only ever called from the connection's own greenlet (thread,
outside gunicorn's gevent worker).

Sockets are bounded: a few per person (the newest wins, the oldest is closed) and a number
per process (beyond it a socket is refused with 1013, "try again later"). On shutdown every
socket is closed with 1012, "service restart", on which the htmx ws extension reconnects.
"""

import queue
import threading
from collections import deque
from collections.abc import Callable, Collection
from urllib.parse import urlsplit

from flask import current_app, request
from flask_sock import Sock
from simple_websocket import ConnectionClosed
from wsproto.utilities import LocalProtocolError

from backend.hub import hub

sock = Sock()

_WAKE = object()  # an outbox item that only makes the writer look at the socket again

GOING_AWAY = 1001
POLICY = 1008  # not reconnected by the htmx ws extension: a refused or superseded socket
RESTART = 1012  # reconnected: the server restarts
TRY_AGAIN = 1013  # reconnected after a while: this process holds as many sockets as it may

_lock = threading.Lock()
_open: dict["Connection", None] = {}  # in order of opening, so the oldest comes first
_by_owner: dict[str, dict["Connection", None]] = {}  # the same, per owner
_stopping = threading.Event()  # set on shutdown: sockets still arriving are sent on at once


class _WakingEvent(threading.Event):
    """simple-websocket sets this event when data or a close arrives; we also wake the writer.

    That way a closed socket is noticed at once, without a polling loop per connection.
    """

    wake: Callable[[], None] | None = None

    def set(self):
        super().set()
        if self.wake is not None:
            self.wake()


class _ReaderThread(threading.Thread):
    """simple-websocket's reader, which wakes the writer once more when it stops.

    On some closes (a frame too big, a protocol error) the reader sets the event before it
    marks the socket closed; this last wake lets the writer see the close and let go.
    """

    def run(self):
        ws = getattr(self._target, "__self__", None)
        try:
            super().run()
        finally:
            if ws is not None:
                ws.event.set()


def server_options(app) -> dict:
    return {
        "ping_interval": app.config["WS_PING_INTERVAL"],
        "max_message_size": 4096,
        "event_class": _WakingEvent,
        "thread_class": _ReaderThread,
    }


def same_origin() -> bool:
    """Browsers send Origin on WebSocket handshakes; only our own pages may connect.

    Scheme and host both count: a page on http may not open the socket of the https site,
    nor the other way round. A proxy may name the socket's scheme ws or wss.
    """
    web = {"http": "http", "ws": "http", "https": "https", "wss": "https"}
    origin = urlsplit(request.headers.get("Origin") or "")
    return (
        bool(origin.netloc)
        and origin.netloc.lower() == request.host.lower()
        and web.get(origin.scheme.lower()) == web.get(request.scheme.lower(), "")
    )


def open_count() -> int:
    return len(_open)


def shut_down() -> int:
    """This process is stopping: close every socket with 1012, and any that still arrives
    (the listener stays open for up to a second) too, so clients go to the new process."""
    _stopping.set()
    return close_all(RESTART)


def close_all(code: int = RESTART) -> int:
    """Close every socket of this process after what is queued (shutdown); how many."""
    with _lock:
        connections = list(_open)
    for connection in connections:
        connection.close_soon(code)
    return len(connections)


class Connection:
    """One open WebSocket: subscribed to some topics, rendering events into HTML to send.

    `owner` names whose socket it is ("visitor:12", "worker:3:queue"): at most
    MAX_SOCKETS_PER_PERSON of one owner stay open in a process. `redraws` are the event
    types whose fragment is drawn whole from the database, whatever came before: of equal
    ones waiting together in the outbox only the last is drawn.
    """

    def __init__(
        self,
        ws,
        render: Callable[[dict], str | None],
        owner: str | None = None,
        redraws: Collection[str] = (),
    ):
        self.ws = ws
        self.render = render
        self.owner = owner
        self.redraws = frozenset(redraws)
        self.outbox: queue.SimpleQueue = queue.SimpleQueue()
        self.topics: list[str] = []
        self.close_code: int | None = None
        if isinstance(ws.event, _WakingEvent):
            ws.event.wake = self._wake

    def _wake(self):
        self.outbox.put(_WAKE)

    def deliver(self, event: dict) -> None:
        """Called by the hub from any thread."""
        self.outbox.put(event)

    def send(self, html: str | None) -> None:
        if html:
            self.ws.send(html)

    def _register(self) -> int | None:
        """Count this socket in; else the close code to refuse it with."""
        config = current_app.config
        if _stopping.is_set():
            return RESTART
        with _lock:
            if len(_open) >= config["MAX_SOCKETS"]:
                return TRY_AGAIN
            _open[self] = None
            mine = []
            if self.owner is not None:
                _by_owner.setdefault(self.owner, {})[self] = None
                mine = list(_by_owner[self.owner])
        # The newest wins: a flood of sockets with one ticket only ever holds a few.
        for older in mine[: -config["MAX_SOCKETS_PER_PERSON"]]:
            older.close_soon(POLICY)
        return None

    def serve(self, topics: list[str], first: Callable[[], str | None]) -> None:
        """Subscribe, send what `first()` renders, then forward events until either side closes."""
        refused = self._register()
        if refused is not None:
            self.ws.close(reason=refused)
            return
        self.topics = list(topics)
        for topic in self.topics:
            hub().subscribe(topic, self.deliver)
        try:
            # Subscribed before the first snapshot is sent, so no event falls in between.
            self.send(first())
            pending: deque = deque()
            while self.ws.connected:
                if not pending:
                    pending.extend(self._burst(self.outbox.get()))
                item = pending.popleft()
                if item is _WAKE:
                    # Browsers send nothing we use; drop it so the buffer cannot grow.
                    while self.ws.connected and self.ws.receive(timeout=0) is not None:
                        pass
                    continue
                if item is None:
                    if self.ws.connected:
                        self.ws.close(reason=self.close_code or GOING_AWAY)
                    break
                self.send(self.render(item))
        except (ConnectionClosed, LocalProtocolError, OSError):
            # The peer closed (or the line broke) between our check and our send.
            pass
        finally:
            for topic in self.topics:
                hub().unsubscribe(topic, self.deliver)
            with _lock:
                _open.pop(self, None)
                same = _by_owner.get(self.owner, {})
                same.pop(self, None)
                if not same:
                    _by_owner.pop(self.owner, None)

    def _burst(self, first) -> list:
        """`first` and all else already waiting, with each redraw only at its last place.

        A socket falls behind when its process is busy, as after a restart when every page
        reconnects at once and each arrival changes the queue: it then draws the queue once
        for the lot instead of once per arrival, and catches up sooner.
        """
        items = [first]
        while True:
            try:
                items.append(self.outbox.get_nowait())
            except queue.Empty:
                break
        keys = [self._redraw_key(item) for item in items]
        last = {key: n for n, key in enumerate(keys) if key is not None}
        return [item for n, item in enumerate(items) if last.get(keys[n], n) == n]

    def _redraw_key(self, item):
        """What makes two outbox items the same redraw; None when each must be handled."""
        if item is _WAKE:
            return _WAKE
        if isinstance(item, dict) and item.get("type") in self.redraws:
            try:
                key = tuple(sorted(item.items()))
                hash(key)
            except TypeError:  # a value that cannot be compared or hashed: draw each
                return None
            return key
        return None

    def follow(self, topic: str) -> None:
        """Subscribe to one more topic while open (from the connection's own thread)."""
        if topic not in self.topics:
            self.topics.append(topic)
            hub().subscribe(topic, self.deliver)

    def unfollow(self, topic: str) -> None:
        """Stop following a topic while open (from the connection's own thread)."""
        if topic in self.topics:
            self.topics.remove(topic)
            hub().unsubscribe(topic, self.deliver)

    def close_soon(self, code: int = 1000) -> None:
        """Close with `code` after what is already in the outbox has been sent."""
        if self.close_code is None:
            self.close_code = code
        self.outbox.put(None)
