"""End-to-end fixtures: a real gunicorn on localhost and real Chromium, as in the field.

The demo host page is served from http://127.0.0.1:PORT while its iframe loads the widget from
http://localhost:PORT: two different sites, so the partitioned session cookie, frame-ancestors
and the WebSocket's Origin check all work as they do on a regional website.

VTCHAT_E2E_STACK=postgres-nginx puts PostgreSQL, the Redis hub and two gunicorn masters behind
nginx in place of one gunicorn on SQLite (e2e/harness.py); tests marked `sqlite_only` are
skipped there, saying why.
"""

from collections import Counter
from contextlib import suppress
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect, sync_playwright

from e2e.harness import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    STACK_VARIABLE,
    TIMEOUT_MS,
    VIEWPORT,
    serve,
    stack_of_session,
)

SERVER_LOGS = pytest.StashKey[list[tuple[str, Path]]]()
LOCAL_HOSTS = ("localhost", "127.0.0.1")

expect.set_options(timeout=TIMEOUT_MS)


# Under pytest-xdist (`--dist loadgroup`, tests/passes.py) the e2e files are dealt into this
# many chains, each run one test after the other on one worker with that worker's server
# and browser: one chain was the longest stretch of a `make test` pass.
CHAINS = 2


def chains(tests_in: dict[Path, int]) -> dict[Path, str]:
    """Each file's chain: the files, most tests first, each to the chain with fewest yet."""
    load = dict.fromkeys(range(CHAINS), 0)
    chain_of = {}
    for file in sorted(tests_in, key=lambda f: (-tests_in[f], str(f))):
        lightest = min(load, key=lambda n: (load[n], n))
        load[lightest] += tests_in[file]
        chain_of[file] = f"e2e-{lightest + 1}"
    return chain_of


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the group marker
def pytest_collection_modifyitems(items):
    """Everything in e2e/ is marked e2e, so `pytest -m "not e2e"` leaves it out, and is dealt
    into CHAINS groups for pytest-xdist; on another stack than SQLite its tests of the SQLite
    file are skipped, saying why."""
    here = Path(__file__).parent
    stack = stack_of_session()
    ours = [item for item in items if here in Path(str(item.fspath)).parents]
    tests_in = Counter(Path(str(item.fspath)) for item in ours)
    chain_of = chains(tests_in)
    for item in ours:
        item.add_marker(pytest.mark.e2e)
        item.add_marker(pytest.mark.xdist_group(chain_of[Path(str(item.fspath))]))
        marker = item.get_closest_marker("sqlite_only")
        if marker and stack != "sqlite":
            why = marker.args[0] if marker.args else "tests SQLite itself"
            item.add_marker(pytest.mark.skip(reason=f"SQLite only: {why}"))


def pytest_report_header(config):
    return f"e2e server: {stack_of_session()} ({STACK_VARIABLE})"


@pytest.fixture(scope="session")
def server(tmp_path_factory, request):
    """The app on a seeded database: one gunicorn on SQLite, or two behind nginx on
    PostgreSQL and Redis (VTCHAT_E2E_STACK)."""
    # Every test's visitor starts from 127.0.0.1: the limits on chat starts would soon refuse
    # them (tests/test_limits.py tests those limits).
    limits = {
        "START_LIMIT_PER_CLIENT": "1000 per minute",
        "START_LIMIT_PER_REGION": "1000 per minute",
        # Someone who leaves is shown as gone within seconds, not half a minute.
        "SWEEP_INTERVAL_SECONDS": "1",
        "AWAY_AFTER_SECONDS": "3",
    }
    folder = tmp_path_factory.mktemp("vtchat")
    with serve(folder, stack_of_session(), **limits) as running:
        request.config.stash[SERVER_LOGS] = running.logs()
        yield running


@pytest.fixture(scope="session")
def app(server):
    """The Flask app on the e2e database, for a test that changes data directly.

    Use it as `with app.app_context(): regions.set_week(...)`; the URL is server.database_url.
    """
    from backend import create_app

    return create_app({"DATABASE_URL": server.database_url})


@pytest.fixture(autouse=True)
def clean_queue(app):
    """Each test starts with an empty queue: chats left open by an earlier test are closed.

    And registered as test chats: no worker finds an earlier test's chat on their list of
    chats still to register (backend/registrations.py).
    """
    from sqlalchemy import update
    from sqlmodel import select

    from backend import db as database
    from backend.models import Chat, Registration, utcnow

    with app.app_context(), database.session() as s:
        for status, closed in (("waiting", "abandoned"), ("active", "ended")):
            s.execute(
                update(Chat)
                .where(Chat.status == status)
                .values(status=closed, ended_at=utcnow(), ended_by="timeout")
            )
        registered = select(Registration.id).where(Registration.chat_id == Chat.id).exists()
        for chat in s.exec(select(Chat).where(Chat.status == "ended", ~registered)):
            s.add(
                Registration(
                    chat_id=chat.id,
                    region_code=chat.region_code,
                    nickname=chat.nickname,
                    worker_id=chat.worker_id,
                    kind="test",
                )
            )
        s.commit()


@pytest.fixture(scope="session")
def browser():
    """Chromium: Playwright's own build when installed, else Debian's.

    With the back/forward cache on, as in every visitor's browser (Playwright turns it off):
    a page kept there must not bring a conversation back after the quick exit.
    """
    bundled = None
    with sync_playwright() as p:
        if not Path(p.chromium.executable_path).exists():
            bundled = CHROMIUM
        browser = p.chromium.launch(
            executable_path=bundled,
            args=CHROMIUM_ARGS,
            ignore_default_args=["--disable-back-forward-cache"],
        )
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
        context = browser.new_context(**{"viewport": VIEWPORT, "locale": "nl-NL", **options})
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
    """Keep each phase's report on the test; a failure shows the server's logs with it."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    for name, log_path in item.config.stash.get(SERVER_LOGS, []) if report.failed else []:
        if log_path.exists():
            lines = log_path.read_text(errors="replace").splitlines()
            report.sections.append((f"{name} log (last 200 lines)", "\n".join(lines[-200:])))
    return report


@pytest.fixture
def visitor(new_context):
    return new_context().new_page()


@pytest.fixture
def worker(new_context):
    return new_context().new_page()
