"""The open-or-closed pop-up of a first visit: one page for everyone, kept in memory by each
process, and never shown after it changed (backend/shared_pages.py)."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import delete

from backend import db, regions, settings_changes
from backend.models import OpeningHours
from tests.helpers import COOKIE, DEMO_SITE, add_site, counted_queries, text_of

SITE = "vt-test-hours"
REGION = "VT20"  # Utrecht, a real region: it keeps its holidays
# Wednesday 18 November 2026 in Amsterdam (CET, UTC+1).
WEDNESDAY_1659 = datetime(2026, 11, 18, 15, 59, tzinfo=UTC)
WEDNESDAY_1701 = datetime(2026, 11, 18, 16, 1, tzinfo=UTC)


@pytest.fixture
def site(app):
    """A site of a region open on weekdays from 9 to 17."""
    with app.app_context():
        regions.set_week(REGION, [(day, 9 * 60, 17 * 60) for day in range(5)])
    return add_site(app, SITE, REGION, "https://t.example")


def first_visit(app, site=SITE):
    """The pop-up as a browser without any cookie of ours loads it."""
    answer = app.test_client().get(f"/w/{site}")
    assert answer.status_code == 200
    return answer


def test_first_visits_share_one_page_that_carries_nothing_of_a_visitor(app, site):
    first = first_visit(app)
    with counted_queries(app) as statements:
        second = first_visit(app)
    assert second.data == first.data
    assert statements == []  # served from memory: no view ran
    for answer in (first, second):
        assert "Set-Cookie" not in answer.headers
        assert "X-CSRFToken" not in answer.text and "csrf" not in answer.text.lower()
        assert answer.headers["Cache-Control"] == "no-store"
        assert "frame-ancestors https://t.example" in answer.headers["Content-Security-Policy"]
    assert "De chat is nu open." in text_of(first.text)


def test_a_visitor_with_a_session_gets_their_own_page(app, client, site):
    first_visit(app)
    client.get(f"/w/{site}/start")  # the form: now there is a session with a token
    assert client.get_cookie(COOKIE) is not None
    with counted_queries(app) as statements:
        page = client.get(f"/w/{site}")
    assert statements  # the view ran
    assert "X-CSRFToken" in page.text


def test_each_site_has_its_own_page(app, site):
    ours, demo = first_visit(app), first_visit(app, DEMO_SITE)
    assert first_visit(app).data == ours.data
    assert first_visit(app, DEMO_SITE).data == demo.data != ours.data


def test_hours_changed_in_this_process_show_at_once(app, site):
    assert "De chat is nu open." in text_of(first_visit(app).text)
    with app.app_context():
        regions.set_week(REGION, [])
    assert "De chat is nu gesloten." in text_of(first_visit(app).text)


def test_the_page_turns_when_the_region_closes(app, clock, site):
    clock.at = WEDNESDAY_1659
    assert "De chat is nu open." in text_of(first_visit(app).text)
    clock.at = WEDNESDAY_1701
    closed = text_of(first_visit(app).text)
    assert "De chat is nu gesloten." in closed
    assert "donderdag 19 november om 09:00" in closed


def _close_behind_the_apps_back(app):
    """Hours deleted as another process would: no row object in this process, no event."""
    with app.app_context(), db.session() as s:
        s.execute(delete(OpeningHours).where(OpeningHours.region_code == REGION))
        s.commit()


def test_a_change_made_elsewhere_shows_once_the_hub_says_so(app, hub, site):
    first_visit(app)
    _close_behind_the_apps_back(app)
    assert "De chat is nu open." in text_of(first_visit(app).text)  # not heard of yet
    hub.publish(settings_changes.TOPIC, {"type": "settings"})
    assert "De chat is nu gesloten." in text_of(first_visit(app).text)


def test_a_change_no_hub_reports_shows_within_a_second(app, site, monkeypatch):
    first_visit(app)
    _close_behind_the_apps_back(app)
    assert "De chat is nu open." in text_of(first_visit(app).text)
    later = settings_changes.time.monotonic() + settings_changes.MAX_AGE
    monkeypatch.setattr(settings_changes.time, "monotonic", lambda: later)
    assert "De chat is nu gesloten." in text_of(first_visit(app).text)


def test_a_committed_change_to_hours_is_announced_to_the_other_processes(app, hub, site):
    hub.clear()
    with app.app_context():
        regions.set_week(REGION, [])
    assert hub.events(settings_changes.TOPIC) == [{"type": "settings"}]
