"""What host sites paste: the launcher stylesheet, the snippet, and demo host pages."""

import gzip
import hashlib
from pathlib import Path

import brotli
from flask import Blueprint, abort, current_app, make_response, render_template, request
from flask_babel import gettext as _

from backend import settings_changes, static_files, themes
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
# What the site's launcher stylesheet is sent in, in order of preference, when accepted.
COMPRESSORS = {"br": brotli.compress, "gzip": lambda data: gzip.compress(data, mtime=0)}

HOST_CSP = (
    "default-src 'self'; style-src 'self' {chat}; frame-src {chat}; "
    "object-src 'none'; base-uri 'none'"
)


def snippet_context(site: Site) -> dict:
    base = current_app.config["CHAT_BASE_URL"].rstrip("/")
    return {"site": site, "chat_base": base, "label": launcher_label(site)}


def launcher_label(site: Site) -> str:
    """The words on the site's launcher: its own, else ours in the visitor's language."""
    return site.launcher_label or _("Chat with Veilig Thuis")


@bp.get("/embed/v1/sites/<site_key>/launcher.css")
def site_launcher(site_key):
    """The launcher stylesheet with the site's theme: the one stylesheet a host page loads.

    Like the plain launcher.css it is compressed, kept a few minutes and then asked again
    with its ETag (the same on every instance), so a theme change reaches every host page
    within minutes and otherwise costs a 304.
    """
    site = site_or_404(site_key, framed=False)
    encoding = next((name for name in COMPRESSORS if name in request.accept_encodings), None)
    kept = current_app.extensions.setdefault("site_launchers", settings_changes.Kept())
    body, digest = kept.get((site.key, encoding), lambda: _site_launcher(site, encoding))
    response = make_response(body)
    response.headers["Content-Type"] = "text/css; charset=utf-8"
    response.headers["Cache-Control"] = f"public, max-age={static_files.PLAIN_MAX_AGE}"
    response.headers["Vary"] = "Accept-Encoding"
    if encoding:
        response.headers["Content-Encoding"] = encoding
    response.set_etag(digest)
    return response.make_conditional(request)


def _site_launcher(site: Site, encoding: str | None) -> tuple[bytes, str]:
    """The stylesheet's bytes in that encoding, and the hash of its text for the ETag."""
    base = Path(bp.static_folder, "launcher.css").read_text(encoding="utf-8")
    css = render_template("embed/launcher.css", base=base, theme=themes.Theme.of(site)).encode()
    digest = hashlib.sha256(css).hexdigest()[: static_files.HASH_LENGTH]
    return (COMPRESSORS[encoding](css) if encoding else css), digest


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
