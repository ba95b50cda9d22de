"""Handing a chat over: to another region's queue (its history and place in time kept), or to a
named colleague who must accept; the visitor then sees the new worker's name."""

import contextlib
import threading
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import update
from sqlmodel import select

from backend import chats, db, regions, transfers
from backend.hub import chat_topic, worker_topic
from backend.models import Chat, EndReason, Sender, Worker
from backend.transfers import Refusal, Refused
from tests import test_sockets
from tests.helpers import DEMO_SITE, all_chats, log_in, start_chat, text_of
from tests.test_sockets import connect, receive, receive_until, socket_path

NOTE = "Mila (15) woont in Groningen; moeder wordt geslagen. Ze wil weten wat een melding is."
NOT_IN_LIST = "Kies een regio of een collega uit de lijst."
server = test_sockets.server  # the fixture: the app on a real server, for the sockets


def worker_id(app, username):
    with app.app_context(), db.session() as s:
        return s.exec(select(Worker).where(Worker.username == username)).one().id


def console(app, username):
    """A browser logged in to the console as this demo worker."""
    client = app.test_client()
    assert log_in(client, username, "demo").status_code == 303
    return client


@pytest.fixture
def sanne(app):
    return console(app, "demo")


@pytest.fixture
def joris(app):
    return console(app, "demo2")


@pytest.fixture
def ilse(app):
    """The worker of the second demo region (Demo-regio Noord)."""
    return console(app, "demo3")


@pytest.fixture
def visitor(app):
    client = app.test_client()
    assert start_chat(client, nickname="Mila").status_code == 303
    client.chat_id = all_chats(app)[-1].id
    return client


def taken(app, sanne, visitor) -> int:
    """Sanne takes the visitor's chat and they exchange two messages; the chat's id."""
    assert sanne.post(f"/console/chats/{visitor.chat_id}/accept").status_code == 303
    sanne.post(f"/console/chats/{visitor.chat_id}/send", data={"body": "Hoi Mila, ik ben Sanne."})
    visitor.post(f"/w/{DEMO_SITE}/send", data={"body": "Ik woon in Groningen."})
    return visitor.chat_id


def hand_over(client, chat_id, to, note=NOTE):
    return client.post(f"/console/chats/{chat_id}/transfer", data={"to": to, "note": note})


def queue_entries(html: str) -> list[str]:
    queue = BeautifulSoup(html, "html.parser").find(id="console-queue")
    return [text_of(str(item)) for item in queue.select("li.console-waiting-item")]


def get(app, chat_id) -> Chat:
    with app.app_context():
        return chats.get(chat_id)


# ---- to another region's queue -----------------------------------------------------------------


def test_the_transfer_part_offers_the_other_regions_and_the_colleagues(app, sanne, visitor):
    chat_id = taken(app, sanne, visitor)
    page = BeautifulSoup(sanne.get(f"/console/chats/{chat_id}").text, "html.parser")
    part = page.find(id="console-transfer")
    options = {o["value"]: text_of(o.get_text()) for o in part.select("option") if o["value"]}
    assert options == {
        "region:DEMO2": "Demo-regio Noord (altijd open)",
        f"worker:{worker_id(app, 'demo2')}": "Joris · beschikbaar · 0 van 2 chats",
    }
    groups = [group["label"] for group in part.select("optgroup")]
    assert groups == ["Wachtrij van een andere regio", "Een collega"]
    assert "Alleen collega's lezen dit; de bezoeker ziet het nooit." in text_of(str(part))


