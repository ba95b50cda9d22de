"""Ending with the advice registration, and the follow-up code, in real Chromium."""

from playwright.sync_api import expect

from e2e import flows
from e2e.test_accessibility import violations

SERIOUS = {
    "Soort contact": "Serieus",
    "Onderwerp": "Partnergeweld",
    "Wie vroeg er advies": "Slachtoffer",
    "Jonger dan 18": "Nee",
    "Verwezen naar": "Huisarts",
}
ADVICE = "Vertel de huisarts wat er thuis gebeurt; bel 0800 2000 als het erger wordt."


def test_ending_requires_the_registration(server, visitor, worker):
    popup = flows.in_conversation(visitor, worker, server, "Kiezel")
    form = flows.open_registration(worker)
    expect(form).to_contain_text("Schrijf geen namen, adressen of iets anders")

    # Serious, and nothing else chosen: refused in Dutch, and the chat goes on.
    flows.choose(worker, {"Soort contact": "Serieus"})
    worker.get_by_role("button", name="Registreren en chat beëindigen").click()
    expect(form).to_contain_text("Kies waar de chat over ging.")
    expect(form).to_contain_text("Kies waarnaar je de bezoeker hebt verwezen")
    expect(worker.get_by_role("radio", name="Serieus", exact=True)).to_be_checked()
    assert violations(worker, []) == ""
    flows.visitor_send(popup, "Ben je er nog?")
    flows.expect_worker_history(worker, ["Ben je er nog?"])

    flows.choose(worker, SERIOUS)
    worker.get_by_label("Gegeven advies").fill(ADVICE)
    worker.get_by_role("button", name="Registreren en chat beëindigen").click()
    expect(worker.locator("#console-end")).to_have_text("Geregistreerd als: Serieus.")
    expect(worker.get_by_text("Deze chat is beëindigd.")).to_be_visible()
    flows.expect_ended(popup)
    flows.followup_code(popup)


def test_a_chat_the_visitor_ends_keeps_the_registration_being_filled_in(server, visitor, worker):
    popup = flows.in_conversation(visitor, worker, server, "Hommel")
    flows.open_registration(worker)
    flows.choose(worker, {"Soort contact": "Serieus", "Onderwerp": "Kindermishandeling"})
    advice = worker.get_by_label("Gegeven advies")
    advice.press_sequentially("Vertel de huisarts")

    popup.get_by_role("link", name="Chat beëindigen").click()
    popup.get_by_role("button", name="Ja, beëindig de chat").click()
    flows.expect_ended(popup)

    # Pushed over the socket: the form now registers an ended chat, the choices made stay.
    form = worker.locator("#console-registration")
    expect(form.get_by_role("heading")).to_have_text("Registreer deze chat")
    expect(form.get_by_role("button", name="Registratie opslaan")).to_be_visible()
    expect(form.get_by_role("link", name="Chat niet beëindigen")).to_have_count(0)
    expect(worker.get_by_role("radio", name="Kindermishandeling")).to_be_checked()
    # The worker typing the advice types on: the push took the focus nowhere.
    expect(advice).to_be_focused()
    worker.keyboard.type(" wat er thuis gebeurt.")
    expect(advice).to_have_value("Vertel de huisarts wat er thuis gebeurt.")
    expect(worker.locator("#console-tabs")).to_contain_text("Nog te registreren")
    flows.choose(worker, SERIOUS | {"Onderwerp": "Kindermishandeling"})
    worker.get_by_role("button", name="Registratie opslaan").click()
    expect(worker.locator("#console-end")).to_have_text("Geregistreerd als: Serieus.")
    expect(worker.locator("#console-tabs")).not_to_contain_text("Nog te registreren")


def test_the_followup_code_brings_the_earlier_advice_up_in_a_later_chat(server, visitor, worker):
    popup = flows.in_conversation(visitor, worker, server, "Vlinder")
    flows.visitor_send(popup, "Mijn vader wordt snel boos.")
    flows.open_registration(worker)
    flows.choose(worker, SERIOUS)
    worker.get_by_label("Gegeven advies").fill(ADVICE)
    worker.get_by_role("button", name="Registreren en chat beëindigen").click()
    flows.expect_ended(popup)
    code = flows.followup_code(popup)
    expect(popup.locator("#vt-followup")).to_contain_text("Niemand kan met de code dit gesprek")

    # Later, a new chat: the visitor gives the code in the start form.
    popup.get_by_role("button", name="Sluit dit gesprek af").click()
    flows.open_form(popup)
    popup.get_by_label("Vervolgcode van een eerdere chat").fill(code.replace("-", " "))
    flows.submit_form(popup, "Libel")
    flows.expect_place(popup, 1)

    worker.goto(f"{server.chat_base}/console/")
    flows.accept(worker, "Libel")
    earlier = worker.locator("#console-earlier")
    expect(earlier.get_by_role("heading")).to_have_text("Eerder gegeven advies")
    expect(earlier).to_contain_text(ADVICE)
    expect(earlier).to_contain_text("Partnergeweld")
    expect(earlier).to_contain_text("Huisarts")
    assert violations(worker, []) == ""
    # Never the conversation, nor the earlier nickname.
    expect(worker.get_by_text("Mijn vader wordt snel boos.")).to_have_count(0)
    expect(earlier).not_to_contain_text("Vlinder")
