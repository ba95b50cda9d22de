"""Registered embedding sites: the one place a site is looked up by the key in its snippet."""

from flask import abort, current_app, g

from backend import db, settings_changes
from backend.models import Site


def get(site_key: str | None) -> Site | None:
    """The registered site with this key; None for an unknown or missing key.

    Every request of a pop-up asks: each process keeps what it read while no site changed
    (backend/settings_changes.py). The row is shared, so it is only ever read.
    """
    if not site_key:
        return None
    kept = current_app.extensions.setdefault("sites", settings_changes.Kept())
    return kept.get(site_key, lambda: _read(site_key))


def _read(site_key: str) -> Site | None:
    with db.session() as s:
        return s.get(Site, site_key)


def site_or_404(site_key: str | None, framed: bool = True) -> Site:
    """The registered site, or 404 for an unknown key.

    `framed`: the answer is the site's pop-up, which only the site's own origin may frame
    (security.py writes g.frame_ancestors into the CSP; errors.py reads it to know the site
    was found). Pages about a site that are not its pop-up pass False and stay unframed.
    """
    site = get(site_key)
    if site is None:
        abort(404)
    if framed:
        g.frame_ancestors = site.origin
    return site
