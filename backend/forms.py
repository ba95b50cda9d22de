"""Forms: the visitor's start form, the message composers, the worker login.

Whatever is posted, a form reads only its text fields (a file or JSON under a field's name is
no value), refuses text that hides characters, and echoes back at most what a field may hold.
"""

import re
import secrets
import unicodedata
from functools import cache

from babel import support
from flask import request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.i18n import messages_path
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from backend.chats import MAX_MESSAGE_LENGTH
from backend.followup import MAX_CODE_LENGTH
from backend.models import Availability

GENDERS = [
    SelectChoice("", _l("Rather not say")),
    SelectChoice("girl", _l("Girl / woman")),
    SelectChoice("boy", _l("Boy / man")),
    SelectChoice("other", _l("Other")),
]
ROLES = [
    SelectChoice("", _l("Rather not say")),
    SelectChoice("victim", _l("It is happening to me")),
    SelectChoice("bystander", _l("I am worried about someone else")),
    SelectChoice("perpetrator", _l("I use violence myself")),
    SelectChoice("professional", _l("I am a professional")),
]
MIN_AGE, MAX_AGE = 6, 120
MAX_NICKNAME_LENGTH = 40
MAX_USERNAME_LENGTH = 64

# Control and format characters (NUL, the bidi overrides U+202E and U+200F, zero-width ones),
# surrogates, private use and unassigned code points: in a nickname they would hide or turn
# around what the worker reads.
HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})


class Form(FlaskForm):
    """A form of ours: reads the posted text fields only, never files or a JSON body."""

    class Meta:
        def get_translations(self, form):
            # WTForms' own messages, read from disk once per process rather than per request.
            return _wtforms_translations(str(get_locale()))

        def wrap_formdata(self, form, formdata):
            if formdata is None or hasattr(formdata, "getlist"):
                return formdata  # given by the caller
            return request.form if form.is_submitted() else None


@cache
def _wtforms_translations(locale: str) -> support.Translations:
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class _Bounded:
    """A field that echoes back at most its `maxlength` (from its validators' flags).

    An over-long value is refused by the validators, then cut to that length, so that the
    re-rendered form never mirrors whatever was posted.
    """

    def post_validate(self, form, validation_stopped):
        super().post_validate(form, validation_stopped)
        limit = self.flags.maxlength
        if limit and isinstance(self.data, str) and len(self.data) > limit:
            self.data = self.data[:limit]

    def _value(self):
        limit = self.flags.maxlength
        value = super()._value()
        return value[:limit] if limit else value


class TextField(_Bounded, StringField):
    """A one-line text field."""


class TextBox(_Bounded, TextAreaField):
    """A text area."""


class Refuses:
    """Refuses text holding a character of the given Unicode categories (except `allowed`)."""

    def __init__(self, categories, message, allowed: str = ""):
        self.categories, self.message, self.allowed = categories, message, allowed

    def __call__(self, form, field):
        text = field.data if isinstance(field.data, str) else ""
        if any(unicodedata.category(c) in self.categories and c not in self.allowed for c in text):
            raise ValidationError(self.message)


class Digits:
    """A number in the digits 0-9 (never ², １２ or thousands of digits), within bounds."""

    def __init__(self, length: int, message, exact=False, low=None, high=None):
        count = f"{{{length}}}" if exact else f"{{1,{length}}}"
        self.pattern = re.compile(f"[0-9]{count}")
        self.message, self.low, self.high = message, low, high
        self.field_flags = {"maxlength": length}

    def __call__(self, form, field):
        value = (field.data or "").strip()
        if not self.pattern.fullmatch(value):
            raise ValidationError(self.message)
        if self.low is not None and not self.low <= int(value) <= self.high:
            raise ValidationError(self.message)


def normal_text(value):
    """The composed (NFC) form, so that the same letters are always the same characters."""
    return unicodedata.normalize("NFC", value) if isinstance(value, str) else value


def one_line(value):
    return normal_text(value).strip() if isinstance(value, str) else value


def lines(value):
    """Line breaks as \\n, whatever the browser sent (a textarea posts \\r\\n)."""
    if not isinstance(value, str):
        return value
    return normal_text(value.replace("\r\n", "\n").replace("\r", "\n"))


