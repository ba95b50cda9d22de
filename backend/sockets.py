"""WebSocket connections: each has one writer thread fed by an outbox, as turbo-flask does.

Hub callbacks only put events in the outbox, so a slow client never holds up a publisher,
and flask-sock's `send()` is only ever called from the connection's own thread.
"""

import queue
import threading
from collections.abc import Callable
from urllib.parse import urlsplit

from flask import request
from flask_sock import Sock
from simple_websocket import ConnectionClosed

from backend.hub import hub

sock = Sock()

_WAKE = object()  # an outbox item that only makes the writer look at the socket again


class _WakingEvent(threading.Event):
    """simple-websocket sets this event when data or a close arrives; we also wake the writer.

    That way a closed socket is noticed at once, without a polling loop per connection.
    """

    wake: Callable[[], None] | None = None

    def set(self):
        super().set()
        if self.wake is not None:
            self.wake()


def server_options(app) -> dict:
    return {
        "ping_interval": app.config["WS_PING_INTERVAL"],
        "max_message_size": 4096,
        "event_class": _WakingEvent,
    }


def same_origin() -> bool:
    """Browsers send Origin on WebSocket handshakes; only our own pages may connect."""
    origin = request.headers.get("Origin")
    return bool(origin) and urlsplit(origin).netloc == request.host


class Connection:
    """One open WebSocket: subscribed to some topics, rendering events into HTML to send."""

    def __init__(self, ws, render: Callable[[dict], str | None]):
        self.ws = ws
        self.render = render
        self.outbox: queue.SimpleQueue = queue.SimpleQueue()
        self.topics: list[str] = []
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

    def serve(self, topics: list[str], first: Callable[[], str | None]) -> None:
        """Subscribe, send what `first()` renders, then forward events until either side closes."""
        self.topics = topics
        for topic in topics:
            hub().subscribe(topic, self.deliver)
        try:
            # Subscribed before the first snapshot is sent, so no event falls in between.
            self.send(first())
            while self.ws.connected:
                item = self.outbox.get()
                if item is _WAKE:
                    # Browsers send nothing we use; drop it so the buffer cannot grow.
                    while self.ws.connected and self.ws.receive(timeout=0) is not None:
                        pass
                    continue
                if item is None:
                    break
                self.send(self.render(item))
        except ConnectionClosed:
            pass
        finally:
            for topic in topics:
                hub().unsubscribe(topic, self.deliver)

    def close_soon(self) -> None:
        """Stop after what is already in the outbox has been sent."""
        self.outbox.put(None)
