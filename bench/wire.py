"""A lean asyncio WebSocket and HTTP/1.1 client, and the frame codec the bare relay shares.

The benchmarks drive thousands of sockets and hundreds of requests a second from one Python
process on the same small machine as the server, so the client must cost little: sockets are
asyncio Protocols that parse frames straight from the read buffer and stamp the arrival time
once per read. websocket-client (one blocking socket per thread, or a select loop calling
`recv()` per frame) cost too much per frame at these rates.
"""

import asyncio
import base64
import hashlib
import os
import struct
import time
from collections.abc import Callable

OPENING = 16  # sockets opened at once
TEXT, CLOSE, PING, PONG, CONTINUATION = 0x1, 0x8, 0x9, 0xA, 0x0
ACCEPT_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC11B65"


def accept_key(key: bytes) -> bytes:
    """The Sec-WebSocket-Accept a server answers a handshake's key with (RFC 6455)."""
    return base64.b64encode(hashlib.sha1(key.strip() + ACCEPT_GUID).digest())


def encode_frame(payload: bytes, opcode: int = TEXT, mask: bool = True) -> bytes:
    """One final frame; clients must mask what they send, servers must not."""
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", 0x80 | opcode, (0x80 if mask else 0) | size)
    elif size < 1 << 16:
        header = struct.pack("!BBH", 0x80 | opcode, (0x80 if mask else 0) | 126, size)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, (0x80 if mask else 0) | 127, size)
    if not mask:
        return header + payload
    key = os.urandom(4)
    return header + key + _masked(payload, key)


def _masked(payload: bytes, key: bytes) -> bytes:
    """XOR with the repeated 4-byte key, as one big integer operation."""
    if not payload:
        return payload
    repeated = (key * (len(payload) // 4 + 1))[: len(payload)]
    number = int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")
    return number.to_bytes(len(payload), "big")


class FrameReader:
    """Whole messages out of a byte stream of frames, fragments joined, masks undone."""

    def __init__(self):
        self.buffer = bytearray()
        self.parts: list[bytes] = []
        self.first_opcode = TEXT

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        self.buffer += data
        messages = []
        while True:
            frame = self._frame()
            if frame is None:
                return messages
            fin, opcode, payload = frame
            if opcode >= CLOSE:  # control frames may come between fragments
                messages.append((opcode, payload))
                continue
            if opcode != CONTINUATION:
                self.first_opcode, self.parts = opcode, []
            self.parts.append(payload)
            if fin:
                messages.append((self.first_opcode, b"".join(self.parts)))
                self.parts = []

    def _frame(self) -> tuple[bool, int, bytes] | None:
        buffer = self.buffer
        if len(buffer) < 2:
            return None
        first, second = buffer[0], buffer[1]
        size, at = second & 0x7F, 2
        if size == 126:
            if len(buffer) < 4:
                return None
            size, at = struct.unpack_from("!H", buffer, 2)[0], 4
        elif size == 127:
            if len(buffer) < 10:
                return None
            size, at = struct.unpack_from("!Q", buffer, 2)[0], 10
        key = None
        if second & 0x80:
            key, at = bytes(buffer[at : at + 4]), at + 4
        if len(buffer) < at + size:
            return None
        payload = bytes(buffer[at : at + size])
        del buffer[: at + size]
        if key is not None:
            payload = _masked(payload, key)
        return bool(first & 0x80), first & 0x0F, payload


OnMessage = Callable[["Socket", bytes, float], None]


class Socket(asyncio.Protocol):
    """A client WebSocket: `on_message(socket, payload, arrived)` for each text message.

    Pings are answered; a close frame's code is kept in `close_code` (1006 if the line broke).
    """

    def __init__(self, request: bytes, on_message: OnMessage | None, tag=None):
        self.request, self.on_message, self.tag = request, on_message, tag
        self.transport: asyncio.Transport | None = None
        self.opened: asyncio.Future = asyncio.get_running_loop().create_future()
        self.reader = FrameReader()
        self.head = b""
        self.close_code: int | None = None
        self.received = 0

    def connection_made(self, transport):
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data: bytes):
        arrived = time.perf_counter()
        if not self.opened.done():
            self.head += data
            end = self.head.find(b"\r\n\r\n")
            if end < 0:
                return
            status = self.head.split(b" ", 2)[1] if b" " in self.head else b""
            data, self.head = self.head[end + 4 :], b""
            if status != b"101":
                self.opened.set_exception(ConnectionError(f"handshake answered {status!r}"))
                self.transport.close()
                return
            self.opened.set_result(self)
        for opcode, payload in self.reader.feed(data):
            if opcode == PING:
                self.transport.write(encode_frame(payload, PONG))
            elif opcode == CLOSE:
                self.close_code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                self.transport.close()
            elif opcode != PONG:
                self.received += 1
                if self.on_message is not None:
                    self.on_message(self, payload, arrived)

    def connection_lost(self, exc):
        if self.close_code is None:
            self.close_code = 1006
        if not self.opened.done():
            self.opened.set_exception(ConnectionError("closed during the handshake"))

    def send_text(self, text: str | bytes) -> None:
        data = text.encode() if isinstance(text, str) else text
        self.transport.write(encode_frame(data))

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(encode_frame(struct.pack("!H", 1000), CLOSE))
            self.transport.close()


async def connect(
    host: str,
    port: int,
    path: str,
    on_message: OnMessage | None = None,
    origin: str | None = None,
    cookie: str | None = None,
    tag=None,
    timeout: float = 30,
) -> Socket:
    """An open WebSocket, its handshake done (the first frame may already have come)."""
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {host}:{port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}",
        "Sec-WebSocket-Version: 13",
    ]
    if origin:
        lines.append(f"Origin: {origin}")
    if cookie:
        lines.append(f"Cookie: {cookie}")
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()
    loop = asyncio.get_running_loop()
    _transport, socket = await loop.create_connection(
        lambda: Socket(request, on_message, tag), host, port
    )
    return await asyncio.wait_for(socket.opened, timeout)


