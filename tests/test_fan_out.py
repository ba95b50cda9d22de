"""What the sockets do per event, as a busy shift sends many a second to many sockets: a
message in a chat that is not on screen redraws only its tab from what the console already
drew; reading a chat on screen is not a database write per message; a queue change is
looked up once per process for all its waiting visitors; and a socket that fell behind
draws each redraw waiting in its outbox once."""

from backend import chats, workers
from backend.console.streams import WorkspaceStream
from backend.models import Sender
from tests.helpers import counted_queries, taken_chat, text_of


def visitor_says(chat_id: int, words: str) -> dict:
    return chats.message_event(chats.add_message(chat_id, Sender.VISITOR, words))


def test_a_message_in_another_chat_redraws_its_tab_alone_without_a_query(app):
    on_screen = taken_chat(app, app.test_client(), "Mila")
    other = taken_chat(app, app.test_client(), "Bo")
    with app.test_request_context():
        stream = WorkspaceStream(workers.get(1), on_screen)
        stream.snapshot()
        first, second = visitor_says(other, "Hallo"), visitor_says(other, "Ben je er?")
        with counted_queries(app) as queries:
            html = stream.render(first) + stream.render(second)
        assert queries == []
        assert 'id="console-tabs"' not in html  # the other tabs stay as they are
        tab = html.rsplit('<li class="console-tab"', 1)[1]
        assert f'id="tab-{other}" hx-swap-oob="true"' in tab
        assert "Bo" in text_of(tab) and "2 nieuw" in text_of(tab)
        assert "<title" not in html and "(2) Chatconsole" in text_of(html)
        assert html.count("<audio") == 2  # a sound for each of the visitor's messages
        # What the tab counted is what the database counts.
        assert chats.unread_counts([other]) == {other: 2}


def test_what_was_read_on_screen_is_stored_at_the_latest_when_the_page_closes(app):
    chat_id = taken_chat(app, app.test_client())
    with app.test_request_context():
        stream = WorkspaceStream(workers.get(1), chat_id)
        stream.snapshot()
        for n in range(5):
            assert f"Bericht {n}" in text_of(stream.render(visitor_says(chat_id, f"Bericht {n}")))
        stream.write_read()  # as the socket closes
        assert chats.get(chat_id).worker_read_seq == 5
        assert chats.unread_counts([chat_id]).get(chat_id, 0) == 0
        # Five messages on screen were fewer than five writes.
        with counted_queries(app) as queries:
            for n in range(5, 10):
                stream.render(visitor_says(chat_id, f"Bericht {n}"))
        writes = [
            q for q in queries if q.lstrip().upper().startswith("UPDATE CHAT SET WORKER_READ")
        ]
        assert len(writes) <= 1


def test_a_queue_change_is_looked_up_once_for_all_the_waiting_visitors_of_a_process(app):
    """One event for the region reaches every waiting visitor's socket; the places are one
    query for them all, and each place is drawn once."""
    from backend.hub import Event
    from backend.sites import site_or_404
    from backend.visitor.streams import VisitorStream
    from tests.helpers import DEMO_SITE, all_chats, start_chat

    for nickname in ("Anna", "Bo", "Cas", "Dirk"):
        start_chat(app.test_client(), nickname=nickname)
    first, *behind = (chat.id for chat in all_chats(app)[-4:])
    with app.test_request_context():
        streams = [VisitorStream(site_or_404(DEMO_SITE), chat_id) for chat_id in behind]
        for stream in streams:
            stream.snapshot()
        chats.end(first, "visitor")
        change = Event({"type": "queue", "region": "DEMO"})  # as the hub hands it to each
        with counted_queries(app) as queries:
            fragments = [stream.render(change) for stream in streams]
        assert len(queries) == 1
        for place, fragment in enumerate(fragments, start=1):
            assert text_of(fragment).startswith(f"Je bent nummer {place} ")


