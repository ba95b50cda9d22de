"""The visitor's pop-up: open or closed, the anonymous form, the queue, the chat and its end."""

import json
import re
from datetime import UTC, datetime

import pytest
from bs4 import BeautifulSoup
from sqlmodel import SQLModel, select

from backend import chats, db
from backend.models import Message, Site, Worker
from tests.helpers import (
    COOKIE,
    DEMO_ORIGIN,
    DEMO_SITE,
    all_chats,
    log_in,
    session_of,
    start_chat,
    text_of,
)

REAL_SITE = "vt-utrecht"
REAL_ORIGIN = "https://www.veiligthuis-utrecht.example"
# Saturday 21 November 2026, 11:00 in Amsterdam: real regions are closed.
SATURDAY = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
# Koningsdag, Monday 27 April 2026, 11:00 in Amsterdam (CEST).
KONINGSDAG = datetime(2026, 4, 27, 9, 0, tzinfo=UTC)


@pytest.fixture
def real_site(app):
    """A registered site of a real region (Utrecht), with its real opening hours."""
    with app.app_context(), db.session() as s:
        s.add(
            Site(key=REAL_SITE, name="Veilig Thuis Utrecht", region_code="VT20", origin=REAL_ORIGIN)
        )
        s.commit()
    return REAL_SITE


def field_error(page: str, field: str) -> str | None:
    """The error shown under one form field, as text; None when the field has none."""
    found = re.search(rf'<p class="vt-error" id="{field}-error">(.*?)</p>', page, re.S)
    return text_of(found.group(1)) if found else None


def field_input(page: str, field: str) -> str:
    found = re.search(rf'<(?:input|select)[^>]*\bid="{field}"[^>]*>', page)
    assert found, f"no input {field}"
    return found.group(0)


def accept_as(app, chat_id, username="demo"):
    with app.app_context():
        with db.session() as s:
            worker = s.exec(select(Worker).where(Worker.username == username)).one()
        assert chats.accept(chat_id, worker.id)


def add_message(app, chat_id, sender, body):
    with app.app_context():
        assert chats.add_message(chat_id, sender, body) is not None


# --- open or closed -------------------------------------------------------------------------


def test_demo_site_is_open_at_any_hour(client, clock):
    clock.at = datetime(2025, 12, 25, 2, 0, tzinfo=UTC)  # Christmas night
    page = text_of(client.get(f"/w/{DEMO_SITE}").text)
    assert "De chat is nu open." in page
    assert "Vandaag is de chat dag en nacht open." in page
    assert "Start de chat" in page


def test_real_region_is_open_on_a_weekday_morning(client, real_site):
    page = text_of(client.get(f"/w/{real_site}").text)
    assert "De chat is nu open." in page
    assert "Vandaag: 09:00 tot 17:00." in page
    assert "Start de chat" in page


def test_real_region_is_closed_on_saturday_and_says_when_it_opens(client, clock, real_site):
    clock.at = SATURDAY
    page = text_of(client.get(f"/w/{real_site}").text)
    assert "De chat is nu gesloten." in page
    assert "De chat gaat weer open op maandag 23 november om 09:00." in page
    assert "Je kunt Veilig Thuis dag en nacht gratis bellen: 0800 2000." in page
    assert "Start de chat" not in page


def test_real_region_is_closed_on_koningsdag_and_names_it(client, clock, real_site):
    clock.at = KONINGSDAG
    page = text_of(client.get(f"/w/{real_site}").text)
    assert "De chat is nu gesloten." in page
    assert "Vandaag (Koningsdag) is de chat gesloten." in page
    assert "De chat gaat weer open op dinsdag 28 april om 09:00." in page


def test_closing_time_is_in_amsterdam_time_not_utc(client, clock, real_site):
    clock.at = datetime(2026, 7, 15, 15, 30, tzinfo=UTC)  # 17:30 in Amsterdam (CEST)
    page = text_of(client.get(f"/w/{real_site}").text)
    assert "De chat is nu gesloten." in page
    assert "De chat gaat weer open op donderdag 16 juli om 09:00." in page


