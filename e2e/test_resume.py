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


def test_a_dropped_socket_reconnects_without_losing_typed_text(server, visitor, worker):
    # Every WebSocket of the visitor passes through this route, so the test can drop one.
    routes, frames = [], []

    def through(route):
        upstream = route.connect_to_server()

        def forward(message):
            frames.append((len(routes), message))
            route.send(message)

        upstream.on_message(forward)
        routes.append(route)

    visitor.context.route_web_socket("**/ws*", through)
    popup = flows.in_conversation(visitor, worker, server, "Mus")
    popup.get_by_label("Je bericht").fill("Ben je er nog?")

    # 1012 (service restart): the htmx ws extension opens a new socket by itself.
    routes[0].close(code=1012, reason="restart")
    for _ in range(200):  # a guard against hanging: up to 10 s for the new socket's snapshot
        if any(n == 2 for n, _ in frames):
            break
        visitor.wait_for_timeout(50)
    assert len(routes) == 2 and any(n == 2 for n, _ in frames), "no new socket after the drop"

    # The snapshot of the new socket redrew the chat but left the half-typed message alone.
    expect(popup.get_by_label("Je bericht")).to_have_value("Ben je er nog?")
    flows.worker_send(worker, "Ja, ik ben er.")
    flows.expect_visitor_history(popup, ["Ja, ik ben er."])
