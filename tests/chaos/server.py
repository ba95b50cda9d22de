"""A real gunicorn on a temporary SQLite database (or the PostgreSQL database a DATABASE_URL
setting names), killed with SIGKILL and started again.

Started as `make run` starts it (`flask init-db`, `seed-demo`, then gunicorn with
backend/gunicorn_conf.py), on a fixed port and with a fixed secret key, so that a restart
comes back at the same address and every cookie and ticket stays valid.
"""

import itertools
import os
import re
import secrets
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from sqlalchemy import create_engine, text

from e2e.harness import BIN, DEMO_SITE, ROOT
from tests import services

# Seconds; only a guard against a server that never comes up. Beside the browser tests a
# restarted server first works through the requests and handshakes queued while it booted.
START_TIMEOUT = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ChaosServer:
    """One gunicorn (master and app process) in its own process group, on one database."""

    app = "backend:create_app()"  # gunicorn's app; a check of the test itself may swap it
    conf = "backend/gunicorn_conf.py"  # a benchmark may compare with another worker model

    def __init__(self, folder: Path, **settings: str):
        self.port = free_port()
        self.database_path = folder / "vtchat.sqlite"
        self.log_path = folder / "gunicorn.log"
        self.env = {
            **os.environ,
            "VTCHAT_DATABASE_URL": f"sqlite:///{self.database_path}",
            "VTCHAT_CHAT_BASE_URL": self.base,
            "VTCHAT_DEMO_ORIGIN": f"http://127.0.0.1:{self.port}",
            "VTCHAT_SECRET_KEY": secrets.token_hex(32),
            "VTCHAT_BIND": f"127.0.0.1:{self.port}",
            **{f"VTCHAT_{name}": value for name, value in settings.items()},
        }
        self.process: subprocess.Popen | None = None
        self._engine = None  # for query() on a database other than SQLite

    @property
    def base(self) -> str:
        """The chat host: pop-up, console and sockets."""
        return f"http://localhost:{self.port}"

    @property
    def database_url(self) -> str:
        return self.env["VTCHAT_DATABASE_URL"]

    @property
    def secret_key(self) -> str:
        return self.env["VTCHAT_SECRET_KEY"]

    def prepare(self) -> None:
        """The database as `make run` makes it: schema, regions, demo region and sites."""
        for command in ("init-db", "seed-demo"):
            done = subprocess.run(
                [str(BIN / "flask"), "--app", "backend", command],
                cwd=ROOT,
                env=self.env,
                capture_output=True,
                text=True,
            )
            if done.returncode != 0:
                raise RuntimeError(f"flask {command} failed:\n{done.stdout}{done.stderr}")

    def start(self) -> None:
        with open(self.log_path, "a") as log:
            self.process = subprocess.Popen(
                [str(BIN / "gunicorn"), "-c", self.conf, self.app],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: one kill takes master and app
            )
        self._wait_until_up()

    def app_pid(self) -> int:
        """The app process under gunicorn's master (one worker)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return int(children.read_text().split()[0])

    def kill(self) -> None:
        """SIGKILL to master and app at once: no close frames, no cleanup, no last sweep."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
        if self.process is not None:
            services.stop(self.process)

    def query(self, sql: str, *args) -> list[tuple]:
        """Read the server's database directly: what it holds is the truth the test compares.

        `sql` takes its arguments as `?`, on SQLite and PostgreSQL alike.
        """
        if not self.database_url.startswith("sqlite"):
            numbers = itertools.count()
            named = re.sub(r"\?", lambda _mark: f":p{next(numbers)}", sql)
            self._engine = self._engine or create_engine(self.database_url)
            with self._engine.connect() as connection:
                found = connection.execute(text(named), {f"p{n}": a for n, a in enumerate(args)})
                return [tuple(row) for row in found]
        connection = sqlite3.connect(self.database_path, timeout=15)
        try:
            return connection.execute(sql, args).fetchall()
        finally:
            connection.close()

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                with urllib.request.urlopen(f"{self.base}/w/{DEMO_SITE}", timeout=10) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.05)
        raise RuntimeError(f"gunicorn did not come up:\n{self.log_path.read_text()[-3000:]}")
