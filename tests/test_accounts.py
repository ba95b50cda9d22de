"""Worker accounts for real use: the `flask worker` commands, and sessions that really end.

Logging out, a new password and disabling end every session of the worker at once, also a
copied cookie and an open console socket; a console left alone ends after the idle time.
"""

import re
from datetime import timedelta

import pytest
from sqlalchemy import update

from backend import db, workers
from backend.console import streams
from backend.models import Worker
from tests.helpers import CONSOLE_COOKIE, DEMO_SITE, log_in, session_of, start_chat, text_of
from tests.test_sockets import connect, receive, receive_close, receive_until, server  # noqa: F401

PASSWORD = "een lang wachtwoord"
LOGGED_OUT = "Je bent uitgelogd."


def worker_cli(runner, *args, password=None, repeat=None):
    """Run `flask worker ...`, typing the password (and its repetition) when asked."""
    typed = None
    if password is not None:
        typed = f"{password}\n{password if repeat is None else repeat}\n"
    return runner.invoke(args=["worker", *args], input=typed)


def stored(app, username) -> Worker | None:
    with app.app_context():
        return workers.by_username(username)


def refused_cleanly(result, message: str) -> None:
    """A non-zero exit with a clear message, never a traceback."""
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def copy_of_cookie(app, client):
    """Another browser holding a copy of the client's console cookie."""
    value = client.get_cookie(CONSOLE_COOKIE, path="/console").value
    thief = app.test_client()
    thief.set_cookie(CONSOLE_COOKIE, value, path="/console")
    return thief


# ---- flask worker add | passwd | disable | list ---------------------------------------------


def test_add_asks_the_password_twice_and_the_worker_can_log_in(app, runner):
    result = worker_cli(
        runner, "add", "ilse", "--name", "Ilse", "--region", "VT20", password=PASSWORD
    )
    assert result.exit_code == 0, result.output
    assert "Added ilse (Ilse, VT20)" in result.output
    assert result.output.count("Password") == 1 and "Repeat the password" in result.output
    assert PASSWORD not in result.output  # hidden input
    client = app.test_client()
    assert log_in(client, "ilse", PASSWORD).status_code == 303
    assert "Ilse · Utrecht" in text_of(client.get("/console/").text)


def test_each_worker_gets_a_hash_with_its_own_salt(app, runner):
    for name in ("ilse", "joost"):
        worker_cli(runner, "add", name, "--name", name, "--region", "VT20", password=PASSWORD)
    first, second = stored(app, "ilse").password_hash, stored(app, "joost").password_hash
    assert first.startswith("$argon2id$") and second.startswith("$argon2id$")
    assert first != second


def test_add_refuses_a_short_password(app, runner):
    result = worker_cli(
        runner, "add", "ilse", "--name", "Ilse", "--region", "VT20", password="elf tekens!"
    )
    refused_cleanly(result, "A password needs at least 12 characters.")
    assert stored(app, "ilse") is None


def test_add_refuses_two_different_passwords(app, runner):
    result = worker_cli(
        runner,
        *("add", "ilse", "--name", "Ilse", "--region", "VT20"),
        password=PASSWORD,
        repeat="een ander wachtwoord",
    )
    refused_cleanly(result, "do not match")
    assert stored(app, "ilse") is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("add", "demo", "--name", "Nog een", "--region", "DEMO"),
            "There already is a worker 'demo'",
        ),
        (("add", "ilse", "--name", "Ilse", "--region", "VT99"), "There is no region 'VT99'"),
        (("add", "ilse met spatie", "--name", "Ilse", "--region", "VT20"), "A username is"),
        (("add", "ilse", "--region", "VT20"), "Missing option '--name'"),
        (("passwd", "niemand"), "There is no worker 'niemand'"),
        (("disable", "niemand"), "There is no worker 'niemand'"),
    ],
)
def test_mistakes_get_a_clear_message_and_a_non_zero_exit(app, runner, args, message):
    result = worker_cli(runner, *args, password=PASSWORD)
    refused_cleanly(result, message)
    assert stored(app, "ilse") is None


