"""Limits: body size, field lengths and characters, rate limits, hosts, HSTS, the Origin
check and the access log. Each refusal is said in Dutch and gives no 5xx."""

import io
import logging
import re
import urllib.error
import urllib.request
from datetime import timedelta
from types import SimpleNamespace

import pytest
from gunicorn.config import Config
from gunicorn.glogging import SafeAtoms

from backend import chats, regions
from backend.access_log import AccessLog
from backend.config import from_environment
from backend.extensions import limiter
from backend.rate_limits import client_key
from backend.sockets import same_origin
from e2e.harness import serve
from tests.helpers import (
    DEMO_SITE,
    all_chats,
    log_in,
    start_chat,
    taken_chat,
    text_of,
)
from tests.test_gunicorn_conf import load_conf
from tests.test_sockets import connect, receive, receive_close, server, visitor  # noqa: F401 (fixtures)

START = f"/w/{DEMO_SITE}/start"
SEND = f"/w/{DEMO_SITE}/send"
HTMX = {"HX-Request": "true"}


def client_from(app, address: str):
    """A browser of its own at another address (the limiter keys on a hash of it)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def echoed_nickname(page: str) -> str:
    return re.search(r'name="nickname"[^>]*value="([^"]*)"', page).group(1)


def message_box(page: str) -> str:
    found = re.search(r'<textarea[^>]*name="body"[^>]*>([^<]*)</textarea>', page)
    return found.group(1).removeprefix("\r\n")  # WTForms opens the box with a line break


# Sizes and lengths


def test_a_body_over_the_size_limit_is_refused_in_dutch_and_not_echoed(app, client):
    response = start_chat(client, nickname="N" * 100_000)
    assert response.status_code == 413
    assert "Je tekst is te lang." in text_of(response.text)
    assert "N" * 100 not in response.text
    assert all_chats(app) == []


def test_an_over_long_nickname_is_refused_and_echoed_only_up_to_its_maximum(app, client):
    response = start_chat(client, nickname="N" * 30_000)
    assert response.status_code == 200
    assert "Houd je bijnaam korter dan 40 tekens." in text_of(response.text)
    assert echoed_nickname(response.text) == "N" * 40
    assert all_chats(app) == []


def test_an_over_long_message_is_refused_and_echoed_only_up_to_its_maximum(app, client):
    chat_id = taken_chat(app, client)
    response = client.post(SEND, data={"body": "b" * 30_000}, headers=HTMX)
    assert "Een bericht mag hoogstens 2000 tekens lang zijn." in text_of(response.text)
    # With htmx the box on screen keeps its text and nothing is echoed (message_boxes.py).
    assert "<textarea" not in response.text and "b" * 2001 not in response.text
    response = client.post(SEND, data={"body": "b" * 30_000})
    assert message_box(response.text) == "b" * 2000
    with app.app_context():
        assert chats.messages(chat_id) == []


def test_an_over_long_username_is_not_echoed(client):
    response = client.post("/console/login", data={"username": "u" * 30_000, "password": "x"})
    assert response.status_code < 500
    assert "u" * 65 not in response.text


# Characters


@pytest.mark.parametrize(
    "nickname",
    [
        "Mi\u202ela",  # right-to-left override: the name would read backwards
        "Mi\u200fla",  # right-to-left mark
        "Mi\u200bla",  # zero-width space
        "Mi\x00la",  # NUL
        "Mi\x1bla",  # escape
        "Mi\ue000la",  # private use
        "Mi\u0378la",  # unassigned
    ],
)
def test_a_nickname_with_hidden_or_turning_characters_is_refused_in_dutch(app, client, nickname):
    response = start_chat(client, nickname=nickname)
    assert response.status_code == 200
    assert "In je bijnaam staat een teken dat we niet kunnen laten zien." in text_of(response.text)
    assert all_chats(app) == []


def test_a_nickname_is_kept_composed_and_may_hold_emoji(app, client):
    assert start_chat(client, nickname="Zoe\u0308 🌸").status_code == 303
    assert all_chats(app)[0].nickname == "Zoë 🌸"


@pytest.mark.parametrize("body", ["hoi\x00", "a\x07b", "\x1b[31mrood", "x\x7f"])
def test_a_message_with_control_characters_is_refused_and_kept_in_the_box(app, client, body):
    chat_id = taken_chat(app, client)
    response = client.post(SEND, data={"body": body}, headers=HTMX)
    assert "In je bericht staat een teken dat we niet kunnen versturen." in text_of(response.text)
    with app.app_context():
        assert chats.messages(chat_id) == []


def test_line_breaks_and_tabs_go_through_as_typed(app, client):
    chat_id = taken_chat(app, client)
    assert client.post(SEND, data={"body": "regel 1\r\nregel 2\tklaar"}).status_code == 303
    with app.app_context():
        assert [m.body for m in chats.messages(chat_id)] == ["regel 1\nregel 2\tklaar"]


@pytest.mark.parametrize(
    "age", ["²", "１２", "١٢", "9" * 4300, "9" * 5000, "-5", "1e2", "12.5", "0", "5", "121"]
)
def test_an_odd_age_gets_the_dutch_age_message(app, age):
    response = start_chat(app.test_client(), age=age)
    assert response.status_code == 200
    assert "Vul je leeftijd in jaren in (6 tot 120), of laat dit veld leeg." in text_of(
        response.text
    )
    assert len(re.search(r'name="age"[^>]*value="([^"]*)"', response.text).group(1)) <= 3
    assert all_chats(app) == []


def test_a_plain_age_is_taken(app, client):
    assert start_chat(client, age=" 14 ").status_code == 303
    assert all_chats(app)[0].age == 14


@pytest.mark.parametrize("postcode", ["３５１１", "١٢٣٤", "35111", "3511" * 1000])
def test_an_odd_postcode_gets_the_dutch_postcode_message(app, client, postcode):
    response = start_chat(client, postcode=postcode)
    assert response.status_code == 200
    assert "Vul alleen de vier cijfers van je postcode in" in text_of(response.text)


@pytest.mark.parametrize("region", ["\x00", "VT01\x00", "X" * 5000, "NOPE"])
def test_an_odd_region_is_refused_in_dutch_before_the_database_sees_it(
    app, client, region, monkeypatch
):
    asked = []
    monkeypatch.setattr(regions, "get", lambda code: asked.append(code))
    response = start_chat(client, region=region)
    assert response.status_code == 200
    assert "Kies een regio uit de lijst." in text_of(response.text)
    assert region not in asked  # PostgreSQL refuses NUL in text: that would be a 500


# Files, JSON and an unknown site


def test_a_file_posted_as_the_message_is_no_message(app, client):
    chat_id = taken_chat(app, client)
    data = {"body": (io.BytesIO(b"hallo"), "body.txt")}
    response = client.post(SEND, data=data, content_type="multipart/form-data", headers=HTMX)
    assert response.status_code == 200
    assert "Typ eerst een bericht." in text_of(response.text)
    with app.app_context():
        assert chats.messages(chat_id) == []


def test_a_file_posted_as_the_nickname_is_no_nickname(app, client):
    response = start_chat(client, nickname=(io.BytesIO(b"Mila"), "nickname.txt"))
    assert response.status_code == 200
    assert "Vul een bijnaam in." in text_of(response.text)
    assert all_chats(app) == []


def test_a_json_body_is_no_form(app, client):
    token = client.csrf_token(START)
    headers = {"X-CSRFToken": token, "Content-Type": "application/json"}
    response = client.post(START, data='[1, {"nickname": "Mila"}]', headers=headers)
    assert response.status_code == 200
    assert "Vul een bijnaam in." in text_of(response.text)


@pytest.mark.parametrize("action", ["start", "send", "end", "new"])
def test_a_post_without_its_token_to_an_unknown_site_is_not_found(client, action):
    response = client.post(f"/w/no-such-site/{action}", data={"csrf_token": ""})
    assert response.status_code == 404


# Rate limits


def test_a_client_starting_too_many_chats_is_refused_in_dutch_and_keeps_the_form(make_app):
    app = make_app(START_LIMIT_PER_CLIENT="3 per 10 minutes")
    for _ in range(3):
        assert start_chat(client_from(app, "192.0.2.1")).status_code == 303
    refused = start_chat(client_from(app, "192.0.2.1"), nickname="Noor", age="15")
    assert refused.status_code == 429
    assert "Je hebt in korte tijd een paar chats gestart." in text_of(refused.text)
    assert echoed_nickname(refused.text) == "Noor"
    assert 'value="15"' in refused.text
    assert len(all_chats(app)) == 3
    # Another visitor is not held up by it.
    assert start_chat(client_from(app, "192.0.2.2")).status_code == 303
    assert len(all_chats(app)) == 4


def test_a_form_with_a_mistake_uses_up_no_start(make_app):
    app = make_app(START_LIMIT_PER_CLIENT="1 per 10 minutes")
    client = app.test_client()
    for _ in range(3):
        assert start_chat(client, nickname="").status_code == 200
    assert start_chat(client).status_code == 303


def test_a_flood_of_chats_fills_a_regions_queue_only_up_to_its_limit(make_app):
    app = make_app(START_LIMIT_PER_REGION="5 per minute")
    answers = [start_chat(client_from(app, f"198.51.100.{n}")) for n in range(12)]
    assert [a.status_code for a in answers] == [303] * 5 + [429] * 7
    assert "Het is nu heel druk in de chat van" in text_of(answers[-1].text)
    assert len([c for c in all_chats(app) if c.region_code == "DEMO"]) == 5
    # Another region's queue is not touched by the flood.
    elsewhere = start_chat(client_from(app, "198.51.100.99"), region="VT01")
    assert elsewhere.status_code == 303


def test_too_many_messages_in_a_chat_are_refused_in_dutch_and_the_text_stays(make_app):
    app = make_app(VISITOR_MESSAGE_LIMIT="3 per minute")
    client = app.test_client()
    chat_id = taken_chat(app, client)
    for n in range(3):
        assert client.post(SEND, data={"body": f"bericht {n}"}, headers=HTMX).status_code == 200
    refused = client.post(SEND, data={"body": "nog eentje"}, headers=HTMX)
    assert refused.status_code == 429
    assert "Je stuurt veel berichten snel na elkaar." in text_of(refused.text)
    assert "<textarea" not in refused.text  # the box on screen is left with its text
    with app.app_context():
        assert [m.body for m in chats.messages(chat_id)] == [f"bericht {n}" for n in range(3)]
    # The worker of that chat, and another visitor's chat, go on.
    worker = app.test_client()
    log_in(worker)
    answer = worker.post(f"/console/chats/{chat_id}/send", data={"body": "Ik lees je"})
    assert answer.status_code == 303
    other = client_from(app, "192.0.2.7")
    other_chat = taken_chat(app, other, nickname="Sam")
    assert other.post(SEND, data={"body": "hoi"}).status_code == 303
    with app.app_context():
        assert [m.body for m in chats.messages(other_chat)] == ["hoi"]


def test_a_worker_sending_too_many_messages_is_refused_and_the_text_stays(make_app):
    app = make_app(WORKER_MESSAGE_LIMIT="2 per minute")
    chat_id = taken_chat(app, app.test_client())
    worker = app.test_client()
    log_in(worker)
    send = f"/console/chats/{chat_id}/send"
    for n in range(2):
        assert worker.post(send, data={"body": f"antwoord {n}"}, headers=HTMX).status_code == 200
    refused = worker.post(send, data={"body": "nog een antwoord"}, headers=HTMX)
    assert refused.status_code == 429
    assert "Je stuurt veel berichten snel na elkaar." in text_of(refused.text)
    assert "<textarea" not in refused.text  # the box on screen is left with its text
    with app.app_context():
        assert len(chats.messages(chat_id)) == 2


def test_a_visitor_is_not_refused_when_the_counters_cannot_be_reached(
    app, client, monkeypatch, caplog
):
    def unreachable(*args, **kwargs):
        raise ConnectionError("redis is away")

    monkeypatch.setattr(limiter.limiter, "hit", unreachable)
    with caplog.at_level(logging.WARNING, logger="backend.rate_limits"):
        assert start_chat(client).status_code == 303
    assert "not counted" in caplog.text


def test_the_limiter_never_logs_a_clients_key(make_app, caplog):
    app = make_app(LOGIN_CLIENT_LIMITS="1 per minute")
    client = app.test_client()
    with app.test_request_context(environ_base={"REMOTE_ADDR": "127.0.0.1"}):
        key = client_key()
    with caplog.at_level(logging.INFO):  # every logger: Flask-Limiter's and ours
        for _ in range(3):
            log_in(client, password="wrong")
    assert "exceeded" in caplog.text
    assert key not in caplog.text


# Hosts, HSTS and the Origin check


def test_hsts_is_sent_over_https_only(client):
    secure = client.get(f"/w/{DEMO_SITE}", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains"
    plain = client.get(f"/w/{DEMO_SITE}", base_url="http://localhost")
    assert "Strict-Transport-Security" not in plain.headers


@pytest.mark.parametrize("path", [f"/w/{DEMO_SITE}", "/console", "/console/login", "/nowhere"])
def test_a_host_not_ours_is_refused_and_never_named_back(client, path):
    response = client.get(path, base_url="https://evil.example")
    assert response.status_code == 400
    assert "evil" not in response.text
    assert "evil" not in response.headers.get("Location", "")


def test_by_default_the_hosts_are_those_of_the_chat_and_the_demo_pages(make_app):
    app = make_app(
        TRUSTED_HOSTS=None,
        CHAT_BASE_URL="https://chat.example:8443",
        DEMO_ORIGIN="https://demo.example",
    )
    assert app.config["TRUSTED_HOSTS"] == ["chat.example", "demo.example"]
    client = app.test_client()
    assert client.get(f"/w/{DEMO_SITE}", base_url="https://chat.example:8443").status_code == 200
    assert client.get(f"/w/{DEMO_SITE}", base_url="https://localhost").status_code == 400


def test_the_hosts_can_be_set(monkeypatch):
    monkeypatch.setenv("VTCHAT_TRUSTED_HOSTS", "chat.example, .veiligthuis.example")
    assert from_environment()["TRUSTED_HOSTS"] == ["chat.example", ".veiligthuis.example"]


@pytest.mark.parametrize(
    ("base_url", "origin", "allowed"),
    [
        ("https://localhost", "https://localhost", True),
        ("http://localhost:8000", "http://localhost:8000", True),
        ("https://localhost", "http://localhost", False),
        ("http://localhost", "https://localhost", False),
        ("https://localhost", "https://demo.example", False),
        ("https://localhost", "null", False),
        ("https://localhost", "", False),
    ],
)
def test_the_socket_origin_must_match_in_scheme_and_host(app, base_url, origin, allowed):
    headers = {"Origin": origin} if origin else {}
    with app.test_request_context("/console/ws", base_url=base_url, headers=headers):
        assert same_origin() is allowed


def test_a_socket_from_a_page_of_the_other_scheme_is_refused(server, visitor):  # noqa: F811
    # The same host and port, but an https page for this plain-http socket.
    with connect(server, visitor.socket, visitor, origin=f"https://{server}") as ws:
        assert receive_close(ws) == 1008
    with connect(server, visitor.socket, visitor, origin=f"http://{server}") as ws:
        assert 'id="vt-composer"' in receive(ws)


# The access log


def _access_line(path: str, fmt: str | None = None) -> str:
    conf = load_conf()
    config = Config()
    logger = AccessLog(config)
    resp = SimpleNamespace(status="200 OK", sent=12, headers=[])
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": path + "?t=secret",
        "PATH_INFO": path,
        "QUERY_STRING": "t=secret",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.9",
        "HTTP_USER_AGENT": "Mozilla/5.0 Kind",
        "HTTP_REFERER": "https://demo.example/page",
    }
    req = SimpleNamespace(headers=[("USER-AGENT", "Mozilla/5.0 Kind")])
    atoms = logger.atoms(resp, req, environ, timedelta(milliseconds=3))
    return (fmt or conf.access_log_format) % SafeAtoms(atoms)


def test_the_access_log_escapes_control_characters_in_the_path():
    line = _access_line('/w/x\n[01/Jan/2026:00:00:00 +0000] "GET /forged" 200\r\x00\x1b\u0085')
    assert "\n" not in line and "\r" not in line and "\x00" not in line
    assert "\x1b" not in line and "\u0085" not in line
    assert '/w/x\\n[01/Jan/2026:00:00:00 +0000] \\"GET /forged\\" 200\\r\\x00\\x1b\\x85' in line


def test_the_access_log_names_no_client_even_when_the_format_asks():
    line = _access_line("/w/x", fmt="%(h)s %(a)s %(f)s %(q)s %(r)s %({user-agent}i)s %(U)s")
    for secret in ("203.0.113.9", "Mozilla", "demo.example", "secret"):
        assert secret not in line
    assert line.endswith("/w/x")


def test_gunicorn_uses_the_escaping_access_log():
    assert load_conf().logger_class == "backend.access_log.AccessLog"


def test_a_forged_line_never_reaches_the_real_access_log(tmp_path):
    with serve(tmp_path) as running:
        for path in ("/w/x%0a%5B01/Jan/2026%5D%20%22GET%20/forged%22%20200", "/w/y%0d%0aHi"):
            try:
                urllib.request.urlopen(f"{running.chat_base}{path}", timeout=10)
            except urllib.error.HTTPError as refused:
                assert refused.code == 404
    log = running.log_path.read_text()  # once gunicorn has stopped: every line is written
    lines = [line for line in log.splitlines() if '"GET /w/x' in line or '"GET /w/y' in line]
    assert len(lines) == 2
    assert '/w/x\\n[01/Jan/2026] \\"GET /forged\\" 200"' in lines[0]
    assert not any(line.startswith("[01/Jan/2026]") or line == "Hi" for line in log.splitlines())
