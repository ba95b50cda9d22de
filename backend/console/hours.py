"""Opening hours for coordinators and administrators: close today, dates with hours of their
own, the public holidays a region keeps open, and the weekly schedule.

A coordinator sets the hours of their own regions, an administrator of every region. Each
change is committed at once and reaches every pop-up at once (backend/settings_changes.py).
"""

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, g, redirect, render_template, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectMultipleField
from wtforms.validators import DataRequired, Length, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from backend import clock, hours, regions, staffing
from backend.console import bp
from backend.console.auth import login_required
from backend.console.forms import overflow_form
from backend.console.scope import managed_region, managers_only
from backend.forms import HIDDEN_CATEGORIES, ConfirmForm, Form, Refuses, TextField
from backend.models import Region

TIME = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d|24:00")
DAY_NAMES = [
    _l("Monday"),
    _l("Tuesday"),
    _l("Wednesday"),
    _l("Thursday"),
    _l("Friday"),
    _l("Saturday"),
    _l("Sunday"),
]
PERIODS = 2  # per day on a form: most regions have one, an evening chat makes two


def minutes(text: str) -> int:
    hour, minute = text.split(":")
    return int(hour) * 60 + int(minute)


def _time_field(label):
    return TextField(
        label,
        validators=[Optional(), Regexp(TIME, message=_l("Write a time as 09:30."))],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )


def _reason_field():
    return TextField(
        _l("Reason, shown in the pop-up"),
        validators=[
            Optional(),
            Length(
                max=regions.MAX_REASON_LENGTH,
                message=_l("At most %(max)s characters.", max=regions.MAX_REASON_LENGTH),
            ),
            Refuses(HIDDEN_CATEGORIES, _l("This has a character in it that we cannot show.")),
        ],
    )


class PeriodsForm(Form):
    """Up to PERIODS periods, each a pair of times: both or neither, in order, apart.

    Once its fields are valid, `read()` turns them into `value`, adding errors of its own
    (the times of a pair compared, the periods of a day): the form is valid if none came.
    """

    value = None

    def validate(self, extra_validators=None):
        if not super().validate(extra_validators):
            return False
        self.value = self.read()
        return not any(field.errors for field in self)

    def read(self):
        raise NotImplementedError

    def periods(self, prefix: str = "") -> list[tuple[int, int]]:
        found = []
        for n in range(1, PERIODS + 1):
            opens, closes = self[f"{prefix}opens_{n}"], self[f"{prefix}closes_{n}"]
            if bool(opens.data) != bool(closes.data):
                (closes if opens.data else opens).errors.append(_("Give both times."))
            elif opens.data and not opens.errors and not closes.errors:
                if minutes(opens.data) >= minutes(closes.data):
                    closes.errors.append(_("The closing time comes after the opening time."))
                else:
                    found.append((minutes(opens.data), minutes(closes.data)))
        for (_o, earlier_closes), (later_opens, _c) in zip(found, found[1:], strict=False):
            if later_opens < earlier_closes:
                self[f"{prefix}opens_2"].errors.append(_("The periods overlap."))
        return sorted(found)


class CloseTodayForm(Form):
    reason = _reason_field()


class DateForm(PeriodsForm):
    day = DateField(_l("Date"), validators=[DataRequired(_l("Give a date."))])
    opens_1 = _time_field(_l("Opens"))
    closes_1 = _time_field(_l("Closes"))
    opens_2 = _time_field(_l("Opens again"))
    closes_2 = _time_field(_l("Closes again"))
    reason = _reason_field()

    def read(self) -> list[tuple[int, int]]:
        if self.day.data < _today():
            self.day.errors.append(_("This date has passed."))
        return self.periods()


class WeekForm(PeriodsForm):
    """Seven days, each with PERIODS periods (fields d0_opens_1 … d6_closes_2)."""

    def read(self) -> list[tuple[int, int, int]]:
        return [(day, o, c) for day in range(7) for o, c in self.periods(f"d{day}_")]


for _day in range(7):
    for _n, (_opens, _closes) in enumerate(
        [(_l("Opens"), _l("Closes")), (_l("Opens again"), _l("Closes again"))], start=1
    ):
        setattr(WeekForm, f"d{_day}_opens_{_n}", _time_field(_opens))
        setattr(WeekForm, f"d{_day}_closes_{_n}", _time_field(_closes))


class HolidaysForm(Form):
    keep_open = SelectMultipleField(
        _l("Open as usual on"),
        choices=[],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=True,
    )