async def open_all(
    host: str,
    port: int,
    specs: list[tuple],
    on_message,
    origin: str,
    first_frame: bool = True,
    within: float | None = None,
) -> list[Socket]:
    """Sockets for (path, cookie, tag) specs, a few at a time; each has had its first frame
    (the app sends what the page shows now at once; the relay sends nothing). With `within`
    seconds, no socket is begun after that: the ones opened by then."""
    gate = asyncio.Semaphore(OPENING)
    until = time.monotonic() + within if within is not None else None

    async def one(path, cookie, tag):
        async with gate:
            if until is not None and time.monotonic() > until:
                return None
            socket = await connect(host, port, path, on_message, origin, cookie, tag, timeout=60)
            deadline = time.monotonic() + 60
            while first_frame and socket.received == 0 and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            return socket

    opened = await asyncio.gather(*(one(*spec) for spec in specs))
    return [socket for socket in opened if socket is not None]


class Http:
    """HTTP/1.1 requests over kept-alive connections, most recently used first.

    A connection is opened whenever none is idle, up to `limit` at once (as many as there
    are visitors, each with a browser of their own); a request beyond it waits its turn. A
    kept connection the server closed meanwhile is tried again once on a new one, as
    browsers do.
    """

    def __init__(self, host: str, port: int, limit: int = 1000):
        self.host, self.port = host, port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.opened = 0
        self.gate = asyncio.Semaphore(limit)

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: dict | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        async with self.gate:
            return await self._request(method, path, body, headers)

    async def _request(self, method, path, body, headers):
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        if body or method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        data = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
        reused = bool(self.idle)
        connection = self.idle.pop() if reused else await self._open()
        try:
            answer = await self._exchange(connection, data)
        except (ConnectionError, asyncio.IncompleteReadError):
            connection[1].close()
            if not reused:
                raise
            connection = await self._open()
            answer = await self._exchange(connection, data)
        status, answer_headers, content = answer
        if answer_headers.get("connection", "").lower() == "close":
            connection[1].close()
        else:
            self.idle.append(connection)
        return answer

    async def _open(self):
        self.opened += 1
        return await asyncio.open_connection(self.host, self.port, limit=1 << 20)

    @staticmethod
    async def _exchange(connection, data: bytes):
        reader, writer = connection
        writer.write(data)
        head = await reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        headers: dict[str, str] = {}
        for line in header_lines:
            if ":" in line:
                name, _, value = line.partition(":")
                name = name.strip().lower()
                # Several Set-Cookie headers: keep them all, one per line.
                value = value.strip()
                headers[name] = f"{headers[name]}\n{value}" if name in headers else value
        if headers.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                parts.append(await reader.readexactly(size + 2))
                if size == 0:
                    break
            content = b"".join(part[:-2] for part in parts)
        else:
            content = await reader.readexactly(int(headers.get("content-length", "0")))
        return status, headers, content

    def close(self) -> None:
        for _reader, writer in self.idle:
            writer.close()
        self.idle.clear()
