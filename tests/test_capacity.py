"""Capacity and "Volgende chat": never more chats than a worker takes at once, oldest first.

Taking is one conditional claim: threads racing for the same chats on a real SQLite file never
give one chat to two workers, nor a worker more chats than their capacity.
"""

import random
import threading
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import select

from backend import chats, db, staffing
from backend.models import Chat, ChatStatus, Worker
from tests.helpers import log_in, text_of

FULL = "Je hebt al 2 chats, zoveel als je tegelijk aanneemt. Rond er eerst een af."
# Saturday 21 November 2026, 11:00 in Amsterdam: real regions are closed, DEMO is open.
SATURDAY = timedelta(days=3, hours=1)


@pytest.fixture
def sanne(app):
    """The demo worker (DEMO), logged in."""
    client = app.test_client()
    assert log_in(client).status_code == 303
    return client


def worker_id(app, username="demo") -> int:
    with app.app_context(), db.session() as s:
        return s.exec(select(Worker.id).where(Worker.username == username)).one()


def set_capacity(app, username, capacity):
    with app.app_context(), db.session() as s:
        s.execute(update(Worker).where(Worker.username == username).values(capacity=capacity))
        s.commit()


def waiting(app, region, nickname, clock=None, minutes_later=0) -> int:
    """A visitor who starts waiting, `minutes_later` than the clock says now."""
    if clock is not None:
        clock.at += timedelta(minutes=minutes_later)
    with app.app_context():
        return chats.create(region, nickname).id


def status_of(app, chat_id) -> tuple[str, int | None]:
    with app.app_context():
        chat = chats.get(chat_id)
    return chat.status, chat.worker_id


def said(client, response) -> str:
    """What the worker reads on the page a refused take leads back to."""
    assert response.status_code == 303
    assert response.headers["Location"] == "/console/"
    return text_of(client.get("/console/").text)


# ---- capacity ----------------------------------------------------------------------------------


def test_a_worker_takes_two_chats_and_is_refused_a_third_in_dutch(app, sanne):
    first, second, third = (waiting(app, "DEMO", name) for name in ("Mila", "Bo", "Anna"))
    for chat_id in (first, second):
        response = sanne.post(f"/console/chats/{chat_id}/accept")
        assert response.headers["Location"] == f"/console/chats/{chat_id}"
    page = said(sanne, sanne.post(f"/console/chats/{third}/accept"))
    assert FULL in page
    assert status_of(app, third) == (ChatStatus.WAITING, None)


def test_next_chat_is_refused_past_capacity_in_dutch(app, sanne):
    for name in ("Mila", "Bo", "Anna"):
        waiting(app, "DEMO", name)
    sanne.post("/console/next")
    sanne.post("/console/next")
    page = said(sanne, sanne.post("/console/next"))
    assert FULL in page
    with app.app_context():
        assert len(chats.active_for(worker_id(app))) == 2
        assert [c.nickname for c in chats.waiting_in(["DEMO"])] == ["Anna"]


def test_a_finished_chat_makes_room_again(app, sanne):
    first, second, third = (waiting(app, "DEMO", name) for name in ("Mila", "Bo", "Anna"))
    sanne.post(f"/console/chats/{first}/accept")
    sanne.post(f"/console/chats/{second}/accept")
    with app.app_context():
        chats.end(first, "visitor")
    response = sanne.post(f"/console/chats/{third}/accept")
    assert response.headers["Location"] == f"/console/chats/{third}"


def test_a_worker_with_a_capacity_of_three_takes_a_third(app, sanne):
    set_capacity(app, "demo", 3)
    ids = [waiting(app, "DEMO", name) for name in ("Mila", "Bo", "Anna", "Noor")]
    for chat_id in ids[:3]:
        assert (
            sanne.post(f"/console/chats/{chat_id}/accept")
            .headers["Location"]
            .endswith(str(chat_id))
        )
    page = said(sanne, sanne.post(f"/console/chats/{ids[3]}/accept"))
    assert "Je hebt al 3 chats, zoveel als je tegelijk aanneemt." in page


