"""What the visitor's pages promise in their markup: links that keep the pop-up, no referrer,
forms that speak Dutch, no attribute saying "None", and plain words about data."""

import re
from pathlib import Path

import pytest

from backend import chats
from tests.helpers import BASE_URL, DEMO_SITE, all_chats, start_chat, text_of

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def every_state(app, client):
    """The visitor's pages in every state, as (name, html)."""
    pages = [("status", client.get(f"/w/{DEMO_SITE}").text)]
    pages.append(("form", client.get(f"/w/{DEMO_SITE}/start").text))
    pages.append(("form with errors", start_chat(client, nickname="", age="x").text))
    pages.append(("form expired", start_chat(client, csrf_token="").text))
    pages.append(("privacy", client.get(f"/w/{DEMO_SITE}/privacy").text))
    pages.append(("professional", start_chat(client, role="professional").text))
    start_chat(client, nickname="Mila")
    pages.append(("waiting", client.get(f"/w/{DEMO_SITE}").text))
    (chat,) = all_chats(app)
    with app.app_context():
        chats.accept(chat.id, 1)
    pages.append(("chatting", client.get(f"/w/{DEMO_SITE}").text))
    pages.append(("ending?", client.get(f"/w/{DEMO_SITE}/end").text))
    pages.append(("transcript", client.get(f"/w/{DEMO_SITE}/transcript").text))
    ended = client.post(f"/w/{DEMO_SITE}/end").headers["Location"]
    pages.append(("ended", client.get(ended).text))
    return pages


def test_every_phone_link_opens_in_the_top_window(every_state):
    # Inside the frame a host page's CSP (frame-src) blocks tel: and breaks the pop-up.
    seen = 0
    for state, page in every_state:
        for link in re.findall(r'<a [^>]*href="tel:[^"]*"[^>]*>', page):
            assert 'target="_top"' in link, (state, link)
            seen += 1
    assert seen >= 2 * (len(every_state) - 1)  # the safety bar, everywhere but the transcript


def test_every_form_gives_its_own_dutch_messages(every_state):
    # novalidate: the browser's own bubble ("Please fill out this field.") never shows.
    forms = [(s, f) for s, page in every_state for f in re.findall(r"<form\b[^>]*>", page)]
    assert len(forms) >= 5
    for state, form in forms:
        assert "novalidate" in form, (state, form)


def test_no_attribute_says_none(every_state):
    for state, page in every_state:
        assert not re.search(r'="None"', page), state


def test_each_state_has_one_heading_to_start_from(every_state):
    for state, page in every_state:
        if state == "transcript":
            continue
        assert len(re.findall(r"<h1\b", page)) == 1, state


def test_one_live_region_and_it_starts_empty(every_state):
    for state, page in every_state:
        if state == "transcript":
            continue
        live = re.findall(r'<[^>]+(?:aria-live|role="(?:status|alert|log)")[^>]*>', page)
        assert live == ['<div id="vt-announce" class="vt-visually-hidden" role="status">'], state


def test_the_snippet_sends_no_referrer(client):
    snippet = client.get(f"/embed/snippet/{DEMO_SITE}?format=text").text
    link = re.search(r"<link [^>]*>", snippet).group(0)
    iframe = re.search(r"<iframe [^>]*>", snippet).group(0)
    assert 'referrerpolicy="no-referrer"' in link
    assert 'referrerpolicy="no-referrer"' in iframe


def recommended_host_csp() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"^Content-Security-Policy: (.+)$", readme, re.M)
    assert found, "the README recommends no host CSP"
    return found.group(1).strip()


def test_demo_host_pages_send_the_csp_the_readme_recommends(client):
    csp = client.get(f"/demo/{DEMO_SITE}").headers["Content-Security-Policy"]
    assert csp == recommended_host_csp().replace("https://CHAT-HOST", BASE_URL)


def test_the_form_says_what_is_kept_and_for_how_long(make_app):
    for hours, period in ((72, "3 dagen"), (24, "1 dag"), (36, "36 uur")):
        client = make_app(TRANSCRIPT_RETENTION_HOURS=hours).test_client()
        page = text_of(client.get(f"/w/{DEMO_SITE}/start").text)
        assert (
            f"Je berichten worden {period} na de chat gewist. Alleen medewerkers van Veilig "
            "Thuis lezen ze. Je IP-adres bewaren we niet."
        ) in page
        assert "Lees meer over je gegevens" in page
        more = text_of(client.get(f"/w/{DEMO_SITE}/privacy").text)
        assert f"Je berichten en je bijnaam worden {period} na de chat gewist." in more
        assert "We bewaren nooit je IP-adres" in more


def test_the_start_panel_has_one_line_for_shared_devices(client):
    page = text_of(client.get(f"/w/{DEMO_SITE}").text)
    assert "Deel je deze telefoon of computer? Open deze website dan in een privévenster." in page


def test_an_expired_form_says_so_by_taking_the_focus(client):
    page = start_chat(client, csrf_token="", nickname="Mila").text
    notice = re.search(r'<p class="vt-error" id="vt-form-expired"[^>]*>', page).group(0)
    assert "autofocus" in notice and 'tabindex="-1"' in notice
    assert not re.search(r"<h1[^>]*autofocus", page)
