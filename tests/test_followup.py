"""Follow-up codes: random words at the end, given in a later chat, bringing up earlier advice.

The worker of the later chat sees what was advised before, never a conversation, and no
nickname of another chat; nobody else sees it.
"""

import re

import pytest
from bs4 import BeautifulSoup

from backend import chats, followup, registrations
from backend.models import Sender
from tests.helpers import (
    DEMO_SITE,
    add_workers,
    all_chats,
    log_in,
    start_chat,
    taken_chat,
    text_of,
)
from tests.test_registration import SERIOUS, end

CODE = re.compile(r"[a-z]+-[a-z]+-[a-z]+")
EXPLAINED = (
    "Geef deze code bij een volgende chat: dan ziet de medewerker welk advies je eerder kreeg. "
    "Niemand kan met de code dit gesprek teruglezen."
)
EARLIER = "Eerder gegeven advies"
FIRST_WORDS = "Mijn vader wordt snel boos en dan wordt het eng thuis."


def shown_code(page: str) -> str:
    """The code the visitor's closing shows."""
    return BeautifulSoup(page, "html.parser").select_one("#vt-followup .vt-code").get_text()


def earlier_part(page: str) -> str:
    part = BeautifulSoup(page, "html.parser").find(id="console-earlier")
    return text_of(str(part)) if part else ""


# ---- the code itself ------------------------------------------------------------------------


def test_the_word_list_is_long_plain_and_without_doubles():
    words = followup.words()
    assert len(words) >= 450
    assert len(set(words)) == len(words)
    assert all(re.fullmatch(r"[a-z]{3,9}", word) for word in words)
    # One spelling each: no ij/ei, au/ou or y, which a visitor copying by hand might swap.
    assert not [w for w in words if re.search("ij|ei|au|ou|y", w)]


def test_a_code_is_three_words_of_the_list():
    code = followup.new_code()
    assert CODE.fullmatch(code)
    assert set(code.split("-")) <= set(followup.words())


def test_codes_are_random_not_derived_from_anything():
    codes = {followup.new_code() for _ in range(300)}
    # 516³ possible codes: 300 draws that repeat would mean something is not random.
    assert len(codes) >= 299
    firsts = {code.split("-")[0] for code in codes}
    assert len(firsts) > 100


def test_two_alike_chats_get_different_codes(app):
    with app.app_context():
        codes = set()
        for _ in range(2):
            chat = chats.create("DEMO", "Mila", age=15)
            chats.accept(chat.id, 1)
            chats.end(chat.id, "visitor")
            codes.add(followup.for_visitor(chats.get(chat.id)))
    assert len(codes) == 2 and all(CODE.fullmatch(code) for code in codes)
    assert not any("mila" in code or "15" in code for code in codes)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("boom-lamp-vis", "boom-lamp-vis"),
        ("  Boom Lamp,vis ", "boom-lamp-vis"),
        ("BOOM--lamp  vis.", "boom-lamp-vis"),
        ("", None),
        ("!!! ", None),
    ],
)
def test_a_typed_code_is_normalised(typed, stored):
    assert followup.normalise(typed) == stored


# ---- the visitor is given one ----------------------------------------------------------------


def test_the_visitor_gets_the_code_at_the_end_with_what_it_is_for(app, client, worker):
    chat_id = taken_chat(app, client)
    end(worker, chat_id, **SERIOUS)
    page = client.get(f"/w/{DEMO_SITE}?continued=1").text  # without JavaScript: the end once
    code = shown_code(page)
    assert CODE.fullmatch(code)
    assert "Je vervolgcode:" in text_of(page) and EXPLAINED in text_of(page)
    with app.app_context():
        assert chats.get(chat_id).followup_code == code
        assert registrations.of_chat(chat_id).followup_code == code


def test_a_visitor_who_ends_first_gets_the_code_the_registration_keeps(app, client, worker):
    chat_id = taken_chat(app, client)
    ended = client.post(f"/w/{DEMO_SITE}/end", headers={"HX-Request": "true"}).text
    code = shown_code(ended)
    end(worker, chat_id, **SERIOUS)
    with app.app_context():
        assert registrations.of_chat(chat_id).followup_code == code


def test_a_visitor_who_never_reached_a_worker_gets_no_code(app, client):
    start_chat(client)
    page = client.post(f"/w/{DEMO_SITE}/end", headers={"HX-Request": "true"}).text
    assert "Je vervolgcode" not in text_of(page)
    assert all_chats(app)[-1].followup_code is None


# ---- a later chat brings it ------------------------------------------------------------------


