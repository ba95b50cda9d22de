"""Worker accounts: add, change a password, disable, end sessions (the commands: worker_cli).

Also where a worker works and how much: their regions, role and capacity.

A worker's sessions all carry the session epoch they were made in. Raising the epoch (on
logout, a new password or disabling) ends every one of them at once: each request and each
console socket compares its epoch with the worker's.
"""

import logging
import re
import secrets
import sys

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from backend import db, passwords, staffing
from backend.hub import hub, worker_topic
from backend.models import Region, Worker, WorkerRole

log = logging.getLogger(__name__)

USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
REFUSED_TO_START = 3  # gunicorn's "worker failed to boot": the master stops instead of retrying
MAX_CAPACITY = 10  # chats at once; more cannot be followed with care


class AccountError(Exception):
    """A request about accounts that cannot be done; the message says why, for the operator."""


def normalise(username: str) -> str:
    """Usernames are compared without surrounding spaces and case."""
    return (username or "").strip().casefold()


def get(worker_id: int) -> Worker | None:
    with db.session() as s:
        return s.get(Worker, worker_id)


def several(worker_ids) -> list[Worker]:
    """The workers with these ids, in one query."""
    with db.session() as s:
        return list(s.exec(select(Worker).where(Worker.id.in_(list(worker_ids)))))


def by_username(username: str) -> Worker | None:
    if "\0" in username:  # no account has one, and PostgreSQL takes no NUL in text
        return None
    with db.session() as s:
        return s.exec(select(Worker).where(Worker.username == normalise(username))).first()


def all_workers() -> list[Worker]:
    """Every worker, by username."""
    with db.session() as s:
        return list(s.exec(select(Worker).order_by(Worker.username)))


def _region_code(code: str) -> str:
    """The stored code of an existing region; an AccountError naming the regions otherwise."""
    with db.session() as s:
        region = s.get(Region, code.strip().upper())
        if region is None:
            codes = ", ".join(s.exec(select(Region.code).order_by(Region.code)))
            raise AccountError(f"There is no region {code!r}. Regions: {codes}.")
        return region.code


def _role(role: str) -> WorkerRole:
    try:
        return WorkerRole(role.strip().lower())
    except ValueError:
        roles = ", ".join(WorkerRole)
        raise AccountError(f"There is no role {role!r}. Roles: {roles}.") from None


def _capacity(capacity: int) -> int:
    if not 1 <= capacity <= MAX_CAPACITY:
        raise AccountError(f"A capacity is 1 to {MAX_CAPACITY} chats at once.")
    return capacity


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
    region_code = _region_code(region_code)
    if by_username(username) is not None:
        raise AccountError(f"There already is a worker {username!r}.")
    return username, display_name, region_code


def check_place(
    also: tuple[str, ...] = (), role: str = WorkerRole.WORKER, capacity: int = 2
) -> tuple[list[str], WorkerRole, int]:
    """Whether a worker can have these extra regions, role and capacity; the values to store."""
    return [_region_code(code) for code in also], _role(role), _capacity(capacity)


def add(
    username: str,
    display_name: str,
    region_code: str,
    password: str | None,
    also: tuple[str, ...] = (),
    role: str = WorkerRole.WORKER,
    capacity: int = 2,
) -> Worker:
    """A new worker of a region (and perhaps of more), with a password of their own.

    Without a password (an account made in the console) the hash is of a random one nobody
    knows: the worker chooses their own through a reset link (backend/password_reset.py).
    """
    username, display_name, region_code = check_new(username, display_name, region_code)
    also_codes, role, capacity = check_place(also, role, capacity)
    if password is None:
        password = secrets.token_urlsafe(32)
    check_password(password)
    worker = Worker(
        username=username,
        display_name=display_name,
        password_hash=passwords.hash_password(password),
        region_code=region_code,
        role=role,
        capacity=capacity,
    )
    with db.session() as s:
        s.add(worker)
        try:
            s.commit()
        except IntegrityError:  # someone else added the same username just now
            raise AccountError(f"There already is a worker {username!r}.") from None
        s.refresh(worker)
    for code in also_codes:
        if code != region_code:
            staffing.add_region(worker.id, code)
    return worker


def existing(username: str) -> Worker:
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
        worker = s.get(Worker, worker_id)
    # Open consoles of this worker go by the new setting from now on.
    hub().publish(worker_topic(worker_id), {"type": "settings"})
    return worker


def set_password(username: str, password: str) -> Worker:
    """A new password; the sessions made with the old one end."""
    check_password(password)
    worker = existing(username)
    return _change(worker.id, password_hash=passwords.hash_password(password))


def set_display_name(username: str, display_name: str) -> Worker:
    """The name visitors see from the next chat on; sessions go on."""
    display_name = display_name.strip()
    if not display_name:
        raise AccountError("The display name may not be empty.")
    worker = existing(username)
    with db.session() as s:
        s.exec(update(Worker).where(Worker.id == worker.id).values(display_name=display_name))
        s.commit()
        return s.get(Worker, worker.id)


def set_role(username: str, role: str) -> Worker:
    """Worker, coordinator or administrator; what the console shows changes, so sessions end."""
    role = _role(role)
    return _change(existing(username).id, role=role)


def set_regions(username: str, codes: list[str]) -> Worker:
    """The regions a worker works for besides their own, exactly these; sessions end.

    An open console keeps following the queues it was opened with: only a new session shows
    the worker what they may see now, and no longer what they may not.
    """
    worker = existing(username)
    extra = [code for code in map(_region_code, codes) if code != worker.region_code]
    before = staffing.regions_of(worker)
    staffing.set_regions(worker.id, extra)
    worker = _change(worker.id)
    staffing.changed(sorted(set(before) | set(staffing.regions_of(worker))))
    return worker


def set_capacity(username: str, capacity: int) -> Worker:
    """How many chats a worker takes at once; their open console redraws its queue."""
    capacity = _capacity(capacity)
    worker = existing(username)
    with db.session() as s:
        s.exec(update(Worker).where(Worker.id == worker.id).values(capacity=capacity))
        s.commit()
        worker = s.get(Worker, worker.id)
    hub().publish(worker_topic(worker.id), {"type": "availability"})
    return worker


def set_disabled(username: str, disabled: bool) -> Worker:
    """Disabling ends the worker's sessions at once; a disabled worker cannot log in."""
    return _change(existing(username).id, disabled=disabled)


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
