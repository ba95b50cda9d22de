"""Ending a chat from the console: asked first, and only with its advice registration.

"End the chat" opens the registration; its one submit stores it and ends the chat. A chat
that ended otherwise (the visitor, the sweeper) shows the same form until it is registered.
"""

from contextlib import suppress

from flask import g, redirect, render_template, request, url_for

from backend import blocks, chats, registrations
from backend.console import bp
from backend.console.auth import login_required
from backend.console.forms import LABELS, RegistrationForm
from backend.console.workspace import own_chat, workspace_context
from backend.htmx import is_htmx
from backend.models import Chat, ChatStatus, EndReason

bp.add_app_template_global(LABELS, "registration_labels")


@bp.route("/chats/<int:chat_id>/end", methods=["GET", "POST"])
@login_required
def end(chat_id):
    """The registration (GET: opens it; ?back=1 closes it again); a valid one ends the chat."""
    chat = own_chat(g.worker, chat_id)
    if chat.status not in (ChatStatus.ACTIVE, ChatStatus.ENDED) or registrations.of_chat(chat.id):
        return _answer(chat)
    if request.method == "GET":
        return _answer(chat, registering=not request.args.get("back"))
    form = RegistrationForm()
    if not form.validate_on_submit():
        return _answer(chat, form=form, registering=True)
    # A second click, or another tab: the first registration counts.
    with suppress(registrations.AlreadyRegistered):
        _register_and_end(chat, form)
    if not is_htmx():
        return redirect(url_for("console.chat", chat_id=chat.id), 303)
    return _answer(chats.get(chat.id))


def _register_and_end(chat: Chat, form: RegistrationForm) -> None:
    """Store first, then end: whatever the end pushes to the workspace already sees the
    registration, so no push can bring the form back."""
    registrations.save(chat, g.worker.id, form.values())
    chat = chats.get(chat.id)  # with the follow-up code the registration gave it
    if form.block_hours:
        blocks.block(chat, form.block_hours, g.worker.id)  # ends the chat too
    elif chat.is_open:
        chats.end(chat.id, EndReason.WORKER)


def _answer(chat: Chat, form: RegistrationForm | None = None, registering: bool = False):
    """The ending part alone for htmx; the whole workspace around it otherwise."""
    extra = {"registering": registering}
    if form is not None:
        extra["registration_form"] = form
    if is_htmx():
        context = {
            "chat": chat,
            "registration": registrations.of_chat(chat.id),
            "registration_form": RegistrationForm(formdata=None),
            **extra,
        }
        return render_template("console/_end.html", **context)
    return render_template("console/workspace.html", **workspace_context(g.worker, chat, **extra))