@pytest.mark.parametrize("moment", [datetime(2026, 11, 18, 9, 0, tzinfo=UTC), SATURDAY])
def test_quick_exit_and_phone_numbers_are_always_there(client, clock, real_site, moment):
    clock.at = moment
    for site in (real_site, DEMO_SITE):
        html = client.get(f"/w/{site}").text
        page = text_of(html)
        assert "Verberg deze pagina" in page
        assert 'href="tel:112"' in html
        assert 'href="tel:08002000"' in html
        assert "0800 2000" in page


def test_quick_exit_leaves_the_host_page_for_a_neutral_site(client):
    html = client.get(f"/w/{DEMO_SITE}").text
    link = re.search(r'<a class="vt-exit"[^>]*>', html).group(0)
    assert 'href="https://www.google.nl/"' in link
    assert 'target="_top"' in link
    assert "noreferrer" in link


def test_quick_exit_and_phones_stay_visible_during_the_chat(client):
    start_chat(client)
    page = text_of(client.get(f"/w/{DEMO_SITE}").text)
    assert "Verberg deze pagina" in page
    assert "112" in page
    assert "0800 2000" in page


def test_unknown_site_is_not_found(client):
    assert client.get("/w/no-such-site").status_code == 404
    assert client.get("/w/no-such-site/start").status_code == 404


def test_page_is_in_dutch(client):
    html = client.get(f"/w/{DEMO_SITE}").text
    assert '<html lang="nl">' in html
    assert "<title>Chat met Veilig Thuis</title>" in html


# --- headers --------------------------------------------------------------------------------


def test_chat_pages_are_not_cached_and_send_no_referrer(client):
    response = client.get(f"/w/{DEMO_SITE}")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_csp_allows_only_own_scripts_and_framing_by_the_registered_site(client, real_site):
    demo_csp = client.get(f"/w/{DEMO_SITE}").headers["Content-Security-Policy"]
    real_csp = client.get(f"/w/{real_site}").headers["Content-Security-Policy"]
    for csp in (demo_csp, real_csp):
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
        assert directives["script-src"] == "'self'"
        assert directives["default-src"] == "'self'"
    assert f"frame-ancestors {DEMO_ORIGIN}" in demo_csp
    assert f"frame-ancestors {REAL_ORIGIN}" in real_csp
    assert REAL_ORIGIN not in demo_csp


def test_the_chat_itself_keeps_the_headers(client):
    start_chat(client)
    response = client.get(f"/w/{DEMO_SITE}")
    assert response.headers["Cache-Control"] == "no-store"
    assert f"frame-ancestors {DEMO_ORIGIN}" in response.headers["Content-Security-Policy"]


def test_pages_load_nothing_from_another_host(client):
    html = client.get(f"/w/{DEMO_SITE}").text
    for url in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert url.startswith(("/", "tel:", "https://www.google.nl/")), url


def test_theme_is_the_sites_validated_colour(client, app):
    css = client.get(f"/w/{DEMO_SITE}/theme.css")
    assert css.headers["Content-Type"].startswith("text/css")
    assert "--vt-accent: #7a1f5c;" in css.text
    with app.app_context(), db.session() as s:
        site = s.get(Site, DEMO_SITE)
        site.accent = "red; } body { display: none"
        s.add(site)
        s.commit()
    css = client.get(f"/w/{DEMO_SITE}/theme.css").text
    assert "display: none" not in css
    assert "--vt-accent: #7a1f5c;" in css


# --- the form -------------------------------------------------------------------------------


def test_start_form_offers_regions_but_asks_nothing_identifying(client):
    html = client.get(f"/w/{DEMO_SITE}/start").text
    form = re.search(r"<form.*?</form>", html, re.S).group(0)
    names = set(re.findall(r'name="([^"]+)"', form))
    assert names == {
        "csrf_token",
        "nickname",
        "region",
        "postcode",
        "age",
        "gender",
        "role",
        "earlier_code",  # a follow-up code from an earlier chat (tests/test_followup.py)
    }
    page = text_of(html)
    assert "Bijnaam" in page
    assert "Alleen om je regio te vinden; we bewaren je postcode niet." in page


