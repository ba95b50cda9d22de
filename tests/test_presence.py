"""Presence lives in the database and survives restarts; the sweeper ends what time decides."""

import threading
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlmodel import select

from backend import chats, db, presence, sweeper
from backend.console.workspace import tabs_context
from backend.hub import chat_topic
from backend.models import Presence, PresenceKind, Worker
from tests.helpers import all_chats

VISITOR, WORKER = PresenceKind.VISITOR, PresenceKind.WORKER


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


def demo_worker_id() -> int:
    with db.session() as s:
        # Ordered: PostgreSQL gives rows in no set order, and the demo region has two workers.
        query = select(Worker.id).where(Worker.region_code == "DEMO").order_by(Worker.id)
        return s.exec(query).first()


def active_chat(nickname="Anna"):
    chat = chats.create("DEMO", nickname)
    assert chats.accept(chat.id, demo_worker_id())
    return chat


def later(clock, app, setting: str, extra: int = 1) -> None:
    clock.at += timedelta(seconds=app.config[setting] + extra)


def test_a_chat_whose_pop_up_never_opened_a_socket_leaves_the_queue(ctx, clock):
    chat = chats.create("DEMO", "Anna")  # a script that posts the form and never comes back
    later(clock, ctx, "WAITING_GRACE_SECONDS")
    assert sweeper.sweep()["left the queue"] == 1
    assert (chats.get(chat.id).status, chats.get(chat.id).ended_by) == ("abandoned", "timeout")


def test_the_sweeper_keeps_a_visitor_whose_socket_is_open(ctx, clock):
    chat = chats.create("DEMO", "Anna")
    presence.arrived(VISITOR, chat.id)
    for _ in range(3):  # rounds of the sweeper while the pop-up stays open
        later(clock, ctx, "WAITING_GRACE_SECONDS")
        sweeper.sweep()
    assert chats.get(chat.id).status == "waiting"


def test_after_kill_9_the_dead_process_sockets_stop_counting(ctx, clock, hub):
    waiting, talking = chats.create("DEMO", "Anna"), active_chat("Bo")
    presence.arrived(VISITOR, waiting.id)
    presence.arrived(VISITOR, talking.id)
    assert presence.present(VISITOR, talking.id)
    presence.forget_process()  # kill -9: the process and its memory are gone, its rows stay
    hub.clear()
    later(clock, ctx, "PRESENCE_SECONDS")
    done = sweeper.sweep()  # the restarted process's sweeper
    assert done["stale presence"] == 2
    assert not presence.present(VISITOR, talking.id)
    assert {"type": "presence", "kind": "visitor", "chat": talking.id} in hub.events(
        chat_topic(talking.id)
    )
    later(clock, ctx, "WAITING_GRACE_SECONDS")
    sweeper.sweep()
    assert chats.get(waiting.id).status == "abandoned"  # no ghost before a new visitor


def test_a_closed_socket_counts_the_visitors_absence_from_the_moment_its_row_says(ctx, clock):
    """One moment for both writes: a sweep (or a test) that sees the row written and moves on
    never finds the chat seen later than the row (a race in tests/test_sockets.py)."""
    chat = chats.create("DEMO", "Anna")
    presence.arrived(VISITOR, chat.id)
    start = clock.at

    def ticking():
        clock.at += timedelta(seconds=1)  # every reading of the clock is a second later
        return clock.at

    ctx.extensions["clock"] = ticking
    presence.left(VISITOR, chat.id)
    with db.session() as s:
        (row,) = s.exec(select(Presence).where(Presence.ref_id == chat.id))
    assert row.seen_at > start
    assert chats.get(chat.id).visitor_seen_at == row.seen_at


