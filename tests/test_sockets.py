"""The real WebSocket path: a threaded werkzeug server, and websocket-client as the browser.

Every receive has a timeout, so a broken push fails the test instead of hanging it; no test
asserts on how long anything takes.
"""

import html
import re
import threading
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import websocket
from sqlalchemy import update
from werkzeug.serving import make_server

from backend import chats, db, presence, sockets, sweeper, workers
from backend.models import Availability, EndReason, PresenceKind, Worker
from tests.helpers import DEMO_SITE, all_chats, cookie_header, log_in, start_chat, text_of, wait_for

RECEIVE_TIMEOUT = 10  # seconds; only a guard against hanging, never an assertion
MAX_FRAMES = 20


@pytest.fixture
def server(app):
    """The app on a real threaded HTTP server on a free port, with its sweeper; 'host:port'."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    stop_sweeping = sweeper.start(app, interval=0.05)
    yield f"127.0.0.1:{httpd.server_port}"
    stop_sweeping.set()
    httpd.shutdown()
    thread.join(timeout=RECEIVE_TIMEOUT)


@contextmanager
def connect(server, path, client, origin=None, **options):
    """A WebSocket as the browser opens it: the session cookie and our own page's Origin."""
    ws = websocket.create_connection(
        f"ws://{server}{path}",
        timeout=RECEIVE_TIMEOUT,
        cookie=cookie_header(client, path),
        origin=origin or f"http://{server}",
        **options,
    )
    try:
        yield ws
    finally:
        ws.close()


def socket_path(client, page_path: str = f"/w/{DEMO_SITE}") -> str:
    """A page's socket address as the page has it (the pop-up's by default): with its ticket."""
    page = client.get(page_path).text
    found = re.search(r'ws-connect="([^"]+)"', page)
    assert found, f"{page_path} opens no socket"
    address = urlsplit(html.unescape(found.group(1)))
    return f"{address.path}?{address.query}"


def receive(ws) -> str:
    frame = ws.recv()
    assert isinstance(frame, str) and frame, "the server closed the socket"
    return frame


def receive_until(ws, phrase: str) -> str:
    """Frames until one whose visible text holds `phrase`; that frame."""
    for _ in range(MAX_FRAMES):
        frame = receive(ws)
        if phrase in text_of(frame):
            return frame
    raise AssertionError(f"no frame with {phrase!r}")


def receive_close(ws) -> int:
    """Read until the server's close frame; its status code."""
    for _ in range(MAX_FRAMES):
        opcode, data = ws.recv_data(control_frame=True)
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            return int.from_bytes(data[:2], "big") if len(data) >= 2 else 1005
    raise AssertionError("the server did not close the socket")


def seqs(frame: str) -> list[int]:
    return [int(n) for n in re.findall(r'data-seq="(\d+)"', frame)]


@pytest.fixture
def visitor(app):
    """A visitor who has started a chat in the demo region; `visitor.chat_id` is theirs.

    `visitor.socket` is the address of their pop-up's WebSocket, ticket included.
    """
    client = app.test_client()
    assert start_chat(client, nickname="Mila").status_code == 303
    client.chat_id = all_chats(app)[-1].id
    client.socket = socket_path(client)
    return client


def accept(app, chat_id, worker_id=1):
    with app.app_context():
        assert chats.accept(chat_id, worker_id)


def worker_says(app, chat_id, body):
    with app.app_context():
        return chats.add_message(chat_id, "worker", body)


def test_on_connect_the_visitor_gets_the_place_in_the_queue(server, visitor):
    with connect(server, visitor.socket, visitor) as ws:
        snapshot = receive(ws)
    page = text_of(snapshot)
    assert "Je bent nummer 1" in page
    assert "Je wacht op een medewerker van Veilig Thuis Demo-regio (altijd open)" in page
    # Fragments carry the ids the pop-up swaps by; the header on screen keeps its heading.
    assert 'id="vt-body"' in snapshot and 'id="vt-end"' in snapshot
    assert 'hx-swap-oob="innerHTML:#vt-heading"' in snapshot
    assert 'id="vt-header"' not in snapshot


def test_the_place_in_the_queue_moves_up_live(app, server, visitor):
    second = app.test_client()
    start_chat(second, nickname="Bo")
    with connect(server, socket_path(second), second) as ws:
        assert "Je bent nummer 2" in text_of(receive(ws))
        accept(app, visitor.chat_id)
        update = receive_until(ws, "Je bent nummer 1")
    assert 'id="vt-queue"' in update


