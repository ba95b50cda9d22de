"""Worker passwords: argon2id hashes, each with its own salt, worked out a few at a time.

One argon2 check takes 64 MiB and tens of milliseconds of CPU. Without a bound, forty logins
at once took the process past 2 GiB; so at most PASSWORD_CHECKS run at once and the others
wait their turn. Under gunicorn's gevent worker argon2 (a blocking C call) runs in a real OS
thread of gevent's pool, so the other greenlets (every open WebSocket) keep going meanwhile.
"""

import secrets
import threading
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

_hasher = PasswordHasher()  # argon2id, RFC 9106's low-memory profile, a random salt per hash
# VTCHAT_PASSWORD_HASHING=tests: argon2id still, with 1 MiB and one pass, for the test suite
# alone, where hundreds of logins would otherwise cost minutes of CPU; `flask
# check-deployment` fails with it. A check uses the cost stored in the hash it checks.
_test_hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
COSTS = ("standard", "tests")


def _current() -> PasswordHasher:
    return _test_hasher if current_app.config["PASSWORD_HASHING"] == "tests" else _hasher


MIN_LENGTH = 12


def _gevent_patched() -> bool:
    """True in a process whose threading gevent has monkey-patched (gunicorn's gevent worker)."""
    try:
        from gevent import monkey
    except ImportError:  # pragma: no cover - gevent is a dependency
        return False
    return monkey.is_module_patched("threading")


def _bounded(work, *args):
    """Run `work(*args)` while holding one of the process's argon2 slots."""
    with current_app.extensions["password_slots"]:
        if _gevent_patched():
            import gevent

            # A blocking C call would stop every greenlet: give it a real thread.
            return gevent.get_hub().threadpool.apply(work, args)
        return work(*args)


def hash_password(password: str) -> str:
    return _bounded(_current().hash, password)


def _matches(password_hash: str, password: str) -> bool:
    try:
        # Any hasher checks any hash, by the cost stored in it; this runs in a thread of its
        # own under gevent (no app context), so never _current().
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def verify(password_hash: str, password: str) -> bool:
    """Whether `password` is the one `password_hash` was made from."""
    return _bounded(_matches, password_hash, password)


@cache
def _unknown_user_hash(hasher: PasswordHasher) -> str:
    return hasher.hash(secrets.token_hex(16))


def verify_unknown(password: str) -> bool:
    """For a username nobody has: as much work as a real check, so the answer tells nothing."""
    unknown = _unknown_user_hash(_current())
    return _bounded(lambda: _matches(unknown, password) and False)


def init_app(app):
    # Made with the app, so that under gevent it is the patched (greenlet-aware) semaphore.
    app.extensions["password_slots"] = threading.BoundedSemaphore(app.config["PASSWORD_CHECKS"])
