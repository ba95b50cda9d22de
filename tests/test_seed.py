"""Seeding: the CBS regions and postcode table, the demo region, and the init-db command."""

import csv
from collections import defaultdict
from datetime import datetime

from argon2 import PasswordHasher
from sqlmodel import func, select

from backend import db, regions
from backend.models import OpeningHours, Postcode, Region, Site, Worker
from backend.seed import DATA, DEMO_REGION, SECOND_DEMO_REGION, seed_demo, seed_regions
from tests.helpers import DEMO_ORIGIN, WEDNESDAY_MORNING


def csv_rows(name):
    with open(DATA / name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def count(model, *where):
    with db.session() as s:
        return s.exec(select(func.count()).select_from(model).where(*where)).one()


def test_every_region_of_the_cbs_list_is_loaded(app):
    expected = {row["vt_code"]: row["vt_naam_cbs"] for row in csv_rows("vt_regios_cbs2025.csv")}
    with app.app_context():
        loaded = {r.code: r.name for r in regions.all_regions() if not r.national}
        national = [(r.code, r.name) for r in regions.all_regions() if r.national]
    assert loaded == expected
    assert national == [("NL", "Landelijk")]  # the queue that regions may overflow into


def test_real_regions_open_monday_to_friday_nine_to_five(app):
    with app.app_context():
        week = regions.week("VT20")
    assert sorted(week) == [(weekday, 9 * 60, 17 * 60) for weekday in range(5)]


def test_a_known_postcode_maps_to_its_region(app):
    utrecht = {r["pc4"]: r["vt_code"] for r in csv_rows("pc4_gemeente_vt_2024.csv")}["3511"]
    with app.app_context():
        region = regions.by_postcode("3511")
    assert region.code == utrecht
    assert region.name == "Utrecht"


def test_a_postcode_in_two_regions_goes_to_the_primary_one(app):
    by_pc4 = defaultdict(list)
    for row in csv_rows("pc4_gemeente_vt_2024.csv"):
        by_pc4[row["pc4"]].append(row)
    split = {pc4: rows for pc4, rows in by_pc4.items() if len({r["vt_code"] for r in rows}) > 1}
    assert split, "the data has postcodes spanning two regions"
    with app.app_context():
        for pc4, rows in split.items():
            primary = [r["vt_code"] for r in rows if r["primair"] == "1"]
            assert regions.by_postcode(pc4).code == primary[0], pc4


def test_every_postcode_of_the_table_is_loaded_once(app):
    distinct = {row["pc4"] for row in csv_rows("pc4_gemeente_vt_2024.csv")}
    with app.app_context():
        assert count(Postcode) == len(distinct)


def test_seeding_twice_adds_nothing(app):
    with app.app_context():
        before = [count(Region), count(OpeningHours), count(Postcode), count(Site), count(Worker)]
        assert seed_regions() == 0
        seed_demo(DEMO_ORIGIN)
        after = [count(Region), count(OpeningHours), count(Postcode), count(Site), count(Worker)]
    assert after == before


def test_demo_region_is_open_around_the_clock_and_ignores_holidays(app):
    with app.app_context():
        demo = regions.get(DEMO_REGION)
        week = regions.week(DEMO_REGION)
    assert demo.is_demo
    assert not demo.observes_holidays
    assert sorted(week) == [(weekday, 0, 24 * 60) for weekday in range(7)]


def test_demo_region_is_not_offered_to_visitors_of_real_sites(app):
    with app.app_context():
        assert DEMO_REGION not in {r.code for r in regions.all_regions()}
        assert DEMO_REGION in {r.code for r in regions.all_regions(include_demo=True)}


def test_demo_sites_frame_only_on_the_demo_origin(app):
    with app.app_context(), db.session() as s:
        sites = list(s.exec(select(Site)))
    assert sites
    assert {site.origin for site in sites} == {DEMO_ORIGIN}
    assert {site.region_code for site in sites} == {DEMO_REGION}


def test_demo_workers_are_only_in_the_demo_region_each_with_their_own_salt(app):
    with app.app_context(), db.session() as s:
        workers = list(s.exec(select(Worker)))
    assert {w.username: w.region_code for w in workers} == {
        "demo": DEMO_REGION,
        "demo2": DEMO_REGION,
        "demo3": SECOND_DEMO_REGION,  # where demo chats can be handed over to
    }
    with app.app_context():
        assert regions.get(SECOND_DEMO_REGION).is_demo
    for worker in workers:
        assert worker.password_hash.startswith("$argon2id$")
        assert PasswordHasher().verify(worker.password_hash, "demo")
    salts = {w.password_hash.split("$")[-2] for w in workers}
    assert len(salts) == len(workers)


def test_init_db_command_creates_and_loads_a_fresh_database(make_app):
    fresh = make_app(seed=False)
    result = fresh.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    n = len(csv_rows("vt_regios_cbs2025.csv"))
    assert f"{n} regions loaded" in result.output
    with fresh.app_context():
        assert count(Region) == n + 1  # and the national queue
        assert regions.by_postcode("3511").name == "Utrecht"


def test_init_db_command_on_a_seeded_database_changes_nothing(app, runner):
    with app.app_context():
        before = count(Region)
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "Database ready." in result.output
    with app.app_context():
        assert count(Region) == before


def history(app, weeks: int = 13) -> list:
    """Add the demo's past chats (as `make run` does); every chat and registration there is."""
    from backend import demo_history
    from backend.models import Chat, Registration

    with app.app_context():
        demo_history.add(weeks)
        with db.session() as s:
            return list(s.exec(select(Chat, Registration).outerjoin(Registration)))


def test_the_tests_seed_has_no_past_chats(app):
    from backend.models import Chat

    with app.app_context():
        assert count(Chat) == 0


def test_the_demo_history_is_months_of_ended_chats_without_a_transcript(app):
    from backend.models import ChatStatus, Message

    rows = history(app)
    assert 500 < len(rows) < 1000  # about 55 a week for 13 weeks
    assert {chat.region_code for chat, _ in rows} == {DEMO_REGION, SECOND_DEMO_REGION}
    assert {chat.status for chat, _ in rows} == {ChatStatus.ENDED, ChatStatus.ABANDONED}
    assert all(chat.nickname == "" for chat, _ in rows)
    with app.app_context():
        assert count(Message) == 0
    # Every chat a worker took has its registration: nothing waits to be registered.
    assert all(reg is not None for chat, reg in rows if chat.status == ChatStatus.ENDED)
    # From 13 weeks before the tests' Wednesday up to its moment (10:00 in Amsterdam).
    starts = sorted(chat.created_at for chat, _ in rows)
    assert starts[0].date() >= datetime(2026, 8, 18).date()
    assert all(done(chat, reg) <= WEDNESDAY_MORNING for chat, reg in rows)


def done(chat, registration) -> datetime:
    """When a past chat was over: registered, or ended without a registration."""
    return registration.created_at if registration else chat.ended_at


def test_the_demo_history_runs_up_to_now_so_today_is_not_empty(app, clock):
    clock.at = WEDNESDAY_MORNING.replace(hour=16)  # 17:00 in Amsterdam
    rows = history(app, weeks=1)
    today = [chat for chat, _ in rows if chat.created_at.date() == clock.at.date()]
    assert len(today) >= 3  # a demo region has 6 or 7 on a Wednesday, the other 3
    assert all(done(chat, reg) <= clock.at for chat, reg in rows)


def test_the_demo_history_looks_like_the_real_service(app):
    from zoneinfo import ZoneInfo

    from backend.models import ContactKind, Under18

    rows = history(app)
    local = [chat.created_at.astimezone(ZoneInfo("Europe/Amsterdam")) for chat, _ in rows]
    weekdays = sum(moment.weekday() < 5 for moment in local) / 5
    weekends = sum(moment.weekday() >= 5 for moment in local) / 2
    assert weekdays > 1.8 * weekends
    by_hour = [sum(moment.hour == hour for moment in local) for hour in range(24)]
    assert by_hour[12] > 5 * max(by_hour[2:6])  # lunchtime against the night
    serious = [reg for _, reg in rows if reg and reg.kind == ContactKind.SERIOUS]
    under_18 = sum(reg.under_18 == Under18.YES for reg in serious) / len(serious)
    assert 0.06 < under_18 < 0.14  # about one in ten
    minutes = sorted(
        (chat.ended_at - chat.accepted_at).total_seconds() / 60
        for chat, _ in rows
        if chat.accepted_at
    )
    assert 12 < minutes[len(minutes) // 2] < 20  # mostly 15 to 20 minutes
    assert len({reg.topic for reg in serious}) == 5 and len({reg.asked_by for reg in serious}) == 5


def test_seed_demo_adds_the_history_only_when_asked_and_only_once(app, runner):
    from backend.models import Chat

    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert count(Chat) == 0
    result = runner.invoke(args=["seed-demo", "--history", "2"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        added = count(Chat)
    assert added > 50 and f"Past demo chats added for the statistics: {added}." in result.output
    again = runner.invoke(args=["seed-demo", "--history", "2"])
    assert again.exit_code == 0, again.output
    with app.app_context():
        assert count(Chat) == added


def test_the_demo_history_is_the_same_every_time(make_app):
    from backend.models import Registration

    def pattern():
        fresh = make_app()
        with fresh.app_context():
            from backend import demo_history

            demo_history.add(2)
            with db.session() as s:
                return [
                    (r.region_code, r.kind, r.topic, r.under_18)
                    for r in s.exec(select(Registration).order_by(Registration.id))
                ]

    assert pattern() == pattern()


def test_the_statistics_of_the_demo_show_the_history(app):
    history(app)
    with app.app_context():
        from backend import statistics

        figures = statistics.compute(
            [DEMO_REGION], datetime(2026, 8, 1).date(), datetime(2026, 11, 18).date()
        )
    assert figures.started > 300
    assert all(n > 0 for _, n in figures.weeks[3:-1])


def test_seed_demo_adds_a_demo_coordinator_only_when_asked_and_only_once(app, runner):
    from backend import staffing

    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        assert count(Worker, Worker.username == "demo4") == 0
    for _ in range(2):
        result = runner.invoke(args=["seed-demo", "--coordinator"])
        assert result.exit_code == 0, result.output
    assert "demo4" in result.output
    with app.app_context(), db.session() as s:
        assert count(Worker, Worker.username == "demo4") == 1
        fatima = s.exec(select(Worker).where(Worker.username == "demo4")).one()
        assert fatima.role == "coordinator"
        assert staffing.regions_of(fatima) == [DEMO_REGION, SECOND_DEMO_REGION]  # demo only
    client = app.test_client()
    assert (
        client.post("/console/login", data={"username": "demo4", "password": "demo"}).status_code
        == 303
    )
    assert client.get("/console/overview").status_code == 200
