"""A site's theme: design tokens checked here, which become CSS custom properties only through
templates (widget/theme.css), and the origins that may frame a site's pop-up.

Nothing a web team types reaches CSS as it was typed: colours must match #rrggbb, the font
is a key of FONTS (the stack written into CSS is ours), the radius a whole number and the
corner one of two words. The stored values are checked again when the CSS is rendered, so a
row edited by hand falls back to the defaults instead of reaching a stylesheet.
"""

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l

from backend.models import Site

COLOUR = re.compile(r"#[0-9a-f]{6}")
MIN_CONTRAST = 4.5  # WCAG 2.x, level AA, for text of normal size
POPUP_BACKGROUND = "#ffffff"  # of the pop-up, on which the brand colour colours links
MIN_RADIUS, MAX_RADIUS = 0, 24
CORNERS = {"right": _l("Lower right"), "left": _l("Lower left")}
MAX_LABEL_LENGTH = 40

SYSTEM_STACK = 'system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif'
# key: (what the form shows, the font-family written into CSS)
FONTS = {
    "system": (_l("The device's own letter"), SYSTEM_STACK),
    "sans": (_l("Sans serif (Arial, Helvetica)"), "Arial, Helvetica, sans-serif"),
    "serif": (_l("Serif (Georgia, Times)"), 'Georgia, "Times New Roman", serif'),
    "inherit": (_l("The host site's own (the launcher only)"), "inherit"),
}

# scheme://host[:port], nothing after it: what a browser sends as a page's origin.
ORIGIN = re.compile(
    r"https?://(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
    r"(?::[0-9]{1,5})?"
)
MAX_ORIGINS = 10


def luminance(colour: str) -> float:
    """The relative luminance of a #rrggbb colour, as WCAG 2.x defines it."""
    channels = []
    for i in (1, 3, 5):
        c = int(colour[i : i + 2], 16) / 255
        channels.append(c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4)
    red, green, blue = channels
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(one: str, other: str) -> float:
    """The contrast ratio of two #rrggbb colours, from 1 (none) to 21 (black on white)."""
    lighter, darker = sorted((luminance(one), luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def origins(text: str) -> list[str]:
    """The well-formed origins in a site's `origin` column, lower case, in order."""
    found = []
    for word in (text or "").split():
        word = word.lower()
        if ORIGIN.fullmatch(word) and word not in found:
            found.append(word)
    return found


def normal_origin(text: str) -> str | None:
    """`https://WWW.x.nl/` -> `https://www.x.nl`; None for what is no origin."""
    text = text.strip().lower().removesuffix("/")
    if not ORIGIN.fullmatch(text):
        return None
    try:
        urlsplit(text).port  # noqa: B018  (raises for a port past 65535)
    except ValueError:
        return None
    return text


def frame_ancestors(site: Site) -> str:
    """The CSP source list of who may frame this site's pop-up; 'none' if it has no origin."""
    return " ".join(origins(site.origin)) or "'none'"


@dataclass(frozen=True)
class Theme:
    """The tokens as CSS may have them: each one checked, else its default."""

    accent: str = "#7a1f5c"
    text_colour: str = "#ffffff"
    font: str = "system"
    radius: int = 8
    corner: str = "right"

    @classmethod
    def of(cls, tokens) -> "Theme":
        """From a Site row or anything with the same attributes (a form's data)."""
        default = cls()
        accent = _colour(getattr(tokens, "accent", None))
        text_colour = _colour(getattr(tokens, "text_colour", None))
        if accent is None or text_colour is None or contrast(accent, text_colour) < MIN_CONTRAST:
            accent, text_colour = default.accent, default.text_colour
        font = getattr(tokens, "font", None)
        radius = getattr(tokens, "radius", None)
        corner = getattr(tokens, "corner", None)
        return cls(
            accent=accent,
            text_colour=text_colour,
            font=font if font in FONTS else default.font,
            radius=radius
            if isinstance(radius, int) and MIN_RADIUS <= radius <= MAX_RADIUS
            else default.radius,
            corner=corner if corner in CORNERS else default.corner,
        )

    @property
    def launcher_font(self) -> str:
        return FONTS[self.font][1]

    @property
    def popup_font(self) -> str:
        # The pop-up is a page of its own: it cannot inherit the host page's font.
        return SYSTEM_STACK if self.font == "inherit" else FONTS[self.font][1]

    def query(self) -> dict:
        """The tokens as a preview's URL carries them."""
        return {
            "accent": self.accent,
            "text_colour": self.text_colour,
            "font": self.font,
            "radius": self.radius,
            "corner": self.corner,
        }


def _colour(value) -> str | None:
    return value if isinstance(value, str) and COLOUR.fullmatch(value) else None
