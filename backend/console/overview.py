"""The live overview for coordinators and administrators: each region's shift, reading along
with a colleague's chat and joining it, and the audit log of both for administrators."""

from flask import abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from backend import chats, message_boxes, oversight, staffing, tickets, workers
from backend.console import bp
from backend.console.auth import current_worker, login_required
from backend.console.streams import keep_checked
from backend.forms import ConfirmForm, MessageForm
from backend.htmx import is_htmx
from backend.hub import chat_topic, region_topic, worker_topic
from backend.models import Chat, Sender, Worker, WorkerRole
from backend.security import row_id
from backend.sockets import POLICY, Connection, same_origin, sock


def _overseer_only() -> None:
    if not oversight.oversees(g.worker):
        abort(403)


def _openable(worker: Worker, chat_id: int) -> Chat:
    """A chat the worker may read along with; 404 for any other (its existence is not told)."""
    chat = chats.get(chat_id)
    if chat is None or not oversight.may_open(worker, chat):
        abort(404)
    return chat


def _shifts(worker: Worker) -> list[oversight.RegionShift]:
    return [oversight.shift(worker, code) for code in staffing.regions_of(worker)]


@bp.get("/overview")
@login_required
def overview():
    """Every region of the coordinator's (an administrator's: all), live."""
    _overseer_only()
    return render_template("console/overview.html", worker=g.worker, shifts=_shifts(g.worker))


@bp.get("/overview/refresh")
@login_required
def overview_refresh():
    """Asked every minute by an open overview: keeps the session and every region current."""
    _overseer_only()
    return render_template(
        "console/_shifts.html", worker=g.worker, shifts=_shifts(g.worker), oob=True
    )


def _read_along_context(worker: Worker, chat: Chat, **extra) -> dict:
    handler = workers.get(chat.worker_id) if chat.worker_id else None
    joined = oversight.has_joined(worker.id, chat.id)
    return {
        "worker": worker,
        "chat": chat,
        "messages": chats.messages(chat.id),
        "handler": handler.display_name if handler else None,
        "joined": joined,
        "confirm": ConfirmForm(formdata=None),
        "form": MessageForm(formdata=None),
        "send_url": url_for("console.joined_send", chat_id=chat.id),
        "typing_url": None,  # the pop-up says who types by the chat's worker's name
        **extra,
    }


@bp.get("/overview/chats/<int:chat_id>")
@login_required
def read_along(chat_id):
    """A colleague's chat, read along live; each opening is written to the audit log."""
    chat = _openable(g.worker, chat_id)
    oversight.read_along(g.worker, chat)
    context = _read_along_context(g.worker, chat, socket_url=_socket_url(g.worker, chat))
    return render_template("console/read_along.html", **context)


def _socket_url(worker: Worker, chat: Chat) -> str:
    """The live channel of a page read along with. Its ticket is given only with a page whose
    opening is in the audit log (or to who joined), so nobody reads along live unlogged."""
    ticket = tickets.issue(tickets.READ_ALONG, _reader(worker.id, chat.id))
    return url_for("console.overview_live", chat=chat.id, t=ticket)


def _reader(worker_id: int, chat_id: int) -> str:
    """Who reads which chat in which session: a ticket of an earlier login opens nothing."""
    return f"{worker_id}:{chat_id}:{session.get('epoch')}"


@bp.post("/overview/chats/<int:chat_id>/join")
@login_required
def join(chat_id):
    """Join the chat as a second name: the visitor sees it; written to the audit log."""
    chat = _openable(g.worker, chat_id)
    if ConfirmForm().validate_on_submit():
        if oversight.join(g.worker, chat):
            flash(_("You joined the chat: the visitor sees your name."))
        else:
            flash(_("This chat has ended: nobody can join it any more."))
    return redirect(url_for("console.read_along", chat_id=chat_id), 303)


@bp.post("/overview/chats/<int:chat_id>/send")
@login_required
def joined_send(chat_id):
    """A message of a coordinator who joined: stored under their name."""
    chat = _openable(g.worker, chat_id)
    if not oversight.has_joined(g.worker.id, chat.id):
        abort(403)
    boxes, status = message_boxes.receive(
        chat.id, Sender.WORKER, "WORKER_MESSAGE_LIMIT", author=g.worker.display_name
    )
    if is_htmx():
        context = {"send_url": url_for("console.joined_send", chat_id=chat.id), "typing_url": None}
        return render_template("console/_sent.html", chat=chat, boxes=boxes, **context), status
    refused = message_boxes.first_refused(boxes)
    if refused is None:
        return redirect(url_for("console.read_along", chat_id=chat_id), 303)
    socket_url = _socket_url(g.worker, chat)
    context = _read_along_context(g.worker, chat, form=refused.form, socket_url=socket_url)
    return render_template("console/read_along.html", **context), status