def test_accepting_tells_the_visitor_who_they_chat_with(app, server, visitor):
    with connect(server, visitor.socket, visitor) as ws:
        receive(ws)
        accept(app, visitor.chat_id)
        frame = receive_until(ws, "Je chat met")
    assert "Je chat met Sanne van Veilig Thuis Demo-regio (altijd open)" in text_of(frame)
    assert 'name="body"' in frame  # the message box appears


def test_a_workers_message_arrives_as_a_fragment_appended_to_the_messages(app, server, visitor):
    accept(app, visitor.chat_id)
    with connect(server, visitor.socket, visitor) as ws:
        receive(ws)
        worker_says(app, visitor.chat_id, "Hoi Mila, ik ben Sanne")
        frame = receive_until(ws, "Hoi Mila, ik ben Sanne")
    assert frame.lstrip().startswith('<div hx-swap-oob="beforeend:#vt-messages">')
    assert seqs(frame) == [1]
    assert '<span class="vt-msg-from">Sanne</span>' in frame


def test_the_visitors_own_message_comes_back_over_the_socket(app, server, visitor):
    accept(app, visitor.chat_id)
    with connect(server, visitor.socket, visitor) as ws:
        receive(ws)
        visitor.post(
            f"/w/{DEMO_SITE}/send", data={"body": "<b>hallo</b>"}, headers={"HX-Request": "true"}
        )
        frame = receive_until(ws, "<b>hallo</b>")
    assert "&lt;b&gt;hallo&lt;/b&gt;" in frame
    assert '<span class="vt-msg-from">Jij</span>' in frame


def test_after_a_reconnect_every_message_comes_once_in_order(app, server, visitor):
    accept(app, visitor.chat_id)
    with connect(server, visitor.socket, visitor) as ws:
        receive(ws)
        for n in (1, 2, 3):
            worker_says(app, visitor.chat_id, f"bericht {n}")
        receive_until(ws, "bericht 3")
    # Missed while away (the pop-up reloading on another page of the host site).
    worker_says(app, visitor.chat_id, "bericht 4")
    worker_says(app, visitor.chat_id, "bericht 5")
    with connect(server, visitor.socket, visitor) as ws:
        snapshot = receive(ws)
        assert seqs(snapshot) == [1, 2, 3, 4, 5]
        bodies = re.findall(r'<p class="vt-msg-body">(.*?)</p>', snapshot)
        assert bodies == [f"bericht {n}" for n in (1, 2, 3, 4, 5)]
        worker_says(app, visitor.chat_id, "bericht 6")
        frame = receive_until(ws, "bericht 6")
        assert seqs(frame) == [6]


def test_two_open_pop_ups_of_one_visitor_both_get_each_message_once(app, server, visitor):
    accept(app, visitor.chat_id)
    with (
        connect(server, visitor.socket, visitor) as first,
        connect(server, visitor.socket, visitor) as second,
    ):
        receive(first)
        receive(second)
        worker_says(app, visitor.chat_id, "een")
        worker_says(app, visitor.chat_id, "twee")
        for ws in (first, second):
            got = []
            while got != [1, 2]:
                got += seqs(receive(ws))
                assert got in ([1], [1, 2]), got


def test_a_socket_from_another_origin_is_refused(app, server, visitor):
    accept(app, visitor.chat_id)
    worker_says(app, visitor.chat_id, "geheim")
    with connect(server, visitor.socket, visitor, origin="https://evil.example") as ws:
        assert receive_close(ws) == 1008


def test_a_socket_without_origin_is_refused(server, visitor):
    with connect(server, visitor.socket, visitor, suppress_origin=True) as ws:
        assert receive_close(ws) == 1008


@pytest.mark.parametrize("ticket", ["", "?t=", "?t=forged.ticket"])
def test_a_socket_without_a_valid_ticket_is_refused(app, server, visitor, ticket):
    # The session cookie alone opens nothing: the socket is named by the page's ticket.
    with connect(server, f"/w/{DEMO_SITE}/ws{ticket}", visitor) as ws:
        assert receive_close(ws) == 1008


def test_an_exit_ticket_does_not_open_the_socket(app, server, visitor):
    page = visitor.get(f"/w/{DEMO_SITE}").text
    exit_ticket = re.search(r'ping="[^"]*\?t=([^"]+)"', page).group(1)
    with connect(server, f"/w/{DEMO_SITE}/ws?t={exit_ticket}", visitor) as ws:
        assert receive_close(ws) == 1008


def test_when_the_worker_ends_the_visitor_gets_the_closing_text_and_the_socket_closes(
    app, server, visitor
):
    accept(app, visitor.chat_id)
    with connect(server, visitor.socket, visitor) as ws:
        receive(ws)
        with app.app_context():
            assert chats.end(visitor.chat_id, EndReason.WORKER)
        frame = receive_until(ws, "Het gesprek is beëindigd.")
        assert "0800 2000" in text_of(frame) and "112" in text_of(frame)
        assert receive_close(ws) == 1000


