"""Two app instances behind nginx, on PostgreSQL and the Redis hub, as a deployment has them.

A visitor held by one instance and a worker by the other still see each other's places,
messages, typing, presence and handovers; a rolling restart in the middle of a chat loses
no message and no place; and a claim raced from both instances gives each chat once.
Only on that stack (VTCHAT_E2E_STACK=postgres-nginx; `make test` runs it when PostgreSQL,
Redis and nginx are installed, and says so loudly when they are not).
"""

import re
import threading
import urllib.parse
import urllib.request

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from backend import chats, db, workers
from backend.models import Presence, PresenceKind
from backend.visitor.page_session import CONSOLE_COOKIE
from e2e import flows
from e2e.harness import stack_of_session

pytestmark = pytest.mark.skipif(
    stack_of_session() != "postgres-nginx",
    reason="two instances need PostgreSQL, Redis and nginx (VTCHAT_E2E_STACK=postgres-nginx)",
)

NORTH = "Demo-regio Noord (altijd open)"


def pinned(new_context, server, n: int):
    """A browser whose every request nginx sends to instance `n` only."""
    return new_context(extra_http_headers=server.pinned_to(n)).new_page()


def socket_processes(app, kind: PresenceKind, ref_id: int) -> set[str]:
    """The processes holding someone's sockets now, from their presence rows."""
    with app.app_context(), db.session() as s:
        rows = s.exec(
            select(Presence.process).where(
                Presence.kind == kind, Presence.ref_id == ref_id, Presence.sockets > 0
            )
        )
        return set(rows)


def test_a_visitor_on_one_instance_and_a_worker_on_the_other_chat_as_on_one(
    server, app, new_context
):
    visitor, second, worker = (pinned(new_context, server, n) for n in (0, 0, 1))
    popup = flows.open_host_page(visitor, server)
    flows.start_chat(popup, "Mila")
    behind = flows.open_host_page(second, server)
    flows.start_chat(behind, "Bo", place=2)

    flows.log_in(worker, server)
    # Taken on instance 1: the place of the visitor behind, held by instance 0, moves up.
    flows.accept(worker, "Mila")
    flows.expect_chatting_with(popup, "Sanne")
    flows.expect_place(behind, 1)

    flows.worker_send(worker, "Hoi Mila, ik ben Sanne.")
    expect(flows.visitor_messages(popup).filter(has_text="ik ben Sanne")).to_have_count(1)
    # Their sockets are held by two processes, which share no memory.
    with app.app_context():
        (chat,) = chats.active_for(workers.by_username("demo").id)
    visitor_side = socket_processes(app, PresenceKind.VISITOR, chat.id)
    worker_side = socket_processes(app, PresenceKind.WORKER, chat.worker_id)
    assert len(visitor_side) == len(worker_side) == 1 and visitor_side != worker_side

    popup.get_by_label("Je bericht").press_sequentially("Ik wil iets vragen")
    expect(worker.locator("#chat-typing")).to_have_text("Mila is aan het typen…")
    popup.get_by_role("button", name="Verstuur").click()
    expect(flows.worker_messages(worker).filter(has_text="Ik wil iets vragen")).to_have_count(1)
    worker.get_by_label("Je bericht").press_sequentially("Vertel")
    expect(popup.locator("#vt-typing")).to_have_text("Sanne typt…")

    # Presence, seen from the other instance: the visitor's tab closes and comes back.
    state = worker.locator("#chat-state")
    context = visitor.context
    visitor.close()
    expect(state).to_contain_text("de bezoeker is weg")
    popup = flows.open_host_page(context.new_page(), server)
    expect(state).to_contain_text("de bezoeker is terug")
    flows.expect_visitor_history(popup, ["Hoi Mila, ik ben Sanne.", "Ik wil iets vragen"])


