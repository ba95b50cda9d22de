"""The pop-up stays usable on every screen: a phone, a phone on its side, 200% zoom, a desktop."""

import pytest
from playwright.sync_api import Page, expect

from e2e import flows

# The CSS viewport and context options of each screen. 200% zoom on a 1280x800 screen lays out
# like a 640x400 viewport at device scale 2.
PHONE = {"device_scale_factor": 2, "is_mobile": True, "has_touch": True}
SMALL_SCREENS = {
    "phone": ({"width": 320, "height": 568}, PHONE),
    "phone on its side": ({"width": 640, "height": 360}, PHONE),
    "200% zoom": ({"width": 640, "height": 400}, {"device_scale_factor": 2}),
}
SCREENS = {**SMALL_SCREENS, "desktop": ({"width": 1280, "height": 800}, {})}
TARGET = 44  # CSS px: the smallest touch target
ROW = 56  # CSS px: one row of touch targets with a little padding
LONG = "Het gaat al een tijd niet goed thuis en ik weet niet goed hoe ik het moet vertellen. " * 4
BUTTONS = ".vt-button, .vt-exit, .vt-phone"


def page_on(new_context, screen: str) -> Page:
    size, options = SCREENS[screen]
    return new_context(viewport=size, **options).new_page()


def host_view(page: Page) -> tuple[dict, dict]:
    """The iframe's rectangle on the host page, and the host page's viewport."""
    return page.locator(flows.IFRAME).evaluate(
        "f => [f.getBoundingClientRect().toJSON(), {width: innerWidth, height: innerHeight}]"
    )


def visible_messages(page: Page) -> tuple[float, float]:
    """How many px of messages the visitor sees above the message box, and a line's height.

    That is the part of #vt-body inside both the pop-up's viewport and the host page's, and
    above the top of the message box; in the pop-up's own coordinates.
    """
    iframe, view = host_view(page)
    inside = flows.widget_frame(page).evaluate(
        """() => ({
            body: document.querySelector('#vt-body').getBoundingClientRect().toJSON(),
            box: document.querySelector('textarea[name=body]').getBoundingClientRect().top,
            height: innerHeight,
            line: parseFloat(getComputedStyle(document.querySelector('.vt-msg-body')).lineHeight),
        })"""
    )
    top = max(inside["body"]["top"], 0, -iframe["top"])
    bottom = min(
        inside["body"]["bottom"], inside["box"], inside["height"], view["height"] - iframe["top"]
    )
    return bottom - top, inside["line"]


@pytest.mark.parametrize("screen", SCREENS)
def test_on_a_small_screen_the_open_popup_fills_it(screen, server, new_context):
    page = page_on(new_context, screen)
    flows.open_host_page(page, server)
    iframe, view = host_view(page)
    if screen == "desktop":
        # The corner pop-up: most of the host page stays in view beside it.
        assert iframe["width"] < view["width"] / 2
        return
    # Everything but the slim bar on top that hides the chat, itself a full touch target.
    summary = page.locator(f"{flows.LAUNCHER} > summary")
    expect(summary).to_have_text("Chat verbergen", use_inner_text=True)
    bar = summary.bounding_box()
    assert (bar["x"], bar["y"], bar["width"]) == (0, 0, view["width"])
    assert TARGET <= bar["height"] <= ROW
    edges = (iframe["left"], iframe["top"], iframe["right"], iframe["bottom"])
    assert edges == pytest.approx((0, bar["height"], view["width"], view["height"]), abs=1)


@pytest.mark.parametrize("screen", SMALL_SCREENS)
def test_in_a_long_conversation_three_lines_show_above_the_message_box(
    screen, server, new_context, worker
):
    visitor = page_on(new_context, screen)
    popup = flows.in_conversation(visitor, worker, server, "Reiger")
    for n in range(1, 5):
        flows.worker_send(worker, f"{n}. {LONG}")
    expect(flows.visitor_messages(popup)).to_have_count(4)
    flows.visitor_send(popup, LONG)

    expect(popup.get_by_label("Je bericht")).to_be_in_viewport(ratio=1)
    seen, line = visible_messages(visitor)
    assert seen >= 3 * line, f"only {seen:.0f} px of messages show: {seen / line:.1f} lines"
    # The safety bar stays one row, so it takes no more than it must from the messages.
    assert popup.locator("#vt-safety").bounding_box()["height"] <= ROW


@pytest.mark.parametrize("screen", SCREENS)
def test_quick_exit_and_phone_links_are_full_touch_targets(screen, server, new_context):
    page = page_on(new_context, screen)
    popup = flows.open_host_page(page, server)
    view = flows.widget_frame(page).evaluate("({width: innerWidth, height: innerHeight})")
    for name in ("Verberg deze pagina", flows.EMERGENCY, flows.HELPLINE):
        box = popup.get_by_role("link", name=name, exact=True).evaluate(
            "a => a.getBoundingClientRect().toJSON()"
        )
        assert box["width"] >= TARGET and box["height"] >= TARGET, f"{name}: {box}"
        # All of it on screen: a target cut off at the edge is a smaller one.
        assert box["left"] >= 0 and box["right"] <= view["width"], f"{name}: {box}"
        assert box["top"] >= 0 and box["bottom"] <= view["height"], f"{name}: {box}"


def test_in_forced_colours_buttons_keep_their_border_and_focus_ring(server, visitor, worker):
    visitor.emulate_media(forced_colors="active")
    popup = flows.in_conversation(visitor, worker, server, "Uil")
    frame = flows.widget_frame(visitor)
    assert frame.evaluate("matchMedia('(forced-colors: active)').matches")

    # Forced colours drop backgrounds: a button is then only as visible as its border.
    borders = frame.evaluate(
        f"""() => Array.from(document.querySelectorAll('{BUTTONS}'), el => {{
            const s = getComputedStyle(el);
            return [el.textContent.trim(), s.borderTopStyle, parseFloat(s.borderTopWidth),
                    s.borderTopColor, s.backgroundColor];
        }})"""
    )
    assert len(borders) == 4  # the quick exit, the two phone links and "Verstuur"
    for name, style, width, colour, background in borders:
        assert style != "none" and width >= 1, f"{name} has no border: {style} {width}px"
        assert colour not in ("transparent", "rgba(0, 0, 0, 0)", background), f"{name}: {colour}"

    # Tabbed onto, as a keyboard user reaches them, from their neighbour inside the pop-up.
    exit_link = popup.get_by_role("link", name="Verberg deze pagina")
    send = popup.get_by_role("button", name="Verstuur")
    emergency = popup.get_by_role("link", name=flows.EMERGENCY, exact=True)
    for start, key, target in (
        (emergency, "Shift+Tab", exit_link),
        (popup.get_by_label("Je bericht"), "Tab", send),
    ):
        start.focus()
        visitor.keyboard.press(key)
        expect(target).to_be_focused()
        style, width = target.evaluate(
            "el => { const s = getComputedStyle(el);"
            " return [s.outlineStyle, parseFloat(s.outlineWidth)]; }"
        )
        assert style != "none" and width >= 1, f"no focus ring: {style} {width}px"
