"""Administrators rename regions, give their phone details and merge two: the pop-up shows it at
once, and a merge takes every postcode, worker, chat and the rest of the region along."""

from datetime import timedelta

import pytest
from sqlmodel import SQLModel, select

from backend import chats, db, region_admin, regions, seed, staffing
from backend.hub import chat_topic, region_topic, worker_topic
from backend.models import (
    AuditEntry,
    CannedAnswer,
    Chat,
    ChatStatus,
    DateHours,
    HolidayOpen,
    OpeningHours,
    Postcode,
    Region,
    Registration,
    Site,
    Worker,
    WorkerRegion,
    WorkerRole,
)
from tests.helpers import DEMO_SITE, add_workers, logged_in_as, start_chat, text_of

DRENTHE, GRONINGEN = "VT02", "VT08"  # two real regions of the seed, open on a Wednesday morning
NATIONAL = seed.NATIONAL[0]  # the national queue, which regions overflow into
NATIONAL_REFUSED = "De landelijke wachtrij kan niet worden samengevoegd"


@pytest.fixture
def admin(app):
    return logged_in_as(app, WorkerRole.ADMIN, "demo2")


def _region(app, code) -> Region:
    with app.app_context():
        return regions.get(code)


def _popup(app, path=f"/w/{DEMO_SITE}") -> str:
    return text_of(app.test_client().get(path).text)


# ---- who may ---------------------------------------------------------------------------------


def test_only_an_administrator_sees_or_changes_regions(app, worker):
    coordinator = logged_in_as(app, WorkerRole.COORDINATOR, "demo3")
    for someone in (worker, coordinator):
        assert someone.get("/console/regions").status_code == 403
        assert someone.get("/console/regions/DEMO").status_code == 403
        assert someone.post("/console/regions/DEMO", data={"name": "X"}).status_code == 403
        answer = someone.get("/console/regions/DEMO2/merge?into=DEMO")
        assert answer.status_code == 403
        assert (
            someone.post("/console/regions/DEMO2/merge", data={"into": "DEMO"}).status_code == 403
        )
        assert "Regio's" not in text_of(someone.get("/console/").text)
    assert _region(app, "DEMO").name == "Demo-regio (altijd open)"
    assert _region(app, "DEMO2") is not None


def test_the_administrator_finds_the_regions_in_the_header_and_the_list(admin):
    assert 'href="/console/regions"' in admin.get("/console/").text
    page = text_of(admin.get("/console/regions").text)
    assert "Demo-regio (altijd open)" in page
    assert "Groningen" in page and "Drenthe" in page
    assert admin.get("/console/regions/NOPE").status_code == 404


# ---- rename and phone ------------------------------------------------------------------------


def test_a_new_name_and_phone_show_in_the_popup_at_once(app, admin):
    before = _popup(app)  # the closed-or-open page, kept per process until a region changes
    assert "Of bel Veilig Thuis" not in before
    answer = admin.post(
        "/console/regions/DEMO",
        data={"name": "Veilig Thuis Proefregio", "phone": "030 - 123 45 67", "phone_note": "ma-vr"},
    )
    assert answer.status_code == 303
    assert "Veilig Thuis Proefregio is opgeslagen." in text_of(admin.get(answer.location).text)
    form = _popup(app, f"/w/{DEMO_SITE}/start")
    assert "Veilig Thuis Proefregio" in form  # the region list of the start form
    with app.app_context():
        region = regions.get("DEMO")
    assert (region.name, region.phone, region.phone_note, region.tel) == (
        "Veilig Thuis Proefregio",
        "030 - 123 45 67",
        "ma-vr",
        "0301234567",
    )


