"""Regions for administrators: a region's name and phone details, and merging two regions.

Merging asks twice: the region's page chooses where it goes, a page of its own says what
moves and what goes (the hours of the region merged away), and only its form merges.
"""

import re

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from backend import region_admin, regions
from backend.console import bp
from backend.console.auth import login_required
from backend.forms import HIDDEN_CATEGORIES, Form, Refuses, TextField, one_line
from backend.models import Region, WorkerRole

# A Dutch number as people write it: digits with spaces or dashes, starting with 0; 8 digits
# (0800 2000), 10 (030 123 45 67) or 11 (0800 123 4567).
PHONE = re.compile(r"0[0-9 -]+")
PHONE_DIGITS = (8, 10, 11)
HIDDEN = _l("This has a character in it that we cannot show.")


class DutchPhone:
    """A Dutch phone number: digits, spaces and dashes, 8, 10 or 11 digits from a 0."""

    def __call__(self, form, field):
        value = field.data or ""
        digits = sum(c.isdigit() for c in value)
        if not PHONE.fullmatch(value) or digits not in PHONE_DIGITS:
            raise ValidationError(
                _l(
                    "Write a Dutch phone number in digits, spaces and dashes, "
                    "such as 030 123 45 67."
                )
            )


class RegionForm(Form):
    name = TextField(
        _l("Name"),
        validators=[
            DataRequired(_l("Give the region a name.")),
            Length(
                max=region_admin.MAX_NAME_LENGTH,
                message=_l("At most %(max)s characters.", max=region_admin.MAX_NAME_LENGTH),
            ),
            Refuses(HIDDEN_CATEGORIES, HIDDEN),
        ],
        filters=[one_line],
    )
    phone = TextField(
        _l("Phone number of the region"),
        validators=[
            Optional(),
            Length(
                max=region_admin.MAX_PHONE_LENGTH,
                message=_l("At most %(max)s characters.", max=region_admin.MAX_PHONE_LENGTH),
            ),
            DutchPhone(),
        ],
        filters=[one_line],
    )
    phone_note = TextField(
        _l("When that number answers"),
        validators=[
            Optional(),
            Length(
                max=region_admin.MAX_PHONE_NOTE_LENGTH,
                message=_l("At most %(max)s characters.", max=region_admin.MAX_PHONE_NOTE_LENGTH),
            ),
            Refuses(HIDDEN_CATEGORIES, HIDDEN),
        ],
        filters=[one_line],
    )


class MergeForm(Form):
    into = SelectField(
        _l("Merge this region into"),
        validators=[DataRequired(_l("Choose the region that stays."))],
        validate_choice=False,
    )

    region_code = ""  # the region merged away, set by _merge_form

    def validate_into(self, field):
        try:
            region_admin.check_merge(self.region_code, field.data)
        except region_admin.Refused as refused:
            raise ValidationError(REFUSALS[refused.reason]) from None


REFUSALS = {
    region_admin.Refusal.SAME: _l("A region cannot be merged into itself."),
    region_admin.Refusal.UNKNOWN: _l("That region does not exist (any more)."),
    region_admin.Refusal.DEMO_MIX: _l("A demo region and a real region cannot be merged."),
    region_admin.Refusal.NATIONAL: _l(
        "The national queue cannot be merged: every region can pass chats on to it."
    ),
}


def _admin_only() -> None:
    if g.worker.role != WorkerRole.ADMIN:
        abort(403)


def _region(code: str) -> Region:
    """The region, for an administrator: 403 for anyone else, 404 for an unknown code."""
    _admin_only()
    region = regions.get(code)
    if region is None:
        abort(404)
    return region


def _merge_form(region: Region, **kwargs) -> MergeForm:
    """Where the region can go: the other regions of its kind (demo or real), none for or
    into the national queue; what was posted unless `formdata` says otherwise."""
    form = MergeForm(**kwargs)
    form.region_code = region.code
    form.into.choices = [
        (r.code, r.name)
        for r in regions.all_regions(include_demo=True)
        if r.code != region.code
        and r.is_demo == region.is_demo
        and not (r.national or region.national)
    ]
    return form


def _page(region: Region, status: int = 200, form=None, merge_form=None):
    if form is None:
        form = RegionForm(formdata=None, obj=region)
    return render_template(
        "console/region.html",
        worker=g.worker,
        region=region,
        form=form,
        merge_form=merge_form or _merge_form(region, formdata=None),
        holds=region_admin.holds(region.code),
    ), status


@bp.get("/regions")
@login_required
def regions_page():
    """Every region, demo ones first, with its phone number and what it holds."""
    _admin_only()
    shown = regions.all_regions(include_demo=True)
    return render_template(
        "console/regions.html",
        worker=g.worker,
        shown=[(r, region_admin.holds(r.code)) for r in shown],
    )


@bp.get("/regions/<code>")
@login_required
def region_page(code):
    """One region: its name and phone details, and merging it into another."""
    return _page(_region(code))


@bp.post("/regions/<code>")
@login_required
def save_region(code):
    """A new name and phone details; the pop-up shows them at once."""
    region = _region(code)
    form = RegionForm()
    if not form.validate_on_submit():
        return _page(region, 400, form=form)
    region_admin.save(
        region.code, form.name.data, form.phone.data or "", form.phone_note.data or ""
    )
    flash(_("%(region)s is saved.", region=form.name.data))
    return redirect(url_for("console.region_page", code=region.code), 303)


@bp.get("/regions/<code>/merge")
@login_required
def merge_page(code):
    """What a merge into the chosen region would move and drop, and the button to do it."""
    region = _region(code)
    # Only a choice, changing nothing: the form with the token and the button comes next.
    form = _merge_form(region, formdata=request.args, meta={"csrf": False})
    if not form.validate():
        return _page(region, 400, merge_form=form)
    into = regions.get(form.into.data)
    return render_template(
        "console/region_merge.html",
        worker=g.worker,
        region=region,
        into=into,
        form=_merge_form(region, formdata=None, into=into.code),
        holds=region_admin.holds(region.code),
    )


@bp.post("/regions/<code>/merge")
@login_required
def merge(code):
    """Merge the region into the chosen one, in one transaction; then it is gone."""
    region = _region(code)
    form = _merge_form(region)
    if not form.validate_on_submit():
        return _page(region, 400, merge_form=form)
    into = form.into.data
    try:
        region_admin.merge(region.code, into)
    except region_admin.Refused as refused:
        form.into.errors.append(REFUSALS[refused.reason])
        return _page(region, 400, merge_form=form)
    kept = regions.get(into)
    flash(_("%(gone)s is merged into %(kept)s.", gone=region.name, kept=kept.name))
    return redirect(url_for("console.region_page", code=into), 303)
