"""Months of plausible past chats in the demo regions, up to now, so that the statistics and
the overview show something real on a demo's first start (`flask seed-demo --history WEEKS`,
which `make run` uses).

Every past chat has ended or was left while waiting, and has no transcript (as after the
purge): nothing of it reaches a worker's queue or list. The numbers come from a seeded random
generator, so every demo shows the same pattern; a region that has its history keeps it.
"""

import math
import random
import secrets
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlmodel import select

from backend import clock, db
from backend.models import (
    AskedBy,
    Chat,
    ChatStatus,
    ContactKind,
    EndReason,
    Referral,
    Registration,
    Topic,
    Under18,
    Worker,
)
from backend.seed import DEMO_REGION, SECOND_DEMO_REGION

TOKEN_PREFIX = "history-"  # how a past demo chat is known again: random after it
# Chats a day, Monday to Sunday, in each demo region: quieter at the weekend.
PER_DAY = {DEMO_REGION: (7, 7, 6, 7, 6, 3, 2), SECOND_DEMO_REGION: (3, 3, 3, 3, 2, 1, 1)}
# The weight of each hour: quiet at night, peaks around lunch and late in the afternoon.
HOUR_WEIGHTS = (1, 1, 0, 0, 0, 0, 1, 2, 4, 6, 7, 8, 10, 9, 7, 7, 9, 10, 8, 6, 5, 4, 3, 2)
LEFT_WHILE_WAITING = 0.08
KINDS = {
    ContactKind.SERIOUS: 85,
    ContactKind.TEST: 3,
    ContactKind.PRANK: 6,
    ContactKind.ABUSIVE: 2,
    ContactKind.SILENT: 4,
}
TOPICS = {
    Topic.CHILD_ABUSE: 30,
    Topic.PARTNER: 35,
    Topic.EX_PARTNER: 15,
    Topic.ELDERLY: 8,
    Topic.OTHER: 12,
}
ASKERS = {
    AskedBy.VICTIM: 45,
    AskedBy.BYSTANDER: 35,
    AskedBy.PERPETRATOR: 5,
    AskedBy.PROFESSIONAL: 8,
    AskedBy.OTHER: 7,
}
UNDER_18 = {Under18.YES: 10, Under18.NO: 82, Under18.UNKNOWN: 8}  # about one in ten
REFERRALS = {
    Referral.NEIGHBOURHOOD_TEAM: 25,
    Referral.GP: 10,
    Referral.REPORT: 20,
    Referral.POLICE: 5,
    Referral.OTHER: 10,
    Referral.NONE: 30,
}
NICKNAMES = ("Sam", "Noor", "Lotte", "Jay", "Mo", "Kim", "Robin", "Anoniem", "Eva", "Daan")


def add(weeks: int, today: date | None = None) -> int:
    """Past chats of `weeks` weeks before today, and of today until now, in each demo region
    that has none yet; how many were added. Today's make the overview's counts of today
    something on a first start too."""
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    now = clock.now()
    today = today or now.astimezone(tz).date()
    added = 0
    with db.session() as s:
        for code, per_day in PER_DAY.items():
            if s.exec(
                select(Chat.id).where(Chat.region_code == code, Chat.token.startswith(TOKEN_PREFIX))
            ).first():
                continue
            workers = list(s.exec(select(Worker.id).where(Worker.region_code == code)))
            rng = random.Random(f"{code}/{weeks}")
            for offset in range(weeks * 7, -1, -1):
                day = today - timedelta(days=offset)
                for _ in range(per_day[day.weekday()]):
                    chat, registration = _chat(rng, code, day, tz, workers)
                    # Later today has not come yet. Drawn all the same, so that every day
                    # before today stays as it was.
                    done = registration.created_at if registration else chat.ended_at
                    if done > now:
                        continue
                    s.add(chat)
                    s.flush()  # its id, for the registration
                    if registration is not None:
                        registration.chat_id = chat.id
                        s.add(registration)
                    added += 1
        s.commit()
    return added


def _pick(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _chat(rng, code, day, tz, workers) -> tuple[Chat, Registration | None]:
    hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
    local = datetime.combine(day, time(hour, rng.randrange(60), rng.randrange(60)), tz)
    created = local.astimezone(UTC)
    chat = Chat(
        token=TOKEN_PREFIX + secrets.token_urlsafe(16),
        region_code=code,
        nickname="",  # no transcript: as a chat is after the purge
        created_at=created,
    )
    if rng.random() < LEFT_WHILE_WAITING:
        chat.status, chat.ended_by = ChatStatus.ABANDONED, EndReason.VISITOR
        chat.ended_at = created + timedelta(seconds=rng.randint(30, 600))
        chat.visitor_seen_at = chat.last_activity_at = chat.ended_at
        return chat, None
    # Most visitors wait a minute or two; a few much longer.
    waited = min(rng.expovariate(1 / 90), 1200)
    # Mostly 15 to 20 minutes (DESIGN.md), some short, a few over an hour.
    minutes = min(max(rng.lognormvariate(math.log(16), 0.45), 2), 90)
    chat.status = ChatStatus.ENDED
    chat.worker_id = rng.choice(workers) if workers else None
    chat.accepted_at = created + timedelta(seconds=waited)
    chat.ended_at = chat.accepted_at + timedelta(minutes=minutes)
    chat.ended_by = rng.choice((EndReason.VISITOR, EndReason.WORKER, EndReason.WORKER))
    chat.visitor_seen_at = chat.last_activity_at = chat.ended_at
    kind = _pick(rng, KINDS)
    registration = Registration(
        chat_id=0,
        region_code=code,
        nickname=rng.choice(NICKNAMES),
        worker_id=chat.worker_id,
        kind=kind,
        created_at=chat.ended_at + timedelta(minutes=rng.randint(1, 5)),
    )
    if kind == ContactKind.SERIOUS:
        registration.topic = _pick(rng, TOPICS)
        registration.asked_by = _pick(rng, ASKERS)
        registration.under_18 = _pick(rng, UNDER_18)
        registration.referred_to = _pick(rng, REFERRALS)
        if registration.under_18 == Under18.YES:
            chat.age = rng.randint(12, 17)
        elif registration.under_18 == Under18.NO and rng.random() < 0.5:
            chat.age = rng.randint(18, 75)
    return chat, registration
