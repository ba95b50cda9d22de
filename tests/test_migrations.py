"""Schema changes go through Alembic: head matches the models, and older databases upgrade.

On SQLite and on PostgreSQL alike (tests/conftest.py picks the database).
"""

from datetime import datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, Table, inspect, text
from sqlmodel import SQLModel

from backend import chats, db
from backend import workers as workers_module
from backend.models import Sender


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
                    " VALUES ('DEMO', 'Demo', false, true)"
                )
            )
        db.upgrade()
        with db.engine().connect() as connection:
            columns = {c["name"] for c in inspect(connection).get_columns("chat")}
            regions = connection.execute(text("SELECT code FROM region")).scalars().all()
    assert {"visitor_seen_at", "last_activity_at"} <= columns
    assert regions == ["DEMO"]


# ---- upgrading databases with rows in them ---------------------------------------------------

HEAD = "0011"
BEFORE_HEAD = "0010"
WEDNESDAY = datetime(2026, 11, 18, 9, 0)  # naive UTC, as SQLite stores it
# Rows as an older schema holds them; a column the schema at hand lacks is left out.
ROWS = {
    "region": [{"code": "DEMO", "name": "Demo", "observes_holidays": False, "is_demo": True}],
    "worker": [
        {"id": 1, "username": "sanne", "display_name": "Sanne", "password_hash": "-"},
        {"id": 2, "username": "joris", "display_name": "Joris", "password_hash": "-"},
    ],
    "site": [
        {
            "key": "vt-x",
            "name": "X",
            "region_code": "DEMO",
            "origin": "https://x.example",
            "accent": "#1d4f91",
            "is_demo": False,
        }
    ],
    "chat": [
        {"id": 1, "token": "t-waiting", "status": "waiting", "nickname": "Mila"},
        {
            "id": 2,
            "token": "t-active",
            "status": "active",
            "nickname": "Bo",
            "worker_id": 1,
            "accepted_at": WEDNESDAY,
            "last_seq": 2,
        },
        {
            "id": 3,
            "token": "t-ended",
            "status": "ended",
            "nickname": "Anna",
            "worker_id": 2,
            "accepted_at": WEDNESDAY,
            "ended_at": WEDNESDAY,
            "ended_by": "worker",
            "last_seq": 1,
        },
    ],
    "message": [
        {"id": 1, "chat_id": 2, "seq": 1, "sender": "visitor", "body": "Hallo"},
        {"id": 2, "chat_id": 2, "seq": 2, "sender": "worker", "body": "Dag Bo"},
        {"id": 3, "chat_id": 3, "seq": 1, "sender": "visitor", "body": "Tot ziens"},
    ],
}
# What every row of a table had to carry in the old schemas (some columns had no default).
COMMON = {
    "worker": {"region_code": "DEMO"},
    "chat": {"region_code": "DEMO", "created_at": WEDNESDAY, "last_seq": 0, "visitor_sockets": 0},
    "message": {"created_at": WEDNESDAY},
    # From 0009 on (a site's theme): given by the app, without a server default.
    "site": {
        "text_colour": "#ffffff",
        "font": "system",
        "radius": 8,
        "corner": "right",
        "launcher_label": "",
    },
}


