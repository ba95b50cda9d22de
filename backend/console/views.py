"""The workspace's pages and buttons: the queue, taking chats, the chat on screen, sending."""

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from backend import chats, message_boxes, regions, staffing, workers
from backend.console import bp
from backend.console.auth import login_required
from backend.console.workspace import (
    minutes_since,
    own_chat,
    queue_context,
    regional_chat,
    regional_context,
    tabs_context,
    title_count,
    workspace_context,
)
from backend.forms import AvailabilityForm, ConfirmForm
from backend.htmx import is_htmx
from backend.models import Availability, ChatStatus, Sender
from backend.security import row_id

bp.add_app_template_global(minutes_since)


@bp.get("/")
@login_required
def dashboard():
    """The workspace without a chat on screen: the queue and the worker's chats, live."""
    return render_template("console/workspace.html", **workspace_context(g.worker))


@bp.get("/chats/<int:chat_id>")
@login_required
def chat(chat_id):
    """The workspace with one of the worker's chats on screen."""
    chat = own_chat(g.worker, chat_id)
    return render_template("console/workspace.html", **workspace_context(g.worker, chat))


@bp.post("/chats/<int:chat_id>/accept")
@login_required
def accept(chat_id):
    """Take a waiting chat; if a colleague was first, or there is no room, say so."""
    chat = regional_chat(g.worker, chat_id)  # taken or left meanwhile: say so below
    if ConfirmForm().validate_on_submit() and chats.accept(chat_id, g.worker.id):
        return redirect(url_for("console.chat", chat_id=chat_id), 303)
    flash(_refusal(chat.region_code))
    return redirect(url_for("console.dashboard"), 303)


@bp.post("/next")
@login_required
def take_next():
    """ "Volgende chat": the oldest waiting chat of the worker's regions."""
    if ConfirmForm().validate_on_submit():
        chat = chats.take_next(g.worker.id, staffing.regions_of(g.worker))
        if chat is not None:
            return redirect(url_for("console.chat", chat_id=chat.id), 303)
        if not chats.waiting_in(staffing.regions_of(g.worker)):
            flash(_("Nobody is waiting."))
        else:
            flash(_refusal(None))
    return redirect(url_for("console.dashboard"), 303)


def _refusal(region_code: str | None) -> str:
    """Why a chat could not be taken, in the worker's words."""
    if chats.at_capacity(g.worker.id):
        return _(
            "You already have %(count)s chats, as many as you take at once. Finish one first.",
            count=g.worker.capacity,
        )
    if region_code is None or not regions.status(regions.get(region_code)).is_open:
        return _("The chat is closed for today: nobody new can be taken on.")
    return _("A colleague has already taken this chat, or the visitor left.")


@bp.post("/availability")
@login_required
def availability():
    """Available, busy or away: only an available worker's region counts as staffed."""
    form = AvailabilityForm()
    if form.validate_on_submit():
        g.worker = staffing.set_availability(g.worker.id, Availability(form.availability.data))
    if is_htmx():
        return render_template("console/_queue.html", **queue_context(g.worker), oob=True)
    return redirect(request.referrer or url_for("console.dashboard"), 303)


@bp.post("/sound")
@login_required
def sound():
    """Switch the alert sound on or off for this worker."""
    if ConfirmForm().validate_on_submit():
        g.worker = workers.set_sound(g.worker.id, not g.worker.sound)
    if is_htmx():
        return render_template("console/_queue.html", **queue_context(g.worker), oob=True)
    return redirect(request.referrer or url_for("console.dashboard"), 303)


@bp.get("/refresh")
@login_required
def refresh():
    """Asked every minute by an open workspace: keeps the session, and the minutes, current."""
    on_screen = request.args.get("chat", type=row_id)  # a number that fits a row id, or None
    if on_screen is not None:
        own_chat(g.worker, on_screen)
    queue, tabs = queue_context(g.worker), tabs_context(g.worker, on_screen)
    return render_template(
        "console/_minute.html",
        **queue,
        **tabs,
        **regional_context(g.worker),
        title_count=title_count(len(queue["waiting"]), tabs["unread"]),
    )


@bp.post("/chats/<int:chat_id>/send")
@login_required
def send(chat_id):
    """Store the worker's message; both sides get it over their WebSockets.

    With htmx the answer touches only the text areas it stored or refused, never the one
    being typed in (backend/message_boxes.py).
    """
    chat = own_chat(g.worker, chat_id)
    boxes, status = message_boxes.receive(chat.id, Sender.WORKER, "WORKER_MESSAGE_LIMIT")
    if is_htmx():
        return render_template("console/_sent.html", chat=chat, boxes=boxes), status
    refused = message_boxes.first_refused(boxes)
    if refused is None:
        return redirect(url_for("console.chat", chat_id=chat_id), 303)
    context = workspace_context(g.worker, chat, form=refused.form)
    return render_template("console/workspace.html", **context), status


@bp.post("/chats/<int:chat_id>/typing")
@login_required
def typing(chat_id):
    """The worker is typing: the visitor's pop-up says so for a few seconds."""
    chat = own_chat(g.worker, chat_id)
    if ConfirmForm().validate_on_submit() and chat.status == ChatStatus.ACTIVE:
        chats.typing(chat.id, Sender.WORKER)
    return "", 204
