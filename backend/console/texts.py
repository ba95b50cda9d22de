"""Canned answers for coordinators (their regions) and administrators (also the national ones).

Workers find a change from their next search beside the chat (backend/console/canned.py).
An answer outside the manager's regions, or a national one for a coordinator, does not
exist for them: 404, as for hours.
"""

import logging
import re

from flask import abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.validators import DataRequired, Length, Regexp

from backend import canned, regions, staffing
from backend.chats import MAX_MESSAGE_LENGTH
from backend.console import bp
from backend.console.auth import login_required
from backend.console.scope import managers_only
from backend.forms import (
    HIDDEN_CATEGORIES,
    ConfirmForm,
    Form,
    Refuses,
    TextBox,
    TextField,
    lines,
    one_line,
)
from backend.models import CannedAnswer, WorkerRole

log = logging.getLogger(__name__)

NATIONAL = ""  # the region choice of a national answer
SHORTCUT = re.compile(r"[a-z0-9][a-z0-9_-]*\Z")  # the whole of it: Regexp matches a start
MAX_SHORTCUT = 32  # models.CannedAnswer.shortcut
MAX_TITLE = 80


def _lower(value):
    return one_line(value).casefold() if isinstance(value, str) else value


class TextForm(Form):
    region = SelectField(_l("For"), choices=[])
    shortcut = TextField(
        _l("Short name, typed to find it"),
        validators=[
            DataRequired(_l("Fill in a short name.")),
            Length(max=MAX_SHORTCUT, message=_l("At most %(max)s characters.", max=MAX_SHORTCUT)),
            Regexp(
                SHORTCUT,
                message=_l("Use letters, digits, hyphens or underscores, without spaces."),
            ),
        ],
        filters=[_lower],
    )
    title = TextField(
        _l("Title"),
        validators=[
            DataRequired(_l("Fill in a title.")),
            Length(max=MAX_TITLE, message=_l("At most %(max)s characters.", max=MAX_TITLE)),
            Refuses(HIDDEN_CATEGORIES, _l("This has a character in it that we cannot show.")),
        ],
        filters=[one_line],
    )
    body = TextBox(
        _l("Text"),
        validators=[
            DataRequired(_l("Fill in the text.")),
            Length(
                max=MAX_MESSAGE_LENGTH,
                message=_l("At most %(max)s characters.", max=MAX_MESSAGE_LENGTH),
            ),
            Refuses({"Cc"}, _l("This has a character in it that we cannot show."), "\n\t"),
        ],
        filters=[lines],
    )

    def region_code(self) -> str | None:
        return self.region.data or None


def _is_admin() -> bool:
    return g.worker.role == WorkerRole.ADMIN


def _codes() -> list[str]:
    return staffing.regions_of(g.worker)


def _form(posted: bool = False, answer: CannedAnswer | None = None) -> TextForm:
    """The form with the manager's region choices: as posted, or filled from `answer`."""
    form = TextForm() if posted else TextForm(formdata=None)
    codes = set(_codes())
    choices = [(r.code, r.name) for r in regions.all_regions(include_demo=True) if r.code in codes]
    if _is_admin():
        choices.insert(0, (NATIONAL, _("National (every region)")))
    form.region.choices = choices
    if answer is not None and not posted:
        form.region.data = answer.region_code or NATIONAL
        form.shortcut.data, form.title.data, form.body.data = (
            answer.shortcut,
            answer.title,
            answer.body,
        )
    return form


def _valid(form: TextForm, answer_id: int | None = None) -> bool:
    if not form.validate_on_submit():
        return False
    if canned.shortcut_taken(form.region_code(), form.shortcut.data, answer_id):
        form.shortcut.errors.append(_("There already is a text with this short name here."))
        return False
    return True


def _answer(answer_id: int) -> CannedAnswer:
    """An answer this manager may change: 403 for a worker, 404 for any other."""
    managers_only()
    answer = canned.one(answer_id)
    if answer is None:
        abort(404)
    if answer.region_code is None and not _is_admin():
        abort(404)
    if answer.region_code is not None and answer.region_code not in _codes():
        abort(404)
    return answer


def _list_page(form: TextForm, status: int = 200):
    names = {r.code: r.name for r in regions.all_regions(include_demo=True)}
    return render_template(
        "console/texts.html",
        worker=g.worker,
        answers=canned.of_regions(_codes(), national=_is_admin()),
        names=names,
        form=form,
        national_note=not _is_admin(),
    ), status


@bp.get("/texts")
@login_required
def texts():
    """The canned answers this manager keeps, and a form to add one."""
    managers_only()
    return _list_page(_form())


@bp.post("/texts")
@login_required
def add_text():
    """A new canned answer for one of the manager's regions (an administrator's: or national)."""
    managers_only()
    form = _form(posted=True)
    if not _valid(form):
        return _list_page(form, 400)
    answer = canned.save(
        None, form.region_code(), form.shortcut.data, form.title.data, form.body.data
    )
    log.info("%s added canned answer %s", g.worker.username, answer.id)
    flash(_("The text “%(title)s” is added.", title=answer.title))
    return redirect(url_for("console.texts"), 303)


def _text_page(answer: CannedAnswer, form: TextForm, status: int = 200):
    return render_template("console/text.html", worker=g.worker, answer=answer, form=form), status


@bp.get("/texts/<int:answer_id>")
@login_required
def text(answer_id):
    """One canned answer to change or delete."""
    answer = _answer(answer_id)
    return _text_page(answer, _form(answer=answer))


@bp.post("/texts/<int:answer_id>")
@login_required
def save_text(answer_id):
    """Save the changed answer."""
    answer = _answer(answer_id)
    form = _form(posted=True, answer=answer)
    if not _valid(form, answer.id):
        return _text_page(answer, form, 400)
    canned.save(answer.id, form.region_code(), form.shortcut.data, form.title.data, form.body.data)
    log.info("%s changed canned answer %s", g.worker.username, answer.id)
    flash(_("The text “%(title)s” is saved.", title=form.title.data))
    return redirect(url_for("console.texts"), 303)


@bp.post("/texts/<int:answer_id>/delete")
@login_required
def delete_text(answer_id):
    """Delete the answer: workers no longer find it."""
    answer = _answer(answer_id)
    if ConfirmForm().validate_on_submit():
        canned.delete(answer.id)
        log.info("%s deleted canned answer %s", g.worker.username, answer.id)
        flash(_("The text “%(title)s” is deleted.", title=answer.title))
    return redirect(url_for("console.texts"), 303)