def test_real_site_does_not_offer_the_demo_region(client, real_site):
    html = client.get(f"/w/{real_site}/start").text
    assert 'value="DEMO"' not in html
    assert re.search(r'<option selected value="VT20">Utrecht</option>', html)


def test_empty_nickname_is_refused_next_to_the_field(app, client):
    response = start_chat(client, nickname="   ")
    assert response.status_code == 200
    error = field_error(response.text, "nickname")
    assert error == "Vul een bijnaam in. Dat hoeft niet je echte naam te zijn."
    assert 'aria-invalid="true"' in field_input(response.text, "nickname")
    assert "nickname-error" in field_input(response.text, "nickname")
    assert all_chats(app) == []


@pytest.mark.parametrize("postcode", ["12a4", "351", "35111", "3511 AB"])
def test_badly_written_postcode_is_refused_next_to_the_field(app, client, postcode):
    response = start_chat(client, postcode=postcode)
    assert response.status_code == 200
    error = field_error(response.text, "postcode")
    assert error == "Vul alleen de vier cijfers van je postcode in, bijvoorbeeld 3511."
    assert all_chats(app) == []


def test_unknown_postcode_is_refused_next_to_the_field(app, client):
    response = start_chat(client, postcode="0999")
    assert response.status_code == 200
    error = field_error(response.text, "postcode")
    assert error == "Deze postcode kennen we niet. Kies je regio dan in de lijst."
    assert all_chats(app) == []


@pytest.mark.parametrize("age", ["5", "121", "abc", "-3", "12.5"])
def test_age_out_of_range_is_refused_next_to_the_field(app, client, age):
    response = start_chat(client, age=age)
    assert response.status_code == 200
    error = field_error(response.text, "age")
    assert error == "Vul je leeftijd in jaren in (6 tot 120), of laat dit veld leeg."
    assert all_chats(app) == []


def test_refused_form_keeps_what_was_typed(client):
    html = start_chat(client, nickname="Mila", age="200").text
    assert 'value="Mila"' in field_input(html, "nickname")


def test_demo_region_cannot_be_chosen_from_a_real_site(app, client, real_site):
    response = start_chat(client, site=real_site, region="DEMO")
    assert field_error(response.text, "region") == "Kies een regio uit de lijst."
    assert all_chats(app) == []


def test_postcode_chooses_the_region_and_is_not_kept(app, client):
    response = start_chat(client, region="DEMO", postcode="3511")
    assert response.status_code == 303
    (chat,) = all_chats(app)
    assert chat.region_code == "VT20"
    page = text_of(client.get(f"/w/{DEMO_SITE}").text)
    assert "Je wacht op een medewerker van Veilig Thuis Utrecht" in page
    # Not in any table but the postcode list itself, and not in the session cookie.
    with app.app_context(), db.session() as s:
        for table in SQLModel.metadata.sorted_tables:
            if table.name == "postcode":
                continue
            for row in s.execute(table.select()):
                assert "3511" not in repr(tuple(row)), table.name
    assert "3511" not in repr(session_of(app, client))


def test_a_closed_region_takes_no_new_chats(app, client, clock, real_site):
    clock.at = SATURDAY
    response = start_chat(client, site=real_site, region="VT20")
    assert response.status_code == 200
    assert field_error(response.text, "region") == (
        "De chat van Utrecht is nu gesloten. Je kunt dag en nacht bellen met 0800 2000."
    )
    assert all_chats(app) == []


def test_professional_is_pointed_to_the_phone_and_gets_no_chat(app, client):
    response = start_chat(client, role="professional")
    assert response.status_code == 200
    page = text_of(response.text)
    assert "Als professional bereik je een adviseur van Veilig Thuis telefonisch" in page
    assert 'href="tel:08002000"' in response.text
    assert all_chats(app) == []
    assert "chat" not in session_of(app, client)


