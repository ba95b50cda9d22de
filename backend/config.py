"""Configuration: safe defaults, overridden by VTCHAT_* environment variables."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Each entry: name -> (default, parser). Env var VTCHAT_<NAME> overrides the default.
_SETTINGS = {
    "DATABASE_URL": (f"sqlite:///{ROOT / 'instance' / 'vtchat.sqlite'}", str),
    "SECRET_KEY": ("", str),
    # Public base URL of the chat host, used in the embed snippet and demo pages.
    "CHAT_BASE_URL": ("http://localhost:8000", str),
    # Origin the demo host pages are served from: another site than the chat, as in the field.
    "DEMO_ORIGIN": ("http://127.0.0.1:8000", str),
    # Where "Verberg deze pagina" leads: a neutral site, opened in the top window.
    "QUICK_EXIT_URL": ("https://www.google.nl/", str),
    # Hours after a chat ends before its transcript is deleted.
    "TRANSCRIPT_RETENTION_HOURS": (72, int),
    "TIMEZONE": ("Europe/Amsterdam", str),
    # A waiting visitor without an open pop-up for this long has left the queue.
    "WAITING_GRACE_SECONDS": (300, int),
    # An active chat ends when the visitor has been gone this long (seconds)...
    "VISITOR_GONE_SECONDS": (15 * 60, int),
    # ... or when nobody on either side has written for this long.
    "SILENT_SECONDS": (45 * 60, int),
    # Seconds between rounds of the sweeper (presence and purges; backend/sweeper.py).
    "SWEEP_INTERVAL_SECONDS": (15, int),
    # A process's presence rows count this long after its sweeper last refreshed them.
    "PRESENCE_SECONDS": (45, int),
    # Proxies in front that set X-Forwarded-Proto and -Host (a TLS-terminating one: 1).
    # Only scheme and host are taken from them; the client address never is.
    "PROXY_HOPS": (0, int),
    # Where rate-limit counters live: memory (one process), or redis://... for several.
    "RATELIMIT_STORAGE_URI": ("memory://", str),
    # Seconds between WebSocket pings; a peer that does not answer is dropped.
    "WS_PING_INTERVAL": (25, int),
}


def from_environment() -> dict:
    """Read the settings, letting VTCHAT_* variables override the defaults."""
    config = {}
    for name, (default, parse) in _SETTINGS.items():
        raw = os.environ.get(f"VTCHAT_{name}")
        config[name] = parse(raw) if raw is not None else default
    return config