def test_the_closed_and_professional_pages_give_the_regions_number_beside_0800_2000(app, admin):
    admin.post(
        f"/console/regions/{DRENTHE}",
        data={"name": "Drenthe", "phone": "0592 123 456", "phone_note": "werkdagen 9-17 uur"},
    )
    with app.app_context(), db.session() as s:
        site = s.get(Site, DEMO_SITE)
        site.region_code = DRENTHE
        s.add(site)
        s.commit()
    with app.app_context():
        regions.set_date(DRENTHE, regions_today(app), [], "studiedag")
    closed = app.test_client().get(f"/w/{DEMO_SITE}").text
    assert "0800 2000" in text_of(closed)
    assert "Of bel Veilig Thuis Drenthe: 0592 123 456 (werkdagen 9-17 uur)." in text_of(closed)
    assert 'href="tel:0592123456" target="_top"' in closed
    with app.app_context():
        regions.clear_date(DRENTHE, regions_today(app))
    visitor = app.test_client()
    answer = start_chat(visitor, region=DRENTHE, role="professional")
    page = text_of(answer.text)
    assert "0800 2000" in page
    assert "Of bel Veilig Thuis Drenthe: 0592 123 456" in page


def regions_today(app):
    from backend.console.hours import _today

    with app.test_request_context():
        return _today()


@pytest.mark.parametrize(
    ("phone", "words"),
    [
        (phone, "Schrijf een Nederlands telefoonnummer in cijfers, spaties en streepjes")
        for phone in ["12345678", "030 123 45 67 89 00", "+31 30 1234567", "030-12x4567", "0800 20"]
    ]
    + [("0-3-0-1-2-3-4-5-6-7-8", "Hoogstens 20 tekens.")],
)
def test_a_phone_number_that_is_not_dutch_is_refused_in_dutch(app, admin, phone, words):
    answer = admin.post("/console/regions/DEMO", data={"name": "Demo", "phone": phone})
    assert answer.status_code == 400
    assert words in text_of(answer.text)
    assert 'aria-invalid="true"' in answer.text
    assert _region(app, "DEMO").phone == ""


@pytest.mark.parametrize("phone", ["0800 2000", "030-1234567", "06 12 34 56 78", "0800 123 4567"])
def test_dutch_numbers_are_taken(app, admin, phone):
    assert (
        admin.post("/console/regions/DEMO", data={"name": "Demo", "phone": phone}).status_code
        == 303
    )
    assert _region(app, "DEMO").phone == phone


@pytest.mark.parametrize(
    ("name", "words"),
    [("", "Geef de regio een naam."), ("x" * 81, "Hoogstens 80 tekens."), ("a\u202eb", "teken")],
)
def test_a_name_is_required_and_bounded(app, admin, name, words):
    answer = admin.post("/console/regions/DEMO", data={"name": name})
    assert answer.status_code == 400
    assert words in text_of(answer.text)
    assert _region(app, "DEMO").name == "Demo-regio (altijd open)"


def test_a_post_without_the_form_token_changes_nothing(app, admin):
    for path, data in [
        ("/console/regions/DEMO", {"name": "Anders"}),
        ("/console/regions/DEMO2/merge", {"into": "DEMO"}),
    ]:
        answer = admin.post(path, data={**data, "csrf_token": ""}, follow_redirects=True)
        assert "Dit formulier was verlopen" in text_of(answer.text)
    assert _region(app, "DEMO").name == "Demo-regio (altijd open)"
    assert _region(app, "DEMO2") is not None


# ---- merging ---------------------------------------------------------------------------------


def test_every_column_naming_a_region_is_handled_by_a_merge():
    """A new column naming a region must be moved, merged or dropped on purpose."""
    naming = {
        (table.name, fk.parent.name)
        for table in SQLModel.metadata.tables.values()
        for fk in table.foreign_keys
        if fk.target_fullname == "region.code"
    }
    handled = {
        (model.__tablename__, "region_code")
        for model in (*region_admin.MOVED, *region_admin.DROPPED, *region_admin.MERGED)
    } | {(model.__tablename__, column) for model, column in region_admin.OTHER_COLUMNS}
    assert naming == handled


def test_the_confirmation_says_what_moves_and_that_the_hours_go(app, admin):
    page = admin.get(f"/console/regions/{DRENTHE}/merge?into={GRONINGEN}")
    assert page.status_code == 200
    words = text_of(page.text)
    assert "Drenthe samenvoegen met Groningen" in words
    assert "De openingstijden, datums en feestdagen van Drenthe vervallen" in words
    assert 'name="csrf_token"' in page.text
    assert _region(app, DRENTHE) is not None  # asking is not doing


