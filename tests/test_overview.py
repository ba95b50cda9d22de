"""The live overview for coordinators and administrators, reading along, joining, the audit
log, and who may see a chat with a visitor under 18."""

from datetime import timedelta

import pytest
from sqlmodel import select

from backend import chats, db, presence
from backend.models import AuditEntry, Message, PresenceKind, Sender, WorkerRole
from tests.helpers import (
    WEDNESDAY_MORNING,
    all_chats,
    log_in,
    logged_in_as,
    start_chat,
    taken_chat,
    text_of,
)
from tests.test_sockets import (  # noqa: F401  (server: a fixture)
    connect,
    receive,
    receive_close,
    receive_until,
    server,
    socket_path,
)

SANNE, JORIS, ILSE = 1, 2, 3  # demo workers: Sanne and Joris in DEMO, Ilse in DEMO2


def audit(app) -> list[tuple[int, str, int]]:
    with app.app_context(), db.session() as s:
        rows = s.exec(select(AuditEntry).order_by(AuditEntry.id))
        return [(row.worker_id, row.action, row.chat_id) for row in rows]


@pytest.fixture
def coordinator(app):
    """Joris, coordinator of the demo region."""
    return logged_in_as(app, WorkerRole.COORDINATOR, "demo2")


@pytest.fixture
def admin(app):
    """Ilse, administrator: every region."""
    return logged_in_as(app, WorkerRole.ADMIN, "demo3")


def test_the_overview_is_for_coordinators_and_administrators_of_their_regions(app, coordinator):
    worker = app.test_client()
    log_in(worker)
    assert worker.get("/console/overview").status_code == 403
    assert worker.get("/console/overview/refresh").status_code == 403

    page = text_of(coordinator.get("/console/overview").text)
    assert "Demo-regio (altijd open)" in page
    assert "Demo-regio Noord" not in page  # not Joris's region
    assert "Utrecht" not in page

    ilse = logged_in_as(app, WorkerRole.ADMIN, "demo3")
    page = text_of(ilse.get("/console/overview").text)
    assert "Demo-regio (altijd open)" in page and "Utrecht" in page and "Demo-regio Noord" in page


def test_the_overview_shows_waiting_active_available_and_today(app, coordinator, clock):
    clock.at = WEDNESDAY_MORNING  # 10:00 in Amsterdam
    first, second = app.test_client(), app.test_client()
    start_chat(first, nickname="Mila")
    clock.at = WEDNESDAY_MORNING + timedelta(minutes=5)
    start_chat(second, nickname="Bo")
    taken = taken_chat(app, app.test_client(), nickname="Noor", worker_id=SANNE)
    left = app.test_client()
    start_chat(left, nickname="Kim")
    with app.app_context():
        chats.end(all_chats(app)[-1].id, "visitor")
        presence.arrived(PresenceKind.WORKER, SANNE)

    page = text_of(coordinator.get("/console/overview").text)
    assert "2 bezoekers wachten, de eerste sinds 10:00." in page
    assert "Noor met Sanne sinds 10:05" in page
    assert "Beschikbaar Sanne" in page
    assert "4 begonnen, 0 beëindigd, 1 gestopt tijdens het wachten." in page
    assert f"/console/overview/chats/{taken}" in coordinator.get("/console/overview").text


def test_reading_along_is_logged_every_time_and_shows_the_conversation(app, coordinator):
    chat_id = taken_chat(app, app.test_client(), nickname="Noor", worker_id=SANNE)
    with app.app_context():
        chats.add_message(chat_id, Sender.VISITOR, "Mijn vader schreeuwt veel")
        chats.add_message(chat_id, Sender.WORKER, "Wat naar om te horen.")
    page = text_of(coordinator.get(f"/console/overview/chats/{chat_id}").text)
    assert "Meelezen met Noor" in page
    assert "Mijn vader schreeuwt veel" in page
    assert "Sanne" in page and "Wat naar om te horen." in page
    coordinator.get(f"/console/overview/chats/{chat_id}")
    assert audit(app) == [(JORIS, "read_along", chat_id), (JORIS, "read_along", chat_id)]


