"""The pop-up's open-or-closed page, one for every first visit: kept in memory, served before Flask.

Nearly every pop-up that opens belongs to someone without a chat: no cookie, nothing in a
session, and a page that is the same for all of them (it carries no form token; the form
brings its own). Each process keeps that answer, per URL and host, while it cannot change:

- until the region's hours turn (it opens or closes, or a new day begins), by the app's clock;
- until a site, region or opening hours row changes, here or in another process;
- and never longer than a second (backend/settings_changes.py).

A request with any cookie, a page-carried session or a query string goes to Flask as always,
as does every answer that sets a cookie or was not marked shared by its view (`share_until`).
"""

import re
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, request

from backend import settings_changes

MARK = "vtchat.shared_until"  # set in the WSGI environ by the view: shared until then
MAX_PAGES = 1_000  # a bound, not a concern: sites times the few ways they are asked for
PATH = re.compile(r"/w/[^/]+")
# What else an answer depends on, besides the path: where it was asked (links, HSTS) and
# whether htmx asked (the panel alone).
VARIES = (
    "HTTP_HOST",
    "wsgi.url_scheme",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_HX_REQUEST",
    "HTTP_HX_HISTORY_RESTORE_REQUEST",
)


class _Page:
    __slots__ = ("status", "headers", "body", "generation", "made", "made_at", "until")

    def __init__(self, status, headers, body, generation, made_at, until):
        self.status, self.headers, self.body = status, headers, body
        self.generation, self.made_at, self.until = generation, made_at, until
        self.made = time.monotonic()

    def fresh(self, now: datetime) -> bool:
        return (
            self.generation == settings_changes.generation()
            and time.monotonic() - self.made < settings_changes.MAX_AGE
            and self.made_at <= now < self.until
        )


class SharedPages:
    """WSGI middleware in front of the app: the shared pages of this process."""

    def __init__(self, app, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app
        self.pages: dict[tuple, _Page] = {}

    def _key(self, environ) -> tuple | None:
        if (
            environ.get("REQUEST_METHOD") != "GET"
            or environ.get("QUERY_STRING")
            or environ.get("HTTP_COOKIE")
            or environ.get("HTTP_X_VTCHAT_SESSION")
            or not PATH.fullmatch(environ.get("PATH_INFO", ""))
        ):
            return None
        return (environ["PATH_INFO"], *(environ.get(name) for name in VARIES))

    def __call__(self, environ, start_response):
        key = self._key(environ)
        if key is None:
            return self.wsgi_app(environ, start_response)
        page = self.pages.get(key)
        if page is not None and page.fresh(self.app.extensions["clock"]()):
            start_response(page.status, list(page.headers))
            return [page.body]
        return self._answer(key, environ, start_response)

    def _answer(self, key, environ, start_response):
        """Ask the app, and keep its answer if the view marked it shared."""
        generation = settings_changes.generation()
        made_at = self.app.extensions["clock"]()
        answered = {}

        def keep(status, headers, exc_info=None):
            answered.update(status=status, headers=headers)
            return start_response(status, headers, exc_info)

        chunks = self.wsgi_app(environ, keep)
        try:
            body = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        until = environ.get(MARK)
        headers = answered.get("headers", [])
        if (
            until is not None
            and answered.get("status", "").startswith("200")
            and not any(name.lower() == "set-cookie" for name, _value in headers)
        ):
            if len(self.pages) >= MAX_PAGES:
                self.pages.clear()
            self.pages[key] = _Page(answered["status"], headers, body, generation, made_at, until)
        return [body]


def share_until(status, now: datetime, *also) -> None:
    """Mark this request's answer as the same for every first visit until the hours turn.

    `status` is the region's hours.Status at `now`: the page changes when it opens or
    closes, and at midnight (today's hours); `also`, the statuses of other regions the page
    depends on (the partner taking the chats of a closed region), when theirs turn.
    """
    local = now.astimezone(ZoneInfo(current_app.config["TIMEZONE"]))
    midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), local.tzinfo)
    turns = [
        t for each in (status, *also) for t in (each.closes_at, each.next_opening) if t is not None
    ]
    request.environ[MARK] = min([midnight, *turns])
    settings_changes.listen()


def init_app(app) -> None:
    """Wrap the app (inside the static files): shared pages come before any view."""
    shared = SharedPages(app, app.wsgi_app)
    app.wsgi_app = shared
    app.extensions["shared_pages"] = shared
