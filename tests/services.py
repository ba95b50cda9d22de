"""Throwaway PostgreSQL, Redis and nginx for the tests, the e2e harness and bench/.

Each runs Debian's own binaries from a temporary folder on a free port, in the foreground of a
child process, and is stopped and its folder deleted when its context manager exits. Nothing
is installed, registered or left running. A missing binary raises `Unavailable`, whose message
says what is missing and the one command that installs it.

    python -m tests.services postgresql redis -- pytest -n 2

runs a command with a fresh server of each kind named, its address in the environment
(VTCHAT_TEST_DATABASE_URL, VTCHAT_TEST_REDIS_URL), so all pytest workers share them.
"""

import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

START_TIMEOUT = 30  # seconds; only a guard against a server that never comes up
# The Debian packages that hold each service's binaries.
PACKAGES = {"postgresql": "postgresql", "redis": "redis-server", "nginx": "nginx"}
DATABASE_URL_VARIABLE = "VTCHAT_TEST_DATABASE_URL"
REDIS_URL_VARIABLE = "VTCHAT_TEST_REDIS_URL"


class Unavailable(RuntimeError):
    """A service's binaries are not installed: the message names them and the apt command."""


def install_command(services: Sequence[str]) -> str:
    packages = " ".join(PACKAGES[name] for name in services)
    sudo = "" if os.geteuid() == 0 else "sudo "
    return f"{sudo}apt-get install -y {packages}"


def _unavailable(service: str, what: str) -> Unavailable:
    return Unavailable(f"{what} not found; install it with: {install_command([service])}")


def postgres_bin() -> Path:
    """The newest PostgreSQL of Debian's packages: the folder with initdb and postgres."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/postgres"),
        key=lambda path: int(path.parent.parent.name) if path.parent.parent.name.isdigit() else 0,
    )
    for binary in reversed(found):
        if (binary.parent / "initdb").exists():
            return binary.parent
    raise _unavailable("postgresql", "PostgreSQL (/usr/lib/postgresql/*/bin/initdb, postgres)")


def redis_bin() -> Path:
    found = shutil.which("redis-server") or shutil.which("redis-server", path="/usr/bin")
    if not found:
        raise _unavailable("redis", "Redis (redis-server)")
    return Path(found)


def nginx_bin() -> Path:
    # /usr/sbin is not on every user's PATH.
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/bin")
    if not found:
        raise _unavailable("nginx", "nginx")
    return Path(found)


_FINDERS = {"postgresql": postgres_bin, "redis": redis_bin, "nginx": nginx_bin}


def missing(services: Sequence[str] = tuple(PACKAGES)) -> list[str]:
    """Of the services named, those whose binaries are not installed."""
    absent = []
    for name in services:
        try:
            _FINDERS[name]()
        except Unavailable:
            absent.append(name)
    return absent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _service_user() -> pwd.struct_passwd | None:
    """Who runs PostgreSQL when we are root (it refuses to run as root); None otherwise."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise Unavailable("Running as root, and there is no user `postgres` or `nobody` to run it")


