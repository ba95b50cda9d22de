"""Rate limits on chat starts and messages, counted in Flask-Limiter's storage.

The views ask `allow()` where they decide, instead of wearing decorators: a start counts only
once the form is valid and its region is known (the region is one of the keys), and a refusal
is the visitor's own form again, typed text kept, with a Dutch message next to the field
(HTTP 429). Keys are a region code, a chat id or an account's keyed hash, counted in the shared
storage; or a client, counted only here (below). None is ever logged: not by us, and not by
Flask-Limiter (see the end).

Limits per client are the one use of the client's address: a keyed hash of it, with a secret
that lives only in this process's memory, counted only in this process's memory for the
window, never written to a shared storage and never logged.
"""

import hashlib
import hmac
import logging
import re
import secrets
import time

from flask import current_app, request
from flask_babel import gettext as _
from limits import parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from backend.extensions import limiter

TOO_MANY_REQUESTS = 429

log = logging.getLogger(__name__)


def allow(setting: str, key: str) -> bool:
    """Count one try against the limits in config[setting] for `key`; False once one is spent.

    When the limiter's storage (Redis) cannot be reached the try goes through: a visitor in
    need is never refused because a counter is away.
    """
    if not limiter.enabled:
        return True
    try:
        return all(limiter.limiter.hit(item, setting, key) for item in _items(setting))
    except Exception:
        log.warning("Rate-limit storage unreachable: %s not counted", setting)
        return True


# New on every start, and only ever in memory: a key cannot be linked back to an address.
_CLIENT_SECRET = secrets.token_bytes(32)


def init_app(app):
    # Per app, in this process's memory: whatever storage the other limits use.
    app.extensions["per_client_limits"] = MovingWindowRateLimiter(MemoryStorage())


def _per_client() -> MovingWindowRateLimiter:
    return current_app.extensions["per_client_limits"]


def client_key() -> str:
    """A keyed hash of the client's address, for limits that need to tell clients apart."""
    address = (request.remote_addr or "").encode()  # read for this, and never kept
    return hmac.new(_CLIENT_SECRET, address, hashlib.sha256).hexdigest()[:32]


def allow_client(setting: str) -> bool:
    """Count one try of this client against config[setting]; False once one is spent."""
    if not limiter.enabled:
        return True
    key = client_key()
    allowed = all(_per_client().hit(item, setting, key) for item in _items(setting))
    if not allowed:
        log.info("per-client limit %s exceeded", setting)
    return allowed


def client_wait(setting: str) -> float | None:
    """Seconds until this client may try again, without counting a try; None if it may now."""
    if not limiter.enabled:
        return None
    key = client_key()
    waits = [
        _per_client().get_window_stats(item, setting, key).reset_time
        for item in _items(setting)
        if not _per_client().test(item, setting, key)
    ]
    if not waits:
        return None
    log.info("per-client limit %s exceeded", setting)
    return max(waits) - time.time()


def count_client(setting: str) -> None:
    """Count one try of this client (a failed login) against config[setting]."""
    if limiter.enabled:
        key = client_key()
        for item in _items(setting):
            _per_client().hit(item, setting, key)


def _items(setting: str):
    return parse_many(current_app.config[setting])  # a wrong setting fails loudly


def too_many_messages() -> str:
    """Said next to the message box, on either side, when a chat's messages are over the limit."""
    return _("You are sending many messages in a row. Wait a moment and try again.")


# Keys that stand for an account (or a client) are 32-digit keyed hashes.
_CLIENT_KEY = re.compile(r"\b[0-9a-f]{32}\b")


class HideKeys(logging.Filter):
    """Flask-Limiter names the key of a limit that is exceeded; such a key stands for a client."""

    def filter(self, record):
        message = record.getMessage()
        if _CLIENT_KEY.search(message):
            record.msg, record.args = _CLIENT_KEY.sub("[verborgen]", message), ()
        return True


logging.getLogger("flask-limiter").addFilter(HideKeys())
