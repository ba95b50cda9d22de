"""Seeding: the real regions and postcodes from backend/data, and the demo sites and workers.

Demo workers exist only in the demo region: real regions get accounts with
`flask worker add`, and the app refuses to run while the demo password opens one of them.
"""

import csv
import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlmodel import select

from backend import canned, db, hours, passwords
from backend.models import OpeningHours, Postcode, Region, Site, Worker, WorkerRole

DATA = Path(__file__).resolve().parent / "data"
DEMO_REGION = "DEMO"
DEMO_PASSWORD = "demo"  # public: written in the README
SECOND_DEMO_REGION = "DEMO2"  # where a demo chat can be handed over to
DEMO_REGIONS = [
    (DEMO_REGION, "Demo-regio (altijd open)", [("demo", "Sanne"), ("demo2", "Joris")]),
    (SECOND_DEMO_REGION, "Demo-regio Noord (altijd open)", [("demo3", "Ilse")]),
]

# Only with `seed-demo --coordinator` (make run): the tests' demo has workers alone.
DEMO_COORDINATOR = ("demo4", "Fatima")

# Demo host pages styled as a few regional sites; all route to the round-the-clock demo region.
DEMO_SITES = [
    ("demo-utrecht", "Veilig Thuis Utrecht (demo)", "#7a1f5c"),
    ("demo-amsterdam", "Veilig Thuis Amsterdam-Amstelland (demo)", "#1d4f91"),
    ("demo-limburg", "Veilig Thuis Limburg-Noord (demo)", "#00665e"),
]


# The national queue: no postcodes of its own; its workers are those given the region.
NATIONAL = ("NL", "Landelijk")


def seed_regions() -> int:
    """Load the CBS regions and the postcode table, and the national queue that regions may
    overflow into; a region's default week is Mon-Fri 9-17."""
    with db.session() as s:
        if s.exec(select(Region).where(Region.is_demo == False)).first():  # noqa: E712
            return _add_national(s)
        with open(DATA / "vt_regios_cbs2025.csv", newline="", encoding="utf-8") as f:
            regions = [Region(code=r["vt_code"], name=r["vt_naam_cbs"]) for r in csv.DictReader(f)]
        national = Region(code=NATIONAL[0], name=NATIONAL[1], national=True)
        s.add_all([*regions, national])
        s.flush()  # no ORM relationships: insert the regions before what refers to them
        for region in [*regions, national]:
            for weekday, opens, closes in hours.DEFAULT_WEEK:
                s.add(
                    OpeningHours(
                        region_code=region.code,
                        weekday=weekday,
                        opens_minute=opens,
                        closes_minute=closes,
                    )
                )
        with open(DATA / "pc4_gemeente_vt_2024.csv", newline="", encoding="utf-8") as f:
            # A postcode that straddles municipalities counts once: the row marked primair=1.
            s.add_all(
                Postcode(pc4=r["pc4"], region_code=r["vt_code"])
                for r in csv.DictReader(f)
                if r["primair"] == "1"
            )
        s.commit()
        return len(regions)


def _add_national(s) -> int:
    """A database seeded before the national queue existed gets it, with the default week."""
    if s.get(Region, NATIONAL[0]) is not None:
        return 0
    s.add(Region(code=NATIONAL[0], name=NATIONAL[1], national=True))
    s.flush()
    s.add_all(
        OpeningHours(region_code=NATIONAL[0], weekday=day, opens_minute=o, closes_minute=c)
        for day, o, c in hours.DEFAULT_WEEK
    )
    s.commit()
    return 1


def seed_demo(demo_origin: str) -> list[tuple[str, str, str]]:
    """The demo regions (open around the clock), the demo sites and the demo workers.

    Returns the (username, password, region code) logins.
    """
    logins = []
    for code, name, workers in DEMO_REGIONS:
        logins += _demo_region(code, name, workers)
    with db.session() as s:
        for key, name, accent in DEMO_SITES:
            site = s.get(Site, key) or Site(
                key=key,
                name=name,
                region_code=DEMO_REGION,
                origin=demo_origin,
                accent=accent,
                is_demo=True,
            )
            site.origin = demo_origin  # the demo may be served on another port this time
            s.add(site)
        s.commit()
    seed_canned_answers(demo=True)
    return logins


def seed_demo_coordinator() -> tuple[str, str, str]:
    """A coordinator of both demo regions with the demo password (once): the overview, hours
    and statistics of `make run` to look at. Never of a real region."""
    from backend import staffing

    username, display_name = DEMO_COORDINATOR
    with db.session() as s:
        found = s.exec(select(Worker).where(Worker.username == username)).first()
        if found is None:
            found = Worker(
                username=username,
                display_name=display_name,
                password_hash=passwords.hash_password(DEMO_PASSWORD),
                region_code=DEMO_REGION,
                role=WorkerRole.COORDINATOR,
            )
            s.add(found)
            s.commit()
        worker_id = found.id
    staffing.add_region(worker_id, SECOND_DEMO_REGION)
    return username, DEMO_PASSWORD, DEMO_REGION


