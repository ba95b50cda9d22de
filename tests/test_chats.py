"""A chat's life: the region's queue, atomic claiming, numbered messages, ending, and events."""

import threading
from datetime import timedelta

import pytest
from sqlmodel import select

from backend import chats, db, presence, sweeper, timeouts
from backend.hub import chat_topic, region_topic
from backend.models import PresenceKind, Worker
from tests.helpers import add_workers

VISITOR = PresenceKind.VISITOR


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


def worker_ids(*usernames) -> list[int]:
    with db.session() as s:
        workers = {w.username: w.id for w in s.exec(select(Worker))}
    return [workers[name] for name in usernames]


def queue_one_after_another(clock, region, *nicknames):
    """Visitors arriving a minute apart, in this order."""
    created = []
    for nickname in nicknames:
        created.append(chats.create(region, nickname))
        clock.at += timedelta(minutes=1)
    return created


def positions(created) -> list[int | None]:
    return [chats.position(chats.get(chat.id)) for chat in created]


def test_queue_is_first_come_first_served(ctx, clock):
    anna, bo, cas = queue_one_after_another(clock, "DEMO", "Anna", "Bo", "Cas")
    assert [c.nickname for c in chats.waiting("DEMO")] == ["Anna", "Bo", "Cas"]
    assert positions([anna, bo, cas]) == [1, 2, 3]


def test_visitors_arriving_at_the_same_moment_keep_their_order(ctx):
    first, second = chats.create("DEMO", "Anna"), chats.create("DEMO", "Bo")
    assert first.created_at == second.created_at
    assert [c.nickname for c in chats.waiting("DEMO")] == ["Anna", "Bo"]
    assert positions([first, second]) == [1, 2]


def test_places_move_up_when_the_first_is_accepted(ctx, clock):
    anna, bo, cas = queue_one_after_another(clock, "DEMO", "Anna", "Bo", "Cas")
    (demo,) = worker_ids("demo")
    assert chats.accept(anna.id, demo)
    assert positions([anna, bo, cas]) == [None, 1, 2]
    assert [c.nickname for c in chats.waiting("DEMO")] == ["Bo", "Cas"]


def test_places_move_up_when_someone_ahead_leaves(ctx, clock):
    anna, bo, cas = queue_one_after_another(clock, "DEMO", "Anna", "Bo", "Cas")
    assert chats.end(bo.id, "visitor")
    assert positions([anna, bo, cas]) == [1, None, 2]


def test_regions_have_separate_queues(ctx, clock):
    demo_anna, demo_bo = queue_one_after_another(clock, "DEMO", "Anna", "Bo")
    (utrecht,) = queue_one_after_another(clock, "VT20", "Utrecht-Cas")
    (limburg,) = queue_one_after_another(clock, "VT25", "Limburg-Dirk")
    assert positions([demo_anna, demo_bo, utrecht, limburg]) == [1, 2, 1, 1]
    assert [c.nickname for c in chats.waiting("VT20")] == ["Utrecht-Cas"]
    assert [c.nickname for c in chats.waiting("DEMO")] == ["Anna", "Bo"]


def test_accept_assigns_the_worker_and_makes_the_chat_active(ctx, clock):
    chat = chats.create("DEMO", "Anna")
    (demo,) = worker_ids("demo")
    clock.at += timedelta(minutes=4)
    assert chats.accept(chat.id, demo)
    accepted = chats.get(chat.id)
    assert (accepted.status, accepted.worker_id) == ("active", demo)
    assert accepted.accepted_at - accepted.created_at == timedelta(minutes=4)
    assert [c.id for c in chats.active_for(demo)] == [chat.id]


def test_a_taken_chat_cannot_be_accepted_again(ctx):
    chat = chats.create("DEMO", "Anna")
    demo, demo2 = worker_ids("demo", "demo2")
    assert chats.accept(chat.id, demo)
    assert not chats.accept(chat.id, demo2)
    assert chats.get(chat.id).worker_id == demo


def test_a_chat_the_visitor_left_cannot_be_accepted(ctx):
    chat = chats.create("DEMO", "Anna")
    chats.end(chat.id, "visitor")
    (demo,) = worker_ids("demo")
    assert not chats.accept(chat.id, demo)
    assert chats.get(chat.id).worker_id is None


