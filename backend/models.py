"""All tables. A visitor is known only by a random chat token and a nickname."""

from datetime import UTC, date, datetime
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel


class ChatStatus(StrEnum):
    WAITING = "waiting"  # in the queue of one region
    ACTIVE = "active"  # claimed by one worker
    ENDED = "ended"  # an active chat that ended
    ABANDONED = "abandoned"  # left while waiting


OPEN_STATUSES = (ChatStatus.WAITING, ChatStatus.ACTIVE)


class Sender(StrEnum):
    VISITOR = "visitor"
    WORKER = "worker"
    NOTICE = "notice"  # a line for both sides, no words of anyone's: "Joris has joined"


class EndReason(StrEnum):
    VISITOR = "visitor"  # "Chat beëindigen" or "Stop met wachten"
    WORKER = "worker"
    TIMEOUT = "timeout"  # waiting, the visitor had no pop-up open for the grace time
    QUICK_EXIT = "quick_exit"  # "Verberg deze pagina"
    VISITOR_GONE = "visitor_gone"  # active, the visitor was gone longer than allowed
    SILENT = "silent"  # active, nobody wrote anything for too long
    CLOSED = "closed"  # waiting when the region's chat closed for the day


class WorkerRole(StrEnum):
    WORKER = "worker"  # takes chats of their regions
    COORDINATOR = "coordinator"  # also sees every chat of their regions
    ADMIN = "admin"  # sees every region


class Availability(StrEnum):
    AVAILABLE = "available"  # takes new chats
    BUSY = "busy"  # finishing what they have, on the phone: takes nothing new
    AWAY = "away"  # set, or the console has been closed for a while


class ContactKind(StrEnum):
    SERIOUS = "serious"
    TEST = "test"
    PRANK = "prank"
    ABUSIVE = "abusive"
    SILENT = "silent"


class Topic(StrEnum):
    CHILD_ABUSE = "child_abuse"  # kindermishandeling
    PARTNER = "partner"  # partnergeweld
    EX_PARTNER = "ex_partner"  # ex-partnergeweld
    ELDERLY = "elderly"  # ouderenmishandeling
    OTHER = "other"


class AskedBy(StrEnum):
    VICTIM = "victim"
    BYSTANDER = "bystander"
    PERPETRATOR = "perpetrator"
    PROFESSIONAL = "professional"
    OTHER = "other"


class Under18(StrEnum):
    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


class Referral(StrEnum):
    NEIGHBOURHOOD_TEAM = "neighbourhood_team"  # wijkteam
    GP = "gp"  # huisarts
    REPORT = "report"  # melding via 0800 2000
    POLICE = "police"
    OTHER = "other"
    NONE = "none"


class PresenceKind(StrEnum):
    VISITOR = "visitor"  # ref_id is a chat id
    WORKER = "worker"  # ref_id is a worker id


# All datetimes are aware UTC (clock.now()); SQLModel stores UTC and returns them aware.
def utcnow() -> datetime:
    """Aware UTC; SQLModel stores it as UTC and hands it back aware."""
    return datetime.now(UTC)


class Region(SQLModel, table=True):
    code: str = Field(primary_key=True, max_length=16)  # CBS code such as "VT13", or "DEMO"
    name: str
    observes_holidays: bool = True
    is_demo: bool = False
    # The national queue: its chats come only from regions that overflow into it, so it is
    # no visitor's choice and has no postcodes.
    national: bool = False
    # The regional office's own line and when it answers ("ma-vr 9-17 uur"), shown in the
    # pop-up beside the national number; empty when the region gave none.
    phone: str = Field(default="", max_length=20)
    phone_note: str = Field(default="", max_length=80)

    @property
    def tel(self) -> str:
        """The phone number for a tel: link: its digits only."""
        return "".join(c for c in self.phone if c.isdigit())


class OpeningHours(SQLModel, table=True):
    """One open interval on one weekday; a day may have several, or none (closed)."""

    id: int | None = Field(default=None, primary_key=True)
    region_code: str = Field(foreign_key="region.code", index=True)
    weekday: int  # 0 = Monday ... 6 = Sunday
    opens_minute: int  # minutes after local midnight
    closes_minute: int  # exclusive; 1440 means midnight at the end of the day


