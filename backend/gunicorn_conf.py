"""gunicorn settings. The access log leaves out the client address, user agent and query."""

import logging
import os
import re

bind = os.environ.get("VTCHAT_BIND", "127.0.0.1:8000")
# Processes per instance. More than one needs a hub between them (VTCHAT_HUB_URL=redis://…):
# the in-process hub fans out only within one process, so the start is refused then.
workers = int(os.environ.get("VTCHAT_WORKERS", "1"))
# Evented: an open WebSocket or a slow client costs a greenlet, not an OS thread.
worker_class = "gevent"
# Connections one process serves at once, sockets and half-sent requests included; the app
# refuses sockets beyond MAX_SOCKETS itself, with a close code browsers understand.
worker_connections = int(os.environ.get("VTCHAT_WORKER_CONNECTIONS", "12000"))
graceful_timeout = 5
accesslog = "-" if os.environ.get("VTCHAT_ACCESS_LOG", "1") == "1" else None
# Time, method, path (no query string), status, size, duration: nothing about the visitor.
access_log_format = '%(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
# Gives the format only those atoms, with control characters escaped (backend/access_log.py).
logger_class = "backend.access_log.AccessLog"
forwarded_allow_ips = ""
# Several instances (make run, the e2e tests) may run at once; none needs the control socket.
control_socket_disable = True


class HideClientAddress(logging.Filter):
    """gunicorn names the client's address when it rejects a malformed request: blank it."""

    def filter(self, record):
        message = record.getMessage()
        if "ip=" in message:
            record.msg, record.args = re.sub(r"ip=\S+", "ip=[verborgen]", message), ()
        return True


def _hide_client_addresses():
    logging.getLogger("gunicorn.error").addFilter(HideClientAddress())


def on_starting(server):
    _hide_client_addresses()
    hub_url = os.environ.get("VTCHAT_HUB_URL", "memory://")
    if server.cfg.workers > 1 and hub_url.startswith("memory"):
        raise RuntimeError(
            f"{server.cfg.workers} worker processes share no in-process hub: a visitor on one"
            " would never hear the worker on another. Set VTCHAT_HUB_URL=redis://… or"
            " VTCHAT_WORKERS=1."
        )


def post_fork(server, worker):
    _hide_client_addresses()


def keep_what_lasts():
    """Full garbage collections, which hold every greenlet up while they walk all the process
    holds, were the worst delays in message delivery: 20 to 150 ms each, several a minute
    (docs/benchmarks.md). What the process holds once started (modules, the app, templates,
    the engine) lives as long as it does: frozen, no collection walks it again. And a full
    collection waits for 100 collections of the middle generation instead of 10: the few
    cycles that outlive those are freed a little later."""
    import gc

    gc.collect()
    gc.freeze()
    young, middle, _old = gc.get_threshold()
    gc.set_threshold(young, middle, 100)


def post_worker_init(worker):
    """One sweeper per app process (it reads the database, so any number of them agree);
    and on shutdown or reload, every socket is closed at once with 1012 so clients reconnect
    to the new process instead of hanging until the graceful timeout."""
    import threading
    import time

    from backend import sockets, sweeper, workers

    # Refuse to serve (the master stops) while the public demo password opens a real account.
    with worker.wsgi.app_context():
        workers.check_no_demo_passwords(worker.log, progress=worker.notify)
    sweeper.start(worker.wsgi)
    keep_what_lasts()

    def close_sockets_when_stopping():
        while worker.alive:
            time.sleep(0.1)
        sockets.shut_down()

    threading.Thread(target=close_sockets_when_stopping, daemon=True).start()
