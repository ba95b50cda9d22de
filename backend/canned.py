"""Canned answers: ready texts a worker puts in the message box, national or of one region.

A worker gets the national answers and those of their own regions; within a chat, those of
the chat's region. An answer of any other region does not exist for them, whatever its id.
"""

from sqlalchemy import or_
from sqlmodel import select

from backend import db, staffing
from backend.models import CannedAnswer, Worker

MAX_QUERY_LENGTH = 64
MAX_RESULTS = 20


def _region_codes(worker: Worker, region_code: str | None) -> list[str]:
    """The worker's regions, narrowed to one of them (a chat's) when it is given."""
    codes = staffing.regions_of(worker)
    if region_code is None:
        return codes
    return [region_code] if region_code in codes else []


def for_worker(worker: Worker, region_code: str | None = None) -> list[CannedAnswer]:
    """The national answers and those of the worker's regions (or of one of them), by shortcut."""
    codes = _region_codes(worker, region_code)
    with db.session() as s:
        query = select(CannedAnswer).where(
            or_(CannedAnswer.region_code.is_(None), CannedAnswer.region_code.in_(codes))
        )
        answers = list(s.exec(query))
    return sorted(answers, key=lambda a: (a.shortcut.casefold(), a.region_code is None, a.id))


def _rank(answer: CannedAnswer, words: str) -> int | None:
    """How well an answer matches: the shortcut before the title; None when it does not."""
    shortcut, title = answer.shortcut.casefold(), answer.title.casefold()
    if shortcut == words:
        return 0
    if shortcut.startswith(words):
        return 1
    if words in shortcut:
        return 2
    if words in title:
        return 3
    return None


def search(worker: Worker, query: str, region_code: str | None = None) -> list[CannedAnswer]:
    """Answers whose shortcut or title holds the query, whatever its case; all when it is empty.

    Shortcut matches come first: a worker who types a short name gets that answer on top.
    """
    words = " ".join((query or "")[:MAX_QUERY_LENGTH].split()).casefold()
    answers = for_worker(worker, region_code)
    if not words:
        return answers[:MAX_RESULTS]
    ranked = [(rank, n) for n, a in enumerate(answers) if (rank := _rank(a, words)) is not None]
    return [answers[n] for _, n in sorted(ranked)][:MAX_RESULTS]


def get(worker: Worker, answer_id: int, region_code: str | None = None) -> CannedAnswer | None:
    """One answer the worker may use (in a chat of `region_code`); None for any other id."""
    with db.session() as s:
        answer = s.get(CannedAnswer, answer_id)
    if answer is None:
        return None
    if answer.region_code is not None and answer.region_code not in _region_codes(
        worker, region_code
    ):
        return None
    return answer


def add(region_code: str | None, shortcut: str, title: str, body: str) -> bool:
    """Add an answer unless the region (or the nation) already has one by that shortcut.

    Whether it was added; an existing answer keeps its text, so a coordinator's edits stay.
    """
    with db.session() as s:
        same = select(CannedAnswer.id).where(
            CannedAnswer.region_code.is_(None)
            if region_code is None
            else CannedAnswer.region_code == region_code,
            CannedAnswer.shortcut == shortcut,
        )
        if s.exec(same).first() is not None:
            return False
        s.add(CannedAnswer(region_code=region_code, shortcut=shortcut, title=title, body=body))
        s.commit()
        return True


def joined(typed: str, text: str) -> str:
    """The message box after inserting `text`: after what was typed, or alone in an empty box."""
    if not typed.strip():
        return text
    return f"{typed.rstrip()}\n\n{text}"


# ---- managed in the console by coordinators (their regions) and administrators (also national)


def of_regions(codes: list[str], national: bool) -> list[CannedAnswer]:
    """The answers of these regions (and the national ones when asked), by region and shortcut."""
    with db.session() as s:
        where = CannedAnswer.region_code.in_(codes)
        if national:
            where = or_(where, CannedAnswer.region_code.is_(None))
        answers = list(s.exec(select(CannedAnswer).where(where)))
    return sorted(answers, key=lambda a: (a.region_code or "", a.shortcut.casefold(), a.id))


def one(answer_id: int) -> CannedAnswer | None:
    with db.session() as s:
        return s.get(CannedAnswer, answer_id)


def shortcut_taken(region_code: str | None, shortcut: str, except_id: int | None = None) -> bool:
    """Whether the region (or the nation) has another answer by this shortcut, whatever its case.

    Within a region a shortcut names one answer: typing it finds that answer first.
    """
    with db.session() as s:
        same = select(CannedAnswer).where(
            CannedAnswer.region_code.is_(None)
            if region_code is None
            else CannedAnswer.region_code == region_code
        )
        return any(
            a.shortcut.casefold() == shortcut.casefold() and a.id != except_id for a in s.exec(same)
        )


def save(
    answer_id: int | None, region_code: str | None, shortcut: str, title: str, body: str
) -> CannedAnswer:
    """Add an answer (no id) or change one; workers find the new text from their next search."""
    with db.session() as s:
        answer = s.get(CannedAnswer, answer_id) if answer_id is not None else CannedAnswer()
        answer.region_code, answer.shortcut, answer.title, answer.body = (
            region_code,
            shortcut,
            title,
            body,
        )
        s.add(answer)
        s.commit()
        s.refresh(answer)
        return answer


def delete(answer_id: int) -> None:
    with db.session() as s:
        answer = s.get(CannedAnswer, answer_id)
        if answer is not None:
            s.delete(answer)
            s.commit()
