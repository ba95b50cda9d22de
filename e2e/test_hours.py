"""A coordinator sets the hours of their region in the console, in real Chromium: closing
today shows in a visitor's pop-up at once, and the hours page passes axe-core."""

import time

import pytest
from playwright.sync_api import Page, expect

from e2e import flows
from e2e.test_accessibility import violations

COORDINATOR = "demo2"  # Joris, of the demo region, a coordinator for these tests


@pytest.fixture
def coordinator(app, worker: Page):
    """Joris made coordinator, and a worker again afterwards; today back to the week."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from sqlalchemy import update

    from backend import db, regions, settings_changes
    from backend.models import Worker, WorkerRole

    def role(value):
        with app.app_context(), db.session() as s:
            s.execute(update(Worker).where(Worker.username == COORDINATOR).values(role=value))
            s.commit()

    role(WorkerRole.COORDINATOR)
    yield worker
    role(WorkerRole.WORKER)
    today = datetime.now(ZoneInfo(app.config["TIMEZONE"])).date()
    with app.app_context():
        if regions.other_days("DEMO", today, today):  # left closed by a failed test
            regions.clear_date("DEMO", today)
            time.sleep(settings_changes.MAX_AGE)  # the server's shared pop-up page, too


def test_a_coordinator_closes_today_and_the_popup_says_closed_at_once(server, visitor, coordinator):
    flows.log_in(coordinator, server, COORDINATOR)
    coordinator.get_by_role("link", name="Openingstijden").click()
    coordinator.get_by_role("link", name="Demo-regio (altijd open)").click()
    expect(
        coordinator.get_by_role("heading", name="Openingstijden van Demo-regio (altijd open)")
    ).to_be_visible()

    today = coordinator.locator("section", has=coordinator.get_by_role("heading", name="Vandaag"))
    today.get_by_label("Reden, die de pop-up laat zien").fill("Teamdag")
    today.get_by_role("button", name="Vandaag sluiten").click()
    expect(coordinator.get_by_role("status")).to_have_text(
        "De chat van Demo-regio (altijd open) is vandaag gesloten."
    )
    expect(coordinator.locator("#hours-state")).to_contain_text("De chat is nu gesloten.")
    assert violations(coordinator, []) == ""  # every part, with today's date listed

    popup = flows.open_host_page(visitor, server)
    expect(popup.locator("#vt-open-state")).to_have_text("De chat is nu gesloten.")
    expect(popup.get_by_text("Vandaag gelden andere tijden: Teamdag.")).to_be_visible()
    expect(popup.get_by_role("link", name="Start de chat")).to_have_count(0)

    coordinator.get_by_role("button", name="Terug naar de gewone week").click()
    expect(coordinator.locator("#hours-state")).to_contain_text("De chat is nu open.")
    popup = flows.open_host_page(visitor, server)
    expect(popup.locator("#vt-open-state")).to_have_text("De chat is nu open.")
