"""Ending a chat with its anonymous advice registration: asked first, never skipped when serious.

The registration is kept apart from the transcript: the purge leaves it alone. A chat that
the visitor (or the sweeper) ended stays on the worker's list until it is registered.
"""

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from sqlmodel import select

from backend import chats, db, registrations
from backend.console.streams import WorkspaceStream
from backend.hub import chat_topic
from backend.models import EndReason, Message, Registration, Sender, Worker
from tests.helpers import DEMO_SITE, log_in, taken_chat, text_of

SERIOUS = {
    "kind": "serious",
    "topic": "partner",
    "asked_by": "victim",
    "under_18": "no",
    "advice": "Praat met de huisarts over wat er thuis gebeurt.",
    "referred_to": "gp",
}
# Said under each choice a serious chat needs, when it is missing.
CHOOSE = {
    "topic": "Kies waar de chat over ging.",
    "asked_by": "Kies wie er om advies vroeg.",
    "under_18": "Kies of de bezoeker jonger is dan 18, of dat het onbekend is.",
    "referred_to": "Kies waarnaar je de bezoeker hebt verwezen, of ‘Geen verwijzing’.",
}
CHOOSE_KIND = "Kies wat voor contact dit was."
NO_NAMES = "Schrijf geen namen, adressen of iets anders waaraan iemand te herkennen is."
HTMX = {"HX-Request": "true"}


def end(worker, chat_id, htmx=False, **fields):
    return worker.post(f"/console/chats/{chat_id}/end", data=fields, headers=HTMX if htmx else None)


def chat_of(app, chat_id):
    with app.app_context():
        return chats.get(chat_id)


def registration_of(app, chat_id) -> Registration | None:
    with app.app_context():
        return registrations.of_chat(chat_id)


def test_ending_asks_first_and_opens_the_registration(app, client, worker):
    chat_id = taken_chat(app, client)
    page = worker.get(f"/console/chats/{chat_id}")
    assert "Chat beëindigen" in text_of(page.text)
    opened = worker.get(f"/console/chats/{chat_id}/end")
    form = BeautifulSoup(opened.text, "html.parser").find(id="console-registration")
    words = text_of(str(form))
    for legend in ("Soort contact", "Onderwerp", "Wie vroeg er advies", "Jonger dan 18"):
        assert legend in words
    assert "Gegeven advies" in words and NO_NAMES in words
    assert "Registreren en chat beëindigen" in words
    assert "Geen verwijzing" in words  # a serious chat need not invent a referral
    # Opening the registration ends nothing.
    assert chat_of(app, chat_id).status == "active"


def test_without_htmx_the_registration_is_a_plain_form_on_the_page(app, client, worker):
    chat_id = taken_chat(app, client)
    opened = worker.get(f"/console/chats/{chat_id}/end")
    soup = BeautifulSoup(opened.text, "html.parser")
    form = soup.find(id="console-registration")
    assert form["method"] == "post" and form["action"] == f"/console/chats/{chat_id}/end"
    assert soup.find(id="console-queue") is not None  # the whole workspace around it


def test_with_htmx_the_registration_is_swapped_in_by_id(app, client, worker):
    chat_id = taken_chat(app, client)
    opened = worker.get(f"/console/chats/{chat_id}/end", headers=HTMX)
    assert "<html" not in opened.text
    panel = BeautifulSoup(opened.text, "html.parser").find(id="console-end")
    assert panel.find(id="console-registration") is not None
    back = worker.get(f"/console/chats/{chat_id}/end?back=1", headers=HTMX)
    assert "Chat beëindigen" in text_of(back.text)
    assert 'id="console-registration"' not in back.text


def test_a_serious_chat_cannot_end_with_only_its_kind(app, client, worker):
    chat_id = taken_chat(app, client)
    response = end(worker, chat_id, kind="serious")
    assert response.status_code == 200
    words = text_of(response.text)
    for message in CHOOSE.values():
        assert message in words
    assert chat_of(app, chat_id).status == "active"
    assert registration_of(app, chat_id) is None


