"""The worker console: log in, the workspace with the queue and the worker's chats, live."""

from pathlib import Path

from flask import Blueprint

HERE = Path(__file__).parent

bp = Blueprint(
    "console",
    __name__,
    url_prefix="/console",
    template_folder=str(HERE / "templates"),
    static_folder=str(HERE / "static"),
    static_url_path="/static",
)

from backend.console import (  # noqa: E402, F401  (the routes)
    auth,
    canned,
    ending,
    hours,
    notes,
    overflow,
    overview,
    people,
    regions,
    reset,
    retention,
    sites,
    statistics,
    streams,
    texts,
    transfers,
    views,
)
