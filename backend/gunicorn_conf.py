"""gunicorn settings. The access log leaves out the client address, user agent and query."""

import os

bind = os.environ.get("VTCHAT_BIND", "127.0.0.1:8000")
# One process: the in-process hub fans out only within it. Threads hold the WebSockets.
workers = 1
worker_class = "gthread"
# The pool grows only as needed; every open WebSocket holds one thread while it lasts.
threads = int(os.environ.get("VTCHAT_THREADS", "1000"))
graceful_timeout = 5
accesslog = "-" if os.environ.get("VTCHAT_ACCESS_LOG", "1") == "1" else None
# Time, method, path (no query string), status, size, duration: nothing about the visitor.
access_log_format = '%(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
forwarded_allow_ips = ""
# Several instances (make run, the e2e tests) may run at once; none needs the control socket.
control_socket_disable = True
