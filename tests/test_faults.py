"""Faults are shown where the person acted, keep what was typed, and never confirm a lost write.

The faults are real ones: SQLite refusing to grow the file (disk full, by `max_page_count`),
refusing to write (`query_only`; on PostgreSQL, read-only transactions), the database file gone
or replaced under the running app.
"""

import logging
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from backend import chats, db
from backend.models import Sender
from tests.helpers import DEMO_SITE, all_chats, log_in, session_of, taken_chat, text_of

HTMX = {"HX-Request": "true"}
NOT_SENT = "Je bericht is niet verstuurd."
NOT_STARTED = "De chat is niet gestart."
OUR_FAULT = "Er ging iets mis bij ons. Probeer het zo opnieuw."
PHONE = "Lukt het steeds niet? Bel gratis 0800 2000, dag en nacht."
TYPED = "Mijn stiefvader schreeuwt de hele avond en ik durf niet naar beneden."
ROOT = Path(__file__).resolve().parent.parent


# ---- the faults ---------------------------------------------------------------------------------


@contextmanager
def on_every_connection(app, pragma):
    """Run `pragma(connection)` on every connection the app opens from now on."""
    engine = app.extensions["db_engine"]
    listener = lambda dbapi_connection, _record: pragma(dbapi_connection)  # noqa: E731
    event.listen(engine, "connect", listener)
    engine.dispose()  # connections open now are made again, with the pragma
    try:
        yield
    finally:
        event.remove(engine, "connect", listener)
        engine.dispose()


def _no_growth(connection):
    pages = connection.execute("PRAGMA page_count").fetchone()[0]
    connection.execute(f"PRAGMA max_page_count = {pages}")


@contextmanager
def disk_full(app, fill):
    """The file may not grow, and `fill` (more of what the test will write) fills it up.

    SQLite then says "database or disk is full", as on a full disk.
    """
    with on_every_connection(app, _no_growth):
        with app.app_context():
            for _ in range(10_000):
                try:
                    fill()
                except OperationalError as full:
                    assert "database or disk is full" in str(full)
                    break
            else:
                raise AssertionError("the database never filled up")
        yield


def _refuse_writes(connection):
    if isinstance(connection, sqlite3.Connection):
        connection.execute("PRAGMA query_only = ON")
    else:  # PostgreSQL; committed, or the pool's rollback would undo it
        connection.execute("SET default_transaction_read_only = on")
        connection.commit()


# What the database says when it refuses a write, on SQLite and on PostgreSQL.
READ_ONLY_WORDS = ("readonly database", "read-only transaction")
SQLITE_FILE = pytest.mark.sqlite_only("the SQLite file itself is full, deleted or replaced")
NO_FILE = pytest.mark.sqlite_only("a SQLite file that is not there, or empty")


@contextmanager
def read_only(app):
    """The database refuses every write: "attempt to write a readonly database"."""
    with on_every_connection(app, _refuse_writes):
        yield


def database_path(app) -> Path:
    with app.app_context():
        return Path(db.database_file().path)


def stored_bodies(app, chat_id) -> list[str]:
    with app.app_context():
        return [m.body for m in chats.messages(chat_id)]


def send(client, body=TYPED, **headers):
    return client.post(f"/w/{DEMO_SITE}/send", data={"body": body}, headers=headers)


def start(client, **headers):
    data = {"nickname": "Mila", "region": "DEMO", "postcode": "", "age": "15"}
    return client.post(f"/w/{DEMO_SITE}/start", data=data, headers=headers)


def assert_fault_beside_the_box(response, *words):
    """An htmx answer that swaps only the fault slot (and says the same in the live region)."""
    assert response.status_code == 503
    assert response.headers["HX-Reswap"] == "none"
    page = response.text
    slot = re.search(r'<p id="vt-fault" class="vt-fault" hx-swap-oob="true">(.*?)</p>', page, re.S)
    assert slot, page
    for said in (*words, OUR_FAULT, PHONE):
        assert said in text_of(slot.group(1))
    announced = re.search(r'<div id="vt-announce" hx-swap-oob="innerHTML">(.*?)</div>', page, re.S)
    assert text_of(announced.group(1)) == text_of(slot.group(1))
    # Nothing else is swapped: the message box and the form keep what was typed.
    for part in ("vt-composer", "vt-panel", "<textarea", "<form"):
        assert part not in page