def test_a_socket_reopened_after_the_end_shows_the_end_and_closes(app, server, visitor):
    with app.app_context():
        chats.end(visitor.chat_id, EndReason.VISITOR)
    with connect(server, visitor.socket, visitor) as ws:
        assert "Het gesprek is beëindigd." in text_of(receive(ws))
        assert receive_close(ws) == 1000


def test_the_console_sees_a_visitor_join_the_queue(app, server, worker):
    with connect(server, "/console/ws", worker) as ws:
        assert "Er wacht niemand." in text_of(receive(ws))
        start_chat(app.test_client(), nickname="Mila")
        frame = receive_until(ws, "Mila")
    assert 'id="console-queue"' in frame
    assert "Wachtend (1)" in text_of(frame)


def test_the_console_does_not_see_other_regions(app, server, worker):
    """A visitor joining another region's queue sends this socket nothing at all.

    The very next frame must be the one for the visitor of the worker's own region, who joined
    later: a socket that also followed Utrecht's queue would get a frame for Bo first.
    """
    with app.app_context(), db.session() as s:
        # Nobody left for the sweeper to mark away: that would redraw the queue in between.
        s.execute(update(Worker).values(availability=Availability.AWAY))
        s.commit()
    with connect(server, "/console/ws", worker) as ws:
        receive(ws)
        with app.app_context():
            chats.create("VT20", "Utrecht-Bo")
            chats.create("DEMO", "Anna")
        frame = text_of(receive(ws))
    assert "Anna" in frame
    assert "Utrecht-Bo" not in frame


def test_the_console_sees_a_waiting_visitor_who_closes_the_pop_up_leave(app, server, worker, clock):
    visitor = app.test_client()
    start_chat(visitor, nickname="Mila")
    with connect(server, "/console/ws", worker) as console:
        assert "Mila" in text_of(receive(console))
        with connect(server, socket_path(visitor), visitor) as ws:
            receive(ws)
        (chat,) = all_chats(app)
        with app.app_context():  # the server has seen the socket close and written it down
            assert wait_for(lambda: not presence.sockets_open(PresenceKind.VISITOR, chat.id))
        clock.at += timedelta(seconds=app.config["WAITING_GRACE_SECONDS"] + 1)
        receive_until(console, "Er wacht niemand.")
    (chat,) = all_chats(app)
    assert (chat.status, chat.ended_by) == ("abandoned", "timeout")


def test_the_console_chat_gets_the_visitors_messages(app, server, worker, visitor):
    worker.post(f"/console/chats/{visitor.chat_id}/accept")
    with connect(server, f"/console/ws?chat={visitor.chat_id}", worker) as ws:
        assert "In gesprek" in text_of(receive(ws))
        visitor.post(f"/w/{DEMO_SITE}/send", data={"body": "Ik wil iets vragen"})
        frame = receive_until(ws, "Ik wil iets vragen")
    assert frame.lstrip().startswith('<div hx-swap-oob="beforeend:#chat-messages">')
    assert seqs(frame) == [1]


def test_the_console_socket_needs_a_login(app, server):
    with connect(server, "/console/ws", app.test_client()) as ws:
        assert receive_close(ws) == 1008


def test_the_console_socket_refuses_another_origin(server, worker):
    with connect(server, "/console/ws", worker, origin="https://evil.example") as ws:
        assert receive_close(ws) == 1008


def test_a_worker_cannot_listen_to_a_colleagues_chat(app, server, visitor):
    accept(app, visitor.chat_id, worker_id=1)
    colleague = app.test_client()
    log_in(colleague, "demo2", "demo")
    with connect(server, f"/console/ws?chat={visitor.chat_id}", colleague) as ws:
        assert receive_close(ws) == 1008


def test_pushed_message_boxes_keep_what_is_being_typed(app, server, worker, visitor):
    # Every (re)connect sends the message box again; hx-preserve keeps the typed text.
    worker.post(f"/console/chats/{visitor.chat_id}/accept")
    with connect(server, visitor.socket, visitor) as ws:
        snapshot = receive(ws)
    assert re.search(r'<textarea[^>]*hx-preserve="true"[^>]*id="body"', snapshot)
    with connect(server, f"/console/ws?chat={visitor.chat_id}", worker) as ws:
        snapshot = receive(ws)
    assert re.search(r'<textarea id="console-body"[^>]*hx-preserve="true"', snapshot)


