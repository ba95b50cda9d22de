"""A canned answer is found by its short name, put in the box, edited there and sent."""

import re

from playwright.sync_api import expect

from e2e import flows


def test_a_canned_answer_is_edited_and_sent(server, visitor, worker):
    popup = flows.in_conversation(visitor, worker, server, "Lotus")
    flows.mark_window(worker)
    box = worker.get_by_label("Je bericht")
    box.fill("Hoi Lotus,")

    # Searching by (part of) the short name, in any case: that answer comes first.
    worker.get_by_label("Zoek op korte naam of titel").fill("MELD")
    found = worker.locator("#canned-results button")
    expect(found).to_have_count(2)  # "melding", and one with "melding" in its title
    expect(found.first).to_have_text(re.compile(r"melding\s+Zo gaat een melding"))
    found.first.click()

    # The answer comes after what was typed, in the box, which has the focus to edit it.
    expect(box).to_have_value(re.compile(r"^Hoi Lotus,\n\nIn de chat kun je geen melding doen"))
    expect(box).to_be_focused()
    box.press("Control+End")
    box.press_sequentially(" Zal ik het nummer nog een keer geven?")
    edited = box.input_value()
    assert edited.startswith("Hoi Lotus,\n\n") and "0800 2000" in edited
    worker.get_by_role("button", name="Verstuur").click()

    message = flows.visitor_messages(popup).last
    expect(message).to_contain_text("Hoi Lotus,")
    expect(message).to_contain_text("Een melding doe je telefonisch via 0800 2000.")
    expect(message).to_contain_text("Zal ik het nummer nog een keer geven?")
    expect(message.locator(".vt-msg-from")).to_have_text("Sanne")
    expect(flows.worker_messages(worker).last).to_contain_text("nog een keer geven?")
    expect(box).to_have_value("")
    flows.assert_not_reloaded(worker)  # all of it without leaving the page


def test_without_javascript_the_answer_still_lands_after_the_typed_text(
    server, visitor, new_context
):
    """The search and the answer's button are plain forms: the page comes back with the box."""
    worker = new_context(java_script_enabled=False).new_page()
    popup = flows.open_host_page(visitor, server)
    flows.start_chat(popup, "Wilg")
    flows.log_in(worker, server, live=False)
    worker.get_by_role("button", name="Aannemen Wilg").click()
    expect(worker.get_by_role("heading", name="Chat met Wilg")).to_be_visible()

    worker.get_by_label("Zoek op korte naam of titel").fill("stil")
    worker.get_by_role("button", name="Zoek", exact=True).click()
    expect(worker.locator("#canned-results button")).to_have_count(2)
    box = worker.get_by_label("Je bericht")
    box.fill("Hoi Wilg,")
    worker.get_by_role("button", name=re.compile("^stil Ben je er nog")).click()
    expect(box).to_have_value(re.compile(r"^Hoi Wilg,\n\nIk heb al even niets van je gelezen"))
    worker.get_by_role("button", name="Verstuur").click()
    expect(flows.visitor_messages(popup).last).to_contain_text("Ben je er nog?")
    expect(flows.visitor_messages(popup).last).to_contain_text("Hoi Wilg,")


def test_an_answer_chosen_while_a_send_is_on_its_way_waits_for_it(server, visitor, worker):
    """The text being sent is not sent again with the answer, nor is the answer lost with it."""
    popup = flows.in_conversation(visitor, worker, server, "Iris")
    flows.worker_send(worker, "Hoi Iris, je chat met Sanne.")
    held = []
    worker.route("**/console/chats/*/send", lambda route: held.append(route))  # until released
    inserts = []
    worker.on("request", lambda request: "/canned/" in request.url and inserts.append(request))

    box = worker.get_by_label("Je bericht")
    box.fill("Ben je nog veilig?")
    worker.get_by_role("button", name="Verstuur").click()
    expect(worker.locator("#console-send-form")).to_have_class(re.compile("htmx-request"))
    worker.get_by_label("Zoek op korte naam of titel").fill("stil")
    expect(worker.locator("#canned-results button")).to_have_count(2)
    worker.get_by_role("button", name=re.compile("^stil Ben je er nog")).click()
    worker.wait_for_timeout(300)  # room for a request that must not be made yet
    assert inserts == []  # it waits for the send

    held[0].continue_()
    expect(flows.visitor_messages(popup)).to_have_count(2)
    expect(flows.visitor_messages(popup).last).to_contain_text("Ben je nog veilig?")
    expect(box).to_have_value(re.compile(r"^Ik heb al even niets van je gelezen"))
    assert len(inserts) == 1
