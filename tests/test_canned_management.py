"""Coordinators keep the canned answers of their regions in the console, administrators also the
national ones; workers find the change from their next search."""

import pytest
from sqlmodel import select

from backend import canned, db, workers
from backend.models import CannedAnswer, WorkerRole
from tests.helpers import logged_in_as, text_of

TEXT = {"region": "DEMO", "shortcut": "Teamdag", "title": "Teamdag", "body": "Vandaag\r\nkort."}


@pytest.fixture
def coordinator(app):
    return logged_in_as(app, WorkerRole.COORDINATOR, "demo2")


def answers(app, **where) -> list[CannedAnswer]:
    with app.app_context(), db.session() as s:
        query = select(CannedAnswer)
        for name, value in where.items():
            query = query.where(getattr(CannedAnswer, name) == value)
        return list(s.exec(query))


def national_id(app) -> int:
    return next(a.id for a in answers(app) if a.region_code is None)


def found_by_sanne(app, words: str) -> list[str]:
    with app.app_context():
        return [a.title for a in canned.search(workers.by_username("demo"), words)]


def test_a_coordinator_adds_changes_and_deletes_a_text_of_their_region(app, coordinator):
    answer = coordinator.post("/console/texts", data=TEXT)
    assert answer.status_code == 303
    page = text_of(coordinator.get("/console/texts").text)
    assert "De tekst “Teamdag” is toegevoegd." in page
    assert "teamdag Teamdag Demo-regio (altijd open)" in page
    (added,) = answers(app, shortcut="teamdag")
    assert (added.region_code, added.body) == ("DEMO", "Vandaag\nkort.")
    assert found_by_sanne(app, "teamdag") == ["Teamdag"]

    changed = {**TEXT, "title": "Teamdag in december"}
    assert coordinator.post(f"/console/texts/{added.id}", data=changed).status_code == 303
    assert found_by_sanne(app, "teamdag") == ["Teamdag in december"]

    assert coordinator.post(f"/console/texts/{added.id}/delete", data={}).status_code == 303
    assert found_by_sanne(app, "teamdag") == []
    assert "De tekst “Teamdag in december” is verwijderd." in text_of(
        coordinator.get("/console/texts").text
    )


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"shortcut": "Wijkteam"}, "Hier is al een tekst met deze korte naam."),  # DEMO's own
        ({"shortcut": "twee woorden"}, "zonder spaties"),
        ({"shortcut": "x" * 33}, "Hoogstens 32 tekens."),
        ({"title": ""}, "Vul een titel in."),
        ({"body": ""}, "Vul de tekst in."),
        ({"region": ""}, "Ongeldige keuze."),  # national: for administrators
        ({"region": "DEMO2"}, "Ongeldige keuze."),  # another region
    ],
)
def test_a_text_the_coordinator_may_not_add_is_refused_beside_the_field(
    app, coordinator, fields, words
):
    before = len(answers(app))
    answer = coordinator.post("/console/texts", data={**TEXT, **fields})
    assert answer.status_code == 400
    assert words in text_of(answer.text)
    assert len(answers(app)) == before


def test_the_same_short_name_may_be_used_in_another_region(app):
    admin = logged_in_as(app, WorkerRole.ADMIN, "demo2")
    assert admin.post("/console/texts", data={**TEXT, "region": "DEMO2"}).status_code == 303
    assert admin.post("/console/texts", data=TEXT).status_code == 303
    assert admin.post("/console/texts", data={**TEXT, "shortcut": "TEAMDAG"}).status_code == 400
    assert len(answers(app, shortcut="teamdag")) == 2


def test_a_coordinator_cannot_touch_national_or_other_regions_texts(app, coordinator):
    national = national_id(app)
    assert coordinator.get(f"/console/texts/{national}").status_code == 404
    assert coordinator.post(f"/console/texts/{national}/delete", data={}).status_code == 404
    other = canned.save  # a text of the other demo region
    with app.app_context():
        elsewhere = other(None, "DEMO2", "noord", "Noord", "Alleen in het noorden.").id
    assert coordinator.get(f"/console/texts/{elsewhere}").status_code == 404
    assert coordinator.post(f"/console/texts/{elsewhere}", data=TEXT).status_code == 404
    page = text_of(coordinator.get("/console/texts").text)
    assert "Noord" not in page and "Landelijk" not in page.split("Een tekst toevoegen")[0]
    assert len(answers(app, id=national)) == 1


def test_an_administrator_changes_a_national_text(app):
    admin = logged_in_as(app, WorkerRole.ADMIN, "demo2")
    national = national_id(app)
    (answer,) = answers(app, id=national)
    data = {"region": "", "shortcut": answer.shortcut, "title": "Nieuw", "body": "Nieuwe tekst."}
    assert admin.post(f"/console/texts/{national}", data=data).status_code == 303
    (changed,) = answers(app, id=national)
    assert (changed.region_code, changed.title) == (None, "Nieuw")
    assert "Nieuw" in found_by_sanne(app, answer.shortcut)


def test_a_worker_may_not_manage_texts(app, worker):
    assert worker.get("/console/texts").status_code == 403
    assert worker.post("/console/texts", data=TEXT).status_code == 403
    assert worker.post(f"/console/texts/{national_id(app)}/delete", data={}).status_code == 403
    assert answers(app, shortcut="teamdag") == []


def test_deleting_needs_the_forms_token(app):
    admin = logged_in_as(app, WorkerRole.ADMIN, "demo2")
    national = national_id(app)
    admin.post(f"/console/texts/{national}/delete", data={"csrf_token": ""})
    assert len(answers(app, id=national)) == 1