def later_chat(app, code: str, nickname="Bo", region="DEMO") -> int:
    """A new visitor (another browser) who gives `code`, taken by Sanne; the chat's id."""
    visitor = app.test_client()
    response = start_chat(visitor, nickname=nickname, region=region, earlier_code=code)
    assert response.status_code == 303
    chat_id = all_chats(app)[-1].id
    with app.app_context():
        assert chats.accept(chat_id, 1)
    return chat_id


def first_chat_with_advice(app, client, worker) -> str:
    """Mila's chat, with her words and Sanne's registered advice; the code she was given."""
    chat_id = taken_chat(app, client, nickname="Mila")
    with app.app_context():
        chats.add_message(chat_id, Sender.VISITOR, FIRST_WORDS)
    end(worker, chat_id, **SERIOUS)
    return shown_code(client.get(f"/w/{DEMO_SITE}?continued=1").text)


def test_the_later_chats_worker_sees_the_earlier_advice_and_no_conversation(app, client, worker):
    code = first_chat_with_advice(app, client, worker)
    later = later_chat(app, code.upper().replace("-", " "))
    with app.app_context():
        assert chats.get(later).earlier_code == code  # stored the one way
    page = worker.get(f"/console/chats/{later}").text
    seen = earlier_part(page)
    assert EARLIER in seen
    assert SERIOUS["advice"] in seen
    for words in ("Partnergeweld", "Slachtoffer", "Nee", "Huisarts", "18 november 2026"):
        assert words in seen
    assert "Demo-regio" in seen
    # Never the conversation, nor the other chat's nickname.
    assert FIRST_WORDS not in text_of(page)
    assert "Mila" not in seen


def test_the_earlier_advice_is_for_the_later_chats_worker_only(app, client, worker):
    code = first_chat_with_advice(app, client, worker)
    later = later_chat(app, code)
    colleague = app.test_client()
    log_in(colleague, "demo2", "demo")
    assert colleague.get(f"/console/chats/{later}").status_code == 404
    assert SERIOUS["advice"] not in colleague.get("/console/").text
    assert SERIOUS["advice"] not in worker.get("/console/").text  # not on the queue either


def test_advice_from_another_region_comes_along_and_says_where(app, client, worker):
    (elsewhere,) = add_workers(app, 1, region="VT13")
    with app.app_context():
        first = chats.create("VT13", "Mila")
        chats.accept(first.id, elsewhere)
        chats.end(first.id, "visitor")
        registrations.save(chats.get(first.id), elsewhere, SERIOUS)
        code = chats.get(first.id).followup_code
    later = later_chat(app, code)
    seen = earlier_part(worker.get(f"/console/chats/{later}").text)
    assert SERIOUS["advice"] in seen
    assert "Noord- en Midden Limburg" in seen


def test_each_later_code_brings_the_whole_chain(app, client, worker):
    first_code = first_chat_with_advice(app, client, worker)
    second = later_chat(app, first_code, nickname="Bo")
    end(worker, second, **{**SERIOUS, "advice": "Bel de wijkteam-coach nog eens."})
    with app.app_context():
        second_code = chats.get(second).followup_code
    third = later_chat(app, second_code, nickname="Noor")
    seen = earlier_part(worker.get(f"/console/chats/{third}").text)
    assert "Bel de wijkteam-coach nog eens." in seen
    assert SERIOUS["advice"] in seen
    assert seen.index("Bel de wijkteam-coach") < seen.index(SERIOUS["advice"])  # newest first


def test_an_unknown_code_is_kept_and_never_an_error(app, client, worker):
    unknown = later_chat(app, "appel-peer-pruim")
    with app.app_context():
        assert chats.get(unknown).earlier_code == "appel-peer-pruim"
    # The visitor starts as with any code; only the worker learns nothing was found.
    seen = earlier_part(worker.get(f"/console/chats/{unknown}").text)
    assert "maar daaronder is geen advies geregistreerd" in seen


def test_a_chat_without_a_code_shows_no_earlier_part(app, client, worker):
    chat_id = taken_chat(app, client)
    assert 'id="console-earlier"' not in worker.get(f"/console/chats/{chat_id}").text


def test_the_code_field_is_small_and_optional(client):
    html = client.get(f"/w/{DEMO_SITE}/start").text
    soup = BeautifulSoup(html, "html.parser")
    field = soup.find("input", attrs={"name": "earlier_code"})
    assert field.find_parent("fieldset", class_="vt-optional") is not None
    assert not field.has_attr("required")
    assert field["maxlength"] == str(followup.MAX_CODE_LENGTH)
    label = soup.find("label", attrs={"for": field["id"]})
    assert text_of(str(label)) == "Vervolgcode van een eerdere chat"
