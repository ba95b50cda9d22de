"""The current time, injectable so tests and demos can stand at any moment."""

from datetime import UTC, datetime

from flask import current_app


def system_clock() -> datetime:
    return datetime.now(UTC)


def init_app(app):
    app.extensions["clock"] = app.config.get("CLOCK") or system_clock


def now() -> datetime:
    """Aware UTC now, from the app's clock."""
    return current_app.extensions["clock"]()
