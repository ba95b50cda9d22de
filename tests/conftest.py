"""Fixtures in the style of Flask's tutorial: an app on a fresh database, a client, a runner.

The database is a copy of one seeded SQLite file, or with VTCHAT_TEST_DATABASE_URL naming a
PostgreSQL server (or VTCHAT_TEST_POSTGRES=1 to start one, tests/services.py) a copy of one
seeded PostgreSQL database, made by CREATE DATABASE ... TEMPLATE. Tests marked
`sqlite_only` test the SQLite file itself and are skipped there, saying why; tests marked
`postgres_only` test the PostgreSQL server and are skipped on SQLite, saying why.

Every test stands at a moment of its choosing through the app's CLOCK, so nothing depends
on when the suite runs. The default moment is a Wednesday morning, when real regions are open.
CSRF protection stays on, as in production: the test client posts its session's token the way
a rendered form does, and tests that want to see a post refused leave it out.
"""

import hashlib
import itertools
import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from babel.messages import mofile, pofile
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer

from backend import create_app, db, presence
from backend.seed import seed_demo, seed_regions
from tests import services, url_builders
from tests.helpers import BASE_URL, DEMO_ORIGIN, WEDNESDAY_MORNING, Clock, RecordingHub, log_in

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "backend" / "translations" / "nl" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogue():
    """Compile the Dutch catalogue when the .mo is missing or older than the .po.

    Does what `make setup` does (pybabel compile --use-fuzzy), so that `pytest` alone works.
    """
    if not MO.exists() or MO.stat().st_mtime < PO.stat().st_mtime:
        with PO.open("rb") as f:
            catalog = pofile.read_po(f, locale="nl")
        with MO.open("wb") as f:
            mofile.write_mo(f, catalog, use_fuzzy=True)


@pytest.fixture(scope="session", autouse=True)
def url_builders_compiled_once():
    url_builders.compile_once()  # a third of the time each test spends building its app


@pytest.fixture
def clock():
    return Clock(WEDNESDAY_MORNING)


@pytest.fixture
def hub():
    return RecordingHub()


def _config(database_url, **overrides) -> dict:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": database_url,
        # Some tests make their database after the app; tests/test_faults.py turns it on.
        "CHECK_DATABASE": False,
        "CHAT_BASE_URL": BASE_URL,
        "DEMO_ORIGIN": DEMO_ORIGIN,
        # The hosts tests call the app by: the test client, real servers on 127.0.0.1, and
        # the public host behind a proxy. Unset, they come from CHAT_BASE_URL and DEMO_ORIGIN.
        "TRUSTED_HOSTS": ["localhost", "127.0.0.1", "demo.example", "chat.example"],
        # argon2 at a test's cost: hundreds of logins (backend/passwords.py).
        "PASSWORD_HASHING": "tests",
    }
    config.update(overrides)
    return config


def _seed(database_url: str) -> None:
    """The regions, postcodes and demo data, as `make run` has them."""
    app = create_app(_config(database_url))
    with app.app_context():
        db.upgrade()
        seed_regions()
        seed_demo(DEMO_ORIGIN)
    app.extensions["db_engine"].dispose()  # SQLite: the last connection folds the WAL in


SECOND_PASS = "VTCHAT_SECOND_PASS"  # set by tests/passes.py for its PostgreSQL pass


def _postgres_wanted() -> bool:
    return bool(os.environ.get(services.DATABASE_URL_VARIABLE)) or (
        os.environ.get("VTCHAT_TEST_POSTGRES") == "1"
    )


def pytest_report_header(config):
    if _postgres_wanted():
        return "database: PostgreSQL (a copy of a seeded template per test)"
    return "database: SQLite (a copy of a seeded file per test)"


# Fixtures through which a test reaches the database of its pass (or the e2e server's).
DATABASE_FIXTURES = {"databases", "postgres_server", "seeded_database", "server_settings", "server"}


def _skip_marked(items, marker_name: str, database: str) -> None:
    """Skip the tests of tests/ marked `marker_name`, each saying why (the marker's words)."""
    here = Path(__file__).parent
    for item in items:
        marker = item.get_closest_marker(marker_name)
        if marker and here in Path(str(item.fspath)).parents:
            why = marker.args[0] if marker.args else f"tests {database} itself"
            item.add_marker(pytest.mark.skip(reason=f"{database} only: {why}"))


def pytest_collection_modifyitems(config, items):
    """On PostgreSQL, tests of the SQLite file itself are skipped with their reason, and
    tests that reach no database of the pass are left out: `make test`'s first pass ran them,
    and they would run exactly the same again (tests/passes.py). On SQLite, tests of the
    PostgreSQL server are skipped with theirs (the second pass runs them)."""
    if not _postgres_wanted():
        _skip_marked(items, "postgres_only", "PostgreSQL")
        return
    _skip_marked(items, "sqlite_only", "SQLite")
    if os.environ.get(SECOND_PASS) == "1":
        same = [item for item in items if not DATABASE_FIXTURES & set(item.fixturenames)]
        if same:
            config.hook.pytest_deselected(items=same)
            items[:] = [item for item in items if item not in same]


