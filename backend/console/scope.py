"""Who may manage what in the console: coordinators their own regions, administrators all.

A chat worker gets 403 on every manager's page; a region (or a person, or a text) outside
the manager's regions does not exist for them: 404.
"""

from flask import abort, g

from backend import regions, staffing
from backend.models import Region, WorkerRole


def managers_only() -> None:
    """403 for a chat worker: the page is for coordinators and administrators."""
    if g.worker.role == WorkerRole.WORKER:
        abort(403)


def managed_region(code: str) -> Region:
    """A region this person manages: 403 for a worker, 404 outside their regions."""
    managers_only()
    region = regions.get(code)
    if region is None or code not in staffing.regions_of(g.worker):
        abort(404)
    return region
