"""Schema changes go through Alembic: head matches the models, and older databases upgrade."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from backend import db


def test_the_migrations_make_exactly_the_tables_of_the_models(make_app):
    app = make_app(seed=False)
    with app.app_context():
        db.upgrade()
        with db.engine().connect() as connection:
            differences = compare_metadata(
                MigrationContext.configure(connection), SQLModel.metadata
            )
    assert differences == []


def test_a_database_made_before_migrations_is_adopted_and_upgraded(make_app):
    app = make_app(seed=False)
    with app.app_context():
        # The tables as `create_all` made them before there were migrations, with a chat.
        db.create_file()
        config = Config()
        config.set_main_option("script_location", str(db.MIGRATIONS))
        with db.engine().begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, db.BASELINE)
            connection.execute(text("DROP TABLE alembic_version"))
            connection.execute(
                text(
                    "INSERT INTO region (code, name, observes_holidays, is_demo)"
                    " VALUES ('DEMO', 'Demo', 0, 1)"
                )
            )
        db.upgrade()
        with db.engine().connect() as connection:
            columns = {c["name"] for c in inspect(connection).get_columns("chat")}
            regions = connection.execute(text("SELECT code FROM region")).scalars().all()
    assert {"visitor_seen_at", "last_activity_at"} <= columns
    assert regions == ["DEMO"]