def test_a_queue_change_sends_places_drawn_when_the_visitors_connected(app):
    """Each place is drawn when a visitor first shows it, so a change with many waiting
    renders nothing more: its fragments are ready for the ones moving up."""
    from flask import template_rendered

    from backend.hub import Event
    from backend.sites import site_or_404
    from backend.visitor.streams import VisitorStream
    from tests.helpers import DEMO_SITE, all_chats, start_chat

    for nickname in ("Anna", "Bo", "Cas"):
        start_chat(app.test_client(), nickname=nickname)
    ids = [chat.id for chat in all_chats(app)[-3:]]
    drawn = []

    def note(_app, template, context, **_extra):
        drawn.append(template.name)

    with app.test_request_context():
        first, *streams = [VisitorStream(site_or_404(DEMO_SITE), chat_id) for chat_id in ids]
        for stream in (first, *streams):
            stream.snapshot()
        chats.end(ids[0], "visitor")
        template_rendered.connect(note, app)
        try:
            fragments = [
                stream.render(Event({"type": "queue", "region": "DEMO"})) for stream in streams
            ]
        finally:
            template_rendered.disconnect(note, app)
    assert [text_of(fragment).split(" ")[:4] for fragment in fragments] == [
        ["Je", "bent", "nummer", "1"],
        ["Je", "bent", "nummer", "2"],
    ]
    assert drawn == []


def test_a_sweeper_round_reads_the_workers_of_all_open_consoles_at_once(app):
    import gc

    from backend.console import streams

    gc.collect()  # consoles of earlier tests, gone but perhaps not yet collected
    with app.test_request_context():
        opened = [WorkspaceStream(worker, None) for worker in workers.all_workers()[:3]]
        for stream in opened:
            stream.snapshot()
        with counted_queries(app) as queries:
            assert streams.recheck_sessions() == 3
        assert len(queries) == 1


class QuietSocket:
    """A socket whose client sends nothing and hears every frame: enough for `serve`."""

    def __init__(self):
        self.event, self.connected, self.frames = None, True, []

    def send(self, html: str) -> None:
        self.frames.append(html)

    def receive(self, timeout=None):
        return None

    def close(self, reason=None, message=None) -> None:
        self.connected = False


def served(app, waiting: list, render, redraws=()) -> QuietSocket:
    """A socket whose process was busy while `waiting` reached its outbox: what it sent."""
    from backend.sockets import Connection

    ws = QuietSocket()
    with app.test_request_context():
        connection = Connection(ws, render, owner="test", redraws=redraws)
        for item in waiting:
            connection.deliver(item)
        connection.close_soon()  # closed by the server after what waits
        connection.serve([], first=lambda: None)
    return ws


def test_a_socket_that_fell_behind_draws_each_waiting_redraw_once_at_its_last_place(app):
    """Equal redraw events waiting together are drawn once; each message is handled."""
    queue, presence = {"type": "queue", "region": "DEMO"}, {"type": "presence", "chat": 5}
    waiting = [queue, queue, {"type": "message", "seq": 1}, queue, presence, presence]
    waiting += [{"type": "message", "seq": 2}, {"type": "presence", "chat": 6}]
    drawn = []

    def render(event):
        drawn.append(event)
        return f"<p>{len(drawn)}</p>"

    ws = served(app, waiting, render, redraws=("queue", "presence"))
    assert drawn == [
        {"type": "message", "seq": 1},
        queue,
        presence,
        {"type": "message", "seq": 2},
        {"type": "presence", "chat": 6},
    ]
    assert len(ws.frames) == 5
    # A socket told nothing of redraws handles every event, as before.
    drawn.clear()
    served(app, waiting, render)
    assert drawn == waiting


def test_a_busy_console_draws_the_queue_once_for_visitors_who_started_together(app):
    """After a restart every waiting visitor reconnects at once, each a queue change for
    every console: one that fell behind draws the queue once, with them all in it."""
    from backend.hub import Event
    from tests.helpers import start_chat

    with app.test_request_context():
        stream = WorkspaceStream(workers.get(1), None)
        stream.snapshot()
    for nickname in ("Anna", "Bo", "Cas"):
        start_chat(app.test_client(), nickname=nickname)
    changes = [Event({"type": "queue", "region": "DEMO"}) for _ in range(3)]
    ws = served(app, changes, stream.render, redraws=WorkspaceStream.REDRAWS)
    assert len(ws.frames) == 1
    shown = text_of(ws.frames[0])
    assert all(nickname in shown for nickname in ("Anna", "Bo", "Cas"))
    assert ws.frames[0].count("<audio") == 1  # one sound for the three newcomers
