"""What visitors and workers do, through the UI only, in the product's own words (Dutch)."""

import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext, suppress

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Frame, FrameLocator, Page, expect

from e2e.harness import SCREENSHOTS, TIMEOUT_MS, Server

LAUNCHER = "details.vtchat"
IFRAME = "details.vtchat > iframe"
SAFETY_TEXTS = ("Verberg deze pagina", "112", "0800 2000")
# The phone links' names: the number with the words that say what it is for.
EMERGENCY = "Nu in gevaar? Bel 112"
HELPLINE = "Dag en nacht gratis: 0800 2000"


# ---- the visitor, on the host page ------------------------------------------------------------


def open_host_page(page: Page, server: Server, site_key: str = "demo-utrecht") -> FrameLocator:
    """Visit a regional site (the demo host page) and open the pop-up with the launcher."""
    page.goto(server.host_url(site_key))
    return open_popup(page)


def open_popup(page: Page) -> FrameLocator:
    """Click the launcher (the <summary>) and wait until the pop-up shows the widget."""
    launcher = page.locator(LAUNCHER)
    expect(launcher).not_to_have_attribute("open", "")
    page.locator(f"{LAUNCHER} > summary").click()
    expect(launcher).to_have_attribute("open", "")
    expect(page.locator(IFRAME)).to_be_visible()
    popup = page.frame_locator(IFRAME)
    expect(popup.get_by_role("link", name="Verberg deze pagina")).to_be_visible()
    return popup


def hide_popup(page: Page) -> None:
    """The × at the top right is the launcher's <summary> again."""
    page.locator(f"{LAUNCHER} > summary").click()
    expect(page.locator(LAUNCHER)).not_to_have_attribute("open", "")
    expect(page.locator(IFRAME)).to_be_hidden()


def widget_frame(page: Page) -> Frame:
    """The iframe's Frame, for evaluating in the widget's own window."""
    frame = page.locator(IFRAME).element_handle().content_frame()
    assert frame is not None
    return frame


# What a person looking at the pop-up sees: its text and whatever is typed in its fields.
VISIBLE = (
    "document.body ? [document.body.innerText,"
    " ...Array.from(document.querySelectorAll('input, textarea'), field => field.value)]"
    ".join('\\n') : ''"
)


def popup_text(page: Page, until: str = "") -> str:
    """The visible text of the pop-up's frame and its fields' values, also after a
    back/forward-cache restore; asked again while it does not contain `until` yet.

    Playwright loses track of a cross-site frame that comes back from that cache, so this asks
    Chromium itself (DevTools protocol) for the text of the one frame of the widget.
    """
    cdp = page.context.browser.new_browser_cdp_session()
    replies = {}
    cdp.on(
        "Target.receivedMessageFromTarget",
        lambda event: replies.setdefault(event["sessionId"], json.loads(event["message"])),
    )
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    text = ""
    try:
        while time.monotonic() < deadline:
            text = _frame_text(cdp, page, replies, deadline)
            if text and until in text:
                break
            page.wait_for_timeout(50)  # a page loading anew may not have its frame yet
    finally:
        cdp.detach()
    return text


def _frame_text(cdp, page: Page, replies: dict, deadline: float) -> str:
    """One try: "" while there is no single pop-up frame, or it has no body or no answer yet."""
    targets = cdp.send("Target.getTargets")["targetInfos"]
    frames = [t for t in targets if t["type"] == "iframe" and "/w/" in t["url"]]
    if len(frames) != 1:
        return ""
    try:
        session = cdp.send(
            "Target.attachToTarget", {"targetId": frames[0]["targetId"], "flatten": False}
        )["sessionId"]
    except PlaywrightError:  # the frame went away in between
        return ""
    question = {
        "id": 1,
        "method": "Runtime.evaluate",
        "params": {"expression": VISIBLE, "returnByValue": True},
    }
    cdp.send("Target.sendMessageToTarget", {"sessionId": session, "message": json.dumps(question)})
    while session not in replies and time.monotonic() < deadline:
        page.wait_for_timeout(50)  # lets Playwright deliver the event
    return replies.get(session, {}).get("result", {}).get("result", {}).get("value", "")


