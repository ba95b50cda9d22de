"""Response headers: no caching of chat pages, no referrer, and a strict CSP."""

from flask import g, request

# A page may set g.frame_ancestors: who may frame it (a widget page: the registered site).
# Frames inside our pages are only ever our own (the transcript without JavaScript).
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; "
    "frame-src 'self'; frame-ancestors {frame_ancestors}"
)


def init_app(app):
    @app.after_request
    def _headers(response):
        headers = response.headers
        headers.setdefault("Referrer-Policy", "no-referrer")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault(
            "Content-Security-Policy",
            _CSP.format(frame_ancestors=g.get("frame_ancestors", "'none'")),
        )
        if not request.path.startswith(("/w/static/", "/embed/v1/")):
            headers["Cache-Control"] = "no-store"
        return response