def test_presence_is_per_person_and_outlives_a_reload(ctx, clock):
    chat = active_chat()
    presence.arrived(VISITOR, chat.id)
    presence.arrived(VISITOR, chat.id)  # a second tab
    presence.left(VISITOR, chat.id)
    assert presence.present(VISITOR, chat.id)
    presence.left(VISITOR, chat.id)
    assert presence.present(VISITOR, chat.id)  # a reload is not leaving
    later(clock, ctx, "AWAY_AFTER_SECONDS")
    assert not presence.present(VISITOR, chat.id)
    assert sweeper.sweep()["stale presence"] == 1
    with db.session() as s:
        assert list(s.exec(select(Presence))) == []


def test_both_sides_hear_when_the_other_comes_and_goes(ctx, clock, hub):
    chat = active_chat()
    worker_id = chats.get(chat.id).worker_id
    hub.clear()
    presence.arrived(WORKER, worker_id)
    presence.left(WORKER, worker_id)
    presence.arrived(WORKER, worker_id)  # from the queue to the chat: never gone
    presence.left(WORKER, worker_id)
    sweeper.sweep()
    later(clock, ctx, "AWAY_AFTER_SECONDS")
    sweeper.sweep()  # the console stayed closed: now the worker is gone
    presence.arrived(VISITOR, chat.id)
    assert hub.events(chat_topic(chat.id)) == [
        {"type": "presence", "kind": "worker", "chat": chat.id},
        {"type": "presence", "kind": "worker", "chat": chat.id},
        {"type": "presence", "kind": "visitor", "chat": chat.id},
    ]


def test_an_active_chat_ends_when_the_visitor_is_gone_too_long(ctx, clock):
    chat = active_chat()
    presence.arrived(VISITOR, chat.id)
    presence.left(VISITOR, chat.id)
    clock.at += timedelta(seconds=ctx.config["VISITOR_GONE_SECONDS"] - 1)
    chats.add_message(chat.id, "worker", "Ben je er nog?")  # writing does not bring them back
    assert sweeper.sweep()["visitor gone"] == 0
    clock.at += timedelta(seconds=1)
    assert sweeper.sweep()["visitor gone"] == 1
    ended = chats.get(chat.id)
    assert (ended.status, ended.ended_by) == ("ended", "visitor_gone")


