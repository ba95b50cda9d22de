"""Private notes on a chat: the chat's worker writes them, only workers read them, the purge
deletes them with the transcript, and the visitor never learns of them."""

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import update

from backend import chats, db, notes, workers
from backend.console.notes import panel
from backend.models import Worker, WorkerRole
from tests.helpers import DEMO_SITE, all_chats, log_in, start_chat, text_of

HTMX = {"HX-Request": "true"}
SANNE, JORIS = 1, 2  # the demo workers
NOTE = "Zus van 15 is bang voor stiefvader; wil eerst zelf bellen."


@pytest.fixture
def colleague(app):
    """The other demo worker, Joris, logged in."""
    client = app.test_client()
    assert log_in(client, "demo2").status_code == 303
    return client


def visitors_chat(app, client) -> int:
    """The visitor Mila starts a chat and Sanne takes it; its id."""
    start_chat(client, nickname="Mila")
    chat_id = all_chats(app)[-1].id
    with app.app_context():
        assert chats.accept(chat_id, SANNE)
    return chat_id


def add_note(worker, chat_id, body=NOTE, **kwargs):
    return worker.post(f"/console/chats/{chat_id}/notes", data={"body": body}, **kwargs)


def stored(app, chat_id) -> list[str]:
    with app.app_context():
        return [note.body for note in notes.of_chat(chat_id)]


def set_role(app, worker_id, role, region=None):
    values = {"role": role} if region is None else {"role": role, "region_code": region}
    with app.app_context(), db.session() as s:
        s.execute(update(Worker).where(Worker.id == worker_id).values(**values))
        s.commit()


def test_the_worker_keeps_a_note_beside_the_chat(app, worker, client):
    chat_id = visitors_chat(app, client)
    response = add_note(worker, chat_id, headers=HTMX)
    assert response.status_code == 200
    assert "<html" not in response.text
    notes_part = BeautifulSoup(response.text, "html.parser").find(id="console-notes")
    assert NOTE in notes_part.get_text()
    assert "Sanne · 10:00" in text_of(str(notes_part))
    assert notes_part.find("textarea", id="note-body").get_text() == ""  # empty for the next
    assert stored(app, chat_id) == [NOTE]
    page = text_of(worker.get(f"/console/chats/{chat_id}").text)
    assert "Notities" in page and NOTE in page


def test_without_htmx_the_note_is_kept_and_the_chat_shown_again(app, worker, client):
    chat_id = visitors_chat(app, client)
    response = add_note(worker, chat_id)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/console/chats/{chat_id}#console-notes"
    assert NOTE in text_of(worker.get(f"/console/chats/{chat_id}").text)


def test_an_empty_note_is_refused_in_dutch(app, worker, client):
    chat_id = visitors_chat(app, client)
    response = add_note(worker, chat_id, body="  ", headers=HTMX)
    assert "Typ eerst een notitie." in text_of(response.text)
    too_long = add_note(worker, chat_id, body="x" * (notes.MAX_NOTE_LENGTH + 1))
    assert "Een notitie mag hoogstens 1000 tekens lang zijn." in text_of(too_long.text)
    assert stored(app, chat_id) == []


def test_the_visitor_never_sees_a_note_nor_hears_of_one(app, worker, client, hub):
    chat_id = visitors_chat(app, client)
    worker.post(f"/console/chats/{chat_id}/send", data={"body": "Hoi Mila"})
    hub.clear()
    add_note(worker, chat_id, headers=HTMX)
    # Nothing published: not on the chat's topic, which the visitor's socket follows, nor
    # anywhere else; so no typing either.
    assert hub.published == []
    for path in (f"/w/{DEMO_SITE}", f"/w/{DEMO_SITE}?continued=1"):
        page = client.get(path).text
        assert "Hoi Mila" in page  # the visitor's page with the conversation
        assert NOTE not in page and "Notities" not in page


