"""Forms: the visitor's start form, the message composers, the worker login."""

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from backend.chats import MAX_MESSAGE_LENGTH

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


class StartForm(FlaskForm):
    nickname = StringField(
        _l("Nickname"),
        validators=[
            DataRequired(_l("Fill in a nickname. It does not have to be your real name.")),
            Length(max=40, message=_l("Keep your nickname under 40 characters.")),
        ],
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
    )
    region = SelectField(_l("Region"), validate_choice=False)
    postcode = StringField(_l("Or the four digits of your postcode"), validators=[Optional()])
    age = StringField(_l("Age"), validators=[Optional()])
    gender = SelectField(_l("Gender"), choices=GENDERS, validators=[Optional()])
    role = SelectField(_l("Who are you?"), choices=ROLES, validators=[Optional()])

    def validate_postcode(self, field):
        if field.data and not re.fullmatch(r"\d{4}", field.data.strip()):
            raise ValidationError(_l("Fill in only the four digits of your postcode, e.g. 3511."))

    def validate_age(self, field):
        value = (field.data or "").strip()
        if value and (not value.isdigit() or not MIN_AGE <= int(value) <= MAX_AGE):
            raise ValidationError(
                _l(
                    "Fill in your age in years (%(low)s to %(high)s), or leave it empty.",
                    low=MIN_AGE,
                    high=MAX_AGE,
                )
            )

    @property
    def age_value(self) -> int | None:
        value = (self.age.data or "").strip()
        return int(value) if value else None


class MessageForm(FlaskForm):
    body = TextAreaField(
        _l("Your message"),
        validators=[
            DataRequired(_l("Type a message first.")),
            Length(
                max=MAX_MESSAGE_LENGTH,
                message=_l("A message can be at most %(max)s characters.", max=MAX_MESSAGE_LENGTH),
            ),
        ],
    )


class ConfirmForm(FlaskForm):
    """A button that only posts: used for ending a chat, accepting, leaving."""


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(_l("Fill in your username."))])
    password = PasswordField(
        _l("Password"), validators=[DataRequired(_l("Fill in your password."))]
    )
