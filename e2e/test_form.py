"""The anonymous form in the pop-up: clear Dutch messages, and the focus where they are."""

import pytest
from playwright.sync_api import expect

from e2e import flows


@pytest.fixture
def utrecht_open(app):
    """The region of postcode 3511 open around the clock for this test; its week put back after."""
    from backend import db, hours, regions
    from backend.models import Region

    with app.app_context():
        region = regions.by_postcode("3511")
        week = regions.week(region.code)
        regions.set_week(region.code, hours.ROUND_THE_CLOCK)
        with db.session() as s:
            s.get(Region, region.code).observes_holidays = False
            s.commit()
    yield region
    with app.app_context():
        regions.set_week(region.code, week)
        with db.session() as s:
            s.get(Region, region.code).observes_holidays = region.observes_holidays
            s.commit()


def test_a_refused_form_says_why_next_to_the_field_and_focuses_it(server, visitor):
    popup = flows.open_host_page(visitor, server)
    flows.expect_open(popup)
    flows.open_form(popup)
    flows.submit_form(popup, "Mila", postcode="12a")

    postcode = popup.get_by_label("Of de vier cijfers van je postcode")
    expect(postcode).to_have_attribute("aria-invalid", "true")
    expect(postcode).to_have_accessible_description(
        "Alleen om je regio te vinden; we bewaren je postcode niet. "
        "Vul alleen de vier cijfers van je postcode in, bijvoorbeeld 3511."
    )
    expect(postcode).to_be_focused()
    # What was typed is still there, so the visitor only fixes the one field.
    expect(popup.get_by_label("Bijnaam")).to_have_value("Mila")


def test_a_postcode_chooses_the_region(server, visitor, utrecht_open):
    # The list says the demo region; the four digits of 3511 say Utrecht, and they win.
    popup = flows.open_host_page(visitor, server)
    flows.expect_open(popup)
    flows.open_form(popup)
    flows.submit_form(popup, "Mila", postcode="3511")
    expect(popup.locator("#vt-heading")).to_have_text(
        f"Je wacht op een medewerker van Veilig Thuis {utrecht_open.name}"
    )
    flows.expect_place(popup, 1)


def test_an_empty_message_gets_our_dutch_words_not_the_browsers(server, visitor, worker):
    popup = flows.in_conversation(visitor, worker, server, "Mila")
    popup.get_by_role("button", name="Verstuur").click()
    box = popup.get_by_label("Je bericht")
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(box).to_have_accessible_description("Typ eerst een bericht.")
    expect(flows.worker_messages(worker)).to_have_count(0)
