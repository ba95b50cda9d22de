"""Response headers: no caching of chat pages, no referrer, and a strict CSP."""

from flask import g, request

# Pages may set g.frame_ancestors (the registered site origin), g.frame_src and g.style_src.
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'{style_src}; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; "
    "frame-src {frame_src}; frame-ancestors {frame_ancestors}"
)


def init_app(app):
    @app.after_request
    def _headers(response):
        headers = response.headers
        headers.setdefault("Referrer-Policy", "no-referrer")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault(
            "Content-Security-Policy",
            _CSP.format(
                frame_ancestors=g.get("frame_ancestors", "'none'"),
                frame_src=g.get("frame_src", "'none'"),
                style_src=" " + g.style_src if g.get("style_src") else "",
            ),
        )
        if not request.path.startswith(("/w/static/", "/embed/v1/")):
            headers["Cache-Control"] = "no-store"
        return response
