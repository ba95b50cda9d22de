"""The message box in real Chromium, on both sides of a chat.

A message on its way is held back (as on a slow line) while the test types on: what is typed
then stays and the sent text leaves the box. A send that is lost on the way gives its text
back, to send again. Empty and too long messages get our Dutch words beside the box: they
reach the server, so no browser bubble stopped them, and a long paste is not cut off. The
chat drawn anew over the socket (a reconnect) moves no focus and leaves a send on its way alone.
"""

from playwright.sync_api import FrameLocator, Page, expect

from e2e import flows

VISITOR_SEND = "**/w/*/send"
WORKER_SEND = "**/console/chats/*/send"
TOO_LONG = "Een bericht mag hoogstens 2000 tekens lang zijn."


def typed_while_on_its_way(side: FrameLocator | Page, page: Page, pattern: str, first: str):
    """Send `first`, and type on while it is held back; then let it go. The spare box."""
    box = side.get_by_label("Je bericht")
    with flows.held_back(page, pattern) as held:
        box.fill(first)
        side.get_by_role("button", name="Verstuur").click()
        on_its_way = flows.first_held(page, held)
        # On its way the sent text is out of reach; an empty box takes its place.
        expect(box).to_be_hidden()
        spare = side.get_by_label("Volgend bericht")
        expect(spare).to_be_visible()
        expect(spare).to_be_empty()
        spare.press_sequentially("En dan nog")
        on_its_way.continue_()
        # The answer has come: the sent box is empty again, the spare untouched.
        expect(box).to_have_value("")
        expect(spare).to_have_value("En dan nog")
        expect(spare).to_be_focused()
        spare.press_sequentially(" dit.")
    return spare


def test_what_the_visitor_types_while_a_message_is_on_its_way_stays(server, visitor, worker):
    popup = flows.in_conversation(visitor, worker, server, "Mila")
    first = "Mijn vader schreeuwt vaak."
    spare = typed_while_on_its_way(popup, visitor, VISITOR_SEND, first)
    expect(spare).to_have_value("En dan nog dit.")
    expect(popup.get_by_label("Je bericht")).to_be_hidden()  # the text is in the spare now
    flows.expect_worker_history(worker, [first])

    popup.get_by_role("button", name="Verstuur").click()
    flows.expect_visitor_history(popup, [first, "En dan nog dit."])
    flows.expect_worker_history(worker, [first, "En dan nog dit."])
    expect(spare).to_be_hidden()
    expect(popup.get_by_label("Je bericht")).to_be_visible()
    expect(popup.get_by_label("Je bericht")).to_have_value("")


def test_what_the_worker_types_while_a_message_is_on_its_way_stays(server, visitor, worker):
    popup = flows.in_conversation(visitor, worker, server, "Mila")
    first = "Hoi Mila, fijn dat je er bent."
    spare = typed_while_on_its_way(worker, worker, WORKER_SEND, first)
    expect(spare).to_have_value("En dan nog dit.")
    flows.expect_visitor_history(popup, [first])

    worker.get_by_role("button", name="Verstuur").click()
    flows.expect_worker_history(worker, [first, "En dan nog dit."])
    flows.expect_visitor_history(popup, [first, "En dan nog dit."])
    expect(spare).to_be_hidden()
    expect(worker.get_by_label("Je bericht")).to_have_value("")


def lost_and_sent_again(side: FrameLocator | Page, page: Page, pattern: str, text: str) -> None:
    """The send never reaches the server (the line broke); the text is back, and goes later."""
    box = side.get_by_label("Je bericht")
    with flows.held_back(page, pattern) as held:
        box.fill(text)
        side.get_by_role("button", name="Verstuur").click()
        flows.first_held(page, held).abort("internetdisconnected")
        expect(box).to_be_visible()
        expect(box).to_have_value(text)
    side.get_by_role("button", name="Verstuur").click()
    expect(box).to_have_value("")


def test_a_visitors_message_lost_on_the_way_stays_in_the_box_to_send_again(server, visitor, worker):
    popup = flows.in_conversation(visitor, worker, server, "Mila")
    lost_and_sent_again(popup, visitor, VISITOR_SEND, "Ben je er nog?")
    flows.expect_worker_history(worker, ["Ben je er nog?"])
    flows.expect_visitor_history(popup, ["Ben je er nog?"])


