"""A page's WebSocket as the htmx ws extension keeps it, and what each connection received.

A `Link` reconnects when the extension would (close codes 1006, 1011, 1012, 1013, with its
full-jitter delay) and stops on any other close, leaving the page without live updates, as
in a browser. Every connection is one `Stream`: the transcript it shows (a snapshot replaces
the list, a pushed message is appended to it) and how often a message was appended to a
list that already showed it.
"""

import contextlib
import random
import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable

import websocket

RECONNECT_CODES = {1006, 1011, 1012, 1013}  # the codes the htmx ws extension reconnects on
JITTER = 1.0  # seconds; the extension waits random() * JITTER * 2**min(retries, 6)
MAX_RETRY_EXPONENT = 3  # capped lower than the extension's 6 to keep the test short
# Seconds a handshake may wait for the server. A browser gives a WebSocket's handshake far
# longer than 5 s, which this was: on a busy machine every page gave up on a restarting
# server's backlog and tried again, and the server then drew snapshots for sockets whose
# client had already left, slowing its recovery further.
CONNECT_TIMEOUT = 30
MESSAGE = re.compile(r'<li\b[^>]*\bdata-seq="(\d+)"[^>]*>(.*?)</li>', re.S)


class Stream:
    """What one socket connection received, read as htmx would swap it into the page."""

    def __init__(self, list_id: str, token: re.Pattern):
        self.list_id, self.token = list_id, token
        self.opened_at = time.monotonic()
        self.shown: list[tuple[int, str]] = []  # (seq, message) in the order on screen
        self.seen: set[str] = set()
        self.doubled = 0  # messages appended to a list that already showed them
        self.frames = 0

    def feed(self, frame: str) -> None:
        self.frames += 1
        found = [
            (int(seq), match.group(0))
            for seq, inner in MESSAGE.findall(frame)
            if (match := self.token.search(inner))
        ]
        if f"beforeend:#{self.list_id}" in frame:
            on_screen = {message for _, message in self.shown}
            self.doubled += sum(1 for _, message in found if message in on_screen)
            self.shown.extend(found)
        elif f'id="{self.list_id}"' in frame:
            self.shown = found  # a snapshot: the whole list, swapped in by id
        self.seen.update(message for _, message in found)


class Link:
    """One page's socket: connects, reads, and reconnects on the codes the extension does."""

    def __init__(
        self,
        url: str,
        origin: str,
        list_id: str,
        token: re.Pattern,
        cookie: Callable[[], str] = lambda: "",
        reconnect: bool = True,
    ):
        self.url, self.origin, self.list_id, self.token = url, origin, list_id, token
        self.cookie, self.reconnect = cookie, reconnect
        self.streams: list[Stream] = []
        self.codes: Counter[int] = Counter()  # how each connection ended
        self.stopped_by: int | None = None  # the close code after which it gave up
        self.drops = 0
        self.last_frame = time.monotonic()
        self._ws: websocket.WebSocket | None = None
        self._open = threading.Event()
        self._first_open = threading.Event()
        self._opened_once = False
        self._running = True
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> "Link":
        self._thread.start()
        return self

    @property
    def is_open(self) -> bool:
        return self._open.is_set()

    @property
    def alive(self) -> bool:
        """Still connected or trying to; False once it gave up like the extension would."""
        return self._thread.is_alive()

    @property
    def last(self) -> Stream | None:
        return self.streams[-1] if self.streams else None

    @property
    def settled(self) -> bool:
        """Connected, and its first frame (the page as it stands) has arrived."""
        last = self.last
        return self.is_open and last is not None and last.frames > 0

    def back_since(self, moment: float) -> bool:
        """Connected at `moment` or later, and that connection's first frame arrived."""
        return any(s.opened_at >= moment and s.frames for s in reversed(self.streams))

    def wait_open(self, timeout: float) -> bool:
        return self._open.wait(timeout)

    def wait_first_open(self, timeout: float) -> bool:
        """Opened at least once (it may have been closed again since)."""
        return self._first_open.wait(timeout)

    def drop(self) -> None:
        """The network goes: the connection breaks without a close frame (1006)."""
        ws = self._ws
        if ws is not None and ws.sock is not None and self._open.is_set():
            self.drops += 1
            with contextlib.suppress(OSError):
                ws.sock.shutdown(socket.SHUT_RDWR)

    def stop(self) -> None:
        """The page goes away: a close frame (1001, going away), and no reconnecting."""
        self._running = False
        ws = self._ws
        if ws is not None and self._open.is_set():
            with contextlib.suppress(OSError, websocket.WebSocketException):
                ws.send_close(status=1001)
        self._thread.join(timeout=3)
        if self._thread.is_alive() and ws is not None and ws.sock is not None:
            with contextlib.suppress(OSError):
                ws.sock.shutdown(socket.SHUT_RDWR)
            self._thread.join(timeout=3)

    def _run(self) -> None:
        retries = 0
        while self._running:
            code = self._connect_and_read()
            if not self._running:
                return
            self.codes[code] += 1
            if code not in RECONNECT_CODES or not self.reconnect:
                self.stopped_by = code
                return
            if self._opened_once:
                retries = 0
            time.sleep(random.random() * JITTER * 2 ** min(retries, MAX_RETRY_EXPONENT))
            retries += 1

    def _connect_and_read(self) -> int:
        """One connection: its close code (1006 when it broke or never opened)."""
        self._opened_once = False
        try:
            ws = websocket.create_connection(
                self.url,
                origin=self.origin,
                cookie=self.cookie() or None,
                timeout=CONNECT_TIMEOUT,
            )
        except (OSError, websocket.WebSocketException):
            return 1006
        self._ws, self._opened_once = ws, True
        stream = Stream(self.list_id, self.token)
        self.streams.append(stream)
        ws.settimeout(None)
        self._open.set()
        self._first_open.set()
        try:
            while True:
                opcode, data = ws.recv_data(control_frame=True)
                if opcode == websocket.ABNF.OPCODE_CLOSE:
                    return int.from_bytes(data[:2], "big") if len(data) >= 2 else 1005
                if opcode == websocket.ABNF.OPCODE_TEXT:
                    self.last_frame = time.monotonic()
                    stream.feed(data.decode())
        except (OSError, websocket.WebSocketException):
            return 1006
        finally:
            self._open.clear()
            ws.shutdown()