def mark_window(frame: Page | Frame) -> None:
    """Leave a mark in a window: still there later means the page was never reloaded."""
    frame.evaluate("window.__e2eMark = 'not reloaded'")


def assert_not_reloaded(frame: Page | Frame) -> None:
    assert frame.evaluate("window.__e2eMark") == "not reloaded"


@contextmanager
def live_channel(page: Page) -> Iterator[None]:
    """Around an action that (re)opens the page's WebSocket: wait for its first update.

    On every (re)connect the server sends the live parts again from the database; waiting
    for them means the page is live before the test goes on.
    """
    frames = []

    def opened(ws):
        # Listening from the moment the socket exists: the first frame may follow at once.
        ws.on("framereceived", lambda payload: frames.append(payload))

    page.on("websocket", opened)
    try:
        yield
        deadline = time.monotonic() + TIMEOUT_MS / 1000
        while not frames:
            assert time.monotonic() < deadline, "the WebSocket sent nothing"
            page.wait_for_timeout(50)
    finally:
        page.remove_listener("websocket", opened)


# ---- the visitor, inside the pop-up (or the widget page itself) -------------------------------


def expect_open(popup: FrameLocator | Page) -> None:
    expect(popup.get_by_text("De chat is nu open.")).to_be_visible()
    expect(popup.get_by_role("link", name="Start de chat")).to_be_visible()


def open_form(popup: FrameLocator | Page) -> None:
    popup.get_by_role("link", name="Start de chat").click()
    expect(popup.get_by_role("heading", name="Start de chat")).to_be_visible()


def submit_form(popup: FrameLocator | Page, nickname: str, postcode: str = "") -> None:
    popup.get_by_label("Bijnaam").fill(nickname)
    popup.get_by_label("Of de vier cijfers van je postcode").fill(postcode)
    popup.get_by_role("button", name="Start de chat").click()


def start_chat(popup: FrameLocator | Page, nickname: str, place: int = 1) -> None:
    """From the open status: the form, a nickname, and into the queue at `place`."""
    expect_open(popup)
    open_form(popup)
    submit_form(popup, nickname)
    expect_place(popup, place)


def expect_place(popup: FrameLocator | Page, place: int) -> None:
    expect(popup.locator("#vt-queue")).to_contain_text(f"Je bent nummer {place}")


def expect_chatting_with(popup: FrameLocator | Page, name: str) -> None:
    expect(popup.locator("#vt-header")).to_contain_text(f"Je chat met {name}")


def visitor_send(popup: FrameLocator | Page, text: str) -> None:
    box = popup.get_by_label("Je bericht")
    box.fill(text)
    popup.get_by_role("button", name="Verstuur").click()
    expect(visitor_messages(popup).filter(has_text=text).last).to_be_visible()
    # The composer comes back empty once the message is stored.
    expect(popup.get_by_label("Je bericht")).to_have_value("")


def visitor_messages(popup: FrameLocator | Page):
    return popup.locator("#vt-messages > li")


def expect_visitor_history(popup: FrameLocator | Page, bodies: list[str]) -> None:
    """Every message once, in order, nothing else."""
    expect(popup.locator("#vt-messages .vt-msg-body")).to_have_text(bodies)


def expect_ended(popup: FrameLocator | Page) -> None:
    closing = popup.locator("#vt-closing")
    expect(closing).to_contain_text("Het gesprek is beëindigd.")
    expect(closing).to_contain_text("0800 2000")


# ---- the worker, in the console ---------------------------------------------------------------


