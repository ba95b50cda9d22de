"""Typing, both ways: told to the other side sparingly, stored nowhere, never with the text.

The pop-up says "Sanne typt…" under the messages (never in its live region, never with a
sound), the console "Mila is aan het typen…" and "aan het typen" on the chat's tab.
"""

import re

from bs4 import BeautifulSoup
from flask import render_template
from sqlmodel import select

from backend import chats, db
from backend.config import ROOT
from backend.console.streams import WorkspaceStream
from backend.models import Chat, Message, Sender, Worker
from backend.sites import site_or_404
from backend.visitor.streams import VisitorStream
from tests.helpers import DEMO_SITE, all_chats, log_in, start_chat, taken_chat, text_of

HTMX = {"HX-Request": "true"}


def typing_events(hub, chat_id: int) -> list[dict]:
    return [e for e in hub.events(f"chat:{chat_id}") if e["type"] == "typing"]


def stored(app, chat_id: int) -> tuple[list[Message], Chat]:
    with app.app_context(), db.session() as s:
        messages = list(s.exec(select(Message).where(Message.chat_id == chat_id)))
        return messages, s.get(Chat, chat_id)


# ---- the visitor types ------------------------------------------------------------------------


def test_the_visitors_typing_is_told_on_the_chat_and_stored_nowhere(app, client, hub):
    chat_id = taken_chat(app, client)
    _, before = stored(app, chat_id)
    hub.clear()
    response = client.post(f"/w/{DEMO_SITE}/typing", headers=HTMX)
    assert response.status_code == 204 and response.data == b""
    assert typing_events(hub, chat_id) == [{"type": "typing", "sender": "visitor", "chat": chat_id}]
    messages, after = stored(app, chat_id)
    assert messages == []
    assert after.last_activity_at == before.last_activity_at  # not even a write


def test_a_waiting_visitor_or_one_without_a_chat_tells_nobody(app, client, hub):
    assert client.post(f"/w/{DEMO_SITE}/typing", headers=HTMX).status_code == 204
    start_chat(client)
    hub.clear()
    assert client.post(f"/w/{DEMO_SITE}/typing", headers=HTMX).status_code == 204
    assert [e for _, e in hub.published if e["type"] == "typing"] == []


def test_typing_without_the_forms_token_tells_nobody(app, client, hub):
    chat_id = taken_chat(app, client)
    hub.clear()
    client.post(f"/w/{DEMO_SITE}/typing", data={"csrf_token": ""}, headers=HTMX)
    assert typing_events(hub, chat_id) == []


def box_pings(page: str, form_id: str) -> list:
    """The text areas of the message box's form, as BeautifulSoup tags."""
    form = BeautifulSoup(page, "html.parser").find("form", id=form_id)
    return form.find_all("textarea")


def test_both_text_areas_of_the_pop_up_ping_sparingly_and_without_the_text(app, client):
    taken_chat(app, client)
    boxes = box_pings(client.get(f"/w/{DEMO_SITE}").text, "vt-send-form")
    assert len(boxes) == 2  # the box and its spare
    for box in boxes:
        assert box["hx-post"] == f"/w/{DEMO_SITE}/typing"
        assert box["hx-trigger"] == "input changed throttle:4s"
        assert box["hx-params"] == "csrf_token"  # never the text
        assert box["hx-swap"] == "none"


def test_both_text_areas_of_the_console_ping_sparingly_and_without_the_text(app, client):
    chat_id = taken_chat(app, client)
    worker = app.test_client()
    log_in(worker)
    boxes = box_pings(worker.get(f"/console/chats/{chat_id}").text, "console-send-form")
    assert len(boxes) == 2
    for box in boxes:
        assert box["hx-post"] == f"/console/chats/{chat_id}/typing"
        assert box["hx-trigger"] == "input changed throttle:4s"
        assert box["hx-params"] == "csrf_token"
        assert box["hx-swap"] == "none"


def test_the_console_shows_the_visitor_typing_on_screen_and_on_the_tab(app, client):
    chat_id = taken_chat(app, client)
    with app.test_request_context():
        with db.session() as s:
            worker = s.get(Worker, 1)
        stream = WorkspaceStream(worker, chat_id)
        stream.snapshot()
        html = stream.render({"type": "typing", "sender": Sender.VISITOR, "chat": chat_id})
        assert "Mila is aan het typen…" in text_of(html)
        assert re.search(r'<span class="console-typing-now">aan het typen</span>', html)
        # Its own words never come back as typing; the visitor's message clears the line.
        assert stream.render({"type": "typing", "sender": Sender.WORKER, "chat": chat_id}) is None
        chats.add_message(chat_id, Sender.VISITOR, "Hallo")
        html = stream.render({"type": "message", "chat": chat_id, "seq": 1, "sender": "visitor"})
        assert re.search(r'<p id="chat-typing"[^>]*></p>', html)
        assert 'id="console-tabs"' in html and "console-typing-now" not in html


