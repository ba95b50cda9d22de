"""One-time links to choose a password, made by a coordinator or administrator in the console.

The app never mails a password or a link: the manager hands the link over in person or by
phone. A link is signed with the app's secret key (itsdangerous) and holds the worker's id and
a keyed fingerprint of their password hash and session epoch. Setting a password changes both,
so a link works once; it also stops working after MAX_AGE, and when the account is disabled or
changed in between. Nothing is stored: no table of links to keep or clean up.
"""

import hashlib
import hmac
import logging
from datetime import timedelta
from enum import StrEnum

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from backend import clock, workers
from backend.models import Worker

log = logging.getLogger(__name__)

MAX_AGE = timedelta(hours=24)
SALT = "vtchat-password-reset"


class Refused(StrEnum):
    """Why a link does not open the form; the page says it in words."""

    EXPIRED = "expired"  # older than MAX_AGE
    USED = "used"  # the password (or the account) changed since: used, or overtaken
    FORGED = "forged"  # not signed by us, or altered


class LinkRefused(Exception):
    def __init__(self, why: Refused):
        super().__init__(why)
        self.why = why


class _ClockSigner(TimestampSigner):
    """Signs and checks the age by the app's clock, so tests can stand a day later."""

    def get_timestamp(self) -> int:
        return int(clock.now().timestamp())


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=SALT, signer=_ClockSigner)


def _fingerprint(worker: Worker) -> str:
    """Changes with the password hash and the session epoch; tells nothing of either."""
    key = current_app.secret_key
    key = key.encode() if isinstance(key, str) else key
    state = f"{worker.password_hash}\n{worker.session_epoch}".encode()
    return hmac.new(key, b"reset:" + state, hashlib.sha256).hexdigest()[:32]


def make(worker: Worker) -> str:
    """A new link's token for this worker."""
    return _serializer().dumps({"w": worker.id, "f": _fingerprint(worker)})


def check(token: str) -> Worker:
    """The worker whose link this is, while it may still be used; LinkRefused otherwise."""
    try:
        data = _serializer().loads(token, max_age=int(MAX_AGE.total_seconds()))
    except SignatureExpired:
        raise LinkRefused(Refused.EXPIRED) from None
    except BadSignature:
        raise LinkRefused(Refused.FORGED) from None
    if not isinstance(data, dict) or not isinstance(data.get("w"), int):
        raise LinkRefused(Refused.FORGED)
    worker = workers.get(data["w"])
    if worker is None or worker.disabled:
        raise LinkRefused(Refused.USED)
    if not hmac.compare_digest(str(data.get("f", "")), _fingerprint(worker)):
        raise LinkRefused(Refused.USED)
    return worker


def use(token: str, password: str) -> Worker:
    """Set the new password through the link: it then stops working, and so does every session."""
    worker = check(token)
    worker = workers.set_password(worker.username, password)
    log.info("worker %s chose a new password through a reset link", worker.username)
    return worker
