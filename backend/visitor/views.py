"""The pop-up's pages: open or closed, the form, the chat, its end, and the words about data."""

from flask import (
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
from werkzeug.exceptions import NotFound

from backend import (
    blocks,
    chats,
    clock,
    followup,
    message_boxes,
    overflow,
    presence,
    rate_limits,
    regions,
    shared_pages,
    themes,
)
from backend.forms import ConfirmForm, StartForm
from backend.htmx import is_htmx
from backend.models import ChatStatus, EndReason, Sender, Site
from backend.retention import hours as retention_hours
from backend.sites import site_or_404
from backend.visitor import bp
from backend.visitor.render import (
    chat_context,
    composer_part,
    current_chat,
    panel,
    retention_period,
    start_form,
    status_context,
)


def page_url(site: Site, continued: bool = False) -> str:
    """The pop-up; `continued` marks a load that goes on with the same page view (no htmx)."""
    return url_for("widget.page", site_key=site.key, continued=1 if continued else None)


@bp.get("/<site_key>")
def page(site_key):
    """The pop-up: the visitor's open chat if there is one, else whether the chat is open."""
    site = site_or_404(site_key)
    chat = current_chat()
    if chat is not None and not chat.is_open:
        # An ended chat is shown once, in the page view where it ended; never on a later load.
        session.pop("chat", None)
        if request.args.get("continued") and not is_htmx():
            return panel("widget/_chat.html", **chat_context(site, chat))
        chat = None
    if chat is not None:
        chats.seen(chat.id)  # without JavaScript, these reloads are all that says so
        return panel(
            "widget/_chat.html", **noscript_refresh(site, chat), **chat_context(site, chat)
        )
    context = status_context(site)
    if context["shared"]:
        # A first visit: the page is the same for all of them (backend/shared_pages.py).
        partner = context["helped_by"]
        also = [regions.status(partner)] if partner is not None else []
        shared_pages.share_until(context["status"], clock.now(), *also)
    return panel("widget/_status.html", **context)


@bp.get("/<site_key>/theme.css")
def theme(site_key):
    """The site's design tokens as CSS custom properties; never raw CSS from anywhere."""
    site = site_or_404(site_key)
    css = render_template("widget/theme.css", theme=themes.Theme.of(site))
    return css, 200, {"Content-Type": "text/css; charset=utf-8", "Cache-Control": "no-cache"}


@bp.route("/<site_key>/start", methods=["GET", "POST"])
def start(site_key):
    """The anonymous form; a valid one puts the visitor in the queue of their region."""
    site = site_or_404(site_key)
    chat = current_chat()
    if chat is not None and chat.is_open:
        return redirect(page_url(site), 303)
    # Blocked for misuse: by the token of this browser's last chat, or by the code given.
    if blocks.blocking([session.get("chat"), session.get(blocks.LAST_CHAT)]):
        return panel("widget/_blocked.html", site=site)
    form = start_form(site)
    status = 200
    if form.validate_on_submit():
        if blocks.blocking(code=followup.normalise(form.earlier_code.data)):
            return panel("widget/_blocked.html", site=site)
        region = _chosen_region(form, site)
        if region is not None and form.role.data == "professional":
            return panel("widget/_professional.html", site=site, region=region)
        # Closed, but overflowing outside its hours to an open partner: the partner's queue.
        partner = overflow.taking_over(region) if region is not None else None
        came_from, region = (region, partner) if partner is not None else (None, region)
        if region is not None and not regions.status(region).is_open:
            form.region.errors.append(
                _(
                    "The chat of %(region)s is closed now. You can call 0800 2000 day and night.",
                    region=region.name,
                )
            )
        elif region is not None and not _may_start(form, region):
            status = rate_limits.TOO_MANY_REQUESTS
        elif region is not None:
            chat = chats.create(
                region.code,
                form.nickname.data,
                form.age_value,
                form.gender.data or None,
                form.role.data or None,
                # Stored whatever it is: nobody learns whether a code exists.
                earlier_code=followup.normalise(form.earlier_code.data),
                overflowed_from=came_from.code if came_from else None,
            )
            session["chat"] = chat.token
            # Kept after "chat" is cleared at the end, for a block on this token.
            session[blocks.LAST_CHAT] = chat.token
            if is_htmx():
                return panel("widget/_chat.html", **chat_context(site, chat))
            return redirect(page_url(site), 303)
    return panel("widget/_form.html", site=site, form=form, **retention()), status


def _may_start(form: StartForm, region) -> bool:
    """Within the limits on starts from this client and into this region's queue; else say so.

    Counted only for a valid form, so a visitor correcting a typo never uses one up.
    """
    if not rate_limits.allow_client("START_LIMIT_PER_CLIENT"):
        form.nickname.errors.append(
            _(
                "You have started several chats in a short time. Wait a few minutes and try "
                "again, or call 0800 2000."
            )
        )
        return False
    if not rate_limits.allow("START_LIMIT_PER_REGION", region.code):
        form.region.errors.append(
            _(
                "It is very busy in the chat of %(region)s right now. Try again in a minute, "
                "or call 0800 2000 (day and night).",
                region=region.name,
            )
        )
        return False
    return True


def retention() -> dict:
    return {"retention": retention_period(retention_hours())}


def noscript_refresh(site: Site, chat) -> dict:
    """Without JavaScript a waiting visitor's page reloads itself to show the new place."""
    if chat.status != ChatStatus.WAITING:
        return {}
    refresh = current_app.config["NOSCRIPT_REFRESH_SECONDS"]
    return {"refresh_url": page_url(site, continued=True), "refresh": refresh}


@bp.get("/<site_key>/privacy")
def privacy(site_key):
    """In plain words: what is kept of a chat, for how long, who reads it, what is never kept."""
    site = site_or_404(site_key)
    return panel("widget/_privacy.html", site=site, **retention())


@bp.errorhandler(CSRFError)
def form_expired(error):
    """A post without a valid token (its session was lost): the start form, saying so.

    Answered inside the pop-up like any page of it, never as a bare 400 the frame cannot show.
    """
    try:
        site = site_or_404((request.view_args or {}).get("site_key", ""))
    except NotFound as unknown:
        # A handler cannot raise: an unknown site is answered as any unknown page is.
        return current_app.handle_http_exception(unknown)
    form = start_form(site, fresh=True)
    form.csrf_token.errors = [error.description]
    response = make_response(panel("widget/_form.html", site=site, form=form, **retention()))
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


def _chat_or_page(site: Site):
    chat = current_chat()
    if chat is None:
        abort(redirect(page_url(site), 303))
    return chat


@bp.post("/<site_key>/send")
def send(site_key):
    """Store what the visitor wrote; it reaches both sides over their WebSockets.

    With htmx the answer touches only the text areas it stored or refused, never the one
    being typed in (backend/message_boxes.py).
    """
    site = site_or_404(site_key)
    chat_id = chats.id_by_token(session.get("chat"))
    if chat_id is None:
        return redirect(page_url(site), 303)
    boxes, status = message_boxes.receive(chat_id, Sender.VISITOR, "VISITOR_MESSAGE_LIMIT")
    if is_htmx():
        return render_template("widget/_sent.html", site=site, boxes=boxes), status
    refused = message_boxes.first_refused(boxes)
    if refused is None:
        return redirect(page_url(site), 303)
    chat = chats.get(chat_id)
    return composer_part(site, chat, form=refused.form), status


@bp.get("/<site_key>/composer")
def composer(site_key):
    """The message box again, after 'no, go back' on the end question."""
    site = site_or_404(site_key)
    chat = _chat_or_page(site)
    return composer_part(site, chat, focus_box=True)


@bp.route("/<site_key>/end", methods=["GET", "POST"])
def end(site_key):
    """Ask first, then end the chat (or leave the queue): one wrong tap never ends it."""
    site = site_or_404(site_key)
    chat = _chat_or_page(site)
    confirm = ConfirmForm()
    if request.method == "POST" and confirm.validate_on_submit():
        chats.end(chat.id, EndReason.VISITOR)
        if not is_htmx():
            return redirect(page_url(site, continued=True), 303)
        session.pop("chat", None)  # shown now, in this page view, and not again
        return panel("widget/_chat.html", **chat_context(site, chats.get(chat.id)))
    return composer_part(site, chat, confirming=True)


@bp.post("/<site_key>/new")
def new(site_key):
    """Forget the ended chat in this browser and show the start again."""
    site = site_or_404(site_key)
    chat = current_chat()
    if ConfirmForm().validate_on_submit() and (chat is None or not chat.is_open):
        session.pop("chat", None)
    if not is_htmx():
        return redirect(page_url(site), 303)
    return page(site_key)


@bp.get("/<site_key>/transcript")
def transcript(site_key):
    """Without JavaScript: the conversation in a frame of its own that reloads itself.

    The message box stays outside this frame, so what the visitor is typing is never lost.
    """
    site = site_or_404(site_key)
    g.frame_ancestors = " ".join(["'self'", *themes.origins(site.origin)])
    chat = current_chat()
    if chat is None:
        return render_template("widget/transcript.html", site=site, chat=None)
    if chat.is_open:
        presence.page_visit(chat.id)  # its reloads are how the worker knows the visitor is there
    return render_template(
        "widget/transcript.html",
        refresh=current_app.config["NOSCRIPT_REFRESH_SECONDS"] if chat.is_open else None,
        continue_url=page_url(site, continued=True),
        **chat_context(site, chat),
    )
