"""Coordinators and administrators in the console, in real Chromium: a coordinator closes today
and a visitor's pop-up says closed at once; a coordinator's overflow hands a waiting visitor to
a partner region; an administrator sets the retention. Each page passes axe-core."""

import time

import pytest
from playwright.sync_api import Page, expect

from e2e import flows
from e2e.test_accessibility import violations

JORIS = "demo2"  # of the demo region: a coordinator or administrator for these tests


@pytest.fixture
def joris_as(app, worker: Page):
    """Give Joris a role for the test; afterwards he is a worker again, today follows the week
    and the retention is the default, whatever the test left behind."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from sqlalchemy import delete, update

    from backend import db, regions, settings_changes
    from backend.models import Retention, Worker, WorkerRole

    def role(value):
        with app.app_context(), db.session() as s:
            s.execute(update(Worker).where(Worker.username == JORIS).values(role=value))
            s.commit()

    def give(value):
        role(value)
        return worker

    yield give
    role(WorkerRole.WORKER)
    today = datetime.now(ZoneInfo(app.config["TIMEZONE"])).date()
    with app.app_context(), db.session() as s:
        left = bool(regions.other_days("DEMO", today, today))
        if left:
            regions.clear_date("DEMO", today)
        left |= s.execute(delete(Retention)).rowcount > 0
        s.commit()
    if left:
        time.sleep(settings_changes.MAX_AGE)  # what the server keeps of them, too


def test_a_coordinator_closes_today_and_the_popup_says_closed_at_once(server, visitor, joris_as):
    coordinator = joris_as("coordinator")
    flows.log_in(coordinator, server, JORIS)
    coordinator.get_by_role("link", name="Openingstijden").click()
    expect(coordinator.get_by_role("link", name="Demo-regio (altijd open)")).to_be_visible()
    assert violations(coordinator, []) == ""  # the regions' hours, one line each
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


NORTH = "Demo-regio Noord (altijd open)"


@pytest.fixture
def no_overflow(app):
    """The demo region keeps its waiting chats again after the test, whatever it set."""
    yield
    from backend import overflow, settings_changes

    with app.app_context():
        if overflow.rule_of("DEMO") is not None:
            overflow.set_rule("DEMO", None, None, False)
            time.sleep(settings_changes.MAX_AGE)  # what the server keeps of it, too


def test_a_waiting_visitor_is_handed_to_the_partner_region_when_their_own_closes(
    server, visitor, new_context, joris_as, no_overflow
):
    popup = flows.open_host_page(visitor, server)
    flows.start_chat(popup, "Mila")

    coordinator = joris_as("coordinator")
    flows.log_in(coordinator, server, JORIS)
    coordinator.get_by_role("link", name="Openingstijden").click()
    coordinator.get_by_role("link", name="Demo-regio (altijd open)").click()
    coordinator.get_by_label("Partnerregio of landelijke wachtrij").select_option(label=NORTH)
    coordinator.get_by_label("En zolang deze regio gesloten is").check()
    coordinator.get_by_role("button", name="Doorschakelen bewaren").click()
    expect(coordinator.get_by_role("status")).to_have_text(
        f"Wachtende chats van Demo-regio (altijd open) gaan nu naar {NORTH}."
    )
    today = coordinator.locator("section", has=coordinator.get_by_role("heading", name="Vandaag"))
    today.get_by_label("Reden, die de pop-up laat zien").fill("Teamdag")
    today.get_by_role("button", name="Vandaag sluiten").click()
    expect(coordinator.locator("#hours-state")).to_contain_text("De chat is nu gesloten.")

    # The sweeper moves her within a second or two; the pop-up hears it without a reload.
    expect(popup.locator("#vt-overflow")).to_contain_text(
        f"Een collega van Veilig Thuis {NORTH} helpt je. Je houdt je plek"
    )
    flows.expect_place(popup, 1)

    ilse = new_context().new_page()
    flows.log_in(ilse, server, "demo3")
    expect(flows.waiting_entry(ilse, "Mila")).to_contain_text(
        "doorgeschakeld vanuit Demo-regio (altijd open)"
    )
    flows.accept(ilse, "Mila")
    flows.expect_chatting_with(popup, "Ilse")
    expect(popup.locator("#vt-overflow")).to_have_count(0)
    flows.worker_send(ilse, "Hoi Mila, ik ben Ilse.")
    flows.expect_visitor_history(popup, ["Hoi Mila, ik ben Ilse."])


def test_an_administrator_sets_the_retention_and_the_form_tells_visitors(server, visitor, joris_as):
    admin = joris_as("admin")
    flows.log_in(admin, server, JORIS)
    admin.get_by_role("link", name="Bewaartermijn").click()
    expect(admin.locator("#retention-now")).to_contain_text("3 dagen na het einde van een chat")
    admin.get_by_label("Uren na het einde van een chat").fill("48")
    admin.get_by_role("button", name="Bewaartermijn bewaren").click()
    expect(admin.get_by_role("status")).to_have_text(
        "Gesprekken worden nu 2 dagen na een chat verwijderd."
    )
    expect(admin.locator("#retention-now")).to_contain_text("Ingesteld op")
    assert violations(admin, []) == ""

    popup = flows.open_host_page(visitor, server)
    flows.open_form(popup)
    expect(popup.locator("#vt-data")).to_contain_text(
        "Je berichten worden 2 dagen na de chat gewist."
    )


def test_the_overview_updates_live_and_a_coordinator_reads_along_and_joins(
    server, visitor, new_context, joris_as
):
    coordinator = joris_as("coordinator")
    flows.log_in(coordinator, server, JORIS)
    with flows.live_channel(coordinator):
        coordinator.get_by_role("link", name="Overzicht").click()
    demo = coordinator.locator("#shift-DEMO")
    expect(demo).to_contain_text("Er wacht niemand.")
    assert violations(coordinator, []) == ""

    popup = flows.open_host_page(visitor, server)
    flows.start_chat(popup, "Mila")
    expect(demo).to_contain_text("1 bezoeker wacht, sinds")  # live, without a reload

    sanne = new_context().new_page()
    flows.log_in(sanne, server)
    flows.accept(sanne, "Mila")
    flows.visitor_send(popup, "Mag ik iets vragen?")
    expect(demo).to_contain_text("Mila met Sanne")

    with flows.live_channel(coordinator):
        demo.get_by_role("link", name="Mila met Sanne").click()
    expect(coordinator.get_by_role("heading", name="Meelezen met Mila")).to_be_visible()
    expect(coordinator.locator("#chat-messages")).to_contain_text("Mag ik iets vragen?")
    flows.visitor_send(popup, "Ik durf het thuis niet te zeggen.")
    expect(coordinator.locator("#chat-messages")).to_contain_text("Ik durf het thuis niet")
    assert violations(coordinator, []) == ""

    coordinator.get_by_role("button", name="Doe mee aan de chat").click()
    expect(coordinator.get_by_role("status")).to_have_text(
        "Je doet mee aan de chat: de bezoeker ziet je naam."
    )
    expect(flows.visitor_messages(popup).last).to_have_text(
        "Joris van Veilig Thuis doet nu ook mee aan het gesprek."
    )
    coordinator.get_by_label("Je bericht").fill("Ik ben Joris, ik lees met Sanne mee.")
    coordinator.get_by_role("button", name="Verstuur").click()
    said = flows.visitor_messages(popup).filter(has_text="Ik ben Joris")
    expect(said.locator(".vt-msg-from")).to_have_text("Joris")
    expect(flows.worker_messages(sanne).filter(has_text="Ik ben Joris")).to_contain_text("Joris")
    expect(coordinator.get_by_label("Je bericht")).to_have_value("")
    assert violations(coordinator, []) == ""


def test_an_administrator_reads_the_audit_log(server, joris_as):
    admin = joris_as("admin")
    flows.log_in(admin, server, JORIS)
    admin.get_by_role("link", name="Auditlog").click()
    expect(admin.get_by_role("heading", name="Auditlog")).to_be_visible()
    assert violations(admin, []) == ""
