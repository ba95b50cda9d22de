"""Never lose the conversation by a wrong click: hiding the pop-up, reloading, moving on."""

from playwright.sync_api import expect

from e2e import flows


def test_hiding_the_popup_keeps_the_chat_and_its_websocket(server, visitor, worker):
    sockets = []
    visitor.on("websocket", lambda ws: sockets.append(ws))
    popup = flows.in_conversation(visitor, worker, server, "Kikker")
    flows.visitor_send(popup, "Hallo?")
    # One socket, named by the chat's ticket (no cookie needed).
    assert len(sockets) == 1
    assert sockets[0].url.startswith(f"ws://localhost:{server.port}/w/demo-utrecht/ws?t=")
    flows.mark_window(flows.widget_frame(visitor))

    flows.hide_popup(visitor)
    flows.worker_send(worker, "Ik ben er. Neem rustig de tijd.")
    # Hidden, the pop-up still receives: the message is in its page before it is shown again.
    expect(flows.visitor_messages(popup)).to_have_count(2)
    expect(flows.visitor_messages(popup).last).to_be_hidden()

    flows.open_popup(visitor)
    expect(flows.visitor_messages(popup).last).to_be_visible()
    flows.expect_visitor_history(popup, ["Hallo?", "Ik ben er. Neem rustig de tijd."])
    flows.expect_chatting_with(popup, "Sanne")
    flows.assert_not_reloaded(flows.widget_frame(visitor))
    # The same WebSocket all along, still open, and the chat goes on over it.
    assert len(sockets) == 1
    assert not sockets[0].is_closed()
    flows.visitor_send(popup, "Dank je.")
    expect(flows.worker_messages(worker)).to_have_count(3)
    assert len(sockets) == 1 and not sockets[0].is_closed()


def test_reload_and_navigation_restore_the_whole_history_once(server, visitor, worker):
    popup = flows.in_conversation(visitor, worker, server, "Uil")
    history = []
    for n in range(1, 4):
        text = f"Vraag {n} van de medewerker"
        flows.worker_send(worker, text)
        history.append(text)
        expect(flows.visitor_messages(popup)).to_have_count(len(history))
        text = f"Antwoord {n} van de bezoeker"
        flows.visitor_send(popup, text)
        history.append(text)
    flows.expect_visitor_history(popup, history)

    # The pop-up loads when the launcher opens (embed/templates/embed/_snippet.html).
    visitor.reload()
    with flows.live_channel(visitor):
        popup = flows.open_popup(visitor)
    flows.expect_chatting_with(popup, "Sanne")
    flows.expect_visitor_history(popup, history)
    # A message after the reload arrives live, after the replay, and nothing comes twice.
    flows.worker_send(worker, "Ben je er nog?")
    history.append("Ben je er nog?")
    flows.expect_visitor_history(popup, history)

    visitor.get_by_role("navigation").get_by_role("link", name="Advies").click()
    expect(visitor).to_have_url(server.host_url(page="advies"))
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Advies vragen")
    with flows.live_channel(visitor):
        popup = flows.open_popup(visitor)
    flows.expect_chatting_with(popup, "Sanne")
    flows.expect_visitor_history(popup, history)
    flows.visitor_send(popup, "Ja, ik ben op een andere pagina.")
    history.append("Ja, ik ben op een andere pagina.")
    flows.expect_visitor_history(popup, history)
    flows.expect_worker_history(worker, history)


def test_a_dropped_socket_reconnects_without_losing_typed_text_or_the_focus(
    server, visitor, worker
):
    with flows.socket_held(visitor, "**/w/*/ws*") as socket:
        popup = flows.in_conversation(visitor, worker, server, "Mus")
        box = popup.get_by_label("Je bericht")
        box.press_sequentially("Ben je er nog?")
        # 1012 (service restart): the htmx ws extension opens a new socket by itself.
        socket.break_off()
        flows.worker_send(worker, "Ja, ik ben er.")
        flows.expect_visitor_history(popup, ["Ja, ik ben er."])  # only a new socket brings it
        assert socket.connected == 2
        # The new socket's snapshot redrew the chat around the half-typed message, and the
        # visitor types on where they were.
        expect(box).to_have_value("Ben je er nog?")
        expect(box).to_be_focused()
        visitor.keyboard.type(" Hallo?")
        expect(box).to_have_value("Ben je er nog? Hallo?")

        # A keyboard user on "Chat beëindigen" stays there through the next reconnect too.
        end = popup.get_by_role("link", name="Chat beëindigen")
        end.focus()
        socket.break_off()
        flows.worker_send(worker, "Neem je tijd.")
        flows.expect_visitor_history(popup, ["Ja, ik ben er.", "Neem je tijd."])
        assert socket.connected == 3
        expect(end).to_be_focused()


def test_what_changed_while_the_socket_was_away_is_drawn_when_it_is_back(server, visitor, worker):
    with flows.socket_held(visitor, "**/w/*/ws*") as socket:
        popup = flows.in_conversation(visitor, worker, server, "Mus")
        socket.held = True
        socket.break_off()  # the new socket reaches the server only once the chat has ended
        flows.worker_end(worker)
        expect(popup.get_by_role("link", name="Chat beëindigen")).to_be_visible()
        socket.let_go()
        flows.expect_ended(popup)
        expect(popup.get_by_role("link", name="Chat beëindigen")).to_have_count(0)
