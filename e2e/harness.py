"""The e2e harness: where things are, and the server under test (also used by bench/).

The server is one gunicorn on SQLite, or two behind nginx on PostgreSQL and Redis; the
services themselves come from tests/services.py.
"""

import itertools
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests import services

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


STACK_VARIABLE = "VTCHAT_E2E_STACK"
# What the e2e session's server is: one gunicorn on SQLite (as `make run`), or PostgreSQL and
# the Redis hub under two gunicorn masters behind nginx (as a deployment).
STACKS = ("sqlite", "postgres-nginx")


@dataclass(eq=False)
class Instance:
    """One gunicorn master and its app process, on a port of its own; stopped, started or
    killed on its own, as in a rolling restart or a crash."""

    name: str
    port: int
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen | None = None

    @property
    def pid(self) -> int:
        """gunicorn's master process."""
        return self.process.pid

    @property
    def base(self) -> str:
        """This instance reached directly, past any proxy."""
        return f"http://localhost:{self.port}"

    def start(self) -> None:
        with open(self.log_path, "a") as log:
            self.process = subprocess.Popen(
                [str(BIN / "gunicorn"), "-c", "backend/gunicorn_conf.py", "backend:create_app()"],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: kill() takes master and app
            )
        _wait_until_up(f"{self.base}/w/{DEMO_SITE}", self.process, self.log_path)

    def stop(self) -> None:
        """As a deploy stops it (SIGTERM): its sockets are closed with 1012, and it exits."""
        if self.process is not None:
            services.stop(self.process)

    def restart(self) -> None:
        """Stopped, then started again on the same port: one step of a rolling restart."""
        self.stop()
        self.start()

    def kill(self) -> None:
        """SIGKILL to master and app at once: no close frames, no clean-up."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


@dataclass(frozen=True)
class Server:
    """The app under test: browsers go to `port` (nginx, or the one instance)."""

    port: int
    database_url: str
    log_path: Path  # the first instance's gunicorn log
    secret_key: str
    instances: tuple[Instance, ...]
    stack: str = "sqlite"
    hub_url: str = "memory://"
    proxy_log: Path | None = None  # nginx's error log, when nginx is in front

    @property
    def pid(self) -> int:
        """gunicorn's master process (of the first instance)."""
        return self.instances[0].pid

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

    def launcher_css_url(self, site_key: str = DEMO_SITE) -> str:
        """The one stylesheet a host page asks of us: the launcher's with the site's theme."""
        return f"{self.chat_base}/embed/v1/sites/{site_key}/launcher.css"

    def host_url(self, site_key: str = DEMO_SITE, page: str | None = None) -> str:
        url = f"{self.host_base}/demo/{site_key}"
        return f"{url}?page={page}" if page else url

    def pinned_to(self, n: int) -> dict[str, str]:
        """Headers that make nginx send a browser's requests to instance `n` only.

        For `new_context(extra_http_headers=server.pinned_to(0))`: a visitor on one instance
        and a worker on the other, both through nginx. Without nginx there is one instance.
        """
        if self.proxy_log is None:
            return {}
        return {services.INSTANCE_HEADER: str(n)}

    def logs(self) -> list[tuple[str, Path]]:
        """Every log of the stack, named: each gunicorn's, and nginx's errors."""
        named = [(f"gunicorn {i.name}", i.log_path) for i in self.instances]
        if self.proxy_log is not None:
            named.append(("nginx errors", self.proxy_log))
        return named


def _free_port() -> int:
    return services.free_port()


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
            time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer on {url}:\n{log_path.read_text()}")


def _prepare(env: dict[str, str]) -> None:
    """The database as `make run` makes it: schema, regions, demo region and sites."""
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


def stack_of_session() -> str:
    """The stack the e2e session runs on (VTCHAT_E2E_STACK), sqlite unless set."""
    stack = os.environ.get(STACK_VARIABLE) or "sqlite"
    if stack not in STACKS:
        raise ValueError(f"{STACK_VARIABLE}={stack}: one of {', '.join(STACKS)}")
    return stack


