"""The pop-up on a host page with a strict CSP: phone links keep it alive, and the host page's
address never reaches us."""

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

    own = f"{server.host_base}/embed/v1/demo-host.css"  # the host's own stylesheet: the control
    assert sent[own].get("referer") == server.host_url() + SEARCH
    ours = [url for url in sent if url.startswith(server.chat_base)]
    assert f"{server.chat_base}/embed/v1/launcher.css" in ours
    assert server.widget_url() in ours
    for url in ours:
        assert "referer" not in sent[url], url