def _demo_region(code: str, name: str, workers) -> list[tuple[str, str, str]]:
    """One round-the-clock demo region (`is_demo`: the demo password is allowed there) and its
    workers, each with a password hash of their own salt; their logins."""
    with db.session() as s:
        if s.get(Region, code) is None:
            s.add(Region(code=code, name=name, observes_holidays=False, is_demo=True))
            s.flush()
            s.add_all(
                OpeningHours(
                    region_code=code, weekday=day, opens_minute=opens, closes_minute=closes
                )
                for day, opens, closes in hours.ROUND_THE_CLOCK
            )
        for username, display_name in workers:
            if not s.exec(select(Worker).where(Worker.username == username)).first():
                s.add(
                    Worker(
                        username=username,
                        display_name=display_name,
                        password_hash=passwords.hash_password(DEMO_PASSWORD),
                        region_code=code,
                    )
                )
        s.commit()
    return [(username, DEMO_PASSWORD, code) for username, _ in workers]


def seed_canned_answers(demo: bool = False) -> int:
    """The national canned answers, and with `demo` the demo region's own; how many were added.

    The texts are data (backend/data/canned_answers.json). An answer whose region (or the
    nation) already has its shortcut stays as it is: a coordinator may have changed it.
    """
    with (DATA / "canned_answers.json").open(encoding="utf-8") as f:
        answers = json.load(f)
    return sum(
        canned.add(a["region"], a["shortcut"], a["title"], a["body"])
        for a in answers
        if a["region"] is None or demo
    )


def retire_old_demo_workers() -> list[str]:
    """Disable the accounts that earlier versions gave every real region with the demo password.

    They were named after the region's code (vt01 ... vt25); one whose password was changed
    since is a real account and stays.
    """
    from backend import workers  # workers reads DEMO_PASSWORD from here

    with db.session() as s:
        codes = s.exec(select(Region.code).where(Region.is_demo == False)).all()  # noqa: E712
        old = s.exec(
            select(Worker).where(
                Worker.username.in_([code.lower() for code in codes]),
                Worker.disabled == False,  # noqa: E712
            )
        ).all()
    retired = [w.username for w in old if passwords.verify(w.password_hash, DEMO_PASSWORD)]
    for username in retired:
        workers.set_disabled(username, True)
    return retired


@click.command("init-db")
@with_appcontext
def init_db_command():
    """Create the database if there is none (the app never does), bring it to the newest
    schema, and load the regions, postcodes and national canned answers."""
    db.upgrade()
    count = seed_regions()
    seed_canned_answers()  # the national texts every region starts with
    click.echo(f"Database ready ({count} regions loaded)." if count else "Database ready.")


@click.command("seed-demo")
@click.option(
    "--history",
    "weeks",
    type=click.IntRange(0, 104),
    default=0,
    help="Also add this many weeks of past chats in the demo regions, for the statistics.",
)
@click.option(
    "--coordinator",
    is_flag=True,
    help=f"Also a demo coordinator of both demo regions ({DEMO_COORDINATOR[0]}), for the overview.",
)
@with_appcontext
def seed_demo_command(weeks, coordinator):
    """Add the demo region, demo sites and demo workers, and print how to use them."""
    from backend import demo_history  # it reads the demo regions from here

    db.upgrade()
    seed_regions()
    logins = seed_demo(current_app.config["DEMO_ORIGIN"])
    retired = retire_old_demo_workers()
    if coordinator:
        logins.append(seed_demo_coordinator())
    if weeks:
        added = demo_history.add(weeks)
        click.echo(f"Past demo chats added for the statistics: {added}.")
    base, demo = current_app.config["CHAT_BASE_URL"], current_app.config["DEMO_ORIGIN"]
    click.echo("Demo host pages (a regional site with the chat pop-up):")
    for key, name, _ in DEMO_SITES:
        click.echo(f"  {demo}/demo/{key}   {name}")
    click.echo(f"Worker console: {base}/console/")
    usernames = ", ".join(username for username, _, _ in logins)
    click.echo(f"Demo workers (demo regions only), password '{DEMO_PASSWORD}': {usernames}")
    if retired:
        click.echo(f"Disabled old demo accounts of real regions: {', '.join(retired)}")
    click.echo("Real accounts: flask --app backend worker add USERNAME --name NAME --region CODE")
    return logins


def init_app(app):
    app.cli.add_command(init_db_command)
    app.cli.add_command(seed_demo_command)
