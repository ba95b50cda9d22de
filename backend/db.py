"""Database engine and sessions, kept on the app so tests can swap them."""

from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from flask import current_app
from sqlalchemy import event, inspect
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, create_engine


def make_engine(url: str):
    """Create the engine; SQLite gets WAL and a busy timeout so threads can share it."""
    if url.startswith("sqlite"):
        in_memory = url in ("sqlite://", "sqlite:///:memory:")
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 15},
            poolclass=StaticPool if in_memory else None,
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def init_app(app):
    """Attach an engine built from DATABASE_URL to the app."""
    app.extensions["db_engine"] = make_engine(app.config["DATABASE_URL"])


def engine():
    return current_app.extensions["db_engine"]


@contextmanager
def session():
    """A session bound to the app's engine; objects stay readable after commit."""
    with Session(engine(), expire_on_commit=False) as s:
        yield s


MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BASELINE = "0001"  # the tables as they were made before migrations


def upgrade() -> None:
    """Bring the database to the newest schema with Alembic (backend/migrations/).

    A database made before there were migrations is first marked as being at the baseline.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine().begin() as connection:
        config.attributes["connection"] = connection
        tables = inspect(connection)
        if tables.has_table("chat") and not tables.has_table("alembic_version"):
            command.stamp(config, BASELINE)
        command.upgrade(config, "head")
