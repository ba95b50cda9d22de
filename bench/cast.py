"""The people of a benchmark, written straight into the server's database.

Going through the pop-up's form and the console's login for a thousand chats would take
minutes (every start redraws the whole queue) and is not what is measured. So workers and
chats are inserted as rows, already waiting or already taken, and each person gets what
their browser would hold: the visitor a session cookie with a CSRF token and a socket
ticket, the worker a console session cookie. Both cookies are signed by the app's own
session interface with the server's secret key, exactly as a response would set them.
"""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from flask import Flask, session
from flask_wtf.csrf import generate_csrf
from sqlmodel import select

from backend import clock, create_app, db, tickets
from backend.models import Chat as ChatRow
from backend.models import ChatStatus, Region
from backend.models import Worker as WorkerRow
from backend.visitor.page_session import CONSOLE_COOKIE, CONSOLE_PATH
from e2e.harness import DEMO_SITE

REGION = "DEMO"  # open around the clock
# The server's settings for a benchmark: every visitor comes from one address here and talks
# faster than people do, so the limits are set wide; room for many sockets.
SETTINGS = {
    "ACCESS_LOG": "0",
    "VISITOR_MESSAGE_LIMIT": "100000 per minute",
    "WORKER_MESSAGE_LIMIT": "100000 per minute",
    "START_LIMIT_PER_CLIENT": "100000 per minute",
    "START_LIMIT_PER_REGION": "100000 per minute",
    "MAX_SOCKETS": "20000",
    "WORKER_CONNECTIONS": "20000",
}


@dataclass
class Visitor:
    chat_id: int
    ticket: str  # names the pop-up's socket
    cookie: str = ""  # the Cookie header of the pop-up's requests
    csrf: str = ""  # the form's token

    @property
    def socket_path(self) -> str:
        return f"/w/{DEMO_SITE}/ws?t={self.ticket}"


@dataclass
class Worker:
    worker_id: int
    region: str
    cookie: str  # the Cookie header of the console
    csrf: str  # its forms' token

    @staticmethod
    def socket_path(chat_id: int | None = None) -> str:
        """A console page's socket: the queue, or the page with one chat on screen."""
        return "/console/ws" + (f"?chat={chat_id}" if chat_id is not None else "")


def app_for(database_url: str, secret_key: str) -> Flask:
    """The app as the server runs it, to write rows and sign cookies in this process."""
    return create_app({"DATABASE_URL": database_url, "SECRET_KEY": secret_key})


def _signed(app: Flask, data: dict) -> str:
    return app.session_interface.get_signing_serializer(app).dumps(data)


def _visitor_cookie(app: Flask, token: str) -> tuple[str, str]:
    """The session cookie a visitor has after starting the chat, and the form's CSRF token."""
    with app.test_request_context(f"/w/{DEMO_SITE}"):
        session["chat"] = token
        csrf = generate_csrf()
        return f"{app.config['SESSION_COOKIE_NAME']}={_signed(app, dict(session))}", csrf


def region_codes(app: Flask) -> list[str]:
    """Every region in the database, the demo ones too."""
    with app.app_context(), db.session() as s:
        return sorted(s.exec(select(Region.code)))


def add_workers(
    app: Flask, count: int, capacity: int = 2, regions: list[str] | None = None
) -> list[Worker]:
    """Workers, logged in (their console cookie and CSRF token), taking `capacity` chats
    each; of the demo region, or of `regions` in turn."""
    regions = regions or [REGION]
    tag = secrets.token_hex(3)  # a database may be shared with another run
    # Never used to log in; cheap, so writing a thousand takes no time.
    unusable = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(secrets.token_hex())
    with app.app_context(), db.session() as s:
        rows = [
            WorkerRow(
                username=f"bench-{tag}-{n}",
                display_name=f"Medewerker {n}",
                password_hash=unusable,
                region_code=regions[n % len(regions)],
                capacity=capacity,
            )
            for n in range(count)
        ]
        s.add_all(rows)
        s.commit()
        ids_epochs = [(row.id, row.region_code, row.session_epoch) for row in rows]
    people = []
    for worker_id, region, epoch in ids_epochs:
        # Each in a context of its own: the CSRF token is cached per application context.
        with app.test_request_context(CONSOLE_PATH + "/"):
            session.update(worker_id=worker_id, epoch=epoch, seen=int(clock.now().timestamp()))
            csrf = generate_csrf()
            cookie = f"{CONSOLE_COOKIE}={_signed(app, dict(session))}"
        people.append(Worker(worker_id, region, cookie, csrf))
    return people


def add_chats(
    app: Flask, count: int, workers: list[Worker] | None = None, with_cookies: bool = True
) -> list[Visitor]:
    """`count` chats: waiting in the demo region in this order, or, given workers, each
    already taken (chat n by worker n // chats per worker, in that worker's region)."""
    with app.app_context():
        now = clock.now()
        with db.session() as s:
            rows = []
            for n in range(count):
                row = ChatRow(
                    token=secrets.token_urlsafe(32),
                    region_code=REGION,
                    nickname=f"bench{n}",
                    created_at=now + timedelta(microseconds=n),  # queue order
                    visitor_seen_at=now,
                )
                if workers:
                    worker = workers[n // -(-count // len(workers))]
                    row.status = ChatStatus.ACTIVE
                    row.worker_id, row.region_code = worker.worker_id, worker.region
                    row.accepted_at = row.last_activity_at = now
                rows.append(row)
            s.add_all(rows)
            s.commit()
            pairs = [(row.id, row.token) for row in rows]
        visitors = [Visitor(i, tickets.issue(tickets.SOCKET, token)) for i, token in pairs]
    if with_cookies:
        # Each in a context of its own: the CSRF token is cached per application context.
        for visitor, (_id, token) in zip(visitors, pairs, strict=True):
            visitor.cookie, visitor.csrf = _visitor_cookie(app, token)
    return visitors
