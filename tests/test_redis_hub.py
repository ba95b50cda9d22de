"""The Redis hub against a real Redis: what the app relies on from backend/hub.py's contract.

Two hubs on one Redis stand for two processes (or machines). Waits are guards against a hang,
never measurements.
"""

import logging
import os
import queue
import threading

import pytest
import redis

from backend.hub import Event, HubUnavailable, InProcessHub, from_url
from backend.redis_hub import RedisHub
from tests import services

GUARD = 10  # seconds before a missing event counts as never coming


@pytest.fixture(scope="module")
def redis_url():
    """The Redis of the test run (VTCHAT_TEST_REDIS_URL), else a throwaway one."""
    given = os.environ.get(services.REDIS_URL_VARIABLE)
    if given:
        yield given
        return
    try:
        with services.redis() as server:
            yield server.url()
    except services.Unavailable as missing:
        if os.environ.get("VTCHAT_CI"):
            raise
        pytest.skip(f"Redis hub untested: {missing}")


@pytest.fixture
def hubs(redis_url):
    made = []

    def make() -> RedisHub:
        hub = RedisHub(redis_url)
        made.append(hub)
        return hub

    yield make
    for hub in made:
        hub.close()


class Inbox:
    """A subscriber that keeps what it gets, and on which thread."""

    def __init__(self):
        self.events: queue.Queue = queue.Queue()
        self.threads: set[int] = set()

    def __call__(self, event):
        self.threads.add(threading.get_ident())
        self.events.put(event)

    def next(self) -> dict:
        return self.events.get(timeout=GUARD)

    def empty_after(self, hub, topic) -> bool:
        """Nothing else came before a marker sent after it: Redis keeps the order."""
        hub.publish(topic, {"type": "marker"})
        return self.next() == {"type": "marker"}


def test_an_event_published_in_one_process_reaches_a_subscriber_in_another(hubs):
    here, there = hubs(), hubs()
    inbox = Inbox()
    there.subscribe("chat:7", inbox)
    # subscribe() has returned: the very next publish, from anywhere, must arrive.
    here.publish("chat:7", {"type": "message", "chat": 7, "seq": 1, "sender": "visitor"})
    assert inbox.next() == {"type": "message", "chat": 7, "seq": 1, "sender": "visitor"}


def test_subscribe_returns_only_once_the_subscription_is_live(hubs):
    here, there = hubs(), hubs()
    inbox = Inbox()
    for chat_id in range(300):
        there.subscribe(f"chat:{chat_id}", inbox)
        here.publish(f"chat:{chat_id}", {"type": "state", "chat": chat_id})
    assert sorted(inbox.next()["chat"] for _ in range(300)) == list(range(300))


def test_callbacks_run_on_the_hubs_own_thread_and_share_one_event(hubs):
    hub = hubs()
    first, second = Inbox(), Inbox()
    hub.subscribe("region:DEMO", first)
    hub.subscribe("region:DEMO", second)
    hub.publish("region:DEMO", {"type": "queue", "region": "DEMO"})
    one, other = first.next(), second.next()
    assert one is other and isinstance(one, Event)  # work for all of them is done once
    assert calls_counted(one) == 1
    assert threading.get_ident() not in first.threads  # never the publisher's thread


def calls_counted(event: Event) -> int:
    calls = []
    for _subscriber in range(3):
        event.once("places", lambda: calls.append(1))
    return len(calls)


def test_topics_do_not_mix_and_an_unsubscribed_callback_hears_no_more(hubs):
    hub = hubs()
    chat, other = Inbox(), Inbox()
    hub.subscribe("chat:1", chat)
    hub.subscribe("chat:2", other)
    hub.publish("chat:2", {"type": "typing", "chat": 2})
    assert other.next()["chat"] == 2
    assert chat.empty_after(hub, "chat:1")

    hub.unsubscribe("chat:2", other)
    hub.publish("chat:2", {"type": "typing", "chat": 2})
    hub.subscribe("chat:3", other)
    hub.publish("chat:3", {"type": "marker"})
    assert other.next() == {"type": "marker"}  # the event on chat:2 never came


def test_a_lost_connection_is_made_again_and_subscribers_are_told_to_catch_up(hubs, redis_url):
    hub = hubs()
    chat, region = Inbox(), Inbox()
    hub.subscribe("chat:5", chat)
    hub.subscribe("region:DEMO", region)
    with redis.Redis.from_url(redis_url) as admin:
        assert admin.client_kill_filter(_type="pubsub") >= 1  # as a Redis restart would
    # What was published while cut off is gone; the database has it, so they redraw.
    assert chat.next() == {"type": "state", "chat": 5, "catch_up": True}
    assert {region.next()["type"], region.next()["type"]} == {"queue", "staffing"}
    hub.publish("chat:5", {"type": "message", "chat": 5, "seq": 2, "sender": "worker"})
    assert chat.next()["seq"] == 2


def test_without_redis_publishing_logs_and_the_check_says_what_is_wrong(caplog):
    port = services.free_port()  # nothing listens there
    hub = RedisHub(f"redis://127.0.0.1:{port}/0")
    with caplog.at_level(logging.WARNING, logger="backend.redis_hub"):
        hub.publish("chat:1", {"type": "state", "chat": 1})  # after a commit: never raises
    assert "could not publish on chat" in caplog.text
    with pytest.raises(HubUnavailable, match=f"127.0.0.1:{port}"):
        hub.check()
    hub.close()


def test_the_hub_is_chosen_by_its_url():
    assert isinstance(from_url("memory://"), InProcessHub)
    assert isinstance(from_url("redis://127.0.0.1:6379/0"), RedisHub)
    with pytest.raises(ValueError, match="HUB_URL"):
        from_url("postgres://nowhere")
