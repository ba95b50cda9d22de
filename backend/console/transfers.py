"""Handing a chat over from the console: to another region's queue, or to a colleague."""

from flask import abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from backend import chats, regions, transfers, workers
from backend.console import bp
from backend.console.auth import login_required
from backend.console.workspace import own_chat, visible_chat, workspace_context
from backend.forms import ConfirmForm, Form, Refuses, TextBox, lines
from backend.htmx import is_htmx
from backend.models import Availability, Chat, ChatStatus, Worker
from backend.transfers import MAX_NOTE_LENGTH, Change, Refusal, Refused

REGION, COLLEAGUE = "region:", "worker:"


class TransferForm(Form):
    # "region:CODE" or "worker:ID": one list, grouped, so one button hands over either way.
    to = SelectField(_l("Hand over to"), validate_choice=False, id="transfer-to")
    note = TextBox(
        _l("Handover note"),
        id="transfer-note",
        validators=[
            DataRequired(_l("Write a short handover note for your colleague.")),
            Length(
                max=MAX_NOTE_LENGTH,
                message=_l(
                    "A handover note can be at most %(max)s characters.", max=MAX_NOTE_LENGTH
                ),
            ),
            Refuses(
                {"Cc"},
                _l("The note has a character in it that we cannot store. Remove it."),
                allowed="\n\t",
            ),
        ],
        filters=[lines],
    )

    def validate_to(self, field):
        # Only a choice of the list as drawn now; a closed region is in it, but not choosable.
        allowed = {c.value for c in field.choices or [] if not c.render_kw.get("disabled")}
        if not field.data or field.data not in allowed:
            raise ValidationError(_l("Choose a region or a colleague from the list."))


AVAILABILITY_WORDS = {
    Availability.AVAILABLE: _l("available"),
    Availability.BUSY: _l("busy"),
    Availability.AWAY: _l("away"),
}


def transfer_form(worker: Worker, chat: Chat, posted: bool = False) -> TransferForm:
    """The form with the regions and colleagues the chat can go to now."""
    form = TransferForm() if posted else TransferForm(formdata=None)
    choices = [SelectChoice("", _("Choose…"))]
    for region in transfers.target_regions(chat):
        closed = not regions.status(region).is_open
        label = _("%(region)s (closed now)", region=region.name) if closed else region.name
        extra = {"disabled": True} if closed else {}
        choices.append(
            SelectChoice(REGION + region.code, label, extra, _("Another region's queue"))
        )
    for colleague in transfers.colleagues(chat, worker.id):
        label = _(
            "%(name)s · %(availability)s · %(count)s of %(capacity)s chats",
            name=colleague.display_name,
            availability=AVAILABILITY_WORDS.get(colleague.availability, colleague.availability),
            count=len(chats.active_for(colleague.id)),
            capacity=colleague.capacity,
        )
        choices.append(SelectChoice(COLLEAGUE + str(colleague.id), label, {}, _("A colleague")))
    form.to.choices = choices
    return form


def transfer_panel(worker: Worker, chat: Chat, form: TransferForm | None = None) -> dict:
    """What the chat's hand-over part shows: the form, or the offer waiting for an answer."""
    offered_to = workers.get(chat.offered_to_id) if chat.offered_to_id else None
    mine = chat.status == ChatStatus.ACTIVE and chat.worker_id == worker.id
    return {
        "form": form or (transfer_form(worker, chat) if mine and not offered_to else None),
        "offered_to": offered_to,
        "mine": mine,
    }


def offers_of(worker: Worker) -> list[tuple[Chat, Worker]]:
    """The chats colleagues offer this worker now, each with who offers it."""
    return transfers.offers_for(worker.id)


bp.add_app_template_global(transfer_panel)
bp.add_app_template_global(offers_of)

REFUSALS = {
    Refusal.NOT_YOURS: _l("This chat is no longer yours to hand over."),
    Refusal.NO_REGION: _l("Choose a region or a colleague from the list."),
    Refusal.CLOSED: _l("That region's chat is closed now: nobody there would take it."),
    Refusal.NO_COLLEAGUE: _l("Choose a region or a colleague from the list."),
    Refusal.NO_OFFER: _l("This chat is no longer offered to you."),
}


