"""A worker's availability: set in the console, away once the console has been closed a while."""

from datetime import timedelta

import pytest

from backend import presence, staffing, sweeper, workers
from backend.hub import worker_topic
from backend.models import Availability, PresenceKind
from tests.helpers import log_in, text_of


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


def sanne():
    return workers.by_username("demo")


def test_logging_in_starts_a_shift_as_available(app):
    with app.app_context():
        staffing.set_availability(sanne().id, Availability.AWAY)
    client = app.test_client()
    log_in(client)
    with app.app_context():
        assert sanne().availability == Availability.AVAILABLE
    page = text_of(client.get("/console/").text)
    assert "Je bent Beschikbaar" in page


def test_the_worker_sets_busy_and_the_console_says_what_that_means(app):
    client = app.test_client()
    log_in(client)
    client.post("/console/availability", data={"availability": "busy"})
    with app.app_context():
        assert sanne().availability == Availability.BUSY
    page = text_of(client.get("/console/").text)
    assert "Je staat niet op beschikbaar" in page


def test_an_unknown_availability_changes_nothing(app):
    client = app.test_client()
    log_in(client)
    client.post("/console/availability", data={"availability": "asleep"})
    with app.app_context():
        assert sanne().availability == Availability.AVAILABLE


def test_open_consoles_hear_of_the_change(ctx, hub):
    staffing.set_availability(sanne().id, Availability.BUSY)
    assert {"type": "settings"} in hub.events(worker_topic(sanne().id))


def test_a_console_closed_for_a_while_makes_the_worker_away(ctx, clock):
    worker_id = sanne().id
    staffing.set_availability(worker_id, Availability.AVAILABLE)
    presence.arrived(PresenceKind.WORKER, worker_id)
    sweeper.sweep()
    assert sanne().availability == Availability.AVAILABLE  # the console is open
    presence.left(PresenceKind.WORKER, worker_id)
    sweeper.sweep()
    assert sanne().availability == Availability.AVAILABLE  # a reload is not leaving
    clock.at += timedelta(seconds=ctx.config["AWAY_AFTER_SECONDS"] + 1)
    assert sweeper.sweep()["workers away"] == 1
    assert sanne().availability == Availability.AWAY


def test_a_worker_who_just_logged_in_is_not_away_before_the_console_opens(app, clock):
    client = app.test_client()
    log_in(client)  # the page and its socket are still on their way
    with app.app_context():
        for _ in range(3):
            sweeper.sweep()
            clock.at += timedelta(seconds=app.config["SWEEP_INTERVAL_SECONDS"])
        assert sanne().availability == Availability.AVAILABLE


def test_only_available_workers_with_the_console_open_staff_a_region(ctx):
    demo, colleague = sanne(), workers.by_username("demo2")
    staffing.set_availability(colleague.id, Availability.AWAY)
    staffing.set_availability(demo.id, Availability.AVAILABLE)
    assert staffing.available_count("DEMO") == 0  # available, but no console open
    presence.arrived(PresenceKind.WORKER, demo.id)
    assert staffing.available_count("DEMO") == 1
    staffing.set_availability(demo.id, Availability.BUSY)
    assert staffing.available_count("DEMO") == 0
    presence.left(PresenceKind.WORKER, demo.id)


def test_the_sound_is_switched_per_worker(app):
    client = app.test_client()
    log_in(client)
    assert "Geluid: aan" in text_of(client.get("/console/").text)
    client.post("/console/sound")
    assert "Geluid: uit" in text_of(client.get("/console/").text)
    with app.app_context():
        assert sanne().sound is False
        assert workers.by_username("demo2").sound is True
