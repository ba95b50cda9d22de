"""`flask check-deployment`: whether this deployment may serve, one line per check.

Run with the services' own settings (deploy/vtchat-flask check-deployment); exit status 1 when
any check fails. deploy/README.md tells how to set up what the checks look for.
"""

import os
import sys
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

import click
from alembic.runtime.migration import MigrationContext
from flask import current_app
from flask.cli import with_appcontext
from limits import parse_many
from sqlalchemy import func
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import select
from werkzeug.sansio.utils import host_is_trusted

from backend import clock, db, retention, workers
from backend.extensions import limiter
from backend.hub import InProcessHub, hub
from backend.models import OPEN_STATUSES, Chat

# A key typed by hand is short and may be guessed; secrets.token_hex(32) gives 64 characters.
MIN_SECRET_KEY_LENGTH = 32
# Behind a proxy the app sees one address for everyone, so a per-client limit counts all
# visitors together: it must allow at least this many tries per second (nginx limits each
# client instead, deploy/nginx/vtchat.conf).
MIN_SHARED_RATE = 1.0
PER_CLIENT_LIMITS = ("START_LIMIT_PER_CLIENT", "LOGIN_CLIENT_LIMITS")
# A transcript still there this long after its deletion time means nobody sweeps.
PURGE_SLACK = timedelta(hours=1)


class Failed(Exception):
    """A check that did not pass; the message says why and what to do."""