@pytest.mark.parametrize("left_out", sorted(CHOOSE))
def test_each_choice_of_a_serious_chat_is_needed(app, client, worker, left_out):
    chat_id = taken_chat(app, client)
    fields = {name: value for name, value in SERIOUS.items() if name != left_out}
    response = end(worker, chat_id, htmx=True, **fields)
    words = text_of(response.text)
    assert CHOOSE[left_out] in words
    assert [m for m in CHOOSE.values() if m in words] == [CHOOSE[left_out]]
    # The choices already made stay chosen.
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.find("input", attrs={"name": "kind", "value": "serious"}).has_attr("checked")
    assert chat_of(app, chat_id).status == "active"


def test_ending_without_any_choice_asks_for_the_kind(app, client, worker):
    chat_id = taken_chat(app, client)
    assert CHOOSE_KIND in text_of(end(worker, chat_id).text)
    assert chat_of(app, chat_id).status == "active"


def test_a_choice_not_in_the_list_is_refused_in_dutch(app, client, worker):
    chat_id = taken_chat(app, client)
    response = end(worker, chat_id, **{**SERIOUS, "topic": "<b>iets</b>"})
    assert CHOOSE["topic"] in text_of(response.text)
    assert chat_of(app, chat_id).status == "active"


def test_the_advice_has_a_bounded_length(app, client, worker):
    chat_id = taken_chat(app, client)
    too_long = "a" * (registrations.MAX_ADVICE_LENGTH + 1)
    response = end(worker, chat_id, **{**SERIOUS, "advice": too_long})
    assert "Het advies mag hoogstens 500 tekens lang zijn." in text_of(response.text)
    assert chat_of(app, chat_id).status == "active"
    box = BeautifulSoup(response.text, "html.parser").find(id="reg-advice")
    assert box["maxlength"] == "500"


@pytest.mark.parametrize("kind", ["test", "prank", "abusive", "silent"])
def test_other_kinds_need_only_the_kind(app, client, worker, kind):
    chat_id = taken_chat(app, client)
    response = end(worker, chat_id, kind=kind)
    assert response.status_code == 303
    ended = chat_of(app, chat_id)
    assert (ended.status, ended.ended_by) == ("ended", "worker")
    registration = registration_of(app, chat_id)
    assert registration.kind == kind
    assert registration.topic is registration.asked_by is registration.referred_to is None


def test_a_full_registration_ends_the_chat_and_is_stored_under_nickname_and_region(
    app, client, worker
):
    chat_id = taken_chat(app, client, nickname="Zonnebloem")
    response = end(worker, chat_id, **SERIOUS)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/console/chats/{chat_id}"
    ended = chat_of(app, chat_id)
    assert (ended.status, ended.ended_by) == ("ended", "worker")
    registration = registration_of(app, chat_id)
    stored = {name: getattr(registration, name) for name in SERIOUS}
    assert stored == SERIOUS
    assert (registration.nickname, registration.region_code) == ("Zonnebloem", "DEMO")
    assert registration.worker_id == 1
    assert registration.followup_code and registration.followup_code == ended.followup_code
    page = text_of(worker.get(f"/console/chats/{chat_id}").text)
    assert "Geregistreerd als: Serieus." in page
    assert "Registreer deze chat" not in page


def test_with_htmx_a_good_registration_answers_what_was_registered(app, client, worker):
    chat_id = taken_chat(app, client)
    response = end(worker, chat_id, htmx=True, kind="prank")
    assert response.status_code == 200
    assert 'id="console-end"' in response.text
    assert "Geregistreerd als: Grap." in text_of(response.text)


def test_a_second_registration_keeps_the_first(app, client, worker):
    chat_id = taken_chat(app, client)
    end(worker, chat_id, **SERIOUS)
    end(worker, chat_id, kind="prank")
    with app.app_context(), db.session() as s:
        stored = list(s.exec(select(Registration).where(Registration.chat_id == chat_id)))
    assert [r.kind for r in stored] == ["serious"]


def test_a_colleague_cannot_register_someone_elses_chat(app, client):
    chat_id = taken_chat(app, client)
    colleague = app.test_client()
    log_in(colleague, "demo2", "demo")
    assert colleague.get(f"/console/chats/{chat_id}/end").status_code == 404
    assert end(colleague, chat_id, kind="test").status_code == 404
    assert registration_of(app, chat_id) is None
    assert chat_of(app, chat_id).status == "active"


