"""Logging out ends the worker's session everywhere: an open console says so at once, and a
copy of the cookie no longer opens the console."""

from playwright.sync_api import expect

from e2e import flows

CONSOLE_COOKIE = "__Secure-vtconsole"


def test_logout_ends_the_session_in_every_tab_and_for_a_copied_cookie(server, new_context):
    context = new_context()
    console = context.new_page()
    flows.log_in(console, server, "demo2", "demo")  # Joris: other tests' Sanne keeps hers
    cookies = context.cookies()
    (cookie,) = [c for c in cookies if c["name"] == CONSOLE_COOKIE]
    assert (cookie["path"], cookie["sameSite"], cookie["secure"]) == ("/console", "Lax", True)

    other_tab = context.new_page()
    other_tab.goto(f"{server.chat_base}/console/")
    other_tab.get_by_role("button", name="Uitloggen").click()
    expect(other_tab.get_by_role("status")).to_have_text("Je bent uitgelogd.")
    expect(other_tab.get_by_role("button", name="Inloggen")).to_be_visible()
    # The console left open in the first tab is told live, and its socket stays closed.
    expect(console.locator("#console-session")).to_contain_text("Je bent uitgelogd.")

    thief = new_context()
    thief.add_cookies(cookies)
    page = thief.new_page()
    page.goto(f"{server.chat_base}/console/")
    expect(page.get_by_role("button", name="Inloggen")).to_be_visible()
    expect(page.get_by_role("button", name="Uitloggen")).to_have_count(0)