def test_workers_accepting_at_the_same_moment_only_one_gets_the_chat(app):
    add_workers(app, 6)
    with app.app_context():
        chat = chats.create("DEMO", "Anna")
        with db.session() as s:
            candidates = [w.id for w in s.exec(select(Worker).order_by(Worker.id).limit(8))]
    assert len(candidates) == 8
    barrier = threading.Barrier(len(candidates))
    results: dict[int, bool] = {}
    errors: list[BaseException] = []

    def press_accept(worker_id):
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                results[worker_id] = chats.accept(chat.id, worker_id)
        except BaseException as error:  # reported below, so a crash cannot pass as "lost"
            errors.append(error)

    threads = [threading.Thread(target=press_accept, args=(w,)) for w in candidates]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert len(results) == len(candidates)
    winners = [w for w, won in results.items() if won]
    assert len(winners) == 1
    with app.app_context():
        assert chats.get(chat.id).worker_id == winners[0]
        assert chats.get(chat.id).status == "active"


def active_chat(nickname="Anna", worker="demo"):
    chat = chats.create("DEMO", nickname)
    (worker_id,) = worker_ids(worker)
    assert chats.accept(chat.id, worker_id)
    return chat


def test_messages_are_numbered_one_two_three_per_chat(ctx):
    first, second = active_chat("Anna"), active_chat("Bo", worker="demo2")
    a1 = chats.add_message(first.id, "visitor", "Hallo")
    a2 = chats.add_message(first.id, "worker", "Hoi, fijn dat je er bent")
    b1 = chats.add_message(second.id, "visitor", "Goedemiddag")
    a3 = chats.add_message(first.id, "visitor", "Ik wil iets vragen")
    assert [a1.seq, a2.seq, a3.seq] == [1, 2, 3]
    assert b1.seq == 1
    stored = chats.messages(first.id)
    assert [(m.seq, m.sender, m.body) for m in stored] == [
        (1, "visitor", "Hallo"),
        (2, "worker", "Hoi, fijn dat je er bent"),
        (3, "visitor", "Ik wil iets vragen"),
    ]
    assert [m.body for m in chats.messages(first.id, after_seq=1)] == [
        "Hoi, fijn dat je er bent",
        "Ik wil iets vragen",
    ]


def test_no_messages_while_waiting(ctx):
    chat = chats.create("DEMO", "Anna")
    assert chats.add_message(chat.id, "visitor", "Is daar iemand?") is None
    assert chats.messages(chat.id) == []


def test_no_messages_after_the_end(ctx):
    chat = active_chat()
    chats.add_message(chat.id, "visitor", "Dank je")
    assert chats.end(chat.id, "worker")
    assert chats.add_message(chat.id, "visitor", "Nog iets") is None
    assert [m.body for m in chats.messages(chat.id)] == ["Dank je"]


def test_ending_a_waiting_chat_means_the_visitor_abandoned_it(ctx, clock):
    chat = chats.create("DEMO", "Anna")
    clock.at += timedelta(minutes=2)
    assert chats.end(chat.id, "visitor")
    ended = chats.get(chat.id)
    assert (ended.status, ended.ended_by) == ("abandoned", "visitor")
    assert ended.ended_at - ended.created_at == timedelta(minutes=2)


def test_ending_an_active_chat_records_who_ended_it(ctx):
    by_worker, by_visitor = active_chat("Anna"), active_chat("Bo")
    assert chats.end(by_worker.id, "worker")
    assert chats.end(by_visitor.id, "visitor")
    assert (chats.get(by_worker.id).status, chats.get(by_worker.id).ended_by) == (
        "ended",
        "worker",
    )
    assert chats.get(by_visitor.id).ended_by == "visitor"


def test_an_ended_chat_cannot_be_ended_again(ctx):
    chat = active_chat()
    assert chats.end(chat.id, "worker")
    assert not chats.end(chat.id, "visitor")
    assert chats.get(chat.id).ended_by == "worker"


def test_joining_the_queue_tells_the_region_and_the_newcomer_its_place(ctx, hub, clock):
    (anna,) = queue_one_after_another(clock, "DEMO", "Anna")
    hub.clear()
    (bo,) = queue_one_after_another(clock, "DEMO", "Bo")
    # One event for the region, not one per waiting visitor; each place is looked up.
    assert hub.events(region_topic("DEMO")) == [{"type": "queue", "region": "DEMO"}]
    assert hub.events(chat_topic(bo.id)) == []
    assert chats.places("DEMO") == {anna.id: 1, bo.id: 2}
    assert hub.events(region_topic("VT20")) == []


