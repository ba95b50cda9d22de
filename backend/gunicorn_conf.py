"""gunicorn settings. The access log leaves out the client address, user agent and query."""

import logging
import os
import re

bind = os.environ.get("VTCHAT_BIND", "127.0.0.1:8000")
# One process: the in-process hub fans out only within it. Threads hold the WebSockets.
workers = 1
worker_class = "gthread"
# The pool grows only as needed; every open WebSocket holds one thread while it lasts.
threads = int(os.environ.get("VTCHAT_THREADS", "1000"))
# Idle keep-alive connections wait in the poller, not in a thread: allow more than threads.
worker_connections = threads * 2
graceful_timeout = 5
accesslog = "-" if os.environ.get("VTCHAT_ACCESS_LOG", "1") == "1" else None
# Time, method, path (no query string), status, size, duration: nothing about the visitor.
access_log_format = '%(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
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


def post_fork(server, worker):
    _hide_client_addresses()


def post_worker_init(worker):
    """One sweeper per app process; it reads the database, so any number of them agree."""
    from backend import sweeper

    sweeper.start(worker.wsgi)