AGE_MESSAGE = _l(
    "Fill in your age in years (%(low)s to %(high)s), or leave it empty.",
    low=MIN_AGE,
    high=MAX_AGE,
)


class StartForm(Form):
    nickname = TextField(
        _l("Nickname"),
        validators=[
            DataRequired(_l("Fill in a nickname. It does not have to be your real name.")),
            Length(max=MAX_NICKNAME_LENGTH, message=_l("Keep your nickname under 40 characters.")),
            Refuses(
                HIDDEN_CATEGORIES,
                _l(
                    "Your nickname has a character in it that we cannot show. "
                    "Use letters, numbers and ordinary signs."
                ),
            ),
        ],
        filters=[one_line],
    )
    region = SelectField(_l("Region"), validate_choice=False)
    postcode = TextField(
        _l("Or the four digits of your postcode"),
        validators=[
            Optional(),
            Digits(4, _l("Fill in only the four digits of your postcode, e.g. 3511."), exact=True),
        ],
    )
    age = TextField(
        _l("Age"), validators=[Optional(), Digits(3, AGE_MESSAGE, low=MIN_AGE, high=MAX_AGE)]
    )
    gender = SelectField(_l("Gender"), choices=GENDERS, validators=[Optional()])
    role = SelectField(_l("Who are you?"), choices=ROLES, validators=[Optional()])
    # A follow-up code from an earlier chat (backend/followup.py). Whatever is typed
    # is kept as it is: an unknown code is never an error that tells whether one exists.
    earlier_code = TextField(
        _l("Follow-up code from an earlier chat"),
        validators=[
            Optional(),
            Length(
                max=MAX_CODE_LENGTH,
                message=_l("A follow-up code is at most %(max)s characters.", max=MAX_CODE_LENGTH),
            ),
        ],
        filters=[one_line],
    )

    def validate_region(self, field):
        # Only a region of the list; never an odd value passed on to the database.
        if field.data and field.data not in {choice.value for choice in field.choices or []}:
            raise ValidationError(_l("Choose a region from the list."))

    @property
    def age_value(self) -> int | None:
        value = (self.age.data or "").strip()
        return int(value) if value else None


SEND_KEY = re.compile(r"[A-Za-z0-9_-]{8,32}")


def new_send_key() -> str:
    return secrets.token_urlsafe(12)


def send_key(value):
    """A well-formed key, else none: a send without a key is simply never recognised again."""
    return value if isinstance(value, str) and SEND_KEY.fullmatch(value) else None


class MessageForm(Form):
    # New with every empty message box; a send tried again with the same text carries the
    # same key, so a message whose answer was lost is not stored twice (chats.add_message).
    send_key = HiddenField(default=new_send_key, filters=[send_key])
    body = TextBox(
        _l("Your message"),
        validators=[
            DataRequired(_l("Type a message first.")),
            Length(
                max=MAX_MESSAGE_LENGTH,
                message=_l("A message can be at most %(max)s characters.", max=MAX_MESSAGE_LENGTH),
            ),
            # Of the control characters only line breaks and tabs; NUL would also break
            # PostgreSQL when the message is stored.
            Refuses(
                {"Cc"},
                _l(
                    "Your message has a character in it that we cannot send. "
                    "Remove it and try again."
                ),
                allowed="\n\t",
            ),
        ],
        filters=[lines],
    )


class AvailabilityForm(Form):
    availability = SelectField(
        _l("Availability"),
        choices=[
            SelectChoice(Availability.AVAILABLE, _l("Available")),
            SelectChoice(Availability.BUSY, _l("Busy")),
            SelectChoice(Availability.AWAY, _l("Away")),
        ],
    )


class ConfirmForm(Form):
    """A button that only posts: used for ending a chat, accepting, leaving."""


class LoginForm(Form):
    username = TextField(
        _l("Username"),
        validators=[
            DataRequired(_l("Fill in your username.")),
            Length(max=MAX_USERNAME_LENGTH, message=_l("Username or password is not right.")),
        ],
    )
    password = PasswordField(
        _l("Password"), validators=[DataRequired(_l("Fill in your password."))]
    )