def test_accepting_the_first_tells_the_next_visitor_they_are_now_first(ctx, hub, clock):
    anna, bo, cas = queue_one_after_another(clock, "DEMO", "Anna", "Bo", "Cas")
    (demo,) = worker_ids("demo")
    hub.clear()
    assert chats.accept(anna.id, demo)
    assert {"type": "state", "chat": anna.id} in hub.events(chat_topic(anna.id))
    assert hub.events(region_topic("DEMO")) == [{"type": "queue", "region": "DEMO"}]
    assert chats.places("DEMO") == {bo.id: 1, cas.id: 2}


def test_a_losing_accept_tells_nobody_anything(ctx, hub):
    chat = active_chat()
    (demo2,) = worker_ids("demo2")
    hub.clear()
    assert not chats.accept(chat.id, demo2)
    assert hub.published == []


def test_leaving_the_queue_moves_the_others_up(ctx, hub, clock):
    anna, bo = queue_one_after_another(clock, "DEMO", "Anna", "Bo")
    hub.clear()
    assert chats.end(anna.id, "visitor")
    assert {"type": "state", "chat": anna.id} in hub.events(chat_topic(anna.id))
    assert hub.events(region_topic("DEMO")) == [{"type": "queue", "region": "DEMO"}]
    assert chats.places("DEMO") == {bo.id: 1}


def test_a_message_is_stored_before_it_is_announced(ctx, hub):
    chat = active_chat()
    seen_in_database = []

    def on_event(event):
        if event["type"] == "message":
            stored = chats.messages(chat.id, after_seq=event["seq"] - 1)
            seen_in_database.append([(m.seq, m.body) for m in stored])

    hub.subscribe(chat_topic(chat.id), on_event)
    chats.add_message(chat.id, "visitor", "Hallo")
    chats.add_message(chat.id, "worker", "Hoi")
    assert seen_in_database == [[(1, "Hallo")], [(2, "Hoi")]]
    events = [e for e in hub.events(chat_topic(chat.id)) if e["type"] == "message"]
    # Ids and small facts: what was written stays in the database.
    assert events == [
        {"type": "message", "chat": chat.id, "seq": 1, "sender": "visitor"},
        {"type": "message", "chat": chat.id, "seq": 2, "sender": "worker"},
    ]


def test_a_refused_message_is_not_announced(ctx, hub):
    chat = chats.create("DEMO", "Anna")
    hub.clear()
    chats.add_message(chat.id, "visitor", "Hallo?")
    assert hub.events(chat_topic(chat.id)) == []


def test_subscribers_stop_hearing_after_unsubscribing(ctx, hub):
    chat = active_chat()
    heard = []
    hub.subscribe(chat_topic(chat.id), heard.append)
    chats.add_message(chat.id, "visitor", "een")
    hub.unsubscribe(chat_topic(chat.id), heard.append)
    chats.add_message(chat.id, "visitor", "twee")
    assert [e["seq"] for e in heard] == [1]  # "een", not "twee"
    assert hub.subscriber_count(chat_topic(chat.id)) == 0


# --- leaving the queue unseen, and forgetting transcripts -------------------------------------


def pop_up_closed(chat, clock, seconds: int) -> None:
    """The visitor's socket opened and closed again, `seconds` ago by the clock."""
    presence.arrived(VISITOR, chat.id)
    presence.left(VISITOR, chat.id)
    clock.at += timedelta(seconds=seconds)


def test_a_waiting_visitor_without_an_open_pop_up_leaves_the_queue(app, ctx, hub, clock):
    anna, bo = queue_one_after_another(clock, "DEMO", "Anna", "Bo")
    presence.arrived(VISITOR, bo.id)
    pop_up_closed(anna, clock, app.config["WAITING_GRACE_SECONDS"])
    hub.clear()
    presence.heartbeat()  # the sweeper's round first confirms the sockets its process holds
    assert timeouts.abandon_gone() == [anna.id]
    gone = chats.get(anna.id)
    assert (gone.status, gone.ended_by) == ("abandoned", "timeout")
    assert hub.events(region_topic("DEMO")) == [{"type": "queue", "region": "DEMO"}]
    assert chats.places("DEMO") == {bo.id: 1}