def alembic(connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(db.MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def at_revision(app, revision: str, filled: bool) -> None:
    """The app's database made up to `revision`, with ROWS in it when `filled`."""
    with app.app_context():
        db.create_file()
        with db.engine().begin() as connection:
            command.upgrade(alembic(connection), revision)
            if filled:
                for name, rows in ROWS.items():
                    table = Table(name, MetaData(), autoload_with=connection)
                    for row in rows:
                        values = {**COMMON.get(name, {}), **row}
                        connection.execute(
                            table.insert().values({k: v for k, v in values.items() if k in table.c})
                        )
                if connection.dialect.name == "postgresql":
                    # The rows came with their ids: the id sequences go past them, as the
                    # old app's own inserts would have left them.
                    for name in ("worker", "chat", "message"):
                        connection.execute(
                            text(
                                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'),"
                                f" (SELECT max(id) FROM {name}))"
                            )
                        )


def revision_of(connection) -> str:
    return MigrationContext.configure(connection).get_current_revision()


def rows(connection, query: str) -> list[tuple]:
    return [tuple(row) for row in connection.execute(text(query))]


@pytest.mark.parametrize("start", [db.BASELINE, BEFORE_HEAD])
def test_an_empty_database_upgrades_to_head_and_down_one_step(make_app, start):
    app = make_app(seed=False)
    at_revision(app, start, filled=False)
    with app.app_context():
        db.upgrade()
        with db.migrating() as connection:
            assert revision_of(connection) == HEAD
            command.downgrade(alembic(connection), "-1")
            assert revision_of(connection) == BEFORE_HEAD
            region_columns = {c["name"] for c in inspect(connection).get_columns("region")}
            chat_columns = {c["name"] for c in inspect(connection).get_columns("chat")}
            tables = set(inspect(connection).get_table_names())
        assert "national" not in region_columns and "overflowed_from" not in chat_columns
        assert "overflow" not in tables
        db.upgrade()  # and up again
        with db.engine().connect() as connection:
            assert revision_of(connection) == HEAD


@pytest.mark.parametrize("start", [db.BASELINE, BEFORE_HEAD])
def test_a_filled_database_upgrades_with_the_new_columns_defaults(make_app, start):
    app = make_app(seed=False)
    at_revision(app, start, filled=True)
    with app.app_context():
        db.upgrade()
        with db.engine().connect() as connection:
            assert revision_of(connection) == HEAD
            workers = rows(
                connection,
                "SELECT username, role, availability, capacity, sound, disabled, session_epoch"
                " FROM worker ORDER BY id",
            )
            chat_rows = rows(
                connection,
                "SELECT nickname, status, worker_id, last_seq, worker_read_seq, offered_to_id,"
                " handover_note, followup_code, earlier_code FROM chat ORDER BY id",
            )
            messages = rows(connection, "SELECT chat_id, seq, sender, body, author FROM message")
            sites = rows(
                connection,
                "SELECT key, origin, accent, text_colour, font, radius, corner, launcher_label"
                " FROM site",
            )
            region_rows = rows(connection, "SELECT code, phone, phone_note, national FROM region")
    assert workers == [
        ("sanne", "worker", "available", 2, 1, 0, 0),
        ("joris", "worker", "available", 2, 1, 0, 0),
    ]
    assert chat_rows == [
        ("Mila", "waiting", None, 0, 0, None, None, None, None),
        ("Bo", "active", 1, 2, 0, None, None, None, None),
        ("Anna", "ended", 2, 1, 0, None, None, None, None),
    ]
    assert region_rows == [("DEMO", "", "", False)]  # no phone of its own: the pop-up shows none
    assert messages == [
        (2, 1, "visitor", "Hallo", None),
        (2, 2, "worker", "Dag Bo", None),
        (3, 1, "visitor", "Tot ziens", None),
    ]
    # A site registered before themes keeps its colour and gets the default theme.
    assert sites == [("vt-x", "https://x.example", "#1d4f91", "#ffffff", "system", 8, "right", "")]
    with app.app_context():
        # The app reads the upgraded rows: what Bo wrote counts as unread.
        assert chats.unread_counts([2]) == {2: 1}
        assert workers_module.get(1).sound is True
        # And writes new ones beside them.
        assert chats.create("DEMO", "Noor").id == 4
        assert chats.add_message(2, Sender.WORKER, "Ben je er nog?").seq == 3


def test_a_filled_database_goes_down_one_step_keeping_its_rows(make_app):
    app = make_app(seed=False)
    at_revision(app, BEFORE_HEAD, filled=True)
    with app.app_context():
        db.upgrade()
        with db.migrating() as connection:
            connection.execute(
                text(
                    "INSERT INTO region (code, name, observes_holidays, is_demo, national,"
                    " phone, phone_note) VALUES ('NL', 'Landelijk', true, false, true, '', '')"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO overflow (region_code, partner_code, after_minutes,"
                    " outside_hours) VALUES ('DEMO', 'NL', 10, false)"
                )
            )
            connection.execute(
                text("UPDATE chat SET region_code = 'NL', overflowed_from = 'DEMO' WHERE id = 1")
            )
            command.downgrade(alembic(connection), "-1")
            assert revision_of(connection) == BEFORE_HEAD
            region_columns = {c["name"] for c in inspect(connection).get_columns("region")}
            counts = [
                connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                for table in ("region", "worker", "chat", "message")
            ]
            moved = rows(connection, "SELECT region_code FROM chat WHERE id = 1")
    assert "national" not in region_columns
    assert counts == [2, 2, 3, 3]
    assert moved == [("NL",)]  # it waits where it moved to
