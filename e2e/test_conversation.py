"""A whole conversation, and the queue of two visitors, seen by visitor and worker at once."""

from playwright.sync_api import expect

from e2e import flows


def test_whole_conversation_from_launcher_to_closing_message(server, visitor, worker):
    popup = flows.open_host_page(visitor, server)
    flows.expect_open(popup)
    flows.screenshot(visitor, "popup-status.png")

    # The worker is on the queue before the visitor arrives: the nickname must come in live.
    flows.log_in(worker, server)
    expect(worker.get_by_text("Er wacht niemand.")).to_be_visible()
    flows.mark_window(worker)

    flows.open_form(popup)
    flows.submit_form(popup, "Zonnebloem")
    flows.expect_place(popup, 1)
    expect(popup.locator("#vt-header")).to_contain_text("Je wacht op een medewerker")
    flows.screenshot(visitor, "popup-waiting.png")

    expect(flows.waiting_entry(worker, "Zonnebloem")).to_be_visible()
    flows.assert_not_reloaded(worker)
    flows.screenshot(worker, "console-queue.png")

    flows.mark_window(flows.widget_frame(visitor))
    flows.accept(worker, "Zonnebloem")
    flows.expect_chatting_with(popup, "Sanne")
    expect(popup.locator("#vt-queue")).to_have_count(0)

    flows.worker_send(worker, "Hoi Zonnebloem, je chat met Sanne. Waar wil je over praten?")
    expect(flows.visitor_messages(popup)).to_have_count(1)
    flows.visitor_send(popup, "Mijn vader wordt snel boos en dan wordt het eng thuis.")
    expect(flows.worker_messages(worker)).to_have_count(2)
    flows.worker_send(worker, "Wat goed dat je dit vertelt. Ben je nu veilig?")
    flows.visitor_send(popup, "Ja, ik ben nu op mijn kamer.")
    conversation = [
        "Hoi Zonnebloem, je chat met Sanne. Waar wil je over praten?",
        "Mijn vader wordt snel boos en dan wordt het eng thuis.",
        "Wat goed dat je dit vertelt. Ben je nu veilig?",
        "Ja, ik ben nu op mijn kamer.",
    ]
    flows.expect_visitor_history(popup, conversation)
    flows.expect_worker_history(worker, conversation)
    expect(flows.visitor_messages(popup).first.locator(".vt-msg-from")).to_have_text("Sanne")
    expect(flows.visitor_messages(popup).nth(1).locator(".vt-msg-from")).to_have_text("Jij")
    flows.assert_not_reloaded(flows.widget_frame(visitor))
    flows.screenshot(visitor, "popup-chat.png")
    flows.screenshot(worker, "console-chat.png")

    flows.worker_end(worker)
    flows.expect_ended(popup)
    expect(popup.locator("#vt-header")).to_contain_text("Je chat met Sanne is beëindigd")
    expect(popup.get_by_label("Je bericht")).to_have_count(0)
    flows.assert_not_reloaded(flows.widget_frame(visitor))


def test_second_visitor_moves_up_when_the_first_is_accepted(server, new_context, worker):
    first, second = new_context().new_page(), new_context().new_page()
    first_popup = flows.open_host_page(first, server)
    flows.start_chat(first_popup, "Egel", place=1)
    second_popup = flows.open_host_page(second, server)
    flows.start_chat(second_popup, "Vos", place=2)
    flows.mark_window(flows.widget_frame(second))

    flows.log_in(worker, server)
    expect(worker.locator("#console-queue .console-nick")).to_have_text(["Egel", "Vos"])
    flows.accept(worker, "Egel")

    flows.expect_chatting_with(first_popup, "Sanne")
    flows.expect_place(second_popup, 1)
    expect(second_popup.locator("#vt-queue")).not_to_contain_text("nummer 2")
    flows.assert_not_reloaded(flows.widget_frame(second))


def test_the_visitor_ends_the_chat_after_a_question_and_the_worker_sees_it(server, visitor, worker):
    popup = flows.in_conversation(visitor, worker, server, "Egel")
    flows.visitor_send(popup, "Ik moet gaan.")

    # A wrong tap is undone: the question first, and "no" brings the chat back unchanged.
    popup.get_by_role("link", name="Chat beëindigen").click()
    expect(popup.get_by_text("Wil je de chat beëindigen?")).to_be_visible()
    popup.get_by_role("link", name="Nee, ga terug").click()
    expect(popup.get_by_label("Je bericht")).to_be_visible()
    flows.expect_visitor_history(popup, ["Ik moet gaan."])

    popup.get_by_role("link", name="Chat beëindigen").click()
    popup.get_by_role("button", name="Ja, beëindig de chat").click()
    flows.expect_ended(popup)
    flows.expect_visitor_history(popup, ["Ik moet gaan."])
    # The worker's console learns it live, and can no longer send.
    expect(worker.get_by_text("Deze chat is beëindigd.")).to_be_visible()
    expect(worker.get_by_label("Je bericht")).to_have_count(0)

    # The end is shown once: the next page load is a fresh pop-up, with nothing from before.
    visitor.reload()
    popup = flows.open_popup(visitor)
    flows.expect_open(popup)
    expect(popup.get_by_text("Ik moet gaan.")).to_have_count(0)
    expect(popup.locator("#vt-closing")).to_have_count(0)
