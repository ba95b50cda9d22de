"""Errors shown where the person acted, in Dutch: a fragment for htmx, a small page otherwise.

htmx swaps error answers too (`responseHandling` in widget/_head.html). An answer to htmx
swaps nothing where it was aimed (HX-Reswap: none); its words go by id into the fault slot
beside the message box or the start button (hx-swap-oob), so whatever was typed stays. The
next good answer draws the box or the form again, with the slot empty.
"""

import logging
from types import SimpleNamespace

from flask import g, make_response, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import DatabaseError, DataError, IntegrityError, ProgrammingError
from werkzeug.exceptions import HTTPException

from backend import db
from backend.chats import MAX_MESSAGE_LENGTH
from backend.forms import MessageForm, send_key
from backend.htmx import is_htmx

log = logging.getLogger(__name__)

# What did not happen, by the form that was sent; anything else "did not work".
_NOT_DONE = {
    "widget.send": _l("Your message was not sent."),
    "console.send": _l("Your message was not sent."),
    "widget.start": _l("The chat has not started."),
}
# Why, by status; any other status is our fault.
_WHY = {
    400: _l("Something in what was sent was not right. Please try again."),
    403: _l("That is not allowed."),
    404: _l("We cannot find what you asked for."),
    405: _l("That cannot be done this way."),
    413: _l("Your text is too long. Make it shorter and try again."),
    429: _l("You are sending a lot in a short time. Wait a moment and try again."),
}
_OUR_FAULT = _l("Something went wrong on our side. Please try again in a moment.")
# Headers of the refusal that still mean something to the browser.
_KEPT_HEADERS = ("Allow", "Retry-After")
# Database errors that mean a mistake in our code, not a database that cannot write.
_BUGS = (IntegrityError, ProgrammingError, DataError)
_CONSOLE = "/console"


def init_app(app):
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(DatabaseError, database_error)
    app.register_error_handler(db.DatabaseFileChanged, database_error)


def http_error(error: HTTPException):
    """A refused request (4xx) or our failure (5xx), said where the person acted."""
    if error.code is None or error.code < 400:
        return error
    headers = [(k, v) for k, v in error.get_headers() if k in _KEPT_HEADERS]
    return answer(error.code, headers)


def database_error(error: Exception):
    """The database would not read or write (full, read-only, gone): 503, nothing confirmed;
    an error that is a mistake in our code: 500.

    Only the database's own first line is logged: never the statement's values, which hold
    what visitors wrote (the engine hides them too).
    """
    cause = getattr(error, "orig", None) or error
    reason = (str(cause).splitlines() or [""])[0]
    if isinstance(error, _BUGS):
        log.error("database error on %s: %s: %s", request.endpoint, type(cause).__name__, reason)
        return answer(500)
    log.error("database unavailable on %s: %s", request.endpoint, reason)
    return answer(503)


def in_console() -> bool:
    return request.path == _CONSOLE or request.path.startswith(_CONSOLE + "/")


def fault(status: int) -> dict:
    """The words: what did not happen, why, and for a visitor the number that always answers."""
    not_done = _NOT_DONE.get(request.endpoint) if request.method == "POST" else None
    return {
        "what": not_done or _("That did not work."),
        "why": _WHY.get(status, _OUR_FAULT if status >= 500 else _WHY[400]),
        "phone": not in_console(),
    }


def answer(status: int, headers=()):
    """The fault slot's words for htmx; a small page of its own without it."""
    words = fault(status)
    if is_htmx():
        if in_console():
            # Beside the message box for a send; for any other button, at the workspace's top.
            slot = "console-fault" if request.endpoint == "console.send" else "console-problem"
            body = render_template(
                "console/_fault.html", fault=words, fault_oob=True, fault_slot=slot
            )
        else:
            body = render_template("widget/_fault.html", fault=words, fault_oob=True)
            said = render_template("widget/_fault_words.html", fault=words)
            body += render_template("widget/_announce.html", words=said)
        response = make_response(body, status, headers)
        response.headers["HX-Reswap"] = "none"
        return response
    retry = _retry_form(status)
    if in_console():
        back = url_for("console.dashboard")
        # Back to the chat, unless that chat is what could not be found.
        args = request.view_args or {}
        if g.get("worker") is not None and "chat_id" in args and status != 404:
            back = url_for("console.chat", chat_id=args["chat_id"])
        page = render_template(
            "console/fault.html", fault=words, back=back, retry=retry, worker=g.get("worker")
        )
    else:
        page = render_template("widget/fault.html", fault=words, retry=retry, **_pop_up())
    return make_response(page, status, headers)


def _pop_up() -> dict:
    """The site whose pop-up this was, when it is known (then the page may be framed by it)."""
    site_key = (request.view_args or {}).get("site_key")
    if site_key is None or "frame_ancestors" not in g:  # set by site_or_404 once found
        return {"site": None, "back": None}
    return {
        "site": SimpleNamespace(key=site_key),  # all the safety bar needs, without the database
        "back": url_for("widget.page", site_key=site_key),
    }


def _retry_form(status: int) -> MessageForm | None:
    """Without JavaScript a refused message comes back in a box of its own, to send again."""
    if request.method != "POST" or request.endpoint not in ("widget.send", "console.send"):
        return None
    if status == 413:
        return None  # too large to be read at all
    try:
        typed = request.form.get("body")
    except HTTPException:
        return None
    if not typed:
        return None
    form = MessageForm(formdata=None)
    form.body.data = typed[:MAX_MESSAGE_LENGTH]
    # The same key again: if the message was stored after all, trying again stores nothing.
    form.send_key.data = send_key(request.form.get("send_key")) or form.send_key.data
    return form
