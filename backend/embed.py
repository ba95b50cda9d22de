"""What host sites paste: the launcher stylesheet, the snippet, and demo host pages."""

from flask import Blueprint, abort, current_app, make_response, render_template, request

from backend.config import ROOT
from backend.models import Site
from backend.sites import site_or_404

bp = Blueprint(
    "embed",
    __name__,
    template_folder=str(ROOT / "embed" / "templates"),
    static_folder=str(ROOT / "embed" / "static"),
    static_url_path="/embed/v1",
)

# The Content-Security-Policy the README recommends to host sites, word for word; the demo
# host pages send it, so that every end-to-end test runs under it.
HOST_CSP = (
    "default-src 'self'; style-src 'self' {chat}; frame-src {chat}; "
    "object-src 'none'; base-uri 'none'"
)


def snippet_context(site: Site) -> dict:
    base = current_app.config["CHAT_BASE_URL"].rstrip("/")
    return {"site": site, "chat_base": base}


@bp.get("/demo/<site_key>")
def demo_page(site_key):
    """A page that looks like a regional website, with the chat snippet pasted in."""
    site = site_or_404(site_key, framed=False)
    if not site.is_demo:
        abort(404)
    context = snippet_context(site)
    snippet_html = render_template("embed/_snippet.html", **context)
    response = make_response(
        render_template("embed/demo_host.html", snippet=snippet_html, **context)
    )
    response.headers["Content-Security-Policy"] = HOST_CSP.format(chat=context["chat_base"])
    return response


@bp.get("/embed/snippet/<site_key>")
def snippet(site_key):
    """The snippet a web team pastes, as text to copy."""
    site = site_or_404(site_key, framed=False)
    html = render_template("embed/_snippet.html", **snippet_context(site))
    if request.args.get("format") == "text":
        return html, 200, {"Content-Type": "text/plain; charset=utf-8"}
    return render_template("embed/snippet_page.html", snippet=html, **snippet_context(site))
