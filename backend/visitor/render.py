"""What the pop-up's views share: the visitor's chat, and each panel's context.

The site itself comes from backend.sites (site_or_404), the one place sites are looked up.
"""

from flask import render_template, session, url_for
from flask_babel import ngettext
from wtforms.fields.choices import SelectChoice

from backend import blocks, chats, db, followup, overflow, presence, regions, staffing, tickets
from backend.forms import ConfirmForm, MessageForm, StartForm
from backend.htmx import is_htmx
from backend.models import Chat, ChatStatus, PresenceKind, Site, Worker


def current_chat() -> Chat | None:
    return chats.by_token(session.get("chat"))


def panel(template: str, **context) -> str:
    """A panel partial alone for htmx; inside the whole page otherwise (one view, both).

    A panel that htmx swaps in takes the focus to its heading (`swapped`), and brings the
    safety bar along, whose quick exit must name the chat now on screen.
    """
    if is_htmx():
        context.setdefault("swapped", True)
        return render_template(template, **context) + render_template(
            "widget/_safety.html", oob=True, **context
        )
    return render_template("widget/page.html", panel=template, **context)


def fresh_popup(site: Site) -> str:
    """The pop-up with nothing from before, to swap in over whatever it showed.

    The open-or-closed panel, a quick exit that names no chat, and an empty live region
    (it may still hold the worker's last words).
    """
    context = status_context(site)
    return (
        render_template("widget/_status.html", swapped=True, **context)
        + render_template("widget/_safety.html", oob=True, **context)
        + render_template("widget/_announce.html", words="")
    )


def exit_url(site: Site, chat: Chat | None) -> str:
    """Where the quick exit tells us, with a ticket when there is a chat to forget."""
    ticket = tickets.issue(tickets.QUICK_EXIT, chat.token) if chat is not None else None
    return url_for("widget.quick_exit", site_key=site.key, t=ticket)


def socket_url(site: Site, chat: Chat) -> str:
    """The chat's WebSocket, named by its socket ticket (no cookie needed)."""
    ticket = tickets.issue(tickets.SOCKET, chat.token)
    return url_for("widget.live", site_key=site.key, t=ticket)


def retention_period(hours: int) -> str:
    """How long transcripts are kept, in words: whole days when it is whole days."""
    if hours % 24 == 0:
        return ngettext("%(num)s day", "%(num)s days", hours // 24)
    return ngettext("%(num)s hour", "%(num)s hours", hours)


def status_context(site: Site) -> dict:
    region = regions.get(site.region_code)
    # `shared`: nothing in the session, so nothing of this visitor's on the page.
    # `helped_by`: the region is closed, and an open partner takes its chats meanwhile.
    return {
        "site": site,
        "region": region,
        "status": regions.status(region),
        "helped_by": overflow.taking_over(region),
        "shared": not session,
    }


def empty_forms() -> dict:
    """The message box and the yes/no buttons, as a page shows them before anything is typed."""
    return {"form": MessageForm(formdata=None), "confirm": ConfirmForm(formdata=None)}


def chat_context(site: Site, chat: Chat, **extra) -> dict:
    with db.session() as s:
        worker = s.get(Worker, chat.worker_id) if chat.worker_id else None
    return {
        "site": site,
        "chat": chat,
        "region": regions.get(chat.region_code),
        "worker": worker,
        "worker_here": worker_here(chat),
        "messages": chats.messages(chat.id),
        "position": chats.position(chat),
        "unstaffed": unstaffed(chat),
        **empty_forms(),
        **closing_context(chat),
        **extra,
    }


def closing_context(chat: Chat) -> dict:
    """What the closing of an ended chat offers (widget/_closing.html): the follow-up code,
    or, for a visitor blocked for misuse, the calm message instead."""
    if chat.is_open:
        return {}
    blocked = blocks.of_chat(chat)
    return {"blocked": blocked, "followup_code": None if blocked else followup.for_visitor(chat)}


def worker_here(chat: Chat) -> bool:
    """During an active chat: whether the worker has the console open."""
    if chat.status != ChatStatus.ACTIVE or chat.worker_id is None:
        return False
    return presence.present(PresenceKind.WORKER, chat.worker_id)


def unstaffed(chat: Chat) -> bool:
    """While waiting in an open region: whether no worker of it is free to answer right now."""
    return chat.status == ChatStatus.WAITING and region_unstaffed(chat.region_code)


def region_unstaffed(region_code: str) -> bool:
    """Whether the region is open and none of its workers is free to answer right now."""
    region = regions.get(region_code)
    if region is None or not regions.status(region).is_open:
        return False
    return staffing.available_count(region_code) == 0


def composer_part(site: Site, chat: Chat, **extra) -> str:
    """The message box for htmx; without htmx, the whole chat around it.

    The box alone is answered on every message sent: it needs no transcript or queue place.
    """
    if is_htmx():
        context = {"site": site, "chat": chat, "oob": True, **empty_forms(), **extra}
        return render_template("widget/_composer.html", **context)
    return render_template(
        "widget/page.html", panel="widget/_chat.html", **chat_context(site, chat, **extra)
    )


def start_form(site: Site, fresh: bool = False) -> StartForm:
    """The start form with the regions this site offers; a new one has the site's region."""
    form = StartForm(formdata=None) if fresh else StartForm()
    form.region.choices = [
        SelectChoice(r.code, r.name)
        for r in regions.all_regions(include_demo=site.is_demo)
        if not r.national  # reached only by overflow (backend/overflow.py)
    ]
    if fresh or not form.is_submitted():
        form.region.data = site.region_code
    return form


def field_attrs(field, hint: bool = False, focus: bool = False, preserve: bool = False) -> dict:
    """A field's state as attributes: invalid or not, what describes it, focus, kept on push.

    An attribute that does not apply is left out, never written as "None". `maxlength` and
    `required` come from the field's validators (WTForms renders their flags).
    """
    attrs = {"aria-invalid": "true" if field.errors else "false"}
    described = [f"{field.id}-hint"] if hint else []
    if field.errors:
        described.append(f"{field.id}-error")
    if described:
        attrs["aria-describedby"] = " ".join(described)
    if focus:
        attrs["autofocus"] = True
    if preserve:
        attrs["hx-preserve"] = "true"
    return attrs