@pytest.mark.parametrize("reason", [EndReason.VISITOR, EndReason.VISITOR_GONE, EndReason.SILENT])
def test_a_chat_that_ended_otherwise_stays_on_the_list_until_registered(
    app, client, worker, reason
):
    chat_id = taken_chat(app, client, nickname="Egel")
    if reason == EndReason.VISITOR:
        client.post(f"/w/{DEMO_SITE}/end")  # the visitor's own "Chat beëindigen"
    else:
        with app.app_context():
            chats.end(chat_id, reason)
    assert chat_of(app, chat_id).status == "ended"
    tabs = BeautifulSoup(worker.get("/console/").text, "html.parser").find(id="console-tabs")
    assert "Nog te registreren" in text_of(str(tabs))
    assert "Egel" in text_of(str(tabs))
    page = worker.get(f"/console/chats/{chat_id}").text
    form = BeautifulSoup(page, "html.parser").find(id="console-registration")
    assert "Registreer deze chat" in text_of(str(form))
    assert "Registratie opslaan" in text_of(str(form))
    # Still serious: it cannot be registered with the kind alone.
    assert CHOOSE["topic"] in text_of(end(worker, chat_id, kind="serious").text)
    assert "Egel" in text_of(worker.get("/console/").text)
    assert end(worker, chat_id, **SERIOUS).status_code == 303
    assert registration_of(app, chat_id).kind == "serious"
    tabs = BeautifulSoup(worker.get("/console/").text, "html.parser").find(id="console-tabs")
    assert "Nog te registreren" not in text_of(str(tabs))
    assert chat_of(app, chat_id).ended_by == reason  # registering afterwards ends nothing again


def test_a_push_never_wipes_a_registration_being_filled_in(app, client):
    chat_id = taken_chat(app, client)
    with app.test_request_context("/console/ws"), db.session() as s:
        sanne = s.get(Worker, 1)
        stream = WorkspaceStream(sanne, chat_id)
        # While the chat goes on, a push leaves the ending part alone: it may hold a form.
        assert 'id="console-end"' not in stream.snapshot()
        chats.end(chat_id, EndReason.VISITOR)
        pushed = BeautifulSoup(stream.snapshot(), "html.parser")
    form = pushed.find(id="console-registration")
    assert form is not None
    # Each part keeps what the worker already chose when it is pushed again.
    for part in ("reg-kind", "reg-topic", "reg-advice-field", "reg-referred_to"):
        assert form.find(id=part)["hx-preserve"] == "true"


def test_the_end_is_told_only_once_the_registration_is_stored(app, client, worker, hub):
    """Commit, then publish: a workspace redrawn on the end never gets the form back."""
    chat_id = taken_chat(app, client)
    stored_when_told = []

    def told(event):
        if event["type"] == "state":
            stored_when_told.append(registrations.of_chat(chat_id) is not None)

    hub.subscribe(chat_topic(chat_id), told)
    with app.app_context():  # the hub calls back in the request's thread, in its app
        end(worker, chat_id, **SERIOUS)
    assert stored_when_told == [True]


def test_the_registration_is_kept_when_the_transcript_is_purged(app, client, worker, clock):
    chat_id = taken_chat(app, client, nickname="Zonnebloem")
    with app.app_context():
        chats.add_message(chat_id, Sender.VISITOR, "Mijn vader wordt snel boos.")
    end(worker, chat_id, **SERIOUS)
    clock.at += timedelta(hours=app.config["TRANSCRIPT_RETENTION_HOURS"], minutes=1)
    with app.app_context():
        assert chats.purge_transcripts() == 1
        with db.session() as s:
            assert list(s.exec(select(Message).where(Message.chat_id == chat_id))) == []
        assert chats.get(chat_id).nickname == ""
        kept = registrations.of_chat(chat_id)
    assert {name: getattr(kept, name) for name in SERIOUS} == SERIOUS
    assert (kept.nickname, kept.region_code) == ("Zonnebloem", "DEMO")
    # A purged chat no longer waits for a registration on anyone's list.
    with app.app_context():
        assert registrations.pending_for(1) == []
