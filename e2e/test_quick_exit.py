"""'Verberg deze pagina' in real Chromium: the top window leaves at once, also with our server
down; the worker sees it live; Back, reload and other pages bring back nothing from before."""

import pytest
from playwright.sync_api import expect

from e2e import flows
from e2e.harness import serve

NEUTRAL_PAGE = "<!doctype html><title>Zoeken</title><p>Neutraal</p>"
TRACES = ("Mol", "Vertel het maar", "Mijn stiefvader", "Sanne", "beëindigd")


@pytest.fixture
def neutral(app, visitor):
    """The neutral site the quick exit leads to, served by the test (nothing leaves this host)."""
    url = app.config["QUICK_EXIT_URL"]
    visitor.context.route(
        lambda address: address.startswith(url),
        lambda route: route.fulfill(content_type="text/html", body=NEUTRAL_PAGE),
    )
    return url


def leave(visitor, popup, neutral) -> None:
    popup.get_by_role("link", name="Verberg deze pagina").click()
    expect(visitor).to_have_url(neutral)
    expect(visitor.get_by_text("Neutraal")).to_be_visible()
    assert visitor.main_frame.child_frames == []


def assert_fresh(text: str) -> None:
    assert "Start de chat" in text, text
    for trace in TRACES:
        assert trace not in text, f"{trace!r} is still in the pop-up:\n{text}"


def expect_fresh_after_back(visitor, server) -> None:
    """After Back: the pop-up, from the cache or loaded anew, shows nothing from before."""
    visitor.go_back(wait_until="commit")
    expect(visitor).to_have_url(server.host_url())
    launcher = visitor.locator(flows.LAUNCHER)
    expect(launcher).to_be_attached()
    if launcher.get_attribute("open") is None:
        # Loaded anew, not from the cache: the launcher is closed and its frame not fetched
        # (loading="lazy") until the visitor opens it.
        flows.open_popup(visitor)
    assert_fresh(flows.popup_text(visitor, until="Start de chat"))


def test_quick_exit_leaves_tells_the_worker_and_forgets_everything(
    server, visitor, worker, neutral
):
    popup = flows.in_conversation(visitor, worker, server, "Mol")
    flows.worker_send(worker, "Vertel het maar, Mol.")
    flows.visitor_send(popup, "Mijn stiefvader slaat mij.")
    leave(visitor, popup, neutral)
    expect(worker.locator("#chat-state")).to_contain_text(
        "de bezoeker is weggegaan met ‘Verberg deze pagina’"
    )
    expect(worker.get_by_label("Je bericht")).to_have_count(0)

    # Back: Chromium may restore the host page, pop-up and all, from its back/forward cache,
    # or (when the pop-up's socket heard from us while the page was in the cache) load it
    # anew. Either way the pop-up is empty; the form test below always takes the cache.
    expect_fresh_after_back(visitor, server)

    visitor.reload()
    popup = flows.open_popup(visitor)
    flows.expect_open(popup)
    assert_fresh(popup.locator("body").inner_text())

    visitor.get_by_role("navigation").get_by_role("link", name="Advies").click()
    popup = flows.open_popup(visitor)
    flows.expect_open(popup)
    assert_fresh(popup.locator("body").inner_text())


def test_quick_exit_from_the_form_forgets_the_typed_nickname(server, visitor, neutral):
    popup = flows.open_host_page(visitor, server)
    flows.open_form(popup)
    popup.get_by_label("Bijnaam").fill("Mol")
    assert "Mol" in flows.popup_text(visitor, until="Mol")
    visitor.evaluate(
        "addEventListener('pageshow', event => { window.__fromCache = event.persisted })"
    )
    leave(visitor, popup, neutral)
    visitor.go_back(wait_until="commit")
    expect(visitor).to_have_url(server.host_url())
    assert visitor.evaluate("window.__fromCache") is True, "not restored from the cache"
    assert_fresh(flows.popup_text(visitor))


def test_quick_exit_leaves_even_when_the_chat_server_is_down(tmp_path_factory, new_context, app):
    visitor = new_context().new_page()
    url = app.config["QUICK_EXIT_URL"]
    visitor.context.route(
        lambda address: address.startswith(url),
        lambda route: route.fulfill(content_type="text/html", body=NEUTRAL_PAGE),
    )
    with serve(tmp_path_factory.mktemp("down")) as doomed:
        popup = flows.open_host_page(visitor, doomed)
        flows.start_chat(popup, "Mol")
    # The server is stopped now; the link goes straight to the neutral site all the same.
    leave(visitor, popup, url)
