"""The message hub: topics, subscribers and events, behind one small interface.

Events are small JSON-able dicts. Topics are "chat:<id>" (messages and state of one chat),
"region:<code>" (its queue changed) and "worker:<id>" (the worker's sessions ended). A
multi-process hub (Redis, PostgreSQL NOTIFY) implements the same three methods; nothing else
in the app needs to change.
"""

import threading
from collections import defaultdict
from collections.abc import Callable

from flask import current_app

Callback = Callable[[dict], None]


class Hub:
    """What the rest of the app relies on."""

    def subscribe(self, topic: str, callback: Callback) -> None:
        raise NotImplementedError

    def unsubscribe(self, topic: str, callback: Callback) -> None:
        raise NotImplementedError

    def publish(self, topic: str, event: dict) -> None:
        raise NotImplementedError


class InProcessHub(Hub):
    """Fan-out inside one process: enough for one gunicorn worker with SQLite."""

    def __init__(self):
        self._lock = threading.Lock()
        self._subscribers: dict[str, set[Callback]] = defaultdict(set)

    def subscribe(self, topic, callback):
        with self._lock:
            self._subscribers[topic].add(callback)

    def unsubscribe(self, topic, callback):
        with self._lock:
            subscribers = self._subscribers.get(topic)
            if subscribers is not None:
                subscribers.discard(callback)
                if not subscribers:
                    del self._subscribers[topic]

    def publish(self, topic, event):
        with self._lock:
            callbacks = list(self._subscribers.get(topic, ()))
        # Callbacks only enqueue; the slow work (rendering, sending) is the connection's.
        for callback in callbacks:
            callback(event)

    def subscriber_count(self, topic: str) -> int:
        with self._lock:
            return len(self._subscribers.get(topic, ()))


def init_app(app):
    app.extensions["hub"] = app.config.get("HUB") or InProcessHub()


def hub() -> Hub:
    return current_app.extensions["hub"]


def chat_topic(chat_id: int) -> str:
    return f"chat:{chat_id}"


def region_topic(region_code: str) -> str:
    return f"region:{region_code}"


def worker_topic(worker_id: int) -> str:
    return f"worker:{worker_id}"