def log_in(
    page: Page, server: Server, username: str = "demo", password: str = "demo", live: bool = True
) -> None:
    """Log in to the console; `live`: and wait for its socket (never opened without JavaScript)."""
    page.goto(f"{server.chat_base}/console/login")
    page.get_by_label("Gebruikersnaam").fill(username)
    page.get_by_label("Wachtwoord").fill(password)
    # Live before going on: a late first frame of this page could pass for the next page's.
    with live_channel(page) if live else nullcontext():
        page.get_by_role("button", name="Inloggen").click()
    expect(page.get_by_role("heading", name=re.compile("^Wachtend"))).to_be_visible()


def waiting_entry(page: Page, nickname: str):
    return page.locator("#console-queue li").filter(has_text=nickname)


def accept(page: Page, nickname: str) -> None:
    with live_channel(page):
        page.get_by_role("button", name=f"Aannemen {nickname}").click()
    expect(page.get_by_role("heading", name=f"Chat met {nickname}")).to_be_visible()


def worker_send(page: Page, text: str) -> None:
    page.get_by_label("Je bericht").fill(text)
    page.get_by_role("button", name="Verstuur").click()
    expect(worker_messages(page).filter(has_text=text).last).to_be_visible()
    expect(page.get_by_label("Je bericht")).to_have_value("")


def worker_messages(page: Page):
    return page.locator("#chat-messages > li")


def expect_worker_history(page: Page, bodies: list[str]) -> None:
    expect(page.locator("#chat-messages .console-msg-body")).to_have_text(bodies)


def worker_end(page: Page) -> None:
    """ "Chat beëindigen", then the shortest registration there is: a test chat."""
    page.get_by_role("button", name="Chat beëindigen", exact=True).click()
    page.get_by_role("radio", name="Test", exact=True).check()
    page.get_by_role("button", name="Registreren en chat beëindigen").click()
    expect(page.get_by_text("Deze chat is beëindigd.")).to_be_visible()


def in_conversation(visitor: Page, worker: Page, server: Server, nickname: str) -> FrameLocator:
    """A visitor on the host page in a chat that the demo worker Sanne has taken; the pop-up."""
    popup = open_host_page(visitor, server)
    start_chat(popup, nickname)
    log_in(worker, server)
    accept(worker, nickname)
    expect_chatting_with(popup, "Sanne")
    return popup


# ---- every state a visitor passes through ------------------------------------------------------


def visitor_states(popup: FrameLocator | Page, worker: Page, server: Server) -> Iterator[str]:
    """Walk one visitor through every state of the pop-up, yielding each state's name.

    status -> form -> form with errors -> waiting -> chatting -> ended. The worker logs in
    (in its own context) to accept and end the chat.
    """
    expect_open(popup)
    yield "status"
    open_form(popup)
    yield "form"
    popup.get_by_label("Leeftijd").fill("drie")
    popup.get_by_role("button", name="Start de chat").click()
    expect(popup.get_by_label("Bijnaam")).to_have_attribute("aria-invalid", "true")
    expect(popup.get_by_text("Vul een bijnaam in.")).to_be_visible()
    expect(popup.get_by_label("Leeftijd")).to_have_attribute("aria-invalid", "true")
    yield "form with errors"
    popup.get_by_label("Leeftijd").fill("15")
    submit_form(popup, "Merel")
    expect_place(popup, 1)
    yield "waiting"
    log_in(worker, server)
    accept(worker, "Merel")
    expect_chatting_with(popup, "Sanne")
    worker_send(worker, "Hoi Merel, waar wil je over praten?")
    expect(visitor_messages(popup)).to_have_count(1)
    visitor_send(popup, "Over thuis.")
    yield "chatting"
    worker_end(worker)
    expect_ended(popup)
    yield "ended"


