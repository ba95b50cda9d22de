"""Counting: what was acknowledged, what each side received over its sockets, what the
database holds, and who is still waiting or counted present when they should not be.

- sent: messages acknowledged with a 2xx (a try that got no answer or an error is retried
  under a new text, and is not sent);
- delivered: sent messages that reached the other side over its sockets, once per message
  (a reconnect's snapshot counts as delivery; it shows the whole transcript again);
- duplicates: a message appended to a list that already showed it, within one connection,
  and any message stored twice;
- lost: sent messages missing from the database, or from what either side shows at the end;
- reordered: messages out of order on either side's screen at the end, shown under another
  number than the database's, or stored out of the order they were sent in; and gaps;
- ghosts: waiting chats of visitors who are gone, and presence rows of killed processes,
  still there after the grace time and the presence time, a few sweeps later.
"""

from collections import Counter
from dataclasses import dataclass, field

from tests.chaos.links import Link
from tests.chaos.people import Visitor, Worker


@dataclass
class Conversation:
    """One chat between a visitor and a worker, and what each side sent in it."""

    number: int
    chat_id: int
    visitor: Visitor
    worker: Worker
    visitor_link: Link  # the visitor's pop-up
    worker_link: Link  # the worker's page of this chat
    sent: list[tuple[str, int, str]] = field(default_factory=list)  # (side, number, text)
    tried: list[str] = field(default_factory=list)  # every text posted, sent or not
    next_number: dict[str, int] = field(default_factory=lambda: {"v": 1, "w": 1})


@dataclass
class Figures:
    sent: int = 0
    delivered: int = 0
    duplicates: int = 0
    lost: int = 0
    reordered: int = 0
    ghosts: int = 0
    # What else must hold: every kill happened, no page was left without live updates, no
    # visitor who was there was swept, no chat ended under its people, no 5xx.
    kills: int = 0
    gave_up: list[str] = field(default_factory=list)  # pages whose socket gave up (code)
    swept: list[str] = field(default_factory=list)  # chats of people who were there, and why
    server_errors: int = 0
    details: dict[str, object] = field(default_factory=dict)  # printed, for the curious

    def report(self) -> str:
        lines = [
            f"chaos: sent {self.sent}, delivered {self.delivered}, "
            f"duplicates {self.duplicates}, lost {self.lost}, reordered {self.reordered}, "
            f"ghosts {self.ghosts}",
            f"  kills: {self.kills}",
            f"  pages whose socket gave up (close code): {self.gave_up}",
            f"  visitors swept or chats ended while they were there: {self.swept}",
            f"  5xx answers: {self.server_errors}",
        ]
        return "\n".join([*lines, *(f"  {name}: {value}" for name, value in self.details.items())])


def tally(conversations: list[Conversation], rows: list[tuple]) -> Figures:
    """Compare what was sent with the database `rows` (chat_id, seq, sender, body) and the
    streams of both sides' sockets."""
    figures = Figures()
    stored = Counter(body for _, _, _, body in rows)
    where = {body: (chat_id, seq, sender) for chat_id, seq, sender, body in rows}
    figures.duplicates += sum(count - 1 for count in stored.values() if count > 1)
    unconfirmed = 0
    for talk in conversations:
        links = (talk.visitor_link, talk.worker_link)
        finals = [{text for _, text in link.last.shown} if link.last else set() for link in links]
        for side, _number, text in talk.sent:
            figures.sent += 1
            receiver = talk.worker_link if side == "v" else talk.visitor_link
            if any(text in stream.seen for stream in receiver.streams):
                figures.delivered += 1
            sender = "visitor" if side == "v" else "worker"
            kept = where.get(text) is not None and where[text][::2] == (talk.chat_id, sender)
            if not kept or not all(text in final for final in finals):
                figures.lost += 1
        figures.duplicates += sum(stream.doubled for link in links for stream in link.streams)
        figures.reordered += _out_of_order(talk, links, where, rows)
        sent_texts = {text for _, _, text in talk.sent}
        unconfirmed += sum(1 for text in talk.tried if text in where and text not in sent_texts)
    figures.details["stored but never confirmed (answer lost in a kill, then sent again)"] = (
        unconfirmed
    )
    return figures


def _out_of_order(talk: Conversation, links, where: dict, rows: list[tuple]) -> int:
    wrong = 0
    for link in links:
        shown = link.last.shown if link.last else []
        seqs = [seq for seq, _ in shown]
        wrong += sum(1 for before, after in zip(seqs, seqs[1:], strict=False) if after <= before)
        wrong += sum(1 for seq, text in shown if text in where and where[text][1] != seq)
    stored = sorted((seq, body) for chat_id, seq, _, body in rows if chat_id == talk.chat_id)
    seqs = [seq for seq, _ in stored]
    wrong += len(set(range(1, max(seqs, default=0) + 1)) - set(seqs))  # gaps
    order = {body: position for position, (_, body) in enumerate(stored)}
    for side in "vw":
        positions = [order[text] for s, _, text in talk.sent if s == side and text in order]
        wrong += sum(1 for a, b in zip(positions, positions[1:], strict=False) if b < a)
    return wrong
