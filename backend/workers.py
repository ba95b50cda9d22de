"""Worker accounts: add, change a password, disable, end sessions; and `flask worker ...`.

A worker's sessions all carry the session epoch they were made in. Raising the epoch (on
logout, a new password or disabling) ends every one of them at once: each request and each
console socket compares its epoch with the worker's.
"""

import logging
import re
import sys

import click
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from backend import db, passwords
from backend.hub import hub, worker_topic
from backend.models import Region, Worker

log = logging.getLogger(__name__)

USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
REFUSED_TO_START = 3  # gunicorn's "worker failed to boot": the master stops instead of retrying


class AccountError(Exception):
    """A request about accounts that cannot be done; the message says why, for the operator."""


def normalise(username: str) -> str:
    """Usernames are compared without surrounding spaces and case."""
    return (username or "").strip().casefold()


def get(worker_id: int) -> Worker | None:
    with db.session() as s:
        return s.get(Worker, worker_id)


def by_username(username: str) -> Worker | None:
    with db.session() as s:
        return s.exec(select(Worker).where(Worker.username == normalise(username))).first()


def all_workers() -> list[tuple[Worker, str]]:
    """Every worker with the name of their region, by username."""
    with db.session() as s:
        rows = s.exec(
            select(Worker, Region.name)
            .join(Region, Region.code == Worker.region_code)
            .order_by(Worker.username)
        )
        return list(rows)


def check_password(password: str) -> None:
    if len(password) < passwords.MIN_LENGTH:
        raise AccountError(f"A password needs at least {passwords.MIN_LENGTH} characters.")


def check_new(username: str, display_name: str, region_code: str) -> tuple[str, str, str]:
    """Whether such a worker can be added; the username, name and region code to store."""
    username, display_name = normalise(username), display_name.strip()
    if not USERNAME.fullmatch(username):
        raise AccountError(
            "A username is 1 to 64 letters, digits, dots, hyphens or underscores,"
            " starting with a letter or digit."
        )
    if not display_name:
        raise AccountError("The display name may not be empty.")
    with db.session() as s:
        region = s.get(Region, region_code.strip().upper())
        if region is None:
            codes = ", ".join(s.exec(select(Region.code).order_by(Region.code)))
            raise AccountError(f"There is no region {region_code!r}. Regions: {codes}.")
        if s.exec(select(Worker).where(Worker.username == username)).first():
            raise AccountError(f"There already is a worker {username!r}.")
    return username, display_name, region.code


def add(username: str, display_name: str, region_code: str, password: str) -> Worker:
    """A new worker of a region, with a password of their own."""
    username, display_name, region_code = check_new(username, display_name, region_code)
    check_password(password)
    worker = Worker(
        username=username,
        display_name=display_name,
        password_hash=passwords.hash_password(password),
        region_code=region_code,
    )
    with db.session() as s:
        s.add(worker)
        try:
            s.commit()
        except IntegrityError:  # someone else added the same username just now
            raise AccountError(f"There already is a worker {username!r}.") from None
        s.refresh(worker)
    return worker


def _existing(username: str) -> Worker:
    worker = by_username(username)
    if worker is None:
        raise AccountError(f"There is no worker {normalise(username)!r}.")
    return worker


def _change(worker_id: int, **values) -> Worker:
    """Change the worker and raise the session epoch in one go; tell their open consoles."""
    with db.session() as s:
        s.exec(
            update(Worker)
            .where(Worker.id == worker_id)
            .values(session_epoch=Worker.session_epoch + 1, **values)
        )
        s.commit()
        worker = s.get(Worker, worker_id)
    announce(worker)
    return worker


def announce(worker: Worker) -> None:
    """Publish the worker's session state: console sockets of an older epoch close."""
    event = {"type": "session", "epoch": worker.session_epoch, "disabled": worker.disabled}
    hub().publish(worker_topic(worker.id), event)


def end_sessions(worker_id: int) -> None:
    """Every session of this worker ends, on every device: used on logout."""
    _change(worker_id)


def set_sound(worker_id: int, on: bool) -> Worker:
    """The alert sound on or off; it changes nothing about the worker's sessions."""
    with db.session() as s:
        s.exec(update(Worker).where(Worker.id == worker_id).values(sound=on))
        s.commit()
        return s.get(Worker, worker_id)


def set_password(username: str, password: str) -> Worker:
    """A new password; the sessions made with the old one end."""
    check_password(password)
    worker = _existing(username)
    return _change(worker.id, password_hash=passwords.hash_password(password))


def set_disabled(username: str, disabled: bool) -> Worker:
    """Disabling ends the worker's sessions at once; a disabled worker cannot log in."""
    return _change(_existing(username).id, disabled=disabled)


