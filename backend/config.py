"""Configuration: safe defaults, overridden by VTCHAT_* environment variables."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Each entry: name -> (default, parser). Env var VTCHAT_<NAME> overrides the default.
_SETTINGS = {
    "DATABASE_URL": (f"sqlite:///{ROOT / 'instance' / 'vtchat.sqlite'}", str),
    # At start, refuse a missing database or one not at the newest migration (backend/db.py).
    # 0 only for tests that make their database after the app.
    "CHECK_DATABASE": (True, lambda raw: raw != "0"),
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
    # 0: a `flask run-sweeper` service (deploy/systemd) sweeps for everyone, and each app
    # process only renews its own presence rows and console sessions. It needs a shared hub.
    "SWEEP_IN_APP": (True, lambda raw: raw != "0"),
    # A process's presence rows count this long after its sweeper last refreshed them.
    "PRESENCE_SECONDS": (45, int),
    # Someone whose last socket closed is shown as gone after this long (a reload is not
    # leaving); the sweeper's next round says so.
    "AWAY_AFTER_SECONDS": (10, int),
    # Proxies in front that set X-Forwarded-Proto and -Host (a TLS-terminating one: 1).
    # Only scheme and host are taken from them; the client address never is.
    "PROXY_HOPS": (0, int),
    # The hub that carries events between processes: memory:// (one process), or
    # redis://host:port/db for several processes or machines (docs/hub.md says why Redis).
    "HUB_URL": ("memory://", str),
    # Where rate-limit counters live: memory (one process), or redis://... for several.
    "RATELIMIT_STORAGE_URI": ("memory://", str),
    # Chats one client (a keyed hash of its address, in memory only) may start, and chats
    # one region's queue takes, within the window: a flood of fake chats fills no queue.
    "START_LIMIT_PER_CLIENT": ("5 per 10 minutes", str),
    "START_LIMIT_PER_REGION": ("30 per minute", str),
    # Messages one chat may send from each side within the window.
    "VISITOR_MESSAGE_LIMIT": ("20 per minute;5 per 5 seconds", str),
    "WORKER_MESSAGE_LIMIT": ("60 per minute;10 per 5 seconds", str),
    # Bytes a request body may hold (a form post; far more than a 2,000-character message).
    "MAX_CONTENT_LENGTH": (64 * 1024, int),
    "MAX_FORM_MEMORY_SIZE": (64 * 1024, int),
    "MAX_FORM_PARTS": (50, int),
    # Host names the app answers to (comma-separated); others get 400. Empty: the hosts of
    # CHAT_BASE_URL and DEMO_ORIGIN (backend/security.py).
    "TRUSTED_HOSTS": (None, lambda raw: [h.strip() for h in raw.split(",") if h.strip()] or None),
    # Open WebSockets one process holds at most; beyond it a new one is refused (1013).
    "MAX_SOCKETS": (10000, int),
    # Open WebSockets of one visitor's chat, or one worker, per process: the newest win.
    "MAX_SOCKETS_PER_PERSON": (3, int),
    # Password checks (argon2, 64 MiB each) one process runs at once; more logins wait.
    "PASSWORD_CHECKS": (2, int),
    # argon2's cost for new hashes: "standard" (RFC 9106), or "tests" for the test suite only.
    "PASSWORD_HASHING": ("standard", str),
    # Failed logins allowed per account (by the username typed), then a wait: growing delays.
    "LOGIN_LIMITS": ("5 per minute;20 per hour;50 per day", str),
    # Failed logins allowed from one client (a keyed hash of its address, in memory only).
    "LOGIN_CLIENT_LIMITS": ("20 per minute;100 per hour", str),
    # A console session ends after this many minutes without a request; an open console
    # page asks every minute, so only a closed (or sleeping) one is logged out.
    "CONSOLE_IDLE_MINUTES": (30, int),
    # Without JavaScript the pop-up reloads itself this often while the visitor waits or chats.
    "NOSCRIPT_REFRESH_SECONDS": (5, int),
    # Seconds between WebSocket pings; a peer that does not answer is dropped.
    "WS_PING_INTERVAL": (25, int),
    # Where the static files are written under names that carry their hash, with gzip and
    # brotli copies; filled at start with whatever is missing (backend/static_files.py).
    "STATIC_ROOT": (str(ROOT / "instance" / "static"), str),
}


def from_environment() -> dict:
    """Read the settings, letting VTCHAT_* variables override the defaults."""
    config = {}
    for name, (default, parse) in _SETTINGS.items():
        raw = os.environ.get(f"VTCHAT_{name}")
        config[name] = parse(raw) if raw is not None else default
    return config
