"""Tickets: a chat's token signed for one purpose, for requests that carry no session; and
the reader of a chat read along with, for that page's socket (backend/console/overview.py).

The WebSocket and the quick exit's ping are identified by a ticket in the query string
(which the access log leaves out), so they work without our cookie and a ticket for one
cannot be used for the other. A quick exit gives the chat a new token: every ticket of it
then leads nowhere.
"""

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

SOCKET = "socket"
QUICK_EXIT = "quick-exit"
READ_ALONG = "read-along"  # a coordinator's socket on a chat read along with (its reader)


def _serializer(purpose: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=f"vtchat-ticket-{purpose}")


def issue(purpose: str, token: str) -> str:
    return _serializer(purpose).dumps(token)


def redeem(purpose: str, ticket: str | None) -> str | None:
    """The chat token in a ticket for this purpose; None if it is missing or forged."""
    if not ticket:
        return None
    try:
        token = _serializer(purpose).loads(ticket)
    except BadSignature:
        return None
    return token if isinstance(token, str) else None
