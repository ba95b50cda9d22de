"""Canned answers: national and per region, found by short name, put in the box to edit."""

from bs4 import BeautifulSoup
from sqlmodel import func, select

from backend import canned, chats, db, workers
from backend.models import CannedAnswer
from backend.seed import seed_canned_answers, seed_demo
from tests.helpers import DEMO_ORIGIN, text_of

HTMX = {"HX-Request": "true"}
SANNE, JORIS = 1, 2  # the demo workers
MELDING_TITLE = "Zo gaat een melding"


def taken(app, worker_id=SANNE, region="DEMO", nickname="Mila") -> int:
    with app.app_context():
        chat = chats.create(region, nickname)
        assert chats.accept(chat.id, worker_id)
        return chat.id


def answer_id(app, shortcut: str, region=None) -> int:
    with app.app_context(), db.session() as s:
        return s.exec(
            select(CannedAnswer.id).where(
                CannedAnswer.shortcut == shortcut, CannedAnswer.region_code == region
            )
        ).one()


def foreign_answer(app) -> int:
    """An answer of region VT01, where the demo workers do not work."""
    with app.app_context():
        assert canned.add("VT01", "groningen", "Alleen in Groningen", "Tekst van VT01.")
    return answer_id(app, "groningen", "VT01")


def results(html: str) -> list[str]:
    """The titles of the answers a result list shows, in order."""
    found = BeautifulSoup(html, "html.parser").find(id="canned-results")
    return [
        " ".join(button.get_text(" ", strip=True).split()[1:])
        for button in found.select("button.console-canned-pick")
    ]


def box_text(html: str) -> str:
    return BeautifulSoup(html, "html.parser").find("textarea", id="console-body").get_text()


def body_of(app, shortcut: str, region=None) -> str:
    with app.app_context(), db.session() as s:
        return s.get(CannedAnswer, answer_id(app, shortcut, region)).body


# ---- the seeded texts --------------------------------------------------------------------------


def test_the_national_answers_carry_the_numbers_that_always_answer(app):
    with app.app_context():
        national = {
            a.shortcut: a for a in canned.for_worker(workers.get(SANNE)) if not a.region_code
        }
    assert {"0800", "112", "melding", "stil", "afsluiten"} <= set(national)
    assert "0800 2000" in national["0800"].body and "gratis" in national["0800"].body
    assert "dag en nacht" in national["0800"].body
    assert "112" in national["112"].body
    assert "0800 2000" in national["melding"].body  # a melding is made by phone
    assert "Ben je er nog?" in national["stil"].body


def test_seeding_again_adds_nothing_and_keeps_an_edited_text(app):
    with app.app_context():
        with db.session() as s:
            before = s.exec(select(func.count()).select_from(CannedAnswer)).one()
            answer = s.get(CannedAnswer, answer_id(app, "afsluiten"))
            answer.body = "Onze eigen afsluiting."
            s.add(answer)
            s.commit()
        seed_demo(DEMO_ORIGIN)
        assert seed_canned_answers() == 0
        with db.session() as s:
            assert s.exec(select(func.count()).select_from(CannedAnswer)).one() == before
    assert body_of(app, "afsluiten") == "Onze eigen afsluiting."


def test_an_empty_database_gets_every_answer_once(make_app):
    app = make_app(seed=False)
    with app.app_context():
        db.upgrade()
        seed_demo(DEMO_ORIGIN)
        with db.session() as s:
            rows = s.exec(select(CannedAnswer.region_code, CannedAnswer.shortcut)).all()
    assert len(rows) == len(set(rows)) > 5
    assert ("DEMO", "wijkteam") in rows


# ---- finding them ------------------------------------------------------------------------------


def test_search_puts_the_short_name_first_whatever_the_case(app):
    with app.app_context():
        sanne = workers.get(SANNE)
        assert [a.shortcut for a in canned.search(sanne, "STIL")] == ["stil", "stil-einde"]
        # "melding" is one answer's short name and in another one's title: the name first.
        assert [a.shortcut for a in canned.search(sanne, "  Melding ")][:2] == ["melding", "advies"]
        assert [a.shortcut for a in canned.search(sanne, "gevaar")] == ["112"]
        assert canned.search(sanne, "bestaat niet") == []


