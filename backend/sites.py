"""Registered embedding sites: looked up by the key in their snippet (kept per process),
listed, registered and changed."""

from flask import abort, current_app, g
from sqlmodel import select

from backend import db, settings_changes, themes
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

    `framed`: the answer is the site's pop-up, which only the site's own origins may frame
    (security.py writes g.frame_ancestors into the CSP; errors.py reads it to know the site
    was found). Pages about a site that are not its pop-up pass False and stay unframed.
    """
    site = get(site_key)
    if site is None:
        abort(404)
    if framed:
        g.frame_ancestors = themes.frame_ancestors(site)
    return site


def listed(region_codes: list[str] | None = None) -> list[Site]:
    """The registered sites by name; those of the given regions only, if given."""
    with db.session() as s:
        query = select(Site).order_by(Site.name, Site.key)
        if region_codes is not None:
            query = query.where(Site.region_code.in_(region_codes))
        return list(s.exec(query))


def register(key: str, name: str, origins: list[str], region_code: str) -> Site | None:
    """A new site with the default theme; None if the key is taken."""
    with db.session() as s:
        if s.get(Site, key) is not None:
            return None
        site = Site(key=key, name=name, origin=" ".join(origins), region_code=region_code)
        s.add(site)
        s.commit()
        s.refresh(site)
        return site


def change(key: str, **values) -> None:
    """Set a site's name, origins (a list), region or theme tokens, in one commit; every
    process reads the site anew (settings_changes counts the commit)."""
    if "origins" in values:
        values["origin"] = " ".join(values.pop("origins"))
    with db.session() as s:
        site = s.get(Site, key)
        for name, value in values.items():
            setattr(site, name, value)
        s.add(site)
        s.commit()
