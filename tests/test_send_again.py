"""A message whose answer was lost (server restart, broken line) is not stored twice on retry."""

import re

from flask import render_template

from backend import chats
from backend.sites import site_or_404
from backend.visitor.render import chat_context
from tests.helpers import DEMO_SITE, all_chats, log_in, taken_chat

HX = {"HX-Request": "true"}


def key_field(page: str) -> str:
    """The message box's hidden send_key input."""
    return re.search(r'<input[^>]*name="send_key"[^>]*>', page).group(0)


def key_in(page: str) -> str:
    return re.search(r'value="([^"]+)"', key_field(page)).group(1)


def bodies(app, chat_id: int) -> list[str]:
    with app.app_context():
        return [m.body for m in chats.messages(chat_id)]


def test_the_visitor_trying_a_send_again_stores_it_once(app, client):
    chat_id = taken_chat(app, client)
    key = key_in(client.get(f"/w/{DEMO_SITE}").text)
    sent = {"body": "Is daar iemand?", "send_key": key}
    first = client.post(f"/w/{DEMO_SITE}/send", data=sent, headers=HX)
    again = client.post(f"/w/{DEMO_SITE}/send", data=sent, headers=HX)  # its answer was lost
    assert first.status_code == again.status_code == 200
    assert bodies(app, chat_id) == ["Is daar iemand?"]
    assert key_in(first.text) != key  # the emptied box is ready for a new message


def test_the_worker_trying_a_send_again_stores_it_once(app, client):
    chat_id = taken_chat(app, client)
    console = app.test_client()
    log_in(console)
    key = key_in(console.get(f"/console/chats/{chat_id}").text)
    for _ in range(2):
        console.post(f"/console/chats/{chat_id}/send", data={"body": "Ik ben er.", "send_key": key})
    assert bodies(app, chat_id) == ["Ik ben er."]


def test_a_pushed_box_keeps_the_key_of_the_text_being_typed(app, client):
    taken_chat(app, client)
    with app.test_request_context():
        context = chat_context(site_or_404(DEMO_SITE), all_chats(app)[-1])
        pushed = render_template("widget/_composer.html", **context, pushed=True)
        answered = render_template("widget/_composer.html", **context, oob=True)
    assert "hx-preserve" in key_field(pushed)  # a reconnect keeps text and key together
    assert "hx-preserve" not in key_field(answered)  # after a send, a new key
