"""Who works where and how much: a worker's regions, availability and capacity.

A worker works for their own region (`Worker.region_code`) and any others listed in
`WorkerRegion`; an administrator for every region. Whether a visitor can expect an answer
soon depends on the workers of their region who are available with the console open.
"""

from sqlalchemy import delete, or_, update
from sqlmodel import select

from backend import db, presence
from backend.hub import hub, region_topic, worker_topic
from backend.models import (
    Availability,
    Chat,
    ChatStatus,
    PresenceKind,
    Region,
    Worker,
    WorkerRegion,
    WorkerRole,
)

# A visitor who gave an age below this is under 18: their chat is seen only by its worker and
# the coordinators (issue 9); the age is all the chat knows of it while it runs.
MINOR_BELOW = 18


def is_minor(chat: Chat) -> bool:
    """The visitor gave an age under 18 in the form."""
    return chat.age is not None and chat.age < MINOR_BELOW


def minor_kept_from(worker: Worker, chat: Chat) -> bool:
    """A chat of a visitor under 18 that is not this administrator's own: they count it but
    neither see nor open it. Its worker and the coordinators of its region do."""
    return worker.role == WorkerRole.ADMIN and chat.worker_id != worker.id and is_minor(chat)


def regions_of(worker: Worker) -> list[str]:
    """The codes of the regions whose chats this worker may see, sorted."""
    with db.session() as s:
        if worker.role == WorkerRole.ADMIN:
            return sorted(s.exec(select(Region.code)))
        extra = s.exec(select(WorkerRegion.region_code).where(WorkerRegion.worker_id == worker.id))
        return sorted({worker.region_code, *extra})


def add_region(worker_id: int, region_code: str) -> None:
    """Let a worker also work for another region."""
    with db.session() as s:
        if s.get(WorkerRegion, (worker_id, region_code)) is None:
            s.add(WorkerRegion(worker_id=worker_id, region_code=region_code))
            s.commit()


def set_regions(worker_id: int, region_codes: list[str]) -> None:
    """The regions a worker works for besides their own: exactly these, in one commit."""
    with db.session() as s:
        s.execute(
            delete(WorkerRegion).where(
                WorkerRegion.worker_id == worker_id, WorkerRegion.region_code.not_in(region_codes)
            )
        )
        have = set(
            s.exec(select(WorkerRegion.region_code).where(WorkerRegion.worker_id == worker_id))
        )
        s.add_all(
            WorkerRegion(worker_id=worker_id, region_code=code)
            for code in sorted(set(region_codes) - have)
        )
        s.commit()


def may_see(worker: Worker, chat: Chat) -> bool:
    """Whether a chat is the worker's to see at all: never one outside their regions.

    Inside them a worker sees the queue, their own chats and chats offered to them;
    coordinators every chat, and administrators every chat but a visitor's under 18 that
    someone else has taken (backend/oversight.py).
    """
    if chat.region_code not in regions_of(worker):
        return False
    if worker.role == WorkerRole.COORDINATOR:
        return True
    if worker.role == WorkerRole.ADMIN:
        return chat.status == ChatStatus.WAITING or not minor_kept_from(worker, chat)
    return chat.status == ChatStatus.WAITING or worker.id in (chat.worker_id, chat.offered_to_id)


def set_availability(worker_id: int, availability: Availability) -> Worker | None:
    """Available, busy or away; the waiting visitors of the worker's regions hear the change."""
    with db.session() as s:
        s.execute(update(Worker).where(Worker.id == worker_id).values(availability=availability))
        s.commit()
        worker = s.get(Worker, worker_id)
    if worker is not None:
        changed(regions_of(worker))
        hub().publish(worker_topic(worker.id), {"type": "settings"})
    return worker


def members(region_code: str):
    """A SQL condition: the worker works for this region, as regions_of says (so an
    administrator, who may take any region's chats, works for every one)."""
    extra = select(WorkerRegion.worker_id).where(WorkerRegion.region_code == region_code)
    return or_(
        Worker.region_code == region_code,
        Worker.id.in_(extra),
        Worker.role == WorkerRole.ADMIN,
    )


def available_count(region_code: str) -> int:
    """Workers of the region who are available and have the console open."""
    with db.session() as s:
        query = select(Worker.id).where(
            members(region_code),
            Worker.availability == Availability.AVAILABLE,
            Worker.disabled == False,  # noqa: E712  (SQL, not Python)
            presence.is_live(PresenceKind.WORKER, Worker.id),
        )
        return len(list(s.exec(query)))


def mark_away(worker_ids: list[int]) -> list[int]:
    """Workers whose console has been closed for a while become away; the ids changed.

    Given the workers the sweeper found gone: presence waits AWAY_AFTER_SECONDS before a
    closed console counts as gone, so a reload or a move to another chat changes nothing,
    and a worker who just logged in and has no console open yet is not among them.
    """
    if not worker_ids:
        return []
    with db.session() as s:
        query = select(Worker.id).where(
            Worker.id.in_(worker_ids), Worker.availability != Availability.AWAY
        )
        ids = list(s.exec(query))
    for worker_id in ids:
        set_availability(worker_id, Availability.AWAY)
    return ids


def changed(region_codes: list[str]) -> None:
    """The staffing of these regions changed: their waiting visitors may need to hear it.

    One event per region; each process works out once whether the region is staffed.
    """
    for code in region_codes:
        hub().publish(region_topic(code), {"type": "staffing", "region": code})
