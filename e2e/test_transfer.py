"""Handing a chat over, in real Chromium: from one region's worker to another region's queue."""

from playwright.sync_api import expect

from e2e import flows

NORTH = "Demo-regio Noord (altijd open)"
NOTE = "Mila (15) woont in Groningen. Moeder wordt geslagen; ze wil weten wat een melding is."


def test_a_chat_transferred_to_another_region_is_taken_there_and_the_visitor_sees_the_new_name(
    server, visitor, worker, new_context
):
    popup = flows.in_conversation(visitor, worker, server, "Mila")
    flows.worker_send(worker, "Hoi Mila, ik ben Sanne.")
    flows.visitor_send(popup, "Ik woon in Groningen.")

    flows.hand_over(worker, NORTH, NOTE)
    expect(worker.get_by_text(f"Mila wacht nu in de wachtrij van {NORTH}.")).to_be_visible()
    expect(worker.locator("#console-tabs")).to_contain_text("Je hebt geen open chats.")
    # The visitor waits again, in the other region, with a word on why.
    expect(popup.locator("#vt-header")).to_contain_text(
        f"Je wacht op een medewerker van Veilig Thuis {NORTH}"
    )
    expect(popup.locator("#vt-handover")).to_contain_text(
        "Een collega van Veilig Thuis in een andere regio"
    )
    flows.expect_place(popup, 1)
    expect(popup.get_by_text(NOTE)).to_have_count(0)

    ilse = new_context().new_page()
    flows.log_in(ilse, server, "demo3")
    entry = flows.waiting_entry(ilse, "Mila")
    expect(entry).to_contain_text(f"Overdracht: {NOTE}")
    flows.accept(ilse, "Mila")
    expect(ilse.locator("#console-transfer")).to_contain_text(f"Overdracht: {NOTE}")
    flows.expect_worker_history(ilse, ["Hoi Mila, ik ben Sanne.", "Ik woon in Groningen."])

    flows.expect_chatting_with(popup, "Ilse")
    expect(popup.locator("#vt-handover")).to_have_count(0)
    flows.expect_visitor_history(popup, ["Hoi Mila, ik ben Sanne.", "Ik woon in Groningen."])
    flows.worker_send(ilse, "Hoi Mila, ik ben Ilse. Ik heb gelezen wat je schreef.")
    flows.expect_visitor_history(
        popup,
        [
            "Hoi Mila, ik ben Sanne.",
            "Ik woon in Groningen.",
            "Hoi Mila, ik ben Ilse. Ik heb gelezen wat je schreef.",
        ],
    )
    # Sanne's words stay hers: the pop-up does not put them in Ilse's mouth.
    expect(popup.locator("#vt-messages .vt-msg-from")).to_have_text(["Veilig Thuis", "Jij", "Ilse"])
