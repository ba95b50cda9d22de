"""Accessibility in real Chromium: axe-core, the live region, focus and the accessibility tree."""

import re
import threading
import time
from collections.abc import Iterator

import pytest
from axe_playwright_python.base import AxeResults
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Frame, FrameLocator, Page, expect

from e2e import flows
from e2e.harness import TIMEOUT_MS, Server

STATES = [
    "status",
    "form",
    "form with errors",
    "waiting",
    "chatting",
    "ended",
    "privacy",
    "professional",
]
# The one h1 of each state, as the accessibility tree names it.
HEADINGS = {
    "status": "Chat met Veilig Thuis",
    "form": "Start de chat",
    "form with errors": "Start de chat",
    "waiting": re.compile(r"^Je wacht op een medewerker van Veilig Thuis \S.*$"),
    "chatting": re.compile(r"^Je chat met Sanne van Veilig Thuis \S.*$"),
    "ended": "Je chat met Sanne is beëindigd",
    "privacy": "Wat gebeurt er met je gegevens?",
    "professional": "Fijn dat je contact zoekt",
}
# Whatever a screen reader treats as a live region.
LIVE = "[aria-live], [role~=status], [role~=alert], [role~=log], [role~=marquee], output"
# Records, per DOM update, each live region that changed and its text after the change.
WATCH_LIVE_REGIONS = """live => {
    window.__liveChanges = [];
    const regionOf = node =>
        (node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement)?.closest(live);
    new MutationObserver(records => {
        const changed = new Set(records.map(r => regionOf(r.target)).filter(Boolean));
        for (const region of changed) {
            window.__liveChanges.push([region.id || region.tagName, region.textContent.trim()]);
        }
    }).observe(document, {subtree: true, childList: true, characterData: true});
}"""


# ---- helpers ----------------------------------------------------------------------------------


def every_state(popup: FrameLocator | Page, worker: Page, server: Server) -> Iterator[str]:
    """flows.visitor_states, then back to the start and on to the two side panels."""
    yield from flows.visitor_states(popup, worker, server)
    close_conversation(popup)
    flows.open_form(popup)
    popup.get_by_role("link", name="Lees meer over je gegevens").click()
    expect(popup.get_by_role("heading", name=HEADINGS["privacy"])).to_be_visible()
    yield "privacy"
    popup.get_by_role("link", name="Terug naar het formulier").click()
    submit_as_professional(popup)
    yield "professional"


def close_conversation(popup: FrameLocator | Page) -> None:
    popup.get_by_role("button", name="Sluit dit gesprek af").click()
    flows.expect_open(popup)


def submit_as_professional(popup: FrameLocator | Page) -> None:
    popup.get_by_label("Wie ben je?").select_option(label="Ik ben professional")
    flows.submit_form(popup, "Noor")
    expect(popup.get_by_role("heading", name=HEADINGS["professional"])).to_be_visible()


def violations(page: Page, frames: list[Frame]) -> str:
    """Run axe-core on the page and inside the given (cross-origin) frames.

    axe talks to its copy in each frame by postMessage, which it allows only between
    same-origin frames unless configured otherwise. It first pings each frame and, by
    default, gives a frame 500 ms to answer before calling it untested: on a busy machine
    the pop-up's frame answered later (CI), so it gets the tests' usual patience. Returns a
    readable report of every violation, whatever its impact, or "" when there is none.
    """
    script = Axe().axe_script
    for frame in [page.main_frame, *frames]:
        frame.evaluate(script)
        frame.evaluate("axe.configure({allowedOrigins: ['<unsafe_all_origins>']})")
    options = {"resultTypes": ["violations"], "pingWaitTime": TIMEOUT_MS}
    results = AxeResults(page.evaluate("options => axe.run(options)", options))
    untested = [r["id"] for r in results.response["incomplete"] if r["id"] == "frame-tested"]
    assert not untested, "axe could not look inside the pop-up's frame"
    found = results.response["violations"]
    return "\n".join(results.generate_report(v["id"]) for v in found)


def watch_live_regions(frame: Frame) -> None:
    frame.evaluate(WATCH_LIVE_REGIONS, LIVE)


def announcements(frame: Frame, count: int) -> list[str]:
    """What the live regions said since the watch began, once `count` changes are in.

    Cumulative on purpose: a stray announcement that arrives late still shows at the next
    step, as the socket delivers in order. Every change must be in #vt-announce.
    """
    frame.wait_for_function("n => window.__liveChanges.length >= n", arg=count)
    changes = frame.evaluate("window.__liveChanges")
    assert [region for region, _ in changes] == ["vt-announce"] * len(changes), changes
    return [words for _, words in changes]


