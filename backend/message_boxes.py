"""A composer's two text areas: the box, and the spare typed in while a send is on its way.

Why two, without JavaScript: htmx takes a form's values the moment Send is pressed, but has
nothing that empties a box when the answer comes, and replacing the box then would wipe
whatever was typed while the message was on its way. Instead, while the form's request is in
flight (htmx puts `htmx-request` on it), CSS takes every text area holding text (and not
being typed in) out of view and out of reach, and shows an empty one: the box, or its spare.
What is typed meanwhile goes there. The answer then replaces exactly the text areas whose
text it stored (they could not be typed in), each with a new send key; the one being typed
in is never among them, and each replacement is also guarded in its selector (`:not(:focus)`).
A send refused with Dutch words, a server fault (backend/errors.py) or a request that never
got an answer empties nothing: the text shows again where it was, with its own send key, so
sending it again stores it once (chats.add_message). Which text area shows is CSS alone
(widget.css, console.css). The form posts both, in the order on screen, each as `body` with
its `send_key` before it; a form with one box (as before, or from a test) is one box.

The other ways weighed: the native form reset (a Send of type reset, htmx posting on the
`reset` event before the values are cleared) empties the box at once, but a request that
never gets an answer (the line broke, a proxy gave up) then loses the text for good; and
`hx-disabled-elt` on the box loses every key pressed while the message is on its way.
"""

from dataclasses import dataclass

from flask import request
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from backend import chats, rate_limits
from backend.forms import MessageForm
from backend.models import Sender

BOXES = 2  # the box and its spare


@dataclass
class Box:
    """One text area as posted: its place on screen, its form, and what became of it."""

    index: int
    form: MessageForm
    typed: str = ""  # as posted, before the form's filters
    sent: bool = False

    @property
    def has_text(self) -> bool:
        return bool(self.typed.strip())

    @property
    def errors(self) -> list[str]:
        return self.form.body.errors


def posted() -> list[Box]:
    """Each posted text area with its send key, in the order on screen (at most BOXES)."""
    bodies = request.form.getlist("body")[:BOXES] or [""]
    keys = request.form.getlist("send_key")
    boxes = []
    for index, typed in enumerate(bodies):
        key = keys[index] if index < len(keys) else ""
        form = MessageForm(
            formdata=MultiDict({"body": typed, "send_key": key}), meta={"csrf": False}
        )
        boxes.append(Box(index, form, typed))
    return boxes


def to_send(boxes: list[Box]) -> list[Box]:
    """The boxes with text, in order; with none, the first, whose validation says so."""
    return [box for box in boxes if box.has_text] or boxes[:1]


def validate(boxes: list[Box]) -> bool:
    """Every box's validators run (each gets its own errors); True when all are fine."""
    return all([box.form.validate() for box in boxes])


def store(
    boxes: list[Box], chat_id: int, sender: Sender, limit: str, author: str | None = None
) -> int:
    """Store each box's text in order, as long as the chat takes it; the answer's status.

    `limit` names the rate limit per chat (rate_limits). A box already stored (its answer
    was lost) is found by its key and stored once. `author`: a coordinator who joined.
    """
    for box in boxes:
        if not rate_limits.allow(limit, str(chat_id)):
            box.errors.append(rate_limits.too_many_messages())
            return rate_limits.TOO_MANY_REQUESTS
        data = box.form
        stored = chats.add_message(chat_id, sender, data.body.data, data.send_key.data, author)
        if stored is None:
            box.errors.append(_("This conversation is no longer open."))
            return 200
        box.sent = True
    return 200


def receive(
    chat_id: int, sender: Sender, limit: str, author: str | None = None
) -> tuple[list[Box], int]:
    """A send view's work: the posted boxes, checked and stored as far as they go, and the
    answer's status."""
    boxes = to_send(posted())
    status = store(boxes, chat_id, sender, limit, author) if validate(boxes) else 200
    return boxes, status


def first_refused(boxes: list[Box]) -> Box | None:
    return next((box for box in boxes if box.errors), None)


def fresh_form() -> MessageForm:
    """An empty text area's form, with a new send key (a template global)."""
    return MessageForm(formdata=None, meta={"csrf": False})
