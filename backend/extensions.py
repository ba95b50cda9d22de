"""The Flask extensions, made here and wired to the app in create_app."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_wtf.csrf import CSRFProtect

babel = Babel()
csrf = CSRFProtect()


def _no_default_key() -> str:
    """Every limit names its own key; none is ever taken from the client's address here."""
    raise RuntimeError("a rate limit without its own key_func")


# Storage comes from RATELIMIT_STORAGE_URI: memory by default, Redis when several processes
# run. It holds limits on accounts, regions and chats; limits per client never go there
# (backend/rate_limits.py keeps those in this process's memory).
limiter = Limiter(key_func=_no_default_key, default_limits=[], headers_enabled=False)