def test_a_workers_message_lost_on_the_way_stays_in_the_box_to_send_again(server, visitor, worker):
    popup = flows.in_conversation(visitor, worker, server, "Mila")
    lost_and_sent_again(worker, worker, WORKER_SEND, "Ik ben er, hoor.")
    flows.expect_visitor_history(popup, ["Ik ben er, hoor."])
    flows.expect_worker_history(worker, ["Ik ben er, hoor."])


def too_long_pasted(side: FrameLocator | Page, page: Page) -> None:
    """A paste of more than 2000 characters is kept whole, and refused in Dutch."""
    box = side.get_by_label("Je bericht")
    box.focus()
    page.keyboard.insert_text("a" * 2100)  # as a paste: a `maxlength` would cut it off here
    side.get_by_role("button", name="Verstuur").click()
    expect(box).to_have_accessible_description(TOO_LONG)
    expect(box).to_be_visible()
    expect(box).to_have_value("a" * 2100)


def test_the_visitors_too_long_message_gets_our_dutch_words_and_stays_whole(
    server, visitor, worker
):
    popup = flows.in_conversation(visitor, worker, server, "Mila")
    too_long_pasted(popup, visitor)
    expect(popup.locator("#vt-announce")).to_have_text(TOO_LONG)
    expect(flows.worker_messages(worker)).to_have_count(0)


def test_the_workers_empty_or_too_long_message_gets_our_dutch_words(server, visitor, worker):
    popup = flows.in_conversation(visitor, worker, server, "Mila")
    worker.get_by_role("button", name="Verstuur").click()
    box = worker.get_by_label("Je bericht")
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(box).to_have_accessible_description("Typ eerst een bericht.")

    too_long_pasted(worker, worker)
    expect(flows.visitor_messages(popup)).to_have_count(0)


def test_a_redraw_of_the_workers_chat_moves_no_focus_and_a_message_on_its_way_leaves_its_box(
    server, visitor, worker
):
    popup = flows.in_conversation(visitor, worker, server, "Mila")
    with flows.socket_held(worker, "**/console/ws*") as socket:
        socket.held = True
        worker.reload()  # the box takes the focus as the page loads; the socket's frames wait
        box = worker.get_by_label("Je bericht")
        expect(box).to_be_focused()
        with flows.held_back(worker, WORKER_SEND) as held:
            box.fill("Ik lees het.")
            send = worker.get_by_role("button", name="Verstuur")
            send.click()
            on_its_way = flows.first_held(worker, held)
            flows.visitor_send(popup, "Ben je er?")
            # The chat drawn whole as a socket (re)connects, then the visitor's message: both
            # come while the worker's own message is on its way (a slow line, a busy server).
            socket.let_go()
            flows.expect_worker_history(worker, ["Ben je er?"])
            expect(send).to_be_focused()
            on_its_way.continue_()
            expect(box).to_have_value("")
    flows.expect_worker_history(worker, ["Ben je er?", "Ik lees het."])


def test_a_redraw_of_the_visitors_chat_moves_no_focus_and_a_message_on_its_way_leaves_its_box(
    server, visitor, worker
):
    with flows.socket_held(visitor, "**/w/*/ws*") as socket:
        popup = flows.in_conversation(visitor, worker, server, "Mila")
        flows.visitor_send(popup, "Hoi")  # the box of the answer comes with the focus
        box = popup.get_by_label("Je bericht")
        with flows.held_back(visitor, VISITOR_SEND) as held:
            box.fill("Ben je er nog?")
            send = popup.get_by_role("button", name="Verstuur")
            send.click()
            on_its_way = flows.first_held(visitor, held)
            socket.held = True
            socket.break_off()  # the socket connects again and the chat is drawn whole
            flows.worker_send(worker, "Ja, ik ben er.")
            socket.let_go()
            flows.expect_visitor_history(popup, ["Hoi", "Ja, ik ben er."])
            expect(send).to_be_focused()
            on_its_way.continue_()
            expect(box).to_have_value("")
    flows.expect_visitor_history(popup, ["Hoi", "Ja, ik ben er.", "Ben je er nog?"])
