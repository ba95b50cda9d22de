"""The visitor's pop-up inside the iframe: status, form, queue, chat, and its WebSocket."""

import re
import threading

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from wtforms.fields.choices import SelectChoice

from backend import chats, db, regions
from backend.config import ROOT
from backend.forms import ConfirmForm, MessageForm, StartForm
from backend.hub import chat_topic
from backend.models import Chat, Site, Worker
from backend.sockets import Connection, same_origin, sock

bp = Blueprint(
    "widget",
    __name__,
    url_prefix="/w",
    template_folder=str(ROOT / "widget" / "templates"),
    static_folder=str(ROOT / "widget" / "static"),
    static_url_path="/static",
)

HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


def load_site(site_key: str) -> Site:
    with db.session() as s:
        site = s.get(Site, site_key)
    if site is None:
        abort(404)
    g.frame_ancestors = site.origin
    return site


def current_chat() -> Chat | None:
    return chats.by_token(session.get("chat"))


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def panel(template: str, **context):
    """A panel partial alone for htmx; inside the whole page otherwise (one view, both)."""
    if is_htmx():
        return render_template(template, **context)
    return render_template("widget/page.html", panel=template, **context)


def composer_part(site: Site, chat: Chat, **extra):
    """The message box for htmx; without htmx, the whole chat around it.

    The box alone is answered on every message sent: it needs no transcript or queue place.
    """
    if is_htmx():
        context = {
            "site": site,
            "chat": chat,
            "form": MessageForm(formdata=None),
            "confirm": ConfirmForm(formdata=None),
            **extra,
        }
        return render_template("widget/_composer.html", **context)
    return render_template(
        "widget/page.html", panel="widget/_chat.html", **chat_context(site, chat, **extra)
    )


def status_context(site: Site) -> dict:
    region = regions.get(site.region_code)
    return {"site": site, "region": region, "status": regions.status(region)}


def chat_context(site: Site, chat: Chat, **extra) -> dict:
    with db.session() as s:
        worker = s.get(Worker, chat.worker_id) if chat.worker_id else None
    context = {
        "site": site,
        "chat": chat,
        "region": regions.get(chat.region_code),
        "worker": worker,
        "messages": chats.messages(chat.id),
        "position": chats.position(chat),
        "form": MessageForm(formdata=None),
        "confirm": ConfirmForm(formdata=None),
    }
    context.update(extra)
    return context


def start_form(site: Site, fresh: bool = False) -> StartForm:
    """The start form with the regions this site offers; a new one has the site's region."""
    form = StartForm(formdata=None) if fresh else StartForm()
    form.region.choices = [
        SelectChoice(r.code, r.name) for r in regions.all_regions(include_demo=site.is_demo)
    ]
    if fresh or not form.is_submitted():
        form.region.data = site.region_code
    return form


@bp.get("/<site_key>")
def page(site_key):
    """The pop-up: the visitor's chat if there is one, else whether the chat is open."""
    site = load_site(site_key)
    chat = current_chat()
    if chat is not None:
        return panel("widget/_chat.html", **chat_context(site, chat))
    return panel("widget/_status.html", **status_context(site))


@bp.get("/<site_key>/theme.css")
def theme(site_key):
    """The site's design tokens as CSS custom properties; never raw CSS from anywhere."""
    site = load_site(site_key)
    accent = site.accent if HEX_COLOUR.fullmatch(site.accent or "") else "#7a1f5c"
    css = render_template("widget/theme.css", accent=accent)
    return css, 200, {"Content-Type": "text/css; charset=utf-8", "Cache-Control": "no-cache"}


@bp.route("/<site_key>/start", methods=["GET", "POST"])
def start(site_key):
    """The anonymous form; a valid one puts the visitor in the queue of their region."""
    site = load_site(site_key)
    chat = current_chat()
    if chat is not None and chat.status in chats.OPEN_STATES:
        return redirect(url_for("widget.page", site_key=site.key), 303)
    form = start_form(site)
    if form.validate_on_submit():
        region = _chosen_region(form, site)
        if region is not None and form.role.data == "professional":
            return panel("widget/_professional.html", site=site)
        if region is not None and not regions.status(region).is_open:
            form.region.errors.append(
                _(
                    "The chat of %(region)s is closed now. You can call 0800 2000 day and night.",
                    region=region.name,
                )
            )
        elif region is not None:
            chat = chats.create(
                region.code,
                form.nickname.data,
                form.age_value,
                form.gender.data or None,
                form.role.data or None,
            )
            session["chat"] = chat.token
            if is_htmx():
                return panel("widget/_chat.html", **chat_context(site, chat))
            return redirect(url_for("widget.page", site_key=site.key), 303)
    return panel("widget/_form.html", site=site, form=form)


@bp.errorhandler(CSRFError)
def form_expired(error):
    """A post without a valid token (its session cookie was lost): the start form, saying so.

    Answered inside the pop-up like any page of it, never as a bare 400 the frame cannot show.
    """
    site = load_site(request.view_args["site_key"])
    form = start_form(site, fresh=True)
    form.csrf_token.errors = [error.description]
    response = make_response(panel("widget/_form.html", site=site, form=form))
    response.headers["HX-Retarget"] = "#vt-panel"
    response.headers["HX-Reswap"] = "outerHTML"
    return response