def test_after_sending_the_message_box_comes_back_empty(app, server, worker, visitor):
    # The answer to a send is not preserved, so the sent text leaves the box.
    worker.post(f"/console/chats/{visitor.chat_id}/accept")
    for client, url in (
        (visitor, f"/w/{DEMO_SITE}/send"),
        (worker, f"/console/chats/{visitor.chat_id}/send"),
    ):
        box = client.post(url, data={"body": "Hallo"}, headers={"HX-Request": "true"}).text
        assert "<textarea" in box and "hx-preserve" not in box
        assert re.search(r"<textarea[^>]*>\s*</textarea>", box)
        # It lands on the box on screen now, even if the socket swapped that box meanwhile,
        # unless that box is being typed in (backend/message_boxes.py).
        assert re.search(r'hx-swap-oob="outerHTML:#(?:body|console-body):not\(:focus\)"', box)


def announced(frame: str) -> str | None:
    """The words a frame gives the pop-up's live region, or None when it gives none."""
    found = re.search(r'<div id="vt-announce" hx-swap-oob="innerHTML">(.*?)</div>', frame, re.S)
    return text_of(found.group(1)) if found else None


def test_an_unchanged_place_in_the_queue_is_not_pushed_again(app, server, visitor):
    with connect(server, visitor.socket, visitor) as ws:
        assert "Je bent nummer 1" in text_of(receive(ws))
        # Someone joins behind: the queue changed, this visitor's place did not.
        start_chat(app.test_client(), nickname="Bo")
        accept(app, visitor.chat_id)
        # The next frame this visitor gets is the acceptance, not place 1 once more.
        frame = receive(ws)
    assert "Je chat met Sanne" in text_of(frame)
    assert 'id="vt-queue"' not in frame


def test_a_new_place_is_said_once_in_the_live_region(app, server, visitor):
    second = app.test_client()
    start_chat(second, nickname="Bo")
    with connect(server, socket_path(second), second) as ws:
        snapshot = receive(ws)
        assert announced(snapshot) is None  # a (re)connect says nothing new
        accept(app, visitor.chat_id)
        frame = receive_until(ws, "Je bent nummer 1")
    assert announced(frame) == "Je bent nummer 1"


def test_the_live_region_hears_the_worker_and_never_the_visitors_own_words(app, server, visitor):
    with connect(server, visitor.socket, visitor) as ws:
        receive(ws)
        accept(app, visitor.chat_id)
        taken = receive_until(ws, "Je chat met")
        assert announced(taken) == "Je chat nu met Sanne."
        visitor.post(
            f"/w/{DEMO_SITE}/send", data={"body": "Hallo?"}, headers={"HX-Request": "true"}
        )
        own = receive_until(ws, "Hallo?")
        assert announced(own) is None
        worker_says(app, visitor.chat_id, "Hoi Mila")
        reply = receive_until(ws, "Hoi Mila")
        assert announced(reply) == "Sanne: Hoi Mila"
        with app.app_context():
            chats.end(visitor.chat_id, EndReason.WORKER)
        ended = receive_until(ws, "Het gesprek is beëindigd.")
    assert announced(ended).startswith("Het gesprek is beëindigd.")
    assert "0800 2000" in announced(ended) and "112" in announced(ended)


def test_a_pushed_change_of_state_takes_the_focus_to_the_heading(app, server, visitor):
    with connect(server, visitor.socket, visitor) as ws:
        snapshot = receive(ws)
        accept(app, visitor.chat_id)
        taken = receive_until(ws, "Je chat met")
    heading = re.compile(r'<h1 id="vt-heading"[^>]*\bautofocus\b')
    assert not heading.search(snapshot)  # connecting does not move the focus
    assert heading.search(taken)


def test_a_quick_exit_in_another_tab_empties_this_pop_up_too(app, server, visitor):
    accept(app, visitor.chat_id)
    worker_says(app, visitor.chat_id, "Vertrouwelijk")
    page = visitor.get(f"/w/{DEMO_SITE}").text
    leave = html.unescape(re.search(r'ping="([^"]+)"', page).group(1))
    with connect(server, visitor.socket, visitor) as ws:
        assert "Vertrouwelijk" in receive(ws)
        app.test_client().post(leave)  # the ping: no cookie of ours needed, only the ticket
        frame = receive_until(ws, "Start de chat")
        assert "Vertrouwelijk" not in frame and "Mila" not in frame
        assert receive_close(ws) == 1000
    # The page's socket address now leads to an empty pop-up as well.
    with connect(server, visitor.socket, visitor) as ws:
        frame = receive(ws)
        assert "Start de chat" in text_of(frame) and "Vertrouwelijk" not in frame
        assert receive_close(ws) == 1000