def test_a_chat_handed_to_another_region_keeps_its_history_and_place_in_time(
    app, clock, sanne, ilse, visitor
):
    chat_id = taken(app, sanne, visitor)
    started = get(app, chat_id).created_at
    clock.at += timedelta(minutes=10)
    with app.app_context():
        later = chats.create("DEMO2", "Noor")  # started waiting after Mila
    response = hand_over(sanne, chat_id, "region:DEMO2")
    assert response.status_code == 303
    assert response.headers["Location"] == "/console/"
    page = text_of(sanne.get("/console/").text)
    assert "Mila wacht nu in de wachtrij van Demo-regio Noord (altijd open)." in page
    assert "Je hebt geen open chats." in page

    chat = get(app, chat_id)
    assert (chat.status, chat.region_code, chat.worker_id) == ("waiting", "DEMO2", None)
    assert chat.created_at == started
    with app.app_context():
        assert [c.id for c in chats.waiting("DEMO2")] == [chat_id, later.id]
        assert [m.body for m in chats.messages(chat_id)] == [
            "Hoi Mila, ik ben Sanne.",
            "Ik woon in Groningen.",
        ]
    mila, noor = queue_entries(ilse.get("/console/").text)
    assert mila.startswith("Mila") and "wacht 10 minuten" in mila
    assert f"Overdracht: {NOTE}" in mila
    assert noor.startswith("Noor") and "Overdracht" not in noor


def test_the_region_takes_it_and_sees_the_note_and_the_whole_conversation(
    app, clock, sanne, ilse, visitor
):
    chat_id = taken(app, sanne, visitor)
    hand_over(sanne, chat_id, "region:DEMO2")
    clock.at += timedelta(minutes=1)
    assert ilse.post(f"/console/chats/{chat_id}/accept").status_code == 303
    page = BeautifulSoup(ilse.get(f"/console/chats/{chat_id}").text, "html.parser")
    assert f"Overdracht: {NOTE}" in text_of(str(page.find(id="console-transfer")))
    senders = [text_of(s.get_text()) for s in page.select("#chat-messages .console-msg-from")]
    assert senders == ["Een collega", "Mila"]  # Sanne's words are not Ilse's own
    assert sanne.get(f"/console/chats/{chat_id}").status_code == 404


def test_the_visitor_waits_again_then_sees_the_new_name(app, clock, sanne, ilse, visitor):
    chat_id = taken(app, sanne, visitor)
    hand_over(sanne, chat_id, "region:DEMO2")
    clock.at += timedelta(minutes=1)
    waiting = text_of(visitor.get(f"/w/{DEMO_SITE}").text)
    assert "Je wacht op een medewerker van Veilig Thuis Demo-regio Noord (altijd open)" in waiting
    assert "Een collega van Veilig Thuis in een andere regio gaat verder met je chat." in waiting
    assert "Je bent nummer 1" in waiting
    assert NOTE not in waiting  # the note is for colleagues only

    ilse.post(f"/console/chats/{chat_id}/accept")
    page = BeautifulSoup(visitor.get(f"/w/{DEMO_SITE}").text, "html.parser")
    assert "Je chat met Ilse van Veilig Thuis Demo-regio Noord (altijd open)" in text_of(
        str(page.find(id="vt-header"))
    )
    assert "andere regio" not in text_of(str(page))
    said = [
        (text_of(m.select_one(".vt-msg-from").get_text()), m.select_one(".vt-msg-body").get_text())
        for m in page.select("#vt-messages > li")
    ]
    # Sanne's words stay Veilig Thuis's, never put in Ilse's mouth.
    assert said == [("Veilig Thuis", "Hoi Mila, ik ben Sanne."), ("Jij", "Ik woon in Groningen.")]


def test_only_the_chats_own_worker_hands_it_over(app, sanne, joris, visitor):
    chat_id = taken(app, sanne, visitor)
    assert hand_over(joris, chat_id, "region:DEMO2").status_code == 404
    with app.app_context(), pytest.raises(Refused) as refused:
        transfers.to_region(chat_id, worker_id(app, "demo2"), "DEMO2", NOTE)
    assert refused.value.reason == Refusal.NOT_YOURS
    assert get(app, chat_id).worker_id == worker_id(app, "demo")