@contextmanager
def _folder(prefix: str, owner: pwd.struct_passwd | None = None) -> Iterator[Path]:
    # Not pytest's tmp_path: that is root's alone, and PostgreSQL may run as another user.
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    if owner is not None:
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    """Ask a server started in a process group of its own to stop; after 15 s, kill the group."""
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _wait(ready, process: subprocess.Popen, log: Path, what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline and process.poll() is None:
        try:
            ready()
            return
        except Exception:
            time.sleep(0.05)
    text = log.read_text(errors="replace")[-3000:] if log.exists() else ""
    raise RuntimeError(f"{what} did not come up:\n{text}")


# ---- PostgreSQL -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Postgres:
    """A running PostgreSQL, reached over its Unix socket in `socket_dir` as `user`."""

    socket_dir: str
    port: int
    user: str

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL of one of its databases."""
        return (
            f"postgresql+psycopg://{self.user}@/{database}?host={self.socket_dir}&port={self.port}"
        )

    @classmethod
    def from_url(cls, url: str) -> "Postgres":
        """The server of a URL as `url()` writes it (VTCHAT_TEST_DATABASE_URL)."""
        from sqlalchemy.engine import make_url

        parsed = make_url(url)
        host = parsed.query.get("host") or parsed.host or "/var/run/postgresql"
        return cls(str(host), int(parsed.query.get("port") or parsed.port or 5432), parsed.username)

    def connect(self, database: str = "postgres"):
        """A psycopg connection in autocommit, for what cannot run in a transaction."""
        import psycopg

        return psycopg.connect(
            host=self.socket_dir,
            port=self.port,
            user=self.user,
            dbname=database,
            autocommit=True,
        )

    def create_database(self, name: str, template: str = "template0") -> str:
        """A new database copied from `template`; its URL."""
        with self.connect() as connection:
            # Copying the files is three times faster for a small template than PostgreSQL
            # 15's default (through the WAL); before 15 it was the only way, and unnamed.
            fast = " STRATEGY FILE_COPY" if connection.info.server_version >= 150000 else ""
            connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"{fast}')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop it, ending any session still on it (a server under test may still hold one)."""
        with self.connect() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def postgres() -> Iterator[Postgres]:
    """A fresh PostgreSQL cluster in a temporary folder, listening on a Unix socket only.

    Durability is off (fsync, synchronous commit): a crash only loses a test's database.
    The server's time zone is the Netherlands', as on a Dutch host: a query that only gives
    the right answer in UTC shows up.
    """
    binaries = postgres_bin()
    owner = _service_user()
    user = "vtchat"
    with _folder("vtchat-pg-", owner) as folder:
        data, log = folder / "data", folder / "postgres.log"
        as_owner = {"user": owner.pw_uid, "group": owner.pw_gid} if owner else {}
        env = {"PATH": os.environ.get("PATH", ""), "LC_ALL": "C.UTF-8"}
        done = subprocess.run(
            [
                str(binaries / "initdb"),
                "--pgdata",
                str(data),
                "--username",
                user,
                "--auth",
                "trust",
                "--encoding",
                "UTF8",
                "--locale",
                "C.UTF-8",
                "--no-sync",
            ],
            capture_output=True,
            text=True,
            cwd=folder,
            env=env,
            **as_owner,
        )
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{done.stdout}{done.stderr}")
        port = free_port()  # only names the socket file: nothing listens on TCP
        settings = {
            "listen_addresses": "",
            "unix_socket_directories": str(folder),
            "port": str(port),
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "300",
            "timezone": "Europe/Amsterdam",
        }
        with open(log, "w") as out:
            if owner:
                os.chown(log, owner.pw_uid, owner.pw_gid)
            process = subprocess.Popen(
                [str(binaries / "postgres"), "-D", str(data)]
                + [arg for name, value in settings.items() for arg in ("-c", f"{name}={value}")],
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=folder,
                env=env,
                start_new_session=True,
                **as_owner,
            )
        server = Postgres(str(folder), port, user)
        try:
            _wait(lambda: server.connect().close(), process, log, "PostgreSQL")
            yield server
        finally:
            stop(process, signal.SIGINT)  # "fast" shutdown: sessions are ended, no waiting


# ---- Redis ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Redis:
    port: int

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def ping(self) -> None:
        import redis

        with redis.Redis(port=self.port, socket_timeout=2) as client:
            client.ping()


@contextmanager
def redis() -> Iterator[Redis]:
    """A fresh Redis on a free port of 127.0.0.1, keeping nothing on disk."""
    binary = redis_bin()
    with _folder("vtchat-redis-") as folder:
        log = folder / "redis.log"
        port = free_port()
        with open(log, "w") as out:
            process = subprocess.Popen(
                [
                    str(binary),
                    "--port",
                    str(port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(folder),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=folder,
                start_new_session=True,
            )
        server = Redis(port)
        try:
            _wait(server.ping, process, log, "Redis")
            yield server
        finally:
            stop(process)


# ---- nginx ------------------------------------------------------------------------------------

# Which instance a request goes to: round robin, or the one a test names in this header
# (Playwright's extra_http_headers), so a visitor on one instance and a worker on the other
# both still pass through nginx.
INSTANCE_HEADER = "X-Test-Instance"

NGINX_CONF = """\
daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
{user}
events {{ worker_connections 4096; }}

http {{
    access_log off;
    client_body_temp_path {folder}/client_body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;

    map $http_upgrade $connection_upgrade {{
        default upgrade;
        "" close;
    }}
    map $http_x_test_instance $instance {{
        default every;
{pins}
    }}
    upstream every {{
{servers}
    }}
{singles}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://$instance;
            proxy_http_version 1.1;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $http_host;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            # A restarted instance: the request goes to the other one instead.
            proxy_next_upstream error timeout http_502;
            proxy_connect_timeout 2s;
            proxy_read_timeout 1h;
            proxy_send_timeout 1h;
        }}
    }}
}}
"""


@dataclass(frozen=True)
class Nginx:
    port: int
    folder: Path

    @property
    def error_log(self) -> Path:
        return self.folder / "error.log"


def nginx_conf(folder: Path, port: int, upstreams: Sequence[int]) -> str:
    """nginx in front of the app instances on `upstreams` (ports of 127.0.0.1)."""
    return NGINX_CONF.format(
        folder=folder,
        port=port,
        # Its workers would drop to `nobody`, who may not write the folder.
        user="user root;" if os.geteuid() == 0 else "",
        servers="\n".join(f"        server 127.0.0.1:{p} max_fails=0;" for p in upstreams),
        pins="\n".join(f'        "{n}" instance{n};' for n in range(len(upstreams))),
        singles="\n".join(
            f"    upstream instance{n} {{ server 127.0.0.1:{p}; }}" for n, p in enumerate(upstreams)
        ),
    )


@contextmanager
def nginx(upstreams: Sequence[int], port: int | None = None) -> Iterator[Nginx]:
    """nginx on a free port of 127.0.0.1 (plain HTTP), proxying to the given ports.

    It sets X-Forwarded-Proto and X-Forwarded-Host, never X-Forwarded-For: the app behind
    it runs with PROXY_HOPS=1 and learns no visitor's address.
    """
    binary = nginx_bin()
    with _folder("vtchat-nginx-") as folder:
        port = port or free_port()
        conf = folder / "nginx.conf"
        conf.write_text(nginx_conf(folder, port, upstreams))
        log = folder / "error.log"
        process = subprocess.Popen(
            [str(binary), "-p", str(folder), "-c", str(conf), "-e", str(log)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=folder,
            start_new_session=True,
        )
        running = Nginx(port, folder)

        def answers() -> None:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()

        try:
            _wait(answers, process, log, "nginx")
            yield running
        finally:
            stop(process)  # SIGTERM: at once, open WebSockets and all


# ---- the command line -------------------------------------------------------------------------


@contextmanager
def environment(services: Sequence[str]) -> Iterator[dict[str, str]]:
    """The services named running, and the variables that point the tests at them."""
    with ExitStack() as stack:
        variables = {}
        if "postgresql" in services:
            server = stack.enter_context(postgres())
            variables[DATABASE_URL_VARIABLE] = server.url()
        if "redis" in services:
            variables[REDIS_URL_VARIABLE] = stack.enter_context(redis()).url()
        yield variables


def main(argv: Sequence[str]) -> int:
    """`python -m tests.services SERVICE... -- COMMAND...`: run COMMAND with the services up."""
    if "--" not in argv:
        print(__doc__, file=sys.stderr)
        return 2
    split = list(argv).index("--")
    services, command = list(argv[:split]), list(argv[split + 1 :])
    unknown = set(services) - set(PACKAGES)
    if unknown or not command:
        print(f"usage: python -m tests.services {' '.join(PACKAGES)} -- COMMAND", file=sys.stderr)
        return 2
    absent = missing(services)
    if absent:
        print(f"missing: {', '.join(absent)}; {install_command(absent)}", file=sys.stderr)
        return 3
    with environment(services) as variables:
        done = subprocess.run(command, env={**os.environ, **variables})
    return done.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
