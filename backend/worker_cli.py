"""`flask worker ...` and `flask check-accounts`: the operator's commands for accounts."""

import sys

import click
from flask.cli import AppGroup, with_appcontext
from sqlmodel import select

from backend import db, passwords, staffing
from backend.models import Region, Worker, WorkerRole
from backend.workers import (
    REFUSED_TO_START,
    AccountError,
    add,
    all_workers,
    check_new,
    check_password,
    check_place,
    demo_password_problem,
    existing,
    set_capacity,
    set_disabled,
    set_password,
    set_regions,
    set_role,
)

worker_cli = AppGroup(
    "worker",
    help="Worker accounts: add, passwd, disable, enable, regions, role, capacity, list.",
)
ROLES = click.Choice([str(role) for role in WorkerRole], case_sensitive=False)
ROLE_HELP = "worker, coordinator (sees every chat of their regions) or admin (every region)"


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


def _where(worker: Worker) -> str:
    """The regions a worker works for, their own first: "VT20 Utrecht, VT14 Haaglanden"."""
    with db.session() as s:
        names = {code: name for code, name in s.exec(select(Region.code, Region.name))}
    codes = staffing.regions_of(worker) if worker.role != WorkerRole.ADMIN else []
    ordered = [worker.region_code, *(c for c in codes if c != worker.region_code)]
    where = ", ".join(f"{code} {names.get(code, '')}".strip() for code in ordered)
    return where + (" (an administrator: every region)" if worker.role == WorkerRole.ADMIN else "")


@worker_cli.command("add")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="The name visitors see.")
@click.option("--region", "region_code", required=True, help="The region's code, e.g. VT13.")
@click.option("--also", multiple=True, metavar="CODE", help="Another region to work for.")
@click.option("--role", default="worker", type=ROLES, show_default=True, help=ROLE_HELP)
@click.option("--capacity", default=2, show_default=True, help="Chats at once.")
def add_command(username, display_name, region_code, also, role, capacity):
    """Add a worker; the password is asked twice."""
    # Everything is checked before the password is asked.
    _run(lambda: check_new(username, display_name, region_code))
    _run(lambda: check_place(also, role, capacity))
    password = _run(_ask_password)
    worker = _run(lambda: add(username, display_name, region_code, password, also, role, capacity))
    extra = [code for code in staffing.regions_of(worker) if code != worker.region_code]
    also_text = f", also {', '.join(extra)}" if extra else ""
    click.echo(f"Added {worker.username} ({worker.display_name}, {worker.region_code}{also_text}).")
    if worker.role != WorkerRole.WORKER or worker.capacity != 2:
        click.echo(f"Role {worker.role}, {worker.capacity} chats at once.")


@worker_cli.command("passwd")
@click.argument("username")
def passwd_command(username):
    """Give a worker a new password (asked twice); their sessions end."""
    _run(lambda: existing(username))
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


@worker_cli.command("regions")
@click.argument("username")
@click.argument("codes", nargs=-1, required=True, metavar="CODE...")
def regions_command(username, codes):
    """Set the regions a worker works for besides their own (give only their own to clear).

    Their sessions end, so their console shows the new regions at once.
    """
    worker = _run(lambda: set_regions(username, list(codes)))
    click.echo(f"{worker.username} now works for {_where(worker)}; their sessions have ended.")


@worker_cli.command("role")
@click.argument("username")
@click.argument("role", type=ROLES, metavar="ROLE")
def role_command(username, role):
    """Give a worker a role: worker, coordinator or admin; their sessions end.

    A coordinator also sees every active chat of their regions, an admin those of every region.
    """
    worker = _run(lambda: set_role(username, role))
    article = "an" if worker.role == WorkerRole.ADMIN else "a"
    click.echo(f"{worker.username} is now {article} {worker.role}; their sessions have ended.")


@worker_cli.command("capacity")
@click.argument("username")
@click.argument("capacity", type=int)
def capacity_command(username, capacity):
    """How many chats a worker takes at once (1 to 10)."""
    worker = _run(lambda: set_capacity(username, capacity))
    click.echo(f"{worker.username} now takes {worker.capacity} chats at once.")


@worker_cli.command("list")
def list_command():
    """Every worker: username, name, whether disabled, role, capacity and regions."""
    rows = all_workers()
    if not rows:
        click.echo("No workers yet: flask worker add USERNAME --name NAME --region CODE")
        return
    width = max(len("username"), *(len(w.username) for w in rows))
    name_width = max(len("name"), *(len(w.display_name) for w in rows))
    role_width = max(len(role) for role in WorkerRole)
    click.echo(
        f"{'username':{width}}  {'name':{name_width}}  disabled  {'role':{role_width}}"
        "  capacity  regions (own first)"
    )
    for worker in rows:
        disabled = "yes" if worker.disabled else "no"
        click.echo(
            f"{worker.username:{width}}  {worker.display_name:{name_width}}  {disabled:8}  "
            f"{worker.role:{role_width}}  {worker.capacity:<8}  {_where(worker)}"
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
