"""Where a worker works and how much, set by the operator: `flask worker regions | role | capacity`.

A worker given more regions sees their queues; a change of regions or role ends the worker's
sessions, so no open console keeps showing what they may no longer see.
"""

import pytest
from bs4 import BeautifulSoup

from backend import chats, staffing
from backend.models import WorkerRole
from tests.helpers import log_in
from tests.test_accounts import PASSWORD, refused_cleanly, stored, worker_cli


def add_ilse(runner, *extra):
    result = worker_cli(
        runner, "add", "ilse", "--name", "Ilse", "--region", "VT20", *extra, password=PASSWORD
    )
    assert result.exit_code == 0, result.output
    return result


def regions_of(app, username) -> list[str]:
    with app.app_context():
        return staffing.regions_of(stored(app, username))


def queue_nicknames(client) -> list[str]:
    queue = BeautifulSoup(client.get("/console/").text, "html.parser").find(id="console-queue")
    return [nick.get_text() for nick in queue.select(".console-nick")]


def logged_in(app, username="ilse"):
    client = app.test_client()
    assert log_in(client, username, PASSWORD).status_code == 303
    return client


def test_add_with_more_regions_a_role_and_a_capacity(app, runner):
    result = add_ilse(runner, "--also", "vt14", "--role", "coordinator", "--capacity", "3")
    assert "Added ilse (Ilse, VT20, also VT14)." in result.output
    assert "Role coordinator, 3 chats at once." in result.output
    ilse = stored(app, "ilse")
    assert (ilse.role, ilse.capacity) == (WorkerRole.COORDINATOR, 3)
    assert regions_of(app, "ilse") == ["VT14", "VT20"]


def test_a_plain_add_makes_a_worker_of_one_region_with_room_for_two(app, runner):
    result = add_ilse(runner)
    assert "also" not in result.output and "Role" not in result.output
    ilse = stored(app, "ilse")
    assert (ilse.role, ilse.capacity) == (WorkerRole.WORKER, 2)
    assert regions_of(app, "ilse") == ["VT20"]


def test_a_worker_given_another_region_sees_both_queues(app, runner):
    add_ilse(runner)
    with app.app_context():
        chats.create("VT20", "Bo")
        chats.create("VT14", "Anna")
        chats.create("VT13", "Noor")
    assert queue_nicknames(logged_in(app)) == ["Bo"]
    result = worker_cli(runner, "regions", "ilse", "VT14")
    assert result.exit_code == 0, result.output
    assert (
        "ilse now works for VT20 Utrecht, VT14 Noord- en Oost-Gelderland;"
        " their sessions have ended." in result.output
    )
    assert queue_nicknames(logged_in(app)) == ["Bo", "Anna"]


def test_regions_sets_exactly_the_codes_given_and_the_own_code_clears(app, runner):
    add_ilse(runner, "--also", "VT14")
    worker_cli(runner, "regions", "ilse", "VT13", "VT15")
    assert regions_of(app, "ilse") == ["VT13", "VT15", "VT20"]
    result = worker_cli(runner, "regions", "ilse", "VT20")
    assert "ilse now works for VT20 Utrecht; their sessions have ended." in result.output
    assert regions_of(app, "ilse") == ["VT20"]


def test_a_change_of_regions_ends_the_workers_sessions(app, runner):
    add_ilse(runner, "--also", "VT14")
    console = logged_in(app)
    assert console.get("/console/").status_code == 200
    worker_cli(runner, "regions", "ilse", "VT20")
    assert console.get("/console/").status_code == 303  # to the login page


def test_a_coordinator_made_worker_again_is_logged_out(app, runner):
    add_ilse(runner, "--role", "coordinator")
    console = logged_in(app)
    result = worker_cli(runner, "role", "ilse", "worker")
    assert result.exit_code == 0, result.output
    assert "ilse is now a worker; their sessions have ended." in result.output
    assert stored(app, "ilse").role == WorkerRole.WORKER
    assert console.get("/console/").status_code == 303


@pytest.mark.parametrize(
    ("role", "said"),
    [("coordinator", "ilse is now a coordinator"), ("ADMIN", "ilse is now an admin")],
)
def test_role_names_the_new_role(app, runner, role, said):
    add_ilse(runner)
    result = worker_cli(runner, "role", "ilse", role)
    assert said in result.output
    assert stored(app, "ilse").role == role.lower()


def test_capacity_changes_how_many_chats_a_worker_takes_and_keeps_the_session(app, runner):
    add_ilse(runner)
    console = logged_in(app)
    result = worker_cli(runner, "capacity", "ilse", "3")
    assert result.exit_code == 0, result.output
    assert "ilse now takes 3 chats at once." in result.output
    assert stored(app, "ilse").capacity == 3
    assert console.get("/console/").status_code == 200


def test_list_shows_role_capacity_and_every_region(runner):
    add_ilse(runner, "--also", "VT14", "--role", "coordinator", "--capacity", "3")
    worker_cli(runner, "role", "demo2", "admin")
    output = worker_cli(runner, "list").output
    header, *rows = output.splitlines()
    assert header.split() == [
        *("username", "name", "disabled", "role", "capacity", "regions", "(own", "first)")
    ]
    lines = {row.split()[0]: row for row in rows}
    assert lines["ilse"].split()[:5] == ["ilse", "Ilse", "no", "coordinator", "3"]
    assert lines["ilse"].endswith("VT20 Utrecht, VT14 Noord- en Oost-Gelderland")
    assert lines["demo2"].endswith("DEMO Demo-regio (altijd open) (an administrator: every region)")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("regions", "ilse", "VT99"), "There is no region 'VT99'. Regions: DEMO"),
        (("regions", "niemand", "VT20"), "There is no worker 'niemand'."),
        (("regions", "ilse"), "Missing argument 'CODE...'"),
        (("role", "ilse", "baas"), "'baas' is not one of 'worker', 'coordinator', 'admin'"),
        (("role", "niemand", "admin"), "There is no worker 'niemand'."),
        (("capacity", "ilse", "0"), "A capacity is 1 to 10 chats at once."),
        (("capacity", "ilse", "11"), "A capacity is 1 to 10 chats at once."),
        (("capacity", "ilse", "twee"), "'twee' is not a valid integer"),
        (("capacity", "niemand", "2"), "There is no worker 'niemand'."),
    ],
)
def test_mistakes_get_a_clear_message_and_change_nothing(app, runner, args, message):
    add_ilse(runner, "--also", "VT14")
    console = logged_in(app)
    refused_cleanly(worker_cli(runner, *args), message)
    ilse = stored(app, "ilse")
    assert (ilse.role, ilse.capacity) == (WorkerRole.WORKER, 2)
    assert regions_of(app, "ilse") == ["VT14", "VT20"]
    assert console.get("/console/").status_code == 200  # still logged in


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--also", "VT99"), "There is no region 'VT99'"),
        (("--role", "baas"), "'baas' is not one of"),
        (("--capacity", "0"), "A capacity is 1 to 10 chats at once."),
    ],
)
def test_add_refuses_a_bad_place_before_asking_a_password(app, runner, extra, message):
    result = worker_cli(runner, "add", "ilse", "--name", "Ilse", "--region", "VT20", *extra)
    refused_cleanly(result, message)
    assert "Password" not in result.output
    assert stored(app, "ilse") is None
