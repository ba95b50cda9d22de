"""The worker console: logging in, the region's queue, accepting, chatting and ending."""

import re

import pytest
from bs4 import BeautifulSoup
from sqlmodel import select

from backend import chats, db, workers
from backend.models import Worker
from tests.helpers import DEMO_SITE, all_chats, log_in, start_chat, text_of

WRONG_LOGIN = "Gebruikersnaam of wachtwoord klopt niet."
ALREADY_TAKEN = "Een collega heeft deze chat al aangenomen, of de bezoeker is weggegaan."


def new_chat(app, region="DEMO", nickname="Mila", **answers):
    with app.app_context():
        return chats.create(region, nickname, **answers)


def waiting_nicknames(html: str) -> list[str]:
    queue = BeautifulSoup(html, "html.parser").find(id="console-queue")
    return [nick.get_text() for nick in queue.select(".console-nick")]


def worker_id(app, username):
    with app.app_context(), db.session() as s:
        return s.exec(select(Worker).where(Worker.username == username)).one().id


def test_demo_worker_can_log_in(client):
    response = log_in(client, "demo", "demo")
    assert response.status_code == 303
    assert response.headers["Location"] == "/console/"
    page = text_of(client.get("/console/").text)
    assert "Sanne · Demo-regio (altijd open)" in page
    assert "Wachtend (0)" in page


def test_wrong_password_is_refused_in_dutch(client):
    response = log_in(client, "demo", "raden")
    assert response.status_code == 200
    assert WRONG_LOGIN in text_of(response.text)
    assert client.get("/console/").status_code == 303


def test_unknown_username_gets_the_same_answer(client):
    response = log_in(client, "niemand", "demo")
    assert response.status_code == 200
    assert WRONG_LOGIN in text_of(response.text)


def test_empty_login_fields_are_refused_in_dutch(client):
    page = text_of(log_in(client, "", "").text)
    assert "Vul je gebruikersnaam in." in page
    assert "Vul je wachtwoord in." in page


def test_passwords_are_stored_as_argon2id_hashes(app):
    with app.app_context(), db.session() as s:
        workers = list(s.exec(select(Worker)))
    assert workers
    for w in workers:
        assert w.password_hash.startswith("$argon2id$")
        assert w.password_hash != "demo"


@pytest.mark.parametrize(
    ("cost", "parameters"), [("standard", "m=65536,t=3,p=4"), ("tests", "m=1024,t=1,p=1")]
)
def test_a_deployment_hashes_at_rfc_9106s_cost_and_only_the_tests_cheaper(
    make_app, cost, parameters
):
    from backend import passwords

    with make_app(PASSWORD_HASHING=cost).app_context():
        made = passwords.hash_password("een lang wachtwoord")
        assert made.startswith(f"$argon2id$v=19${parameters}$")
        assert passwords.verify(made, "een lang wachtwoord")


def test_console_needs_a_login(client, app):
    chat = new_chat(app)
    for path in ("/console/", f"/console/chats/{chat.id}"):
        response = client.get(path)
        assert response.status_code == 303
        assert response.headers["Location"] == "/console/login"
    assert client.post(f"/console/chats/{chat.id}/accept").status_code == 303
    with app.app_context():
        assert chats.get(chat.id).status == "waiting"


def test_log_out(worker):
    assert worker.post("/console/logout").status_code == 303
    assert worker.get("/console/").status_code == 303


def test_console_pages_are_not_cached(worker):
    response = worker.get("/console/")
    assert response.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_dashboard_lists_only_the_waiting_chats_of_the_workers_region(app, worker, clock):
    new_chat(app, "DEMO", "Anna")
    new_chat(app, "VT20", "Utrecht-Bo")
    new_chat(app, "DEMO", "Cas")
    left = new_chat(app, "DEMO", "Weg")
    with app.app_context():
        chats.end(left.id, "visitor")
    html = worker.get("/console/").text
    assert waiting_nicknames(html) == ["Anna", "Cas"]
    assert "Wachtend (2)" in text_of(html)

    with app.app_context():
        workers.add("utrecht1", "Ilse", "VT20", "een lang wachtwoord")
    utrecht = app.test_client()
    log_in(utrecht, "utrecht1", "een lang wachtwoord")
    assert waiting_nicknames(utrecht.get("/console/").text) == ["Utrecht-Bo"]


