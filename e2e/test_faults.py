"""A fault in real Chromium: what the server cannot store is said beside the box, in Dutch,
and what was typed stays there to send again once the fault is gone.

The fault is a real one, made through the file: the running server's database file is moved
away (as by a careless clean-up) and put back.
"""

from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import expect

from e2e import flows

pytestmark = pytest.mark.sqlite_only("the fault is made by moving the SQLite file away")
TYPED = "Mijn moeder is weer boos. Kan ik ergens heen vannacht?"


@contextmanager
def database_moved_away(server):
    """The e2e server's database file is gone while the test's body runs; then it is back."""
    path = Path(server.database_url.removeprefix("sqlite:///"))
    away = path.with_name(path.name + ".away")
    path.rename(away)
    try:
        yield
    finally:
        away.rename(path)


def test_a_message_the_server_cannot_store_stays_in_the_box_with_a_dutch_message(
    server, visitor, worker
):
    popup = flows.in_conversation(visitor, worker, server, "Reiger")
    box = popup.get_by_label("Je bericht")
    fault = popup.locator("#vt-fault")
    expect(fault).to_be_hidden()

    with database_moved_away(server):
        box.fill(TYPED)
        popup.get_by_role("button", name="Verstuur").click()
        expect(fault).to_be_visible()
        expect(fault).to_contain_text("Je bericht is niet verstuurd.")
        expect(fault).to_contain_text("Er ging iets mis bij ons. Probeer het zo opnieuw.")
        expect(fault).to_contain_text("0800 2000")
        expect(box).to_have_value(TYPED)
        expect(flows.visitor_messages(popup)).to_have_count(0)
        expect(flows.worker_messages(worker)).to_have_count(0)

    # The file is back: the same text, sent again, reaches both sides once.
    popup.get_by_role("button", name="Verstuur").click()
    expect(flows.visitor_messages(popup).filter(has_text=TYPED)).to_have_count(1)
    expect(flows.worker_messages(worker).filter(has_text=TYPED)).to_have_count(1)
    expect(box).to_have_value("")
    expect(fault).to_be_hidden()


def test_a_start_the_server_cannot_store_keeps_the_form_filled_in(server, visitor):
    popup = flows.open_host_page(visitor, server)
    flows.expect_open(popup)
    flows.open_form(popup)
    fault = popup.locator("#vt-fault")

    with database_moved_away(server):
        flows.submit_form(popup, "Ijsvogel")
        expect(fault).to_contain_text("De chat is niet gestart.")
        expect(fault).to_contain_text("0800 2000")
        expect(popup.get_by_label("Bijnaam")).to_have_value("Ijsvogel")
        expect(popup.get_by_role("heading", name="Start de chat")).to_be_visible()

    popup.get_by_role("button", name="Start de chat").click()
    flows.expect_place(popup, 1)