def test_a_merge_moves_everything_and_a_waiting_chat_keeps_its_place_in_time(
    app, admin, clock, hub
):
    with app.app_context():
        # Of Groningen also for Drenthe; of Drenthe; of Drenthe also for Groningen; and of
        # Amsterdam for both.
        ids = add_workers(app, 4, region=DRENTHE)
        with db.session() as s:
            s.get(Worker, ids[0]).region_code = GRONINGEN
            s.get(Worker, ids[3]).region_code = "VT01"
            s.add(WorkerRegion(worker_id=ids[2], region_code=GRONINGEN))
            s.add(WorkerRegion(worker_id=ids[0], region_code=DRENTHE))
            s.add(WorkerRegion(worker_id=ids[3], region_code=DRENTHE))
            s.add(WorkerRegion(worker_id=ids[3], region_code=GRONINGEN))
            s.add(Site(key="drenthe", name="Drenthe", region_code=DRENTHE, origin="https://d.nl"))
            s.add(CannedAnswer(region_code=DRENTHE, shortcut="eigen", title="E", body="e"))
            s.commit()
        first = chats.create(GRONINGEN, "Eerste")
        clock.at += timedelta(minutes=1)
        early = chats.create(DRENTHE, "Vroeg")
        clock.at += timedelta(minutes=1)
        later = chats.create(GRONINGEN, "Later")
        ended = chats.create(DRENTHE, "Oud")
        with db.session() as s:
            chat = s.get(Chat, ended.id)
            chat.status = ChatStatus.ENDED
            s.add(
                Registration(chat_id=ended.id, region_code=DRENTHE, nickname="Oud", kind="serious")
            )
            s.add(AuditEntry(worker_id=1, action="join", chat_id=ended.id, region_code=DRENTHE))
            s.commit()
        regions.keep_holiday_open(DRENTHE, "Tweede Kerstdag")
        regions.set_date(DRENTHE, regions_today(app), [], "dicht")
        drenthe_postcodes = regions.by_postcode("9401")  # Assen
        assert drenthe_postcodes.code == DRENTHE
        groningen_week = regions.week(GRONINGEN)
    hub.clear()

    answer = admin.post(f"/console/regions/{DRENTHE}/merge", data={"into": GRONINGEN})
    assert answer.status_code == 303
    assert answer.location.endswith(f"/console/regions/{GRONINGEN}")
    assert "Drenthe is samengevoegd met Groningen." in text_of(admin.get(answer.location).text)

    with app.app_context(), db.session() as s:
        assert s.get(Region, DRENTHE) is None
        assert regions.by_postcode("9401").code == GRONINGEN
        for model in (Postcode, Site, Worker, Chat, Registration, AuditEntry, CannedAnswer):
            assert s.exec(select(model).where(model.region_code == DRENTHE)).first() is None
        for model in (OpeningHours, DateHours, HolidayOpen, WorkerRegion):
            assert s.exec(select(model).where(model.region_code == DRENTHE)).first() is None
        assert chats.get(early.id).created_at == early.created_at  # its first moment, kept
        # Places in time: Eerste, then Vroeg (started before Later), then Later.
        assert chats.places(GRONINGEN) == {first.id: 1, early.id: 2, later.id: 3}
        # A worker of both works for Groningen once: as their own region, or in one row.
        rows = s.exec(select(WorkerRegion).where(WorkerRegion.worker_id.in_(ids))).all()
        assert [(r.worker_id, r.region_code) for r in rows] == [(ids[3], GRONINGEN)]
        assert [s.get(Worker, i).region_code for i in ids] == [GRONINGEN] * 3 + ["VT01"]
        assert staffing.regions_of(s.get(Worker, ids[3])) == ["VT01", GRONINGEN]
        assert (
            s.exec(select(CannedAnswer).where(CannedAnswer.shortcut == "eigen")).one().region_code
            == GRONINGEN
        )
        # Groningen's hours stay; Drenthe's closed day went with it.
        assert regions.week(GRONINGEN) == groningen_week
        assert regions.other_days(GRONINGEN, regions_today(app), regions_today(app)) == {}
    # Open pop-ups redraw (and follow the new queue), consoles follow Groningen's queue.
    assert {"type": "state", "chat": early.id} in hub.events(chat_topic(early.id))
    assert hub.events(chat_topic(ended.id)) == []
    assert {"type": "queue", "region": GRONINGEN} in hub.events(region_topic(GRONINGEN))
    assert {"type": "regions"} in hub.events(worker_topic(ids[1]))


