"""Static files: hashed names kept for a year, gzip and brotli, and the snippet's stable URL."""

import gzip
import hashlib
import re

import brotli
from werkzeug.test import Client

from backend import static_files
from backend.config import ROOT
from tests.helpers import BASE_URL, DEMO_SITE

WIDGET_STATIC = ROOT / "widget" / "static"
LAUNCHER_CSS = ROOT / "embed" / "static" / "launcher.css"
YEAR = "public, max-age=31536000, immutable"
HTMX = "vendor/htmx-2.0.11.min.js"


def referenced(html: str, name: str) -> str:
    """The URL in the page's src or href of the static file `name`, under any hash."""
    stem, suffix = name.rsplit(".", 1)
    (url,) = re.findall(
        rf'(?:src|href)="([^"]*/{re.escape(stem)}\.[0-9a-f]{{12}}\.{suffix})"', html
    )
    return url


def body(response) -> bytes:
    """What the browser has once it undid the Content-Encoding."""
    encoding = response.headers.get("Content-Encoding")
    if encoding == "br":
        return brotli.decompress(response.data)
    if encoding == "gzip":
        return gzip.decompress(response.data)
    assert encoding is None, encoding
    return response.data


def test_the_pop_up_names_its_css_and_htmx_by_their_content_and_keeps_them_a_year(client):
    page = client.get(f"/w/{DEMO_SITE}").text
    for name in ("widget.css", HTMX):
        source = (WIDGET_STATIC / name).read_bytes()
        url = referenced(page, name)
        digest = hashlib.sha256(source).hexdigest()[:12]
        assert url.startswith("/w/static/") and f".{digest}." in url, url
        response = client.get(url)
        assert response.status_code == 200
        assert body(response) == source
        assert response.headers["Cache-Control"] == YEAR
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_brotli_or_gzip_whichever_the_browser_takes(client):
    url = referenced(client.get(f"/w/{DEMO_SITE}").text, HTMX)
    source = (WIDGET_STATIC / HTMX).read_bytes()
    sizes = {}
    for accepted, sent in (("gzip, deflate, br, zstd", "br"), ("gzip", "gzip"), ("", None)):
        response = client.get(url, headers={"Accept-Encoding": accepted})
        assert response.headers.get("Content-Encoding") == sent, accepted
        assert response.headers["Vary"] == "Accept-Encoding"
        assert body(response) == source
        sizes[sent] = len(response.data)
    assert sizes["br"] < sizes["gzip"] < sizes[None] / 2


def test_the_snippet_links_its_sites_stable_stylesheet_kept_briefly_then_asked_again(client):
    snippet = client.get(f"/embed/snippet/{DEMO_SITE}?format=text").text
    url = f"/embed/v1/sites/{DEMO_SITE}/launcher.css"
    assert f'href="{BASE_URL}{url}"' in snippet
    sent = {}
    for accepted, encoding in (("gzip, deflate, br", "br"), ("gzip", "gzip"), ("", None)):
        response = client.get(url, headers={"Accept-Encoding": accepted})
        assert response.status_code == 200
        assert response.headers.get("Content-Encoding") == encoding
        assert response.headers["Vary"] == "Accept-Encoding"
        assert response.headers["Cache-Control"] == "public, max-age=300"
        assert "Set-Cookie" not in response.headers
        sent[encoding] = body(response).decode()
    # The launcher stylesheet whole, then the site's tokens, which win being later.
    css = sent[None]
    assert sent["br"] == sent["gzip"] == css
    assert css.startswith(LAUNCHER_CSS.read_text())
    assert "--vtchat-accent: #7a1f5c;" in css.removeprefix(LAUNCHER_CSS.read_text())
    again = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_the_plain_launcher_stylesheet_of_earlier_snippets_is_kept_briefly_too(client):
    response = client.get("/embed/v1/launcher.css", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert body(response) == LAUNCHER_CSS.read_bytes()
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["Cache-Control"] == "public, max-age=300"
    again = client.get(
        "/embed/v1/launcher.css", headers={"If-None-Match": response.headers["ETag"]}
    )
    assert again.status_code == 304 and again.data == b""


def test_every_instance_answers_the_same_etag(make_app, tmp_path):
    """Behind a load balancer a browser revalidates with whichever instance it reaches."""
    first = make_app(STATIC_ROOT=str(tmp_path / "one")).test_client()
    second = make_app(STATIC_ROOT=str(tmp_path / "two")).test_client()
    for url in ("/embed/v1/launcher.css", f"/embed/v1/sites/{DEMO_SITE}/launcher.css"):
        etag = first.get(url).headers["ETag"]
        assert second.get(url, headers={"If-None-Match": etag}).status_code == 304, url


def test_the_snippet_loads_the_pop_up_only_when_the_launcher_opens(client):
    snippet = client.get(f"/embed/snippet/{DEMO_SITE}?format=text").text
    details = re.search(r"<details [^>]*>", snippet).group(0)
    iframe = re.search(r"<iframe [^>]*>", snippet).group(0)
    assert " open" not in details
    assert 'loading="lazy"' in iframe


def serving(source, root):
    """A WSGI client of StaticFiles over `source` at /s/, built into `root`, as at a start."""
    names = static_files.build(source, root)
    files = static_files.StaticFiles(lambda environ, start: start("404 Not Found", []) or [b""])
    files.add_folder("/s/", root, names)
    return names, Client(files)


def test_a_changed_file_gets_a_new_name_and_the_old_name_still_loads(tmp_path):
    source, root = tmp_path / "source", tmp_path / "built"
    source.mkdir()
    (source / "pop-up.css").write_text("p { color: #7a1f5c; }\n" * 40)
    before, _ = serving(source, root)
    (source / "pop-up.css").write_text("p { color: #1a5fb4; }\n" * 40)
    after, client = serving(source, root)

    assert before["pop-up.css"] != after["pop-up.css"]
    old = client.get(f"/s/{before['pop-up.css']}", headers={"Accept-Encoding": "gzip"})
    assert b"#7a1f5c" in body(old)  # a page of the version before may still ask for it
    new = client.get("/s/pop-up.css", headers={"Accept-Encoding": "br"})
    assert b"#1a5fb4" in body(new)
    assert new.headers["Cache-Control"] == "public, max-age=300"


def test_a_restart_writes_nothing(tmp_path):
    source, root = tmp_path / "source", tmp_path / "built"
    source.mkdir()
    (source / "a.css").write_text("a { color: red; }\n" * 40)
    serving(source, root)
    written = {path: path.stat().st_mtime_ns for path in root.rglob("*")}
    assert sorted(path.name for path in written) == sorted(
        f"{static_files.hashed_name('a.css', (source / 'a.css').read_bytes())}{suffix}"
        for suffix in ("", ".gz", ".br")
    )
    serving(source, root)
    assert {path: path.stat().st_mtime_ns for path in root.rglob("*")} == written
