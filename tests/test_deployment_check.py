"""`flask check-deployment` tells the operator, line by line, what keeps a deployment from
serving, and exits non-zero until everything is right."""

import importlib.util
import secrets
import socket
from datetime import timedelta

import pytest
from sqlalchemy import text, update

from backend import chats, db, passwords, workers
from backend.hub import HubUnavailable, InProcessHub
from backend.models import EndReason, Worker
from backend.seed import DEMO_PASSWORD

# What the environment file in deploy/ sets, in the tests' terms.
DEPLOYED = {
    "CHAT_BASE_URL": "https://chat.example",
    "PROXY_HOPS": 1,
    "START_LIMIT_PER_CLIENT": "1000/minute",
    "LOGIN_CLIENT_LIMITS": "1000/minute",
    "PASSWORD_HASHING": "standard",
}


@pytest.fixture(autouse=True)
def secret_key(monkeypatch):
    key = secrets.token_hex(32)
    monkeypatch.setenv("VTCHAT_SECRET_KEY", key)
    return key


def check(app):
    return app.test_cli_runner().invoke(args=["check-deployment"])


def line(result, name: str) -> str:
    """The output line of one check, e.g. "FOUT  hub  ... cannot be reached ..."."""
    (found,) = [row for row in result.output.splitlines() if row[6:].startswith(name + " ")]
    return found


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nobody listens once it is closed


def test_a_good_deployment_passes_every_check(make_app):
    result = check(make_app(**DEPLOYED))
    assert result.exit_code == 0, result.output
    assert "All 9 checks passed." in result.output
    assert "FOUT" not in result.output
    assert line(result, "database").startswith("ok    database")
    assert "at the newest migration" in line(result, "database")
    assert "no account outside the demo region" in line(result, "demo passwords")


def test_a_missing_secret_key_fails(make_app, monkeypatch):
    monkeypatch.delenv("VTCHAT_SECRET_KEY")
    result = check(make_app(**DEPLOYED))
    assert result.exit_code == 1
    assert line(result, "secret key").startswith("FOUT")
    assert "VTCHAT_SECRET_KEY is not set" in line(result, "secret key")
    assert "1 of 9 checks failed: this deployment is not ready." in result.output


def test_a_short_secret_key_fails(make_app, monkeypatch):
    monkeypatch.setenv("VTCHAT_SECRET_KEY", "geheim")
    result = check(make_app(**DEPLOYED))
    assert result.exit_code == 1
    assert "VTCHAT_SECRET_KEY has 6 characters; use at least 32" in line(result, "secret key")


@pytest.mark.sqlite_only("a database FILE that is missing; a PostgreSQL database is made empty")
def test_a_missing_database_fails_and_skips_what_needs_it(make_app):
    result = check(make_app(seed=False, **DEPLOYED))
    assert result.exit_code == 1
    assert "There is no database at" in line(result, "database")
    assert "flask --app backend init-db" in line(result, "database")
    assert line(result, "demo passwords").startswith("skip")
    assert line(result, "sweeper").startswith("skip")


def test_a_database_behind_the_newest_migration_fails(make_app):
    app = make_app(**DEPLOYED)
    with app.app_context(), db.engine().begin() as connection:
        newest = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        connection.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    result = check(app)
    assert result.exit_code == 1
    assert f"The database is at 0001, this code needs {newest}." in line(result, "database")


def test_an_unreachable_database_server_fails_without_showing_its_password(make_app):
    url = f"postgresql+psycopg://vtchat:zeer-geheim@127.0.0.1:{closed_port()}/vtchat"
    result = check(make_app(DATABASE_URL=url, **DEPLOYED))
    assert result.exit_code == 1
    assert "cannot reach postgresql+psycopg://vtchat:***@127.0.0.1" in line(result, "database")
    assert "zeer-geheim" not in result.output