def test_list_shows_username_name_whether_disabled_role_capacity_and_region(runner):
    worker_cli(runner, "add", "ilse", "--name", "Ilse", "--region", "VT20", password=PASSWORD)
    worker_cli(runner, "disable", "demo2")
    result = worker_cli(runner, "list")
    assert result.exit_code == 0
    lines = {line.split()[0]: line.split() for line in result.output.splitlines()[1:]}
    assert lines["demo"][:3] == ["demo", "Sanne", "no"]
    assert lines["demo2"][:3] == ["demo2", "Joris", "yes"]
    assert lines["ilse"] == ["ilse", "Ilse", "no", "worker", "2", "VT20", "Utrecht"]


def test_passwd_sets_a_new_password_and_ends_the_sessions(app, runner, worker):
    result = worker_cli(runner, "passwd", "demo", password=PASSWORD)
    assert result.exit_code == 0, result.output
    assert worker.get("/console/").status_code == 303  # the old session has ended
    assert "Gebruikersnaam of wachtwoord klopt niet." in text_of(
        log_in(worker, "demo", "demo").text
    )
    assert log_in(worker, "demo", PASSWORD).status_code == 303


def test_passwd_refuses_a_short_password_and_changes_nothing(app, runner, worker):
    refused_cleanly(worker_cli(runner, "passwd", "demo", password="kort"), "at least 12")
    assert worker.get("/console/").status_code == 200
    assert log_in(app.test_client(), "demo", "demo").status_code == 303


def test_disable_ends_the_session_at_once_and_refuses_logins(app, runner, worker):
    result = worker_cli(runner, "disable", "demo")
    assert result.exit_code == 0, result.output
    assert worker.get("/console/").status_code == 303
    again = log_in(app.test_client(), "demo", "demo")
    assert again.status_code == 200
    assert "Gebruikersnaam of wachtwoord klopt niet." in text_of(again.text)
    worker_cli(runner, "enable", "demo")
    assert log_in(app.test_client(), "demo", "demo").status_code == 303


# ---- sessions that end --------------------------------------------------------------------


def test_after_logout_a_copied_cookie_no_longer_opens_the_console(app, worker):
    thief = copy_of_cookie(app, worker)
    assert thief.get("/console/").status_code == 200  # the copy works while the session lasts
    worker.post("/console/logout")
    response = thief.get("/console/")
    assert response.status_code == 303
    assert response.headers["Location"] == "/console/login"


def test_logout_says_so_in_dutch(worker):
    page = worker.post("/console/logout", follow_redirects=True)
    assert LOGGED_OUT in text_of(page.text)


def test_logout_closes_the_open_console_socket(app, server, worker):  # noqa: F811
    thief = copy_of_cookie(app, worker)
    with connect(server, "/console/ws", worker) as ws:
        assert "Er wacht niemand." in text_of(receive(ws))
        thief.post("/console/logout")  # anyone with the session logging out ends it everywhere
        frame = receive_until(ws, LOGGED_OUT)
        assert 'id="console-session"' in frame
        assert receive_close(ws) == 1008  # the htmx ws extension does not reconnect on 1008


def test_after_logout_a_copied_cookie_cannot_open_the_console_socket(app, server, worker):  # noqa: F811
    thief = copy_of_cookie(app, worker)
    worker.post("/console/logout")
    with connect(server, "/console/ws", thief) as ws:
        assert receive_close(ws) == 1008


def test_disabling_closes_the_open_console_socket(app, runner, server, worker):  # noqa: F811
    with connect(server, "/console/ws", worker) as ws:
        receive(ws)
        worker_cli(runner, "disable", "demo")
        receive_until(ws, LOGGED_OUT)
        assert receive_close(ws) == 1008


def test_a_session_ended_in_another_process_closes_the_socket_on_the_next_check(
    app,
    server,  # noqa: F811
    worker,
):
    with connect(server, "/console/ws", worker) as ws:
        receive(ws)
        with app.app_context(), db.session() as s:  # as another process would, without the hub
            s.exec(update(Worker).where(Worker.username == "demo").values(disabled=True))
            s.commit()
        with app.app_context():
            assert streams.recheck_sessions() == 1
        receive_until(ws, LOGGED_OUT)
        assert receive_close(ws) == 1008


