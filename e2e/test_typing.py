"""Typing, both ways, in real Chromium: "Sanne typt…" in the pop-up, "aan het typen" in the
console. Shown quietly under the messages, gone when the message comes or by itself."""

from playwright.sync_api import expect

from e2e import flows

# The line goes a few seconds after the last ping (CSS): more than enough to see it go.
GOES_BY_ITSELF_MS = 20_000


def test_the_worker_typing_shows_in_the_pop_up_and_goes(server, visitor, worker):
    popup = flows.in_conversation(visitor, worker, server, "Mila")
    host_title = visitor.title()
    line = popup.locator("#vt-typing")
    expect(line).to_be_hidden()

    worker.get_by_label("Je bericht").press_sequentially("Hoi Mila")
    expect(line).to_be_visible()
    expect(line).to_have_text("Sanne typt…")
    # Shown, never said aloud, no sound, and the host page's title stays as it was.
    expect(popup.locator("#vt-announce")).not_to_contain_text("typt")
    expect(popup.locator("audio")).to_have_count(0)
    assert visitor.title() == host_title

    # The message comes: the line goes with it.
    worker.get_by_role("button", name="Verstuur").click()
    expect(flows.visitor_messages(popup).filter(has_text="Hoi Mila")).to_have_count(1)
    expect(line).to_be_hidden()

    # Typing that stops without a message: the line goes by itself.
    worker.get_by_label("Je bericht").press_sequentially("Ben je")
    expect(line).to_have_text("Sanne typt…")
    expect(line).to_be_visible()
    expect(line).to_be_hidden(timeout=GOES_BY_ITSELF_MS)


def test_the_visitor_typing_shows_in_the_console_and_goes_with_the_message(server, visitor, worker):
    popup = flows.in_conversation(visitor, worker, server, "Mila")
    popup.get_by_label("Je bericht").press_sequentially("Ik wil iets")
    expect(worker.locator("#chat-typing")).to_have_text("Mila is aan het typen…")
    expect(worker.locator("#console-tabs")).to_contain_text("aan het typen")

    popup.get_by_role("button", name="Verstuur").click()
    expect(flows.worker_messages(worker).filter(has_text="Ik wil iets")).to_have_count(1)
    expect(worker.locator("#chat-typing")).to_have_text("")
    expect(worker.locator("#console-tabs")).not_to_contain_text("aan het typen")

    # Typing that stops without a message: "typing" gives way to "here" by itself.
    popup.get_by_label("Je bericht").press_sequentially("Nog")
    typing_now = worker.locator("#console-tabs .console-typing-now")
    expect(typing_now).to_be_visible()
    expect(worker.locator("#chat-typing")).to_have_text("Mila is aan het typen…")
    expect(typing_now).to_be_hidden(timeout=GOES_BY_ITSELF_MS)
    expect(worker.locator("#console-tabs .console-typing-over")).to_have_text("is er")
    expect(worker.locator("#console-tabs .console-typing-over")).to_be_visible()
    expect(worker.locator("#chat-typing")).to_be_hidden()
