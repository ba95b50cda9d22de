"""A shift in the workspace, in real Chromium: several chats at once, counts, sounds, titles."""

import re

from playwright.sync_api import Page, expect

from backend import chats
from backend.models import Sender
from e2e import flows
from e2e.harness import Server
from e2e.test_accessibility import violations

CONSOLE_TITLE = "Chatconsole · Veilig Thuis"


def tab(worker: Page, nickname: str):
    return worker.locator("#console-tabs li").filter(has_text=nickname)


def waiting_visitor(new_context, server: Server, nickname: str, place: int = 1):
    """A visitor in their own browser, waiting in the demo region's queue; their pop-up."""
    page = new_context().new_page()
    popup = flows.open_host_page(page, server)
    flows.start_chat(popup, nickname, place)
    return page, popup


def test_one_worker_handles_two_visitors_and_sees_the_unread_count_move(
    server, new_context, worker
):
    _, anna = waiting_visitor(new_context, server, "Anna")
    _, bo = waiting_visitor(new_context, server, "Bo", place=2)
    flows.log_in(worker, server)
    flows.accept(worker, "Anna")
    flows.expect_chatting_with(anna, "Sanne")
    worker.goto(f"{server.chat_base}/console/")
    flows.accept(worker, "Bo")
    flows.expect_chatting_with(bo, "Sanne")
    # Bo is on screen; both chats are tabs.
    expect(tab(worker, "Anna")).to_be_visible()
    expect(tab(worker, "Bo")).to_have_attribute("class", re.compile("console-tab--on"))

    flows.visitor_send(anna, "Ben je er nog?")
    flows.visitor_send(anna, "Hallo?")
    expect(tab(worker, "Anna")).to_contain_text("2 nieuw")
    expect(worker).to_have_title(f"(2) {CONSOLE_TITLE}")
    flows.visitor_send(bo, "Hoi")  # on screen: read at once, nothing counts
    flows.expect_worker_history(worker, ["Hoi"])
    expect(tab(worker, "Bo")).not_to_contain_text("nieuw")
    expect(worker).to_have_title(f"(2) {CONSOLE_TITLE}")

    with flows.live_channel(worker):
        tab(worker, "Anna").get_by_role("link").click()
    flows.expect_worker_history(worker, ["Ben je er nog?", "Hallo?"])
    expect(tab(worker, "Anna")).not_to_contain_text("nieuw")
    expect(worker).to_have_title(CONSOLE_TITLE)
    flows.worker_send(worker, "Ja, ik ben er. Vertel maar.")
    flows.expect_visitor_history(anna, ["Ben je er nog?", "Hallo?", "Ja, ik ben er. Vertel maar."])


def test_a_new_waiting_visitor_changes_the_title_sounds_and_is_announced_once(
    server, new_context, visitor, worker
):
    flows.in_conversation(visitor, worker, server, "Mila")
    expect(worker).to_have_title(CONSOLE_TITLE)
    expect(worker.locator("#console-alert audio")).to_have_count(0)

    waiting_visitor(new_context, server, "Noor")
    expect(worker).to_have_title(f"(1) {CONSOLE_TITLE}")
    expect(worker.locator("#console-alert audio")).to_have_attribute("autoplay", "")
    expect(worker.locator("#console-announce")).to_have_text("Noor wacht.")
    expect(flows.waiting_entry(worker, "Noor")).to_contain_text("wacht 0 minuten")
    # The visitor's side never alerts: no sound, no title of ours on the host page.
    host_title = visitor.title()
    flows.worker_send(worker, "Hoi Mila")
    assert visitor.title() == host_title
    assert flows.widget_frame(visitor).locator("audio").count() == 0


def test_the_sound_can_be_switched_off(server, new_context, worker):
    flows.log_in(worker, server)
    worker.get_by_role("button", name="Geluid: aan").click()
    expect(worker.get_by_role("button", name="Geluid: uit")).to_be_visible()
    waiting_visitor(new_context, server, "Sem")
    expect(flows.waiting_entry(worker, "Sem")).to_be_visible()
    expect(worker.locator("#console-announce")).to_have_text("Sem wacht.")
    expect(worker.locator("#console-alert audio")).to_have_count(0)
    worker.get_by_role("button", name="Geluid: uit").click()  # on again for the next test
    expect(worker.get_by_role("button", name="Geluid: aan")).to_be_visible()


def test_next_chat_takes_the_oldest_waiting_visitor(server, new_context, worker):
    _, first = waiting_visitor(new_context, server, "Eerst")
    waiting_visitor(new_context, server, "Later", place=2)
    flows.log_in(worker, server)
    with flows.live_channel(worker):
        worker.get_by_role("button", name="Volgende chat").click()
    expect(worker.get_by_role("heading", name="Chat met Eerst")).to_be_visible()
    flows.expect_chatting_with(first, "Sanne")
    expect(flows.waiting_entry(worker, "Later")).to_be_visible()


def test_no_accessibility_violation_on_any_console_page(server, visitor, worker):
    worker.goto(f"{server.chat_base}/console/login")
    assert violations(worker, []) == ""
    popup = flows.in_conversation(visitor, worker, server, "Lina")
    flows.visitor_send(popup, "Hoi")
    flows.expect_worker_history(worker, ["Hoi"])
    assert violations(worker, []) == ""  # the workspace with a chat, its aside and tabs
    chat_page = worker.url
    worker.goto(f"{chat_page}/notes")  # the notes page coordinators read
    expect(worker.get_by_role("heading", level=1)).to_be_visible()
    assert violations(worker, []) == ""
    worker.goto(f"{server.chat_base}/console/chats/999999")  # a fault page
    expect(worker.get_by_role("link", name="Terug")).to_be_visible()
    assert violations(worker, []) == ""
    worker.goto(f"{server.chat_base}/console/")
    expect(tab(worker, "Lina")).to_be_visible()
    assert violations(worker, []) == ""


def test_the_message_box_stays_in_reach_in_a_long_conversation(server, app, visitor, worker):
    flows.in_conversation(visitor, worker, server, "Roos")
    chat_id = int(worker.url.rsplit("/", 1)[1])
    with app.app_context():
        for n in range(60):
            chats.add_message(chat_id, Sender.VISITOR, f"Regel {n} van een lang verhaal.")
    worker.reload()
    expect(flows.worker_messages(worker)).to_have_count(60)
    # The box takes the focus as the page loads (autofocus): typed into before that, the
    # focus could come back to it after Send, and the answer leaves a box in use alone.
    expect(worker.get_by_label("Je bericht")).to_be_focused()
    expect(worker.get_by_label("Je bericht")).to_be_in_viewport()
    expect(worker.get_by_role("button", name="Verstuur")).to_be_in_viewport()
    flows.worker_send(worker, "Dank je. Ik lees het allemaal.")
    expect(worker.get_by_role("button", name="Verstuur")).to_be_in_viewport()