def test_valid_form_puts_the_visitor_in_the_queue(app, client):
    response = start_chat(client, nickname="Mila", age="15", gender="girl", role="victim")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/w/{DEMO_SITE}"
    (chat,) = all_chats(app)
    assert (chat.status, chat.region_code, chat.nickname) == ("waiting", "DEMO", "Mila")
    assert (chat.age, chat.gender, chat.role) == (15, "girl", "victim")


def test_optional_answers_may_stay_empty(app, client):
    start_chat(client, nickname="Mila")
    (chat,) = all_chats(app)
    assert (chat.age, chat.gender, chat.role) == (None, None, None)


def test_session_cookie_is_host_only_secure_partitioned_and_holds_only_a_token(app, client):
    response = start_chat(client)
    (set_cookie,) = response.headers.getlist("Set-Cookie")
    name, _, attributes = set_cookie.partition(";")
    assert name.startswith(f"{COOKIE}=")
    attributes = {a.strip().split("=")[0].lower(): a.strip() for a in attributes.split(";")}
    assert {"secure", "httponly", "partitioned"} <= set(attributes)
    assert attributes["samesite"] == "SameSite=None"
    assert attributes["path"] == "Path=/"
    assert "domain" not in attributes
    assert "expires" not in attributes and "max-age" not in attributes
    (chat,) = all_chats(app)
    # The chat's random token (also kept as the last chat's, for a block on it: see
    # tests/test_blocks.py), and the random CSRF secret of the session: nothing else.
    assert session_of(app, client).keys() == {"chat", "last_chat", "csrf_token"}
    assert session_of(app, client)["chat"] == session_of(app, client)["last_chat"] == chat.token


def test_reload_shows_the_place_in_the_queue(client):
    start_chat(client, nickname="Anna")
    other = client.application.test_client()
    start_chat(other, nickname="Bo")
    assert "Je bent nummer 1" in text_of(client.get(f"/w/{DEMO_SITE}").text)
    assert "Je bent nummer 2" in text_of(other.get(f"/w/{DEMO_SITE}").text)


def test_the_start_form_leads_back_to_an_open_chat(app, client):
    start_chat(client)
    response = client.get(f"/w/{DEMO_SITE}/start")
    assert response.status_code == 303
    start_chat(client, nickname="Again")
    assert len(all_chats(app)) == 1


def test_reload_shows_the_chat_with_its_history_in_order(app, client):
    start_chat(client)
    (chat,) = all_chats(app)
    accept_as(app, chat.id)
    client.post(f"/w/{DEMO_SITE}/send", data={"body": "Hallo, ik wil iets vragen"})
    add_message(app, chat.id, "worker", "Hoi Mila, vertel maar")
    client.post(f"/w/{DEMO_SITE}/send", data={"body": "Het gaat over thuis"})
    html = client.get(f"/w/{DEMO_SITE}").text
    page = text_of(html)
    assert "Je chat met Sanne van Veilig Thuis Demo-regio (altijd open)" in page
    bodies = re.findall(r'<p class="vt-msg-body">(.*?)</p>', html)
    assert bodies == ["Hallo, ik wil iets vragen", "Hoi Mila, vertel maar", "Het gaat over thuis"]
    assert re.findall(r'data-seq="(\d+)"', html) == ["1", "2", "3"]


def test_message_times_are_shown_in_amsterdam_time(app, client):
    start_chat(client)
    (chat,) = all_chats(app)
    accept_as(app, chat.id)
    client.post(f"/w/{DEMO_SITE}/send", data={"body": "Hallo"})
    html = client.get(f"/w/{DEMO_SITE}").text
    # The clock stands at 09:00 UTC on 18 November: 10:00 in Amsterdam.
    assert '<span class="vt-msg-time">10:00</span>' in html


