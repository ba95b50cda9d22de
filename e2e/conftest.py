"""End-to-end fixtures: a real gunicorn on localhost and real Chromium, as in the field.

The demo host page is served from http://127.0.0.1:PORT while its iframe loads the widget from
http://localhost:PORT: two different sites, so the partitioned session cookie, frame-ancestors
and the WebSocket's Origin check all work as they do on a regional website.
"""

import os
import secrets
import socket
import subprocess
import time
import urllib.error
import urllib.request
from contextlib import suppress
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect, sync_playwright

from e2e.harness import (
    ARTIFACTS,
    BIN,
    CHROMIUM,
    CHROMIUM_ARGS,
    DEMO_SITE,
    ROOT,
    TIMEOUT_MS,
    VIEWPORT,
    Server,
)

GUNICORN_LOG = pytest.StashKey[Path]()
LOCAL_HOSTS = ("localhost", "127.0.0.1")

expect.set_options(timeout=TIMEOUT_MS)


def pytest_collection_modifyitems(items):
    """Everything in e2e/ is marked e2e, so `pytest -m "not e2e"` leaves it out."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited early:\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer on {url}:\n{log_path.read_text()}")


@pytest.fixture(scope="session")
def server(tmp_path_factory, request):
    """A seeded SQLite database and gunicorn serving the app on a free port."""
    tmp = tmp_path_factory.mktemp("vtchat")
    port = _free_port()
    database_url = f"sqlite:///{tmp / 'vtchat.sqlite'}"
    env = {
        **os.environ,
        "VTCHAT_DATABASE_URL": database_url,
        "VTCHAT_CHAT_BASE_URL": f"http://localhost:{port}",
        "VTCHAT_DEMO_ORIGIN": f"http://127.0.0.1:{port}",
        "VTCHAT_SECRET_KEY": secrets.token_hex(32),
        "VTCHAT_BIND": f"127.0.0.1:{port}",
    }
    for command in ("init-db", "seed-demo"):
        done = subprocess.run(
            [str(BIN / "flask"), "--app", "backend", command],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise RuntimeError(f"flask {command} failed:\n{done.stdout}{done.stderr}")
    log_path = tmp / "gunicorn.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "backend/gunicorn_conf.py", "backend:create_app()"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    srv = Server(port=port, database_url=database_url, log_path=log_path)
    request.config.stash[GUNICORN_LOG] = log_path
    try:
        _wait_until_up(f"{srv.chat_base}/w/{DEMO_SITE}", process, log_path)
        yield srv
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def app(server):
    """The Flask app on the e2e database, for a test that changes data directly.

    Use it as `with app.app_context(): regions.set_week(...)`; the URL is server.database_url.
    """
    from backend import create_app

    return create_app({"DATABASE_URL": server.database_url})


@pytest.fixture(autouse=True)
def clean_queue(app):
    """Each test starts with an empty queue: chats left open by an earlier test are closed."""
    from sqlalchemy import update

    from backend import db as database
    from backend.models import Chat, utcnow

    with app.app_context(), database.session() as s:
        for status, closed in (("waiting", "abandoned"), ("active", "ended")):
            s.execute(
                update(Chat)
                .where(Chat.status == status)
                .values(status=closed, ended_at=utcnow(), ended_by="timeout")
            )
        s.commit()


@pytest.fixture(scope="session")
def browser():
    """Chromium: Playwright's own build when installed, else Debian's."""
    bundled = None
    with sync_playwright() as p:
        if not Path(p.chromium.executable_path).exists():
            bundled = CHROMIUM
        browser = p.chromium.launch(executable_path=bundled, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _local_only(route):
    if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
        route.fallback()
    else:
        route.abort("blockedbyclient")


@pytest.fixture
def new_context(browser, request):
    """Fresh browser contexts (one per role) that are closed after the test.

    On failure a screenshot of each open page is kept in e2e/artifacts/.
    """
    contexts = []

    def make(**options):
        context = browser.new_context(viewport=VIEWPORT, locale="nl-NL", **options)
        context.set_default_timeout(TIMEOUT_MS)
        # Nothing leaves this machine; a test routes any other host it needs on its page.
        context.route("**/*", _local_only)
        contexts.append(context)
        return context

    yield make
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for n, context in enumerate(contexts):
        if failed:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            for m, page in enumerate(context.pages):
                with suppress(PlaywrightError):  # a picture is a help, never a second error
                    page.screenshot(path=ARTIFACTS / f"{request.node.name}-{n}-{m}.png")
        context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test; a failure shows the server's log with it."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    log_path = item.config.stash.get(GUNICORN_LOG, None)
    if report.failed and log_path is not None and log_path.exists():
        lines = log_path.read_text(errors="replace").splitlines()
        report.sections.append(("gunicorn log (last 200 lines)", "\n".join(lines[-200:])))
    return report


@pytest.fixture
def visitor(new_context):
    return new_context().new_page()


@pytest.fixture
def worker(new_context):
    return new_context().new_page()
