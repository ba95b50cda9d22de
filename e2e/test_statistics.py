"""The statistics page in real Chromium: a coordinator sees the charts beside their tables,
downloads a table as CSV holding the same rows, and chooses a period; axe-core passes."""

import csv
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from e2e import flows
from e2e.test_accessibility import violations

JORIS = "demo2"  # of the demo region: a coordinator for these tests
TABLES = 9


@pytest.fixture
def coordinator(app, worker: Page):
    """Joris as a coordinator, with three weeks of the demo's past chats; afterwards a worker
    again, and the past chats gone."""
    from sqlalchemy import delete, select, update

    from backend import db, demo_history
    from backend.models import Chat, Registration, Worker, WorkerRole

    def role(value):
        with app.app_context(), db.session() as s:
            s.execute(update(Worker).where(Worker.username == JORIS).values(role=value))
            s.commit()

    role(WorkerRole.COORDINATOR)
    with app.app_context():
        demo_history.add(3)
    yield worker
    role(WorkerRole.WORKER)
    with app.app_context(), db.session() as s:
        past = Chat.token.startswith(demo_history.TOKEN_PREFIX)
        s.execute(delete(Registration).where(Registration.chat_id.in_(select(Chat.id).where(past))))
        s.execute(delete(Chat).where(past))
        s.commit()


def rows(page: Page, key: str) -> list[list[str]]:
    table = page.locator(f"#stat-{key}-table")
    return [row.locator("th, td").all_inner_texts() for row in table.locator("tr").all()]


def test_a_coordinator_sees_charts_and_downloads_a_table_as_csv(server, coordinator, app):
    page = coordinator
    flows.log_in(page, server, JORIS)
    page.get_by_role("link", name="Statistieken").click()
    expect(page.get_by_role("heading", name="Statistieken", exact=True)).to_be_visible()
    expect(page.locator('svg.console-chart[role="img"]')).to_have_count(TABLES)
    expect(page.get_by_role("img", name="Ernstige chats per week")).to_be_visible()
    expect(page.get_by_role("table")).to_have_count(TABLES)
    weekly = rows(page, "weekly")
    assert len(weekly) == 1 + 12  # the header and the last twelve weeks
    assert sum(int(n) for _, n in weekly[1:]) > 0  # the past chats show
    assert violations(page, []) == ""

    shown = rows(page, "chats")
    name = "Downloaden als CSV (Chats gestart, verlaten tijdens het wachten en beëindigd)"
    with page.expect_download() as download:
        page.get_by_role("link", name=name).click()
    assert download.value.suggested_filename.startswith("vtchat-chats-")
    with open(download.value.path(), newline="", encoding="utf-8") as f:
        assert list(csv.reader(f)) == shown
    assert int(shown[1][1]) > 0

    # A period of its own: this month so far.
    today = datetime.now(ZoneInfo(app.config["TIMEZONE"])).date()
    page.get_by_label("Van", exact=True).fill(today.replace(day=1).isoformat())
    page.get_by_label("Tot en met", exact=True).fill(today.isoformat())
    page.get_by_role("button", name="Tonen").click()
    expect(page.locator("#stat-weekly-table tbody tr").first).to_contain_text(
        f"Week {today.replace(day=1).isocalendar().week},"
    )

    # A period that ends before it starts: the words beside the field, and still accessible.
    page.get_by_label("Van", exact=True).fill(today.isoformat())
    page.get_by_label("Tot en met", exact=True).fill(
        today.replace(day=1, year=today.year - 1).isoformat()
    )
    page.get_by_role("button", name="Tonen").click()
    expect(page.get_by_text("Het einde van de periode ligt voor het begin.")).to_be_visible()
    expect(page.get_by_role("table")).to_have_count(0)
    assert violations(page, []) == ""
