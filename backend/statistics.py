"""The figures for the evaluation, from chat timestamps and advice registrations only.

Never from messages or notes: the purge deletes those, and the figures must stay. Weeks,
weekdays and hours are local (the app's TIMEZONE), so a chat at 23:30 on a Sunday in summer
counts for that Sunday, not for Monday in UTC. Rows are fetched with portable SQL and counted
here: months of chats are a few thousand rows at most.
"""

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlmodel import select

from backend import db
from backend.models import AskedBy, Chat, ChatStatus, ContactKind, Registration, Topic, Under18

# The edges of the duration buckets in minutes: under 5, 5 to 10, ..., 60 or more.
DURATION_EDGES = (5, 10, 15, 20, 30, 45, 60)


@dataclass
class Figures:
    """What the statistics page shows for a set of regions and a period."""

    weeks: list[tuple[date, int]] = field(default_factory=list)  # (Monday, serious chats)
    started: int = 0
    abandoned: int = 0  # left while waiting
    ended: int = 0
    waits: list[float] = field(default_factory=list)  # seconds until accepted, sorted
    durations: list[int] = field(default_factory=list)  # ended chats per bucket
    under_18: dict[str, int] = field(default_factory=dict)  # serious chats per Under18
    asked_by: dict[str, int] = field(default_factory=dict)  # serious chats per AskedBy
    topics: dict[str, int] = field(default_factory=dict)  # serious chats per Topic
    kinds: dict[str, int] = field(default_factory=dict)  # registrations per ContactKind
    heatmap: list[list[int]] = field(default_factory=list)  # [weekday][hour] chats started

    def wait_percentile(self, p: int) -> float | None:
        """The nearest-rank percentile of the waits in seconds; None without any."""
        if not self.waits:
            return None
        return self.waits[max(math.ceil(p / 100 * len(self.waits)) - 1, 0)]


def mondays(first: date, last: date) -> list[date]:
    """The Monday of every week that has a day in the period."""
    monday = first - timedelta(days=first.weekday())
    return [monday + timedelta(weeks=n) for n in range((last - monday).days // 7 + 1)]


def compute(region_codes: list[str], first: date, last: date) -> Figures:
    """The figures of chats started from `first` to `last` (local dates, both included)."""
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    start = datetime.combine(first, time(), tz).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(), tz).astimezone(UTC)
    with db.session() as s:
        chats = s.exec(
            select(Chat.created_at, Chat.accepted_at, Chat.ended_at, Chat.status).where(
                Chat.region_code.in_(region_codes), Chat.created_at >= start, Chat.created_at < end
            )
        ).all()
        registrations = s.exec(
            select(
                Chat.created_at,
                Registration.kind,
                Registration.topic,
                Registration.asked_by,
                Registration.under_18,
            )
            .join(Chat, Chat.id == Registration.chat_id)
            .where(
                Registration.region_code.in_(region_codes),
                Chat.created_at >= start,
                Chat.created_at < end,
            )
        ).all()
    figures = Figures(
        heatmap=[[0] * 24 for _ in range(7)], durations=[0] * (len(DURATION_EDGES) + 1)
    )
    waits = []
    for created, accepted, ended, status in chats:
        local = _aware(created).astimezone(tz)
        figures.heatmap[local.weekday()][local.hour] += 1
        figures.started += 1
        if status == ChatStatus.ABANDONED:
            figures.abandoned += 1
        elif status == ChatStatus.ENDED:
            figures.ended += 1
        if accepted is not None:
            waits.append((_aware(accepted) - _aware(created)).total_seconds())
            if status == ChatStatus.ENDED and ended is not None:
                minutes = (_aware(ended) - _aware(accepted)).total_seconds() / 60
                figures.durations[sum(minutes >= edge for edge in DURATION_EDGES)] += 1
    figures.waits = sorted(waits)
    per_week = Counter()
    kinds, topics, askers, ages = Counter(), Counter(), Counter(), Counter()
    for created, kind, topic, asked_by, under_18 in registrations:
        kinds[kind] += 1
        if kind != ContactKind.SERIOUS:
            continue
        local_day = _aware(created).astimezone(tz).date()
        per_week[local_day - timedelta(days=local_day.weekday())] += 1
        topics[topic] += 1
        askers[asked_by] += 1
        ages[under_18 or Under18.UNKNOWN] += 1
    figures.weeks = [(monday, per_week[monday]) for monday in mondays(first, last)]
    figures.kinds = {kind.value: kinds[kind] for kind in ContactKind}
    figures.topics = {topic.value: topics[topic] for topic in Topic}
    figures.asked_by = {asker.value: askers[asker] for asker in AskedBy}
    figures.under_18 = {age.value: ages[age] for age in Under18}
    return figures


def _aware(moment: datetime) -> datetime:
    """Stored times are UTC; a database that hands them back without a zone means UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
