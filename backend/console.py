"""The worker console (minimal): log in, see the region's queue, accept, chat, end."""

import hashlib
import hmac
import time
import weakref
from datetime import timedelta
from functools import wraps

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError

from backend import chats, clock, passwords, presence, rate_limits, regions, workers
from backend.extensions import limiter
from backend.forms import ConfirmForm, LoginForm, MessageForm
from backend.hub import chat_topic, region_topic, worker_topic
from backend.models import Chat, EndReason, PresenceKind, Sender, Worker
from backend.security import row_id
from backend.sockets import POLICY, Connection, same_origin, sock

bp = Blueprint("console", __name__, url_prefix="/console")


def current_worker() -> Worker | None:
    """The logged-in worker, while the session is theirs: same epoch, not disabled, not idle."""
    worker_id = session.get("worker_id")
    if worker_id is None:
        return None
    idle = current_app.config["CONSOLE_IDLE_MINUTES"] * 60
    fresh = clock.now().timestamp() - session.get("seen", 0) <= idle
    worker = workers.get(worker_id) if fresh else None
    if not workers.session_is_current(worker, session.get("epoch")):
        session.clear()
        return None
    return worker


def login_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        g.worker = current_worker()
        if g.worker is None:
            if request.headers.get("HX-Request") == "true":
                # htmx would swap the login page into the console: have it load the page.
                return "", 204, {"HX-Redirect": url_for("console.login")}
            return redirect(url_for("console.login"), 303)
        session["seen"] = int(clock.now().timestamp())  # the idle time counts from here
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


def _login_account() -> str:
    """The account a login tries: the typed username, normalised, as a keyed hash."""
    key = current_app.secret_key
    key = key.encode() if isinstance(key, str) else key
    username = workers.normalise(request.form.get("username", "")).encode()
    return hmac.new(key, b"login:" + username, hashlib.sha256).hexdigest()[:32]


def _login_failed(_response) -> bool:
    """Only failed logins count towards the limits; a right password costs nothing."""
    return g.get("login_failed", False)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMITS"],
    key_func=_login_account,
    methods=["POST"],
    deduct_when=_login_failed,
)
def login():
    """Log a worker in with username and password (argon2)."""
    form = LoginForm()
    if request.method == "POST" and (wait := rate_limits.client_wait("LOGIN_CLIENT_LIMITS")):
        return _refused(wait)
    if form.validate_on_submit():
        worker = workers.by_username(form.username.data)
        if worker is None:
            passwords.verify_unknown(form.password.data)  # as slow as a real check
        elif passwords.verify(worker.password_hash, form.password.data) and not worker.disabled:
            session.clear()
            session.update(
                worker_id=worker.id,
                epoch=worker.session_epoch,
                seen=int(clock.now().timestamp()),
            )
            return redirect(url_for("console.dashboard"), 303)
        g.login_failed = True
        rate_limits.count_client("LOGIN_CLIENT_LIMITS")
        form.password.errors.append(_("Username or password is not right."))
    return render_template("console/login.html", form=form)


@bp.errorhandler(RateLimitExceeded)
def too_many_logins(_error):
    """Too many failed logins for this account: say when to try again, in Dutch."""
    limit = limiter.current_limit
    return _refused(limit.reset_at - time.time() if limit else 60)


def _refused(seconds: float):
    """The login form again, saying in how long (at least a minute) to try again."""
    seconds = max(60, seconds)
    when = format_timedelta(timedelta(seconds=seconds), granularity="minute", add_direction=True)
    refused = _("Too many attempts to log in. Try again %(when)s.", when=when)
    return render_template("console/login.html", form=LoginForm(), refused=refused), 429


@bp.post("/logout")
def logout():
    """Log out: every session of this worker ends, a copied cookie and open consoles too."""
    if ConfirmForm().validate_on_submit():
        worker = current_worker()
        if worker is not None:
            workers.end_sessions(worker.id)
        session.clear()
        flash(_("You are logged out."))
    return redirect(url_for("console.login"), 303)


@bp.get("/alive")
@login_required
def alive():
    """Asked every minute by an open console page, so that only a closed one goes idle."""
    return "", 204


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
    if not regions.status(regions.get(chat.region_code)).is_open:
        flash(_("The chat is closed for today: nobody new can be taken on."))
    else:
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
        "visitor_here": presence.present(PresenceKind.VISITOR, chat.id),
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
    status = 200
    if form.validate_on_submit():
        if not rate_limits.allow("WORKER_MESSAGE_LIMIT", str(chat.id)):
            form.body.errors.append(rate_limits.too_many_messages())
            status = rate_limits.TOO_MANY_REQUESTS
        elif chats.add_message(chat.id, Sender.WORKER, form.body.data, form.send_key.data) is None:
            form.body.errors.append(_("This conversation is no longer open."))
        elif request.headers.get("HX-Request") != "true":
            return redirect(url_for("console.chat", chat_id=chat_id), 303)
        else:
            form = MessageForm(formdata=None)
    if request.headers.get("HX-Request") == "true":
        # Answered on every message sent: the box alone, without the transcript.
        box = {"chat": chat, "form": form, "confirm": ConfirmForm(formdata=None), "oob": True}
        return render_template("console/_composer.html", **box), status
    return render_template("console/chat.html", **chat_context(chat, form=form)), status


