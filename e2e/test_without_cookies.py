"""A browser that refuses our cookie (Safari before 18.4, or cookies blocked) still chats.

Every answer from the chat host reaches the browser without its Set-Cookie. The answers are
fetched by the test itself, because Playwright's own route.fetch() would store the cookie in
the browser context and so defeat the point.
"""

import http.client
from urllib.parse import urlsplit

from playwright.sync_api import expect

from e2e import flows


def refuse_cookies(context, server) -> None:
    """Route every request to the chat host through a fetch that drops Set-Cookie."""

    def forward(route):
        request = route.request
        address = urlsplit(request.url)
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
        path = address.path + (f"?{address.query}" if address.query else "")
        connection.request(
            request.method, path, body=request.post_data_buffer, headers=request.all_headers()
        )
        answer = connection.getresponse()
        headers = {k: v for k, v in answer.getheaders() if k.lower() != "set-cookie"}
        route.fulfill(status=answer.status, headers=headers, body=answer.read())
        connection.close()

    context.route(lambda url: url.startswith(server.chat_base), forward)


def test_the_whole_chat_with_every_cookie_refused(server, new_context, worker):
    context = new_context()
    refuse_cookies(context, server)
    visitor = context.new_page()
    popup = flows.open_host_page(visitor, server)
    flows.start_chat(popup, "Vink")

    flows.log_in(worker, server)
    flows.accept(worker, "Vink")
    flows.expect_chatting_with(popup, "Sanne")
    flows.worker_send(worker, "Hoi Vink.")
    flows.visitor_send(popup, "Hallo, mijn browser weigert cookies.")
    flows.expect_visitor_history(popup, ["Hoi Vink.", "Hallo, mijn browser weigert cookies."])
    flows.expect_worker_history(worker, ["Hoi Vink.", "Hallo, mijn browser weigert cookies."])

    popup.get_by_role("link", name="Chat beëindigen").click()
    popup.get_by_role("button", name="Ja, beëindig de chat").click()
    flows.expect_ended(popup)
    expect(worker.get_by_text("Deze chat is beëindigd.")).to_be_visible()
    # Nothing of ours was ever kept by the browser.
    assert [c for c in context.cookies() if c["domain"] == "localhost"] == []