def _today() -> date:
    return clock.now().astimezone(ZoneInfo(current_app.config["TIMEZONE"])).date()


def _holiday_choices() -> list[str]:
    year = _today().year
    return list(dict.fromkeys(hours.holiday_names(year) + hours.holiday_names(year + 1)))


def _page(region: Region, status: int = 200, **forms):
    today = _today()
    holidays = HolidaysForm(formdata=None)
    holidays.keep_open.choices = _holiday_choices()
    holidays.keep_open.data = sorted(regions.open_holidays(region.code))
    week = WeekForm(formdata=None)
    for day in range(7):
        for n, (opens, closes) in enumerate(
            sorted((o, c) for wd, o, c in regions.week(region.code) if wd == day)[:PERIODS], 1
        ):
            week[f"d{day}_opens_{n}"].data = hours.fmt_minute(opens)
            week[f"d{day}_closes_{n}"].data = hours.fmt_minute(closes)
    context = {
        "worker": g.worker,
        "region": region,
        "status": regions.status(region),
        "today": today,
        "dates": sorted(
            regions.other_days(region.code, today, today + timedelta(days=366)).items()
        ),
        "close_form": CloseTodayForm(formdata=None),
        "date_form": DateForm(formdata=None),
        "holidays_form": holidays,
        "week_form": week,
        "overflow_form": overflow_form(region),
        "day_names": DAY_NAMES,
        "periods": PERIODS,
        "fmt": hours.fmt_minute,
    }
    context.update(forms)
    return render_template("console/hours.html", **context), status


def _done(region: Region, words: str):
    flash(words)
    return redirect(url_for("console.region_hours", code=region.code), 303)


@bp.get("/hours")
@login_required
def hours_overview():
    """The regions whose hours this coordinator or administrator sets."""
    managers_only()
    codes = staffing.regions_of(g.worker)
    shown = [r for r in regions.all_regions(include_demo=True) if r.code in codes]
    return render_template(
        "console/hours_overview.html",
        worker=g.worker,
        shown=[(r, regions.status(r)) for r in shown],
    )


@bp.get("/hours/<code>")
@login_required
def region_hours(code):
    """One region's hours: today, dates of their own, holidays and the week."""
    return _page(managed_region(code))


@bp.post("/hours/<code>/close-today")
@login_required
def close_today(code):
    """Closed for the rest of today, with a reason the pop-up shows."""
    region = managed_region(code)
    form = CloseTodayForm()
    if not form.validate_on_submit():
        return _page(region, 400, close_form=form)
    regions.set_date(region.code, _today(), [], form.reason.data or "")
    return _done(region, _("The chat of %(region)s is closed for today.", region=region.name))


@bp.post("/hours/<code>/dates")
@login_required
def add_date(code):
    """A date with hours of its own, or closed."""
    region = managed_region(code)
    form = DateForm()
    if not form.validate_on_submit():
        return _page(region, 400, date_form=form)
    regions.set_date(region.code, form.day.data, form.value, form.reason.data or "")
    return _done(region, _("The hours of %(day)s are saved.", day=_long_date(form.day.data)))


@bp.post("/hours/<code>/dates/<day>/remove")
@login_required
def remove_date(code, day):
    """The date follows the week again."""
    region = managed_region(code)
    try:
        when = date.fromisoformat(day)
    except ValueError:
        abort(404)
    if ConfirmForm().validate_on_submit():
        regions.clear_date(region.code, when)
    return _done(region, _("%(day)s follows the week again.", day=_long_date(when)))


@bp.post("/hours/<code>/holidays")
@login_required
def save_holidays(code):
    """The public holidays on which the region keeps its weekly hours."""
    region = managed_region(code)
    form = HolidaysForm()
    form.keep_open.choices = _holiday_choices()
    if not form.validate_on_submit():
        return _page(region, 400, holidays_form=form)
    kept = set(form.keep_open.data)
    for name in form.keep_open.choices:
        regions.keep_holiday_open(region.code, name, name in kept)
    return _done(region, _("The holidays are saved."))


@bp.post("/hours/<code>/week")
@login_required
def save_week(code):
    """The weekly schedule."""
    region = managed_region(code)
    form = WeekForm()
    if not form.validate_on_submit():
        return _page(region, 400, week_form=form)
    regions.set_week(region.code, form.value)
    return _done(region, _("The weekly hours are saved."))


def _long_date(day: date) -> str:
    return format_date(datetime.combine(day, datetime.min.time()), "EEEE d MMMM y")
