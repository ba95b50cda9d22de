"""The forms of the sites pages: a site's key, name, origins and region, and its theme."""

import re

from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from backend import themes
from backend.forms import HIDDEN_CATEGORIES, Digits, Form, Refuses, TextBox, TextField, one_line

# Anchored at both ends: WTForms' Regexp only matches from the start.
KEY = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")
COLOUR = re.compile(themes.COLOUR.pattern + r"\Z")
MAX_KEY_LENGTH = 64
MAX_NAME_LENGTH = 80
MAX_ORIGINS_LENGTH = 1000
HIDDEN = _l("This has a character in it that we cannot show.")


def _lower(value):
    return one_line(value).lower() if isinstance(value, str) else value


def _choice(field, message):
    if field.data not in {choice.value for choice in field.choices or []}:
        raise ValidationError(message)


class DetailsForm(Form):
    """What a site is: its name, the origins that may show its pop-up, its default region."""

    name = TextField(
        _l("Name"),
        validators=[
            DataRequired(_l("Give the site a name.")),
            Length(
                max=MAX_NAME_LENGTH, message=_l("At most %(max)s characters.", max=MAX_NAME_LENGTH)
            ),
            Refuses(HIDDEN_CATEGORIES, HIDDEN),
        ],
        filters=[one_line],
    )
    origins = TextBox(
        _l("Allowed origins, one a line"),
        validators=[
            DataRequired(_l("Give at least one origin, such as https://www.example.nl.")),
            Length(
                max=MAX_ORIGINS_LENGTH,
                message=_l("At most %(max)s characters.", max=MAX_ORIGINS_LENGTH),
            ),
        ],
    )
    region = SelectField(_l("Default region"), validate_choice=False)

    value = None  # the origins, read in validate_origins

    def validate_origins(self, field):
        found = []
        for line in (field.data or "").splitlines():
            if not line.strip():
                continue
            origin = themes.normal_origin(line)
            if origin is None:
                raise ValidationError(
                    _(
                        "%(line)s is no origin: write scheme and host only, such as"
                        " https://www.example.nl.",
                        line=line.strip()[:80],
                    )
                )
            if origin not in found:
                found.append(origin)
        if len(found) > themes.MAX_ORIGINS:
            raise ValidationError(_("At most %(max)s origins.", max=themes.MAX_ORIGINS))
        self.value = found

    def validate_region(self, field):
        _choice(field, _l("Choose a region from the list."))


class SiteForm(DetailsForm):
    """A new site: its key too, which its snippet carries and which never changes."""

    key = TextField(
        _l("Key"),
        validators=[
            DataRequired(_l("Give the site a key.")),
            Length(
                max=MAX_KEY_LENGTH, message=_l("At most %(max)s characters.", max=MAX_KEY_LENGTH)
            ),
            Regexp(
                KEY,
                message=_l("Use lower-case letters, digits and hyphens, such as vt-utrecht."),
            ),
        ],
        filters=[_lower],
    )


def _colour_field(label):
    return TextField(
        label,
        validators=[
            InputRequired(_l("Give a colour.")),
            Length(max=7, message=_l("Write a colour as #7a1f5c.")),
            Regexp(COLOUR, message=_l("Write a colour as #7a1f5c.")),
        ],
        filters=[_lower],
    )


class ThemeForm(Form):
    """The design tokens; the colours checked against each other once both are valid."""

    accent = _colour_field(_l("Brand colour"))
    text_colour = _colour_field(_l("Text colour on the brand colour"))
    font = SelectField(
        _l("Font"),
        choices=[SelectChoice(key, label) for key, (label, _stack) in themes.FONTS.items()],
    )
    radius = TextField(
        _l("Corner radius in pixels"),
        validators=[
            InputRequired(_l("Give a number of pixels.")),
            Digits(
                2,
                _l(
                    "A whole number from %(low)s to %(high)s.",
                    low=themes.MIN_RADIUS,
                    high=themes.MAX_RADIUS,
                ),
                low=themes.MIN_RADIUS,
                high=themes.MAX_RADIUS,
            ),
        ],
        filters=[one_line],
    )
    corner = SelectField(
        _l("Corner of the launcher"),
        choices=[SelectChoice(key, label) for key, label in themes.CORNERS.items()],
    )
    launcher_label = TextField(
        _l("Words on the launcher"),
        validators=[
            Optional(),
            Length(
                max=themes.MAX_LABEL_LENGTH,
                message=_l("At most %(max)s characters.", max=themes.MAX_LABEL_LENGTH),
            ),
            Refuses(HIDDEN_CATEGORIES, HIDDEN),
        ],
        filters=[one_line],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Own words for a value outside the list, instead of WTForms' general ones.
        self.font.validate_choice = self.corner.validate_choice = False

    def validate_font(self, field):
        _choice(field, _l("Choose a font from the list."))

    def validate_corner(self, field):
        _choice(field, _l("Choose a corner from the list."))

    def validate(self, extra_validators=None):
        if not super().validate(extra_validators):
            return False
        accent, text = self.accent.data, self.text_colour.data
        ratio = themes.contrast(accent, text)
        if ratio < themes.MIN_CONTRAST:
            self.text_colour.errors.append(
                _(
                    "Too little contrast with the brand colour: %(ratio)s to 1, at least"
                    " %(min)s to 1 is needed to read it.",
                    ratio=_ratio(ratio),
                    min=_ratio(themes.MIN_CONTRAST),
                )
            )
        on_white = themes.contrast(accent, themes.POPUP_BACKGROUND)
        if on_white < themes.MIN_CONTRAST:
            self.accent.errors.append(
                _(
                    "Too light for links on the white pop-up: %(ratio)s to 1 against white,"
                    " at least %(min)s to 1 is needed.",
                    ratio=_ratio(on_white),
                    min=_ratio(themes.MIN_CONTRAST),
                )
            )
        return not (self.accent.errors or self.text_colour.errors)

    @property
    def tokens(self) -> dict:
        """The checked tokens, as a Site has them."""
        return {
            "accent": self.accent.data,
            "text_colour": self.text_colour.data,
            "font": self.font.data,
            "radius": int(self.radius.data),
            "corner": self.corner.data,
            "launcher_label": self.launcher_label.data or "",
        }


def _ratio(value: float) -> str:
    # Cut, not rounded: 4.48 to 1 must not read as the 4.5 it falls short of.
    return format_decimal(int(value * 10) / 10, format="0.0")
