"""Coordinators manage the workers of their regions in the console, administrators everyone;
no password is ever shown or set there, and disabling ends a worker's sessions at once."""

import re

import pytest

from backend import staffing, workers
from backend.models import WorkerRole
from tests.helpers import log_in, logged_in_as, text_of, worker_id

NEW = {
    "username": "Noor.Bakker",
    "display_name": "Noor",
    "region": "DEMO",
    "role": "worker",
    "capacity": "2",
}


@pytest.fixture
def coordinator(app):
    return logged_in_as(app, WorkerRole.COORDINATOR, "demo2")


@pytest.fixture
def admin(app):
    return logged_in_as(app, WorkerRole.ADMIN, "demo2")


def test_a_coordinator_sees_the_workers_of_their_regions_only(app, coordinator):
    page = coordinator.get("/console/people")
    assert page.status_code == 200
    rows = text_of(page.text)
    assert "Sanne demo Chatmedewerker Demo-regio (altijd open) Beschikbaar actief" in rows
    assert "Ilse" not in rows  # of the other demo region
    assert coordinator.get(f"/console/people/{worker_id(app, 'demo3')}").status_code == 404
    answer = coordinator.post(f"/console/people/{worker_id(app, 'demo3')}/disabled", data={})
    assert answer.status_code == 404
    with app.app_context():
        assert not workers.by_username("demo3").disabled


def test_a_coordinator_never_sees_or_touches_an_administrator(app, coordinator):
    logged_in_as(app, WorkerRole.ADMIN, "demo")  # Sanne, of the coordinator's region
    assert "Sanne" not in text_of(coordinator.get("/console/people").text)
    assert coordinator.get(f"/console/people/{worker_id(app, 'demo')}").status_code == 404


def test_a_worker_may_not_manage_people(app, worker):
    assert worker.get("/console/people").status_code == 403
    assert worker.post("/console/people", data=NEW).status_code == 403
    assert worker.get(f"/console/people/{worker_id(app, 'demo2')}").status_code == 403
    assert "Medewerkers" not in text_of(worker.get("/console/").text)


def test_the_header_links_to_the_people_for_a_coordinator(coordinator):
    header = coordinator.get("/console/").text
    assert 'href="/console/people">Medewerkers</a>' in header


def test_a_coordinator_adds_a_worker_and_gets_a_link_not_a_password(app, coordinator):
    answer = coordinator.post("/console/people", data={**NEW, "also": ["DEMO2"]})
    # DEMO2 is not the coordinator's: refused beside the field, nobody added.
    assert answer.status_code == 400
    assert "is een ongeldige keuze voor dit veld" in text_of(answer.text)
    with app.app_context():
        assert workers.by_username("noor.bakker") is None

    answer = coordinator.post("/console/people", data=NEW)
    assert answer.status_code == 201
    page = text_of(answer.text)
    assert "Noor is toegevoegd." in page
    assert "Geef deze link zelf aan Noor" in page
    assert re.search(r'value="https://localhost/console/reset\?t=[\w.-]+"', answer.text)
    assert 'type="password"' not in answer.text
    with app.app_context():
        noor = workers.by_username("noor.bakker")
        assert (noor.display_name, noor.region_code, noor.role) == ("Noor", "DEMO", "worker")
    # Nobody knows her password: no login opens her account until she chooses one.
    assert log_in(app.test_client(), "noor.bakker", "").status_code == 200


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"role": "admin"}, "Ongeldige keuze."),
        ({"region": "VT20"}, "Ongeldige keuze."),
        ({"username": "demo"}, "Er is al een medewerker met deze gebruikersnaam."),
        ({"username": "noor bakker"}, "Gebruik kleine letters, cijfers"),
        ({"display_name": " "}, "Vul een naam in."),
        ({"capacity": "11"}, "Tussen 1 en 10 chats."),
    ],
)
def test_a_coordinator_cannot_add_what_is_not_theirs_to_give(app, coordinator, fields, words):
    answer = coordinator.post("/console/people", data={**NEW, **fields})
    assert answer.status_code == 400
    assert words in text_of(answer.text)
    with app.app_context():
        assert workers.by_username("noor.bakker") is None
        assert len(workers.all_workers()) == 3