def test_a_colleagues_logout_leaves_the_console_open(app, server, worker):  # noqa: F811
    colleague = app.test_client()
    log_in(colleague, "demo2", "demo")
    with connect(server, "/console/ws", worker) as ws:
        receive(ws)
        colleague.post("/console/logout")
        start_chat(app.test_client(), nickname="Mila")
        assert "Mila" in text_of(receive_until(ws, "Mila"))
    assert worker.get("/console/").status_code == 200


# ---- idle time ------------------------------------------------------------------------------


def test_a_console_left_alone_ends_after_the_idle_time(app, worker, clock):
    clock.at += timedelta(minutes=app.config["CONSOLE_IDLE_MINUTES"] - 1)
    assert worker.get("/console/").status_code == 200
    clock.at += timedelta(minutes=app.config["CONSOLE_IDLE_MINUTES"] + 1)
    response = worker.get("/console/")
    assert response.status_code == 303
    assert response.headers["Location"] == "/console/login"


def test_an_open_console_page_keeps_its_session_alive(app, worker, clock):
    page = worker.get("/console/").text
    keepalive = re.search(r'<div id="console-session"[^>]*>', page).group(0)
    assert 'hx-get="/console/refresh"' in keepalive and 'hx-trigger="every 60s"' in keepalive
    for _ in range(6):  # three hours of a worker waiting with the console open
        clock.at += timedelta(minutes=app.config["CONSOLE_IDLE_MINUTES"] - 1)
        assert worker.get("/console/refresh", headers={"HX-Request": "true"}).status_code == 200
    assert worker.get("/console/").status_code == 200


def test_a_console_that_went_idle_is_sent_to_the_login_page(app, worker, clock):
    clock.at += timedelta(minutes=app.config["CONSOLE_IDLE_MINUTES"] + 1)
    response = worker.get("/console/refresh", headers={"HX-Request": "true"})
    assert response.headers["HX-Redirect"] == "/console/login"


def test_an_idle_session_cannot_open_the_console_socket(app, server, worker, clock):  # noqa: F811
    clock.at += timedelta(minutes=app.config["CONSOLE_IDLE_MINUTES"] + 1)
    with connect(server, "/console/ws", worker) as ws:
        assert receive_close(ws) == 1008


# ---- the console's own cookie ---------------------------------------------------------------


def cookie_attributes(set_cookie: str) -> tuple[str, dict[str, str]]:
    name, _, attributes = set_cookie.partition(";")
    parts = [a.strip() for a in attributes.split(";") if a.strip()]
    return name.partition("=")[0], {a.split("=")[0].lower(): a for a in parts}


def test_the_console_cookie_is_its_own_first_party_and_only_for_the_console(app):
    response = log_in(app.test_client())
    (set_cookie,) = response.headers.getlist("Set-Cookie")  # the visitor's cookie is not touched
    name, attributes = cookie_attributes(set_cookie)
    assert name == CONSOLE_COOKIE
    assert attributes["path"] == "Path=/console"
    assert attributes["samesite"] == "SameSite=Lax"
    assert {"secure", "httponly"} <= set(attributes)
    assert "partitioned" not in attributes and "domain" not in attributes
    assert "expires" not in attributes and "max-age" not in attributes


def test_the_visitors_cookie_stays_partitioned_and_for_the_whole_host(app):
    client = app.test_client()
    (set_cookie,) = start_chat(client).headers.getlist("Set-Cookie")
    name, attributes = cookie_attributes(set_cookie)
    assert name == "__Host-vtchat"
    assert attributes["path"] == "Path=/" and attributes["samesite"] == "SameSite=None"
    assert "partitioned" in attributes


def test_console_and_visitor_sessions_in_one_browser_do_not_mix(app):
    client = app.test_client()
    start_chat(client, nickname="Mila")
    chat = session_of(app, client)["chat"]
    log_in(client)
    assert session_of(app, client)["chat"] == chat
    assert "worker_id" not in session_of(app, client)
    client.post("/console/logout")
    assert "Je bent nummer 1" in text_of(client.get(f"/w/{DEMO_SITE}").text)