def test_reading_along_live_takes_the_page_whose_opening_was_logged(
    app,
    server,  # noqa: F811
    coordinator,
    admin,
):
    chat_id = taken_chat(app, app.test_client(), nickname="Noor", worker_id=SANNE)
    with app.app_context():
        chats.add_message(chat_id, Sender.VISITOR, "Mijn vader schreeuwt veel")
    # The socket alone, without the page: refused, so nothing is read along unlogged.
    with connect(server, f"/console/overview/ws?chat={chat_id}", coordinator) as ws:
        assert receive_close(ws) == 1008
    assert audit(app) == []
    path = socket_path(coordinator, f"/console/overview/chats/{chat_id}")
    assert audit(app) == [(JORIS, "read_along", chat_id)]
    with connect(server, path, coordinator) as ws:
        assert "Mijn vader schreeuwt veel" in text_of(receive(ws))
    # The address names its reader: not for a colleague, nor for a later login.
    with connect(server, path, admin) as ws:
        assert receive_close(ws) == 1008
    coordinator.post("/console/logout")
    log_in(coordinator, "demo2")
    with connect(server, path, coordinator) as ws:
        assert receive_close(ws) == 1008
    assert audit(app) == [(JORIS, "read_along", chat_id)]


def test_only_administrators_read_the_audit_log(app, coordinator, admin):
    chat_id = taken_chat(app, app.test_client(), nickname="Noor", worker_id=SANNE)
    coordinator.get(f"/console/overview/chats/{chat_id}")
    assert coordinator.get("/console/audit").status_code == 403
    page = text_of(admin.get("/console/audit").text)
    assert "Joris las mee" in page


def test_a_coordinator_of_another_region_reads_nothing_and_nothing_is_logged(app, server):  # noqa: F811
    chat_id = taken_chat(app, app.test_client(), nickname="Noor", worker_id=SANNE)
    ilse = logged_in_as(app, WorkerRole.COORDINATOR, "demo3")  # of DEMO2 only
    assert ilse.get(f"/console/overview/chats/{chat_id}").status_code == 404
    assert ilse.post(f"/console/overview/chats/{chat_id}/join").status_code == 404
    with connect(server, f"/console/overview/ws?chat={chat_id}", ilse) as ws:
        assert receive_close(ws) == 1008
    assert audit(app) == []


def test_joining_shows_the_visitor_a_second_name_and_is_logged(app, server, coordinator):  # noqa: F811
    visitor = app.test_client()
    chat_id = taken_chat(app, visitor, nickname="Noor", worker_id=SANNE)
    assert (
        coordinator.post(
            f"/console/overview/chats/{chat_id}/send", data={"body": "Hoi"}
        ).status_code
        == 403
    )
    with connect(server, socket_path(visitor), visitor) as ws:
        receive(ws)
        answer = coordinator.post(f"/console/overview/chats/{chat_id}/join")
        assert answer.status_code == 303
        assert "Joris van Veilig Thuis doet nu ook mee aan het gesprek." in text_of(
            receive_until(ws, "doet nu ook mee")
        )
        sent = coordinator.post(
            f"/console/overview/chats/{chat_id}/send",
            data={"body": "Ik lees even mee met Sanne.", "send_key": "k1"},
        )
        assert sent.status_code == 303
        frame = text_of(receive_until(ws, "Ik lees even mee"))
        assert "Joris" in frame
    assert audit(app)[-1] == (JORIS, "join", chat_id)
    with app.app_context(), db.session() as s:
        rows = s.exec(select(Message).where(Message.chat_id == chat_id).order_by(Message.seq))
        assert [(m.sender, m.author) for m in rows] == [("notice", "Joris"), ("worker", "Joris")]
    # The chat's own worker sees the colleague's words under the colleague's name.
    sanne = app.test_client()
    log_in(sanne)
    page = text_of(sanne.get(f"/console/chats/{chat_id}").text)
    assert "Joris doet mee aan de chat." in page
    assert "Joris" in page and "Ik lees even mee met Sanne." in page


