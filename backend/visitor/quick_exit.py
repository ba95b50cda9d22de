""" "Verberg deze pagina": the top window leaves at once; telling us is a side path.

The link itself goes straight to the neutral site, so it works when we are slow or down.
Two requests tell us on the way out, whichever the browser sends: the link's `ping`
(Chromium, Safari; no JavaScript needed) and an htmx request from the link's wrapper
(any browser with JavaScript, Firefox included, which turns `ping` off). Both carry the
chat's exit ticket, since a ping cannot carry a form's CSRF token; and the htmx one swaps
a fresh pop-up in before the page goes, so that even a page kept in the back/forward
cache comes back without the conversation.
"""

from flask import request, session

from backend import chats, tickets
from backend.extensions import csrf
from backend.htmx import is_htmx
from backend.sites import site_or_404
from backend.visitor import bp
from backend.visitor.render import fresh_popup


@bp.post("/<site_key>/exit")
@csrf.exempt
def quick_exit(site_key):
    """End the chat as left by quick exit, forget it everywhere, and forget this session."""
    site = site_or_404(site_key)
    token = tickets.redeem(tickets.QUICK_EXIT, request.args.get("t"))
    if token is not None:
        chats.quick_exit(token)
    session.clear()
    if is_htmx():
        return fresh_popup(site)
    return "", 204
