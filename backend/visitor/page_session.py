"""Sessions: the visitor's cookie (or, refused, the page carries it) and the console's own.

The worker console has a cookie of its own, sent only to /console: first-party, `SameSite=Lax`,
not partitioned. The visitor's cookie lives in someone else's site's iframe: `SameSite=None`,
partitioned, for the whole host. Neither session can be read or overwritten by the other side.

Safari before 18.4 drops partitioned third-party cookies, and some visitors block cookies
altogether. Then the signed session travels in a request header that htmx adds from the
panel's `hx-headers`. It is never put in a URL (so never in the browser's history) and never
read from a form field: a page on another site cannot send a custom header to us without a
CORS preflight, which we never grant, so CSRF protection stays as strong as with the cookie.
Only the visitor's pages (/w/) read it; a worker's session is only ever a cookie.
"""

from flask import current_app, request, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_wtf.csrf import generate_csrf
from itsdangerous import BadSignature

HEADER = "X-VTChat-Session"
VISITOR_PATHS = "/w/"
CONSOLE_PATH = "/console"
# `__Host-` would need Path=/; `__Secure-` still makes browsers refuse it from plain http.
CONSOLE_COOKIE = "__Secure-vtconsole"


def for_console() -> bool:
    """Whether this request belongs to the worker console, and so to the console's cookie."""
    path = request.path
    return path == CONSOLE_PATH or path.startswith(CONSOLE_PATH + "/")


class VisitorSession(SecureCookieSession):
    from_cookie = False  # True when the browser sent our cookie with this request


class PageCarriedSessionInterface(SecureCookieSessionInterface):
    """The signed cookie session, falling back on the header for the visitor's pages."""

    session_class = VisitorSession

    # The console's cookie differs from the visitor's (the app's SESSION_COOKIE_*) in these.
    def get_cookie_name(self, app):
        return CONSOLE_COOKIE if for_console() else super().get_cookie_name(app)

    def get_cookie_path(self, app):
        return CONSOLE_PATH if for_console() else super().get_cookie_path(app)

    def get_cookie_samesite(self, app):
        return "Lax" if for_console() else super().get_cookie_samesite(app)

    def get_cookie_partitioned(self, app):
        return False if for_console() else super().get_cookie_partitioned(app)

    def open_session(self, app, request):
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        max_age = int(app.permanent_session_lifetime.total_seconds())
        carriers = [(request.cookies.get(self.get_cookie_name(app)), True)]
        if request.path.startswith(VISITOR_PATHS):
            carriers.append((request.headers.get(HEADER), False))
        for value, from_cookie in carriers:
            if not value:
                continue
            try:
                data = serializer.loads(value, max_age=max_age)
            except BadSignature:
                continue
            opened = self.session_class(data)
            opened.from_cookie = from_cookie
            return opened
        return self.session_class()


def in_page() -> str | None:
    """The signed session for the panel to carry, when this request came without our cookie.

    In a browser that keeps the cookie only the very first panel carries it; from the next
    request on, the cookie is there and the panel carries nothing.
    """
    if getattr(session, "from_cookie", False) or not request.path.startswith(VISITOR_PATHS):
        return None
    generate_csrf()  # the panel's forms sign their token with the session's CSRF secret
    serializer = current_app.session_interface.get_signing_serializer(current_app)
    return serializer.dumps(dict(session))


def init_app(app):
    app.session_interface = PageCarriedSessionInterface()
    app.jinja_env.globals["session_in_page"] = in_page