def test_a_chat_with_a_visitor_under_18_is_for_its_worker_and_the_coordinators(
    app, coordinator, admin
):
    child = app.test_client()
    chat_id = taken_chat(app, child, nickname="Sem", worker_id=SANNE)
    with app.app_context(), db.session() as s:
        from backend.models import Chat

        s.get(Chat, chat_id).age = 14
        s.commit()

    assert admin.get(f"/console/overview/chats/{chat_id}").status_code == 404
    assert admin.post(f"/console/overview/chats/{chat_id}/join").status_code == 404
    overview = text_of(admin.get("/console/overview").text)
    assert "Sem" not in overview
    assert "En 1 chat met een bezoeker onder de 18" in overview
    assert "Sem" not in text_of(admin.get("/console/").text)  # nor in the workspace's list

    assert coordinator.get(f"/console/overview/chats/{chat_id}").status_code == 200
    assert "Sem met Sanne" in text_of(coordinator.get("/console/overview").text)
    sanne = app.test_client()
    log_in(sanne)
    assert sanne.get(f"/console/chats/{chat_id}").status_code == 200
    assert audit(app) == [(JORIS, "read_along", chat_id)]


def test_the_overview_updates_live_when_a_visitor_starts_waiting(app, server, coordinator):  # noqa: F811
    with connect(server, "/console/overview/ws", coordinator) as ws:
        assert "Er wacht niemand." in text_of(receive(ws))
        start_chat(app.test_client(), nickname="Mila")
        frame = receive_until(ws, "bezoeker wacht")
    assert 'id="shift-DEMO"' in frame
    assert "1 bezoeker wacht" in text_of(frame)


def test_a_worker_gets_no_overview_socket(app, server):  # noqa: F811
    worker = app.test_client()
    log_in(worker)
    with connect(server, "/console/overview/ws", worker) as ws:
        assert receive_close(ws) == 1008


def test_after_a_merge_the_overview_shows_the_regions_that_are_left(app, server):  # noqa: F811
    from backend import region_admin

    ilse = logged_in_as(app, WorkerRole.COORDINATOR, "demo3")  # of the second demo region
    with connect(server, "/console/overview/ws", ilse) as ws:
        assert "Demo-regio Noord" in text_of(receive(ws))
        with app.app_context():
            region_admin.merge("DEMO2", "DEMO")
        frame = receive_until(ws, "Demo-regio (altijd open)")
    assert 'id="shift-DEMO"' in frame and 'id="shift-DEMO2"' not in frame


def test_a_region_event_is_read_once_for_every_overview_open_each_seeing_what_is_theirs(
    app, coordinator, admin
):
    from backend import workers
    from backend.console.overview import OverviewStream
    from backend.hub import Event
    from backend.models import Chat
    from tests.helpers import counted_queries

    chat_id = taken_chat(app, app.test_client(), nickname="Sem", worker_id=SANNE)
    with app.app_context(), db.session() as s:
        s.get(Chat, chat_id).age = 14
        s.commit()
    with app.test_request_context(), counted_queries(app) as statements:
        streams = [OverviewStream(workers.get(id), epoch=None) for id in (JORIS, ILSE, JORIS, ILSE)]
        before = len(statements)
        event = Event(type="queue", region="DEMO")
        frames = [text_of(stream.render(event)) for stream in streams]
        first = len(statements) - before
        again = [
            text_of(stream.render(Event(type="queue", region="DEMO"))) for stream in streams[:1]
        ]
    second = len(statements) - before - first
    assert 0 < second <= first  # the next event reads the region again: nothing goes stale
    # Four overviews open on one event: the region's six queries once, not four times.
    assert first <= 6, statements[before:]
    assert frames[0] == frames[2] == again[0] and "Sem met Sanne" in frames[0]
    assert frames[1] == frames[3] and "Sem" not in frames[1]
    assert "En 1 chat met een bezoeker onder de 18" in frames[1]