def test_dashboard_shows_the_optional_answers_in_dutch(app, worker):
    new_chat(app, nickname="Mila", age=15, gender="girl", role="bystander")
    page = text_of(worker.get("/console/").text)
    assert "15 jaar" in page
    assert "omstander" in page
    assert "wacht 0 minuten" in page


def test_empty_queue_says_so(worker):
    page = text_of(worker.get("/console/").text)
    assert "Er wacht niemand." in page
    assert "Je hebt geen open chats." in page


def test_accept_opens_the_chat(app, worker):
    chat = new_chat(app, nickname="Mila", age=15, gender="girl")
    response = worker.post(f"/console/chats/{chat.id}/accept")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/console/chats/{chat.id}"
    page = text_of(worker.get(f"/console/chats/{chat.id}").text)
    assert "Chat met Mila" in page
    assert "In gesprek" in page
    assert "15 jaar" in page and "meisje / vrouw" in page
    with app.app_context():
        assert chats.get(chat.id).worker_id == worker_id(app, "demo")
    dashboard = worker.get("/console/").text
    assert waiting_nicknames(dashboard) == []
    tab = BeautifulSoup(dashboard, "html.parser").find(id=f"tab-{chat.id}")
    assert tab.a["href"] == f"/console/chats/{chat.id}"
    assert "Mila" in tab.get_text()


def test_a_colleague_who_is_too_late_is_told_so(app, worker):
    chat = new_chat(app)
    colleague = app.test_client()
    log_in(colleague, "demo2", "demo")
    worker.post(f"/console/chats/{chat.id}/accept")
    response = colleague.post(f"/console/chats/{chat.id}/accept")
    assert response.status_code == 303
    assert response.headers["Location"] == "/console/"
    assert ALREADY_TAKEN in text_of(colleague.get("/console/").text)
    with app.app_context():
        assert chats.get(chat.id).worker_id == worker_id(app, "demo")


def test_accepting_a_chat_the_visitor_left_is_told_so(app, worker):
    chat = new_chat(app)
    with app.app_context():
        chats.end(chat.id, "visitor")
    worker.post(f"/console/chats/{chat.id}/accept")
    assert ALREADY_TAKEN in text_of(worker.get("/console/").text)


def test_a_worker_cannot_take_a_chat_of_another_region(app, worker):
    chat = new_chat(app, "VT20", "Utrecht-Bo")
    assert worker.post(f"/console/chats/{chat.id}/accept").status_code == 404
    with app.app_context():
        assert chats.get(chat.id).status == "waiting"


def test_a_worker_cannot_open_a_colleagues_chat(app, worker):
    chat = new_chat(app)
    worker.post(f"/console/chats/{chat.id}/accept")
    colleague = app.test_client()
    log_in(colleague, "demo2", "demo")
    assert colleague.get(f"/console/chats/{chat.id}").status_code == 404
    assert colleague.post(f"/console/chats/{chat.id}/send", data={"body": "Hoi"}).status_code == 404
    assert colleague.post(f"/console/chats/{chat.id}/end").status_code == 404
    with app.app_context():
        assert chats.messages(chat.id) == []
        assert chats.get(chat.id).status == "active"


def test_a_waiting_chat_cannot_be_opened_before_accepting(app, worker):
    chat = new_chat(app)
    assert worker.get(f"/console/chats/{chat.id}").status_code == 404


def test_worker_sends_and_the_visitor_reads_it(app, worker, client):
    start_chat(client, nickname="Mila")
    (chat,) = all_chats(app)
    chat_id = chat.id
    worker.post(f"/console/chats/{chat_id}/accept")
    response = worker.post(
        f"/console/chats/{chat_id}/send", data={"body": "Hoi Mila, ik ben Sanne"}
    )
    assert response.status_code == 303
    with app.app_context():
        (message,) = chats.messages(chat_id)
    assert (message.sender, message.body, message.seq) == ("worker", "Hoi Mila, ik ben Sanne", 1)
    visitor_html = client.get(f"/w/{DEMO_SITE}").text
    assert re.search(
        r'vt-msg--worker".*?<span class="vt-msg-from">Sanne</span>.*?Hoi Mila, ik ben Sanne',
        visitor_html,
        re.S,
    )
    console_page = text_of(worker.get(f"/console/chats/{chat_id}").text)
    assert "Jij 10:00 Hoi Mila, ik ben Sanne" in console_page


