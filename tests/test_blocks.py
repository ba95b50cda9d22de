"""Misuse: a worker blocks an abusive visitor for a set time, by chat token and follow-up code.

The visitor reads a calm message with 0800 2000, in the pop-up at once and on every new start
while the block lasts; after it runs out (the app's clock) they can start again.
"""

from datetime import timedelta

import pytest
from sqlmodel import select

from backend import blocks, chats, db, sweeper
from backend.hub import chat_topic
from backend.models import Block
from tests.helpers import (
    DEMO_SITE,
    all_chats,
    session_of,
    start_chat,
    taken_chat,
    text_of,
)
from tests.test_registration import SERIOUS, end

CALM = "Je kunt hier nu geen chat starten. Probeer het later nog eens."
STOPPED = "Deze chat is gestopt. Je kunt hier een tijdje geen nieuwe chat starten."
PHONE = "0800 2000"


def block(worker, chat_id, hours="24", **fields):
    return end(worker, chat_id, kind="abusive", block=hours, **fields)


def blocks_of(app) -> list[Block]:
    with app.app_context(), db.session() as s:
        return list(s.exec(select(Block)))


def start_page(client) -> str:
    return text_of(client.get(f"/w/{DEMO_SITE}/start").text)


def test_blocking_ends_the_chat_and_the_pop_up_says_so_calmly(app, client, worker, hub):
    chat_id = taken_chat(app, client)
    blocked_when_told = []

    def told(event):
        if event["type"] == "state":
            blocked_when_told.append(blocks.of_chat(chats.get(chat_id)) is not None)

    hub.subscribe(chat_topic(chat_id), told)
    with app.app_context():  # the hub calls back in the request's thread, in its app
        assert block(worker, chat_id).status_code == 303
        ended = chats.get(chat_id)
    assert (ended.status, ended.ended_by) == ("ended", "worker")
    # The pop-up redraws on the state event: the block is stored by then, so it says so.
    assert blocked_when_told == [True]
    page = text_of(client.get(f"/w/{DEMO_SITE}?continued=1").text)
    assert STOPPED in page and PHONE in page
    assert "Je vervolgcode" not in page  # no code offered to someone blocked


def test_a_block_is_by_token_and_code_only(app, client, worker, clock):
    chat_id = taken_chat(app, client)
    block(worker, chat_id, hours="1")
    with app.app_context():
        chat = chats.get(chat_id)
    (row,) = blocks_of(app)
    assert (row.token, row.followup_code) == (chat.token, chat.followup_code)
    assert row.until == clock.at + timedelta(hours=1)
    assert row.worker_id == 1
    assert set(Block.model_fields) == {
        "id",
        "token",
        "followup_code",
        "until",
        "worker_id",
        "created_at",
    }


def test_a_blocked_visitor_cannot_start_again_while_it_lasts(app, client, worker):
    chat_id = taken_chat(app, client)
    block(worker, chat_id)
    client.post(f"/w/{DEMO_SITE}/new")  # "Sluit dit gesprek": the chat is forgotten here
    assert "chat" not in session_of(app, client)
    page = start_page(client)
    assert CALM in page and PHONE in page
    assert "Bijnaam" not in page  # no form
    before = len(all_chats(app))
    response = start_chat(client, nickname="Opnieuw")
    assert CALM in text_of(response.text)
    assert len(all_chats(app)) == before


def test_with_htmx_the_calm_message_is_the_panel(app, client, worker):
    chat_id = taken_chat(app, client)
    block(worker, chat_id)
    response = client.get(f"/w/{DEMO_SITE}/start", headers={"HX-Request": "true"})
    assert 'id="vt-panel"' in response.text and "<html" not in response.text
    assert CALM in text_of(response.text)


@pytest.mark.parametrize(("hours", "still_blocked"), [("1", 59), ("24", 60 * 24 - 1)])
def test_the_block_runs_out(app, client, worker, clock, hours, still_blocked):
    chat_id = taken_chat(app, client)
    start = clock.at
    block(worker, chat_id, hours=hours)
    clock.at = start + timedelta(minutes=still_blocked)
    assert CALM in start_page(client)
    clock.at = start + timedelta(hours=int(hours), minutes=1)
    assert "Bijnaam" in start_page(client)
    assert start_chat(client, nickname="Weer").status_code == 303
    assert all_chats(app)[-1].nickname == "Weer"


def test_the_code_brought_to_a_blocked_chat_is_blocked_in_any_browser(app, client, worker):
    start_chat(client, nickname="Mila", earlier_code="boom lamp vis")
    chat_id = all_chats(app)[-1].id
    with app.app_context():
        chats.accept(chat_id, 1)
    block(worker, chat_id, hours="168")
    other_browser = app.test_client()
    response = start_chat(other_browser, nickname="Bo", earlier_code="Boom-Lamp-Vis")
    assert CALM in text_of(response.text)
    assert [c.nickname for c in all_chats(app)] == ["Mila"]
    # Without the code that browser is not blocked.
    assert start_chat(other_browser, nickname="Bo").status_code == 303


def test_the_blocked_chats_own_code_is_blocked_too(app, client, worker):
    chat_id = taken_chat(app, client)
    # The visitor ends first and is given a code.
    client.post(f"/w/{DEMO_SITE}/end", follow_redirects=True)
    with app.app_context():
        code = chats.get(chat_id).followup_code
    assert code
    block(worker, chat_id)  # registered afterwards as misuse
    response = start_chat(app.test_client(), nickname="Bo", earlier_code=code)
    assert CALM in text_of(response.text)


def test_blocking_is_only_for_misuse(app, client, worker):
    chat_id = taken_chat(app, client)
    response = end(worker, chat_id, **SERIOUS, block="24")
    assert "Blokkeren is alleen voor misbruik" in text_of(response.text)
    assert blocks_of(app) == []
    with app.app_context():
        assert chats.get(chat_id).status == "active"


def test_a_block_time_not_in_the_list_is_refused(app, client, worker):
    chat_id = taken_chat(app, client)
    response = block(worker, chat_id, hours="100000")
    assert "Kies uit de lijst hoe lang je blokkeert." in text_of(response.text)
    assert blocks_of(app) == []


def test_misuse_without_a_block_blocks_nobody(app, client, worker):
    chat_id = taken_chat(app, client)
    assert block(worker, chat_id, hours="").status_code == 303
    assert blocks_of(app) == []
    assert "Bijnaam" in start_page(client)


def test_blocks_hold_for_their_token_or_code_only(app, clock):
    with app.app_context():
        chat = chats.create("DEMO", "Mila")
        chats.accept(chat.id, 1)
        blocks.block(chats.get(chat.id), 1, 1)
        assert blocks.blocking([chat.token]) is not None
        assert blocks.blocking(["another-token"]) is None
        assert blocks.blocking([None], None) is None
        clock.at += timedelta(hours=1)
        assert blocks.blocking([chat.token]) is None  # `until` itself is free again


def test_the_sweeper_forgets_blocks_that_ran_out(app, client, worker, clock):
    chat_id = taken_chat(app, client)
    start = clock.at
    block(worker, chat_id, hours="1")
    with app.app_context():
        assert sweeper.sweep()["blocks run out"] == 0
        clock.at = start + timedelta(hours=1, minutes=1)
        assert sweeper.sweep()["blocks run out"] == 1
        with db.session() as s:
            assert s.exec(select(Block)).all() == []
