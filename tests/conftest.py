"""Fixtures in the style of Flask's tutorial: an app on a fresh SQLite file, a client, a runner.

Every test stands at a moment of its choosing through the app's CLOCK, so nothing depends
on when the suite runs. The default moment is a Wednesday morning, when real regions are open.
CSRF protection stays on, as in production: the test client posts its session's token the way
a rendered form does, and tests that want to see a post refused leave it out.
"""

import hashlib
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


@pytest.fixture
def clock():
    return Clock(WEDNESDAY_MORNING)


@pytest.fixture
def hub():
    return RecordingHub()


def _config(database_path, **overrides) -> dict:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": f"sqlite:///{database_path}",
        # Some tests make their database after the app; tests/test_faults.py turns it on.
        "CHECK_DATABASE": False,
        "CHAT_BASE_URL": BASE_URL,
        "DEMO_ORIGIN": DEMO_ORIGIN,
        # The hosts tests call the app by: the test client, real servers on 127.0.0.1, and
        # the public host behind a proxy. Unset, they come from CHAT_BASE_URL and DEMO_ORIGIN.
        "TRUSTED_HOSTS": ["localhost", "127.0.0.1", "demo.example", "chat.example"],
    }
    config.update(overrides)
    return config


@pytest.fixture(scope="session")
def seeded_database(tmp_path_factory) -> Path:
    """One database seeded with the regions, postcodes and demo data; each test gets a copy."""
    path = tmp_path_factory.mktemp("seeded") / "vtchat.sqlite"
    app = create_app(_config(path))
    with app.app_context():
        db.upgrade()
        seed_regions()
        seed_demo(DEMO_ORIGIN)
    app.extensions["db_engine"].dispose()  # the last connection folds the WAL into the file
    return path


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
def make_app(tmp_path, clock, hub, seeded_database):
    """Build an app on its own SQLite file, seeded unless seed=False; keywords override config."""
    made = []

    def make(seed=True, **overrides):
        path = tmp_path / f"vtchat-{len(made)}.sqlite"
        if seed:
            shutil.copyfile(seeded_database, path)
        config = _config(path, CLOCK=clock, HUB=hub)
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
