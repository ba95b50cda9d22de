"""The visitor's pop-up inside the iframe: its pages, its quick exit and its WebSocket."""

from flask import Blueprint

from backend.config import ROOT

bp = Blueprint(
    "widget",
    __name__,
    url_prefix="/w",
    template_folder=str(ROOT / "widget" / "templates"),
    static_folder=str(ROOT / "widget" / "static"),
    static_url_path="/static",
)

from backend.message_boxes import fresh_form  # noqa: E402
from backend.visitor import quick_exit, streams, typing, views  # noqa: E402, F401  (the routes)
from backend.visitor.render import exit_url, field_attrs, socket_url  # noqa: E402

bp.add_app_template_global(exit_url)
bp.add_app_template_global(socket_url)
bp.add_app_template_global(field_attrs)
bp.add_app_template_global(fresh_form, "fresh_message_form")  # the spare's (both sides')