def test_a_worker_gets_national_and_their_own_regions_answers_only(app):
    foreign = foreign_answer(app)
    with app.app_context():
        sanne = workers.get(SANNE)
        shortcuts = {a.shortcut for a in canned.for_worker(sanne)}
        assert {"0800", "wijkteam"} <= shortcuts  # national, and the demo region's own
        assert "groningen" not in shortcuts
        assert canned.search(sanne, "groningen") == []
        assert canned.get(sanne, foreign) is None
        assert canned.get(sanne, foreign, "DEMO") is None
        assert canned.get(sanne, answer_id(app, "wijkteam", "DEMO"), "DEMO") is not None
        # In a chat of another region of theirs, the demo region's own answers do not count.
        assert canned.get(sanne, answer_id(app, "wijkteam", "DEMO"), "VT01") is None


def test_the_chat_on_screen_lists_the_answers_and_a_search(app, worker):
    chat_id = taken(app)
    page = worker.get(f"/console/chats/{chat_id}").text
    assert "Standaardantwoorden" in text_of(page)
    assert MELDING_TITLE in results(page)
    assert BeautifulSoup(page, "html.parser").find("input", id="canned-query")["name"] == "q"


def test_search_with_htmx_answers_the_list_alone(app, worker):
    chat_id = taken(app)
    response = worker.get(f"/console/chats/{chat_id}/canned?q=stil", headers=HTMX)
    assert response.status_code == 200
    assert "<html" not in response.text
    assert results(response.text) == ["Ben je er nog?", "Geen reactie: de chat stopt"]
    nothing = worker.get(f"/console/chats/{chat_id}/canned?q=xyz", headers=HTMX)
    assert "Geen standaardantwoord gevonden voor “xyz”." in text_of(nothing.text)


def test_search_without_htmx_shows_the_workspace_with_what_was_found(app, worker):
    chat_id = taken(app)
    response = worker.get(f"/console/chats/{chat_id}/canned?q=melding")
    assert response.status_code == 200
    assert "Chat met Mila" in text_of(response.text)
    assert results(response.text)[0] == MELDING_TITLE
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.find("input", id="canned-query")["value"] == "melding"


# ---- putting one in the message box ------------------------------------------------------------


def test_each_answer_posts_the_message_box_with_what_is_typed(app, worker):
    """Without JavaScript the button sends the box's own form; with htmx it includes the box."""
    chat_id = taken(app)
    soup = BeautifulSoup(worker.get(f"/console/chats/{chat_id}").text, "html.parser")
    box_form = soup.find("textarea", id="console-body").find_parent("form")
    buttons = soup.select("#canned-results button")
    assert buttons
    for button in buttons:
        assert soup.find(id=button["form"]) is box_form
        assert button["formaction"] == button["hx-post"]
        assert button["formaction"].startswith(f"/console/chats/{chat_id}/canned/")
        assert button["hx-include"] == "#console-send-form"
        assert button["hx-sync"] == "#console-send-form:queue last"  # after a send on its way


def test_insert_adds_the_answer_after_the_typed_text(app, worker, hub):
    chat_id = taken(app)
    hub.clear()
    melding = answer_id(app, "melding")
    response = worker.post(
        f"/console/chats/{chat_id}/canned/{melding}",
        data={"body": "Hoi Mila,", "send_key": "abcdefgh12"},
        headers=HTMX,
    )
    assert response.status_code == 200
    box = BeautifulSoup(response.text, "html.parser").find("textarea")
    assert box["id"] == "console-body" and box["hx-swap-oob"] == "true"
    assert "hx-preserve" not in box.attrs  # it must replace the box on screen
    assert box.get_text() == "Hoi Mila,\n\n" + body_of(app, "melding")
    with app.app_context():
        assert chats.messages(chat_id) == []  # nothing is sent until the worker sends it
    assert hub.published == []


def test_insert_goes_to_the_spare_when_that_is_the_text_area_on_screen(app, worker):
    """What was typed while a send was on its way is in the spare, which then shows alone."""
    chat_id = taken(app)
    response = worker.post(
        f"/console/chats/{chat_id}/canned/{answer_id(app, '112')}",
        data={"body": ["", "Blijf rustig,"], "send_key": ["abcdefgh12", "ijklmnop34"]},
        headers=HTMX,
    )
    box = BeautifulSoup(response.text, "html.parser").find("textarea")
    assert box["id"] == "console-spare" and box["hx-swap-oob"] == "true"
    assert box.get_text() == "Blijf rustig,\n\n" + body_of(app, "112")
    # With an empty spare, the box it is.
    response = worker.post(
        f"/console/chats/{chat_id}/canned/{answer_id(app, '112')}",
        data={"body": ["Hoi,", ""], "send_key": ["abcdefgh12", "ijklmnop34"]},
        headers=HTMX,
    )
    box = BeautifulSoup(response.text, "html.parser").find("textarea")
    assert box["id"] == "console-body"
    assert box.get_text() == "Hoi,\n\n" + body_of(app, "112")


