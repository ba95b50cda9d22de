"""What requests may be and what answers say: our hosts only, ids that fit, named form parts;
no caching, no referrer, a strict CSP and HSTS."""

from urllib.parse import urlsplit

from flask import Request, abort, g, request
from flask_babel import gettext as _
from werkzeug.exceptions import SecurityError
from werkzeug.formparser import FormDataParser
from werkzeug.routing import IntegerConverter

# A page may set g.frame_ancestors: who may frame it (a widget page: the registered site).
# Frames inside our pages are only ever our own (the transcript without JavaScript).
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; "
    "frame-src 'self'; frame-ancestors {frame_ancestors}"
)
# Two years, the chat host and everything under it. Sent only over https: browsers ignore it
# on http, and a local `make run` on http must not pin localhost to https.
_HSTS = "max-age=63072000; includeSubDomains"
# The largest id a database row can have: the id columns are INTEGER, on PostgreSQL signed
# 32 bits (SQLite takes 64). A larger number in a URL finds nothing; handed to the database
# it would fail instead.
ROW_ID_MAX = 2**31 - 1


class RowId(IntegerConverter):
    """`<int:…>` in every route: a whole number that fits a row id, else no match (404)."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", ROW_ID_MAX)
        super().__init__(url_map, *args, **kwargs)


def row_id(text: str) -> int:
    """A row id from a query string (`request.args.get(..., type=row_id)`); ValueError if none."""
    if not (text.isascii() and text.isdigit()) or int(text) > ROW_ID_MAX:
        raise ValueError(text)
    return int(text)


class NamedPartsOnly(FormDataParser):
    """Drops the parts of a form post that have no name.

    A multipart part without one comes out as a field named None, on which Flask-WTF's search
    for the CSRF token fails (a 500 instead of a refusal).
    """

    def parse(self, *args, **kwargs):
        stream, form, files = super().parse(*args, **kwargs)
        return stream, self._named(form), self._named(files)

    def _named(self, fields):
        return self.cls(
            (name, value) for name, value in fields.items(multi=True) if name is not None
        )


class FormRequest(Request):
    """Flask's request, reading forms with the parser above."""

    form_data_parser_class = NamedPartsOnly


def carries_nul() -> bool:
    """Whether the path or the query holds a NUL character.

    PostgreSQL takes no NUL in text (SQLite does), and no link of ours has one: such a
    request is refused before any of it reaches the database. Form fields say what is wrong
    with them themselves, beside the field.
    """
    return "\0" in request.path or any(
        "\0" in k or "\0" in v for k, v in request.args.items(multi=True)
    )


def trusted_hosts(config) -> list[str]:
    """The host names we answer to: the setting, else those of the chat and the demo pages.

    Any other Host header gets 400, so that no link or redirect we build names a host an
    attacker chose.
    """
    if config.get("TRUSTED_HOSTS"):
        return list(config["TRUSTED_HOSTS"])
    urls = (config["CHAT_BASE_URL"], config["DEMO_ORIGIN"])
    return sorted({urlsplit(url).hostname for url in urls if urlsplit(url).hostname})


def init_app(app):
    app.config["TRUSTED_HOSTS"] = trusted_hosts(app.config)
    app.url_map.converters["int"] = RowId  # before the blueprints add their routes
    app.request_class = FormRequest

    def _refuse_nul():
        if carries_nul():
            abort(400)

    # First of all, before the CSRF check: its refusal page looks the site up by the path.
    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_nul)

    @app.errorhandler(SecurityError)
    def _host_not_ours(_error):
        """400 in plain words: no page (it could not build a link), and never the host named."""
        words = _("Something in what was sent was not right. Please try again.")
        return words, 400, {"Content-Type": "text/plain; charset=utf-8"}

    @app.after_request
    def _headers(response):
        headers = response.headers
        headers.setdefault("Referrer-Policy", "no-referrer")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault(
            "Content-Security-Policy",
            _CSP.format(frame_ancestors=g.get("frame_ancestors", "'none'")),
        )
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", _HSTS)
        if not request.path.startswith(("/w/static/", "/embed/v1/")):
            headers["Cache-Control"] = "no-store"
        return response
