"""The bare WebSocket relay: the floor the chat's figures are measured against.

No storage, no HTML, no framework: one asyncio process that passes each text a "visitor"
sends on to its paired "worker" socket, as fast as the wire and Python allow. Routes:

- GET /visitor/<n>, GET /worker/<n>: WebSockets; a visitor's text goes to worker <n>.
- POST /send/<n>: the request's body goes to worker <n> (the chat's visitors send by HTTP).
- POST /broadcast: the body goes to every visitor socket (the floor of a queue change).

Run as `python -m bench.relay PORT`; it prints "ready" once it listens.
"""

import asyncio
import subprocess
import sys
from pathlib import Path

from bench.wire import CLOSE, PING, PONG, TEXT, FrameReader, accept_key, encode_frame


class Books:
    """The open sockets by pair number, of each side."""

    def __init__(self):
        self.visitors: dict[str, Peer] = {}
        self.workers: dict[str, Peer] = {}


class Peer(asyncio.Protocol):
    """One client connection: HTTP requests until it upgrades, then WebSocket frames."""

    def __init__(self, books: Books):
        self.books = books
        self.transport = None
        self.buffer = b""
        self.reader: FrameReader | None = None
        self.name: str | None = None
        self.book: dict | None = None

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data: bytes):
        if self.reader is not None:
            self._frames(data)
            return
        self.buffer += data
        while self.reader is None:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].decode("latin-1").split("\r\n")
            method, path, _version = head[0].split(" ", 2)
            headers = {}
            for line in head[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            size = int(headers.get("content-length", "0"))
            if len(self.buffer) < end + 4 + size:
                return
            body = self.buffer[end + 4 : end + 4 + size]
            rest, self.buffer = self.buffer[end + 4 + size :], b""
            self._request(method, path, headers, body)
            self.buffer = rest + self.buffer
            if self.reader is not None and self.buffer:
                rest, self.buffer = self.buffer, b""
                self._frames(rest)

    def _request(self, method: str, path: str, headers: dict, body: bytes) -> None:
        parts = path.strip("/").split("/")
        if method == "GET" and len(parts) == 2 and parts[0] in ("visitor", "worker"):
            self.book = self.books.visitors if parts[0] == "visitor" else self.books.workers
            self.name = parts[1]
            self.book[self.name] = self
            self.reader = FrameReader()
            key = headers.get("sec-websocket-key", "").encode()
            self.transport.write(
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept_key(key) + b"\r\n\r\n"
            )
            return
        if method == "POST" and len(parts) == 2 and parts[0] == "send":
            worker = self.books.workers.get(parts[1])
            if worker is not None:
                worker.transport.write(encode_frame(body, TEXT, mask=False))
        elif method == "POST" and parts == ["broadcast"]:
            frame = encode_frame(body, TEXT, mask=False)
            for visitor in list(self.books.visitors.values()):
                visitor.transport.write(frame)
        self.transport.write(b"HTTP/1.1 204 No Content\r\n\r\n")

    def _frames(self, data: bytes) -> None:
        for opcode, payload in self.reader.feed(data):
            if opcode == TEXT and self.book is self.books.visitors:
                worker = self.books.workers.get(self.name)
                if worker is not None:
                    worker.transport.write(encode_frame(payload, TEXT, mask=False))
            elif opcode == PING:
                self.transport.write(encode_frame(payload, PONG, mask=False))
            elif opcode == CLOSE:
                self.transport.write(encode_frame(payload[:2], CLOSE, mask=False))
                self.transport.close()

    def connection_lost(self, exc):
        if self.book is not None and self.book.get(self.name) is self:
            del self.book[self.name]


async def serve(port: int) -> None:
    books = Books()
    server = await asyncio.get_running_loop().create_server(
        lambda: Peer(books), "127.0.0.1", port, backlog=4096, reuse_address=True
    )
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


def start(port: int) -> subprocess.Popen:
    """The relay in a process of its own (its CPU apart from the client's), listening."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.relay", str(port)],
        cwd=Path(__file__).resolve().parent.parent,
        stdout=subprocess.PIPE,
        text=True,
    )
    if process.stdout.readline().strip() != "ready":
        raise RuntimeError("the relay did not start")
    return process


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1])))
