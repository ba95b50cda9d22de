"""An ended chat is shown once, in the page view where it ended; a later load starts afresh."""

import pytest

from backend import chats
from backend.models import EndReason
from tests.helpers import DEMO_SITE, session_of, start_chat, taken_chat, text_of

CLOSING = "Het gesprek is beëindigd. Bedankt dat je met Veilig Thuis hebt gechat."


@pytest.fixture
def ended_by_worker(app, client):
    chat_id = taken_chat(app, client)
    with app.app_context():
        chats.add_message(chat_id, "worker", "Fijn dat je schreef.")
        chats.end(chat_id, EndReason.WORKER)
    return client


def test_a_later_load_shows_a_fresh_pop_up(ended_by_worker):
    page = text_of(ended_by_worker.get(f"/w/{DEMO_SITE}").text)
    assert "De chat is nu open." in page and "Start de chat" in page
    assert "Fijn dat je schreef." not in page and CLOSING not in page


def test_the_page_view_where_it_ended_shows_the_closing_words_once(ended_by_worker):
    # Without JavaScript the page reloads itself with ?continued=1: that is the same view.
    page = text_of(ended_by_worker.get(f"/w/{DEMO_SITE}?continued=1").text)
    assert CLOSING in page and "0800 2000" in page and "112" in page
    assert "Fijn dat je schreef." in page
    again = text_of(ended_by_worker.get(f"/w/{DEMO_SITE}?continued=1").text)
    assert CLOSING not in again and "Start de chat" in again


def test_ending_with_htmx_shows_the_end_and_forgets_the_chat(app, client):
    taken_chat(app, client)
    ended = client.post(f"/w/{DEMO_SITE}/end", headers={"HX-Request": "true"})
    assert CLOSING in text_of(ended.text)
    assert "chat" not in session_of(app, client)
    assert "Start de chat" in text_of(client.get(f"/w/{DEMO_SITE}").text)


def test_an_open_chat_survives_every_load(app, client):
    start_chat(client, nickname="Mila")
    for path in (f"/w/{DEMO_SITE}", f"/w/{DEMO_SITE}?continued=1", f"/w/{DEMO_SITE}"):
        assert "Je bent nummer 1" in text_of(client.get(path).text)
