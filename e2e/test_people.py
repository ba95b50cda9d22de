"""People and texts in real Chromium: a coordinator adds a worker and makes a one-time link;
the new worker, in a browser of their own, chooses a password with it, logs in and sees the
workspace. The people, canned answers and reset pages each pass axe-core."""

import pytest
from playwright.sync_api import Page, expect

from e2e import flows
from e2e.test_accessibility import violations

JORIS = "demo2"  # of the demo region: the coordinator for these tests
NEW = "e2e.noor"  # the worker the test adds, and removes afterwards
PASSWORD = "een lange zin als wachtwoord"
SHORTCUT = "e2e-teamdag"


@pytest.fixture
def coordinator(app, worker: Page):
    """Joris as a coordinator; afterwards a worker again, and what the test added is gone:
    the other e2e tests share the demo data."""
    from sqlalchemy import delete, update
    from sqlmodel import select

    from backend import db
    from backend.models import CannedAnswer, Presence, Worker, WorkerRegion, WorkerRole

    def role(value):
        with app.app_context(), db.session() as s:
            s.execute(update(Worker).where(Worker.username == JORIS).values(role=value))
            s.commit()

    role(WorkerRole.COORDINATOR)
    yield worker
    role(WorkerRole.WORKER)
    with app.app_context(), db.session() as s:
        s.execute(delete(CannedAnswer).where(CannedAnswer.shortcut == SHORTCUT))
        added = s.exec(select(Worker.id).where(Worker.username == NEW)).first()
        if added is not None:
            s.execute(delete(WorkerRegion).where(WorkerRegion.worker_id == added))
            s.execute(delete(Presence).where(Presence.kind == "worker", Presence.ref_id == added))
            s.execute(delete(Worker).where(Worker.id == added))
        s.commit()


def test_a_coordinator_adds_a_worker_who_chooses_a_password_by_the_link(
    server, coordinator, new_context
):
    flows.log_in(coordinator, server, JORIS)
    coordinator.get_by_role("link", name="Medewerkers").click()
    expect(coordinator.get_by_role("heading", name="Medewerkers", level=1)).to_be_visible()
    expect(coordinator.locator("#people")).to_contain_text("Sanne")
    assert violations(coordinator, []) == ""

    coordinator.get_by_label("Gebruikersnaam").fill(NEW)
    coordinator.get_by_label("Naam die bezoekers zien").fill("Noor")
    coordinator.get_by_role("button", name="Medewerker toevoegen").click()
    expect(coordinator.get_by_role("status")).to_have_text("Noor is toegevoegd.")
    link = coordinator.get_by_label("Eenmalige link").input_value()
    assert "/console/reset?t=" in link
    assert violations(coordinator, []) == ""  # the worker's page, link shown

    newcomer_context = new_context()
    newcomer = newcomer_context.new_page()
    newcomer.goto(link)
    expect(newcomer.get_by_role("heading", name="Kies een wachtwoord")).to_be_visible()
    assert violations(newcomer, []) == ""
    newcomer.get_by_label("Nieuw wachtwoord").fill(PASSWORD)
    newcomer.get_by_label("Herhaal het wachtwoord").fill(PASSWORD)
    newcomer.get_by_role("button", name="Wachtwoord bewaren").click()
    expect(newcomer.get_by_role("status")).to_have_text("Je wachtwoord is ingesteld. Log ermee in.")
    flows.log_in(newcomer, server, NEW, PASSWORD)  # and sees the workspace, live
    expect(newcomer.get_by_text("Noor")).to_be_visible()

    newcomer.goto(link)  # used: a page that says so
    expect(newcomer.locator("#reset-refused")).to_contain_text("Deze link is al gebruikt")
    assert violations(newcomer, []) == ""
    newcomer_context.close()  # before the fixture removes the account


def test_a_coordinator_adds_a_canned_answer_for_their_region(server, coordinator):
    flows.log_in(coordinator, server, JORIS)
    coordinator.get_by_role("link", name="Standaardantwoorden").click()
    expect(coordinator.get_by_role("heading", name="Standaardantwoorden", level=1)).to_be_visible()
    coordinator.get_by_label("Korte naam, om de tekst mee te vinden").fill(SHORTCUT)
    coordinator.get_by_label("Titel").fill("Teamdag")
    coordinator.get_by_label("Tekst", exact=True).fill("Vandaag zijn we er korter.")
    coordinator.get_by_role("button", name="Tekst toevoegen").click()
    expect(coordinator.get_by_role("status")).to_have_text("De tekst “Teamdag” is toegevoegd.")
    expect(coordinator.locator("#texts")).to_contain_text(SHORTCUT)
    assert violations(coordinator, []) == ""

    coordinator.get_by_role("link", name=SHORTCUT).click()
    assert violations(coordinator, []) == ""
    coordinator.get_by_role("button", name="Deze tekst verwijderen").click()
    expect(coordinator.get_by_role("status")).to_have_text("De tekst “Teamdag” is verwijderd.")
    expect(coordinator.locator("#texts")).not_to_contain_text(SHORTCUT)