def live_regions(frame: Frame) -> list[str]:
    return frame.evaluate(
        "live => [...document.querySelectorAll(live)].map(el => el.id || el.outerHTML)", LIVE
    )


def is_named(name: str, expected: str | re.Pattern) -> bool:
    return bool(expected.search(name)) if isinstance(expected, re.Pattern) else name == expected


def expect_focused_heading(popup: FrameLocator, name: str | re.Pattern) -> None:
    heading = popup.get_by_role("heading", level=1)
    expect(heading).to_have_text(name)
    expect(heading).to_be_focused()


# ---- tests ------------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["widget page", "host page"])
def test_no_accessibility_violation_in_any_state(where, server, visitor, worker):
    """axe-core finds no violation of any impact, in every state, alone and on the host page."""
    if where == "widget page":
        visitor.goto(server.widget_url())
        popup, frames = visitor, []
    else:
        popup = flows.open_host_page(visitor, server)
        frames = [flows.widget_frame(visitor)]
    found, seen = {}, []
    for state in every_state(popup, worker, server):
        seen.append(state)
        report = violations(visitor, frames)
        if report:
            found[state] = report
    assert seen == STATES
    assert not found, "\n".join(f"[{state}]\n{report}" for state, report in found.items())


def test_the_live_region_speaks_only_when_there_is_something_new(
    server, visitor, worker, new_context
):
    """One live region; it changes once per new place, acceptance, worker message and end."""
    # A worker is there from the start: "it may take longer" is not among what is said.
    flows.log_in(worker, server)
    popup = flows.open_host_page(visitor, server)
    frame = flows.widget_frame(visitor)
    assert live_regions(frame) == ["vt-announce"]
    expect(popup.locator("#vt-announce")).to_have_text("")
    watch_live_regions(frame)
    flows.open_form(popup)
    with flows.live_channel(visitor):  # the socket is live before anyone joins behind
        flows.submit_form(popup, "Merel")
    flows.expect_place(popup, 1)
    assert live_regions(frame) == ["vt-announce"]
    assert announcements(frame, 0) == []

    # A second visitor joins behind: the first one's place is unchanged, so nothing is said.
    other = new_context().new_page()
    other_popup = flows.open_host_page(other, server)
    other_frame = flows.widget_frame(other)
    watch_live_regions(other_frame)
    flows.open_form(other_popup)
    with flows.live_channel(other):
        flows.submit_form(other_popup, "Kim")
    flows.expect_place(other_popup, 2)
    assert announcements(frame, 0) == []
    assert announcements(other_frame, 0) == []

    flows.accept(worker, "Merel")
    flows.expect_chatting_with(popup, "Sanne")
    assert live_regions(frame) == ["vt-announce"]
    assert announcements(frame, 1) == ["Je chat nu met Sanne."]
    flows.expect_place(other_popup, 1)  # the one behind moves up, and hears it
    assert announcements(other_frame, 1) == ["Je bent nummer 1"]

    flows.visitor_send(popup, "Over thuis.")  # the visitor's own words are not read back
    assert announcements(frame, 1) == ["Je chat nu met Sanne."]

    flows.worker_send(worker, "Hoi Merel, waar wil je over praten?")
    expect(flows.visitor_messages(popup)).to_have_count(2)
    assert live_regions(frame) == ["vt-announce"]
    said = announcements(frame, 2)
    assert said == ["Je chat nu met Sanne.", "Sanne: Hoi Merel, waar wil je over praten?"]

    flows.worker_end(worker)
    flows.expect_ended(popup)
    assert live_regions(frame) == ["vt-announce"]
    said = announcements(frame, 3)
    assert len(said) == 3 and said[2].startswith("Het gesprek is beëindigd."), said