def test_a_chat_of_another_region_or_an_unknown_one_is_404(app, sanne, ilse, visitor):
    chat_id = taken(app, sanne, visitor)
    assert hand_over(ilse, chat_id, "region:DEMO2").status_code == 404
    assert ilse.post(f"/console/offers/{chat_id}/accept").status_code == 404
    assert ilse.post(f"/console/offers/{chat_id}/decline").status_code == 404
    assert hand_over(sanne, 999999, "region:DEMO2").status_code == 404
    assert get(app, chat_id).status == "active"


@pytest.mark.parametrize("to", ["region:VT13", "region:DEMO", "region:NOPE", "worker:999", ""])
def test_a_target_not_in_the_list_is_refused_in_dutch(app, sanne, visitor, to):
    chat_id = taken(app, sanne, visitor)
    response = hand_over(sanne, chat_id, to)
    assert response.status_code == 400
    assert NOT_IN_LIST in text_of(response.text)
    chat = get(app, chat_id)
    assert (chat.status, chat.region_code, chat.offered_to_id) == ("active", "DEMO", None)


def test_a_colleague_of_another_region_is_not_offered_the_chat(app, sanne, visitor):
    chat_id = taken(app, sanne, visitor)
    response = hand_over(sanne, chat_id, f"worker:{worker_id(app, 'demo3')}")
    assert NOT_IN_LIST in text_of(response.text)
    assert get(app, chat_id).offered_to_id is None


def test_the_note_is_needed_and_bounded_in_dutch(app, sanne, visitor):
    chat_id = taken(app, sanne, visitor)
    empty = text_of(hand_over(sanne, chat_id, "region:DEMO2", note="  ").text)
    assert "Schrijf een korte overdracht voor je collega." in empty
    long = hand_over(sanne, chat_id, "region:DEMO2", note="x" * 501)
    assert long.status_code == 400
    assert "Een overdrachtsnotitie mag hoogstens 500 tekens hebben." in text_of(long.text)
    assert get(app, chat_id).region_code == "DEMO"


def test_a_region_whose_chat_is_closed_is_shown_but_refused(app, sanne, visitor):
    chat_id = taken(app, sanne, visitor)
    with app.app_context():
        regions.set_week("DEMO2", [])
    page = BeautifulSoup(sanne.get(f"/console/chats/{chat_id}").text, "html.parser")
    option = page.find("option", value="region:DEMO2")
    assert option.get_text() == "Demo-regio Noord (altijd open) (nu gesloten)"
    assert option.has_attr("disabled")
    assert NOT_IN_LIST in text_of(hand_over(sanne, chat_id, "region:DEMO2").text)
    with app.app_context(), pytest.raises(Refused) as refused:
        transfers.to_region(chat_id, worker_id(app, "demo"), "DEMO2", NOTE)
    assert refused.value.reason == Refusal.CLOSED
    assert get(app, chat_id).region_code == "DEMO"


def test_the_events_of_a_region_transfer_follow_the_commit(app, hub, sanne, visitor):
    chat_id = taken(app, sanne, visitor)
    seen = []

    def read_back(event):  # runs inside publish: what would a client read now?
        chat = chats.get(chat_id)
        seen.append((event["type"], chat.status, chat.region_code))

    hub.subscribe(chat_topic(chat_id), read_back)
    hub.clear()
    hand_over(sanne, chat_id, "region:DEMO2")
    assert ("state", "waiting", "DEMO2") in seen
    assert all(status == "waiting" for _kind, status, _code in seen)
    topics = [topic for topic, _event in hub.published]
    assert "region:DEMO" in topics and "region:DEMO2" in topics
    assert hub.events(worker_topic(worker_id(app, "demo"))) == [{"type": "mine"}]
    assert {"type": "queue", "region": "DEMO2"} in hub.events("region:DEMO2")
    with app.app_context():
        assert chats.places("DEMO2") == {chat_id: 1}


# ---- to a named colleague ----------------------------------------------------------------------


def offer_to_joris(app, sanne, chat_id):
    response = hand_over(sanne, chat_id, f"worker:{worker_id(app, 'demo2')}")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/console/chats/{chat_id}"