def test_an_active_chat_where_nobody_writes_ends(ctx, clock):
    chat = active_chat()
    presence.arrived(VISITOR, chat.id)  # the visitor is there, but silent
    clock.at += timedelta(seconds=ctx.config["SILENT_SECONDS"] // 2)
    chats.add_message(chat.id, "visitor", "hallo")
    clock.at += timedelta(seconds=ctx.config["SILENT_SECONDS"] - 1)
    assert sweeper.sweep()["silent"] == 0
    clock.at += timedelta(seconds=1)
    assert sweeper.sweep()["silent"] == 1
    assert chats.get(chat.id).ended_by == "silent"


def test_the_pop_up_says_why_a_chat_ended_by_itself(app, client, clock):
    from tests.helpers import start_chat, taken_chat

    chat_id = taken_chat(app, client)
    clock.at += timedelta(seconds=app.config["VISITOR_GONE_SECONDS"])
    with app.app_context():
        sweeper.sweep()
    page = client.get("/w/demo-utrecht?continued=1").text
    assert "omdat je een tijd weg was" in page
    assert "0800 2000" in page
    assert all_chats(app)[-1].id == chat_id
    start_chat(client)  # and a new chat can start right away
    assert all_chats(app)[-1].status == "waiting"


def test_a_visitor_who_writes_without_a_socket_is_not_gone(ctx, clock):
    chat = active_chat()  # no socket: a browser without JavaScript, say
    clock.at += timedelta(seconds=ctx.config["VISITOR_GONE_SECONDS"] - 1)
    chats.add_message(chat.id, "visitor", "Ik ben er nog.")
    clock.at += timedelta(seconds=ctx.config["VISITOR_GONE_SECONDS"] - 1)
    assert sweeper.sweep()["visitor gone"] == 0


def test_a_socket_opening_while_the_sweeper_renews_the_row_is_counted_once(app, ctx):
    """Two threads of one process writing the same person's row at once: on PostgreSQL both
    find no row to update and insert; the second must update instead of failing the socket."""
    chat = chats.create("DEMO", "Mila")
    process = presence.process_id()
    start = threading.Barrier(8)
    failures = []

    def write():
        with app.app_context():
            start.wait()
            try:
                presence._upsert(VISITOR, chat.id, process, sockets=1)
            except Exception as error:  # noqa: BLE001 - what the socket would have died of
                failures.append(error)

    threads = [threading.Thread(target=write) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with db.session() as s:
        rows = s.exec(select(Presence).where(Presence.ref_id == chat.id)).all()
    assert [(row.kind, row.sockets) for row in rows] == [(VISITOR, 1)]


def test_one_lookup_tells_which_of_a_workers_visitors_are_there(ctx, clock):
    demo_worker(capacity=3)
    here, just_gone, never = active_chat("Anna"), active_chat("Bo"), active_chat("Cas")
    presence.arrived(VISITOR, here.id)
    presence.arrived(VISITOR, just_gone.id)
    presence.left(VISITOR, just_gone.id)
    ids = [here.id, just_gone.id, never.id]
    assert presence.present_among(VISITOR, ids) == {here.id, just_gone.id}  # gone counts briefly
    assert presence.present_among(WORKER, ids) == set()  # a worker's id is another person
    later(clock, ctx, "AWAY_AFTER_SECONDS")
    assert presence.present_among(VISITOR, ids) == {here.id}
    assert presence.present_among(VISITOR, []) == set()


def test_drawing_a_workers_tabs_costs_the_same_few_database_trips_for_one_chat_or_five(ctx):
    """Tabs are drawn again on every coming and going of their visitors: with a trip per
    tab, a reconnecting crowd kept every pooled connection busy (the chaos test on
    PostgreSQL)."""
    worker = demo_worker(capacity=5)
    trips = []
    for count in (1, 5):
        while len(chats.active_for(worker.id)) < count:
            presence.arrived(VISITOR, active_chat().id)
        with counted_checkouts() as checkouts:
            tabs_context(worker, on_screen=None)
        trips.append(len(checkouts))
    assert trips[0] == trips[1], trips


def demo_worker(capacity: int) -> Worker:
    """The demo worker, taking up to `capacity` chats at once."""
    with db.session() as s:
        worker = s.get(Worker, demo_worker_id())
        worker.capacity = capacity
        s.add(worker)
        s.commit()
        return worker


@contextmanager
def counted_checkouts():
    """Each connection taken from the app's pool while inside."""
    checkouts = []

    def taken(*_):
        checkouts.append(1)

    event.listen(db.engine(), "checkout", taken)
    try:
        yield checkouts
    finally:
        event.remove(db.engine(), "checkout", taken)


def test_a_visitor_coming_back_to_the_chat_on_screen_is_looked_up_once(ctx):
    """The tabs and the chat's state line both show whether the visitor is there: a coming
    or going redraws both from one lookup, and the line says they are back."""
    from backend.console.streams import WorkspaceStream
    from tests.helpers import text_of

    chat = active_chat()
    worker = demo_worker(capacity=5)
    with ctx.test_request_context():
        stream = WorkspaceStream(worker, chat.id)
        stream.snapshot()
        assert stream.visitor_here is False
        presence.arrived(VISITOR, chat.id)
        came = {"type": "presence", "kind": str(VISITOR), "chat": chat.id}
        with counted_checkouts() as checkouts:
            html = stream.render(came)
        with counted_checkouts() as tabs_alone:
            tabs_context(worker, on_screen=chat.id)
    assert 'id="chat-state"' in html and "is terug" in text_of(html)
    assert stream.visitor_here is True
    assert len(checkouts) == len(tabs_alone), (len(checkouts), len(tabs_alone))
