"""Workers for coordinators and administrators: list, add, edit, disable, and a reset link.

A coordinator manages the workers and coordinators whose own region is one of theirs, and
never an administrator; an administrator manages everyone. No password is ever shown or set
here: a new worker, or one who forgot theirs, gets a one-time link to choose their own
(backend/password_reset.py), which the manager hands over in person or by phone.
"""

import logging

from flask import abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlmodel import select
from wtforms import IntegerField, SelectField, SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from backend import db, password_reset, regions, staffing, workers
from backend.console import bp
from backend.console.auth import login_required
from backend.console.scope import managers_only
from backend.forms import HIDDEN_CATEGORIES, ConfirmForm, Form, Refuses, TextField, one_line
from backend.models import Availability, Worker, WorkerRegion, WorkerRole

log = logging.getLogger(__name__)

MAX_DISPLAY_NAME = 60
ROLES = [
    SelectChoice(WorkerRole.WORKER, _l("Chat worker")),
    SelectChoice(WorkerRole.COORDINATOR, _l("Coordinator")),
    SelectChoice(WorkerRole.ADMIN, _l("Administrator")),
]
ROLE_NAMES = {choice.value: choice.label for choice in ROLES}
AVAILABILITY_NAMES = {
    Availability.AVAILABLE: _l("Available"),
    Availability.BUSY: _l("Busy"),
    Availability.AWAY: _l("Away"),
}


def _username(value):
    return workers.normalise(value) if isinstance(value, str) else value