def screenshot(page: Page, name: str) -> None:
    """A picture for the README, of what the user sees right now."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / name)


# ---- handing a chat over (transfers) ----------------------------------------------------------


def hand_over(page: Page, to: str, note: str) -> None:
    """The worker hands the chat on screen to `to` (a region's or colleague's words in the list)."""
    page.get_by_label("Overdragen aan").select_option(label=to)
    page.get_by_label("Overdrachtsnotitie").fill(note)
    page.get_by_role("button", name="Overdragen", exact=True).click()


# ---- a slow line: requests that wait until the test lets them go (composer) ------------------


@contextmanager
def held_back(page: Page, url_pattern: str) -> Iterator[list]:
    """Requests of `page` (its frames too) to `url_pattern` wait, as on a slow line, until the
    test lets one go (`route.continue_()`) or breaks it (`route.abort()`); the list fills as
    they are made. Whatever is still held at the end goes on."""
    routes: list = []

    def hold(route) -> None:
        routes.append(route)

    page.route(url_pattern, hold)
    try:
        yield routes
    finally:
        page.unroute(url_pattern)
        for route in routes:
            with suppress(PlaywrightError):  # already let go or broken by the test
                route.continue_()


def first_held(page: Page, routes: list):
    """The first request held back, once the page has made it (not a timed assertion:
    Playwright hands the request over while the page waits a moment)."""
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while not routes and time.monotonic() < deadline:
        page.wait_for_timeout(20)
    assert routes, "the page made no such request"
    return routes[0]


class HeldSocket:
    """The page's WebSockets to one address, through Playwright. While `held`, a socket the
    page opens reaches the server only at `let_go()`, and what the server sends waits and
    then goes on in order; `break_off()` closes the newest socket as a server restart does
    (1012), and the htmx ws extension opens a new one by itself."""

    def __init__(self) -> None:
        self.held = False
        self.connected = 0  # sockets that reached the server
        self._unconnected: list = []
        self._waiting: list = []  # (page side, frame), in the order the server sent them
        self._sockets: list = []

    def route(self, page_side) -> None:
        if self.held:
            self._unconnected.append(page_side)
        else:
            self._connect(page_side)

    def _connect(self, page_side) -> None:
        server_side = page_side.connect_to_server()
        self._sockets.append((page_side, server_side))
        self.connected += 1
        page_side.on_message(server_side.send)

        def from_server(frame) -> None:
            if self.held:
                self._waiting.append((page_side, frame))
            else:
                page_side.send(frame)

        server_side.on_message(from_server)

    def let_go(self) -> None:
        while self._unconnected:
            self._connect(self._unconnected.pop(0))
        # A frame that comes in while these go out (a Playwright call lets handlers run)
        # joins the end of the line: nothing overtakes what waited.
        while self._waiting:
            page_side, frame = self._waiting.pop(0)
            page_side.send(frame)
        self.held = False

    def break_off(self) -> None:
        page_side, server_side = self._sockets[-1]
        server_side.close()
        page_side.close(code=1012, reason="restart")


@contextmanager
def socket_held(page: Page, url_pattern: str) -> Iterator[HeldSocket]:
    """Every WebSocket `page` (its frames too) opens to `url_pattern` from now on goes
    through a HeldSocket; what is still held at the end goes on."""
    socket = HeldSocket()
    page.route_web_socket(url_pattern, socket.route)
    try:
        yield socket
    finally:
        socket.let_go()


# ---- ending: the advice registration and the follow-up code -----------------------------------


def open_registration(page: Page):
    """ "Chat beëindigen" on the chat on screen: the registration opens; its form."""
    page.get_by_role("button", name="Chat beëindigen", exact=True).click()
    form = page.locator("#console-registration")
    expect(form).to_be_visible()
    return form


def choose(page: Page, answers: dict[str, str]) -> None:
    """Pick the registration's answers by their words: {"Onderwerp": "Partnergeweld"}."""
    form = page.locator("#console-registration")
    for legend, answer in answers.items():
        group = form.get_by_role("group", name=legend, exact=True)
        group.get_by_role("radio", name=answer, exact=True).check()


def followup_code(popup: FrameLocator | Page) -> str:
    """The follow-up code the pop-up's closing shows."""
    code = popup.locator("#vt-followup .vt-code")
    expect(code).to_have_text(re.compile(r"^[a-z]+-[a-z]+-[a-z]+$"))
    return code.inner_text()