# ---- what the pages hold ------------------------------------------------------------------------


def test_the_fault_slot_sits_beside_the_box_and_the_start_button_and_starts_empty(app, client):
    form = client.get(f"/w/{DEMO_SITE}/start").text
    assert re.search(r'Start de chat</button>\s*<p id="vt-fault" class="vt-fault"></p>', form)
    taken_chat(app, client)
    page = client.get(f"/w/{DEMO_SITE}").text
    box = page[page.index('<div id="vt-composer"') :]
    assert re.search(r'</form>\s*<p id="vt-fault" class="vt-fault"></p>\s*</div>', box)


# ---- a full disk --------------------------------------------------------------------------------


@SQLITE_FILE
def test_a_send_on_a_full_disk_says_so_beside_the_box_and_confirms_nothing(
    app, client, hub, caplog
):
    chat_id = taken_chat(app, client)
    other = taken_chat(app, app.test_client(), nickname="Vos")
    hub.clear()
    with disk_full(app, lambda: chats.add_message(other, Sender.WORKER, "x")):
        response = send(client, **HTMX)
    assert_fault_beside_the_box(response, NOT_SENT)
    assert "database or disk is full" in caplog.text
    assert stored_bodies(app, chat_id) == []
    assert not [e for e in hub.events(f"chat:{chat_id}") if e["type"] == "message"]


def test_the_next_good_send_empties_the_fault_slot(app, client):
    chat_id = taken_chat(app, client)
    with read_only(app):
        assert send(client, **HTMX).status_code == 503
    answer = send(client, **HTMX)
    assert answer.status_code == 200
    assert re.search(r'<p id="vt-fault" class="vt-fault"[^>]*></p>', answer.text)
    assert stored_bodies(app, chat_id) == [TYPED]


@SQLITE_FILE
def test_a_start_on_a_full_disk_says_so_beside_the_button_and_queues_nobody(app, client, caplog):
    with disk_full(app, lambda: chats.create("DEMO", "x")):
        response = start(client, **HTMX)
    assert_fault_beside_the_box(response, NOT_STARTED)
    assert "database or disk is full" in caplog.text
    assert "Mila" not in [chat.nickname for chat in all_chats(app)]
    assert "chat" not in session_of(app, client)


def test_the_database_s_words_are_logged_never_what_the_visitor_wrote(app, client, caplog):
    taken_chat(app, client, nickname="Zonnebloem")
    with caplog.at_level(logging.INFO), read_only(app):
        assert send(client, **HTMX).status_code == 503
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert any(words in logged for words in READ_ONLY_WORDS)
    assert TYPED not in logged and "Zonnebloem" not in logged


# ---- a read-only database -----------------------------------------------------------------------


def test_a_send_to_a_read_only_database_says_so_beside_the_box(app, client):
    chat_id = taken_chat(app, client)
    with read_only(app):
        response = send(client, **HTMX)
    assert_fault_beside_the_box(response, NOT_SENT)
    assert stored_bodies(app, chat_id) == []


def test_a_start_on_a_read_only_database_says_so_beside_the_button(app, client):
    with read_only(app):
        response = start(client, **HTMX)
    assert_fault_beside_the_box(response, NOT_STARTED)
    assert all_chats(app) == []


def test_a_worker_s_send_to_a_read_only_database_says_so_beside_the_box(app, client):
    chat_id = taken_chat(app, client)
    worker = app.test_client()
    log_in(worker)
    with read_only(app):
        response = worker.post(
            f"/console/chats/{chat_id}/send", data={"body": "Ben je veilig?"}, headers=HTMX
        )
    assert response.status_code == 503
    assert response.headers["HX-Reswap"] == "none"
    slot = re.search(
        r'<p id="console-fault" class="console-error" role="alert" hx-swap-oob="innerHTML">'
        r"(.*?)</p>",
        response.text,
    )
    assert text_of(slot.group(1)) == f"{NOT_SENT} {OUR_FAULT}"
    assert "console-composer" not in response.text and "<textarea" not in response.text
    assert stored_bodies(app, chat_id) == []
    # Beside the worker's box there is the slot, empty until then.
    page = worker.get(f"/console/chats/{chat_id}").text
    assert re.search(r'Verstuur</button>\s*<p id="console-fault"[^>]*></p>', page)