class DateHours(SQLModel, table=True):
    """One date's own hours in a region, instead of the week's and of a holiday: a row per
    interval, or one row without times for a closed day. `reason` is public (the pop-up)."""

    id: int | None = Field(default=None, primary_key=True)
    region_code: str = Field(foreign_key="region.code", index=True)
    day: date = Field(index=True)
    opens_minute: int | None = None  # as OpeningHours; None on both: closed that day
    closes_minute: int | None = None
    reason: str = Field(default="", max_length=80)


class Retention(SQLModel, table=True):
    """How long transcripts are kept after a chat ends, as an administrator set it: one row,
    and without it the configured default (VTCHAT_TRANSCRIPT_RETENTION_HOURS)."""

    id: int = Field(default=1, primary_key=True)
    transcript_hours: int
    changed_at: datetime = Field(default_factory=utcnow)
    changed_by: int | None = Field(default=None, foreign_key="worker.id")


class HolidayOpen(SQLModel, table=True):
    """A public holiday on which a region keeps its weekly hours (it closes on the others)."""

    region_code: str = Field(foreign_key="region.code", primary_key=True)
    holiday: str = Field(primary_key=True, max_length=40)  # the Dutch name, as `holidays` has it


class Overflow(SQLModel, table=True):
    """Where a region's waiting chats go when its own workers cannot take them: after waiting
    `after_minutes`, and (`outside_hours`) all of them while the region itself is closed."""

    region_code: str = Field(foreign_key="region.code", primary_key=True)
    partner_code: str = Field(foreign_key="region.code")
    after_minutes: int | None = None  # None: never for the wait alone
    outside_hours: bool = False


class Postcode(SQLModel, table=True):
    """The four digits of a postcode and the region most of its addresses belong to."""

    pc4: str = Field(primary_key=True, max_length=4)
    region_code: str = Field(foreign_key="region.code")


class Site(SQLModel, table=True):
    """A registered embedding site: its key in the snippet, its default region, the origins
    that may frame it, and its theme as design tokens (validated in backend/themes.py)."""

    key: str = Field(primary_key=True, max_length=64)
    name: str
    region_code: str = Field(foreign_key="region.code")
    # One or more scheme://host[:port], separated by spaces (`themes.origins` reads them):
    # a site may be reached as https://www.x.nl and https://x.nl.
    origin: str
    accent: str = "#7a1f5c"  # the brand colour, #rrggbb
    text_colour: str = "#ffffff"  # of text on the brand colour, #rrggbb
    font: str = "system"  # a key of themes.FONTS
    radius: int = 8  # corner radius in px, 0-24
    corner: str = "right"  # the host page's corner the launcher sits in: right or left
    launcher_label: str = ""  # empty: the default words, in the visitor's language
    is_demo: bool = False


class Worker(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, index=True)
    display_name: str
    password_hash: str
    region_code: str = Field(foreign_key="region.code")
    disabled: bool = False
    role: str = WorkerRole.WORKER  # a WorkerRole
    availability: str = Availability.AVAILABLE  # an Availability
    capacity: int = 2  # active chats at once
    sound: bool = True  # a short sound on a new waiting visitor or an unseen message
    # Raised on logout and when disabled: every session made before then ends at once.
    session_epoch: int = 0


class WorkerRegion(SQLModel, table=True):
    """A region a worker works for besides their own (`Worker.region_code`)."""

    worker_id: int = Field(foreign_key="worker.id", primary_key=True)
    region_code: str = Field(foreign_key="region.code", primary_key=True)