def test_an_offer_waits_for_the_colleague_and_the_chat_stays_meanwhile(
    app, hub, sanne, joris, visitor
):
    chat_id = taken(app, sanne, visitor)
    hub.clear()
    offer_to_joris(app, sanne, chat_id)
    mine = text_of(sanne.get(f"/console/chats/{chat_id}").text)
    assert "Aangeboden aan Joris. De chat blijft bij jou tot die hem aanneemt." in mine
    assert f"Jouw notitie: {NOTE}" in mine
    assert (
        sanne.post(f"/console/chats/{chat_id}/send", data={"body": "Nog even"}).status_code == 303
    )
    assert get(app, chat_id).worker_id == worker_id(app, "demo")

    joris_id = worker_id(app, "demo2")
    assert hub.events(worker_topic(joris_id)) == [
        {"type": "offer", "change": "made", "chat": chat_id}
    ]
    offers = BeautifulSoup(joris.get("/console/").text, "html.parser").find(id="console-offers")
    assert "Sanne vraagt of je de chat met Mila overneemt" in text_of(str(offers))
    assert f"Overdracht: {NOTE}" in text_of(str(offers))
    assert [b.get_text(" ", strip=True) for b in offers.select("button")] == [
        "Overnemen Mila",
        "Afwijzen Mila",
    ]
    assert joris.get(f"/console/chats/{chat_id}").status_code == 404  # not Joris's yet


def test_the_colleague_accepts_and_the_visitor_sees_the_new_name(app, hub, sanne, joris, visitor):
    chat_id = taken(app, sanne, visitor)
    offer_to_joris(app, sanne, chat_id)
    hub.clear()
    response = joris.post(f"/console/offers/{chat_id}/accept")
    assert response.headers["Location"] == f"/console/chats/{chat_id}"
    chat = get(app, chat_id)
    assert (chat.worker_id, chat.offered_to_id) == (worker_id(app, "demo2"), None)
    assert "Chat met Mila" in text_of(joris.get(f"/console/chats/{chat_id}").text)
    assert sanne.get(f"/console/chats/{chat_id}").status_code == 404
    page = text_of(visitor.get(f"/w/{DEMO_SITE}").text)
    assert "Je chat met Joris van Veilig Thuis Demo-regio (altijd open)" in page
    assert hub.events(worker_topic(worker_id(app, "demo")))[0] == {
        "type": "offer",
        "change": "accepted",
        "chat": chat_id,
        "by": worker_id(app, "demo2"),
    }
    assert {"type": "state", "chat": chat_id} in hub.events(chat_topic(chat_id))


def test_accepting_an_offer_is_refused_past_capacity(app, sanne, joris, visitor):
    chat_id = taken(app, sanne, visitor)
    offer_to_joris(app, sanne, chat_id)
    joris_id = worker_id(app, "demo2")
    with app.app_context():
        for nickname in ("Anna", "Bo"):
            assert chats.accept(chats.create("DEMO", nickname).id, joris_id)
    response = joris.post(f"/console/offers/{chat_id}/accept")
    assert response.headers["Location"] == "/console/"
    assert "Je hebt al 2 chats" in text_of(joris.get("/console/").text)
    chat = get(app, chat_id)
    assert (chat.worker_id, chat.offered_to_id) == (worker_id(app, "demo"), joris_id)


