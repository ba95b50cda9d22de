"""A worker chooses a new password through a one-time link a coordinator made: it works once,
for a day, only as signed by us; the old password and every session end with it."""

import re
from datetime import timedelta

import pytest
from itsdangerous import URLSafeTimedSerializer

from backend import password_reset, workers
from backend.models import WorkerRole
from tests.helpers import log_in, logged_in_as, text_of, worker_id

NEW_PASSWORD = "een lange zin als wachtwoord"


@pytest.fixture
def coordinator(app):
    return logged_in_as(app, WorkerRole.COORDINATOR)


def reset_path(coordinator, app, username="demo") -> str:
    """Press "Maak een herstellink" for this worker; the link's path, as the page shows it."""
    answer = coordinator.post(f"/console/people/{worker_id(app, username)}/reset-link", data={})
    assert answer.status_code == 200
    assert "hij wordt alleen nu getoond" in text_of(answer.text)
    return re.search(r'value="https://localhost(/console/reset/[^"]+)"', answer.text).group(1)


def choose(app, path, password=NEW_PASSWORD, repeat=None):
    client = app.test_client()
    client.get(path)
    return client.post(path, data={"password": password, "repeat": repeat or password})


def test_the_link_sets_a_password_that_works_and_the_old_one_does_not(app, coordinator):
    path = reset_path(coordinator, app)
    client = app.test_client()
    form = client.get(path)
    assert form.status_code == 200
    assert "Voor Sanne (gebruikersnaam demo). Gebruik minstens 12 tekens" in text_of(form.text)
    answer = client.post(path, data={"password": NEW_PASSWORD, "repeat": NEW_PASSWORD})
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/console/login")
    assert "Je wachtwoord is ingesteld. Log ermee in." in text_of(client.get("/console/login").text)
    assert log_in(app.test_client(), "demo", "demo").status_code == 200  # refused
    assert log_in(app.test_client(), "demo", NEW_PASSWORD).status_code == 303


def test_the_link_works_once(app, coordinator):
    path = reset_path(coordinator, app)
    assert choose(app, path).status_code == 303
    again = choose(app, path, "nog een ander wachtwoord")
    assert again.status_code == 410
    assert "Deze link is al gebruikt" in text_of(again.text)
    assert log_in(app.test_client(), "demo", NEW_PASSWORD).status_code == 303
    assert app.test_client().get(path).status_code == 410


def test_the_link_expires_after_a_day(app, clock, coordinator):
    path = reset_path(coordinator, app)
    clock.at += timedelta(hours=23, minutes=59)
    assert app.test_client().get(path).status_code == 200
    clock.at += timedelta(minutes=2)
    answer = choose(app, path)
    assert answer.status_code == 410
    assert "Deze link is verlopen. Vraag je coördinator om een nieuwe." in text_of(answer.text)
    assert log_in(app.test_client(), "demo", "demo").status_code == 303  # unchanged


def test_an_altered_or_forged_link_is_refused(app, coordinator):
    path = reset_path(coordinator, app)
    token = path.rsplit("/", 1)[1]
    altered = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    answer = choose(app, f"/console/reset/{altered}")
    assert answer.status_code == 404
    assert "Deze link klopt niet." in text_of(answer.text)
    with app.app_context():
        sanne = workers.by_username("demo")
        ours = password_reset._fingerprint(sanne)
    # The right worker and fingerprint, but signed with another key.
    forged = URLSafeTimedSerializer("not-our-secret", salt=password_reset.SALT).dumps(
        {"w": sanne.id, "f": ours}
    )
    assert choose(app, f"/console/reset/{forged}").status_code == 404
    assert app.test_client().get("/console/reset/nonsense").status_code == 404
    assert log_in(app.test_client(), "demo", "demo").status_code == 303


def test_a_new_password_ends_every_other_session(app, coordinator, worker):
    assert worker.get("/console/").status_code == 200  # Sanne at work
    assert choose(app, reset_path(coordinator, app)).status_code == 303
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
    path = reset_path(coordinator, app)
    answer = choose(app, path, password, repeat)
    assert answer.status_code == 400
    assert words in text_of(answer.text)
    assert log_in(app.test_client(), "demo", "demo").status_code == 303
    assert choose(app, path).status_code == 303  # the link still works


def test_disabling_the_worker_ends_the_link(app, coordinator):
    path = reset_path(coordinator, app)
    coordinator.post(f"/console/people/{worker_id(app, 'demo')}/disabled", data={})
    assert choose(app, path).status_code == 410


def test_the_form_needs_its_token(app, coordinator):
    path = reset_path(coordinator, app)
    client = app.test_client()
    answer = client.post(
        path, data={"password": NEW_PASSWORD, "repeat": NEW_PASSWORD, "csrf_token": ""}
    )
    assert answer.status_code == 303
    assert log_in(app.test_client(), "demo", "demo").status_code == 303


def test_too_many_refused_links_from_one_client_wait(make_app):
    app = make_app(LOGIN_CLIENT_LIMITS="2 per minute")
    client = app.test_client()
    for _ in range(2):
        assert client.get("/console/reset/nonsense").status_code == 404
    refused = client.get("/console/reset/nonsense")
    assert refused.status_code == 429
    assert "Te veel pogingen. Probeer het over 1 minuut opnieuw." in text_of(refused.text)
