"""Retention for administrators: how long transcripts are kept, and when the next ones go."""

from flask import abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import IntegerField
from wtforms.validators import InputRequired, NumberRange

from backend import retention, workers
from backend.console import bp
from backend.console.auth import login_required
from backend.forms import Form
from backend.models import WorkerRole
from backend.visitor.render import retention_period


class RetentionForm(Form):
    hours = IntegerField(
        _l("Hours after a chat ends"),
        validators=[
            InputRequired(_l("Give a number of hours.")),
            NumberRange(
                min=retention.MIN_HOURS,
                max=retention.MAX_HOURS,
                message=_l(
                    "Between %(min)s and %(max)s hours.",
                    min=retention.MIN_HOURS,
                    max=retention.MAX_HOURS,
                ),
            ),
        ],
    )


def _admin_only() -> None:
    if g.worker.role != WorkerRole.ADMIN:
        abort(403)


def _page(form: RetentionForm, status: int = 200):
    current = retention.hours()
    count, next_at = retention.kept_transcripts()
    set_by = retention.changed()
    return render_template(
        "console/retention.html",
        worker=g.worker,
        form=form,
        hours=current,
        period=retention_period(current),
        kept=count,
        next_at=next_at,
        set_by=set_by,
        set_by_name=workers.get(set_by.changed_by).display_name
        if set_by and set_by.changed_by
        else None,
    ), status


@bp.get("/retention")
@login_required
def retention_page():
    """The retention now, the transcripts still kept, and when the next ones are deleted."""
    _admin_only()
    form = RetentionForm(formdata=None)
    form.hours.data = retention.hours()
    return _page(form)


@bp.post("/retention")
@login_required
def set_retention():
    """A new retention: the sweeper deletes by it from its next round on."""
    _admin_only()
    form = RetentionForm()
    if not form.validate_on_submit():
        return _page(form, 400)
    retention.set_hours(form.hours.data, g.worker.id)
    flash(
        _(
            "Transcripts are now deleted %(period)s after a chat.",
            period=retention_period(form.hours.data),
        )
    )
    return redirect(url_for("console.retention_page"), 303)