@bp.get("/audit")
@login_required
def audit_log():
    """Who read along with or joined which chat, newest first: for administrators."""
    if g.worker.role != WorkerRole.ADMIN:
        abort(403)
    return render_template(
        "console/audit.html",
        worker=g.worker,
        entries=oversight.entries(),
        limit=oversight.AUDIT_PAGE,
    )


class OverviewStream:
    """Region events as the overview's region sections; a chat on screen's messages and state
    when reading along (`chat_id`)."""

    # Events drawn whole from the database: the last of equal ones waiting is enough.
    REDRAWS = ("queue", "staffing", "state")

    def __init__(self, worker: Worker, epoch, chat_id: int | None = None):
        self.worker, self.epoch, self.chat_id = worker, epoch, chat_id
        self.last_seq = 0
        self.chat: Chat | None = None  # the chat read along with, as last drawn
        self.handler: str | None = None  # the name of the worker who has it
        self.connection: Connection | None = None
        keep_checked(self)

    def topics(self) -> list[str]:
        if self.chat_id is not None:
            return [chat_topic(self.chat_id), worker_topic(self.worker.id)]
        codes = staffing.regions_of(self.worker)
        return [*(region_topic(code) for code in codes), worker_topic(self.worker.id)]

    def opening(self) -> str:
        if not workers.session_is_current(workers.get(self.worker.id), self.epoch):
            return self._logged_out()
        if self.chat_id is None:
            return self._all_regions()
        return self._chat()

    def _all_regions(self) -> str:
        shifts = _shifts(self.worker)
        return render_template("console/_shifts.html", worker=self.worker, shifts=shifts, oob=True)

    def _logged_out(self) -> str:
        if self.connection is not None:
            self.connection.close_soon(POLICY)
        return render_template("console/_logged_out.html")

    def _chat(self) -> str:
        """The chat read along with, whole; each state event draws it again."""
        self.chat = chats.get(self.chat_id)
        context = _read_along_context(self.worker, self.chat, pushed=True)
        self.handler = context["handler"]
        self.last_seq = context["messages"][-1].seq if context["messages"] else 0
        return render_template("console/_read_along_parts.html", **context)

    def render(self, event: dict) -> str | None:
        kind = event.get("type")
        if kind == "session" and (event["disabled"] or event["epoch"] != self.epoch):
            return self._logged_out()
        if self.chat_id is None:
            region = event.get("region")
            if kind == "regions":  # a merge (backend/region_admin.py): one region fewer
                self.worker = workers.get(self.worker.id) or self.worker
                for topic in self.topics():
                    self.connection.follow(topic)
                return self._all_regions()
            if kind in ("queue", "staffing") and region:
                shift = oversight.shift(self.worker, region, event)
                return render_template("console/_shift.html", shift=shift, oob=True)
            return None
        if kind == "state":
            return self._chat()
        if kind == "message" and event.get("seq", 0) > self.last_seq:
            fresh = chats.fresh_messages(event, self.last_seq)
            if not fresh:
                return None
            self.last_seq = fresh[-1].seq
            # Who has the chat changes only with its state, which draws it again (_chat).
            return render_template(
                "console/_append_messages.html",
                messages=fresh,
                chat=self.chat,
                handler=self.handler,
            )
        return None


def _serve(ws, chat_id: int | None) -> None:
    worker = current_worker()
    if worker is None or not same_origin() or not oversight.oversees(worker):
        ws.close(reason=1008, message="login")
        return
    if chat_id is not None:
        chat = chats.get(chat_id)
        reader = tickets.redeem(tickets.READ_ALONG, request.args.get("t"))
        if (
            chat is None
            or not oversight.may_open(worker, chat)
            or reader != _reader(worker.id, chat_id)
        ):
            ws.close(reason=1008, message="chat")
            return
    stream = OverviewStream(worker, session.get("epoch"), chat_id)
    page = f"worker:{worker.id}:overview:{chat_id or 'regions'}"
    stream.connection = Connection(ws, stream.render, owner=page, redraws=OverviewStream.REDRAWS)
    stream.connection.serve(stream.topics(), first=stream.opening)


@sock.route("/overview/ws", bp=bp)
def overview_live(ws):
    """The overview's live channel: the events of the viewer's regions, or with `?chat=` the
    messages and state of the chat read along with."""
    _serve(ws, request.args.get("chat", type=row_id))