class UnreachableHub(InProcessHub):
    def check(self):
        raise HubUnavailable("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


def test_an_unreachable_hub_fails(make_app):
    result = check(make_app(HUB=UnreachableHub(), **DEPLOYED))
    assert result.exit_code == 1
    hub_line = line(result, "hub")
    assert hub_line.startswith("FOUT")
    assert "cannot be reached: Error 111 connecting to 127.0.0.1:6379" in hub_line


@pytest.mark.skipif(importlib.util.find_spec("backend.redis_hub") is None, reason="no RedisHub yet")
def test_a_redis_hub_at_a_closed_port_fails(make_app):
    url = f"redis://127.0.0.1:{closed_port()}/0"
    result = check(make_app(HUB=None, HUB_URL=url, RATELIMIT_STORAGE_URI=url, **DEPLOYED))
    assert result.exit_code == 1
    assert f"{url} cannot be reached" in line(result, "hub")
    assert line(result, "rate limits").startswith("FOUT")


def test_a_demo_password_on_a_real_regions_worker_fails(make_app):
    app = make_app(**DEPLOYED)
    with app.app_context():
        workers.add("ilse", "Ilse", "VT20", "een lang wachtwoord")
        with db.session() as s:  # as an old seed (or a careless admin) left it
            s.exec(
                update(Worker)
                .where(Worker.username == "ilse")
                .values(password_hash=passwords.hash_password(DEMO_PASSWORD))
            )
            s.commit()
    result = check(app)
    assert result.exit_code == 1
    assert "the demo password opens ilse outside the demo region" in line(result, "demo passwords")


@pytest.mark.parametrize(
    ("setting", "says"),
    [
        ({"CHAT_BASE_URL": "http://chat.example"}, "the chat only works over https"),
        ({"PROXY_HOPS": 0}, "Set VTCHAT_PROXY_HOPS=1"),
        ({"CHAT_BASE_URL": "https://chat.elders.example"}, "is not in VTCHAT_TRUSTED_HOSTS"),
    ],
)
def test_a_wrong_public_address_fails(make_app, setting, says):
    result = check(make_app(**{**DEPLOYED, **setting}))
    assert result.exit_code == 1
    assert says in line(result, "public address")


def test_per_client_limits_left_strict_behind_the_proxy_fail(make_app):
    result = check(make_app(**{**DEPLOYED, "START_LIMIT_PER_CLIENT": "5 per 10 minutes"}))
    assert result.exit_code == 1
    assert "would count all visitors together" in line(result, "per-client limits")


def test_without_a_proxy_the_per_client_limits_stay_strict(make_app):
    app = make_app(**{**DEPLOYED, "PROXY_HOPS": 0, "START_LIMIT_PER_CLIENT": "5 per 10 minutes"})
    assert line(check(app), "per-client limits").startswith("ok")


def test_rate_limits_counted_per_process_beside_a_shared_hub_fail(make_app):
    class SharedHub:  # stands for RedisHub: any hub that is not in-process
        def check(self):
            pass

    result = check(make_app(HUB=SharedHub(), **DEPLOYED))
    assert "each would count on its own" in line(result, "rate limits")


def test_transcripts_past_their_deletion_time_show_that_nothing_sweeps(make_app, clock):
    app = make_app(**DEPLOYED)
    with app.app_context():
        chat = chats.create("DEMO", "Anna")
        chats.end(chat.id, EndReason.VISITOR)
    clock.at += timedelta(hours=app.config["TRANSCRIPT_RETENTION_HOURS"] + 2)
    result = check(app)
    assert result.exit_code == 1
    assert "1 transcripts are over an hour past their deletion time" in line(result, "sweeper")
    with app.app_context():
        chats.purge_transcripts()  # what a sweeper round does
    assert check(app).exit_code == 0


def test_a_separate_sweeper_without_a_shared_hub_fails(make_app):
    result = check(make_app(SWEEP_IN_APP=False, **DEPLOYED))
    assert result.exit_code == 1
    assert "VTCHAT_SWEEP_IN_APP=0 needs a shared hub" in line(result, "sweeper")


def test_passwords_hashed_at_the_test_suites_cost_fail(make_app):
    result = check(make_app(**{**DEPLOYED, "PASSWORD_HASHING": "tests"}))
    assert result.exit_code == 1
    assert "VTCHAT_PASSWORD_HASHING is 'tests'" in line(result, "password hashing")
