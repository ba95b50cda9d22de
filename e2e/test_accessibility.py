"""axe-core in every state of the pop-up: on the widget page itself and inside the host page."""

import pytest
from axe_playwright_python.base import AxeResults
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Frame, Page

from e2e import flows

BLOCKING = ("serious", "critical")
STATES = ["status", "form", "form with errors", "waiting", "chatting", "ended"]


def serious_violations(page: Page, frames: list[Frame]) -> str:
    """Run axe-core on the page and inside the given (cross-origin) frames.

    axe talks to its copy in each frame by postMessage, which it allows only between
    same-origin frames unless configured otherwise. Returns a readable report of the serious
    and critical violations, or "" when there are none.
    """
    script = Axe().axe_script
    for frame in [page.main_frame, *frames]:
        frame.evaluate(script)
        frame.evaluate("axe.configure({allowedOrigins: ['<unsafe_all_origins>']})")
    results = AxeResults(page.evaluate("axe.run({resultTypes: ['violations']})"))
    untested = [r["id"] for r in results.response["incomplete"] if r["id"] == "frame-tested"]
    assert not untested, "axe could not look inside the pop-up's frame"
    lines = []
    for violation in results.response["violations"]:
        if violation["impact"] in BLOCKING:
            lines.append(results.generate_report(violation["id"]))
    return "\n".join(lines)


@pytest.mark.parametrize("where", ["widget page", "host page"])
def test_no_serious_accessibility_violation_in_any_state(where, server, visitor, worker):
    if where == "widget page":
        visitor.goto(server.widget_url())
        popup, frames = visitor, []
    else:
        popup = flows.open_host_page(visitor, server)
        frames = [flows.widget_frame(visitor)]
    found, seen = {}, []
    for state in flows.visitor_states(popup, worker, server):
        seen.append(state)
        report = serious_violations(visitor, frames)
        if report:
            found[state] = report
    assert seen == STATES
    assert not found, "\n".join(f"[{state}]\n{report}" for state, report in found.items())
