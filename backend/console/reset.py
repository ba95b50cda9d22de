"""A worker chooses a password through a one-time link a coordinator or administrator made.

No login is needed: the link is the proof. Once the password is set, every session of the
worker ends (the link's own included) and they log in with the new password.

The link's token travels in the query string (`/console/reset?t=...`) and then in the form's
body, never in the path: gunicorn's and nginx's access logs write the path and leave the query
out (backend/access_log.py, deploy/), so a usable link never lands in a log.
"""

from datetime import timedelta

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from backend import password_reset, passwords, rate_limits
from backend.console import bp
from backend.forms import Form

NEW_PASSWORD_LIMITS = "LOGIN_CLIENT_LIMITS"  # a refused link counts as a failed login
# What the page says for each reason a link is refused, with the HTTP status.
REFUSALS = {
    password_reset.Refused.EXPIRED: (
        _l("This link has expired. Ask your coordinator for a new one."),
        410,
    ),
    password_reset.Refused.USED: (
        _l(
            "This link has already been used, or the account has changed since it was made."
            " Ask your coordinator for a new one."
        ),
        410,
    ),
    password_reset.Refused.FORGED: (
        _l("This link is not right. Check that it is copied in full, or ask for a new one."),
        404,
    ),
}


class NewPasswordForm(Form):
    t = HiddenField()  # the link's token, carried from the query string into the form's body
    password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(_l("Fill in a password.")),
            Length(
                min=passwords.MIN_LENGTH,
                message=_l("Use at least %(min)s characters.", min=passwords.MIN_LENGTH),
            ),
        ],
    )
    repeat = PasswordField(
        _l("Repeat the password"),
        validators=[EqualTo("password", message=_l("The two passwords are not the same."))],
    )


def _refused(why: password_reset.Refused):
    words, status = REFUSALS[why]
    rate_limits.count_client(NEW_PASSWORD_LIMITS)
    return render_template("console/reset_refused.html", worker=None, words=words), status


@bp.route("/reset", methods=["GET", "POST"])
def reset_password():
    """The form to choose a new password, while the link may still be used."""
    if wait := rate_limits.client_wait(NEW_PASSWORD_LIMITS):
        when = format_timedelta(
            timedelta(seconds=max(60, wait)), granularity="minute", add_direction=True
        )
        words = _("Too many attempts. Try again %(when)s.", when=when)
        return render_template("console/reset_refused.html", worker=None, words=words), 429
    form = NewPasswordForm()
    if request.method == "GET":
        form.t.data = request.args.get("t", "")
    token = form.t.data or ""
    try:
        person = password_reset.check(token)
    except password_reset.LinkRefused as refused:
        return _refused(refused.why)
    if form.validate_on_submit():
        try:
            password_reset.use(token, form.password.data)
        except password_reset.LinkRefused as refused:  # used in another tab just now
            return _refused(refused.why)
        session.clear()
        flash(_("Your password is set. Log in with it."))
        return redirect(url_for("console.login"), 303)
    status = 400 if form.errors else 200
    return render_template(
        "console/reset.html",
        worker=None,
        person=person,
        form=form,
        min_length=passwords.MIN_LENGTH,
    ), status
