"""Without JavaScript a visitor starts, waits, chats and ends; the pages reload themselves."""

import re

import pytest

from backend import chats
from backend.models import EndReason
from tests.helpers import DEMO_ORIGIN, DEMO_SITE, all_chats, start_chat, taken_chat, text_of


def noscript_refresh(page: str) -> str | None:
    head = page.split("</head>")[0]
    found = re.search(
        r'<noscript><meta http-equiv="refresh" content="(\d+); url=([^"]+)"></noscript>', head
    )
    return found and found.group(2)


@pytest.fixture
def chatting(app, client):
    client.chat_id = taken_chat(app, client)
    with app.app_context():
        chats.add_message(client.chat_id, "worker", "Hoi Mila")
    return client


def test_a_waiting_page_reloads_itself_in_the_same_view(client):
    start_chat(client)
    page = client.get(f"/w/{DEMO_SITE}").text
    assert noscript_refresh(page) == f"/w/{DEMO_SITE}?continued=1"
    assert "Je bent nummer 1" in text_of(page)


def test_only_waiting_reloads_the_whole_page(chatting):
    # While chatting a reload would wipe what is being typed: only the transcript frame reloads.
    page = chatting.get(f"/w/{DEMO_SITE}").text
    assert noscript_refresh(page) is None
    frame = re.search(r"<noscript><iframe ([^>]*)></iframe></noscript>", page)
    assert frame and f'src="/w/{DEMO_SITE}/transcript"' in frame.group(1)
    assert 'title="Gesprek"' in frame.group(1)
    assert re.search(r'<form method="post" action="/w/demo-utrecht/send"', page)


def test_the_transcript_reloads_itself_and_may_only_be_framed_by_us_and_the_site(chatting):
    response = chatting.get(f"/w/{DEMO_SITE}/transcript")
    assert '<meta http-equiv="refresh" content="5">' in response.text
    assert "Hoi Mila" in text_of(response.text)
    csp = response.headers["Content-Security-Policy"]
    assert f"frame-ancestors 'self' {DEMO_ORIGIN}" in csp
    assert response.headers["Cache-Control"] == "no-store"


def test_an_ended_transcript_stops_and_leads_on_in_the_pop_up(app, chatting):
    with app.app_context():
        chats.end(chatting.chat_id, EndReason.WORKER)
    page = chatting.get(f"/w/{DEMO_SITE}/transcript").text
    assert "http-equiv" not in page
    assert "Het gesprek is beëindigd." in text_of(page)
    link = re.search(r'<a class="vt-button" href="([^"]+)" target="_parent">Verder</a>', page)
    assert link and link.group(1) == f"/w/{DEMO_SITE}?continued=1"


def test_htmx_answers_never_carry_the_noscript_frame(app, client):
    taken_chat(app, client)
    for html in (
        client.get(f"/w/{DEMO_SITE}", headers={"HX-Request": "true"}).text,
        client.post(f"/w/{DEMO_SITE}/end", headers={"HX-Request": "true"}).text,
    ):
        assert "<noscript>" not in html and "transcript" not in html


def test_without_javascript_the_whole_chat_works_by_posts_and_redirects(app, client):
    assert start_chat(client).headers["Location"] == f"/w/{DEMO_SITE}"
    with app.app_context():
        chats.accept(all_chats(app)[-1].id, 1)
    sent = client.post(f"/w/{DEMO_SITE}/send", data={"body": "Hallo"})
    assert sent.status_code == 303
    assert "Wil je de chat beëindigen?" in text_of(client.get(f"/w/{DEMO_SITE}/end").text)
    ended = client.post(f"/w/{DEMO_SITE}/end")
    assert ended.headers["Location"] == f"/w/{DEMO_SITE}?continued=1"
    page = text_of(client.get(ended.headers["Location"]).text)
    assert "Het gesprek is beëindigd." in page