def test_a_waiting_visitor_is_given_the_grace_time(app, ctx, clock):
    chat = chats.create("DEMO", "Anna")
    pop_up_closed(chat, clock, app.config["WAITING_GRACE_SECONDS"] - 1)
    assert timeouts.abandon_gone() == []
    clock.at += timedelta(seconds=1)
    assert timeouts.abandon_gone() == [chat.id]


def test_a_waiting_visitor_with_the_pop_up_open_keeps_the_place(app, ctx, clock):
    chat = chats.create("DEMO", "Anna")
    presence.arrived(VISITOR, chat.id)  # the pop-up reloaded: its new socket is open
    pop_up_closed(chat, clock, 0)
    presence.arrived(VISITOR, chat.id)
    clock.at += timedelta(seconds=app.config["WAITING_GRACE_SECONDS"] * 2)
    presence.heartbeat()
    assert timeouts.abandon_gone() == []
    assert chats.get(chat.id).status == "waiting"
    presence.left(VISITOR, chat.id)
    presence.left(VISITOR, chat.id)
    clock.at += timedelta(seconds=app.config["WAITING_GRACE_SECONDS"])
    assert timeouts.abandon_gone() == [chat.id]


def test_an_active_chat_is_not_abandoned_when_the_pop_up_closes(app, ctx, clock):
    chat = active_chat()
    pop_up_closed(chat, clock, app.config["WAITING_GRACE_SECONDS"] * 2)
    assert timeouts.abandon_gone() == []
    assert chats.get(chat.id).status == "active"


def test_transcripts_are_deleted_after_the_retention_time(app, clock):
    app.config["TRANSCRIPT_RETENTION_HOURS"] = 72
    with app.app_context():
        old = active_chat("Oud")
        chats.add_message(old.id, "visitor", "lang geleden")
        chats.end(old.id, "worker")
        clock.at += timedelta(hours=2)
        recent = active_chat("Recent")
        chats.add_message(recent.id, "visitor", "net gezegd")
        chats.end(recent.id, "worker")
        still_open = active_chat("Open", worker="demo2")
        chats.add_message(still_open.id, "visitor", "nog bezig")

        clock.at += timedelta(hours=71)  # 73 hours after the old one ended, 71 after the recent
        assert chats.purge_transcripts() == 1

        assert chats.messages(old.id) == []
        assert chats.get(old.id).nickname == ""
        # What stays is anonymous: the region, the times and who ended it.
        assert chats.get(old.id).region_code == "DEMO"
        assert chats.get(old.id).ended_by == "worker"
        assert [m.body for m in chats.messages(recent.id)] == ["net gezegd"]
        assert chats.get(recent.id).nickname == "Recent"
        assert [m.body for m in chats.messages(still_open.id)] == ["nog bezig"]


def test_the_sweeper_also_clears_old_transcripts(app, clock):
    with app.app_context():
        old = active_chat("Oud")
        chats.add_message(old.id, "visitor", "lang geleden")
        chats.end(old.id, "worker")
        clock.at += timedelta(hours=app.config["TRANSCRIPT_RETENTION_HOURS"] + 1)
        assert sweeper.sweep()["transcripts deleted"] == 1
        assert chats.messages(old.id) == []


def test_purge_transcripts_command(app, runner, clock):
    with app.app_context():
        old = active_chat("Oud")
        chats.add_message(old.id, "visitor", "lang geleden")
        chats.end(old.id, "worker")
    clock.at += timedelta(hours=app.config["TRANSCRIPT_RETENTION_HOURS"] + 1)
    result = runner.invoke(args=["purge-transcripts"])
    assert result.exit_code == 0, result.output
    assert "1 transcripts deleted." in result.output
    with app.app_context():
        assert chats.messages(old.id) == []


# --- a send tried again after its answer was lost is stored once ------------------------------


def test_a_send_tried_again_with_its_key_is_stored_once(ctx, hub):
    chat = active_chat()
    first = chats.add_message(chat.id, "visitor", "Ben je er?", send_key="sleutel-een-1")
    hub.clear()
    again = chats.add_message(chat.id, "visitor", "Ben je er?", send_key="sleutel-een-1")
    assert again.id == first.id
    assert [m.body for m in chats.messages(chat.id)] == ["Ben je er?"]
    assert hub.events(chat_topic(chat.id)) == []  # nobody is told twice
    chats.add_message(chat.id, "visitor", "Ben je er?", send_key="sleutel-twee-2")
    assert len(chats.messages(chat.id)) == 2  # the same words sent anew are a new message
