"""The sweeper: one loop per process that reads the database and does what time decides.

Nothing waits in a process's memory for its moment, so a restart (even kill -9) forgets
nothing, and several processes sweeping at once do no harm: every change is conditional.
Each round, waiting visitors whose pop-up has been closed for the grace time leave the
queue, and transcripts past the retention time are deleted.
"""

import logging
import threading

import click
from flask.cli import with_appcontext

from backend import chats

log = logging.getLogger(__name__)


def sweep() -> tuple[int, int]:
    """One round: (chats that left the queue, transcripts deleted)."""
    return len(chats.abandon_gone()), chats.purge_transcripts()


def start(app, interval: float | None = None) -> threading.Event:
    """Sweep every SWEEP_INTERVAL_SECONDS in a daemon thread; set the returned event to stop."""
    stop = threading.Event()
    every = interval if interval is not None else app.config["SWEEP_INTERVAL_SECONDS"]

    def loop():
        while not stop.wait(every):
            try:
                with app.app_context():
                    sweep()
            except Exception:  # a database hiccup: the next round tries again
                log.exception("sweep failed")

    threading.Thread(target=loop, name="vtchat-sweeper", daemon=True).start()
    return stop


@click.command("sweep")
@with_appcontext
def sweep_command():
    """One round of the sweeper (the app's processes run one every SWEEP_INTERVAL_SECONDS)."""
    left, purged = sweep()
    click.echo(f"{left} waiting chats left the queue, {purged} transcripts deleted.")


@click.command("purge-transcripts")
@with_appcontext
def purge_transcripts_command():
    """Delete transcripts of chats that ended longer ago than the retention time."""
    click.echo(f"{chats.purge_transcripts()} transcripts deleted.")


def init_app(app):
    app.cli.add_command(sweep_command)
    app.cli.add_command(purge_transcripts_command)
