"""Seeding: the real regions and postcodes from backend/data, and the demo sites and workers."""

import csv
from pathlib import Path

import click
from argon2 import PasswordHasher
from flask import current_app
from flask.cli import with_appcontext
from sqlmodel import select

from backend import db, hours
from backend.models import OpeningHours, Postcode, Region, Site, Worker

DATA = Path(__file__).resolve().parent / "data"
DEMO_REGION = "DEMO"
DEMO_PASSWORD = "demo"

# Demo host pages styled as a few regional sites; all route to the round-the-clock demo region.
DEMO_SITES = [
    ("demo-utrecht", "Veilig Thuis Utrecht (demo)", "#7a1f5c"),
    ("demo-amsterdam", "Veilig Thuis Amsterdam-Amstelland (demo)", "#1d4f91"),
    ("demo-limburg", "Veilig Thuis Limburg-Noord (demo)", "#00665e"),
]


def seed_regions() -> int:
    """Load the CBS regions and the postcode table; a region's default week is Mon-Fri 9-17."""
    with db.session() as s:
        if s.exec(select(Region).where(Region.is_demo == False)).first():  # noqa: E712
            return 0
        with open(DATA / "vt_regios_cbs2025.csv", newline="", encoding="utf-8") as f:
            regions = [Region(code=r["vt_code"], name=r["vt_naam_cbs"]) for r in csv.DictReader(f)]
        s.add_all(regions)
        s.flush()  # no ORM relationships: insert the regions before what refers to them
        for region in regions:
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


def seed_demo(demo_origin: str) -> list[tuple[str, str, str]]:
    """The demo region (open around the clock), demo sites and one demo worker per region.

    Returns the (username, password, region name) logins.
    """
    hasher = PasswordHasher()
    password_hash = hasher.hash(DEMO_PASSWORD)
    logins = []
    with db.session() as s:
        if s.get(Region, DEMO_REGION) is None:
            s.add(
                Region(
                    code=DEMO_REGION,
                    name="Demo-regio (altijd open)",
                    observes_holidays=False,
                    is_demo=True,
                )
            )
            s.flush()
            for weekday, opens, closes in hours.ROUND_THE_CLOCK:
                s.add(
                    OpeningHours(
                        region_code=DEMO_REGION,
                        weekday=weekday,
                        opens_minute=opens,
                        closes_minute=closes,
                    )
                )
            s.flush()
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
        s.flush()
        workers = [("demo", "Sanne", DEMO_REGION), ("demo2", "Joris", DEMO_REGION)]
        for region in s.exec(select(Region).where(Region.is_demo == False)):  # noqa: E712
            workers.append((region.code.lower(), f"Medewerker {region.name}", region.code))
        for username, display_name, region_code in workers:
            if not s.exec(select(Worker).where(Worker.username == username)).first():
                s.add(
                    Worker(
                        username=username,
                        display_name=display_name,
                        password_hash=password_hash,
                        region_code=region_code,
                    )
                )
            logins.append((username, DEMO_PASSWORD, region_code))
        s.commit()
    return logins


@click.command("init-db")
@with_appcontext
def init_db_command():
    """Bring the tables to the newest schema and load the regions and postcodes."""
    db.upgrade()
    count = seed_regions()
    click.echo(f"Database ready ({count} regions loaded)." if count else "Database ready.")


@click.command("seed-demo")
@with_appcontext
def seed_demo_command():
    """Add the demo region, demo sites and demo workers, and print how to use them."""
    db.upgrade()
    seed_regions()
    logins = seed_demo(current_app.config["DEMO_ORIGIN"])
    base, demo = current_app.config["CHAT_BASE_URL"], current_app.config["DEMO_ORIGIN"]
    click.echo("Demo host pages (a regional site with the chat pop-up):")
    for key, name, _ in DEMO_SITES:
        click.echo(f"  {demo}/demo/{key}   {name}")
    click.echo(f"Worker console: {base}/console/")
    click.echo(
        "Demo workers (password 'demo'): demo and demo2 (demo region);"
        " vt01, vt02, ... for each real region"
    )
    return logins


def init_app(app):
    app.cli.add_command(init_db_command)
    app.cli.add_command(seed_demo_command)