def test_insert_into_an_empty_box_gives_the_answer_alone(app, worker):
    chat_id = taken(app)
    response = worker.post(
        f"/console/chats/{chat_id}/canned/{answer_id(app, 'stil')}",
        data={"body": " \r\n"},
        headers=HTMX,
    )
    assert box_text(response.text) == body_of(app, "stil")


def test_insert_without_htmx_shows_the_workspace_with_the_text_in_the_box(app, worker):
    chat_id = taken(app)
    response = worker.post(
        f"/console/chats/{chat_id}/canned/{answer_id(app, '0800')}",
        data={"body": "Goed dat je dit vertelt.", "send_key": "abcdefgh12"},
    )
    assert response.status_code == 200
    assert "Chat met Mila" in text_of(response.text)
    assert box_text(response.text) == "Goed dat je dit vertelt.\n\n" + body_of(app, "0800")
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.find(id="console-send-key")["value"] == "abcdefgh12"  # still the same message


def test_the_edited_text_is_what_gets_sent(app, worker):
    chat_id = taken(app)
    inserted = box_text(
        worker.post(
            f"/console/chats/{chat_id}/canned/{answer_id(app, 'afsluiten')}",
            data={"body": ""},
            headers=HTMX,
        ).text
    )
    edited = inserted.replace("Zorg goed voor jezelf.", "Sterkte, Mila.")
    worker.post(f"/console/chats/{chat_id}/send", data={"body": edited}, headers=HTMX)
    with app.app_context():
        (message,) = chats.messages(chat_id)
    assert message.body == edited and "Sterkte, Mila." in message.body


def test_another_regions_answer_is_not_found_even_by_its_id(app, worker):
    chat_id = taken(app)
    foreign = foreign_answer(app)
    for headers in (HTMX, {}):
        response = worker.post(
            f"/console/chats/{chat_id}/canned/{foreign}", data={"body": "Hoi"}, headers=headers
        )
        assert response.status_code == 404
        assert "Tekst van VT01." not in response.text
    assert "Alleen in Groningen" not in worker.get(f"/console/chats/{chat_id}").text
    assert (
        worker.get(f"/console/chats/{chat_id}/canned?q=groningen", headers=HTMX).status_code == 200
    )
    assert results(worker.get(f"/console/chats/{chat_id}/canned?q=groningen").text) == []


def test_a_colleagues_chat_or_an_ended_one_cannot_be_searched_or_filled(app, worker):
    melding = answer_id(app, "melding")
    joris_chat = taken(app, JORIS, nickname="Bo")
    foreign_chat = None
    with app.app_context():
        foreign_chat = chats.create("VT01", "Kim").id
    ended = taken(app)
    with app.app_context():
        chats.end(ended, "visitor")
    for chat_id in (joris_chat, foreign_chat, ended, 999999):
        assert worker.get(f"/console/chats/{chat_id}/canned?q=x", headers=HTMX).status_code == 404
        insert = worker.post(f"/console/chats/{chat_id}/canned/{melding}", data={"body": "x"})
        assert insert.status_code == 404


def test_the_canned_routes_need_a_login(app):
    chat_id = taken(app)
    client = app.test_client()
    assert client.get(f"/console/chats/{chat_id}/canned?q=x").status_code == 303
    response = client.post(f"/console/chats/{chat_id}/canned/{answer_id(app, 'stil')}")
    assert response.status_code == 303


def test_a_new_database_starts_with_the_national_answers_and_no_demo_ones(make_app):
    app = make_app(seed=False)
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    with app.app_context(), db.session() as s:
        regions = set(s.exec(select(CannedAnswer.region_code)))
        shortcuts = set(s.exec(select(CannedAnswer.shortcut)))
    assert regions == {None}
    assert {"0800", "112", "melding", "stil", "afsluiten"} <= shortcuts
