"""A visitor over real HTTP and a real WebSocket, for tests against a real gunicorn."""

import html
import re
import struct
import urllib.error
import urllib.parse
import urllib.request

import websocket

from e2e.harness import DEMO_SITE, Server

COOKIE = "__Host-vtchat"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Each answer is read as it comes: a redirect's Set-Cookie must not be skipped."""

    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


class RealVisitor:
    """Starts a chat through the pop-up's form, carrying the session cookie by hand.

    The cookie is Secure, which Python's cookie jar keeps from plain http; browsers allow it on
    localhost, and so does this class.
    """

    def __init__(self, server: Server, site: str = DEMO_SITE):
        self.server, self.site, self.cookie = server, site, ""

    def request(self, path: str, data: dict | None = None) -> str:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(f"{self.server.chat_base}{path}", data=body)
        if self.cookie:
            request.add_header("Cookie", f"{COOKIE}={self.cookie}")
        try:
            response = _opener.open(request, timeout=10)
        except urllib.error.HTTPError as error:
            if error.code != 303:
                raise
            response = error
        with response:
            for header in response.headers.get_all("Set-Cookie") or []:
                found = re.match(rf"{COOKIE}=([^;]*)", header)
                if found:
                    self.cookie = found.group(1)
            return response.read().decode()

    def csrf_token(self) -> str:
        # A first visit's open-or-closed page is the same for all and carries none: the form does.
        page = self.request(f"/w/{self.site}" if self.cookie else f"/w/{self.site}/start")
        # The panel's hx-headers carry it for every request htmx makes.
        return re.search(r'X-CSRFToken(?:"|&#34;|&quot;): (?:"|&#34;|&quot;)([\w.-]+)', page).group(
            1
        )

    def start(self, nickname: str, region: str = "DEMO") -> None:
        fields = {"csrf_token": self.csrf_token(), "nickname": nickname, "region": region}
        self.request(f"/w/{self.site}/start", fields)

    def end(self) -> None:
        self.request(f"/w/{self.site}/end", {"csrf_token": self.csrf_token()})

    def socket_path(self) -> str:
        page = self.request(f"/w/{self.site}")
        found = re.search(r'ws-connect="([^"]+)"', page)
        assert found, "the pop-up opens no socket"
        address = urllib.parse.urlsplit(html.unescape(found.group(1)))
        return f"{address.path}?{address.query}"

    def connect(self, path: str | None = None) -> websocket.WebSocket:
        return websocket.create_connection(
            f"ws://localhost:{self.server.port}{path or self.socket_path()}",
            timeout=10,
            origin=self.server.chat_base,
        )


def close_code(ws: websocket.WebSocket) -> int | None:
    """Read frames until the server's close frame; its status code (None if the line dropped)."""
    while True:
        try:
            opcode, data = ws.recv_data(control_frame=True)
        except (websocket.WebSocketConnectionClosedException, ConnectionError):
            return None
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            return struct.unpack("!H", data[:2])[0] if len(data) >= 2 else None
