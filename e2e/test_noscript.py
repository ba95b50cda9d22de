"""With JavaScript off, a visitor starts, waits, sees their place, chats and ends.

The waiting page and the conversation's own frame reload themselves (<noscript> refresh);
the message box stays outside that frame, so what is being typed is never lost.
"""

from playwright.sync_api import expect

from e2e import flows

TRANSCRIPT = "iframe.vt-transcript"


def taken_without_javascript(visitor, server, worker, nickname: str):
    """A visitor with JavaScript off starts a chat, Sanne takes it; the pop-up."""
    popup = flows.open_host_page(visitor, server)  # <details> opens without script
    flows.expect_open(popup)
    popup.get_by_role("link", name="Start de chat").click()
    flows.submit_form(popup, nickname)
    flows.expect_place(popup, 1)
    flows.log_in(worker, server)
    flows.accept(worker, nickname)
    # The waiting page reloads itself and then shows the chat.
    flows.expect_chatting_with(popup, "Sanne")
    return popup


def test_the_whole_chat_without_javascript(server, new_context, worker):
    visitor = new_context(java_script_enabled=False).new_page()
    popup = taken_without_javascript(visitor, server, worker, "Das")
    transcript = popup.frame_locator(TRANSCRIPT)

    flows.worker_send(worker, "Hoi Das, ik ben Sanne.")
    expect(transcript.get_by_text("Hoi Das, ik ben Sanne.")).to_be_visible()

    # Typed text outlives the transcript's reloads: wait for the next one, then check.
    popup.get_by_label("Je bericht").fill("Ik wil iets vragen")
    flows.worker_send(worker, "Neem je tijd.")
    expect(transcript.get_by_text("Neem je tijd.")).to_be_visible()
    expect(popup.get_by_label("Je bericht")).to_have_value("Ik wil iets vragen")
    popup.get_by_role("button", name="Verstuur").click()
    expect(transcript.get_by_text("Ik wil iets vragen")).to_be_visible()
    expect(popup.get_by_label("Je bericht")).to_have_value("")
    flows.expect_worker_history(
        worker, ["Hoi Das, ik ben Sanne.", "Neem je tijd.", "Ik wil iets vragen"]
    )

    popup.get_by_role("link", name="Chat beëindigen").click()
    popup.get_by_role("button", name="Ja, beëindig de chat").click()
    flows.expect_ended(popup)
    expect(worker.get_by_text("Deze chat is beëindigd.")).to_be_visible()


def test_without_javascript_the_worker_ending_the_chat_shows_up(server, new_context, worker):
    visitor = new_context(java_script_enabled=False).new_page()
    popup = taken_without_javascript(visitor, server, worker, "Uil")
    flows.worker_end(worker)
    transcript = popup.frame_locator(TRANSCRIPT)
    expect(transcript.get_by_text("Het gesprek is beëindigd.")).to_be_visible()
    transcript.get_by_role("link", name="Verder").click()
    flows.expect_ended(popup)
    expect(popup.get_by_label("Je bericht")).to_have_count(0)


def test_without_javascript_the_quick_exit_still_tells_the_worker(app, server, new_context, worker):
    # No htmx here: only the link's ping tells us, while the top window leaves.
    visitor = new_context(java_script_enabled=False).new_page()
    neutral = app.config["QUICK_EXIT_URL"]
    visitor.route(
        lambda url: url.startswith(neutral),
        lambda route: route.fulfill(content_type="text/html", body="<title>Zoeken</title>"),
    )
    popup = taken_without_javascript(visitor, server, worker, "Mus")
    popup.get_by_role("link", name="Verberg deze pagina").click()
    expect(visitor).to_have_url(neutral)
    expect(worker.locator("#chat-state")).to_contain_text(
        "de bezoeker is weggegaan met ‘Verberg deze pagina’"
    )
