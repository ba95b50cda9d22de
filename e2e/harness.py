"""The e2e harness: where things are, and the server under test (also used by bench/)."""

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # flask and gunicorn of the virtualenv running pytest
SCREENSHOTS = ROOT / "docs" / "screenshots"
ARTIFACTS = ROOT / "e2e" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # A page that a test serves with page.route counts as a public site, and Local Network
    # Access would then refuse its frames to localhost before frame-ancestors is even read.
    "--disable-features=LocalNetworkAccessChecks",
]
TIMEOUT_MS = 10_000
DEMO_SITE = "demo-utrecht"
VIEWPORT = {"width": 1280, "height": 800}


@dataclass(frozen=True)
class Server:
    port: int
    database_url: str
    log_path: Path
    secret_key: str
    pid: int  # gunicorn's master process

    @property
    def chat_base(self) -> str:
        """Where the chat itself lives: the widget, the console, the WebSockets."""
        return f"http://localhost:{self.port}"

    @property
    def host_base(self) -> str:
        """The demo host site: another site than the chat."""
        return f"http://127.0.0.1:{self.port}"

    def widget_url(self, site_key: str = DEMO_SITE) -> str:
        return f"{self.chat_base}/w/{site_key}"

    def host_url(self, site_key: str = DEMO_SITE, page: str | None = None) -> str:
        url = f"{self.host_base}/demo/{site_key}"
        return f"{url}?page={page}" if page else url


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer on {url}:\n{log_path.read_text()}")


@contextmanager
def serve(folder: Path, **settings: str) -> Iterator[Server]:
    """A seeded SQLite database in `folder` and gunicorn serving the app on a free port.

    `settings` are extra VTCHAT_* variables without the prefix, e.g. MAX_SOCKETS="2000".
    """
    port = _free_port()
    database_url = f"sqlite:///{folder / 'vtchat.sqlite'}"
    env = {
        **os.environ,
        "VTCHAT_DATABASE_URL": database_url,
        "VTCHAT_CHAT_BASE_URL": f"http://localhost:{port}",
        "VTCHAT_DEMO_ORIGIN": f"http://127.0.0.1:{port}",
        "VTCHAT_SECRET_KEY": secrets.token_hex(32),
        "VTCHAT_BIND": f"127.0.0.1:{port}",
        **{f"VTCHAT_{name}": value for name, value in settings.items()},
    }
    for command in ("init-db", "seed-demo"):
        done = subprocess.run(
            [str(BIN / "flask"), "--app", "backend", command],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise RuntimeError(f"flask {command} failed:\n{done.stdout}{done.stderr}")
    log_path = folder / "gunicorn.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "backend/gunicorn_conf.py", "backend:create_app()"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = Server(port, database_url, log_path, env["VTCHAT_SECRET_KEY"], process.pid)
    try:
        _wait_until_up(f"{server.chat_base}/w/{DEMO_SITE}", process, log_path)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
