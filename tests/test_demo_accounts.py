"""The public demo password never opens a real region's account: seed-demo makes demo workers
only in the demo region, and the app refuses to run while the demo password opens another."""

import os
import socket
import subprocess
import sys
from pathlib import Path

from sqlalchemy import update

from backend import db, passwords, workers
from backend.models import Worker
from backend.seed import DEMO_PASSWORD
from tests.conftest import ROOT

GUNICORN = Path(sys.executable).parent / "gunicorn"
PASSWORD = "een lang wachtwoord"


def add_worker(app, username, region, password=PASSWORD):
    with app.app_context():
        workers.add(username, username.title(), region, PASSWORD)
        if password != PASSWORD:  # as an old seed (or a careless admin) left it
            with db.session() as s:
                s.exec(
                    update(Worker)
                    .where(Worker.username == username)
                    .values(password_hash=passwords.hash_password(password))
                )
                s.commit()


def test_check_accounts_passes_with_only_the_demo_regions_demo_password(app, runner):
    add_worker(app, "ilse", "VT20")
    result = runner.invoke(args=["check-accounts"])
    assert result.exit_code == 0, result.output
    assert "No account outside the demo region has the demo password." in result.output


def test_check_accounts_refuses_a_real_account_with_the_demo_password(app, runner):
    add_worker(app, "ilse", "VT20", password=DEMO_PASSWORD)
    result = runner.invoke(args=["check-accounts"])
    assert result.exit_code != 0
    assert "Refusing to run: the demo password opens ilse outside the demo region." in (
        result.output
    )
    assert "flask worker passwd USERNAME" in result.output
    runner.invoke(args=["worker", "passwd", "ilse"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert runner.invoke(args=["check-accounts"]).exit_code == 0


def test_a_disabled_account_with_the_demo_password_is_no_reason_to_refuse(app, runner):
    add_worker(app, "ilse", "VT20", password=DEMO_PASSWORD)
    runner.invoke(args=["worker", "disable", "ilse"])
    assert runner.invoke(args=["check-accounts"]).exit_code == 0


def test_seed_demo_disables_the_old_demo_accounts_of_real_regions(app, runner):
    add_worker(app, "vt20", "VT20", password=DEMO_PASSWORD)  # what the old seed made
    add_worker(app, "vt13", "VT13")  # given a password of its own since: a real account
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "Disabled old demo accounts of real regions: vt20" in result.output
    assert "password 'demo': demo, demo2, demo3" in result.output
    with app.app_context():
        assert workers.by_username("vt20").disabled
        assert not workers.by_username("vt13").disabled
    assert runner.invoke(args=["check-accounts"]).exit_code == 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_gunicorn_refuses_to_start_while_the_demo_password_opens_a_real_account(make_app):
    app = make_app()
    add_worker(app, "ilse", "VT20", password=DEMO_PASSWORD)
    app.extensions["db_engine"].dispose()  # SQLite: the file is whole, without a WAL beside it
    env = {
        **os.environ,
        "VTCHAT_DATABASE_URL": app.config["DATABASE_URL"],
        "VTCHAT_SECRET_KEY": "test-secret",
        "VTCHAT_BIND": f"127.0.0.1:{_free_port()}",
    }
    done = subprocess.run(
        [str(GUNICORN), "-c", "backend/gunicorn_conf.py", "backend:create_app()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,  # a guard: it stops by itself
    )
    assert done.returncode != 0
    log = done.stdout + done.stderr
    assert "Refusing to run: the demo password opens ilse outside the demo region." in log