def test_without_javascript_a_refused_message_comes_back_to_send_again(app, client):
    chat_id = taken_chat(app, client)
    with read_only(app):
        response = send(client)
    assert response.status_code == 503
    page = text_of(response.text)
    assert NOT_SENT in page and OUR_FAULT in page and PHONE in page
    assert "Verberg deze pagina" in page  # the safety bar, as on every page of the pop-up
    retry = re.search(
        r'<form[^>]*action="/w/demo-utrecht/send"[^>]*>(.*?)</form>', response.text, re.S
    )
    assert TYPED in retry.group(1)
    assert f'href="/w/{DEMO_SITE}"' in response.text  # back to the chat
    # The page may be framed by the site, like the rest of the pop-up.
    assert "frame-ancestors https://demo.example" in response.headers["Content-Security-Policy"]
    assert (
        client.post(
            f"/w/{DEMO_SITE}/send", data={"body": TYPED, "csrf_token": _token(retry.group(1))}
        ).status_code
        == 303
    )
    assert stored_bodies(app, chat_id) == [TYPED]


def _token(form: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)


# ---- other refusals -----------------------------------------------------------------------------


def test_a_text_too_large_to_read_is_refused_in_words(make_app):
    app = make_app(MAX_CONTENT_LENGTH=4096)
    client = app.test_client()
    taken_chat(app, client)
    response = send(client, body="a" * 5000, **HTMX)
    assert response.status_code == 413
    assert response.headers["HX-Reswap"] == "none"
    assert "Je bericht is niet verstuurd. Je tekst is te lang. Maak hem korter" in text_of(
        response.text
    )


@pytest.mark.parametrize(
    ("path", "status", "why"),
    [
        ("/w/no-such-site", 404, "We kunnen niet vinden wat je zoekt."),
        (f"/w/{DEMO_SITE}/send", 405, "Dat kan op deze manier niet."),
    ],
)
def test_other_refusals_are_in_dutch_as_a_fragment_and_as_a_page(client, path, status, why):
    fragment = client.get(path, headers=HTMX)
    assert fragment.status_code == status
    assert fragment.headers["HX-Reswap"] == "none"
    assert why in text_of(fragment.text) and 'id="vt-fault"' in fragment.text
    page = client.get(path)
    assert page.status_code == status
    assert page.text.startswith("<!doctype html>")
    assert f"Dat is niet gelukt. {why}" in text_of(page.text)


def test_a_failure_of_ours_is_a_500_in_dutch(make_app, monkeypatch):
    app = make_app(PROPAGATE_EXCEPTIONS=False)
    client = app.test_client()
    taken_chat(app, client)

    def broken(*_args):
        raise RuntimeError("a bug")

    monkeypatch.setattr(chats, "add_message", broken)
    response = send(client, **HTMX)
    assert response.status_code == 500
    assert f"{NOT_SENT} {OUR_FAULT}" in text_of(response.text)


# ---- the database file --------------------------------------------------------------------------


@NO_FILE
def test_the_app_refuses_a_missing_database_and_makes_none(make_app, tmp_path):
    missing = tmp_path / "gone.sqlite"
    with pytest.raises(db.DatabaseNotReady, match="init-db"):
        make_app(seed=False, DATABASE_URL=f"sqlite:///{missing}", CHECK_DATABASE=True)
    assert not missing.exists()


@NO_FILE
def test_without_the_start_check_a_missing_database_is_still_never_made(make_app, tmp_path):
    missing = tmp_path / "gone.sqlite"
    app = make_app(seed=False, DATABASE_URL=f"sqlite:///{missing}")
    response = app.test_client().get(f"/w/{DEMO_SITE}")
    assert response.status_code == 503
    assert OUR_FAULT in text_of(response.text)
    assert not missing.exists()


def test_the_app_refuses_a_schema_that_is_not_the_newest(make_app):
    app = make_app(seed=False)
    old = app.config["DATABASE_URL"]
    config = Config()
    config.set_main_option("script_location", str(db.MIGRATIONS))
    with app.app_context():
        db.create_file()
        with db.engine().begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0002")  # a database of an older version of the app
    with pytest.raises(db.DatabaseNotReady, match=r"at 0002.*init-db"):
        make_app(seed=False, DATABASE_URL=old, CHECK_DATABASE=True)
    with app.app_context():
        db.upgrade()  # what init-db does
    make_app(seed=False, DATABASE_URL=old, CHECK_DATABASE=True)


