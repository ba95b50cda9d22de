"""The visitor's safety: closed hours, the quick exit, the phone numbers, no injected markup,
and no framing by sites that are not registered."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date
from playwright.sync_api import expect

from e2e import flows

PAYLOAD = "<script>window.__pwned=1</script><b>vet</b>"


@pytest.fixture
def closed_site(app, server):
    """A demo host page for a real region whose hours were taken away today.

    The region (the one of postcode 3511) then opens only tomorrow at 09:00, whatever the
    time the tests run. Its week and holiday rule are put back afterwards.
    """
    from backend import db, regions
    from backend.models import Region, Site

    tz = ZoneInfo(app.config["TIMEZONE"])
    tomorrow = datetime.now(tz).date() + timedelta(days=1)
    with app.app_context():
        region = regions.by_postcode("3511")
        week = regions.week(region.code)
        regions.set_week(region.code, [(tomorrow.weekday(), 9 * 60, 17 * 60)])
        with db.session() as s:
            s.get(Region, region.code).observes_holidays = False  # tomorrow may be a holiday
            s.merge(
                Site(
                    key="e2e-gesloten",
                    name=f"Veilig Thuis {region.name} (e2e)",
                    region_code=region.code,
                    origin=server.host_base,
                    is_demo=True,
                )
            )
            s.commit()
    yield {"key": "e2e-gesloten", "opens": tomorrow}
    with app.app_context():
        regions.set_week(region.code, week)
        with db.session() as s:
            s.get(Region, region.code).observes_holidays = region.observes_holidays
            s.delete(s.get(Site, "e2e-gesloten"))
            s.commit()


def test_outside_hours_the_popup_says_closed_with_next_opening(server, visitor, closed_site):
    popup = flows.open_host_page(visitor, server, closed_site["key"])
    expect(popup.locator("#vt-open-state")).to_have_text("De chat is nu gesloten.")
    expect(popup.get_by_text("Vandaag is de chat gesloten.")).to_be_visible()
    day = format_date(closed_site["opens"], "EEEE d MMMM", locale="nl")
    expect(popup.locator(".vt-next")).to_have_text(f"De chat gaat weer open op {day} om 09:00.")
    expect(popup.locator(".vt-call")).to_contain_text("0800 2000")
    expect(popup.get_by_role("link", name="Start de chat")).to_have_count(0)
    for text in flows.SAFETY_TEXTS:
        expect(popup.locator("#vt-safety").get_by_text(text)).to_be_visible()


def test_markup_in_a_message_is_shown_as_text_and_never_runs(server, visitor, worker):
    popup = flows.in_conversation(visitor, worker, server, "Das")

    flows.visitor_send(popup, PAYLOAD)
    flows.worker_send(worker, PAYLOAD)
    flows.expect_visitor_history(popup, [PAYLOAD, PAYLOAD])
    flows.expect_worker_history(worker, [PAYLOAD, PAYLOAD])
    for messages in (popup.locator("#vt-messages"), worker.locator("#chat-messages")):
        expect(messages.locator("b")).to_have_count(0)
        expect(messages.locator("script")).to_have_count(0)

    # Also after a reload, when the history comes from the server's page and the replay.
    visitor.reload()
    with flows.live_channel(visitor):  # the pop-up loads when the launcher opens
        popup = flows.open_popup(visitor)
    flows.expect_visitor_history(popup, [PAYLOAD, PAYLOAD])
    expect(popup.locator("#vt-messages b")).to_have_count(0)
    for window in (flows.widget_frame(visitor), visitor, worker):
        assert window.evaluate("typeof window.__pwned") == "undefined"


def test_quick_exit_and_phone_numbers_are_visible_in_every_state(server, visitor, worker):
    popup = flows.open_host_page(visitor, server)
    seen = []
    for state in flows.visitor_states(popup, worker, server):
        safety = popup.locator("#vt-safety")
        exit_link = safety.get_by_role("link", name="Verberg deze pagina")
        expect(exit_link, f"quick exit in state {state}").to_be_visible()
        expect(exit_link, f"quick exit in state {state}").to_be_in_viewport()
        for name in (flows.EMERGENCY, flows.HELPLINE):
            expect(safety.get_by_role("link", name=name, exact=True)).to_be_visible()
            expect(safety.get_by_role("link", name=name, exact=True)).to_be_in_viewport()
        seen.append(state)
    assert seen == ["status", "form", "form with errors", "waiting", "chatting", "ended"]


@pytest.fixture
def evil_registered_site(app):
    """A widget that http://evil.test may frame: it shows the framing itself works there."""
    from backend import db
    from backend.models import Site

    with app.app_context(), db.session() as s:
        s.merge(Site(key="e2e-evil", name="e2e", region_code="DEMO", origin="http://evil.test"))
        s.commit()
    yield "e2e-evil"
    with app.app_context(), db.session() as s:
        s.delete(s.get(Site, "e2e-evil"))
        s.commit()


def test_a_site_that_is_not_registered_cannot_frame_the_widget(
    server, visitor, evil_registered_site
):
    visitor.route(
        "http://evil.test/**",
        lambda route: route.fulfill(
            content_type="text/html",
            body=(
                "<!doctype html><title>Elders</title>"
                f'<iframe id="theirs" src="{server.widget_url()}" title="a"></iframe>'
                f'<iframe id="allowed" src="{server.widget_url(evil_registered_site)}"'
                ' title="b"></iframe>'
            ),
        ),
    )
    with visitor.expect_console_message(lambda message: "frame-ancestors" in message.text):
        visitor.goto("http://evil.test/")
    # The control: a widget registered for this origin does render in it.
    allowed = visitor.frame_locator("#allowed")
    expect(allowed.get_by_role("link", name="Verberg deze pagina")).to_be_visible()
    # Demo Utrecht is registered for another origin: the browser refuses to show it here.
    blocked = visitor.frame_locator("#theirs")
    expect(blocked.locator("#vt-safety")).to_have_count(0)
    expect(blocked.get_by_text("Verberg deze pagina")).to_have_count(0)
    theirs = visitor.locator("#theirs").element_handle().content_frame()
    assert not theirs.url.startswith(server.chat_base)