@contextmanager
def serve(folder: Path, stack: str = "sqlite", instances: int = 2, **settings: str):
    """The app served by gunicorn on a seeded database, as `make run` or a deployment has it.

    stack "sqlite": a SQLite database in `folder` and one gunicorn on a free port.
    stack "postgres-nginx": a PostgreSQL database (on the server VTCHAT_TEST_DATABASE_URL
    names, else a throwaway one), a throwaway Redis for the hub and the rate limits, and
    `instances` gunicorn masters on ports of their own behind nginx (tests/services.py).
    `settings` are extra VTCHAT_* variables without the prefix, e.g. MAX_SOCKETS="2000";
    a DATABASE_URL or SECRET_KEY among them is used as given.
    """
    if stack not in STACKS:
        raise ValueError(f"stack {stack!r}: one of {', '.join(STACKS)}")
    with ExitStack() as running:
        proxied = stack == "postgres-nginx"
        port = _free_port()  # where browsers go
        database_url = settings.get("DATABASE_URL") or (
            _postgres_database(running) if proxied else f"sqlite:///{folder / 'vtchat.sqlite'}"
        )
        env = {
            **os.environ,
            "VTCHAT_DATABASE_URL": database_url,
            "VTCHAT_CHAT_BASE_URL": f"http://localhost:{port}",
            "VTCHAT_DEMO_ORIGIN": f"http://127.0.0.1:{port}",
            "VTCHAT_SECRET_KEY": secrets.token_hex(32),
            # argon2 at the test suite's cost: the browser tests log in often.
            "VTCHAT_PASSWORD_HASHING": "tests",
            # Pages without JavaScript reload sooner: the tests wait for those reloads.
            "VTCHAT_NOSCRIPT_REFRESH_SECONDS": "2",
        }
        if proxied:
            redis = running.enter_context(services.redis())
            env |= {
                "VTCHAT_PROXY_HOPS": "1",  # nginx sets X-Forwarded-Proto and -Host
                "VTCHAT_HUB_URL": redis.url(0),
                "VTCHAT_RATELIMIT_STORAGE_URI": redis.url(1),
            }
        env |= {f"VTCHAT_{name}": value for name, value in settings.items()}
        _prepare(env)
        ports = [_free_port() for _ in range(instances)] if proxied else [port]
        started = []
        for n, own_port in enumerate(ports):
            instance = Instance(
                str(n),
                own_port,
                {**env, "VTCHAT_BIND": f"127.0.0.1:{own_port}"},
                folder / ("gunicorn.log" if n == 0 else f"gunicorn-{n}.log"),
            )
            running.callback(instance.stop)
            instance.start()
            started.append(instance)
        proxy_log = None
        if proxied:
            proxy = running.enter_context(services.nginx(ports, port=port))
            proxy_log = proxy.error_log
            _wait_until_up(f"http://localhost:{port}/w/{DEMO_SITE}", started[0].process, proxy_log)
        yield Server(
            port,
            database_url,
            started[0].log_path,
            env["VTCHAT_SECRET_KEY"],
            tuple(started),
            stack,
            env.get("VTCHAT_HUB_URL", "memory://"),
            proxy_log,
        )


def _postgres_database(running: ExitStack) -> str:
    """A new, empty database for one server: on the test run's PostgreSQL, else a new one.

    Dropped afterwards; the throwaway server goes with its folder.
    """
    given = os.environ.get(services.DATABASE_URL_VARIABLE)
    server = (
        services.Postgres.from_url(given) if given else running.enter_context(services.postgres())
    )
    name = f"vtchat_e2e_{os.getpid()}_{next(_numbers)}"
    server.drop_database(name)
    url = server.create_database(name)
    running.callback(server.drop_database, name)
    return url


_numbers = itertools.count()