@NO_FILE
def test_the_app_refuses_an_empty_file(make_app, tmp_path):
    empty = tmp_path / "empty.sqlite"
    empty.touch()
    with pytest.raises(db.DatabaseNotReady, match="no schema"):
        make_app(seed=False, DATABASE_URL=f"sqlite:///{empty}", CHECK_DATABASE=True)


def test_a_seeded_database_passes_the_check(make_app):
    make_app(CHECK_DATABASE=True)


@NO_FILE
def test_init_db_makes_the_database_the_app_then_runs_on(tmp_path):
    made = tmp_path / "instance" / "vtchat.sqlite"
    env = {**os.environ, "VTCHAT_DATABASE_URL": f"sqlite:///{made}", "VTCHAT_SECRET_KEY": "x"}
    flask = Path(sys.executable).parent / "flask"
    done = subprocess.run(
        [str(flask), "--app", "backend", "init-db"], cwd=ROOT, env=env, capture_output=True
    )
    assert done.returncode == 0, done.stderr
    assert made.exists()
    from backend import create_app

    app = create_app({"DATABASE_URL": f"sqlite:///{made}", "CHECK_DATABASE": True})
    app.extensions["db_engine"].dispose()


@SQLITE_FILE
def test_a_database_file_deleted_while_running_confirms_nothing(app, client, hub):
    chat_id = taken_chat(app, client)
    path = database_path(app)
    moved = path.with_name("elsewhere.sqlite")
    hub.clear()
    path.rename(moved)
    try:
        response = send(client, **HTMX)
    finally:
        moved.rename(path)
    assert_fault_beside_the_box(response, NOT_SENT)
    assert not [e for e in hub.events(f"chat:{chat_id}") if e["type"] == "message"]
    assert stored_bodies(app, chat_id) == []
    # With the file back in its place the same send goes through.
    assert send(client, **HTMX).status_code == 200
    assert stored_bodies(app, chat_id) == [TYPED]


@SQLITE_FILE
def test_a_database_file_replaced_while_running_gets_nothing_more(app, client, hub):
    chat_id = taken_chat(app, client)
    path = database_path(app)
    copy = path.with_name("copy.sqlite")
    with app.app_context():
        db.engine().dispose()  # the file is whole, without a WAL beside it
    shutil.copyfile(path, copy)
    os.replace(copy, path)  # a backup put back while the app runs: another file
    hub.clear()
    response = send(client, **HTMX)
    assert_fault_beside_the_box(response, NOT_SENT)
    assert not hub.events(f"chat:{chat_id}")
    assert stored_bodies(app, chat_id) == []


@pytest.mark.postgres_only("its server drops every connection of the app")
def test_a_send_after_postgresql_dropped_every_connection_is_stored(app, client, postgres_server):
    """PostgreSQL restarted, or a proxy between dropped the app's connections: the pool hands
    out none of the dead ones (it tries each first), so the next send is stored, not refused."""
    chat_id = taken_chat(app, client)
    assert send(client, body="Eerst dit.", **HTMX).status_code == 200
    database = app.extensions["db_engine"].url.database
    with postgres_server.connect() as server:
        dropped = server.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            (database,),
        ).fetchone()[0]
    assert dropped >= 1  # the pool's connection was among them
    answer = send(client, **HTMX)
    assert answer.status_code == 200
    assert OUR_FAULT not in text_of(answer.text)
    assert stored_bodies(app, chat_id) == ["Eerst dit.", TYPED]


def test_a_worker_s_other_buttons_say_so_at_the_top_of_the_workspace(app):
    worker = app.test_client()
    log_in(worker)
    page = worker.get("/console/").text
    assert re.search(r'<p id="console-problem"[^>]*></p>', page)  # there, and empty
    with read_only(app):
        response = worker.post("/console/sound", headers=HTMX)
    assert response.status_code == 503
    slot = re.search(
        r'<p id="console-problem"[^>]*hx-swap-oob="innerHTML">(.*?)</p>', response.text
    )
    assert OUR_FAULT in text_of(slot.group(1))
