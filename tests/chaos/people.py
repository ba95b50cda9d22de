"""A visitor using the pop-up and a worker using the console, over HTTP and WebSockets."""

import re
import time

from e2e.harness import DEMO_SITE
from tests.chaos.browser import Answer, Browser, NoAnswer, csrf_token, socket_url
from tests.chaos.links import Link

RETRY_PAUSE = 0.2  # seconds between tries while the server is down
# Every message's text names it: chat number, side (v or w), number, and the try it was.
MESSAGE_TEXT = re.compile(r"m-\d+-[vw]-\d+-\d+")


def message_text(chat: int, side: str, number: int, attempt: int) -> str:
    return f"m-{chat}-{side}-{number}-{attempt}"


def until_answered(step, deadline: float):
    """Repeat `step` while the server gives no answer (down, restarting), up to `deadline`."""
    while True:
        try:
            return step()
        except NoAnswer:
            if time.monotonic() > deadline:
                raise
            time.sleep(RETRY_PAUSE)


def acknowledged(answer: Answer, text: str) -> bool:
    """The send was stored and confirmed: a 2xx whose message box came back empty.

    A refused message comes back in the box with the reason, so the text is kept.
    """
    return answer.ok and text not in answer.text


class Visitor:
    """Someone on a demo site who opens the pop-up and starts a chat with a nickname."""

    def __init__(self, base: str, nickname: str, site: str = DEMO_SITE):
        self.base, self.nickname, self.site = base, nickname, site
        self.browser = Browser(base)
        self.token = ""
        self.socket_url = ""

    def start(self) -> None:
        """The pop-up, its form, the start; then the chat's page with its socket's address."""
        self.browser.get(f"/w/{self.site}")
        form = self.browser.get(f"/w/{self.site}/start")
        self.token = csrf_token(form.text) or ""
        fields = {"nickname": self.nickname, "region": "DEMO", "postcode": "", "age": ""}
        fields.update(gender="", role="", csrf_token=self.token)
        started = self.browser.post(f"/w/{self.site}/start", fields)
        if started.status != 303:
            raise AssertionError(f"start refused for {self.nickname}: {started.status}")
        page = self.browser.get(f"/w/{self.site}")
        self.socket_url = socket_url(self.base, page.text) or ""
        if not self.socket_url:
            raise AssertionError(f"the pop-up of {self.nickname} opens no socket")

    def link(self, reconnect: bool = True) -> Link:
        return Link(self.socket_url, self.base, "vt-messages", MESSAGE_TEXT, reconnect=reconnect)

    def send(self, text: str) -> Answer:
        data = {"body": text, "csrf_token": self.token}
        return self.browser.post(f"/w/{self.site}/send", data, htmx=True)


class Worker:
    """A chat worker in the console: logged in, taking chats, one page (socket) per chat."""

    def __init__(self, base: str, username: str, password: str):
        self.base, self.username, self.password = base, username, password
        self.browser = Browser(base)
        self.token = ""

    def log_in(self) -> None:
        form = self.browser.get("/console/login")
        data = {"username": self.username, "password": self.password}
        answer = self.browser.post("/console/login", {**data, "csrf_token": csrf_token(form.text)})
        if answer.status != 303 or "login" in answer.location:
            raise AssertionError(f"{self.username} could not log in: {answer.status}")
        self.token = csrf_token(self.browser.get("/console/").text) or ""

    def accept(self, chat_id: int) -> bool:
        answer = self.browser.post(f"/console/chats/{chat_id}/accept", {"csrf_token": self.token})
        return answer.status == 303 and answer.location.endswith(f"/console/chats/{chat_id}")

    def page_link(self, path: str) -> Link:
        """The socket of a console page (the queue, or one chat)."""
        url = socket_url(self.base, self.browser.get(path).text)
        if url is None:
            raise AssertionError(f"{path} opens no socket")
        cookie = self.browser.cookie_header
        return Link(url, self.base, "chat-messages", MESSAGE_TEXT, cookie=cookie)

    def send(self, chat_id: int, text: str) -> Answer:
        data = {"body": text, "csrf_token": self.token}
        return self.browser.post(f"/console/chats/{chat_id}/send", data, htmx=True)