def test_forms_pushed_over_the_socket_carry_no_token_of_their_own(app, server, visitor):
    # The socket may not know the page's session (a browser without our cookie): the panel's
    # hx-headers carry the page's token instead, and htmx sends it with every form.
    accept(app, visitor.chat_id)
    with connect(server, visitor.socket, visitor) as ws:
        snapshot = receive(ws)
    assert 'name="body"' in snapshot
    assert 'name="csrf_token"' not in snapshot
    page = visitor.get(f"/w/{DEMO_SITE}", headers={"HX-Request": "true"}).text
    token = re.search(r'"X-CSRFToken": "([^"]+)"', html.unescape(page)).group(1)
    sent = visitor.post(
        f"/w/{DEMO_SITE}/send",
        data={"body": "Met het token van het paneel", "csrf_token": ""},
        headers={"HX-Request": "true", "X-CSRFToken": token},
    )
    assert sent.status_code == 200
    with app.app_context():
        assert [m.body for m in chats.messages(visitor.chat_id)] == ["Met het token van het paneel"]


# --- bounds: one person cannot hold many sockets, one process not too many ------------------


def test_of_many_sockets_with_one_ticket_only_the_newest_stay_open(app, server, visitor):
    limit = app.config["MAX_SOCKETS_PER_PERSON"]
    with ExitStack() as stack:
        opened = [stack.enter_context(connect(server, visitor.socket, visitor))]
        receive(opened[0])
        for _ in range(limit):
            opened.append(stack.enter_context(connect(server, visitor.socket, visitor)))
            receive(opened[-1])
        oldest, *newest = opened
        assert receive_close(oldest) == 1008  # which the htmx ws extension does not reconnect
        with app.app_context():
            chats.end(visitor.chat_id, EndReason.VISITOR)
        for ws in newest:  # the newest still get every push
            assert "beëindigd" in text_of(receive_until(ws, "beëindigd"))


def test_a_process_holding_all_the_sockets_it_may_refuses_with_1013(app, server, visitor):
    app.config["MAX_SOCKETS"] = 2
    other = app.test_client()
    start_chat(other, nickname="Bo")
    with (
        connect(server, visitor.socket, visitor) as first,
        connect(server, socket_path(other), other) as second,
    ):
        receive(first)
        receive(second)
        with connect(server, visitor.socket, visitor) as third:
            assert receive_close(third) == 1013  # "try again later": the extension retries


def test_sockets_closed_for_a_frame_too_big_are_all_let_go(app, server, visitor):
    """A frame over the limit closes the socket; the server must not keep counting it."""
    before = sockets.open_count()
    for _ in range(20):
        with connect(server, visitor.socket, visitor) as ws:
            receive(ws)
            ws.send("x" * 5000)
            assert receive_close(ws) == 1009  # message too big
    assert wait_for(lambda: sockets.open_count() <= before), sockets.open_count()


def test_at_closing_time_a_waiting_visitor_is_told_over_the_socket(app, server, clock):
    visitor = app.test_client()
    start_chat(visitor, region="VT20")  # Utrecht: open until 17:00
    with connect(server, socket_path(visitor), visitor) as ws:
        assert "Je bent nummer 1" in text_of(receive(ws))
        clock.at = clock.at.replace(hour=16)  # 17:00 in Amsterdam; the sweeper is running
        told = text_of(receive_until(ws, "De chat is nu gesloten"))
        assert "0800 2000" in told
        assert receive_close(ws) == 1000


def test_an_active_chat_whose_visitor_stayed_away_ends_over_the_socket(
    app, server, clock, visitor, worker
):
    accept(app, visitor.chat_id)
    with connect(server, f"/console/ws?chat={visitor.chat_id}", worker) as console:
        assert "de bezoeker is" in text_of(receive(console))
        clock.at += timedelta(seconds=app.config["VISITOR_GONE_SECONDS"] + 1)
        assert "de bezoeker was te lang weg" in text_of(receive_until(console, "te lang weg"))


def test_a_coordinator_sees_who_takes_a_chat_live(app, server, visitor):
    with app.app_context():
        workers.set_role("demo2", "coordinator")
    coordinator = app.test_client()
    log_in(coordinator, "demo2", "demo")
    with connect(server, "/console/ws", coordinator) as ws:
        assert "Er loopt nu geen chat in je regio's." in text_of(receive(ws))
        accept(app, visitor.chat_id)  # Sanne takes it
        frame = text_of(receive_until(ws, "met Sanne"))
    assert "Lopende chats in je regio's (1)" in frame