# ---- "Volgende chat" ---------------------------------------------------------------------------


def test_next_chat_takes_the_oldest_of_all_the_workers_regions(app, sanne, clock):
    with app.app_context():
        staffing.add_region(worker_id(app), "VT20")
    set_capacity(app, "demo", 4)
    waiting(app, "VT13", "Limburg-Noor", clock)  # the oldest, but not Sanne's region
    order = [
        waiting(app, "VT20", "Utrecht-Bo", clock, 1),
        waiting(app, "DEMO", "Anna", clock, 1),
        waiting(app, "VT20", "Utrecht-Fenna", clock, 1),
        waiting(app, "DEMO", "Mila", clock, 1),
    ]
    taken = []
    for _ in order:
        response = sanne.post("/console/next")
        taken.append(int(response.headers["Location"].rsplit("/", 1)[1]))
    assert taken == order
    page = said(sanne, sanne.post("/console/next"))
    assert "Er wacht niemand." in page  # Noor waits in another region's queue


def test_next_chat_skips_a_region_that_has_closed(app, sanne, clock):
    with app.app_context():
        staffing.add_region(worker_id(app), "VT20")
    utrecht = waiting(app, "VT20", "Utrecht-Bo", clock)  # Wednesday morning: open
    clock.at += SATURDAY  # Utrecht's chat is closed now; the demo region never closes
    assert log_in(sanne).status_code == 303  # a new shift, a new session
    demo = waiting(app, "DEMO", "Anna", clock)
    response = sanne.post("/console/next")
    assert response.headers["Location"] == f"/console/chats/{demo}"
    assert status_of(app, utrecht) == (ChatStatus.WAITING, None)
    page = said(sanne, sanne.post("/console/next"))
    assert "De chat is gesloten voor vandaag: je kunt niemand meer aannemen." in page
    assert status_of(app, utrecht) == (ChatStatus.WAITING, None)


def test_next_chat_with_nobody_waiting_says_so(sanne):
    assert "Er wacht niemand." in said(sanne, sanne.post("/console/next"))


# ---- taking under concurrency --------------------------------------------------------------


def test_racing_takes_never_give_a_chat_twice_nor_pass_capacity(app):
    """Eight threads, four per worker, take by "Volgende chat" and by accepting at random."""
    capacity, waiting_chats, attempts = 5, 30, 15
    ids = [waiting(app, "DEMO", f"Bezoeker {n}") for n in range(waiting_chats)]
    workers = [worker_id(app, "demo"), worker_id(app, "demo2")]
    for username in ("demo", "demo2"):
        set_capacity(app, username, capacity)
    start = threading.Barrier(8)
    taken: list[tuple[int, int]] = []
    failures: list[BaseException] = []

    def race(worker, by_next, seed):
        pick = random.Random(seed)
        try:
            with app.app_context():
                start.wait()
                for _ in range(attempts):
                    if by_next:
                        chat = chats.take_next(worker, ["DEMO"])
                        got = chat.id if chat else None
                    else:
                        chat_id = pick.choice(ids)
                        got = chat_id if chats.accept(chat_id, worker) else None
                    if got is not None:
                        taken.append((worker, got))
        except BaseException as error:  # reported below: a thread's error fails the test
            failures.append(error)

    threads = [threading.Thread(target=race, args=(workers[n % 2], n % 4 < 2, n)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    taken_ids = [chat_id for _, chat_id in taken]
    assert len(taken_ids) == len(set(taken_ids)), "a chat was taken twice"
    with app.app_context(), db.session() as s:
        active = list(s.exec(select(Chat).where(Chat.status == ChatStatus.ACTIVE)))
    assert sorted(c.id for c in active) == sorted(taken_ids)
    for worker in workers:
        mine = [c for c in active if c.worker_id == worker]
        assert len(mine) == capacity, f"worker {worker} has {len(mine)} chats"
        assert sorted(c.id for c in mine) == sorted(i for w, i in taken if w == worker)
