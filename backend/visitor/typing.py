"""The visitor is typing: the worker's console says so for a few seconds (never the text)."""

from backend import chats
from backend.models import ChatStatus, Sender
from backend.sites import site_or_404
from backend.visitor import bp
from backend.visitor.render import current_chat

NO_CONTENT = 204


@bp.post("/<site_key>/typing")
def typing(site_key):
    """Pinged by the message box at most every few seconds while the visitor types.

    Nothing is stored and nothing of what is typed is posted (the box sends only its CSRF
    token); the answer is empty, so the pop-up changes nothing. A visitor still waiting, or
    whose chat has ended, tells nobody.
    """
    site_or_404(site_key)
    chat = current_chat()
    if chat is not None and chat.status == ChatStatus.ACTIVE:
        chats.typing(chat.id, Sender.VISITOR)
    return "", NO_CONTENT