def test_focus_goes_to_what_is_new_after_each_swap(server, visitor, worker):
    """The h1 of each new state takes the focus; a refused form focuses its first invalid field."""
    popup = flows.open_host_page(visitor, server)
    flows.expect_open(popup)
    flows.open_form(popup)
    expect_focused_heading(popup, HEADINGS["form"])

    popup.get_by_label("Leeftijd").fill("drie")
    popup.get_by_role("button", name="Start de chat").click()
    expect(popup.get_by_label("Bijnaam")).to_have_attribute("aria-invalid", "true")
    expect(popup.get_by_label("Bijnaam")).to_be_focused()
    # The first invalid field in the form's order, not always the nickname.
    popup.get_by_label("Bijnaam").fill("Merel")
    popup.get_by_role("button", name="Start de chat").click()
    expect(popup.get_by_label("Bijnaam")).to_have_attribute("aria-invalid", "false")
    expect(popup.get_by_label("Leeftijd")).to_be_focused()

    popup.get_by_label("Leeftijd").fill("15")
    with flows.live_channel(visitor):
        popup.get_by_role("button", name="Start de chat").click()
    flows.expect_place(popup, 1)
    expect_focused_heading(popup, HEADINGS["waiting"])

    # Pushed changes of state: the new heading takes the focus from the one it replaces.
    flows.log_in(worker, server)
    flows.accept(worker, "Merel")
    expect_focused_heading(popup, HEADINGS["chatting"])
    flows.worker_end(worker)
    flows.expect_ended(popup)
    expect_focused_heading(popup, HEADINGS["ended"])

    close_conversation(popup)
    expect_focused_heading(popup, HEADINGS["status"])


def test_focus_goes_to_the_heading_of_each_side_panel(server, visitor):
    """Privacy, back to the form, professional and back to the start: each h1 takes the focus."""
    popup = flows.open_host_page(visitor, server)
    flows.open_form(popup)
    popup.get_by_role("link", name="Lees meer over je gegevens").click()
    expect_focused_heading(popup, HEADINGS["privacy"])
    popup.get_by_role("link", name="Terug naar het formulier").click()
    expect_focused_heading(popup, HEADINGS["form"])
    submit_as_professional(popup)
    expect_focused_heading(popup, HEADINGS["professional"])
    popup.get_by_role("link", name="Terug", exact=True).click()
    expect_focused_heading(popup, HEADINGS["status"])


def test_the_accessibility_tree_of_each_state(server, visitor, worker):
    """Each state has its one h1 in the tree, one status, and the visitor's words outside it."""
    popup = flows.open_host_page(visitor, server)
    frame = flows.widget_frame(visitor)
    seen = []
    for state in every_state(popup, worker, server):
        seen.append(state)
        assert live_regions(frame) == ["vt-announce"], state  # aria-live has no role to show
        tree = popup.locator("body").aria_snapshot()
        headings = re.findall(r'^\s*- heading "(.*)" \[level=1\]', tree, re.M)
        assert len(headings) == 1 and is_named(headings[0], HEADINGS[state]), (state, tree)
        live_roles = re.findall(r"^\s*- (status|alert|log|marquee|timer)\b", tree, re.M)
        assert live_roles == ["status"], (state, tree)
        if state == "chatting":
            own = popup.locator(".vt-msg--visitor").filter(has_text="Over thuis.")
            assert "Over thuis." in own.aria_snapshot()
            assert "Over thuis." not in popup.get_by_role("status").aria_snapshot()
            assert own.evaluate("(el, live) => el.closest(live) === null", LIVE)
    assert seen == STATES


def test_a_reconnect_keeps_the_focused_heading_and_brings_its_words_up_to_date(
    server, visitor, worker
):
    """A change missed while the socket was away shows on reconnect; the focus stays put."""
    away, missed, routes = threading.Event(), [], []

    def relay(page_side):
        server_side = page_side.connect_to_server()
        server_side.on_message(lambda m: missed.append(m) if away.is_set() else page_side.send(m))
        routes.append(page_side)

    visitor.context.route_web_socket(re.compile(r"/ws\?"), relay)
    popup = flows.open_host_page(visitor, server)
    flows.open_form(popup)
    with flows.live_channel(visitor):
        flows.submit_form(popup, "Merel")
    expect_focused_heading(popup, HEADINGS["waiting"])
    away.set()  # what the server pushes from now on never reaches the pop-up
    flows.log_in(worker, server)
    flows.accept(worker, "Merel")
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while not any("Je chat nu met Sanne." in str(m) for m in missed):
        assert time.monotonic() < deadline, "the acceptance was never pushed"
        visitor.wait_for_timeout(50)
    away.clear()
    routes[-1].close(code=1012)  # "service restart": the ws extension connects again
    expect_focused_heading(popup, HEADINGS["chatting"])
    assert len(routes) == 2
