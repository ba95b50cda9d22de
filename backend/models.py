"""All tables. A visitor is known only by a random chat token and a nickname."""

from datetime import UTC, datetime
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


class EndReason(StrEnum):
    VISITOR = "visitor"  # "Chat beëindigen" or "Stop met wachten"
    WORKER = "worker"
    TIMEOUT = "timeout"  # waiting, the visitor had no pop-up open for the grace time
    QUICK_EXIT = "quick_exit"  # "Verberg deze pagina"
    VISITOR_GONE = "visitor_gone"  # active, the visitor was gone longer than allowed
    SILENT = "silent"  # active, nobody wrote anything for too long
    CLOSED = "closed"  # waiting when the region's chat closed for the day


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


class OpeningHours(SQLModel, table=True):
    """One open interval on one weekday; a day may have several, or none (closed)."""

    id: int | None = Field(default=None, primary_key=True)
    region_code: str = Field(foreign_key="region.code", index=True)
    weekday: int  # 0 = Monday ... 6 = Sunday
    opens_minute: int  # minutes after local midnight
    closes_minute: int  # exclusive; 1440 means midnight at the end of the day


class Postcode(SQLModel, table=True):
    """The four digits of a postcode and the region most of its addresses belong to."""

    pc4: str = Field(primary_key=True, max_length=4)
    region_code: str = Field(foreign_key="region.code")


class Site(SQLModel, table=True):
    """A registered embedding site: its key in the snippet, its region and allowed origin."""

    key: str = Field(primary_key=True, max_length=64)
    name: str
    region_code: str = Field(foreign_key="region.code")
    origin: str  # scheme://host[:port] that may frame the widget
    accent: str = "#7a1f5c"  # theme token, validated as #rrggbb
    is_demo: bool = False


class Worker(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, index=True)
    display_name: str
    password_hash: str
    region_code: str = Field(foreign_key="region.code")
    disabled: bool = False
    # Raised on logout and when disabled: every session made before then ends at once.
    session_epoch: int = 0


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