@bp.post("/chats/<int:chat_id>/transfer")
@login_required
def transfer(chat_id):
    """Hand the chat on screen over: to a region's queue at once, or offered to a colleague."""
    chat = own_chat(g.worker, chat_id)
    form = transfer_form(g.worker, chat, posted=True)
    if form.validate_on_submit():
        target = form.to.data.split(":", 1)[1]
        try:
            if form.to.data.startswith(REGION):
                transfers.to_region(chat.id, g.worker.id, target, form.note.data)
                region = regions.get(target)
                flash(
                    _(
                        "%(nick)s now waits in the queue of %(region)s.",
                        nick=chat.nickname,
                        region=region.name,
                    )
                )
                return redirect(url_for("console.dashboard"), 303)
            transfers.to_colleague(chat.id, g.worker.id, int(target), form.note.data)
            return redirect(url_for("console.chat", chat_id=chat.id), 303)
        except Refused as refused:
            form.to.errors.append(REFUSALS[refused.reason])
    context = workspace_context(g.worker, chats.get(chat.id), transfer_form=form)
    return render_template("console/workspace.html", **context), 400


@bp.post("/chats/<int:chat_id>/transfer/withdraw")
@login_required
def withdraw(chat_id):
    """Take back an offer the colleague has not answered yet."""
    chat = own_chat(g.worker, chat_id)
    if ConfirmForm().validate_on_submit():
        transfers.withdraw_offer(chat.id, g.worker.id)
    return redirect(url_for("console.chat", chat_id=chat.id), 303)


def offered_chat(worker: Worker, chat_id: int) -> Chat:
    """A chat of the worker's regions offered to them; 404 for any other."""
    chat = visible_chat(worker, chat_id)
    if chat.offered_to_id != worker.id:
        abort(404)
    return chat


@bp.post("/offers/<int:chat_id>/accept")
@login_required
def accept_offer(chat_id):
    """Take over the chat a colleague offers; refused past capacity, like any claim."""
    chat = offered_chat(g.worker, chat_id)
    if ConfirmForm().validate_on_submit():
        try:
            transfers.accept_offer(chat.id, g.worker.id)
            return redirect(url_for("console.chat", chat_id=chat.id), 303)
        except Refused as refused:
            if refused.reason == Refusal.AT_CAPACITY:
                flash(
                    _(
                        "You already have %(count)s chats, as many as you take at once. "
                        "Finish one first.",
                        count=g.worker.capacity,
                    )
                )
            else:
                flash(REFUSALS[refused.reason])
    return redirect(url_for("console.dashboard"), 303)


@bp.post("/offers/<int:chat_id>/decline")
@login_required
def decline_offer(chat_id):
    """Say no to an offered chat: it stays with the colleague who offered it."""
    chat = offered_chat(g.worker, chat_id)
    if ConfirmForm().validate_on_submit():
        transfers.decline_offer(chat.id, g.worker.id)
    if is_htmx():
        return render_template("console/_offers.html", worker=g.worker, oob=True)
    return redirect(url_for("console.dashboard"), 303)


def offer_parts(worker: Worker, on_screen: int | None, event: dict) -> tuple[str, int | None]:
    """The workspace's answer to an {"type": "offer"} event, and the chat on screen after it.

    A chat the colleague took leaves the first worker's screen; a declined offer redraws the
    hand-over part there; a new offer sounds the alert.
    """
    change, chat_id = event.get("change"), event.get("chat")
    chat = chats.get(chat_id) if chat_id is not None else None
    by = workers.get(event["by"]) if event.get("by") else None
    html = render_template(
        "console/_offers.html", worker=worker, oob=True, change=change, about=chat, by=by
    )
    if change == Change.MADE:
        html += render_template("console/_alert.html", worker=worker)
    if chat is None or chat.id != on_screen:
        return html, on_screen
    if chat.worker_id != worker.id:
        html += render_template("console/_handed_over.html", chat=chat, by=by)
        return html, None
    if change == Change.DECLINED:
        context = {"worker": worker, "chat": chat, "oob": True}
        html += render_template("console/_transfer.html", **context)
    return html, on_screen