@pytest.fixture(scope="session")
def postgres_server():
    """The PostgreSQL server the tests run on; None when they run on SQLite."""
    url = os.environ.get(services.DATABASE_URL_VARIABLE)
    if url:
        yield services.Postgres.from_url(url)
    elif os.environ.get("VTCHAT_TEST_POSTGRES") == "1":
        with services.postgres() as server:
            yield server
    else:
        yield None


@pytest.fixture(scope="session")
def seeded_database(tmp_path_factory, postgres_server) -> Path | str:
    """One database seeded with the regions, postcodes and demo data; each test gets a copy.

    A SQLite file's path, or the name of a PostgreSQL template database. Names carry this
    process's id: pytest-xdist's workers, or two runs, may share one server.
    """
    if postgres_server is None:
        path = tmp_path_factory.mktemp("seeded") / "vtchat.sqlite"
        _seed(f"sqlite:///{path}")
        yield path
        return
    name = f"vtchat_seeded_{os.getpid()}"
    postgres_server.drop_database(name)
    _seed(postgres_server.create_database(name))
    yield name
    postgres_server.drop_database(name)


class Databases:
    """Fresh databases for one test, seeded or empty, dropped (or left to tmp_path) after it."""

    _numbers = itertools.count()

    def __init__(self, folder: Path, server: services.Postgres | None, seeded: Path | str):
        self.folder, self.server, self.seeded = folder, server, seeded
        self.made: list[str] = []

    def new(self, seed: bool = True) -> str:
        """The URL of a new database: a copy of the seeded one, or empty."""
        if self.server is None:
            path = self.folder / f"vtchat-{len(self.made)}.sqlite"
            if seed:
                shutil.copyfile(self.seeded, path)
            self.made.append(str(path))
            return f"sqlite:///{path}"
        name = f"vtchat_{os.getpid()}_{next(self._numbers)}"
        self.made.append(name)
        return self.server.create_database(name, self.seeded if seed else "template0")

    def drop(self) -> None:
        if self.server is not None:
            for name in self.made:
                self.server.drop_database(name)


@pytest.fixture
def databases(tmp_path, postgres_server, seeded_database):
    made = Databases(tmp_path, postgres_server, seeded_database)
    yield made
    made.drop()


class BrowserClient(FlaskClient):
    """A test client that behaves like the visitor's browser on our pages.

    Its requests go to https://localhost, as the chat is only served over TLS (so `url_for`
    builds wss:// for the WebSocket, as in the field). Its form posts carry the CSRF token of
    its session, as a rendered form does; pass `csrf_token=""` to post without one.
    """

    def open(self, *args, **kwargs):
        if not args or isinstance(args[0], str):
            kwargs.setdefault("base_url", BASE_URL)
            data = kwargs.get("data") or {}
            if kwargs.get("method") == "POST" and isinstance(data, dict):
                if "csrf_token" not in data:
                    kwargs["data"] = {
                        **data,
                        "csrf_token": self.csrf_token(args[0] if args else "/"),
                    }
                elif not data["csrf_token"]:
                    kwargs["data"] = {k: v for k, v in data.items() if k != "csrf_token"}
        return super().open(*args, **kwargs)

    def csrf_token(self, path: str = "/console/login") -> str:
        """The token a form rendered now would carry, for the session `path` gets.

        The console (/console) and the visitor's pages each have a session cookie of their own.
        """
        # What flask_wtf's generate_csrf does when a form is rendered.
        secret = hashlib.sha1(os.urandom(64)).hexdigest()
        if self._cookies is not None:  # a client without cookies keeps no session to sign for
            with self.session_transaction(urlsplit(path).path, base_url=BASE_URL) as session:
                secret = session.setdefault("csrf_token", secret)
        signer = URLSafeTimedSerializer(self.application.secret_key, salt="wtf-csrf-token")
        return signer.dumps(secret)


@pytest.fixture
def server_settings(databases, postgres_server) -> dict[str, str]:
    """Settings for a real server a test starts (e2e/harness.py serve, tests/chaos): on
    PostgreSQL a new empty database of the run's server, which `init-db` then fills; on
    SQLite nothing, the server makes its own file."""
    if postgres_server is None:
        return {}
    return {"DATABASE_URL": databases.new(seed=False)}


@pytest.fixture
def make_app(databases, clock, hub):
    """Build an app on a database of its own, seeded unless seed=False; keywords override
    config (a test of the SQLite file passes DATABASE_URL)."""
    made = []

    def make(seed=True, **overrides):
        url = overrides.pop("DATABASE_URL", None) or databases.new(seed)
        config = _config(url, CLOCK=clock, HUB=hub)
        config.update(overrides)
        app = create_app(config)
        app.test_client_class = BrowserClient
        made.append(app)
        return app

    yield make
    for app in made:
        app.extensions["db_engine"].dispose()
    presence.forget_process()  # sockets a test left counted belong to no later test


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def worker(app):
    """Sanne, the demo worker, logged in to the console in a browser of her own."""
    client = app.test_client()
    assert log_in(client).status_code == 303
    return client


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()