class PersonForm(Form):
    """What a manager may change of a worker: never their password."""

    display_name = TextField(
        _l("Name that visitors see"),
        validators=[
            DataRequired(_l("Fill in a name.")),
            Length(
                max=MAX_DISPLAY_NAME,
                message=_l("At most %(max)s characters.", max=MAX_DISPLAY_NAME),
            ),
            Refuses(HIDDEN_CATEGORIES, _l("This has a character in it that we cannot show.")),
        ],
        filters=[one_line],
    )
    also = SelectMultipleField(
        _l("Also works for"),
        choices=[],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    role = SelectField(_l("Role"), choices=[])
    capacity = IntegerField(
        _l("Chats at once"),
        default=2,
        validators=[
            InputRequired(_l("Give a number of chats.")),
            NumberRange(
                min=1,
                max=workers.MAX_CAPACITY,
                message=_l("Between 1 and %(max)s chats.", max=workers.MAX_CAPACITY),
            ),
        ],
    )


class NewPersonForm(PersonForm):
    username = TextField(
        _l("Username"),
        validators=[
            DataRequired(_l("Fill in a username.")),
            Length(max=64, message=_l("At most %(max)s characters.", max=64)),
            Regexp(
                workers.USERNAME.pattern + r"\Z",  # Regexp matches a start only
                message=_l(
                    "Use small letters, digits, dots, hyphens or underscores,"
                    " starting with a letter or digit."
                ),
            ),
        ],
        filters=[_username],
    )
    region = SelectField(_l("Own region"), choices=[])

    def validate_username(self, field):
        if field.data and workers.by_username(field.data) is not None:
            raise ValidationError(_l("There already is a worker with this username."))


# ---- who manages whom ------------------------------------------------------------------------


def _may_manage(viewer: Worker, person: Worker, codes: list[str] | None = None) -> bool:
    """Whether `viewer` manages `person`; `codes`: the viewer's regions, when already known."""
    if viewer.role == WorkerRole.ADMIN:
        return True
    if codes is None:
        codes = staffing.regions_of(viewer)
    return person.role != WorkerRole.ADMIN and person.region_code in codes


def _managed() -> list[Worker]:
    """The workers this manager may manage, by username."""
    codes = staffing.regions_of(g.worker)
    return [w for w in workers.all_workers() if _may_manage(g.worker, w, codes)]


def _person(worker_id: int) -> Worker:
    """A worker this manager may manage: 403 for a chat worker, 404 for anyone else."""
    managers_only()
    person = workers.get(worker_id)
    if person is None or not _may_manage(g.worker, person):
        abort(404)
    return person


def _extra_regions(person: Worker) -> list[str]:
    """The regions a worker works for besides their own, as stored."""
    return _extras_of([person.id]).get(person.id, [])


def _extras_of(worker_ids: list[int]) -> dict[int, list[str]]:
    """Per worker, their extra regions, sorted: one query for the whole list."""
    found: dict[int, list[str]] = {}
    with db.session() as s:
        rows = s.exec(
            select(WorkerRegion.worker_id, WorkerRegion.region_code)
            .where(WorkerRegion.worker_id.in_(worker_ids))
            .order_by(WorkerRegion.region_code)
        )
        for worker_id, code in rows:
            found.setdefault(worker_id, []).append(code)
    return found


def _region_choices() -> list[tuple[str, str]]:
    """The regions this manager may give a worker: their own regions (an admin's: all)."""
    codes = set(staffing.regions_of(g.worker))
    return [(r.code, r.name) for r in regions.all_regions(include_demo=True) if r.code in codes]


def _fill_choices(form: PersonForm) -> PersonForm:
    choices = _region_choices()
    form.also.choices = choices
    form.role.choices = [c for c in ROLES if _may_give(c.value)]
    if isinstance(form, NewPersonForm):
        form.region.choices = choices
    return form


def _edit_form(person: Worker, form: PersonForm) -> PersonForm:
    """The choices of a worker's form; their own region is no extra one to tick."""
    _fill_choices(form)
    form.also.choices = [c for c in form.also.choices if c[0] != person.region_code]
    return form


def _may_give(role: str) -> bool:
    """A coordinator makes workers and coordinators, never administrators."""
    return g.worker.role == WorkerRole.ADMIN or role != WorkerRole.ADMIN


# ---- pages ---------------------------------------------------------------------------------


def _region_names() -> dict[str, str]:
    return {r.code: r.name for r in regions.all_regions(include_demo=True)}


def _list_page(form: NewPersonForm, status: int = 200):
    names = _region_names()
    shown = _managed()
    extras = _extras_of([person.id for person in shown])
    rows = [
        (person, [names.get(c, c) for c in [person.region_code, *extras.get(person.id, [])]])
        for person in shown
    ]
    return render_template(
        "console/people.html",
        worker=g.worker,
        rows=rows,
        form=form,
        role_names=ROLE_NAMES,
        availability_names=AVAILABILITY_NAMES,
    ), status


def _person_page(person: Worker, form: PersonForm | None = None, status=200, reset_url=None):
    if form is None:
        form = _edit_form(person, PersonForm(formdata=None))
        form.display_name.data = person.display_name
        form.also.data = _extra_regions(person)
        form.role.data = person.role
        form.capacity.data = person.capacity
    return render_template(
        "console/person.html",
        worker=g.worker,
        person=person,
        form=form,
        home=_region_names().get(person.region_code, person.region_code),
        role_names=ROLE_NAMES,
        reset_url=reset_url,
        reset_hours=int(password_reset.MAX_AGE.total_seconds() // 3600),
    ), status


@bp.get("/people")
@login_required
def people():
    """The workers of this manager's regions (an administrator's: everyone), and a form to add."""
    managers_only()
    return _list_page(_fill_choices(NewPersonForm(formdata=None)))


@bp.post("/people")
@login_required
def add_person():
    """A new worker without a password: the manager gets a one-time link to hand over."""
    managers_only()
    form = _fill_choices(NewPersonForm())
    if not form.validate_on_submit():
        return _list_page(form, 400)
    try:
        person = workers.add(
            form.username.data,
            form.display_name.data,
            form.region.data,
            None,
            also=tuple(form.also.data),
            role=form.role.data,
            capacity=form.capacity.data,
        )
    except workers.AccountError:  # someone added the same username just now
        form.username.errors.append(_("There already is a worker with this username."))
        return _list_page(form, 400)
    log.info("%s added worker %s (%s)", g.worker.username, person.username, person.role)
    flash(_("%(name)s is added.", name=person.display_name))
    return _person_page(person, reset_url=_reset_url(person), status=201)


@bp.get("/people/<int:worker_id>")
@login_required
def person(worker_id):
    """One worker: name, regions, role and capacity; disable, or make a reset link."""
    return _person_page(_person(worker_id))


@bp.post("/people/<int:worker_id>")
@login_required
def save_person(worker_id):
    """Save what changed; a new role or other regions end the worker's sessions."""
    person = _person(worker_id)
    form = _edit_form(person, PersonForm())
    if not form.validate_on_submit():
        return _person_page(person, form, 400)
    if person.id == g.worker.id and form.role.data != person.role:
        form.role.errors.append(_("You cannot change your own role."))
        return _person_page(person, form, 400)
    if form.display_name.data != person.display_name:
        workers.set_display_name(person.username, form.display_name.data)
    mine = {code for code, _name in form.also.choices}
    kept = {code for code in _extra_regions(person) if code not in mine}  # not theirs to touch
    extra = sorted(kept | (set(form.also.data) - {person.region_code}))
    if extra != _extra_regions(person):
        workers.set_regions(person.username, extra)
    if form.role.data != person.role:
        workers.set_role(person.username, form.role.data)
        log.info("%s made %s %s", g.worker.username, person.username, form.role.data)
    if form.capacity.data != person.capacity:
        workers.set_capacity(person.username, form.capacity.data)
    flash(_("The changes for %(name)s are saved.", name=form.display_name.data))
    return redirect(url_for("console.person", worker_id=person.id), 303)


@bp.post("/people/<int:worker_id>/disabled")
@login_required
def disable_person(worker_id):
    """Disable: every session of the worker ends at once and they cannot log in."""
    person = _person(worker_id)
    if ConfirmForm().validate_on_submit():
        if person.id == g.worker.id:
            flash(_("You cannot disable your own account."))
        else:
            workers.set_disabled(person.username, True)
            log.info("%s disabled worker %s", g.worker.username, person.username)
            flash(_("%(name)s is disabled and logged out.", name=person.display_name))
    return redirect(url_for("console.person", worker_id=person.id), 303)


@bp.post("/people/<int:worker_id>/enabled")
@login_required
def enable_person(worker_id):
    """Enable again: the worker logs in with their password, or through a new reset link."""
    person = _person(worker_id)
    if ConfirmForm().validate_on_submit():
        workers.set_disabled(person.username, False)
        log.info("%s enabled worker %s", g.worker.username, person.username)
        flash(_("%(name)s can log in again.", name=person.display_name))
    return redirect(url_for("console.person", worker_id=person.id), 303)


@bp.post("/people/<int:worker_id>/reset-link")
@login_required
def make_reset_link(worker_id):
    """A one-time link for the worker to choose a password; shown once, in this answer only."""
    person = _person(worker_id)
    if not ConfirmForm().validate_on_submit() or person.disabled:
        return redirect(url_for("console.person", worker_id=person.id), 303)
    log.info("%s made a reset link for %s", g.worker.username, person.username)
    return _person_page(person, reset_url=_reset_url(person))


def _reset_url(person: Worker) -> str:
    return url_for("console.reset_password", t=password_reset.make(person), _external=True)
