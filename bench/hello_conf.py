"""gunicorn settings for bench/hello_app.py: the chat's own, without its start-up checks.

The chat's post_worker_init checks the accounts in its database and starts its sweeper;
the bare app has neither. Everything else (gevent, one process, connections, the access
log's format) is backend/gunicorn_conf.py's.
"""

from backend.gunicorn_conf import *  # noqa: F403 (the chat's settings, as they are)


def post_worker_init(worker):
    """Nothing to check, nothing to sweep."""
