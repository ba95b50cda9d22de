"""Region scoping: a worker never sees or opens a chat outside their regions, or a colleague's.

Every console address that takes a chat id is taken from the app's own URL map, so an address
added later is checked too. Each is asked, by every method it answers, for a chat of another
region, a colleague's chat and a chat that does not exist: 404, and nothing of the chat.
"""

from datetime import timedelta

import pytest
import websocket
from bs4 import BeautifulSoup
from sqlalchemy import update
from sqlmodel import select

from backend import chats, create_app, db, staffing
from backend.models import CannedAnswer, Chat, Note, Sender, Worker, WorkerRole
from tests.helpers import log_in, text_of
from tests.test_sockets import connect, receive, server  # noqa: F401  (a fixture)

NOT_THERE = 999_999
SECRET = "Mijn buurman slaat zijn kinderen"  # a message no foreign worker may read
IGNORED_METHODS = {"HEAD", "OPTIONS"}


def console_chat_rules() -> list[tuple[str, str, str]]:
    """(endpoint, method, rule) for every console address with a chat id, by every method."""
    app = create_app({"DATABASE_URL": "sqlite://", "CHECK_DATABASE": False, "SECRET_KEY": "-"})
    return sorted(
        (rule.endpoint, method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/console/") and "chat_id" in rule.arguments
        for method in rule.methods - IGNORED_METHODS
    )


RULES = console_chat_rules()
# Taking a chat a colleague already has is a race a worker may lose: they are told so.
TAKEN_ALREADY = {"console.accept"}


def worker_id(app, username) -> int:
    with app.app_context(), db.session() as s:
        return s.exec(select(Worker.id).where(Worker.username == username)).one()


def set_role(app, username, role):
    with app.app_context(), db.session() as s:
        s.execute(update(Worker).where(Worker.username == username).values(role=role))
        s.commit()


def active_chat(app, region, nickname, worker, secret=SECRET) -> int:
    """A chat taken by `worker` (a username), in which the visitor has said something."""
    with app.app_context():
        chat = chats.create(region, nickname)
        assert chats.accept(chat.id, worker_id(app, worker))
        chats.add_message(chat.id, Sender.VISITOR, secret)
    return chat.id


@pytest.fixture
def scene(app):
    """Sanne (demo, region DEMO) logged in; chats she must never see, and one of her own.

    Another region's chat is taken by Ilse there; the colleague's chat is Joris's, in Sanne's
    own region. Each holds a nickname and a message found nowhere else.
    """
    with app.app_context(), db.session() as s:
        s.add(Worker(username="ilse", display_name="Ilse", password_hash="-", region_code="VT20"))
        s.commit()
    sanne = app.test_client()
    assert log_in(sanne).status_code == 303
    return {
        "client": sanne,
        "another region": (active_chat(app, "VT20", "Utrecht-Fenna", "ilse"), "Utrecht-Fenna"),
        "a colleague": (active_chat(app, "DEMO", "Collega-Joost", "demo2"), "Collega-Joost"),
        "nobody": (NOT_THERE, None),
        "own": active_chat(app, "DEMO", "Mila", "demo", secret="Hallo"),
    }


def fill(rule: str, chat_id: int, app) -> str:
    """The address with this chat id, and a real row for any other id in it."""
    with app.app_context(), db.session() as s:
        national = CannedAnswer.region_code.is_(None)  # usable in every region
        answer = s.exec(select(CannedAnswer.id).where(national).order_by(CannedAnswer.id)).first()
    others = {"answer_id": answer or 1}
    path = rule.replace("<int:chat_id>", str(chat_id))
    for name, value in others.items():
        path = path.replace(f"<int:{name}>", str(value))
    assert "<" not in path, f"fill in {path}"
    return path


def ask(client, method: str, path: str):
    return client.open(path, method=method, data={} if method == "POST" else None)


def shows_nothing_of(response, client, nickname) -> None:
    """Neither the answer nor the page it leads to holds the chat's nickname or messages."""
    pages = [response.text]
    if response.status_code in (302, 303):
        pages.append(client.get(response.headers["Location"]).text)
    for page in pages:
        text = text_of(page)
        assert SECRET not in text
        if nickname:
            assert nickname not in text


@pytest.mark.parametrize(("endpoint", "method", "rule"), RULES)
@pytest.mark.parametrize("whose", ["another region", "a colleague", "nobody"])
def test_every_console_address_refuses_a_chat_that_is_not_the_workers(
    app, scene, endpoint, method, rule, whose
):
    client = scene["client"]
    chat_id, nickname = scene[whose]
    response = ask(client, method, fill(rule, chat_id, app))
    if whose == "a colleague" and endpoint in TAKEN_ALREADY:
        assert response.status_code == 303
        page = text_of(client.get(response.headers["Location"]).text)
        assert "Een collega heeft deze chat al aangenomen, of de bezoeker is weggegaan." in page
    else:
        assert response.status_code == 404, f"{method} {rule}"
        assert "We kunnen niet vinden wat je zoekt." in text_of(response.text)
    shows_nothing_of(response, client, nickname)
    if chat_id != NOT_THERE:  # and nothing changed in it
        with app.app_context(), db.session() as s:
            chat, messages = chats.get(chat_id), chats.messages(chat_id)
            notes = list(s.exec(select(Note).where(Note.chat_id == chat_id)))
        assert (chat.status, chat.offered_to_id, chat.handover_note) == ("active", None, None)
        assert chat.worker_id != worker_id(app, "demo")
        assert [m.body for m in messages] == [SECRET]
        assert notes == []


@pytest.mark.parametrize(("endpoint", "method", "rule"), RULES)
def test_the_same_addresses_do_answer_for_a_chat_the_worker_may_use(
    app, scene, endpoint, method, rule
):
    """The control: each address exists and takes a chat of the worker's (so 404 is scoping).

    An offer is made to the worker first; every other address gets the worker's own chat.
    The overview's are for coordinators (tests/test_overview.py): the worker becomes one.
    """
    chat_id = scene["own"]
    if rule.startswith("/console/overview/"):
        set_role(app, "demo", WorkerRole.COORDINATOR)
    if rule.startswith("/console/offers/"):
        chat_id = scene["a colleague"][0]
        with app.app_context(), db.session() as s:
            s.execute(
                update(Chat).where(Chat.id == chat_id).values(offered_to_id=worker_id(app, "demo"))
            )
            s.commit()
    response = ask(scene["client"], method, fill(rule, chat_id, app))
    assert response.status_code != 404, f"{method} {rule}"


@pytest.mark.parametrize("whose", ["another region", "a colleague", "nobody"])
def test_the_minute_refresh_refuses_a_chat_that_is_not_the_workers(app, scene, whose):
    chat_id, nickname = scene[whose]
    response = scene["client"].get(f"/console/refresh?chat={chat_id}")
    assert response.status_code == 404
    shows_nothing_of(response, scene["client"], nickname)


def close_code_without(ws, nickname) -> int:
    """Read until the server closes; no frame before it may hold anything of the chat."""
    for _ in range(20):
        opcode, data = ws.recv_data(control_frame=True)
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            return int.from_bytes(data[:2], "big") if len(data) >= 2 else 1005
        text = text_of(data.decode())
        assert SECRET not in text
        assert nickname is None or nickname not in text
    raise AssertionError("the server did not close the socket")


@pytest.mark.parametrize("whose", ["another region", "a colleague", "nobody"])
def test_the_console_socket_refuses_a_chat_that_is_not_the_workers(app, server, scene, whose):  # noqa: F811
    chat_id, nickname = scene[whose]
    with connect(server, f"/console/ws?chat={chat_id}", scene["client"]) as ws:
        assert close_code_without(ws, nickname) == 1008


def test_the_console_socket_gives_the_worker_their_own_chat(app, server, scene):  # noqa: F811
    with connect(server, f"/console/ws?chat={scene['own']}", scene["client"]) as ws:
        assert "Hallo" in text_of(receive(ws))


# ---- several regions, and coordinators ---------------------------------------------------------


def queue_of(page: str) -> list[str]:
    queue = BeautifulSoup(page, "html.parser").find(id="console-queue")
    return [nick.get_text() for nick in queue.select(".console-nick")]


def regional_of(page: str) -> list[str] | None:
    """The lines of the regions' active chats; None when the page has no such list."""
    section = BeautifulSoup(page, "html.parser").find(id="console-regional")
    if section is None:
        return None
    return [text_of(str(item)) for item in section.select("li")]


def test_a_worker_of_two_regions_sees_both_queues_and_no_third(app, scene):
    with app.app_context():
        staffing.add_region(worker_id(app, "demo"), "VT20")
        chats.create("VT20", "Utrecht-Bo")
        chats.create("DEMO", "Anna")
        chats.create("VT13", "Limburg-Noor")
    page = scene["client"].get("/console/").text
    assert queue_of(page) == ["Utrecht-Bo", "Anna"]
    assert "Utrecht · " in text_of(page)  # with several regions, each names its region


def test_a_worker_of_two_regions_may_open_a_chat_of_the_second(app, scene):
    with app.app_context():
        staffing.add_region(worker_id(app, "demo"), "VT20")
        waiting = chats.create("VT20", "Utrecht-Bo")
    client = scene["client"]
    response = client.post(f"/console/chats/{waiting.id}/accept")
    assert response.headers["Location"] == f"/console/chats/{waiting.id}"
    assert "Utrecht-Bo" in text_of(client.get(response.headers["Location"]).text)


def test_a_coordinator_sees_the_active_chats_of_their_regions(app, scene, clock):
    set_role(app, "demo", WorkerRole.COORDINATOR)
    clock.at += timedelta(minutes=7)
    page = scene["client"].get("/console/").text
    assert regional_of(page) == [
        "Collega-Joost Demo-regio (altijd open) · met Joris · 7 minuten",
        "Mila Demo-regio (altijd open) · met Sanne · 7 minuten",
    ]
    assert "Lopende chats in je regio's (2)" in text_of(page)


def test_a_coordinator_owns_nothing_of_a_colleagues_chat(app, scene):
    set_role(app, "demo", WorkerRole.COORDINATOR)
    colleague, _nickname = scene["a colleague"]
    client = scene["client"]
    assert client.get(f"/console/chats/{colleague}").status_code == 404
    sent = client.post(f"/console/chats/{colleague}/send", data={"body": "Overgenomen"})
    assert sent.status_code == 404
    assert client.post(f"/console/chats/{colleague}/end").status_code == 404
    with app.app_context():
        chat = chats.get(colleague)
        assert [m.body for m in chats.messages(colleague)] == [SECRET]
    assert (chat.status, chat.worker_id) == ("active", worker_id(app, "demo2"))


def test_a_coordinator_sees_nothing_of_another_regions_chats(app, scene):
    set_role(app, "demo", WorkerRole.COORDINATOR)
    page = scene["client"].get("/console/").text
    assert "Utrecht-Fenna" not in text_of(page)


def test_an_administrator_sees_the_active_chats_of_every_region(app, scene):
    set_role(app, "demo", WorkerRole.ADMIN)
    lines = regional_of(scene["client"].get("/console/").text)
    assert "Utrecht-Fenna Utrecht · met Ilse · 0 minuten" in lines
    assert len(lines) == 3


def test_a_worker_has_no_list_of_colleagues_chats(app, scene):
    page = scene["client"].get("/console/").text
    assert regional_of(page) is None
    assert "Collega-Joost" not in text_of(page)
