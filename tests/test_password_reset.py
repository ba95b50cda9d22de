"""A worker chooses a new password through a one-time link a coordinator made: it works once,
for a day, only as signed by us; the old password and every session end with it."""

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from itsdangerous import URLSafeTimedSerializer

from backend import password_reset, workers
from backend.models import WorkerRole
from tests.helpers import log_in, logged_in_as, text_of, worker_id

NEW_PASSWORD = "een lange zin als wachtwoord"


@pytest.fixture
def coordinator(app):
    return logged_in_as(app, WorkerRole.COORDINATOR, "demo2")


def reset_token(coordinator, app, username="demo") -> str:
    """Press "Maak een herstellink" for this worker; the token of the link the page shows."""
    answer = coordinator.post(f"/console/people/{worker_id(app, username)}/reset-link", data={})
    assert answer.status_code == 200
    assert "hij wordt alleen nu getoond" in text_of(answer.text)
    link = re.search(r'value="(https://localhost/console/reset[^"]*)"', answer.text).group(1)
    parts = urlsplit(link.replace("&amp;", "&"))
    # In the query, never the path: the access logs write the path and leave the query out.
    assert parts.path == "/console/reset"
    (token,) = parse_qs(parts.query)["t"]
    return token


def page(token: str) -> str:
    return f"/console/reset?t={token}"


def choose(app, token, password=NEW_PASSWORD, repeat=None):
    client = app.test_client()
    client.get(page(token))
    return client.post(
        "/console/reset", data={"t": token, "password": password, "repeat": repeat or password}
    )


def test_the_link_sets_a_password_that_works_and_the_old_one_does_not(app, coordinator):
    token = reset_token(coordinator, app)
    client = app.test_client()
    form = client.get(page(token))
    assert form.status_code == 200
    assert "Voor Sanne (gebruikersnaam demo). Gebruik minstens 12 tekens" in text_of(form.text)
    answer = client.post(
        "/console/reset", data={"t": token, "password": NEW_PASSWORD, "repeat": NEW_PASSWORD}
    )
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/console/login")
    assert "Je wachtwoord is ingesteld. Log ermee in." in text_of(client.get("/console/login").text)
    assert log_in(app.test_client(), "demo", "demo").status_code == 200  # refused
    assert log_in(app.test_client(), "demo", NEW_PASSWORD).status_code == 303


def test_the_link_works_once(app, coordinator):
    token = reset_token(coordinator, app)
    assert choose(app, token).status_code == 303
    again = choose(app, token, "nog een ander wachtwoord")
    assert again.status_code == 410
    assert "Deze link is al gebruikt" in text_of(again.text)
    assert log_in(app.test_client(), "demo", NEW_PASSWORD).status_code == 303
    assert app.test_client().get(page(token)).status_code == 410


def test_the_link_expires_after_a_day(app, clock, coordinator):
    token = reset_token(coordinator, app)
    clock.at += timedelta(hours=23, minutes=59)
    assert app.test_client().get(page(token)).status_code == 200
    clock.at += timedelta(minutes=2)
    answer = choose(app, token)
    assert answer.status_code == 410
    assert "Deze link is verlopen. Vraag je coördinator om een nieuwe." in text_of(answer.text)
    assert log_in(app.test_client(), "demo", "demo").status_code == 303  # unchanged


def test_an_altered_or_forged_link_is_refused(app, coordinator):
    token = reset_token(coordinator, app)
    altered = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    answer = choose(app, altered)
    assert answer.status_code == 404
    assert "Deze link klopt niet." in text_of(answer.text)
    with app.app_context():
        sanne = workers.by_username("demo")
        ours = password_reset._fingerprint(sanne)
    # The right worker and fingerprint, but signed with another key.
    forged = URLSafeTimedSerializer("not-our-secret", salt=password_reset.SALT).dumps(
        {"w": sanne.id, "f": ours}
    )
    assert choose(app, forged).status_code == 404
    assert app.test_client().get(page("nonsense")).status_code == 404
    assert log_in(app.test_client(), "demo", "demo").status_code == 303


def test_a_new_password_ends_every_other_session(app, coordinator, worker):
    assert worker.get("/console/").status_code == 200  # Sanne at work
    assert choose(app, reset_token(coordinator, app)).status_code == 303
    assert worker.get("/console/").headers["Location"].endswith("/console/login")


@pytest.mark.parametrize(
    ("password", "repeat", "words"),
    [
        ("kort", "kort", "Gebruik minstens 12 tekens."),
        (NEW_PASSWORD, "iets anders dan dat", "De twee wachtwoorden zijn niet gelijk."),
        ("", "", "Vul een wachtwoord in."),
    ],
)
def test_a_weak_or_mistyped_password_is_refused_beside_the_field(
    app, coordinator, password, repeat, words
):
    token = reset_token(coordinator, app)
    answer = choose(app, token, password, repeat)
    assert answer.status_code == 400
    assert words in text_of(answer.text)
    assert 'aria-invalid="true"' in answer.text  # tied to its field for a screen reader
    assert log_in(app.test_client(), "demo", "demo").status_code == 303
    assert choose(app, token).status_code == 303  # the link still works


def test_disabling_the_worker_ends_the_link(app, coordinator):
    token = reset_token(coordinator, app)
    coordinator.post(f"/console/people/{worker_id(app, 'demo')}/disabled", data={})
    assert choose(app, token).status_code == 410


def test_the_form_needs_its_token(app, coordinator):
    token = reset_token(coordinator, app)
    client = app.test_client()
    answer = client.post(
        "/console/reset",
        data={"t": token, "password": NEW_PASSWORD, "repeat": NEW_PASSWORD, "csrf_token": ""},
    )
    assert answer.status_code == 303
    assert log_in(app.test_client(), "demo", "demo").status_code == 303


def test_too_many_refused_links_from_one_client_wait(make_app):
    app = make_app(LOGIN_CLIENT_LIMITS="2 per minute")
    client = app.test_client()
    for _ in range(2):
        assert client.get(page("nonsense")).status_code == 404
    refused = client.get(page("nonsense"))
    assert refused.status_code == 429
    assert "Te veel pogingen. Probeer het over 1 minuut opnieuw." in text_of(refused.text)
