"""A real gunicorn with a seeded SQLite database in a temporary folder, for benchmarks."""

import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Running:
    port: int
    database_url: str
    secret_key: str
    pid: int  # gunicorn's master

    @property
    def base(self) -> str:
        return f"http://localhost:{self.port}"

    def worker_pid(self) -> int:
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()
        return int(children[0])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running(threads: int = 1000):
    with tempfile.TemporaryDirectory() as folder:
        port = _free_port()
        env = {
            **os.environ,
            "VTCHAT_DATABASE_URL": f"sqlite:///{folder}/bench.sqlite",
            "VTCHAT_SECRET_KEY": secrets.token_hex(16),
            "VTCHAT_CHAT_BASE_URL": f"http://localhost:{port}",
            "VTCHAT_DEMO_ORIGIN": f"http://127.0.0.1:{port}",
            "VTCHAT_BIND": f"127.0.0.1:{port}",
            "VTCHAT_THREADS": str(threads),
            "VTCHAT_ACCESS_LOG": "0",
        }
        for command in ("init-db", "seed-demo"):
            subprocess.run(
                [BIN / "flask", "--app", "backend", command],
                env=env,
                cwd=ROOT,
                check=True,
                capture_output=True,
            )
        log_path = Path(folder) / "gunicorn.log"
        with log_path.open("w") as log:
            process = subprocess.Popen(
                [BIN / "gunicorn", "-c", "backend/gunicorn_conf.py", "backend:create_app()"],
                env=env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                for _ in range(100):
                    try:
                        urllib.request.urlopen(f"http://127.0.0.1:{port}/console/login", timeout=1)
                        break
                    except OSError:
                        time.sleep(0.1)
                yield Running(
                    port, env["VTCHAT_DATABASE_URL"], env["VTCHAT_SECRET_KEY"], process.pid
                )
            finally:
                process.terminate()
                process.wait(timeout=15)
