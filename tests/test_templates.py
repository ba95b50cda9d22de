"""No hand-written JavaScript: no inline scripts or handlers, only the vendored, pinned htmx.

That is what lets the Content-Security-Policy say `script-src 'self'` (and `style-src 'self'`).
"""

import hashlib
import re
import subprocess
from pathlib import Path

import pytest

from tests.helpers import DEMO_SITE, log_in, start_chat

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "widget" / "static" / "vendor"
TEMPLATE_DIRS = [ROOT / "widget", ROOT / "embed", ROOT / "backend" / "console" / "templates"]
MARKUP = [
    path
    for folder in TEMPLATE_DIRS
    for path in sorted(folder.rglob("*"))
    if path.suffix in {".html", ".htm", ".jinja", ".j2", ".svg"}
]

SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.I | re.S)
# An event handler attribute: whitespace, on<name>, then = (quoted or not).
HANDLER = re.compile(r"""[\s"'/]on[a-z]+\s*=""", re.I)


def test_there_are_templates_to_check():
    names = {path.name for path in MARKUP}
    assert {"page.html", "_form.html", "base.html", "_snippet.html"} <= names


@pytest.mark.parametrize("path", MARKUP, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_inline_script_or_event_handler(path):
    markup = path.read_text(encoding="utf-8")
    for attributes, body in SCRIPT.findall(markup):
        assert "src=" in attributes, f"inline <script> in {path.name}"
        assert body.strip() == "", f"<script> with content in {path.name}"
    tags = re.findall(r"<[a-zA-Z][^>]*>", markup)
    for tag in tags:
        assert not HANDLER.search(tag), f"event handler attribute in {path.name}: {tag}"
        assert "hx-on" not in tag, f"hx-on (inline code) in {path.name}: {tag}"
        assert "javascript:" not in tag.lower(), f"javascript: URL in {path.name}: {tag}"
        # style-src 'self' refuses inline styles too; the theme is a stylesheet.
        assert not re.search(r"\sstyle\s*=", tag), f"inline style in {path.name}: {tag}"
    assert "<style" not in markup.lower(), f"<style> element in {path.name}"


def test_scripts_are_only_the_vendored_files():
    for path in MARKUP:
        for attributes, _body in SCRIPT.findall(path.read_text(encoding="utf-8")):
            assert "filename='vendor/" in attributes, f"{path.name}: {attributes}"


def repository_files() -> list[str]:
    """Every file of the repository that is not ignored (tracked or new)."""
    listing = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return listing.stdout.splitlines()


def test_the_only_javascript_is_vendored():
    scripts = [
        name
        for name in repository_files()
        if name.endswith((".js", ".mjs", ".cjs", ".ts")) and (ROOT / name).exists()
    ]
    assert sorted(scripts) == [
        "widget/static/vendor/htmx-2.0.11.min.js",
        "widget/static/vendor/htmx-ext-ws-2.0.4.min.js",
    ]


def test_vendored_files_match_the_versions_and_sums_noted_beside_them():
    note = (VENDOR / "README.md").read_text(encoding="utf-8")
    assert "htmx.org` 2.0.11" in note
    assert "htmx-ext-ws` 2.0.4" in note
    assert "npm registry" in note
    for script in sorted(VENDOR.glob("*.js")):
        digest = hashlib.sha256(script.read_bytes()).hexdigest()
        row = next((line for line in note.splitlines() if f"`{script.name}`" in line), "")
        assert digest in row, f"{script.name}: sha256 {digest} not noted in vendor/README.md"


def test_htmx_is_the_version_its_name_says():
    assert 'version:"2.0.11"' in (VENDOR / "htmx-2.0.11.min.js").read_text(encoding="utf-8")


def rendered_pages(app) -> dict[str, str]:
    """The HTML of every kind of page a visitor, a worker or a web team sees."""
    visitor, worker = app.test_client(), app.test_client()
    pages = {
        "status": visitor.get(f"/w/{DEMO_SITE}").text,
        "form": visitor.get(f"/w/{DEMO_SITE}/start").text,
        "form errors": start_chat(visitor, nickname="").text,
        "professional": start_chat(visitor, role="professional").text,
        "login": worker.get("/console/login").text,
        "snippet": worker.get(f"/embed/snippet/{DEMO_SITE}").text,
        "demo host": worker.get(f"/demo/{DEMO_SITE}").text,
    }
    start_chat(visitor)
    pages["queue"] = visitor.get(f"/w/{DEMO_SITE}").text
    pages["end question"] = visitor.get(f"/w/{DEMO_SITE}/end").text
    log_in(worker)
    pages["dashboard"] = worker.get("/console/").text
    worker.post("/console/chats/1/accept")
    pages["console chat"] = worker.get("/console/chats/1").text
    pages["chat"] = visitor.get(f"/w/{DEMO_SITE}").text
    return pages


def test_rendered_pages_carry_no_inline_script(app):
    for name, html in rendered_pages(app).items():
        for attributes, body in SCRIPT.findall(html):
            assert re.search(r'src="/w/static/vendor/[^"]+\.js"', attributes), name
            assert body.strip() == "", name
        for tag in re.findall(r"<[a-zA-Z][^>]*>", html):
            assert not HANDLER.search(tag), f"{name}: {tag}"


def test_csp_has_no_unsafe_exception(client):
    for path in (f"/w/{DEMO_SITE}", f"/w/{DEMO_SITE}/transcript", "/console/login"):
        csp = client.get(path).headers["Content-Security-Policy"]
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, path
        assert "script-src 'self';" in csp, path


def test_htmx_is_told_not_to_evaluate_code(client):
    for path in (f"/w/{DEMO_SITE}", "/console/login"):
        html = client.get(path).text
        config = re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", html).group(1)
        assert '"allowEval": false' in config
        assert '"allowScriptTags": false' in config
