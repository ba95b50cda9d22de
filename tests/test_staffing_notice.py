"""Nobody of the region free: a waiting visitor reads, calmly, that it may take longer, with
0800 2000 as the other way; it goes again when a worker is free, told over the socket.

Free means: a worker of the region (its own, one who also works for it, or an administrator)
who is available, not disabled, with the console open.
"""

import re
from datetime import timedelta

import pytest
from sqlalchemy import update

from backend import db, presence, regions, staffing
from backend.models import Availability, PresenceKind, Worker, WorkerRole
from backend.sites import site_or_404
from backend.visitor.streams import VisitorStream
from tests.helpers import DEMO_SITE, add_workers, all_chats, start_chat, text_of
from tests.test_sockets import connect, receive, receive_until, server, socket_path  # noqa: F401

SANNE, JORIS = 1, 2
LONGER = (
    "Het kan langer duren dan normaal: er is nu geen medewerker vrij. Houd dit venster open, "
    "of bel 0800 2000: gratis, anoniem, dag en nacht."
)
SOON = "Zo komt er een medewerker bij je."


def console_open(app, *worker_ids: int) -> None:
    with app.app_context():
        for worker_id in worker_ids:
            presence.arrived(PresenceKind.WORKER, worker_id)


def set_worker(app, worker_id: int, **values) -> None:
    with app.app_context(), db.session() as s:
        s.execute(update(Worker).where(Worker.id == worker_id).values(**values))
        s.commit()


def free(app, region: str = "DEMO") -> int:
    with app.app_context():
        return staffing.available_count(region)


def other_region(app) -> str:
    with app.app_context():
        return regions.all_regions()[0].code


# ---- who counts as free ------------------------------------------------------------------------


def test_a_worker_counts_only_with_the_console_open(app):
    assert free(app) == 0  # both demo workers are available, but no console is open
    console_open(app, SANNE)
    assert free(app) == 1
    console_open(app, JORIS)
    assert free(app) == 2


@pytest.mark.parametrize("availability", [Availability.BUSY, Availability.AWAY])
def test_a_busy_or_away_worker_does_not_count(app, availability):
    console_open(app, SANNE, JORIS)
    set_worker(app, SANNE, availability=availability)
    assert free(app) == 1


def test_a_disabled_worker_does_not_count(app):
    console_open(app, SANNE)
    set_worker(app, SANNE, disabled=True)
    assert free(app) == 0


def test_a_closed_console_stops_counting_after_the_grace_time(app, clock):
    console_open(app, SANNE)
    with app.app_context():
        presence.left(PresenceKind.WORKER, SANNE)
    assert free(app) == 1  # a reload is not leaving
    clock.at += timedelta(seconds=app.config["AWAY_AFTER_SECONDS"] + 1)
    assert free(app) == 0


def test_a_worker_of_another_region_counts_only_where_they_work(app):
    elsewhere = other_region(app)
    (worker_id,) = add_workers(app, 1, region=elsewhere)
    console_open(app, worker_id)
    assert free(app, elsewhere) == 1
    assert free(app, "DEMO") == 0
    with app.app_context():
        staffing.add_region(worker_id, "DEMO")
    assert free(app, "DEMO") == 1


def test_an_administrator_counts_for_every_region_as_they_may_take_any_chat(app):
    elsewhere = other_region(app)
    (admin_id,) = add_workers(app, 1, region=elsewhere)
    set_worker(app, admin_id, role=WorkerRole.ADMIN)
    console_open(app, admin_id)
    assert free(app, "DEMO") == 1
    with app.app_context(), db.session() as s:
        assert "DEMO" in staffing.regions_of(s.get(Worker, admin_id))


# ---- what the waiting visitor reads -------------------------------------------------------------


def test_a_waiting_visitor_reads_it_may_take_longer_when_nobody_is_free(app, client):
    start_chat(client)
    page = text_of(client.get(f"/w/{DEMO_SITE}").text)
    assert "Je bent nummer 1" in page
    assert LONGER in page
    assert SOON not in page


def test_a_waiting_visitor_reads_soon_when_a_worker_is_free(app, client):
    console_open(app, SANNE)
    start_chat(client)
    page = text_of(client.get(f"/w/{DEMO_SITE}").text)
    assert SOON in page
    assert "langer" not in page


def test_a_visitor_in_a_chat_never_reads_it(app, client):
    start_chat(client)
    chat_id = all_chats(app)[-1].id
    with app.app_context():
        from backend import chats

        assert chats.accept(chat_id, SANNE)
    assert "langer" not in text_of(client.get(f"/w/{DEMO_SITE}").text)


def announced(html: str) -> str:
    """What a fragment puts in the pop-up's live region."""
    return text_of(re.search(r'<div id="vt-announce"[^>]*>(.*?)</div>', html, re.S).group(1))


def stream_of(app, chat_id: int) -> VisitorStream:
    stream = VisitorStream(site_or_404(DEMO_SITE), chat_id)
    stream.snapshot()
    return stream


def test_the_pop_up_is_told_only_when_the_answer_changes(app, client):
    start_chat(app.test_client(), nickname="Eerder")  # one visitor ahead in the queue
    start_chat(client)
    ahead, chat_id = (chat.id for chat in all_chats(app)[-2:])
    staffing_event = {"type": "staffing", "region": "DEMO"}
    with app.test_request_context():
        stream = stream_of(app, chat_id)
        assert stream.unstaffed
        assert stream.render(staffing_event) is None  # still nobody: nothing to push

        presence.arrived(PresenceKind.WORKER, SANNE)
        html = stream.render(staffing_event)
        assert SOON in text_of(html) and "langer" not in text_of(html)
        assert "vt-announce" not in html  # a worker being free again needs no words aloud
        assert stream.render(staffing_event) is None

        staffing.set_availability(SANNE, Availability.BUSY)
        html = stream.render(staffing_event)
        assert LONGER in text_of(html)
        assert announced(html) == LONGER  # said once, as it appears
        # A new place keeps the words, and says only the place.
        from backend import chats

        chats.end(ahead, "visitor")
        moved = stream.render({"type": "queue", "region": "DEMO"})
        assert LONGER in text_of(moved)
        assert announced(moved) == "Je bent nummer 1"


def test_a_change_of_availability_is_published_to_the_waiting_chats(app, client, hub):
    start_chat(client)
    chat_id = all_chats(app)[-1].id
    hub.clear()
    with app.app_context():
        staffing.set_availability(SANNE, Availability.BUSY)
    # One event for the region, whose waiting visitors' sockets all follow it.
    assert hub.events("region:DEMO") == [{"type": "staffing", "region": "DEMO"}]
    assert hub.events(f"chat:{chat_id}") == []


def test_over_the_socket_the_words_come_and_go_with_the_workers(app, server, client):  # noqa: F811
    start_chat(client)
    with connect(server, socket_path(client), client) as ws:
        assert LONGER in text_of(receive(ws))
        # The sweeper has made the demo workers away (no console was open): Sanne opens hers
        # and says she is available.
        console_open(app, SANNE)
        with app.app_context():
            staffing.set_availability(SANNE, Availability.AVAILABLE)
        assert "langer" not in text_of(receive_until(ws, SOON))
        with app.app_context():
            staffing.set_availability(SANNE, Availability.BUSY)
        receive_until(ws, "Het kan langer duren")
