"""Rate limits on chat starts and messages, counted in Flask-Limiter's storage.

The views ask `allow()` where they decide, instead of wearing decorators: a start counts only
once the form is valid and its region is known (the region is one of the keys), and a refusal
is the visitor's own form again, typed text kept, with a Dutch message next to the field
(HTTP 429). Keys are a keyed hash of the client's address (`extensions.client_key`), a region
code or a chat id, and none is ever logged: not by us, and not by Flask-Limiter (see below).
"""

import logging
import re

from flask import current_app
from flask_babel import gettext as _
from limits import parse_many

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
    items = parse_many(current_app.config[setting])  # a wrong setting fails loudly
    try:
        return all(limiter.limiter.hit(item, setting, key) for item in items)
    except Exception:
        log.warning("Rate-limit storage unreachable: %s not counted", setting)
        return True


def too_many_messages() -> str:
    """Said next to the message box, on either side, when a chat's messages are over the limit."""
    return _("You are sending many messages in a row. Wait a moment and try again.")


# Keys that stand for a client (extensions.client_key) or an account are 32-digit keyed hashes.
_CLIENT_KEY = re.compile(r"\b[0-9a-f]{32}\b")


class HideKeys(logging.Filter):
    """Flask-Limiter names the key of a limit that is exceeded; such a key stands for a client."""

    def filter(self, record):
        message = record.getMessage()
        if _CLIENT_KEY.search(message):
            record.msg, record.args = _CLIENT_KEY.sub("[verborgen]", message), ()
        return True


logging.getLogger("flask-limiter").addFilter(HideKeys())