def _hidden_password(url: str) -> str:
    """A URL fit to print: any password replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def check_public_address() -> str:
    config = current_app.config
    base = config["CHAT_BASE_URL"]
    parts = urlsplit(base)
    if parts.scheme != "https" or not parts.hostname:
        raise Failed(
            f"VTCHAT_CHAT_BASE_URL is {base!r}: visitors' cookies are Secure, so the chat only"
            " works over https. Set it to the https:// address nginx serves."
        )
    trusted = config["TRUSTED_HOSTS"]
    if not host_is_trusted(parts.hostname, trusted):
        raise Failed(
            f"{parts.hostname} is not in VTCHAT_TRUSTED_HOSTS ({','.join(trusted)}): every"
            " request for it would get 400. Add it, or leave the setting empty."
        )
    if config["PROXY_HOPS"] < 1:
        raise Failed(
            "VTCHAT_PROXY_HOPS is 0: behind nginx the app takes every request for plain http,"
            " links its WebSockets as ws:// and refuses their Origin. Set VTCHAT_PROXY_HOPS=1."
        )
    return f"{base}, behind {config['PROXY_HOPS']} proxy (X-Forwarded-Proto and -Host)"


def check_secret_key() -> str:
    # Read from the environment: create_app makes up a key per process when there is none,
    # and then every instance and every restart signs sessions that the others refuse.
    key = os.environ.get("VTCHAT_SECRET_KEY", "")
    if not key:
        raise Failed(
            "VTCHAT_SECRET_KEY is not set: each process would sign sessions with a key of its"
            " own, and visitors and workers would be logged out by every restart or other"
            " instance. Set it in the environment file (deploy/README.md says how)."
        )
    if len(key) < MIN_SECRET_KEY_LENGTH:
        raise Failed(
            f"VTCHAT_SECRET_KEY has {len(key)} characters; use at least"
            f" {MIN_SECRET_KEY_LENGTH}, e.g. python3 -c 'import secrets;"
            " print(secrets.token_hex(32))'."
        )
    return f"set in the environment ({len(key)} characters)"


def check_database() -> str:
    url = current_app.config["DATABASE_URL"]
    try:
        db.check()
    except db.DatabaseNotReady as error:
        raise Failed(str(error)) from None
    except SQLAlchemyError as error:
        raise Failed(
            f"cannot reach {make_url(url).render_as_string(hide_password=True)}:"
            f" {_first_line(getattr(error, 'orig', None) or error)}. Is the database server"
            " running, and may this user connect to it?"
        ) from None
    with db.engine().connect() as connection:
        revisions = ", ".join(sorted(MigrationContext.configure(connection).get_current_heads()))
    return f"{make_url(url).get_backend_name()}, at the newest migration ({revisions})"


def check_hub() -> str:
    url = current_app.config["HUB_URL"]
    try:
        hub().check()
    except Exception as error:  # HubUnavailable, or whatever its client raised first
        raise Failed(
            f"{_hidden_password(url)} cannot be reached: {_first_line(error)}. Is redis-server"
            " running at that address?"
        ) from None
    if isinstance(hub(), InProcessHub):
        return "in-process (memory://): right for one instance only; several need redis://"
    return f"{_hidden_password(url)} answers"


def check_rate_limit_storage() -> str:
    config = current_app.config
    url = config.get("RATELIMIT_STORAGE_URI", "memory://")
    shared_hub = not isinstance(hub(), InProcessHub)
    shared_limits = not url.startswith("memory://")
    if shared_hub != shared_limits:
        raise Failed(
            f"the hub is {_hidden_password(config['HUB_URL'])} but the rate limits count in"
            f" {_hidden_password(url)}: with several instances each would count on its own."
            " Give VTCHAT_RATELIMIT_STORAGE_URI the same kind of storage as VTCHAT_HUB_URL."
        )
    try:
        reachable = limiter.storage.check()
    except Exception as error:
        raise Failed(f"{_hidden_password(url)} cannot be reached: {_first_line(error)}") from None
    if not reachable:
        raise Failed(f"{_hidden_password(url)} cannot be reached. Is redis-server running?")
    if not shared_limits:
        return "in this process's memory (memory://): right for one instance only"
    return f"{_hidden_password(url)} answers"


def check_per_client_limits() -> str:
    config = current_app.config
    if config["PROXY_HOPS"] < 1:
        return "the app sees each client's own address (no proxy)"
    for setting in PER_CLIENT_LIMITS:
        for item in parse_many(config[setting]):
            if item.amount / item.get_expiry() < MIN_SHARED_RATE:
                raise Failed(
                    f"VTCHAT_{setting} is {config[setting]!r}, but behind nginx every client"
                    " has nginx's address, so it would count all visitors together and turn"
                    " people away. nginx limits each client (deploy/nginx/vtchat.conf): set it"
                    " wide, e.g. 1000/minute."
                )
    return "wide: nginx limits each client, the app cannot tell clients apart"


def check_demo_passwords() -> str:
    problem = workers.demo_password_problem()
    if problem:
        raise Failed(problem)
    return "no account outside the demo region opens with the demo password"


def check_password_hashing() -> str:
    cost = current_app.config["PASSWORD_HASHING"]
    if cost != "standard":
        raise Failed(
            f"VTCHAT_PASSWORD_HASHING is {cost!r}: new passwords would be hashed at the test"
            " suite's cost. Leave it unset (standard)."
        )
    return "argon2id at RFC 9106's cost"


def check_sweeper() -> str:
    config = current_app.config
    if not config["SWEEP_IN_APP"] and isinstance(hub(), InProcessHub):
        raise Failed(
            "VTCHAT_SWEEP_IN_APP=0 needs a shared hub (redis://): what a separate sweeper"
            " changes would reach no open pop-up or console."
        )
    deadline = clock.now() - timedelta(hours=retention.hours()) - PURGE_SLACK
    with db.session() as s:
        overdue = s.scalar(
            select(func.count(Chat.id)).where(
                Chat.status.not_in(OPEN_STATUSES), Chat.ended_at < deadline, Chat.nickname != ""
            )
        )
    if overdue:
        raise Failed(
            f"{overdue} transcripts are over an hour past their deletion time: nothing sweeps."
            " Start vtchat-sweeper.service, or set VTCHAT_SWEEP_IN_APP=1 and run the app."
        )
    who = "every app process" if config["SWEEP_IN_APP"] else "flask run-sweeper"
    return f"swept by {who}; no transcript is past its deletion time"


# (name, check, needs the database)
CHECKS: list[tuple[str, Callable[[], str], bool]] = [
    ("public address", check_public_address, False),
    ("secret key", check_secret_key, False),
    ("database", check_database, False),
    ("hub", check_hub, False),
    ("rate limits", check_rate_limit_storage, False),
    ("per-client limits", check_per_client_limits, False),
    ("password hashing", check_password_hashing, False),
    ("demo passwords", check_demo_passwords, True),
    ("sweeper", check_sweeper, True),
]


@click.command("check-deployment")
@with_appcontext
def check_deployment_command():
    """Check this deployment: address, secret key, database, hub, limits, accounts, sweeper."""
    width = max(len(name) for name, _, _ in CHECKS)
    failed = 0
    database_ready = True
    for name, check, needs_database in CHECKS:
        if needs_database and not database_ready:
            click.echo(f"skip  {name:{width}}  not checked: the database is not ready")
            continue
        try:
            click.echo(f"ok    {name:{width}}  {check()}")
        except Exception as error:  # a Failed, or anything a check did not foresee
            failed += 1
            database_ready = database_ready and name != "database"
            reason = str(error) if isinstance(error, Failed) else _first_line(error)
            click.echo(f"FOUT  {name:{width}}  {reason}")
    if failed:
        click.echo(f"{failed} of {len(CHECKS)} checks failed: this deployment is not ready.")
        sys.exit(1)
    click.echo(f"All {len(CHECKS)} checks passed.")


def init_app(app):
    app.cli.add_command(check_deployment_command)
