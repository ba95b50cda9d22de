"""The pop-up on a host page with a strict CSP: phone links keep it alive, the host page's
address never reaches us, and until the launcher opens the page asks us for one stylesheet."""

import pytest
from playwright.sync_api import expect

from e2e import flows

SEARCH = "?zoekterm=mijn+vader+slaat"


def test_the_demo_host_page_sends_the_recommended_strict_csp(server, visitor):
    response = visitor.goto(server.host_url())
    csp = response.headers["content-security-policy"]
    assert f"frame-src {server.chat_base};" in csp
    assert "script-src" not in csp and "default-src 'self'" in csp


@pytest.mark.parametrize("number", [flows.EMERGENCY, flows.HELPLINE])
def test_calling_a_number_keeps_the_pop_up(server, visitor, worker, number):
    popup = flows.in_conversation(visitor, worker, server, "Egel")
    flows.mark_window(flows.widget_frame(visitor))
    popup.locator("#vt-safety").get_by_role("link", name=number).click()
    # The host page stays, and the pop-up is the same live chat, not an error page. (Headless
    # Chromium has no phone app: it then takes no more clicks, so the worker speaks next.)
    expect(visitor).to_have_url(server.host_url())
    flows.expect_chatting_with(popup, "Sanne")
    flows.assert_not_reloaded(flows.widget_frame(visitor))
    flows.worker_send(worker, "Ben je er nog?")
    flows.expect_visitor_history(popup, ["Ben je er nog?"])


def test_no_referrer_leaves_a_host_page_that_would_send_its_whole_address(server, visitor):
    # The host page asks for the loosest policy (unsafe-url): every request it makes would
    # carry its full address, search words included, unless the snippet says otherwise.
    def loose(route):
        response = route.fetch()
        headers = {**response.headers, "referrer-policy": "unsafe-url"}
        route.fulfill(response=response, headers=headers)

    visitor.route(lambda url: url.startswith(server.host_url()), loose)
    sent = {}
    visitor.on("request", lambda request: sent.setdefault(request.url, request.all_headers()))

    visitor.goto(server.host_url() + SEARCH)
    flows.expect_open(flows.open_popup(visitor))

    # The host's own stylesheet (under its hashed name): the control.
    own = next(url for url in sent if url.startswith(f"{server.host_base}/embed/v1/demo-host."))
    assert sent[own].get("referer") == server.host_url() + SEARCH
    ours = [url for url in sent if url.startswith(server.chat_base)]
    assert server.launcher_css_url() in ours
    assert server.widget_url() in ours
    for url in ours:
        assert "referer" not in sent[url], url


def asked_of_us(page, server) -> tuple[list[str], list]:
    """What the page (its frames too) asks of the chat host from now on: URLs and sockets.

    Every test context routes its requests (e2e/conftest.py), which turns the browser's cache
    off: each request counted here reached our server. That a repeated view is served from
    the cache is in tests/test_static_files.py and bench/host_page.py.
    """
    urls, sockets = [], []
    page.on(
        "request",
        lambda request: request.url.startswith(server.chat_base) and urls.append(request.url),
    )
    page.on("websocket", lambda socket: sockets.append(socket))
    return urls, sockets


def test_until_the_launcher_opens_the_host_page_asks_us_for_the_stylesheet_only(server, visitor):
    urls, sockets = asked_of_us(visitor, server)
    launcher_css = server.launcher_css_url()
    # goto waits for the load event, and with it for every frame that loads at once.
    visitor.goto(server.host_url())
    assert urls == [launcher_css]
    with visitor.expect_navigation():
        visitor.get_by_role("navigation").get_by_role("link", name="Advies").click()
    assert urls == [launcher_css, launcher_css]
    assert not [frame for frame in visitor.frames if "/w/" in frame.url]  # no pop-up, no htmx
    assert sockets == []

    # Opened, the pop-up loads with its CSS and htmx, and works as ever.
    popup = flows.open_popup(visitor)
    assert urls[2] == server.widget_url()
    assert any("/w/static/vendor/htmx-" in url for url in urls[3:])
    flows.start_chat(popup, "Kat")


def test_a_chat_on_another_page_costs_the_stylesheet_alone_until_opened_then_comes_back(
    server, visitor, worker
):
    popup = flows.in_conversation(visitor, worker, server, "Vos")
    flows.worker_send(worker, "Hoi Vos, ik ben Sanne.")
    flows.visitor_send(popup, "Hoi.")

    urls, sockets = asked_of_us(visitor, server)
    with visitor.expect_navigation():
        visitor.get_by_role("navigation").get_by_role("link", name="Advies").click()
    # Just what a visitor without a chat costs: a script of the host page can tell nobody apart.
    assert urls == [server.launcher_css_url()]
    assert sockets == []

    with flows.live_channel(visitor):
        popup = flows.open_popup(visitor)
    flows.expect_chatting_with(popup, "Sanne")
    flows.expect_visitor_history(popup, ["Hoi Vos, ik ben Sanne.", "Hoi."])
    flows.worker_send(worker, "Fijn dat je er nog bent.")
    flows.expect_visitor_history(
        popup, ["Hoi Vos, ik ben Sanne.", "Hoi.", "Fijn dat je er nog bent."]
    )
