"""The hub on Redis pub/sub: events reach every process on every machine (docs/hub.md).

Each process holds one subscribing connection, listened to by one thread of the hub's own (a
greenlet under gunicorn's gevent worker), and subscribes a channel only while one of its
sockets follows the topic, so an event crosses the wire once per process, however many of
its sockets want it. Publishing uses the client's pool from any thread.

Redis keeps nothing it relays: an event published while a process was cut off from it is
lost to that process. So when the listener finds a channel subscribed anew after a lost
connection, it hands that topic's subscribers a catch-up event, and they redraw from the
database, which is where everything is.
"""

import json
import logging
import threading
import time

import redis

from backend.hub import Callback, HubUnavailable, Subscribers

log = logging.getLogger(__name__)

PREFIX = "vtchat:"  # one Redis may serve other things too
SUBSCRIBE_TIMEOUT = 5.0  # seconds subscribe() waits for Redis to confirm


def catch_up_events(topic: str) -> list[dict]:
    """What the subscribers of `topic` may have missed, as events that make them redraw."""
    kind, _, ref = topic.partition(":")
    if kind == "chat" and ref.isdigit():
        return [{"type": "state", "chat": int(ref), "catch_up": True}]
    if kind == "region":
        return [{"type": "queue", "region": ref}, {"type": "staffing", "region": ref}]
    if kind == "worker":
        return [{"type": "mine"}, {"type": "settings"}]
    return []


class RedisHub:
    """Topics as Redis channels; see backend/hub.py for the contract."""

    def __init__(self, url: str):
        self.url = url
        self._client = redis.Redis.from_url(
            url, decode_responses=True, socket_connect_timeout=2, health_check_interval=30
        )
        self._subscribers = Subscribers()
        self._lock = threading.Lock()  # starting, stopping, and commands on the subscriber
        self._pubsub: redis.client.PubSub | None = None
        self._listener: threading.Thread | None = None
        self._running = False
        self._live: dict[str, threading.Event] = {}  # channel -> set once Redis confirmed it

    def start(self) -> None:
        with self._lock:
            if self._running:
                return
            self._pubsub = self._client.pubsub()
            self._running = True
            self._listener = threading.Thread(target=self._listen, name="vtchat-hub", daemon=True)
            self._listener.start()

    def close(self) -> None:
        with self._lock:
            self._running = False
            pubsub, self._pubsub = self._pubsub, None
        if pubsub is not None:
            pubsub.close()
        if self._listener is not None:
            self._listener.join(timeout=2)
        self._client.close()

    def check(self) -> None:
        try:
            self._client.ping()
        except (redis.RedisError, OSError) as error:
            raise HubUnavailable(f"Redis at {self._safe_url()} does not answer: {error}") from error

    def subscribe(self, topic: str, callback: Callback) -> None:
        self.start()
        channel = PREFIX + topic
        if self._subscribers.add(topic, callback):
            live = threading.Event()
            with self._lock:
                self._live[channel] = live
                self._command(self._pubsub.subscribe, channel)
        else:
            live = self._live.get(channel)
        # Returns once events published from now on reach the callback; if Redis cannot be
        # reached the socket still opens, and catches up when the channel is subscribed again.
        if live is not None and not live.wait(SUBSCRIBE_TIMEOUT):
            log.warning("Redis did not confirm a subscription within %ss", SUBSCRIBE_TIMEOUT)

    def unsubscribe(self, topic: str, callback: Callback) -> None:
        if self._subscribers.remove(topic, callback):
            channel = PREFIX + topic
            with self._lock:
                self._live.pop(channel, None)
                if self._pubsub is not None:
                    self._command(self._pubsub.unsubscribe, channel)

    def publish(self, topic: str, event: dict) -> None:
        try:
            self._client.publish(PREFIX + topic, json.dumps(event, separators=(",", ":")))
        except (redis.RedisError, OSError) as error:
            # After the commit: the change stands, and readers catch up from the database.
            log.warning("The hub could not publish on %s: %s", topic.partition(":")[0], error)

    def subscriber_count(self, topic: str) -> int:
        return self._subscribers.count(topic)

    def _command(self, command, channel: str) -> None:
        try:
            command(channel)
        except (redis.RedisError, OSError) as error:
            # The listener reconnects, and redis-py subscribes every channel again then.
            log.warning("The hub could not reach Redis: %s", error)

    def _listen(self) -> None:
        pause = 0.1
        while self._running:
            pubsub = self._pubsub
            if pubsub is None:
                break
            try:
                message = pubsub.get_message(timeout=1.0)
            except (redis.RedisError, OSError, ValueError) as error:
                if not self._running:
                    break
                log.warning("The hub lost Redis (%s); trying again", error)
                time.sleep(pause)
                pause = min(pause * 2, 5.0)
                continue
            pause = 0.1
            if message is not None:
                self._handle(message)

    def _handle(self, message: dict) -> None:
        channel = message.get("channel") or ""
        if not channel.startswith(PREFIX):
            return
        topic = channel[len(PREFIX) :]
        if message["type"] == "subscribe":
            live = self._live.get(channel)
            if live is None:
                return
            if live.is_set():
                # Subscribed anew after a lost connection: events may have been missed.
                for event in catch_up_events(topic):
                    self._subscribers.deliver(topic, event)
            live.set()
        elif message["type"] == "message":
            try:
                event = json.loads(message["data"])
            except ValueError:
                log.warning("The hub dropped an event that is not JSON on %s", topic)
                return
            self._subscribers.deliver(topic, event)

    def _safe_url(self) -> str:
        """The URL without a password, for messages."""
        kwargs = self._client.connection_pool.connection_kwargs
        where = kwargs.get("path") or f"{kwargs.get('host')}:{kwargs.get('port')}"
        return f"{where}/{kwargs.get('db', 0)}"
