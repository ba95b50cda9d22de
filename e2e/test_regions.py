"""Regions as data, in real Chromium: an administrator renames a region, gives it a phone number
and merges a second one into it. On two throwaway regions: the demo regions stay as they are.
Each page passes axe-core."""

import time

import pytest
from playwright.sync_api import expect

from e2e import flows, test_coordinators
from e2e.test_accessibility import violations
from e2e.test_coordinators import JORIS

joris_as = test_coordinators.joris_as  # the fixture: Joris as an administrator, reset after

EAST, WEST = "VTX1", "VTX2"  # no CBS code looks like these
POSTCODES = {EAST: "1000", WEST: "1001"}  # four digits no address has (PO boxes)


@pytest.fixture
def throwaway_regions(app):
    """Two real regions of their own, each with a postcode; afterwards whatever is left goes."""
    from sqlalchemy import delete

    from backend import db, settings_changes
    from backend.models import OpeningHours, Postcode, Region

    codes = (EAST, WEST)

    def remove():
        with app.app_context(), db.session() as s:
            s.execute(delete(Postcode).where(Postcode.region_code.in_(codes)))
            s.execute(delete(OpeningHours).where(OpeningHours.region_code.in_(codes)))
            s.execute(delete(Region).where(Region.code.in_(codes)))
            s.commit()

    remove()
    with app.app_context(), db.session() as s:
        s.add_all(Region(code=code, name=f"Proefregio {code}") for code in codes)
        s.flush()
        s.add_all(Postcode(pc4=pc4, region_code=code) for code, pc4 in POSTCODES.items())
        s.commit()
    yield codes
    remove()
    time.sleep(settings_changes.MAX_AGE)  # what the server keeps of them, too


def test_an_administrator_renames_a_region_and_merges_another_into_it(
    server, visitor, joris_as, throwaway_regions, app
):
    admin = joris_as("admin")
    flows.log_in(admin, server, JORIS)
    admin.get_by_role("link", name="Regio's", exact=True).click()
    expect(admin.get_by_role("heading", name="Regio's")).to_be_visible()
    assert violations(admin, []) == ""

    admin.get_by_role("link", name=f"Proefregio {EAST}").click()
    admin.get_by_label("Naam", exact=True).fill("Veilig Thuis Proefstad")
    admin.get_by_label("Telefoonnummer van de regio").fill("030 12x")
    admin.get_by_role("button", name="Regio opslaan").click()
    expect(admin.locator("#phone-error")).to_contain_text("Schrijf een Nederlands telefoonnummer")
    assert violations(admin, []) == ""  # the refused form, its words tied to the field

    admin.get_by_label("Telefoonnummer van de regio").fill("030 123 45 67")
    admin.get_by_label("Wanneer dat nummer opneemt").fill("werkdagen 9-17 uur")
    admin.get_by_role("button", name="Regio opslaan").click()
    expect(admin.get_by_role("status")).to_have_text("Veilig Thuis Proefstad is opgeslagen.")
    expect(admin.get_by_role("heading", level=1)).to_contain_text("Veilig Thuis Proefstad")

    popup = flows.open_host_page(visitor, server)
    flows.open_form(popup)
    expect(popup.get_by_role("option", name="Veilig Thuis Proefstad")).to_have_count(1)

    admin.get_by_role("link", name="Regio's", exact=True).click()
    admin.get_by_role("link", name=f"Proefregio {WEST}").click()
    admin.get_by_label("Voeg deze regio samen met").select_option(label="Veilig Thuis Proefstad")
    admin.get_by_role("button", name="Verder: de samenvoeging controleren").click()
    expect(admin.locator("#merge-moves")).to_contain_text(
        f"De openingstijden, datums en feestdagen van Proefregio {WEST} vervallen"
    )
    assert violations(admin, []) == ""
    admin.get_by_role("button", name=f"Proefregio {WEST} samenvoegen met").click()
    expect(admin.get_by_role("status")).to_have_text(
        f"Proefregio {WEST} is samengevoegd met Veilig Thuis Proefstad."
    )
    expect(admin.locator("#region-holds")).to_contain_text("Deze regio heeft 2 postcodes")

    from backend import regions

    with app.app_context():
        assert regions.get(WEST) is None
        assert regions.by_postcode(POSTCODES[WEST]).code == EAST
