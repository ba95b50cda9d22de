"""Seeding: the CBS regions and postcode table, the demo region, and the init-db command."""

import csv
from collections import defaultdict

from argon2 import PasswordHasher
from sqlmodel import func, select

from backend import db, regions
from backend.models import OpeningHours, Postcode, Region, Site, Worker
from backend.seed import DATA, DEMO_REGION, SECOND_DEMO_REGION, seed_demo, seed_regions
from tests.helpers import DEMO_ORIGIN


def csv_rows(name):
    with open(DATA / name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def count(model, *where):
    with db.session() as s:
        return s.exec(select(func.count()).select_from(model).where(*where)).one()


def test_every_region_of_the_cbs_list_is_loaded(app):
    expected = {row["vt_code"]: row["vt_naam_cbs"] for row in csv_rows("vt_regios_cbs2025.csv")}
    with app.app_context():
        loaded = {r.code: r.name for r in regions.all_regions()}
    assert loaded == expected


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
        assert count(Region) == n
        assert regions.by_postcode("3511").name == "Utrecht"


def test_init_db_command_on_a_seeded_database_changes_nothing(app, runner):
    with app.app_context():
        before = count(Region)
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "Database ready." in result.output
    with app.app_context():
        assert count(Region) == before