class Chat(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(unique=True, index=True)  # random; lives only in the visitor's cookie
    region_code: str = Field(foreign_key="region.code", index=True)
    status: str = Field(default=ChatStatus.WAITING, index=True)  # a ChatStatus
    nickname: str
    age: int | None = None
    gender: str | None = None
    role: str | None = None
    worker_id: int | None = Field(default=None, foreign_key="worker.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    accepted_at: datetime | None = None
    ended_at: datetime | None = None
    ended_by: str | None = None  # an EndReason
    last_seq: int = 0
    # The last moment the visitor was known to be there: the start, a page load, an open
    # socket (refreshed by every sweeper round) or its close. The sweeper reads nothing else
    # to decide the visitor has gone, so a restart or kill -9 cannot leave a ghost.
    visitor_seen_at: datetime | None = None
    # The last message, or the acceptance: for ending chats where nobody writes any more.
    last_activity_at: datetime | None = None
    # The last message the worker has had on screen: the rest counts as unread.
    worker_read_seq: int = 0
    # Handed to a named colleague who has not accepted yet, with a note for them.
    offered_to_id: int | None = Field(default=None, foreign_key="worker.id")
    handover_note: str | None = None
    # A follow-up code: the one given at the end of this chat, and one the visitor brought
    # from an earlier chat (random words; they say nothing about the visitor).
    followup_code: str | None = Field(default=None, index=True)
    earlier_code: str | None = None
    # The region whose queue the chat started in, when it moved on to a partner region or the
    # national queue (backend/overflow.py); its place in time stays (created_at).
    overflowed_from: str | None = Field(default=None, foreign_key="region.code")

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class Message(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("chat_id", "seq"),
        # A send tried again (the answer was lost) carries the same key: stored once.
        Index("ix_message_chat_key", "chat_id", "send_key", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(foreign_key="chat.id", index=True)
    seq: int
    sender: str  # a Sender
    body: str
    send_key: str | None = None  # random per message box drawn; None before keys existed
    # A coordinator who joined the chat: their name, as both sides see it. None for the
    # chat's own worker (whose name the chat has) and the visitor.
    author: str | None = None
    created_at: datetime = Field(default_factory=utcnow)


class Presence(SQLModel, table=True):
    """Open sockets of one visitor or worker in one process, refreshed by its sweeper.

    A row whose `seen_at` is older than the presence time belongs to a process that died:
    it counts for nothing and the sweeper removes it.
    """

    __table_args__ = (UniqueConstraint("kind", "ref_id", "process"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(index=True)  # a PresenceKind
    ref_id: int = Field(index=True)
    process: str  # random per process; "page" for visits without a socket (no JavaScript)
    sockets: int = 0
    seen_at: datetime = Field(default_factory=utcnow)


class Note(SQLModel, table=True):
    """A private note on a chat: only workers ever see it. Purged with the transcript."""

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(foreign_key="chat.id", index=True)
    worker_id: int = Field(foreign_key="worker.id")
    body: str
    created_at: datetime = Field(default_factory=utcnow)


class CannedAnswer(SQLModel, table=True):
    """A ready text for the message box: national (no region) or of one region."""

    id: int | None = Field(default=None, primary_key=True)
    region_code: str | None = Field(default=None, foreign_key="region.code", index=True)
    shortcut: str = Field(max_length=32)  # what a worker types to find it, e.g. "melding"
    title: str
    body: str


class Registration(SQLModel, table=True):
    """The anonymous advice registration of one chat: apart from the transcript, kept."""

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(foreign_key="chat.id", unique=True)
    region_code: str = Field(foreign_key="region.code", index=True)
    nickname: str
    worker_id: int | None = Field(default=None, foreign_key="worker.id")
    kind: str  # a ContactKind
    topic: str | None = None  # a Topic
    asked_by: str | None = None  # an AskedBy
    under_18: str | None = None  # an Under18
    advice: str | None = None
    referred_to: str | None = None  # a Referral
    followup_code: str | None = Field(default=None, index=True)
    created_at: datetime = Field(default_factory=utcnow)


class Block(SQLModel, table=True):
    """A visitor blocked for misuse until a moment: by chat token and follow-up code only."""

    id: int | None = Field(default=None, primary_key=True)
    token: str | None = Field(default=None, index=True)
    followup_code: str | None = Field(default=None, index=True)
    until: datetime
    worker_id: int | None = Field(default=None, foreign_key="worker.id")
    created_at: datetime = Field(default_factory=utcnow)


class AuditAction(StrEnum):
    READ_ALONG = "read_along"  # a coordinator opened a colleague's chat to read along
    JOIN = "join"  # and wrote in it as a second name


class ChatJoin(SQLModel, table=True):
    """A coordinator who joined a colleague's active chat: they may write in it too."""

    chat_id: int = Field(foreign_key="chat.id", primary_key=True)
    worker_id: int = Field(foreign_key="worker.id", primary_key=True)
    joined_at: datetime = Field(default_factory=utcnow)


class AuditEntry(SQLModel, table=True):
    """Who read along with or joined whose chat, and when: for administrators to read.
    Kept after the purge: it holds no words of the conversation."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    worker_id: int = Field(foreign_key="worker.id")
    action: str  # an AuditAction
    chat_id: int = Field(foreign_key="chat.id")
    region_code: str = Field(foreign_key="region.code")