def test_the_merged_region_is_gone_from_the_popup_and_its_chats_show_under_the_other(app, admin):
    admin.post("/console/regions/DEMO2/merge", data={"into": "DEMO"})
    form = _popup(app, f"/w/{DEMO_SITE}/start")
    assert "Demo-regio Noord" not in form
    # Ilse (of the merged region) now sees the queue of the region that stays.
    ilse = logged_in_as(app, WorkerRole.WORKER, "demo3")
    start_chat(app.test_client(), nickname="Fenna")
    assert "Fenna" in text_of(ilse.get("/console/").text)


@pytest.mark.parametrize(
    ("gone", "into", "words"),
    [
        ("DEMO", "DEMO", "Een regio kan niet met zichzelf worden samengevoegd."),
        ("DEMO", DRENTHE, "Een demoregio en een echte regio kunnen niet worden samengevoegd."),
        (DRENTHE, "DEMO", "Een demoregio en een echte regio kunnen niet worden samengevoegd."),
        (DRENTHE, "VT99", "Die regio bestaat niet (meer)."),
        (NATIONAL, DRENTHE, NATIONAL_REFUSED),
        (DRENTHE, NATIONAL, NATIONAL_REFUSED),
    ],
)
def test_refused_merges_change_nothing_and_say_why(app, admin, gone, into, words):
    for answer in (
        admin.get(f"/console/regions/{gone}/merge?into={into}"),
        admin.post(f"/console/regions/{gone}/merge", data={"into": into}),
    ):
        assert answer.status_code == 400
        assert words in text_of(answer.text)
    assert _region(app, gone) is not None
    with app.app_context(), pytest.raises(region_admin.Refused):
        region_admin.merge(gone, into)


def test_the_merge_choice_offers_only_regions_of_the_same_kind(admin):
    page = admin.get("/console/regions/DEMO").text
    assert '<option value="DEMO2">' in page
    assert f'<option value="{DRENTHE}">' not in page
    assert '<option value="DEMO">' not in page
    real = admin.get(f"/console/regions/{DRENTHE}").text
    assert f'<option value="{GRONINGEN}">' in real
    assert f'<option value="{NATIONAL}">' not in real
    national = admin.get(f"/console/regions/{NATIONAL}").text
    assert "<option" not in national.split('id="region-merge"')[1]


class Following:
    """What a WorkspaceStream asks of its socket's connection: the topics it follows."""

    def __init__(self, topics):
        self.topics = list(topics)

    def follow(self, topic):
        if topic not in self.topics:
            self.topics.append(topic)

    def unfollow(self, topic):
        self.topics.remove(topic)


def test_an_open_console_of_the_merged_region_follows_the_queue_that_stays(app, admin, hub):
    from backend.console.streams import WorkspaceStream
    from backend.workers import existing

    with app.test_request_context():
        ilse = existing("demo3")  # of DEMO2
        stream = WorkspaceStream(ilse, None)
        stream.connection = Following(stream.topics())
        assert region_topic("DEMO2") in stream.connection.topics
    admin.post("/console/regions/DEMO2/merge", data={"into": "DEMO"})
    assert {"type": "regions"} in hub.events(worker_topic(ilse.id))
    start_chat(app.test_client(), nickname="Fenna")
    with app.test_request_context():
        html = stream.render({"type": "regions"})
    assert region_topic("DEMO") in stream.connection.topics
    assert region_topic("DEMO2") not in stream.connection.topics
    assert worker_topic(ilse.id) in stream.connection.topics
    assert "Fenna" in text_of(html)