def test_the_note_box_tells_nobody_about_typing(app, worker, client):
    chat_id = visitors_chat(app, client)
    soup = BeautifulSoup(worker.get(f"/console/chats/{chat_id}").text, "html.parser")
    box = soup.find("textarea", id="note-body")
    assert box is not None
    assert not [name for name in box.attrs if name.startswith(("hx-", "ws-", "data-hx"))]
    assert box.find_parent("form")["action"] == f"/console/chats/{chat_id}/notes"


def test_a_colleague_can_neither_read_nor_write_a_workers_notes(app, worker, colleague, client):
    chat_id = visitors_chat(app, client)
    add_note(worker, chat_id)
    assert colleague.get(f"/console/chats/{chat_id}/notes").status_code == 404
    assert colleague.get(f"/console/chats/{chat_id}/notes", headers=HTMX).status_code == 404
    assert add_note(colleague, chat_id, body="Van Joris").status_code == 404
    assert stored(app, chat_id) == [NOTE]


def test_a_coordinator_of_the_region_reads_them_but_adds_none(app, worker, colleague, client):
    chat_id = visitors_chat(app, client)
    add_note(worker, chat_id)
    set_role(app, JORIS, WorkerRole.COORDINATOR)
    page = colleague.get(f"/console/chats/{chat_id}/notes")
    assert page.status_code == 200
    assert NOTE in text_of(page.text) and "Notities bij de chat met Mila" in text_of(page.text)
    assert BeautifulSoup(page.text, "html.parser").find("textarea", id="note-body") is None
    assert add_note(colleague, chat_id, body="Van Joris").status_code == 404
    assert stored(app, chat_id) == [NOTE]


def test_a_coordinator_of_another_region_reads_nothing(app, worker, colleague, client):
    chat_id = visitors_chat(app, client)
    add_note(worker, chat_id)
    set_role(app, JORIS, WorkerRole.COORDINATOR, region="VT01")
    assert colleague.get(f"/console/chats/{chat_id}/notes").status_code == 404
    assert colleague.get(f"/console/chats/{chat_id}/notes", headers=HTMX).status_code == 404


def test_the_own_worker_reading_the_notes_is_sent_to_the_chat(app, worker, client):
    chat_id = visitors_chat(app, client)
    add_note(worker, chat_id)
    response = worker.get(f"/console/chats/{chat_id}/notes")
    assert response.status_code == 303
    assert NOTE in worker.get(f"/console/chats/{chat_id}/notes", headers=HTMX).text


def test_no_note_is_added_once_the_chat_ended(app, worker, client):
    chat_id = visitors_chat(app, client)
    with app.app_context():
        chats.end(chat_id, "visitor")
    assert add_note(worker, chat_id).status_code == 404
    assert stored(app, chat_id) == []


def test_the_purge_deletes_the_notes_with_the_transcript(app, worker, client, clock):
    chat_id = visitors_chat(app, client)
    other = visitors_chat(app, app.test_client())
    add_note(worker, chat_id)
    add_note(worker, other, body="Blijft nog.")
    with app.app_context():
        chats.end(chat_id, "visitor")
        retention = timedelta(hours=app.config["TRANSCRIPT_RETENTION_HOURS"])
        clock.at = chats.get(chat_id).ended_at + retention - timedelta(minutes=1)
        assert chats.purge_transcripts() == 0
        assert stored(app, chat_id) == [NOTE]
        clock.at += timedelta(minutes=2)
        assert chats.purge_transcripts() == 1
    assert stored(app, chat_id) == []
    assert stored(app, other) == ["Blijft nog."]  # still going: kept


def test_the_notes_part_is_empty_for_a_worker_who_may_not_see_the_chat(app, worker, client):
    """The template's own check, behind the views' 404: never a note outside what one may see."""

    chat_id = visitors_chat(app, client)
    add_note(worker, chat_id)
    with app.test_request_context("/console/"):
        chat = chats.get(chat_id)
        assert [n.body for n in panel(workers.get(SANNE), chat)["notes"]] == [NOTE]
        assert panel(workers.get(JORIS), chat) == {"notes": [], "may_write": False, "form": None}
        assert panel(None, chat)["notes"] == []