def test_visitor_message_is_stored_and_shown_escaped(app, client):
    start_chat(client)
    (chat,) = all_chats(app)
    accept_as(app, chat.id)
    attack = "<script>alert(1)</script>"
    response = client.post(f"/w/{DEMO_SITE}/send", data={"body": attack})
    assert response.status_code == 303
    with app.app_context():
        assert [m.body for m in chats.messages(chat.id)] == [attack]
    visitor_html = client.get(f"/w/{DEMO_SITE}").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in visitor_html
    assert attack not in visitor_html
    worker = app.test_client()
    log_in(worker)
    console_html = worker.get(f"/console/chats/{chat.id}").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in console_html
    assert attack not in console_html


def test_empty_message_is_refused_in_dutch(app, client):
    start_chat(client)
    (chat,) = all_chats(app)
    accept_as(app, chat.id)
    response = client.post(
        f"/w/{DEMO_SITE}/send", data={"body": ""}, headers={"HX-Request": "true"}
    )
    assert "Typ eerst een bericht." in text_of(response.text)
    with app.app_context():
        assert chats.messages(chat.id) == []


def test_sending_while_waiting_stores_nothing(app, client):
    start_chat(client)
    response = client.post(f"/w/{DEMO_SITE}/send", data={"body": "Hallo?"})
    assert response.status_code == 200
    assert "Je bent nummer 1" in text_of(response.text)
    with app.app_context(), db.session() as s:
        assert list(s.exec(select(Message))) == []


