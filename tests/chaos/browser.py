"""Just enough of a browser: cookies carried by hand, CSRF tokens from forms, no redirects.

The session cookies are Secure; browsers send them to http://localhost, Python's cookie jar
does not, so cookies are kept here by name. A request that gets no answer (the server is
down or was killed while answering) raises `NoAnswer`.
"""

import html
import http.client
import re
import threading
import urllib.parse
from dataclasses import dataclass
from urllib.parse import urlsplit

# Seconds; a guard against a hanging server, never an assertion. 10 s was too short for a
# server sharing two cores with the rest of `make test`: the cast's logins went unanswered.
TIMEOUT = 30
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
WS_CONNECT = re.compile(r'ws-connect="([^"]+)"')


class NoAnswer(Exception):
    """The request got no HTTP answer at all."""


@dataclass
class Answer:
    status: int
    location: str
    text: str

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class Browser:
    """One browser profile talking to the chat host."""

    def __init__(self, base: str):
        address = urlsplit(base)
        self.base, self.host, self.port = base, address.hostname, address.port
        self.cookies: dict[str, str] = {}
        self._lock = threading.Lock()

    def request(self, method: str, path: str, data: dict | None = None, htmx=False) -> Answer:
        headers = {}
        if self.cookie_header():
            headers["Cookie"] = self.cookie_header()
        if htmx:
            headers["HX-Request"] = "true"
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode(errors="replace")
        except (OSError, http.client.HTTPException) as error:
            raise NoAnswer(f"{method} {path}: {error!r}") from error
        finally:
            connection.close()
        self._keep_cookies(response.headers.get_all("Set-Cookie") or [])
        return Answer(response.status, response.headers.get("Location", ""), text)

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def post(self, path: str, data: dict, htmx=False) -> Answer:
        return self.request("POST", path, data, htmx=htmx)

    def cookie_header(self) -> str:
        with self._lock:
            return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def _keep_cookies(self, headers: list[str]) -> None:
        with self._lock:
            for header in headers:
                pair, _, attributes = header.partition(";")
                name, _, value = pair.strip().partition("=")
                gone = not value or re.search(r"max-age=0\b|expires=[^;]*1970", attributes, re.I)
                if gone:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = value


def csrf_token(page: str) -> str | None:
    found = CSRF.search(page)
    return found.group(1) if found else None


def socket_url(base: str, page: str) -> str | None:
    """The address in the page's `ws-connect`, made whole as the htmx ws extension does."""
    found = WS_CONNECT.search(page)
    if not found:
        return None
    address = html.unescape(found.group(1))
    if address.startswith("/"):
        return "ws://" + urlsplit(base).netloc + address
    return address
