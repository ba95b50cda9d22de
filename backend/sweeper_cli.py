"""`flask run-sweeper`: the sweeper as a service of its own, in the foreground until stopped.

With it (vtchat-sweeper.service, and VTCHAT_SWEEP_IN_APP=0 for the app), queues are cleaned
and transcripts purged once for every instance, also while all of them restart; each app
process then only renews its own presence rows (backend/sweeper.py, `sweep_own`).
"""

import logging
import signal
import threading

import click
from flask import current_app
from flask.cli import with_appcontext

from backend import db, sweeper
from backend.hub import InProcessHub, hub

log = logging.getLogger(__name__)

# Counted every round whatever happens: not worth a line in the journal.
_ROUTINE = {"console sessions checked"}


def run(app, stop: threading.Event) -> None:
    """A round at once, then one every SWEEP_INTERVAL_SECONDS, until `stop` is set.

    A round that fails (the database away for a moment) is logged; the next one tries again.
    """
    every = app.config["SWEEP_INTERVAL_SECONDS"]
    while True:
        try:
            with app.app_context():
                done = sweeper.sweep()
            news = {what: count for what, count in done.items() if count and what not in _ROUTINE}
            if news:
                click.echo(", ".join(f"{what}: {count}" for what, count in news.items()))
        except Exception:
            log.exception("sweep failed")
        if stop.wait(every):
            return


@click.command("run-sweeper")
@with_appcontext
def run_sweeper_command():
    """Sweep every SWEEP_INTERVAL_SECONDS until SIGTERM or Ctrl-C (vtchat-sweeper.service)."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    app = current_app._get_current_object()
    if isinstance(hub(), InProcessHub):
        raise click.ClickException(
            "VTCHAT_HUB_URL is memory://: what this process changes would reach no open pop-up"
            " or console. Give the app and the sweeper the same redis:// hub, or leave the"
            " sweeping to the app (VTCHAT_SWEEP_IN_APP=1) and do not run this service."
        )
    try:
        db.check()
    except db.DatabaseNotReady as error:
        raise click.ClickException(str(error)) from None
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    hub().start()
    click.echo(f"Sweeping every {app.config['SWEEP_INTERVAL_SECONDS']} s until stopped.")
    try:
        run(app, stop)
    finally:
        hub().close()
    click.echo("Sweeper stopped.")


def init_app(app):
    app.cli.add_command(run_sweeper_command)