def test_htmx_send_returns_an_empty_message_box(app, worker):
    chat = new_chat(app)
    worker.post(f"/console/chats/{chat.id}/accept")
    response = worker.post(
        f"/console/chats/{chat.id}/send", data={"body": "Hoi"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert re.search(r'<textarea id="console-body"[^>]*></textarea>', response.text)


def test_empty_message_is_refused_in_dutch(app, worker):
    chat = new_chat(app)
    worker.post(f"/console/chats/{chat.id}/accept")
    response = worker.post(f"/console/chats/{chat.id}/send", data={"body": ""})
    assert "Typ eerst een bericht." in text_of(response.text)
    with app.app_context():
        assert chats.messages(chat.id) == []


def test_worker_ends_the_chat_and_the_visitor_sees_the_closing_text(app, worker, client):
    start_chat(client, nickname="Mila")
    (chat,) = all_chats(app)
    chat_id = chat.id
    worker.post(f"/console/chats/{chat_id}/accept")
    # Ending takes the advice registration (tests/test_registration.py): a test chat needs
    # only its kind.
    response = worker.post(f"/console/chats/{chat_id}/end", data={"kind": "test"})
    assert response.status_code == 303
    with app.app_context():
        ended = chats.get(chat_id)
    assert (ended.status, ended.ended_by) == ("ended", "worker")
    console_page = text_of(worker.get(f"/console/chats/{chat_id}").text)
    assert "Deze chat is beëindigd." in console_page
    assert "Beëindigd · je hebt de chat beëindigd" in console_page
    # The visitor's page without JavaScript reloads itself with ?continued=1: it shows the end.
    visitor_page = text_of(client.get(f"/w/{DEMO_SITE}?continued=1").text)
    assert "Het gesprek is beëindigd. Bedankt dat je met Veilig Thuis hebt gechat." in visitor_page
    worker.post(f"/console/chats/{chat_id}/send", data={"body": "Nog iets"})
    with app.app_context():
        assert chats.messages(chat_id) == []


def test_console_escapes_the_visitors_nickname(app, worker):
    new_chat(app, nickname="<b>Mila</b>")
    html = worker.get("/console/").text
    assert "&lt;b&gt;Mila&lt;/b&gt;" in html
    assert "<b>Mila</b>" not in html


def test_an_expired_console_form_is_explained_in_dutch(app, worker):
    response = worker.post("/console/logout", data={"csrf_token": ""}, follow_redirects=True)
    assert response.status_code == 200
    assert "Dit formulier was verlopen" in text_of(response.text)
    # Still logged in: the refused post changed nothing.
    assert "Er wacht niemand" in text_of(worker.get("/console/").text)


def test_an_expired_login_form_is_explained_in_dutch(client):
    response = client.post(
        "/console/login",
        data={"username": "demo", "password": "demo", "csrf_token": ""},
        follow_redirects=True,
    )
    assert "Dit formulier was verlopen" in text_of(response.text)
    assert "Uitloggen" not in response.text


def test_an_expired_form_sent_by_htmx_has_the_page_loaded_with_the_note(app, worker):
    response = worker.post(
        "/console/availability",
        data={"availability": "busy", "csrf_token": ""},
        headers={"HX-Request": "true"},
    )
    assert response.headers["HX-Redirect"] == "/console/"
    assert "Dit formulier was verlopen" in text_of(worker.get("/console/").text)


def test_a_chat_that_is_not_found_leads_back_to_the_workspace(app, worker):
    response = worker.get("/console/chats/999999")
    assert response.status_code == 404
    assert 'href="/console/"' in response.text
    assert 'href="/console/chats/999999"' not in response.text