def test_sending_without_a_chat_leads_back_to_the_pop_up(client):
    response = client.post(f"/w/{DEMO_SITE}/send", data={"body": "Hallo"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/w/{DEMO_SITE}"


# --- ending ---------------------------------------------------------------------------------


def test_ending_the_chat_asks_first(app, client):
    start_chat(client)
    (chat,) = all_chats(app)
    accept_as(app, chat.id)
    response = client.get(f"/w/{DEMO_SITE}/end")
    page = text_of(response.text)
    assert "Wil je de chat beëindigen?" in page
    assert "Ja, beëindig de chat" in page
    assert "Nee, ga terug" in page
    with app.app_context():
        assert chats.get(chat.id).status == "active"


def test_confirming_ends_the_chat_and_shows_the_phone_numbers(app, client):
    start_chat(client)
    (chat,) = all_chats(app)
    accept_as(app, chat.id)
    response = client.post(f"/w/{DEMO_SITE}/end")
    assert response.status_code == 303
    with app.app_context():
        ended = chats.get(chat.id)
    assert (ended.status, ended.ended_by) == ("ended", "visitor")
    assert response.headers["Location"] == f"/w/{DEMO_SITE}?continued=1"
    page = text_of(client.get(response.headers["Location"]).text)
    assert "Het gesprek is beëindigd. Bedankt dat je met Veilig Thuis hebt gechat." in page
    assert (
        "Je kunt ons dag en nacht gratis bellen op 0800 2000. Ben je nu in gevaar? Bel 112." in page
    )
    assert "Je chat met Sanne is beëindigd" in page


def test_no_going_back_gives_the_message_box_again(app, client):
    start_chat(client)
    (chat,) = all_chats(app)
    accept_as(app, chat.id)
    client.get(f"/w/{DEMO_SITE}/end")
    html = client.get(f"/w/{DEMO_SITE}/composer", headers={"HX-Request": "true"}).text
    assert re.search(r'<textarea[^>]*\bautofocus\b[^>]*name="body"', html)
    with app.app_context():
        assert chats.get(chat.id).status == "active"


def test_leaving_the_queue_asks_first_then_gives_up_the_place(app, client):
    start_chat(client)
    (chat,) = all_chats(app)
    page = text_of(client.get(f"/w/{DEMO_SITE}/end").text)
    assert "Wil je stoppen met wachten? Je raakt dan je plek in de wachtrij kwijt." in page
    with app.app_context():
        assert chats.get(chat.id).status == "waiting"
    client.post(f"/w/{DEMO_SITE}/end")
    with app.app_context():
        left = chats.get(chat.id)
    assert (left.status, left.ended_by) == ("abandoned", "visitor")


def test_after_the_end_a_new_chat_can_start(app, client):
    start_chat(client)
    client.post(f"/w/{DEMO_SITE}/end")
    response = client.post(f"/w/{DEMO_SITE}/new")
    assert response.status_code == 303
    assert "chat" not in session_of(app, client)
    assert "De chat is nu open." in text_of(client.get(f"/w/{DEMO_SITE}").text)
    start_chat(client, nickname="Mila2")
    assert [c.status for c in all_chats(app)] == ["abandoned", "waiting"]


def test_an_open_chat_is_not_forgotten_by_new(app, client):
    start_chat(client)
    client.post(f"/w/{DEMO_SITE}/new")
    assert "Je bent nummer 1" in text_of(client.get(f"/w/{DEMO_SITE}").text)


# --- htmx fragments and whole pages -----------------------------------------------------------


def test_htmx_request_gets_only_the_panel(client):
    html = client.get(f"/w/{DEMO_SITE}", headers={"HX-Request": "true"}).text
    assert "<html" not in html
    assert html.lstrip().startswith('<section id="vt-panel"')


def test_plain_request_gets_the_whole_page(client):
    html = client.get(f"/w/{DEMO_SITE}").text
    assert html.lstrip().lower().startswith("<!doctype html>")
    assert '<section id="vt-panel"' in html
    # The vendored htmx, under a name that carries its hash (backend/static_files.py).
    assert re.search(r'src="/w/static/vendor/htmx-2\.0\.11\.min\.[0-9a-f]{12}\.js"', html)


def test_htmx_start_returns_the_chat_panel_in_place(app, client):
    response = start_chat(client, nickname="Mila")
    assert response.status_code == 303  # without htmx: a redirect to the page
    other = app.test_client()
    response = other.post(
        f"/w/{DEMO_SITE}/start",
        data={"nickname": "Bo", "region": "DEMO"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert "Je bent nummer 2" in text_of(response.text)
    assert f'ws-connect="wss://localhost/w/{DEMO_SITE}/ws?t=' in response.text


def test_htmx_form_errors_come_back_as_the_form_panel(client):
    assert "<html" in start_chat(client, nickname="").text
    htmx = client.post(
        f"/w/{DEMO_SITE}/start",
        data={"nickname": "", "region": "DEMO"},
        headers={"HX-Request": "true"},
    )
    assert "<html" not in htmx.text
    assert field_error(htmx.text, "nickname")


def forms_posting_to(app, html: str) -> set[str]:
    """The endpoints the page's forms post to without htmx; each form must post somewhere real.

    A form works without htmx when its method is post and its action is an address that takes
    a post; when htmx enhances it, htmx posts to that same address.
    """
    adapter = app.url_map.bind("localhost")
    endpoints = set()
    for form in BeautifulSoup(html, "html.parser").find_all("form"):
        assert form.get("method") == "post", form
        action = form.get("action")
        assert action, f"a form without an action: {form}"
        assert form.get("hx-post") in (None, action), form
        endpoint, _args = adapter.match(action, method="POST")  # 404/405 if nothing takes it
        endpoints.add(endpoint)
    return endpoints


def test_forms_work_without_htmx(app, client):
    """Every form of the pop-up, in every state of a chat, posts to a real address.

    Each state names the forms it must have, so a page that lost its form fails too.
    """
    site = f"/w/{DEMO_SITE}"
    pages = {"the start form": (client.get(f"{site}/start").text, {"widget.start"})}
    start_chat(client)
    (chat,) = all_chats(app)
    pages["stop waiting?"] = (client.get(f"{site}/end").text, {"widget.end"})
    accept_as(app, chat.id)
    pages["the chat"] = (client.get(site).text, {"widget.send"})
    pages["end the chat?"] = (client.get(f"{site}/end").text, {"widget.end"})
    ended = client.post(f"{site}/end", follow_redirects=True).text
    pages["after the end"] = (ended, {"widget.new"})
    for state, (html, expected) in pages.items():
        found = forms_posting_to(app, html)
        assert expected <= found, f"{state}: forms post to {sorted(found)}"


# --- CSRF -----------------------------------------------------------------------------------


def test_a_form_post_without_token_is_refused_in_dutch(app, client):
    client.get(f"/w/{DEMO_SITE}/start")
    response = start_chat(client, csrf_token="")
    assert response.status_code == 200
    page = text_of(response.text)
    assert "Dit formulier was verlopen. Probeer het nog een keer." in page
    # Still shown inside the pop-up: framed by the site, with the way out and the numbers.
    assert f"frame-ancestors {DEMO_ORIGIN}" in response.headers["Content-Security-Policy"]
    assert "Verberg deze pagina" in page
    assert all_chats(app) == []
    assert "chat" not in session_of(app, client)


def test_an_htmx_post_without_token_replaces_the_whole_panel(app, client):
    start_chat(client)
    (chat,) = all_chats(app)
    accept_as(app, chat.id)
    response = client.post(
        f"/w/{DEMO_SITE}/send",
        data={"body": "Hallo", "csrf_token": ""},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    # The message box asked for this; the answer says where it goes instead.
    assert response.headers["HX-Retarget"] == "#vt-panel"
    assert response.headers["HX-Reswap"] == "outerHTML"
    assert "<html" not in response.text
    assert "Dit formulier was verlopen. Probeer het nog een keer." in text_of(response.text)


def test_a_message_without_token_is_not_stored(app, client):
    start_chat(client)
    (chat,) = all_chats(app)
    accept_as(app, chat.id)
    client.post(f"/w/{DEMO_SITE}/send", data={"body": "Hallo", "csrf_token": ""})
    client.post(f"/w/{DEMO_SITE}/end", data={"csrf_token": ""})
    with app.app_context():
        assert chats.messages(chat.id) == []
        assert chats.get(chat.id).status == "active"


def test_the_forms_token_is_accepted(app, client):
    html = client.get(f"/w/{DEMO_SITE}/start").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    response = start_chat(client, csrf_token=token)
    assert response.status_code == 303
    assert len(all_chats(app)) == 1


def test_behind_a_tls_proxy_the_socket_address_is_wss_and_public(make_app):
    app = make_app(PROXY_HOPS=1)
    client = app.test_client()
    proxied = {
        "base_url": "http://127.0.0.1:8000",
        "headers": {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "chat.example"},
    }
    form = client.get(f"/w/{DEMO_SITE}/start", **proxied).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    data = {"nickname": "Mila", "region": "DEMO", "csrf_token": token}
    assert client.post(f"/w/{DEMO_SITE}/start", data=data, **proxied).status_code == 303
    page = client.get(f"/w/{DEMO_SITE}", **proxied).text
    assert 'ws-connect="wss://chat.example/w/demo-utrecht/ws?t=' in page


@pytest.mark.parametrize("path", [f"/w/{DEMO_SITE}", "/console/login"])
def test_every_page_locks_htmx_down(client, path):
    # No eval, no scripts inside swapped HTML, and no page copies kept in localStorage.
    head = client.get(path).text.split("</head>")[0]
    config = re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", head).group(1)
    assert json.loads(config) == {
        "allowEval": False,
        "allowScriptTags": False,
        "includeIndicatorStyles": False,
        "historyCacheSize": 0,
        "selfRequestsOnly": True,
        # Error answers are swapped too: they are Dutch fragments (tests/test_faults.py).
        "responseHandling": [
            {"code": "204", "swap": False},
            {"code": "[23]..", "swap": True},
            {"code": "[45]..", "swap": True, "error": True},
        ],
    }
    assert '<meta name="referrer" content="no-referrer">' in head


def test_after_a_refused_form_the_first_field_with_a_message_gets_the_focus(client):
    page = start_chat(client, nickname="Mila", postcode="12a", age="300").text
    autofocused = re.findall(r"<input[^>]*\bautofocus\b[^>]*>", page)
    assert len(autofocused) == 1 and 'name="postcode"' in autofocused[0]
    fresh = client.get(f"/w/{DEMO_SITE}/start").text
    assert "autofocus" not in fresh
