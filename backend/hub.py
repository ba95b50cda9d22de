"""The message hub: topics, subscribers and events, behind one small contract.

Events are small JSON-able dicts of ids and facts, never what anyone wrote: the database is
the source of truth and every reader fetches what it shows from there. Topics are
"chat:<id>" (one chat's messages, state, typing, presence), "region:<code>" (its queue or
staffing changed: one event per change, however many wait) and "worker:<id>" (the worker's
own chats and sessions).

Two implementations: `InProcessHub` (one process; the default) and `RedisHub`
(backend/redis_hub.py; several processes and machines), chosen by HUB_URL.
"""

import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from typing import Protocol

from flask import current_app

log = logging.getLogger(__name__)

Callback = Callable[["Event"], None]


class HubUnavailable(RuntimeError):
    """The hub's engine cannot be reached."""


class Event(dict):
    """One published event as subscribers get it: the same object for every subscriber in
    this process, so work that is the same for all of them is done once (`once`)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._lock = threading.Lock()
        self._done: dict = {}

    def once(self, key, compute: Callable[[], object]):
        """`compute()` the first time `key` is asked for by any subscriber; its result after."""
        with self._lock:
            if key not in self._done:
                self._done[key] = compute()
            return self._done[key]


def once(event: dict | None, key, compute: Callable[[], object]):
    """`compute()` once per event and process when the hub delivered it (an Event); without
    one (a snapshot, or a plain dict from a test) it is computed each time."""
    if isinstance(event, Event):
        return event.once(key, compute)
    return compute()


class Hub(Protocol):
    """What the app relies on from a hub.

    - `start()` before the first subscribe (idempotent); `close()` lets go of everything.
    - `subscribe()` returns once events published from then on reach `callback`.
    - Callbacks run on the hub's own thread (RedisHub) or the publisher's (InProcessHub): they
      must only hand the event on (Connection.deliver puts it in an outbox), never block.
    - `publish()` is called after the commit it tells of. It never raises: a failure is
      logged, and readers catch up from the database on their next event or reconnect.
    - `check()` raises HubUnavailable when the engine cannot be reached.
    """

    def start(self) -> None: ...

    def close(self) -> None: ...

    def subscribe(self, topic: str, callback: Callback) -> None: ...

    def unsubscribe(self, topic: str, callback: Callback) -> None: ...

    def publish(self, topic: str, event: dict) -> None: ...

    def check(self) -> None: ...


class Subscribers:
    """Topic -> callbacks of this process, and handing an event to them."""

    def __init__(self):
        self._lock = threading.Lock()
        self._by_topic: dict[str, set[Callback]] = defaultdict(set)

    def add(self, topic: str, callback: Callback) -> bool:
        """Add; True when this is the topic's first subscriber in this process."""
        with self._lock:
            first = topic not in self._by_topic
            self._by_topic[topic].add(callback)
            return first

    def remove(self, topic: str, callback: Callback) -> bool:
        """Remove; True when the topic has no subscriber left in this process."""
        with self._lock:
            callbacks = self._by_topic.get(topic)
            if callbacks is None:
                return False
            callbacks.discard(callback)
            if callbacks:
                return False
            del self._by_topic[topic]
            return True

    def topics(self) -> list[str]:
        with self._lock:
            return list(self._by_topic)

    def count(self, topic: str) -> int:
        with self._lock:
            return len(self._by_topic.get(topic, ()))

    def deliver(self, topic: str, event: dict) -> None:
        with self._lock:
            callbacks = list(self._by_topic.get(topic, ()))
        shared = Event(event)
        for callback in callbacks:
            try:
                callback(shared)
            except Exception:  # one broken subscriber must not keep the event from the rest
                log.exception("A hub subscriber failed on %s", topic)


class InProcessHub:
    """Fan-out inside one process: enough for one gunicorn worker."""

    def __init__(self):
        self._subscribers = Subscribers()

    def start(self):
        pass

    def close(self):
        pass

    def check(self):
        pass

    def subscribe(self, topic, callback):
        self._subscribers.add(topic, callback)

    def unsubscribe(self, topic, callback):
        self._subscribers.remove(topic, callback)

    def publish(self, topic, event):
        self._subscribers.deliver(topic, event)

    def subscriber_count(self, topic: str) -> int:
        return self._subscribers.count(topic)


def from_url(url: str) -> Hub:
    """The hub HUB_URL names: memory:// (one process) or redis://host:port/db."""
    if url.startswith(("redis://", "rediss://", "unix://")):
        from backend.redis_hub import RedisHub

        return RedisHub(url)
    if url in ("", "memory://"):
        return InProcessHub()
    raise ValueError(f"HUB_URL must be memory:// or redis://…, not {url!r}")


def init_app(app):
    app.extensions["hub"] = app.config.get("HUB") or from_url(app.config["HUB_URL"])


def hub() -> Hub:
    return current_app.extensions["hub"]


def chat_topic(chat_id: int) -> str:
    return f"chat:{chat_id}"


def region_topic(region_code: str) -> str:
    return f"region:{region_code}"


def worker_topic(worker_id: int) -> str:
    return f"worker:{worker_id}"
