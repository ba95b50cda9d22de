"""Canned answers beside the chat on screen: search them, put one in the message box to edit.

Inserting only fills the box: nothing is sent and nothing is published. Only the worker's
own active chat can be searched or filled; an answer of another region is not found.
"""

from flask import abort, g, render_template, request

from backend import canned, message_boxes
from backend.console import bp
from backend.console.auth import login_required
from backend.console.workspace import own_chat, workspace_context
from backend.forms import MessageForm
from backend.htmx import is_htmx
from backend.models import Chat, ChatStatus, Worker

# The composer's text areas, in the order its form posts them (console/_composer.html).
BOX_IDS = ("console-body", "console-spare")


@bp.app_template_global("canned_answers")
def answers_for(worker: Worker | None, chat: Chat) -> list:
    """For the workspace's template: every answer usable in this chat, by shortcut."""
    if worker is None:
        return []
    return canned.search(worker, "", chat.region_code)


def _active_own_chat(chat_id: int) -> Chat:
    """The worker's own chat while it is going on; 404 for any other, or once it ended."""
    chat = own_chat(g.worker, chat_id)
    if chat.status != ChatStatus.ACTIVE:
        abort(404)
    return chat


@bp.get("/chats/<int:chat_id>/canned")
@login_required
def canned_search(chat_id):
    """The answers whose short name or title holds the words typed; htmx gets the list alone."""
    chat = _active_own_chat(chat_id)
    query = request.args.get("q", "")[: canned.MAX_QUERY_LENGTH]
    found = {
        "canned_query": query,
        "canned_found": canned.search(g.worker, query, chat.region_code),
    }
    if is_htmx():
        return render_template("console/_canned_results.html", chat=chat, **found)
    return render_template("console/workspace.html", **workspace_context(g.worker, chat, **found))


@bp.post("/chats/<int:chat_id>/canned/<int:answer_id>")
@login_required
def canned_insert(chat_id, answer_id):
    """Put an answer in the message box after what is typed there: the worker edits, then sends.

    The button posts the composer's own form here, both its text areas. htmx gets back the one
    on screen alone, swapped by id; without it the workspace comes back with the text in the box.
    """
    chat = _active_own_chat(chat_id)
    answer = canned.get(g.worker, answer_id, chat.region_code)
    if answer is None:
        abort(404)
    box = _box_on_screen(message_boxes.posted())
    text = canned.joined(box.form.body.data or "", answer.body)
    if is_htmx():
        box_id = BOX_IDS[box.index]
        return render_template(
            "console/_message_box.html", chat=chat, box_id=box_id, box_text=text, box_oob=True
        )
    form = MessageForm(formdata=None)
    form.body.data = text
    # The box's key stays with its text, which is still to be sent (see forms.MessageForm).
    form.send_key.data = box.form.send_key.data or form.send_key.data
    return render_template("console/workspace.html", **workspace_context(g.worker, chat, form=form))


def _box_on_screen(boxes: list[message_boxes.Box]) -> message_boxes.Box:
    """The text area the worker sees: the spare while it holds text (the box is then empty and
    out of view, see console.css), else the box. The button waits for a send on its way
    (hx-sync), so the box it finds is never one whose text is still being sent."""
    box, *spare = boxes[: len(BOX_IDS)]
    return spare[0] if spare and spare[0].has_text else box
