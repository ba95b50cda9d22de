"""The worker console (minimal): log in, see the region's queue, accept, chat, end."""

import secrets
from functools import cache, wraps

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlmodel import select

from backend import chats, db, regions
from backend.forms import ConfirmForm, LoginForm, MessageForm
from backend.hub import chat_topic, region_topic
from backend.models import Chat, EndReason, Sender, Worker
from backend.sockets import Connection, same_origin, sock

bp = Blueprint("console", __name__, url_prefix="/console")
_hasher = PasswordHasher()


@cache
def _unknown_user_hash() -> str:
    """Checked when the username is unknown, so that the answer takes as long as a real check."""
    return _hasher.hash(secrets.token_hex(16))


def current_worker() -> Worker | None:
    worker_id = session.get("worker_id")
    if worker_id is None:
        return None
    with db.session() as s:
        return s.get(Worker, worker_id)


def login_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        g.worker = current_worker()
        if g.worker is None:
            return redirect(url_for("console.login"), 303)
        return view(*args, **kwargs)

    return wrapped


def own_chat(chat_id: int) -> Chat:
    chat = chats.get(chat_id)
    if chat is None or chat.worker_id != g.worker.id:
        abort(404)
    return chat


@bp.errorhandler(CSRFError)
def form_expired(_error):
    """A form whose token expired or went missing: say so, in Dutch, and start over."""
    flash(_("This form had expired. Please try again."))
    target = "console.dashboard" if current_worker() else "console.login"
    return redirect(url_for(target), 303)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Log a worker in with username and password (argon2)."""
    form = LoginForm()
    if form.validate_on_submit():
        with db.session() as s:
            worker = s.exec(select(Worker).where(Worker.username == form.username.data)).first()
        try:
            _hasher.verify(
                worker.password_hash if worker else _unknown_user_hash(), form.password.data
            )
            if worker is None:
                raise VerifyMismatchError
        except (VerifyMismatchError, InvalidHashError):
            form.password.errors.append(_("Username or password is not right."))
        else:
            session.clear()
            session["worker_id"] = worker.id
            return redirect(url_for("console.dashboard"), 303)
    return render_template("console/login.html", form=form)


@bp.post("/logout")
def logout():
    """Log out."""
    if ConfirmForm().validate_on_submit():
        session.pop("worker_id", None)
    return redirect(url_for("console.login"), 303)


def queue_context() -> dict:
    worker = g.worker
    return {
        "worker": worker,
        "region": regions.get(worker.region_code),
        "waiting": chats.waiting(worker.region_code),
        "mine": chats.active_for(worker.id),
        "confirm": ConfirmForm(formdata=None),
    }


@bp.get("/")
@login_required
def dashboard():
    """The region's queue and the worker's own chats, kept live over the WebSocket."""
    return render_template("console/dashboard.html", **queue_context())


@bp.post("/chats/<int:chat_id>/accept")
@login_required
def accept(chat_id):
    """Take a waiting chat; if a colleague was first, say so."""
    chat = chats.get(chat_id)
    if chat is None or chat.region_code != g.worker.region_code:
        abort(404)
    if ConfirmForm().validate_on_submit() and chats.accept(chat_id, g.worker.id):
        return redirect(url_for("console.chat", chat_id=chat_id), 303)
    flash(_("A colleague has already taken this chat, or the visitor left."))
    return redirect(url_for("console.dashboard"), 303)


def chat_context(chat: Chat, **extra) -> dict:
    context = {
        "worker": g.worker,
        "region": regions.get(g.worker.region_code),
        "chat": chat,
        "messages": chats.messages(chat.id),
        "form": MessageForm(formdata=None),
        "confirm": ConfirmForm(formdata=None),
    }
    context.update(extra)
    return context


@bp.get("/chats/<int:chat_id>")
@login_required
def chat(chat_id):
    """One conversation, live."""
    return render_template("console/chat.html", **chat_context(own_chat(chat_id)))


@bp.post("/chats/<int:chat_id>/send")
@login_required
def send(chat_id):
    """Store the worker's message; both sides get it over their WebSockets."""
    chat = own_chat(chat_id)
    form = MessageForm()
    if form.validate_on_submit():
        if chats.add_message(chat.id, Sender.WORKER, form.body.data) is None:
            form.body.errors.append(_("This conversation is no longer open."))
        elif request.headers.get("HX-Request") != "true":
            return redirect(url_for("console.chat", chat_id=chat_id), 303)
        else:
            form = MessageForm(formdata=None)
    if request.headers.get("HX-Request") == "true":
        # Answered on every message sent: the box alone, without the transcript.
        box = {"chat": chat, "form": form, "confirm": ConfirmForm(formdata=None), "oob": True}
        return render_template("console/_composer.html", **box)
    return render_template("console/chat.html", **chat_context(chat, form=form))


@bp.post("/chats/<int:chat_id>/end")
@login_required
def end(chat_id):
    """End the conversation; the visitor sees the closing message with the phone numbers."""
    chat = own_chat(chat_id)
    if ConfirmForm().validate_on_submit():
        chats.end(chat.id, EndReason.WORKER)
    return redirect(url_for("console.chat", chat_id=chat_id), 303)


class WorkerStream:
    """Hub events to console fragments: the queue, and the open conversation if any."""

    def __init__(self, worker: Worker, chat_id: int | None):
        self.worker, self.chat_id, self.last_seq = worker, chat_id, 0
        self.chat: Chat | None = None

    def snapshot(self) -> str:
        """The queue, or the chat's state, messages and message box."""
        g.worker = self.worker
        if self.chat_id is None:
            return render_template("console/_queue.html", **queue_context())
        chat = self.chat = chats.get(self.chat_id)
        context = chat_context(chat, pushed=True)
        self.last_seq = context["messages"][-1].seq if context["messages"] else 0
        return render_template("console/_live_parts.html", **context)

    def render(self, event: dict) -> str | None:
        g.worker = self.worker
        kind = event.get("type")
        if kind == "queue" and self.chat_id is None:
            return render_template("console/_queue.html", **queue_context())
        if kind == "message" and event.get("seq", 0) > self.last_seq:
            fresh = chats.messages(self.chat_id, after_seq=self.last_seq)
            if not fresh:
                return None
            self.last_seq = fresh[-1].seq
            # Only the nickname is needed: it does not change during a chat.
            self.chat = self.chat or chats.get(self.chat_id)
            return render_template("console/_append_messages.html", messages=fresh, chat=self.chat)
        if kind == "state" and self.chat_id is not None:
            return self.snapshot()
        return None


@sock.route("/ws", bp=bp)
def live(ws):
    """The console's live channel: the region's queue and the chat on screen."""
    worker = current_worker()
    if worker is None or not same_origin():
        ws.close(reason=1008, message="login")
        return
    g.worker = worker
    chat_id = request.args.get("chat", type=int)
    topics = [region_topic(worker.region_code)]
    if chat_id is not None:
        chat = chats.get(chat_id)
        if chat is None or chat.worker_id != worker.id:
            ws.close(reason=1008, message="chat")
            return
        topics.append(chat_topic(chat_id))
    stream = WorkerStream(worker, chat_id)
    Connection(ws, stream.render).serve(topics, first=stream.snapshot)
