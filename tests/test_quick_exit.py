"""'Verberg deze pagina': leave at once, end the chat as left by quick exit, forget it all."""

import html
import re

import pytest

from backend import chats
from tests.helpers import COOKIE, DEMO_SITE, all_chats, log_in, start_chat, taken_chat, text_of

NEUTRAL = "https://www.google.nl/"


def exit_link(page: str) -> str:
    return re.search(r'<a class="vt-exit"[^>]*>', page).group(0)


def ping_url(page: str) -> str:
    return html.unescape(re.search(r'\bping="([^"]+)"', exit_link(page)).group(1))


@pytest.fixture
def chatting(app, client):
    """A visitor whose chat the demo worker has taken, with one message each way."""
    client.chat_id = taken_chat(app, client)
    with app.app_context():
        chats.add_message(client.chat_id, "worker", "Hoi Mila, ik ben Sanne.")
        chats.add_message(client.chat_id, "visitor", "Mijn vader slaat.")
    return client


def test_the_exit_link_goes_straight_to_the_neutral_site_in_the_top_window(chatting):
    link = exit_link(chatting.get(f"/w/{DEMO_SITE}").text)
    assert f'href="{NEUTRAL}"' in link
    assert 'target="_top"' in link
    assert "noreferrer" in link


def test_the_exit_pings_us_with_a_ticket_and_htmx_posts_the_same(chatting):
    page = chatting.get(f"/w/{DEMO_SITE}").text
    url = ping_url(page)
    assert url.startswith(f"/w/{DEMO_SITE}/exit?t=")
    wrapper = re.search(r'<span class="vt-exit-wrap"[^>]*>', page).group(0)
    assert f'hx-post="{html.escape(url)}"' in wrapper


def test_the_ping_ends_the_chat_as_left_by_quick_exit(app, chatting, hub):
    url = ping_url(chatting.get(f"/w/{DEMO_SITE}").text)
    hub.clear()
    # A ping carries no form token and, in some browsers, no cookie: the ticket is enough.
    response = app.test_client().post(url, data="PING", content_type="text/ping")
    assert response.status_code == 204
    (chat,) = all_chats(app)
    assert (chat.status, chat.ended_by) == ("ended", "quick_exit")
    assert {"type": "state", "chat": chat.id} in hub.events(f"chat:{chat.id}")


def test_the_worker_reads_that_the_visitor_left_by_quick_exit(app, chatting):
    worker = app.test_client()
    log_in(worker)
    chatting.post(ping_url(chatting.get(f"/w/{DEMO_SITE}").text))
    page = text_of(worker.get(f"/console/chats/{chatting.chat_id}").text)
    assert "de bezoeker is weggegaan met ‘Verberg deze pagina’" in page
    assert "Mijn vader slaat." in page  # the worker keeps the transcript until the purge


def test_after_the_exit_every_load_is_a_fresh_pop_up(app, chatting):
    response = chatting.post(ping_url(chatting.get(f"/w/{DEMO_SITE}").text))
    # Where the browser keeps a ping's cookie, it is cleared as well.
    assert f"{COOKIE}=;" in response.headers["Set-Cookie"]
    for path in (f"/w/{DEMO_SITE}", f"/w/{DEMO_SITE}?continued=1", f"/w/{DEMO_SITE}/transcript"):
        page = chatting.get(path).text
        for trace in ("Mila", "Mijn vader slaat.", "Sanne", "beëindigd"):
            assert trace not in page, (path, trace)
    assert "Start de chat" in text_of(chatting.get(f"/w/{DEMO_SITE}").text)


def test_an_old_cookie_finds_nothing_after_the_exit(app, chatting):
    # The ping went without the cookie (as in some browsers): the cookie stays, the chat is
    # still gone from it, because the chat got a new token.
    cookie = chatting.get_cookie(COOKIE).value
    app.test_client().post(ping_url(chatting.get(f"/w/{DEMO_SITE}").text))
    assert chatting.get_cookie(COOKIE).value == cookie
    page = chatting.get(f"/w/{DEMO_SITE}").text
    assert "Mijn vader slaat." not in page and "Start de chat" in text_of(page)


def test_leaving_the_queue_by_quick_exit_gives_up_the_place(app, client, hub):
    start_chat(client, nickname="Mila")
    client.post(ping_url(client.get(f"/w/{DEMO_SITE}").text))
    (chat,) = all_chats(app)
    assert (chat.status, chat.ended_by) == ("abandoned", "quick_exit")
    with app.app_context():
        assert chats.waiting("DEMO") == []


def test_a_forged_ticket_ends_nothing(app, chatting):
    response = app.test_client().post(f"/w/{DEMO_SITE}/exit?t=forged")
    assert response.status_code == 204
    (chat,) = all_chats(app)
    assert chat.status == "active"


def test_both_ways_of_telling_us_may_arrive(app, chatting):
    url = ping_url(chatting.get(f"/w/{DEMO_SITE}").text)
    assert chatting.post(url, headers={"HX-Request": "true"}).status_code == 200
    assert chatting.post(url).status_code == 204
    (chat,) = all_chats(app)
    assert (chat.status, chat.ended_by) == ("ended", "quick_exit")


def test_htmx_swaps_in_an_empty_pop_up_before_the_page_goes(app, chatting):
    url = ping_url(chatting.get(f"/w/{DEMO_SITE}").text)
    answer = chatting.post(url, headers={"HX-Request": "true"}).text
    assert '<section id="vt-panel"' in answer
    assert "Start de chat" in text_of(answer)
    assert "Mijn vader slaat." not in answer and "Mila" not in answer
    # The quick exit it brings along no longer names the forgotten chat.
    safety = re.search(r'<aside class="vt-safety"[^>]*hx-swap-oob="true".*?</aside>', answer, re.S)
    assert safety and "?t=" not in safety.group(0)
    # The live region may still hold the worker's last words: it is emptied too.
    assert '<div id="vt-announce" hx-swap-oob="innerHTML"></div>' in answer


def test_without_a_chat_the_exit_forgets_the_session(client):
    page = client.get(f"/w/{DEMO_SITE}/start").text
    url = ping_url(page)
    assert url == f"/w/{DEMO_SITE}/exit"
    answer = client.post(url, headers={"HX-Request": "true"})
    assert answer.status_code == 200
    # The half-filled form is replaced by the open-or-closed panel.
    assert "Bijnaam" not in answer.text and "Start de chat" in text_of(answer.text)
