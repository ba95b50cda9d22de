"""Sites, regions, opening hours (weekly, dated, holidays kept open) and the retention change
rarely: each process keeps what it read of them, and learns here when that is stale.

A commit that adds, changes or deletes such a row counts a new generation in this process
and tells the other processes over the hub (topic `settings`), which count one too. What
neither reaches (a database edited by hand, a process on a hub of its own) shows after
MAX_AGE at the latest: nothing is kept longer than that.
"""

import threading
import time
import weakref

from flask import has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from backend.hub import hub
from backend.models import (
    DateHours,
    HolidayOpen,
    OpeningHours,
    Overflow,
    Region,
    Retention,
    Site,
)

MAX_AGE = 1.0  # seconds
TOPIC = "settings"
SETTINGS = (Site, Region, OpeningHours, DateHours, HolidayOpen, Retention, Overflow)

_generation = 0
_lock = threading.Lock()
_heard = weakref.WeakSet()  # the hubs whose settings topic this process follows


def generation() -> int:
    """Counts up with every change to sites, regions or hours this process knows of."""
    return _generation


def changed(_event: dict | None = None) -> None:
    """Sites, regions or hours changed, here or (as the hub says) elsewhere."""
    global _generation
    with _lock:
        _generation += 1


def listen() -> None:
    """Hear of other processes' changes; from inside the app, once per process and hub."""
    current = hub()
    with _lock:
        if current in _heard:
            return
        _heard.add(current)
    current.subscribe(TOPIC, changed)


class Kept:
    """Values read from settings, by key, while no setting changed and for at most MAX_AGE."""

    def __init__(self, bound: int = 1_000):
        self.bound = bound  # against unknown keys asked for in bulk
        self.values: dict = {}

    def get(self, key, read):
        kept = self.values.get(key)
        if kept is not None and kept[0] == _generation and time.monotonic() - kept[1] < MAX_AGE:
            return kept[2]
        listen()
        counted, value = _generation, read()
        if len(self.values) >= self.bound:
            self.values.clear()
        self.values[key] = (counted, time.monotonic(), value)
        return value


def _note(session, _context) -> None:
    touched = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(row, SETTINGS) for row in touched):
        session.info["settings_changed"] = True


def _after_commit(session) -> None:
    if session.info.pop("settings_changed", False):
        changed()
        if has_app_context():
            hub().publish(TOPIC, {"type": "settings"})


def _after_rollback(session) -> None:
    session.info.pop("settings_changed", None)


def init_app(_app) -> None:
    """Count commits of settings rows, in every session of this process (once)."""
    if not event.contains(Session, "after_flush", _note):
        event.listen(Session, "after_flush", _note)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)
