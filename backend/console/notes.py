"""Private notes beside the chat on screen: its worker writes them, only workers read them.

The chat's worker adds notes while the chat goes on; coordinators and administrators of its
region may read them (staffing.may_see). Nothing is published: the visitor's socket listens
to the chat's topic, and a note has no business there.
"""

from flask import abort, g, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from wtforms.validators import DataRequired, Length

from backend import notes, staffing
from backend.console import bp
from backend.console.auth import login_required
from backend.console.workspace import own_chat, region_names, visible_chat, workspace_context
from backend.forms import Form, Refuses, TextBox, lines
from backend.htmx import is_htmx
from backend.models import Chat, ChatStatus, Worker


class NoteForm(Form):
    body = TextBox(
        _l("New note"),
        validators=[
            DataRequired(_l("Type a note first.")),
            Length(
                max=notes.MAX_NOTE_LENGTH,
                message=_l("A note can be at most %(max)s characters.", max=notes.MAX_NOTE_LENGTH),
            ),
            Refuses(
                {"Cc"},
                _l("Your note has a character in it that we cannot keep. Remove it and try again."),
                allowed="\n\t",
            ),
        ],
        filters=[lines],
    )


@bp.app_template_global("notes_panel")
def panel(worker: Worker | None, chat: Chat, form: NoteForm | None = None) -> dict:
    """What the notes beside a chat show this worker: none at all outside what they may see."""
    if worker is None or not staffing.may_see(worker, chat):
        return {"notes": [], "may_write": False, "form": None}
    may_write = chat.worker_id == worker.id and chat.status == ChatStatus.ACTIVE
    return {
        "notes": notes.of_chat(chat.id),
        "may_write": may_write,
        "form": form if form is not None else NoteForm(formdata=None),
    }


@bp.get("/chats/<int:chat_id>/notes")
@login_required
def notes_list(chat_id):
    """The notes of a chat the worker may see: its own worker, coordinators of its region."""
    chat = visible_chat(g.worker, chat_id)
    if is_htmx():
        return render_template("console/_notes.html", worker=g.worker, chat=chat)
    if chat.worker_id == g.worker.id:
        return redirect(url_for("console.chat", chat_id=chat.id, _anchor="console-notes"), 303)
    names = region_names(staffing.regions_of(g.worker))
    return render_template("console/notes.html", worker=g.worker, chat=chat, region_names=names)


@bp.post("/chats/<int:chat_id>/notes")
@login_required
def add_note(chat_id):
    """Keep a note on the worker's own chat; htmx gets the notes again, the box empty."""
    chat = own_chat(g.worker, chat_id)
    if chat.status != ChatStatus.ACTIVE:
        abort(404)  # ended: its notes go with the transcript, none may be added after
    form = NoteForm()
    if form.validate_on_submit():
        notes.add(chat.id, g.worker.id, form.body.data)
        if not is_htmx():
            return redirect(url_for("console.chat", chat_id=chat.id, _anchor="console-notes"), 303)
        form = NoteForm(formdata=None)
    if is_htmx():
        return render_template("console/_notes.html", worker=g.worker, chat=chat, note_form=form)
    context = workspace_context(g.worker, chat, note_form=form)
    return render_template("console/workspace.html", **context)