def test_the_colleague_declines_and_the_first_worker_is_told(app, hub, sanne, joris, visitor):
    chat_id = taken(app, sanne, visitor)
    offer_to_joris(app, sanne, chat_id)
    hub.clear()
    response = joris.post(f"/console/offers/{chat_id}/decline", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "Mila" not in text_of(response.text)
    chat = get(app, chat_id)
    assert (chat.worker_id, chat.offered_to_id) == (worker_id(app, "demo"), None)
    sanne_id = worker_id(app, "demo")
    assert hub.events(worker_topic(sanne_id)) == [
        {"type": "offer", "change": "declined", "chat": chat_id, "by": worker_id(app, "demo2")}
    ]
    # The hand-over form is back for Sanne, and the offer gone for Joris.
    assert 'id="transfer-to"' in sanne.get(f"/console/chats/{chat_id}").text
    assert joris.post(f"/console/offers/{chat_id}/accept").status_code == 404


def test_an_offer_can_be_withdrawn(app, hub, sanne, joris, visitor):
    chat_id = taken(app, sanne, visitor)
    offer_to_joris(app, sanne, chat_id)
    hub.clear()
    sanne.post(f"/console/chats/{chat_id}/transfer/withdraw")
    assert get(app, chat_id).offered_to_id is None
    assert hub.events(worker_topic(worker_id(app, "demo2"))) == [
        {"type": "offer", "change": "gone", "chat": chat_id}
    ]
    assert "vraagt of je" not in text_of(joris.get("/console/").text)


def test_an_offer_lapses_when_the_chat_ends(app, hub, sanne, joris, visitor):
    chat_id = taken(app, sanne, visitor)
    offer_to_joris(app, sanne, chat_id)
    hub.clear()
    with app.app_context():
        chats.end(chat_id, EndReason.WORKER)
    assert {"type": "offer", "change": "gone", "chat": chat_id} in hub.events(
        worker_topic(worker_id(app, "demo2"))
    )
    assert "vraagt of je" not in text_of(joris.get("/console/").text)
    joris.post(f"/console/offers/{chat_id}/accept")  # from a page drawn before the end
    assert "Deze chat wordt je niet meer aangeboden." in text_of(joris.get("/console/").text)
    assert get(app, chat_id).worker_id == worker_id(app, "demo")


def test_only_the_chats_own_worker_offers_it(app, sanne, joris, visitor):
    chat_id = taken(app, sanne, visitor)
    sanne_id = worker_id(app, "demo")
    assert hand_over(joris, chat_id, f"worker:{sanne_id}").status_code == 404
    with app.app_context(), pytest.raises(Refused):
        transfers.to_colleague(chat_id, worker_id(app, "demo2"), sanne_id, NOTE)
    assert get(app, chat_id).offered_to_id is None


def test_a_handed_over_chats_words_are_labelled_by_who_wrote_them(
    app, clock, sanne, joris, visitor
):
    chat_id = taken(app, sanne, visitor)
    offer_to_joris(app, sanne, chat_id)
    clock.at += timedelta(minutes=1)
    joris.post(f"/console/offers/{chat_id}/accept")
    with app.app_context():
        chats.add_message(chat_id, Sender.WORKER, "Hoi Mila, ik ben Joris.")
    page = BeautifulSoup(visitor.get(f"/w/{DEMO_SITE}").text, "html.parser")
    names = [text_of(m.get_text()) for m in page.select("#vt-messages .vt-msg-from")]
    assert names == ["Veilig Thuis", "Jij", "Joris"]


# ---- live, over the real WebSockets ------------------------------------------------------------


def test_an_offer_arrives_live_in_the_colleagues_workspace(app, server, sanne, joris, visitor):
    chat_id = taken(app, sanne, visitor)
    with connect(server, "/console/ws", joris) as ws:
        receive(ws)
        offer_to_joris(app, sanne, chat_id)
        frame = receive_until(ws, "Sanne vraagt of je de chat met Mila overneemt")
    assert 'id="console-offers"' in frame
    assert f"Overdracht: {NOTE}" in text_of(frame)
    assert "<audio" in frame  # Joris has the sound on


def test_the_first_workers_screen_lets_go_of_a_chat_the_colleague_took(
    app, server, sanne, joris, visitor
):
    chat_id = taken(app, sanne, visitor)
    offer_to_joris(app, sanne, chat_id)
    with connect(server, f"/console/ws?chat={chat_id}", sanne) as ws:
        receive(ws)
        joris.post(f"/console/offers/{chat_id}/accept")
        frame = receive_until(ws, "Joris heeft de chat met Mila overgenomen.")
    soup = BeautifulSoup(frame, "html.parser")
    assert soup.find(id="console-chat")["hx-swap-oob"] == "true"
    assert "Terug naar de werkplek" in text_of(str(soup.find(id="console-chat")))
    assert soup.find(id="console-session")["hx-get"] == "/console/refresh"


def test_a_declined_offer_is_told_live_and_the_form_comes_back(app, server, sanne, joris, visitor):
    chat_id = taken(app, sanne, visitor)
    offer_to_joris(app, sanne, chat_id)
    with connect(server, f"/console/ws?chat={chat_id}", sanne) as ws:
        receive(ws)
        joris.post(f"/console/offers/{chat_id}/decline")
        frame = receive_until(ws, "Joris neemt de chat met Mila niet over. De chat blijft bij jou.")
    transfer = BeautifulSoup(frame, "html.parser").find(id="console-transfer")
    assert transfer["hx-swap-oob"] == "true"
    assert transfer.find(id="transfer-to") is not None


def test_the_visitors_pop_up_follows_a_region_transfer_live(
    app, clock, server, sanne, ilse, visitor
):
    chat_id = taken(app, sanne, visitor)
    with connect(server, socket_path(visitor), visitor) as ws:
        receive(ws)
        hand_over(sanne, chat_id, "region:DEMO2")
        waiting = text_of(receive_until(ws, "Demo-regio Noord"))
        assert (
            "Een collega van Veilig Thuis in een andere regio gaat verder met je chat." in waiting
        )
        clock.at += timedelta(minutes=1)
        ilse.post(f"/console/chats/{chat_id}/accept")
        frame = text_of(receive_until(ws, "Je chat met Ilse"))
    assert "Je chat met Ilse van Veilig Thuis Demo-regio Noord (altijd open)" in frame
    assert "Hoi Mila, ik ben Sanne." in frame and "Ik woon in Groningen." in frame


def test_the_handover_note_is_deleted_with_the_transcript(app, clock, sanne, ilse, visitor):
    chat_id = taken(app, sanne, visitor)
    hand_over(sanne, chat_id, "region:DEMO2")
    ilse.post(f"/console/chats/{chat_id}/accept")
    with app.app_context():
        chats.end(chat_id, EndReason.WORKER)
        clock.at += timedelta(hours=app.config["TRANSCRIPT_RETENTION_HOURS"] + 1)
        assert chats.purge_transcripts() == 1
    assert get(app, chat_id).handover_note is None


def test_racing_accepts_and_claims_never_pass_the_colleagues_capacity(app):
    """Four threads of Joris's accept offers and take from the queue at once: never past 3."""
    sanne_id, joris_id = worker_id(app, "demo"), worker_id(app, "demo2")
    with app.app_context(), db.session() as s:
        s.execute(update(Worker).where(Worker.id == sanne_id).values(capacity=20))
        s.execute(update(Worker).where(Worker.id == joris_id).values(capacity=3))
        s.commit()
    with app.app_context():
        offered = []
        for n in range(8):
            chat_id = chats.create("DEMO", f"Aangeboden {n}").id
            assert chats.accept(chat_id, sanne_id)
            transfers.to_colleague(chat_id, sanne_id, joris_id, NOTE)
            offered.append(chat_id)
        for n in range(8):
            chats.create("DEMO", f"Wachtend {n}")
    start = threading.Barrier(4)
    failures: list[BaseException] = []

    def race(by_offer: bool):
        try:
            with app.app_context():
                start.wait()
                for chat_id in offered:
                    if by_offer:
                        with contextlib.suppress(Refused):
                            transfers.accept_offer(chat_id, joris_id)
                    else:
                        chats.take_next(joris_id, ["DEMO"])
        except BaseException as error:  # reported below: a thread's error fails the test
            failures.append(error)

    threads = [threading.Thread(target=race, args=(n % 2 == 0,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with app.app_context():
        assert len(chats.active_for(joris_id)) == 3