def test_a_handover_made_on_one_instance_is_taken_on_the_other(server, new_context):
    visitor, worker, colleague = (pinned(new_context, server, n) for n in (0, 1, 0))
    popup = flows.in_conversation(visitor, worker, server, "Noor")
    flows.visitor_send(popup, "Ik woon in Groningen.")

    flows.hand_over(worker, NORTH, "Woont in Groningen")
    flows.expect_place(popup, 1)
    flows.log_in(colleague, server, "demo3")
    flows.accept(colleague, "Noor")
    flows.expect_chatting_with(popup, "Ilse")
    flows.expect_worker_history(colleague, ["Ik woon in Groningen."])


def test_a_rolling_restart_mid_chat_loses_no_message_and_no_place(server, new_context):
    """Both instances restarted in turn, as deploy/rolling-restart does, through nginx."""
    visitor, waiting, worker = (new_context().new_page() for _ in range(3))
    popup = flows.in_conversation(visitor, worker, server, "Mila")
    behind = flows.open_host_page(waiting, server)
    flows.start_chat(behind, "Bo")
    said = []

    def exchange(n: int) -> None:
        flows.visitor_send(popup, f"Bericht {n} van Mila")
        flows.worker_send(worker, f"Antwoord {n} van Sanne")
        said.extend([f"Bericht {n} van Mila", f"Antwoord {n} van Sanne"])

    exchange(1)
    for n, instance in enumerate(server.instances, start=2):
        instance.stop()  # its sockets are closed with 1012; the browsers reconnect elsewhere
        exchange(n)
        instance.start()
        exchange(n + 10)

    flows.expect_visitor_history(popup, said)
    flows.expect_worker_history(worker, said)
    flows.expect_place(behind, 1)
    expect(flows.waiting_entry(worker, "Bo")).to_be_visible()


class Console:
    """Just enough of a browser to press the console's buttons on one instance."""

    def __init__(self, base: str, username: str):
        self.base, self.cookie = base, ""
        token = self.token("/console/login")
        self.post("/console/login", {"username": username, "password": "demo", "csrf_token": token})
        self.csrf = self.token("/console/")

    def open(self, path: str, data: dict | None = None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body)
        if self.cookie:  # Secure cookies are kept by hand over plain http to localhost
            request.add_header("Cookie", f"{CONSOLE_COOKIE}={self.cookie}")
        opener = urllib.request.build_opener(_KeepRedirects)
        with opener.open(request, timeout=30) as response:
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, value = header.split(";", 1)[0].partition("=")
                if name == CONSOLE_COOKIE:
                    self.cookie = value
            return response.status, response.headers.get("Location", ""), response.read().decode()

    def token(self, path: str) -> str:
        page = self.open(path)[2]
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)

    def post(self, path: str, data: dict):
        return self.open(path, data)

    def take_next(self) -> str:
        """Where "Volgende chat" leads: a chat's page when one was given."""
        return self.post("/console/next", {"csrf_token": self.csrf})[1]


class _KeepRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None

    def http_error_303(self, req, fp, code, msg, headers):
        return fp

    http_error_302 = http_error_303


def test_next_chat_raced_from_both_instances_gives_each_chat_once(server, app):
    with app.app_context():
        waiting = [chats.create("DEMO", f"Race{n}").id for n in range(6)]
    sanne = Console(server.instances[0].base, "demo")
    joris = Console(server.instances[1].base, "demo2")
    given: list[str] = []
    lock = threading.Lock()

    def press(console: Console) -> None:
        location = console.take_next()
        with lock:
            given.append(location)

    presses = [threading.Thread(target=press, args=(c,)) for c in (sanne, joris) * 6]
    for thread in presses:
        thread.start()
    for thread in presses:
        thread.join()

    taken = [int(m.group(1)) for m in map(re.compile(r"/console/chats/(\d+)").search, given) if m]
    assert len(taken) == len(set(taken)) == 4  # two each: their capacity, never a chat twice
    with app.app_context():
        owners = {chat_id: chats.get(chat_id).worker_id for chat_id in waiting}
    assert sorted(taken) == sorted(chat_id for chat_id, owner in owners.items() if owner)
    assert sorted(list(owners.values()).count(w) for w in set(owners.values()) if w) == [2, 2]