def test_an_administrator_adds_an_administrator_of_any_region(app, admin):
    answer = admin.post("/console/people", data={**NEW, "region": "VT20", "role": "admin"})
    assert answer.status_code == 201
    with app.app_context():
        noor = workers.by_username("noor.bakker")
        assert (noor.region_code, noor.role) == ("VT20", "admin")
    assert "Noor" in text_of(admin.get("/console/people").text)


def test_a_coordinator_changes_name_regions_role_and_capacity(app, coordinator, worker):
    sanne = worker_id(app, "demo")
    answer = coordinator.post(
        f"/console/people/{sanne}",
        data={"display_name": "Sanne V.", "also": [], "role": "coordinator", "capacity": "3"},
    )
    assert answer.status_code == 303
    assert "De wijzigingen voor Sanne V. zijn bewaard." in text_of(
        coordinator.get(answer.headers["Location"]).text
    )
    with app.app_context():
        changed = workers.get(sanne)
        assert (changed.display_name, changed.role, changed.capacity) == (
            "Sanne V.",
            "coordinator",
            3,
        )
    # A new role ends her sessions: her console asks her to log in again.
    assert worker.get("/console/").headers["Location"].endswith("/console/login")


def test_a_coordinator_keeps_the_regions_of_a_worker_that_are_not_theirs(app, coordinator):
    sanne = worker_id(app, "demo")
    with app.app_context():
        staffing.add_region(sanne, "VT20")
    data = {"display_name": "Sanne", "also": [], "role": "worker", "capacity": "2"}
    assert coordinator.post(f"/console/people/{sanne}", data=data).status_code == 303
    with app.app_context():
        assert staffing.regions_of(workers.get(sanne)) == ["DEMO", "VT20"]
    listed = text_of(coordinator.get("/console/people").text)
    assert "Sanne demo Chatmedewerker Demo-regio (altijd open), Utrecht" in listed


def test_a_coordinator_cannot_make_an_administrator_nor_change_their_own_role(app, coordinator):
    data = {"display_name": "Sanne", "also": [], "role": "admin", "capacity": "2"}
    answer = coordinator.post(f"/console/people/{worker_id(app, 'demo')}", data=data)
    assert answer.status_code == 400 and "Ongeldige keuze." in text_of(answer.text)
    own = {**data, "display_name": "Joris", "role": "worker"}
    answer = coordinator.post(f"/console/people/{worker_id(app, 'demo2')}", data=own)
    assert answer.status_code == 400
    assert "Je kunt je eigen rol niet wijzigen." in text_of(answer.text)
    with app.app_context():
        assert workers.by_username("demo").role == "worker"
        assert workers.by_username("demo2").role == "coordinator"


def test_disabling_ends_the_workers_sessions_at_once_and_enabling_lets_them_in(
    app, coordinator, worker
):
    sanne = worker_id(app, "demo")
    assert worker.get("/console/").status_code == 200
    answer = coordinator.post(f"/console/people/{sanne}/disabled", data={})
    assert answer.status_code == 303
    page = text_of(coordinator.get(answer.headers["Location"]).text)
    assert "Sanne is uitgeschakeld en uitgelogd." in page
    assert "Dit account is uitgeschakeld." in page
    assert worker.get("/console/").headers["Location"].endswith("/console/login")
    assert log_in(app.test_client()).status_code == 200  # refused
    assert "uitgeschakeld" in text_of(coordinator.get("/console/people").text)

    coordinator.post(f"/console/people/{sanne}/enabled", data={})
    assert log_in(app.test_client()).status_code == 303


def test_a_manager_cannot_disable_their_own_account(app, coordinator):
    answer = coordinator.post(f"/console/people/{worker_id(app, 'demo2')}/disabled", data={})
    assert "Je kunt je eigen account niet uitschakelen." in text_of(
        coordinator.get(answer.headers["Location"]).text
    )
    with app.app_context():
        assert not workers.by_username("demo2").disabled


def test_changes_need_the_forms_token(app, coordinator):
    sanne = worker_id(app, "demo")
    answer = coordinator.post(f"/console/people/{sanne}/disabled", data={"csrf_token": ""})
    assert answer.headers["Location"].endswith("/console/")  # "this form had expired"
    answer = coordinator.post("/console/people", data={**NEW, "csrf_token": ""})
    assert answer.headers["Location"].endswith("/console/")
    with app.app_context():
        assert not workers.get(sanne).disabled
        assert workers.by_username("noor.bakker") is None
