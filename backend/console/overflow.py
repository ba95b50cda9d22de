"""A region's overflow, set on its hours page: where its waiting chats go, and when."""

from flask_babel import gettext as _

from backend import overflow, regions
from backend.console import bp, hours
from backend.console.auth import login_required
from backend.console.forms import overflow_form
from backend.console.scope import managed_region


@bp.post("/hours/<code>/overflow")
@login_required
def save_overflow(code):
    """Where the region's waiting chats go after a wait or while it is closed, or nowhere."""
    region = managed_region(code)
    form = overflow_form(region, posted=True)
    if not form.validate_on_submit():
        return hours._page(region, 400, overflow_form=form)
    partner = regions.get(form.partner.data) if form.partner.data else None
    after = form.after_minutes.data if partner else None
    overflow.set_rule(region.code, partner and partner.code, after, bool(form.outside_hours.data))
    if partner is None:
        return hours._done(
            region, _("The waiting chats of %(region)s stay there.", region=region.name)
        )
    return hours._done(
        region,
        _(
            "Waiting chats of %(region)s now move to %(partner)s.",
            region=region.name,
            partner=partner.name,
        ),
    )
