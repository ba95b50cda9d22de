"""Alembic's entry: migrations run on the app's own connection, or on VTCHAT_DATABASE_URL.

`db.upgrade()` (flask init-db, the tests) hands in a connection; the `alembic` command line
(`alembic -c backend/migrations/alembic.ini revision --autogenerate -m "..."`) connects itself.
"""

from alembic import context
from sqlmodel import SQLModel, create_engine

from backend import models  # noqa: F401  (registers the tables)
from backend.config import from_environment

target_metadata = SQLModel.metadata


def run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters by copying
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    with create_engine(from_environment()["DATABASE_URL"]).connect() as own:
        run(own)
        own.commit()