def session_is_current(worker: Worker | None, epoch) -> bool:
    return worker is not None and not worker.disabled and worker.session_epoch == epoch


# ---- demo passwords outside the demo region ------------------------------------------------


def demo_password_holders(progress=None) -> list[str]:
    """Usernames outside the demo region that a known demo password opens (one check each).

    `progress` is called after each check: gunicorn's heartbeat, so that checking hundreds
    of accounts at start is not taken for a worker that hangs.
    """
    from backend.seed import DEMO_PASSWORD

    with db.session() as s:
        candidates = s.exec(
            select(Worker)
            .join(Region, Region.code == Worker.region_code)
            .where(Region.is_demo == False, Worker.disabled == False)  # noqa: E712
            .order_by(Worker.username)
        ).all()
    holders = []
    for worker in candidates:
        if passwords.verify(worker.password_hash, DEMO_PASSWORD):
            holders.append(worker.username)
        if progress is not None:
            progress()
    return holders


def demo_password_problem(progress=None) -> str | None:
    """What is wrong, for the operator, while the public demo password opens a real account."""
    holders = demo_password_holders(progress)
    if not holders:
        return None
    return (
        f"Refusing to run: the demo password opens {', '.join(holders)} outside the demo"
        " region. Give each a password of its own (flask worker passwd USERNAME) or disable"
        " it (flask worker disable USERNAME)."
    )


def check_no_demo_passwords(logger=None, progress=None) -> None:
    """Log an error and exit non-zero while the public demo password opens a real account."""
    problem = demo_password_problem(progress)
    if problem:
        (logger or log).error(problem)
        sys.exit(REFUSED_TO_START)


# ---- the command line --------------------------------------------------------------------------

worker_cli = AppGroup("worker", help="Worker accounts: add, passwd, disable, enable, list.")


def _ask_password() -> str:
    password = click.prompt(
        f"Password (at least {passwords.MIN_LENGTH} characters)",
        hide_input=True,
        confirmation_prompt="Repeat the password",
    )
    check_password(password)
    return password


def _run(action):
    """Do an account action; an AccountError becomes a clear message and exit status 1."""
    try:
        return action()
    except AccountError as error:
        raise click.ClickException(str(error)) from None


@worker_cli.command("add")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="The name visitors see.")
@click.option("--region", "region_code", required=True, help="The region's code, e.g. VT13.")
def add_command(username, display_name, region_code):
    """Add a worker; the password is asked twice."""
    _run(lambda: check_new(username, display_name, region_code))  # before asking a password
    password = _run(_ask_password)
    worker = _run(lambda: add(username, display_name, region_code, password))
    click.echo(f"Added {worker.username} ({worker.display_name}, {worker.region_code}).")


@worker_cli.command("passwd")
@click.argument("username")
def passwd_command(username):
    """Give a worker a new password (asked twice); their sessions end."""
    _run(lambda: _existing(username))
    password = _run(_ask_password)
    worker = _run(lambda: set_password(username, password))
    click.echo(f"New password for {worker.username}; their sessions have ended.")


@worker_cli.command("disable")
@click.argument("username")
def disable_command(username):
    """Stop a worker from logging in; their sessions end at once."""
    worker = _run(lambda: set_disabled(username, True))
    click.echo(f"Disabled {worker.username}; their sessions have ended.")


@worker_cli.command("enable")
@click.argument("username")
def enable_command(username):
    """Let a disabled worker log in again."""
    worker = _run(lambda: set_disabled(username, False))
    click.echo(f"Enabled {worker.username}.")


@worker_cli.command("list")
def list_command():
    """Every worker: username, name, region and whether disabled."""
    rows = all_workers()
    if not rows:
        click.echo("No workers yet: flask worker add USERNAME --name NAME --region CODE")
        return
    width = max(len("username"), *(len(w.username) for w, _ in rows))
    name_width = max(len("name"), *(len(w.display_name) for w, _ in rows))
    click.echo(f"{'username':{width}}  {'name':{name_width}}  disabled  region")
    for worker, region_name in rows:
        disabled = "yes" if worker.disabled else "no"
        click.echo(
            f"{worker.username:{width}}  {worker.display_name:{name_width}}  {disabled:8}  "
            f"{worker.region_code} {region_name}"
        )


@click.command("check-accounts")
@with_appcontext
def check_accounts_command():
    """Exit non-zero while the demo password opens an account outside the demo region."""
    problem = demo_password_problem()
    if problem:
        click.echo(problem, err=True)
        sys.exit(REFUSED_TO_START)
    click.echo("No account outside the demo region has the demo password.")


def init_app(app):
    app.cli.add_command(worker_cli)
    app.cli.add_command(check_accounts_command)
