"""Ending a chat from the console."""

from flask import g, redirect, url_for

from backend import chats
from backend.console import bp
from backend.console.auth import login_required
from backend.console.workspace import own_chat
from backend.forms import ConfirmForm
from backend.models import EndReason


@bp.post("/chats/<int:chat_id>/end")
@login_required
def end(chat_id):
    """End the conversation; the visitor sees the closing message with the phone numbers."""
    chat = own_chat(g.worker, chat_id)
    if ConfirmForm().validate_on_submit():
        chats.end(chat.id, EndReason.WORKER)
    return redirect(url_for("console.chat", chat_id=chat_id), 303)
