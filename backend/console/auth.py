"""Console sessions: log in and out, the worker loaded once per request, `login_required`."""

import hashlib
import hmac
import time
from datetime import timedelta
from functools import wraps

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError

from backend import clock, passwords, rate_limits, staffing, workers
from backend.console import bp
from backend.extensions import limiter
from backend.forms import ConfirmForm, LoginForm
from backend.htmx import is_htmx
from backend.models import Availability, Worker


def current_worker() -> Worker | None:
    """The logged-in worker, while the session is theirs: same epoch, not disabled, not idle."""
    worker_id = session.get("worker_id")
    if worker_id is None:
        return None
    idle = current_app.config["CONSOLE_IDLE_MINUTES"] * 60
    fresh = clock.now().timestamp() - session.get("seen", 0) <= idle
    worker = workers.get(worker_id) if fresh else None
    if not workers.session_is_current(worker, session.get("epoch")):
        session.clear()
        return None
    return worker


@bp.before_request
def load_worker():
    g.worker = current_worker()


SEEN_STEP = 60  # seconds; the console page's keepalive asks once a minute


def _seen_now() -> None:
    """The idle time counts from here, to the minute.

    The session cookie is written again only when "seen" moves: every answer that writes it
    replaces the browser's cookie, and one that was under way (a theme preview sent as its form
    is saved) would put back the session from before, losing the flash message of the save."""
    now = int(clock.now().timestamp())
    if now - session.get("seen", 0) >= SEEN_STEP:
        session["seen"] = now


def login_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if g.worker is None:
            if is_htmx():
                # htmx would swap the login page into the console: have it load the page.
                return "", 204, {"HX-Redirect": url_for("console.login")}
            return redirect(url_for("console.login"), 303)
        _seen_now()
        return view(*args, **kwargs)

    return wrapped


@bp.errorhandler(CSRFError)
def form_expired(_error):
    """A form whose token expired or went missing: say so, in Dutch, and start over."""
    flash(_("This form had expired. Please try again."))
    # CSRF is checked before the blueprint loads the worker: ask the session here.
    target = url_for("console.dashboard" if current_worker() else "console.login")
    if is_htmx():
        # htmx would follow a redirect and drop the page: have it load the page, note and all.
        return "", 204, {"HX-Redirect": target}
    return redirect(target, 303)


def _login_account() -> str:
    """The account a login tries: the typed username, normalised, as a keyed hash."""
    key = current_app.secret_key
    key = key.encode() if isinstance(key, str) else key
    username = workers.normalise(request.form.get("username", "")).encode()
    return hmac.new(key, b"login:" + username, hashlib.sha256).hexdigest()[:32]


def _login_failed(_response) -> bool:
    """Only failed logins count towards the limits; a right password costs nothing."""
    return g.get("login_failed", False)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMITS"],
    key_func=_login_account,
    methods=["POST"],
    deduct_when=_login_failed,
)
def login():
    """Log a worker in with username and password (argon2)."""
    form = LoginForm()
    if request.method == "POST" and (wait := rate_limits.client_wait("LOGIN_CLIENT_LIMITS")):
        return _refused(wait)
    if form.validate_on_submit():
        worker = workers.by_username(form.username.data)
        if worker is None:
            passwords.verify_unknown(form.password.data)  # as slow as a real check
        elif passwords.verify(worker.password_hash, form.password.data) and not worker.disabled:
            session.clear()
            staffing.set_availability(worker.id, Availability.AVAILABLE)  # a shift starts
            session.update(
                worker_id=worker.id,
                epoch=worker.session_epoch,
                seen=int(clock.now().timestamp()),
            )
            return redirect(url_for("console.dashboard"), 303)
        g.login_failed = True
        rate_limits.count_client("LOGIN_CLIENT_LIMITS")
        form.password.errors.append(_("Username or password is not right."))
    return render_template("console/login.html", form=form)


@bp.errorhandler(RateLimitExceeded)
def too_many_logins(_error):
    """Too many failed logins for this account: say when to try again, in Dutch."""
    limit = limiter.current_limit
    return _refused(limit.reset_at - time.time() if limit else 60)


def _refused(seconds: float):
    """The login form again, saying in how long (at least a minute) to try again."""
    seconds = max(60, seconds)
    when = format_timedelta(timedelta(seconds=seconds), granularity="minute", add_direction=True)
    refused = _("Too many attempts to log in. Try again %(when)s.", when=when)
    return render_template("console/login.html", form=LoginForm(), refused=refused), 429


@bp.post("/logout")
def logout():
    """Log out: every session of this worker ends, a copied cookie and open consoles too."""
    if ConfirmForm().validate_on_submit():
        if g.worker is not None:
            workers.end_sessions(g.worker.id)
        session.clear()
        flash(_("You are logged out."))
    return redirect(url_for("console.login"), 303)
