"""Database engine and sessions, kept on the app so tests can swap them.

The app never makes a database of its own: only `flask init-db` (db.upgrade) creates the
SQLite file. The app opens it read-write without creating it, refuses to start when the schema
is not the newest migration, and refuses every commit once the file it started on has been
deleted or replaced, so nothing is confirmed to anyone that is not in the real database.
"""

import os
import sqlite3
import weakref
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from urllib.parse import quote

import click
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import event, inspect
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, create_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BASELINE = "0001"  # the tables as they were made before migrations
INIT_DB = "flask --app backend init-db"


class DatabaseNotReady(RuntimeError):
    """The database is missing or its schema is not the newest: the app must not run on it."""


class DatabaseFileChanged(RuntimeError):
    """The SQLite file was deleted or replaced while the app ran: nothing more is committed."""


class DatabaseFile:
    """The SQLite file an engine opens, and which file it was when the app first opened it.

    A file is known by its device and inode: a copy put in its place, or a new empty file,
    has another one even under the same name.
    """

    def __init__(self, path: str):
        self.path = path
        self.identity: tuple[int, int] | None = None

    def exists(self) -> bool:
        return os.path.exists(self.path)

    def _now(self) -> tuple[int, int] | None:
        try:
            found = os.stat(self.path)
        except FileNotFoundError:
            return None
        return found.st_dev, found.st_ino

    def remember(self) -> None:
        if self.identity is None:
            self.identity = self._now()

    def verify(self) -> None:
        if self.identity is not None and self._now() != self.identity:
            raise DatabaseFileChanged(
                f"The database file {self.path} was deleted or replaced while the app ran;"
                " nothing is saved any more. Put the file back, or restart the app."
            )

    def connect(self) -> sqlite3.Connection:
        """Open the file read-write; a missing file is an error, never a new empty database."""
        return sqlite3.connect(
            f"file:{quote(self.path)}?mode=rw", uri=True, check_same_thread=False, timeout=15
        )


# The SQLite file of each engine, kept beside it (an engine has no room for it).
_FILES: "weakref.WeakKeyDictionary[Engine, DatabaseFile]" = weakref.WeakKeyDictionary()


def _sqlite_file(url: str) -> DatabaseFile | None:
    """The file of a SQLite URL; None for PostgreSQL, in-memory and URI databases."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.query.get("uri"):
        return None
    if parsed.database in (None, "", ":memory:"):
        return None
    return DatabaseFile(os.path.abspath(parsed.database))


def make_engine(url: str):
    """Create the engine; SQLite gets WAL and a busy timeout so threads can share it.

    Parameters never appear in errors or logs: they hold what visitors wrote.
    """
    if not url.startswith("sqlite"):
        # Pre-ping: a connection PostgreSQL dropped (a restart, a failover, a proxy's idle
        # time-out) is found and replaced at checkout, never handed to a request. It costs a
        # round trip per checkout (docs/benchmarks.md); tests/test_faults.py holds it to that.
        return create_engine(url, pool_pre_ping=True, hide_parameters=True)
    file = _sqlite_file(url)
    in_memory = url in ("sqlite://", "sqlite:///:memory:")
    if file is None:
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 15},
            poolclass=StaticPool if in_memory else None,
            hide_parameters=True,
        )
    else:
        engine = create_engine(url, creator=file.connect, hide_parameters=True)
        _FILES[engine] = file
        _guard(engine, file)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine


def _guard(engine, file: DatabaseFile) -> None:
    """Remember the file on the first connection; check it is still that file on every commit."""

    @event.listens_for(engine, "connect")
    def _remember(_dbapi_connection, _record):
        file.remember()

    @event.listens_for(engine, "commit")
    def _still_the_same_file(connection):
        try:
            file.verify()
        except DatabaseFileChanged:
            # Undone here: SQLAlchemy counts the transaction as finished once this raises,
            # and would hand the connection on with the writes still pending.
            connection.connection.dbapi_connection.rollback()
            raise


def init_app(app):
    """Attach an engine built from DATABASE_URL to the app, and check the database is ready.

    The flask command line skips the check: `flask init-db` is how a database becomes ready.
    """
    app.extensions["db_engine"] = make_engine(app.config["DATABASE_URL"])
    if app.config.get("CHECK_DATABASE", True) and click.get_current_context(silent=True) is None:
        with app.app_context():
            check()


def engine():
    return current_app.extensions["db_engine"]


def database_file() -> DatabaseFile | None:
    """The SQLite file of the app's engine; None for other databases."""
    return _FILES.get(engine())


@contextmanager
def session():
    """A session bound to the app's engine; objects stay readable after commit."""
    with Session(engine(), expire_on_commit=False) as s:
        yield s


@cache
def _newest_revisions() -> frozenset[str]:
    return frozenset(ScriptDirectory(str(MIGRATIONS)).get_heads())


def check() -> None:
    """Refuse a missing database, or one whose schema is not at the newest migration."""
    file = database_file()
    if file is not None and not file.exists():
        raise DatabaseNotReady(
            f"There is no database at {file.path}. Create it with `{INIT_DB}`;"
            " the app never makes an empty one itself."
        )
    with engine().connect() as connection:
        current = frozenset(MigrationContext.configure(connection).get_current_heads())
    newest = _newest_revisions()
    if current != newest:
        found = ", ".join(sorted(current)) or "no schema"
        raise DatabaseNotReady(
            f"The database is at {found}, this code needs {', '.join(sorted(newest))}."
            f" Bring it up to date with `{INIT_DB}` (it runs the migrations)."
        )


def create_file() -> None:
    """Make the SQLite file when there is none: empty, for the migrations to fill."""
    file = database_file()
    if file is not None and not file.exists():
        Path(file.path).parent.mkdir(parents=True, exist_ok=True)
        sqlite3.connect(file.path).close()


@contextmanager
def migrating():
    """A connection to run migrations on, in one transaction.

    On SQLite a migration alters a table by copying it and dropping the old one; with rows
    pointing at that table the foreign key check refuses the drop, so a database with chats in
    it could not be upgraded. The check is off while migrations run (SQLite only switches it
    outside a transaction) and what they leave behind is checked once, before the commit.
    """
    with engine().connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                yield connection
                if sqlite:
                    dangling = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if dangling:
                        raise DatabaseNotReady(
                            f"The migrations left rows that point at nothing: {dangling[:5]}"
                        )
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


def upgrade() -> None:
    """Make the database if there is none, and bring it to the newest schema with Alembic.

    The one place a database file is created (flask init-db). A database made before there
    were migrations is first marked as being at the baseline.
    """
    create_file()
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with migrating() as connection:
        config.attributes["connection"] = connection
        tables = inspect(connection)
        if tables.has_table("chat") and not tables.has_table("alembic_version"):
            command.stamp(config, BASELINE)
        command.upgrade(config, "head")
