"""A browser that refuses our cookie still chats: the page carries the session, CSRF holds."""

import html
import json
import re

import pytest

from backend import chats
from tests.helpers import DEMO_SITE, all_chats, text_of

HEADER = "X-VTChat-Session"


class CookielessVisitor:
    """Like a browser that drops every cookie we set: it only has what the page gives it.

    htmx sends the panel's hx-headers with every request from inside the panel.
    """

    def __init__(self, app):
        self.client = app.test_client(use_cookies=False)
        self.carried: str | None = None

    def request(self, method: str, path: str, **kwargs):
        headers = {"HX-Request": "true", **kwargs.pop("headers", {})}
        if self.carried:
            headers[HEADER] = self.carried
        response = self.client.open(path, method=method, headers=headers, **kwargs)
        found = re.search(r"hx-headers='([^']+)'", response.text)
        if found and HEADER in found.group(1):
            self.carried = json.loads(html.unescape(found.group(1)))[HEADER]
        return response

    def form_token(self, page: str) -> str:
        return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


@pytest.fixture
def visitor(app):
    return CookielessVisitor(app)


def start(visitor):
    page = visitor.request("GET", f"/w/{DEMO_SITE}/start").text
    data = {"nickname": "Mila", "region": "DEMO", "csrf_token": visitor.form_token(page)}
    return visitor.request("POST", f"/w/{DEMO_SITE}/start", data=data)


def test_without_cookies_a_visitor_starts_chats_and_ends(app, visitor):
    response = start(visitor)
    assert "Je bent nummer 1" in text_of(response.text)
    (chat,) = all_chats(app)
    with app.app_context():
        chats.accept(chat.id, 1)
    page = visitor.request("GET", f"/w/{DEMO_SITE}").text
    assert "Je chat met Sanne" in text_of(page)
    sent = visitor.request(
        "POST",
        f"/w/{DEMO_SITE}/send",
        data={"body": "Hallo", "csrf_token": visitor.form_token(page)},
    )
    assert sent.status_code == 200 and "Typ eerst een bericht" not in sent.text
    with app.app_context():
        assert [m.body for m in chats.messages(chat.id)] == ["Hallo"]
    ended = visitor.request(
        "POST", f"/w/{DEMO_SITE}/end", data={"csrf_token": visitor.form_token(page)}
    )
    assert "Het gesprek is beëindigd." in text_of(ended.text)
    (chat,) = all_chats(app)
    assert (chat.status, chat.ended_by) == ("ended", "visitor")


def test_the_carried_session_never_replaces_the_form_token(app, visitor):
    start(visitor)
    (chat,) = all_chats(app)
    with app.app_context():
        chats.accept(chat.id, 1)
    # The session alone (as a forged request would have it) is refused, in Dutch.
    refused = visitor.request("POST", f"/w/{DEMO_SITE}/send", data={"body": "Hallo"})
    assert "Dit formulier was verlopen" in text_of(refused.text)
    with app.app_context():
        assert chats.messages(chat.id) == []


def test_a_session_in_a_form_field_is_not_taken(app):
    # A page on another site can post form fields, but not a header: only the header counts.
    carrier = CookielessVisitor(app)
    page = carrier.request("GET", f"/w/{DEMO_SITE}/start").text
    forged = app.test_client(use_cookies=False).post(
        f"/w/{DEMO_SITE}/start",
        data={
            "nickname": "Mila",
            "region": "DEMO",
            "csrf_token": carrier.form_token(page),
            HEADER: carrier.carried,
        },
    )
    assert "Dit formulier was verlopen" in text_of(forged.text)
    assert all_chats(app) == []


def test_the_console_never_takes_a_carried_session(app, visitor):
    start(visitor)
    response = app.test_client(use_cookies=False).get(
        "/console/", headers={HEADER: visitor.carried}
    )
    assert response.status_code == 303


def test_a_browser_that_keeps_the_cookie_gets_no_session_in_the_page(client):
    # The open-or-closed page is the same for all and sets none; the form sets the cookie.
    client.get(f"/w/{DEMO_SITE}/start")
    page = client.get(f"/w/{DEMO_SITE}/start").text
    assert HEADER not in page


def test_the_carried_session_is_in_no_address(app, visitor):
    response = start(visitor)
    assert visitor.carried
    for url in re.findall(
        r'(?:href|action|src|ws-connect|hx-get|hx-post|ping)="([^"]*)"', response.text
    ):
        assert visitor.carried not in html.unescape(url)
