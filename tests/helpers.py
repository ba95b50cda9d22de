"""Helpers shared by the tests: a hand-moved clock, a recording hub, visitor and worker steps."""

import html
import re
import threading
import time
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import event
from sqlmodel import select

from backend import db
from backend.hub import InProcessHub
from backend.models import Chat, Worker

# Wednesday 18 November 2026, 10:00 in Amsterdam (CET, UTC+1): real regions are open.
WEDNESDAY_MORNING = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)
DEMO_ORIGIN = "https://demo.example"
BASE_URL = "https://localhost"
COOKIE = "__Host-vtchat"
CONSOLE_COOKIE = "__Secure-vtconsole"  # the worker's: sent to /console only
DEMO_SITE = "demo-utrecht"


class Clock:
    """A clock the test moves by hand: `clock.at = datetime(..., tzinfo=UTC)`."""

    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> datetime:
        return self.at


class RecordingHub(InProcessHub):
    """The in-process hub, also keeping every published (topic, event) for assertions."""

    def __init__(self):
        super().__init__()
        self._record_lock = threading.Lock()
        self.published: list[tuple[str, dict]] = []

    def publish(self, topic, event):
        event = dict(event)
        with self._record_lock:
            self.published.append((topic, event))
        super().publish(topic, event)

    def events(self, topic: str) -> list[dict]:
        with self._record_lock:
            return [event for t, event in self.published if t == topic]

    def clear(self) -> None:
        with self._record_lock:
            self.published.clear()


def text_of(page: str) -> str:
    """The visible text of an HTML page, tags dropped and whitespace collapsed."""
    without_tags = re.sub(r"<[^>]+>", " ", page)
    return re.sub(r"\s+", " ", html.unescape(without_tags)).strip()


def start_chat(client, site=DEMO_SITE, **fields):
    """Fill in the visitor's start form; the region defaults to the demo region."""
    data = {
        "nickname": "Mila",
        "region": "DEMO",
        "postcode": "",
        "age": "",
        "gender": "",
        "role": "",
    }
    data.update(fields)
    return client.post(f"/w/{site}/start", data=data)


def all_chats(app) -> list[Chat]:
    with app.app_context(), db.session() as s:
        return list(s.exec(select(Chat).order_by(Chat.id)))


def log_in(client, username="demo", password="demo"):
    return client.post("/console/login", data={"username": username, "password": password})


def add_site(app, key: str, region_code: str, origin: str = "https://site.example") -> str:
    """Register a site whose pop-up belongs to `region_code`, for a test; its key."""
    from backend.models import Site

    with app.app_context(), db.session() as s:
        s.add(Site(key=key, name=key, region_code=region_code, origin=origin))
        s.commit()
    return key


def logged_in_as(app, role: str, username: str):
    """A console client of this demo worker, given `role` (a WorkerRole) first."""
    from sqlalchemy import update

    with app.app_context(), db.session() as s:
        s.execute(update(Worker).where(Worker.username == username).values(role=role))
        s.commit()
    client = app.test_client()
    assert log_in(client, username).status_code == 303
    return client


def taken_chat(app, client, nickname="Mila", worker_id=1) -> int:
    """Start a chat as this visitor and have the worker (Sanne by default) take it; its id."""
    start_chat(client, nickname=nickname)
    chat_id = all_chats(app)[-1].id
    with app.app_context():
        from backend import chats

        assert chats.accept(chat_id, worker_id)
    return chat_id


def session_of(app, client) -> dict:
    """What the visitor's session cookie holds; {} when there is none (or it was cleared)."""
    cookie = client.get_cookie(COOKIE)
    if cookie is None or not cookie.value:
        return {}
    return app.session_interface.get_signing_serializer(app).loads(cookie.value)


def cookie_header(client, path: str) -> str | None:
    """The Cookie header a browser sends to `path`: the console's cookie goes to /console only."""
    cookies = [(COOKIE, client.get_cookie(COOKIE))]
    if path == "/console" or path.startswith("/console/"):
        cookies.append((CONSOLE_COOKIE, client.get_cookie(CONSOLE_COOKIE, path="/console")))
    return "; ".join(f"{name}={c.value}" for name, c in cookies if c is not None) or None


def add_workers(app, count: int, region: str = "DEMO") -> list[int]:
    """More workers (no password that opens them), for tests that need many; their ids."""
    with app.app_context(), db.session() as s:
        added = [
            Worker(
                username=f"extra{n}",
                display_name=f"Extra {n}",
                password_hash="-",
                region_code=region,
            )
            for n in range(count)
        ]
        s.add_all(added)
        s.commit()
        return [w.id for w in added]


def wait_for(condition, seconds: float = 10) -> bool:
    """Whether `condition()` comes true within `seconds` (a guard against hanging, not a timing)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@contextmanager
def counted_queries(app):
    """The SQL statements run inside the block."""
    statements = []
    engine = app.extensions["db_engine"]

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def worker_id(app, username: str) -> int:
    with app.app_context(), db.session() as s:
        return s.exec(select(Worker.id).where(Worker.username == username)).one()