def _chosen_region(form: StartForm, site: Site):
    """The region of the postcode when one is given (the digits are not kept), else the list."""
    postcode = (form.postcode.data or "").strip()
    if postcode:
        region = regions.by_postcode(postcode)
        if region is None:
            form.postcode.errors.append(
                _("We do not know this postcode. Choose your region from the list instead.")
            )
        return region
    region = regions.get(form.region.data or "")
    if region is None or (region.is_demo and not site.is_demo):
        form.region.errors.append(_("Choose a region from the list."))
        return None
    return region


def _open_chat_or_page(site):
    chat = current_chat()
    if chat is None:
        abort(redirect(url_for("widget.page", site_key=site.key), 303))
    return chat


@bp.post("/<site_key>/send")
def send(site_key):
    """Store the visitor's message; it reaches both sides over their WebSockets."""
    site = load_site(site_key)
    chat = _open_chat_or_page(site)
    form = MessageForm()
    if form.validate_on_submit():
        if chats.add_message(chat.id, "visitor", form.body.data) is None:
            form.body.errors.append(_("This conversation is no longer open."))
        else:
            if not is_htmx():
                return redirect(url_for("widget.page", site_key=site.key), 303)
            form = MessageForm(formdata=None)
    chat = chats.get(chat.id)
    return composer_part(site, chat, form=form)


@bp.get("/<site_key>/composer")
def composer(site_key):
    """The message box again, after 'no, go back' on the end question."""
    site = load_site(site_key)
    chat = _open_chat_or_page(site)
    return composer_part(site, chat)


@bp.route("/<site_key>/end", methods=["GET", "POST"])
def end(site_key):
    """Ask first, then end the chat (or leave the queue): one wrong tap never ends it."""
    site = load_site(site_key)
    chat = _open_chat_or_page(site)
    confirm = ConfirmForm()
    if request.method == "POST" and confirm.validate_on_submit():
        chats.end(chat.id, "visitor")
        chat = chats.get(chat.id)
        if not is_htmx():
            return redirect(url_for("widget.page", site_key=site.key), 303)
        return panel("widget/_chat.html", **chat_context(site, chat))
    return composer_part(site, chat, confirming=True)


@bp.post("/<site_key>/new")
def new(site_key):
    """Forget the ended chat in this browser and show the start again."""
    site = load_site(site_key)
    chat = current_chat()
    if ConfirmForm().validate_on_submit() and (
        chat is None or chat.status not in chats.OPEN_STATES
    ):
        session.pop("chat", None)
    if not is_htmx():
        return redirect(url_for("widget.page", site_key=site.key), 303)
    return page(site_key)


class VisitorStream:
    """Turns hub events into the HTML fragments the visitor's pop-up swaps in by id."""

    def __init__(self, site: Site, chat_id: int):
        self.site, self.chat_id, self.last_seq = site, chat_id, 0
        self.worker: Worker | None = None  # whose name the visitor's messages answer to
        self.connection: Connection | None = None

    def snapshot(self) -> str:
        """The live part from the database: sent on every (re)connect and state change."""
        chat = chats.get(self.chat_id)
        context = chat_context(self.site, chat, pushed=True)
        self.worker = context["worker"]
        self.last_seq = context["messages"][-1].seq if context["messages"] else 0
        if chat.status not in chats.OPEN_STATES and self.connection is not None:
            self.connection.close_soon()
        return render_template("widget/_live_parts.html", **context)

    def render(self, event: dict) -> str | None:
        kind = event.get("type")
        if kind == "message":
            # Read from the database: what was missed comes too, once and in order.
            if event.get("seq", 0) <= self.last_seq:
                return None
            fresh = chats.messages(self.chat_id, after_seq=self.last_seq)
            if not fresh:
                return None
            self.last_seq = fresh[-1].seq
            if self.worker is None:  # taken before this socket saw the state change
                self.worker = chat_context(self.site, chats.get(self.chat_id))["worker"]
            return render_template(
                "widget/_append_messages.html", messages=fresh, worker=self.worker
            )
        if kind == "position":
            return render_template("widget/_queue.html", position=event["position"])
        if kind == "state":
            return self.snapshot()
        return None


@sock.route("/<site_key>/ws", bp=bp)
def live(ws, site_key):
    """The visitor's live channel: queue place, messages and state, pushed as fragments."""
    with db.session() as s:
        site = s.get(Site, site_key)
    chat = current_chat()
    if site is None or not same_origin():
        ws.close(reason=1008, message="origin")
        return
    if chat is None or chat.status not in chats.OPEN_STATES:
        ws.close(reason=1000)
        return
    stream = VisitorStream(site, chat.id)
    connection = Connection(ws, stream.render)
    stream.connection = connection
    chats.visitor_socket(chat.id, +1)
    try:
        connection.serve([chat_topic(chat.id)], first=stream.snapshot)
    finally:
        chats.visitor_socket(chat.id, -1)
        _check_presence_later(chat.id)


def _check_presence_later(chat_id: int) -> None:
    """A reload reconnects within a second; a visitor who closed the page does not."""
    app = current_app._get_current_object()

    def check():
        with app.app_context():
            chats.abandon_if_gone(chat_id)

    timer = threading.Timer(app.config["WAITING_GRACE_SECONDS"], check)
    timer.daemon = True
    timer.start()
