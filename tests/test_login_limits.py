"""Logins cannot be guessed or flooded: failed logins are limited per account and per client,
and argon2 (64 MiB a check) runs only a few at a time."""

import threading
import time

import pytest

from backend import passwords
from tests.helpers import log_in, text_of
from tests.test_sockets import RECEIVE_TIMEOUT, wait_for

WRONG = "Gebruikersnaam of wachtwoord klopt niet."
TOO_MANY = "Te veel pogingen om in te loggen."


def fail(client, username="demo", times=1):
    for _ in range(times):
        log_in(client, username, "raden")


def test_after_five_wrong_passwords_the_right_one_is_refused_too(app, client):
    fail(client, times=5)
    response = log_in(client, "demo", "demo")
    assert response.status_code == 429
    page = text_of(response.text)
    assert "Te veel pogingen om in te loggen. Probeer het over 1 minuut opnieuw." in page
    assert 'value="demo"' in response.text  # the form keeps the username
    assert client.get("/console/").status_code == 303


def test_sixty_wrong_passwords_then_the_right_one_is_refused(app, client):
    fail(client, times=60)
    response = log_in(client, "demo", "demo")
    assert response.status_code == 429
    assert TOO_MANY in text_of(response.text)


def test_the_count_is_per_account_whatever_the_case_or_spaces(app):
    fail(app.test_client(), "Demo ", times=5)
    assert log_in(app.test_client(), "demo", "demo").status_code == 429
    assert log_in(app.test_client(), "demo2", "demo").status_code == 303


def test_right_passwords_do_not_count(app, client):
    for _ in range(10):
        assert log_in(client, "demo", "demo").status_code == 303


def test_four_mistakes_still_let_the_worker_in(app, client):
    fail(client, times=4)
    assert WRONG in text_of(log_in(client, "demo", "raden").text)
    assert log_in(client, "demo", "demo").status_code == 429
    assert log_in(client, "demo2", "demo").status_code == 303


def test_one_client_trying_many_accounts_is_refused(app, client):
    for n in range(20):
        fail(client, f"niemand{n}")
    assert log_in(client, "demo", "demo").status_code == 429


@pytest.mark.parametrize(
    ("limits", "wait"),
    [("2 per minute", "over 1 minuut"), ("2 per hour", "over 1 uur"), ("2 per day", "over 1 dag")],
)
def test_the_refusal_says_how_long_to_wait(make_app, limits, wait):
    app = make_app(LOGIN_LIMITS=limits)
    client = app.test_client()
    fail(client, times=2)
    assert f"Probeer het {wait} opnieuw." in text_of(log_in(client, "demo", "demo").text)


# ---- argon2, a few at a time ----------------------------------------------------------------


class BlockingHasher:
    """Stands in for argon2: each check waits at the gate, counting how many wait at once."""

    def __init__(self):
        self.lock = threading.Lock()
        self.gate = threading.Event()
        self.inside = self.peak = 0
        self.threads: set[int] = set()

    def verify(self, password_hash, password):
        with self.lock:
            self.inside += 1
            self.peak = max(self.peak, self.inside)
            self.threads.add(threading.get_ident())
        self.gate.wait(RECEIVE_TIMEOUT)
        with self.lock:
            self.inside -= 1
        return True


@pytest.mark.parametrize("bound", [2, 3])
def test_only_a_few_password_checks_run_at_once(make_app, monkeypatch, bound):
    app = make_app(PASSWORD_CHECKS=bound)
    hasher = BlockingHasher()
    monkeypatch.setattr(passwords, "_hasher", hasher)
    results = []

    def check():
        with app.app_context():
            results.append(passwords.verify("hash", "password"))

    logins = [threading.Thread(target=check) for _ in range(8)]
    for login in logins:
        login.start()
    assert wait_for(lambda: hasher.inside == bound)
    time.sleep(0.2)  # room for more checks to start, were there no bound
    assert hasher.inside == bound
    hasher.gate.set()
    for login in logins:
        login.join(RECEIVE_TIMEOUT)
    assert results == [True] * 8
    assert hasher.peak == bound


def test_forty_logins_at_once_run_two_checks_at_a_time(app, monkeypatch):
    hasher = BlockingHasher()
    monkeypatch.setattr(passwords, "_hasher", hasher)
    answers = []

    def login():
        answers.append(log_in(app.test_client(), "demo", "raden").status_code)

    logins = [threading.Thread(target=login) for _ in range(40)]
    for thread in logins:
        thread.start()
    assert wait_for(lambda: hasher.inside == 2)
    time.sleep(0.2)
    assert hasher.inside == 2
    hasher.gate.set()
    for thread in logins:
        thread.join(RECEIVE_TIMEOUT)
    assert hasher.peak == 2
    assert len(answers) == 40


def test_under_gevent_argon2_runs_in_a_thread_of_its_own(app, monkeypatch):
    """A blocking C call in the gevent worker's loop would stop every open socket."""
    hasher = BlockingHasher()
    hasher.gate.set()
    monkeypatch.setattr(passwords, "_hasher", hasher)
    monkeypatch.setattr(passwords, "_gevent_patched", lambda: True)
    with app.app_context():
        assert passwords.verify("hash", "password") is True
    assert hasher.threads and threading.get_ident() not in hasher.threads
