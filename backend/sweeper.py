"""The sweeper: one loop per process that reads the database and does what time decides.

Nothing waits in a process's memory for its moment, so a restart (even kill -9) forgets
nothing, and several processes sweeping at once do no harm: every change is conditional.
Each round:
- this process's presence rows are refreshed and those of dead processes removed;
- waiting visitors not seen for the grace time leave the queue, and so does everyone
  waiting in a region that has closed;
- active chats end whose visitor is gone too long, or where nobody wrote for too long;
- transcripts past the retention time are deleted, whoever or whatever ended the chat;
- open console sockets are told whether their worker's session still stands.
"""

import logging
import threading
import time

import click
from flask.cli import with_appcontext

from backend import blocks, chats, overflow, presence, staffing, timeouts
from backend.console import streams as console_streams
from backend.models import PresenceKind

log = logging.getLogger(__name__)


def sweep() -> dict[str, int]:
    """One round; how many of each thing it did."""
    presence.heartbeat()
    _let_others_run()
    stale, gone = presence.expire()
    steps = {
        # Overflow first: a region that closes hands its waiting chats to an open partner
        # rather than ending them; and a chat that waited long enough moves on.
        "overflowed": lambda: len(overflow.move_due()),
        # Then closing: a visitor still waiting at closing time is told why the chat ended.
        "closed queue": lambda: len(timeouts.close_queues()),
        "left the queue": lambda: len(timeouts.abandon_gone()),
        "visitor gone": lambda: len(timeouts.end_gone_active()),
        "silent": lambda: len(timeouts.end_silent()),
        "transcripts deleted": chats.purge_transcripts,
        "blocks run out": blocks.purge_expired,
        # A console closed for a while: nobody there to answer, so no new chats either.
        "workers away": lambda: len(
            staffing.mark_away([ref for kind, ref in gone if kind == PresenceKind.WORKER])
        ),
        # A `flask worker disable` in another process reaches this one's open consoles here.
        "console sessions checked": console_streams.recheck_sessions,
    }
    done = {"stale presence": stale}
    for name, step in steps.items():
        _let_others_run()
        done[name] = step()
    return done


def _let_others_run() -> None:
    """Under gevent the sweeper is one greenlet among the sockets, and a database call does
    not let go: a round in short steps keeps messages from waiting for all of it."""
    time.sleep(0)


def sweep_own() -> dict[str, int]:
    """The part of a round only this process can do: renew its own presence rows and tell
    its own console sockets where their sessions stand."""
    presence.heartbeat()
    _let_others_run()
    return {"console sessions checked": console_streams.recheck_sessions()}


def start(app, interval: float | None = None) -> threading.Event:
    """Sweep every SWEEP_INTERVAL_SECONDS in a daemon thread; set the returned event to stop."""
    stop = threading.Event()
    every = interval if interval is not None else app.config["SWEEP_INTERVAL_SECONDS"]
    # SWEEP_IN_APP=0: `flask run-sweeper` (backend/sweeper_cli.py) does the rest for everyone.
    one_round = sweep if app.config.get("SWEEP_IN_APP", True) else sweep_own

    def loop():
        while not stop.wait(every):
            try:
                with app.app_context():
                    one_round()
            except Exception:  # a database hiccup: the next round tries again
                log.exception("sweep failed")

    threading.Thread(target=loop, name="vtchat-sweeper", daemon=True).start()
    return stop


@click.command("sweep")
@with_appcontext
def sweep_command():
    """One round of the sweeper (the app's processes run one every SWEEP_INTERVAL_SECONDS)."""
    done = sweep()
    click.echo(", ".join(f"{what}: {count}" for what, count in done.items()))


@click.command("purge-transcripts")
@with_appcontext
def purge_transcripts_command():
    """Delete transcripts of chats that ended longer ago than the retention time."""
    click.echo(f"{chats.purge_transcripts()} transcripts deleted.")


def init_app(app):
    app.cli.add_command(sweep_command)
    app.cli.add_command(purge_transcripts_command)
