"""A site's theme in real Chromium: an administrator changes the brand colour and the
launcher's words, the preview shows them before saving, and once saved the launcher on the
host page and the pop-up draw with them. The sites pages pass axe-core."""

import time

import pytest
from playwright.sync_api import expect

from e2e import flows
from e2e.harness import DEMO_SITE
from e2e.test_accessibility import violations
from e2e.test_coordinators import JORIS, joris_as  # noqa: F401  (a fixture)

SITE = "demo-utrecht"
OLD, NEW = "rgb(122, 31, 92)", "rgb(29, 79, 145)"  # #7a1f5c, #1d4f91
LABEL = ".vtchat-open-label"


@pytest.fixture
def theme_restored(app):
    """Afterwards the demo site has its seeded theme again, whatever the test left."""
    yield
    from sqlalchemy import update

    from backend import db, settings_changes
    from backend.models import Site

    with app.app_context(), db.session() as s:
        s.execute(
            update(Site)
            .where(Site.key == SITE)
            .values(
                accent="#7a1f5c",
                text_colour="#ffffff",
                font="system",
                radius=8,
                corner="right",
                launcher_label="",
            )
        )
        s.commit()
    time.sleep(settings_changes.MAX_AGE)  # what the server keeps of the site, too


def preview_frame(page):
    """The preview's frame, once it has drawn the launcher (for axe to look inside)."""
    expect(page.frame_locator("#site-preview-frame").locator("details.vtchat")).to_be_attached()
    return next(frame for frame in page.frames if "/preview/page" in frame.url)


def test_a_theme_change_shows_in_the_preview_then_on_the_host_page_and_in_the_pop_up(
    server,
    visitor,
    joris_as,  # noqa: F811  (the fixture imported above)
    theme_restored,
):
    admin = joris_as("admin")
    flows.log_in(admin, server, JORIS)
    admin.get_by_role("link", name="Sites").click()
    expect(admin.get_by_role("heading", name="Sites", exact=True)).to_be_visible()
    assert violations(admin, []) == ""

    admin.get_by_role("link", name="Veilig Thuis Utrecht (demo)").click()
    expect(admin.get_by_role("heading", name="Site Veilig Thuis Utrecht (demo)")).to_be_visible()
    preview = admin.frame_locator("#site-preview-frame")
    launcher = preview.locator("details.vtchat > summary")
    expect(launcher).to_have_css("background-color", OLD)

    # The preview follows the form on every change, before anything is saved.
    admin.get_by_label("Huiskleur", exact=True).fill("#1d4f91")
    admin.get_by_label("Huiskleur", exact=True).press("Tab")
    expect(launcher).to_have_css("background-color", NEW)
    expect(preview.get_by_text("Start de chat")).to_have_css("background-color", NEW)
    admin.get_by_label("Tekst op de chatknop").fill("Praat met ons")
    admin.get_by_label("Tekst op de chatknop").press("Tab")
    expect(launcher.locator(LABEL)).to_have_text("Praat met ons")
    admin.get_by_label("Hoek van de chatknop").select_option("left")
    expect(preview.locator("details.vtchat")).to_have_css("left", "16px")
    assert violations(admin, [preview_frame(admin)]) == ""

    # Unsaved: the visitor's host page has the old theme still.
    visitor.goto(server.host_url())
    expect(visitor.locator(f"{flows.LAUNCHER} > summary")).to_have_css("background-color", OLD)

    # Too little contrast: refused beside the field, the page still passes axe.
    admin.get_by_label("Tekstkleur op de huiskleur").fill("#2a5a9a")
    admin.get_by_role("button", name="Thema opslaan").click()
    expect(admin.locator("#text_colour-error")).to_contain_text("Te weinig contrast")
    assert violations(admin, [preview_frame(admin)]) == ""

    admin.get_by_label("Tekstkleur op de huiskleur").fill("#ffffff")
    admin.get_by_label("Huiskleur", exact=True).fill("#1d4f91")
    admin.get_by_label("Tekst op de chatknop").fill("Praat met ons")
    admin.get_by_role("button", name="Thema opslaan").click()
    expect(admin.get_by_role("status")).to_have_text("Het thema is opgeslagen.")

    visitor.goto(server.host_url())
    summary = visitor.locator(f"{flows.LAUNCHER} > summary")
    expect(summary).to_have_css("background-color", NEW)
    expect(summary.locator(LABEL)).to_have_text("Praat met ons")
    popup = flows.open_popup(visitor)
    expect(popup.get_by_role("link", name="Start de chat")).to_have_css("background-color", NEW)

    # The snippet as a web team finds it on its own page, to copy.
    visitor.goto(f"{server.chat_base}/embed/snippet/{DEMO_SITE}")
    expect(visitor.get_by_role("heading", level=1)).to_contain_text("Veilig Thuis Utrecht (demo)")
    expect(visitor.locator("pre code")).to_contain_text("launcher.css")
    assert violations(visitor, []) == ""
