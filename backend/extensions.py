"""The Flask extensions, made here and wired to the app in create_app."""

import hashlib
import hmac
import secrets

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_wtf.csrf import CSRFProtect

babel = Babel()
csrf = CSRFProtect()

# Only in this process's memory, and new on every start: a client's key cannot be linked to
# its address by anyone who later reads the limiter's storage.
_CLIENT_KEY_SECRET = secrets.token_bytes(32)


def client_key() -> str:
    """A keyed hash of the client's address, for limits that need to tell clients apart."""
    address = (request.remote_addr or "").encode()
    return hmac.new(_CLIENT_KEY_SECRET, address, hashlib.sha256).hexdigest()[:32]


# Storage comes from RATELIMIT_STORAGE_URI: memory by default, Redis when several processes
# run. Limits are declared where they apply (chat starts, messages, logins).
limiter = Limiter(key_func=client_key, default_limits=[], headers_enabled=False)