@bp.post("/chats/<int:chat_id>/end")
@login_required
def end(chat_id):
    """End the conversation; the visitor sees the closing message with the phone numbers."""
    chat = own_chat(chat_id)
    if ConfirmForm().validate_on_submit():
        chats.end(chat.id, EndReason.WORKER)
    return redirect(url_for("console.chat", chat_id=chat_id), 303)


_open_streams: "weakref.WeakSet[WorkerStream]" = weakref.WeakSet()


class WorkerStream:
    """Hub events to console fragments: the queue, and the open conversation if any."""

    def __init__(self, worker: Worker, chat_id: int | None, epoch: int | None = None):
        self.worker, self.chat_id, self.last_seq = worker, chat_id, 0
        self.chat: Chat | None = None
        self.visitor_here: bool | None = None  # what the chat's state line shows now
        self.epoch = epoch  # of the session that opened the socket
        self.connection: Connection | None = None
        _open_streams.add(self)

    def opening(self) -> str:
        """The first frame; the session may have ended before the socket was subscribed."""
        if not workers.session_is_current(workers.get(self.worker.id), self.epoch):
            return self._logged_out()
        return self.snapshot()

    def _logged_out(self) -> str:
        """Logged out, here or elsewhere, or disabled: say so and close (1008: no reconnect)."""
        if self.connection is not None:
            self.connection.close_soon(POLICY)
        return render_template("console/_logged_out.html")

    def snapshot(self) -> str:
        """The queue, or the chat's state, messages and message box."""
        g.worker = self.worker
        if self.chat_id is None:
            return render_template("console/_queue.html", **queue_context())
        chat = self.chat = chats.get(self.chat_id)
        context = chat_context(chat, pushed=True)
        self.last_seq = context["messages"][-1].seq if context["messages"] else 0
        self.visitor_here = context["visitor_here"]
        return render_template("console/_live_parts.html", **context)

    def _visitor_presence(self) -> str | None:
        """The state line again when the visitor has gone, or come back."""
        chat = chats.get(self.chat_id)
        here = presence.present(PresenceKind.VISITOR, self.chat_id)
        if chat is None or here == self.visitor_here:
            return None
        came_back, self.visitor_here = here and self.visitor_here is False, here
        return render_template(
            "console/_chat_state.html", chat=chat, visitor_here=here, came_back=came_back
        )

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
        if kind == "presence" and event.get("kind") == PresenceKind.VISITOR and self.chat_id:
            return self._visitor_presence()
        if kind == "session" and (event["disabled"] or event["epoch"] != self.epoch):
            return self._logged_out()
        return None


def recheck_sessions() -> int:
    """Tell this process's console sockets their worker's session state; how many workers.

    Logout, a new password and disabling publish it themselves. This also reaches sockets
    whose session ended in another process, such as `flask worker disable` with the
    in-process hub: meant for every round of the sweeper.
    """
    worker_ids = {stream.worker.id for stream in list(_open_streams)}
    for worker_id in worker_ids:
        worker = workers.get(worker_id)
        if worker is not None:
            workers.announce(worker)
    return len(worker_ids)


@sock.route("/ws", bp=bp)
def live(ws):
    """The console's live channel: the region's queue and the chat on screen."""
    worker = current_worker()
    if worker is None or not same_origin():
        ws.close(reason=1008, message="login")
        return
    g.worker = worker
    chat_id = request.args.get("chat", type=row_id)
    # worker_topic: logout or disabling elsewhere closes this socket (WorkerStream.render).
    topics = [region_topic(worker.region_code), worker_topic(worker.id)]
    if chat_id is not None:
        chat = chats.get(chat_id)
        if chat is None or chat.worker_id != worker.id:
            ws.close(reason=1008, message="chat")
            return
        topics.append(chat_topic(chat_id))
    stream = WorkerStream(worker, chat_id, epoch=session.get("epoch"))
    # A few sockets per page of the worker's (the queue, each chat): newest win, per page.
    page = f"worker:{worker.id}:{chat_id or 'queue'}"
    connection = stream.connection = Connection(ws, stream.render, owner=page)
    # The worker's presence: visitors of their chats see when the console is closed.
    presence.arrived(PresenceKind.WORKER, worker.id)
    try:
        connection.serve(topics, first=stream.opening)
    finally:
        presence.left(PresenceKind.WORKER, worker.id)