# ---- the worker types -------------------------------------------------------------------------


def test_the_worker_typing_is_told_to_the_visitor_only_in_an_active_chat(app, client, hub):
    chat_id = taken_chat(app, client)
    worker = app.test_client()
    log_in(worker)
    hub.clear()
    assert worker.post(f"/console/chats/{chat_id}/typing", headers=HTMX).status_code == 204
    assert typing_events(hub, chat_id) == [{"type": "typing", "sender": "worker", "chat": chat_id}]
    assert stored(app, chat_id)[0] == []


def pop_up_stream(app, chat_id: int) -> VisitorStream:
    stream = VisitorStream(site_or_404(DEMO_SITE), chat_id)
    stream.snapshot()
    return stream


def test_the_pop_up_says_who_is_typing_under_the_messages_and_nowhere_else(app, client):
    chat_id = taken_chat(app, client)
    with app.test_request_context():
        stream = pop_up_stream(app, chat_id)
        html = stream.render({"type": "typing", "sender": Sender.WORKER, "chat": chat_id})
    line = BeautifulSoup(html, "html.parser").find(id="vt-typing")
    assert line.get_text() == "Sanne typt…"
    assert line["hx-swap-oob"] == "true"
    # Shown, never said and never sounded: no live region, no sound, no title.
    assert "vt-announce" not in html and "aria-live" not in html and "role=" not in html
    assert "<audio" not in html and "<title" not in html


def test_the_pop_up_has_the_typing_line_under_the_messages(app, client):
    taken_chat(app, client)
    page = BeautifulSoup(client.get(f"/w/{DEMO_SITE}").text, "html.parser")
    line = page.find(id="vt-typing")
    assert line.get_text() == "" and "hx-swap-oob" not in line.attrs
    assert line.find_previous_sibling("ol")["id"] == "vt-messages"


def test_the_visitors_own_typing_and_typing_while_waiting_show_nothing(app, client):
    chat_id = taken_chat(app, client)
    start_chat(app.test_client(), nickname="Bo")
    waiting_id = all_chats(app)[-1].id
    with app.test_request_context():
        own = {"type": "typing", "sender": Sender.VISITOR, "chat": chat_id}
        assert pop_up_stream(app, chat_id).render(own) is None
        early = {"type": "typing", "sender": Sender.WORKER, "chat": waiting_id}
        assert pop_up_stream(app, waiting_id).render(early) is None


def test_the_workers_message_clears_the_typing_line(app, client):
    chat_id = taken_chat(app, client)
    with app.test_request_context():
        stream = pop_up_stream(app, chat_id)
        stream.render({"type": "typing", "sender": Sender.WORKER, "chat": chat_id})
        message = chats.add_message(chat_id, Sender.WORKER, "Hoi Mila")
        html = stream.render(chats.message_event(message))
    assert "Hoi Mila" in text_of(html)
    assert re.search(r'<p id="vt-typing" class="vt-typing" hx-swap-oob="true"></p>', html)


def test_the_visitors_own_message_leaves_the_typing_line_alone(app, client):
    chat_id = taken_chat(app, client)
    with app.test_request_context():
        stream = pop_up_stream(app, chat_id)
        message = chats.add_message(chat_id, Sender.VISITOR, "Hallo")
        html = stream.render(chats.message_event(message))
    assert "vt-typing" not in html


def test_the_typing_line_goes_by_itself(app):
    """The pattern of the console's line: a CSS animation hides it unless it is pushed again."""
    rules = (ROOT / "widget" / "static" / "widget.css").read_text(encoding="utf-8")
    assert re.search(r"\.vt-typing \{[^}]*animation: vt-typing-ends [^}]*\}", rules)
    assert re.search(r"@keyframes vt-typing-ends \{ to \{ visibility: hidden; \} \}", rules)
    with app.test_request_context():
        fragment = render_template("widget/_typing.html", typing=False)
    assert fragment.strip().startswith('<p id="vt-typing" class="vt-typing"')
