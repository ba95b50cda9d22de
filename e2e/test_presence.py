"""Each side sees, live, when the other has gone and when they are back."""

from playwright.sync_api import expect

from e2e import flows


def test_the_visitor_sees_the_worker_go_and_come_back(server, visitor, worker):
    popup = flows.open_host_page(visitor, server)
    flows.start_chat(popup, "Merel")
    flows.log_in(worker, server)
    flows.accept(worker, "Merel")
    flows.expect_chatting_with(popup, "Sanne")
    chat_page = worker.url
    away = popup.locator("#vt-presence")
    expect(away).to_be_hidden()

    worker.goto("about:blank")  # the console closed: a crash, a lost network, a closed laptop
    expect(away).to_have_text(
        "Je medewerker is even weg. Je berichten komen aan; je kunt gewoon verder schrijven."
    )
    expect(popup.locator("#vt-announce")).to_contain_text("Je medewerker is even weg")

    worker.goto(chat_page)
    expect(away).to_be_hidden()
    expect(popup.locator("#vt-announce")).to_have_text("Je medewerker is er weer.")


def test_the_worker_sees_the_visitor_go_and_come_back(server, visitor, worker):
    flows.in_conversation(visitor, worker, server, "Merel")
    state = worker.locator("#chat-state")
    expect(state).to_contain_text("de bezoeker is er")

    context = visitor.context
    visitor.close()  # the visitor's tab closed
    expect(state).to_contain_text("de bezoeker is weg")

    popup = flows.open_host_page(context.new_page(), server)  # the pop-up resumes the chat
    flows.expect_chatting_with(popup, "Sanne")
    expect(state).to_contain_text("de bezoeker is terug")
