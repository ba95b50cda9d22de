"""The console's own forms: the advice registration that ends a chat, and a region's overflow."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, RadioField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, NumberRange, Optional

from backend import blocks, overflow, regions, registrations
from backend.forms import Form, Refuses, TextBox, lines
from backend.models import AskedBy, ContactKind, Referral, Topic, Under18

KINDS = [
    SelectChoice(ContactKind.SERIOUS, _l("Serious")),
    SelectChoice(ContactKind.TEST, _l("Test")),
    SelectChoice(ContactKind.PRANK, _l("Prank")),
    SelectChoice(ContactKind.ABUSIVE, _l("Misuse")),
    SelectChoice(ContactKind.SILENT, _l("Silent")),
]
TOPICS = [
    SelectChoice(Topic.CHILD_ABUSE, _l("Child abuse")),
    SelectChoice(Topic.PARTNER, _l("Partner violence")),
    SelectChoice(Topic.EX_PARTNER, _l("Ex-partner violence")),
    SelectChoice(Topic.ELDERLY, _l("Elder abuse")),
    SelectChoice(Topic.OTHER, _l("Other")),
]
ASKERS = [
    SelectChoice(AskedBy.VICTIM, _l("Victim")),
    SelectChoice(AskedBy.BYSTANDER, _l("Bystander")),
    SelectChoice(AskedBy.PERPETRATOR, _l("Perpetrator")),
    SelectChoice(AskedBy.PROFESSIONAL, _l("Professional")),
    SelectChoice(AskedBy.OTHER, _l("Other")),
]
AGES = [
    SelectChoice(Under18.YES, _l("Yes")),
    SelectChoice(Under18.NO, _l("No")),
    SelectChoice(Under18.UNKNOWN, _l("Unknown")),
]
# "No referral" is a choice of its own: often the advice itself was the help, and a
# required field without it would make workers pick a referral that never happened.
REFERRALS = [
    SelectChoice(Referral.NEIGHBOURHOOD_TEAM, _l("Neighbourhood team")),
    SelectChoice(Referral.GP, _l("GP")),
    SelectChoice(Referral.REPORT, _l("A report via 0800 2000")),
    SelectChoice(Referral.POLICE, _l("Police")),
    SelectChoice(Referral.OTHER, _l("Other")),
    SelectChoice(Referral.NONE, _l("No referral")),
]
BLOCKS = [
    SelectChoice("", _l("Do not block")),
    SelectChoice("1", _l("For 1 hour")),
    SelectChoice("24", _l("For 24 hours")),
    SelectChoice("168", _l("For 7 days")),
]
# How the choices read, by field: the form and the earlier advice use the same words.
LABELS = {
    name: {choice.value: choice.label for choice in choices}
    for name, choices in [
        ("kind", KINDS),
        ("topic", TOPICS),
        ("asked_by", ASKERS),
        ("under_18", AGES),
        ("referred_to", REFERRALS),
    ]
}
# Said under a field that needs a choice (and has none, or one not in the list).
CHOOSE = {
    "kind": _l("Choose what kind of contact this was."),
    "topic": _l("Choose what the chat was about."),
    "asked_by": _l("Choose who asked for advice."),
    "under_18": _l("Choose whether the visitor is under 18, or that it is unknown."),
    "referred_to": _l("Choose where you referred the visitor to, or “No referral”."),
}


class RegistrationForm(Form):
    """What a worker records at the end of a chat; a serious chat needs every choice."""

    kind = RadioField(_l("Kind of contact"), choices=KINDS, validate_choice=False)
    topic = RadioField(_l("Topic"), choices=TOPICS, validate_choice=False)
    asked_by = RadioField(_l("Who asked"), choices=ASKERS, validate_choice=False)
    under_18 = RadioField(_l("Under 18"), choices=AGES, validate_choice=False)
    advice = TextBox(
        _l("Advice given"),
        validators=[
            Length(
                max=registrations.MAX_ADVICE_LENGTH,
                message=_l(
                    "Keep the advice to at most %(max)s characters.",
                    max=registrations.MAX_ADVICE_LENGTH,
                ),
            ),
            Refuses(
                {"Cc"},
                _l("The advice has a character in it that cannot be stored. Remove it."),
                allowed="\n\t",
            ),
        ],
        filters=[lines],
    )
    referred_to = RadioField(_l("Referred to"), choices=REFERRALS, validate_choice=False)
    block = SelectField(_l("Block this visitor"), choices=BLOCKS, validate_choice=False)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for name in LABELS:
            field = getattr(self, name)
            if field.data and field.data not in LABELS[name]:
                field.errors.append(CHOOSE[name])
                field.data = None
        for name in registrations.missing(self.values()):
            if not getattr(self, name).errors:
                getattr(self, name).errors.append(CHOOSE[name])
        if self.block.data and self.block_hours is None:
            self.block.errors.append(_l("Choose how long to block from the list."))
        elif self.block_hours and self.kind.data != ContactKind.ABUSIVE:
            self.block.errors.append(
                _l("Blocking is only for misuse: choose “Misuse” above, or do not block.")
            )
        return valid and not any(field.errors for field in self)

    def values(self) -> dict:
        """The registration's values, as registrations.save takes them."""
        return {name: getattr(self, name).data or None for name in registrations.FIELDS}

    @property
    def block_hours(self) -> int | None:
        value = self.block.data or ""
        return int(value) if value.isdigit() and int(value) in blocks.DURATIONS else None


class OverflowForm(Form):
    """Where a region's waiting chats go: a partner region or the national queue, after a
    wait, while the region is closed, or both (backend/overflow.py)."""

    partner = SelectField(_l("Partner region or national queue"), validate_choice=True)
    after_minutes = IntegerField(
        _l("After waiting this many minutes"),
        validators=[
            Optional(),
            NumberRange(
                min=1,
                max=overflow.MAX_AFTER_MINUTES,
                message=_l("Between 1 and %(max)s minutes.", max=overflow.MAX_AFTER_MINUTES),
            ),
        ],
    )
    outside_hours = BooleanField(_l("And while this region is closed"))

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if valid and self.partner.data and not (self.after_minutes.data or self.outside_hours.data):
            self.after_minutes.errors.append(
                _l("Give a number of minutes, tick the closed hours, or both.")
            )
            return False
        return valid


def overflow_form(region, posted: bool = False) -> OverflowForm:
    """The region's overflow as its form, with the regions it may overflow into: others of
    its kind (demo with demo), the national queue among the real ones."""
    form = OverflowForm() if posted else OverflowForm(formdata=None)
    form.partner.choices = [("", _l("Nowhere: the chats wait for this region"))] + [
        (r.code, r.name)
        for r in regions.all_regions(include_demo=region.is_demo)
        if r.code != region.code and r.is_demo == region.is_demo
    ]
    if not posted:
        rule = overflow.rule_of(region.code)
        form.partner.data = rule.partner_code if rule else ""
        form.after_minutes.data = rule.after_minutes if rule else None
        form.outside_hours.data = rule.outside_hours if rule else False
    return form
