"""The nginx site in deploy/: it logs nothing about a visitor, tells the app nothing about
them, upgrades the app's WebSocket paths, keeps slow clients away and still shows where to
get help when no instance answers. Run against a real nginx when one is installed."""

import http.client
import os
import re
import shutil
import socket
import ssl
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from backend.config import _SETTINGS
from tests.conftest import ROOT

SITE = ROOT / "deploy" / "nginx" / "vtchat.conf"
PAGES = ROOT / "deploy" / "nginx" / "pages"
# Debian puts it in /usr/sbin, which a normal user's PATH lacks.
NGINX = shutil.which("nginx", path=f"{os.environ.get('PATH', '')}:/usr/sbin")
OPENSSL = shutil.which("openssl")
needs_nginx = pytest.mark.skipif(
    NGINX is None or OPENSSL is None,
    reason="nginx or openssl is not installed (apt-get install nginx openssl); .ci/run has both",
)
# The visitor's address in the live test: a loopback address nothing else here uses.
VISITOR = "127.0.0.7"
# Variables that name the client or carry what it sent beyond method and path.
REVEALING = (
    "remote_addr",
    "binary_remote_addr",
    "realip_remote_addr",
    "proxy_add_x_forwarded_for",
    "http_x_forwarded_for",
    "http_x_real_ip",
    "http_forwarded",
    "http_user_agent",
    "http_referer",
    "http_cookie",
    "request",  # the request line: it holds the query string, where tickets travel
    "request_uri",
    "args",
    "query_string",
    "arg_",
    "cookie_",
)


def site() -> str:
    return SITE.read_text()


def without_comments(conf: str) -> str:
    return re.sub(r"#[^\n]*", "", conf)


def log_formats(conf: str) -> dict[str, str]:
    formats = {}
    for name, body in re.findall(r"log_format\s+(\w+)([^;]*);", without_comments(conf)):
        formats[name] = " ".join(re.findall(r"'([^']*)'", body))
    return formats


def test_the_access_log_holds_nothing_about_the_visitor():
    formats = log_formats(site())
    assert formats, "the site defines its own log format"
    for name, fmt in formats.items():
        variables = re.findall(r"\$\{?(\w+)", fmt)
        for variable in variables:
            assert not any(
                variable == bad or (bad.endswith("_") and variable.startswith(bad))
                for bad in REVEALING
            ), f"log_format {name} logs ${variable}"
    # Every access log of the site uses such a format (nginx's default names the client).
    for target in re.findall(r"access_log\s+([^;]*);", without_comments(site())):
        words = target.split()
        assert words == ["off"] or (len(words) >= 2 and words[1] in formats), target


def test_the_error_log_keeps_only_emergencies():
    levels = re.findall(r"error_log\s+\S+\s+(\w+)\s*;", without_comments(site()))
    assert levels and set(levels) == {"emerg"}
    assert len(levels) == len(re.findall(r"error_log\s", without_comments(site())))


def test_the_app_is_told_no_client_address():
    conf = without_comments(site())
    for header in ("X-Forwarded-For", "X-Real-IP", "Forwarded", "User-Agent"):
        values = re.findall(rf"proxy_set_header\s+{header}\s+([^;]*);", conf, re.IGNORECASE)
        assert values and set(values) == {'""'}, header
    # Each location that sets headers of its own (so inherits none) blanks them too.
    for block in re.findall(r"location[^{]*\{([^}]*)\}", conf):
        if "proxy_set_header" in block:
            assert 'X-Forwarded-For ""' in block and 'X-Real-IP ""' in block


def test_request_bodies_the_app_accepts_pass_and_are_buffered_whole():
    conf = without_comments(site())
    (limit,) = re.findall(r"client_max_body_size\s+(\d+)k;", conf)
    (buffer,) = re.findall(r"client_body_buffer_size\s+(\d+)k;", conf)
    app_limit = _SETTINGS["MAX_CONTENT_LENGTH"][0]
    assert app_limit <= int(limit) * 1024 <= 2 * app_limit
    assert int(buffer) >= int(limit)  # never a temporary file on disk
    assert "proxy_request_buffering on" in conf


def test_every_websocket_route_of_the_app_is_upgraded(app):
    """The flask-sock routes, with an example value for each part, match an upgrading location."""
    conf = without_comments(site())
    upgrading = []
    for kind, where, block in re.findall(r"location\s+(~|=)\s+(\S+)\s*\{([^}]*)\}", conf):
        if "Upgrade $http_upgrade" in block and 'Connection "upgrade"' in block:
            upgrading.append((kind, where, block))
    socket_paths = [
        re.sub(r"<[^>]+>", "demo-utrecht", rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.websocket
    ]
    assert socket_paths, "the app has WebSocket routes"
    ping = _SETTINGS["WS_PING_INTERVAL"][0]
    for path in socket_paths:
        found = [
            block
            for kind, where, block in upgrading
            if (kind == "=" and where == path) or (kind == "~" and re.search(where, path))
        ]
        assert found, f"{path} is not upgraded to a WebSocket"
        (timeout,) = re.findall(r"proxy_read_timeout\s+(\d+)s;", found[0])
        assert int(timeout) >= 2 * ping  # a missed ping is no reason to drop a chat


# ---- a real nginx -------------------------------------------------------------------------


class Recorder(BaseHTTPRequestHandler):
    """Stands for an instance of the app: keeps what nginx sent, answers "hallo"."""

    seen: list[dict] = []

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        Recorder.seen.append({"path": self.path, "headers": dict(self.headers.items())})
        body = b"hallo"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def render(folder: Path, http_port: int, https_port: int, upstreams: list[int]) -> Path:
    """The site as installed, moved to local ports, a throwaway certificate and `folder`."""
    subprocess.run(
        [OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-subj", "/CN=chat.example.nl", "-keyout", str(folder / "key.pem")]
        + ["-out", str(folder / "cert.pem")],
        check=True,
        capture_output=True,
    )
    conf = site()
    conf = re.sub(r"\n\s*listen \[::\][^;]*;", "", conf)
    conf = conf.replace("listen 80 ", f"listen 127.0.0.1:{http_port} ")
    conf = conf.replace("listen 443 ", f"listen 127.0.0.1:{https_port} ")
    servers = "".join(
        f"    server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;\n" for port in upstreams
    )
    conf = re.sub(
        r"(upstream vtchat \{\n    least_conn;\n)(?:    server [^\n]*\n)+", rf"\g<1>{servers}", conf
    )
    conf = re.sub(r"ssl_certificate /\S+;", f"ssl_certificate {folder / 'cert.pem'};", conf)
    conf = re.sub(r"ssl_certificate_key /\S+;", f"ssl_certificate_key {folder / 'key.pem'};", conf)
    conf = conf.replace("/var/log/nginx/", f"{folder}/")
    conf = conf.replace("/var/www/letsencrypt", str(folder / "acme"))
    conf = conf.replace("/opt/vtchat/deploy/nginx/pages", str(PAGES))
    wrapper = folder / "nginx.conf"
    wrapper.write_text(
        f"""
user root root;
daemon off;
pid {folder}/nginx.pid;
error_log {folder}/main-error.log;
events {{ worker_connections 256; }}
http {{
    types {{ text/html html; }}
    default_type application/octet-stream;
    client_body_temp_path {folder}/client_body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    {conf}
}}
"""
    )
    return wrapper


@needs_nginx
def test_nginx_accepts_the_site(tmp_path):
    wrapper = render(tmp_path, _free_port(), _free_port(), [_free_port(), _free_port()])
    done = subprocess.run(
        [NGINX, "-t", "-p", str(tmp_path), "-c", str(wrapper)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


@pytest.fixture
def nginx(tmp_path):
    """nginx with the site in front of two recorders; the second one down at first."""
    Recorder.seen = []
    up = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=up.serve_forever, daemon=True).start()
    down = _free_port()
    http_port, https_port = _free_port(), _free_port()
    wrapper = render(tmp_path, http_port, https_port, [down, up.server_address[1]])
    process = subprocess.Popen(
        [NGINX, "-p", str(tmp_path), "-c", str(wrapper)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", https_port), timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(process.stderr.read().decode()) from None
            time.sleep(0.05)
    yield {"http": http_port, "https": https_port, "folder": tmp_path, "upstream": up}
    process.terminate()
    process.wait(10)
    up.shutdown()


def request(port, method, path, body=None, headers=None, tls=True):
    """A request from the visitor's own address, as a browser would send it."""
    context = ssl._create_unverified_context()
    if tls:
        conn = http.client.HTTPSConnection(
            "127.0.0.1", port, context=context, source_address=(VISITOR, 0), timeout=10
        )
    else:
        conn = http.client.HTTPConnection(
            "127.0.0.1", port, source_address=(VISITOR, 0), timeout=10
        )
    sent = {"Host": "chat.example.nl", "User-Agent": "Mozilla/5.0 (herkenbaar)", **(headers or {})}
    conn.request(method, path, body=body, headers=sent)
    response = conn.getresponse()
    answer = (response.status, dict(response.getheaders()), response.read().decode())
    conn.close()
    return answer


@needs_nginx
def test_the_app_hears_the_public_scheme_and_host_and_nothing_of_the_visitor(nginx):
    status, _, body = request(
        nginx["https"],
        "POST",
        "/w/demo-utrecht/send",
        body=b"message=hallo",
        headers={"X-Forwarded-For": "203.0.113.9", "X-Real-IP": "203.0.113.9"},
    )
    # The first instance is down: nginx went on to the one that answers.
    assert (status, body) == (200, "hallo")
    (seen,) = Recorder.seen
    headers = {name.lower(): value for name, value in seen["headers"].items()}
    assert headers["x-forwarded-proto"] == "https"
    assert headers["x-forwarded-host"] == "chat.example.nl"
    assert headers["host"] == "chat.example.nl"
    for name in ("x-forwarded-for", "x-real-ip", "forwarded", "user-agent"):
        assert name not in headers
    assert VISITOR not in str(headers) and "203.0.113.9" not in str(headers)


@needs_nginx
def test_the_websocket_paths_are_upgraded(nginx):
    upgrade = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13"}
    request(nginx["https"], "GET", "/w/demo-utrecht/ws?ticket=geheim", headers=upgrade)
    request(nginx["https"], "GET", "/console/ws", headers=upgrade)
    request(nginx["https"], "GET", "/w/demo-utrecht", headers=upgrade)
    upgraded = [
        seen["path"].split("?")[0]
        for seen in Recorder.seen
        if seen["headers"].get("Upgrade") == "websocket"
    ]
    assert upgraded == ["/w/demo-utrecht/ws", "/console/ws"]


@needs_nginx
def test_the_logs_name_no_visitor_and_no_query(nginx):
    request(nginx["https"], "GET", "/w/demo-utrecht?ticket=geheim", headers={"Referer": "x"})
    request(nginx["https"], "POST", "/w/demo-utrecht/send", body=b"x" * (200 * 1024))
    nginx["upstream"].shutdown()  # every instance down: nginx errors, which name the client
    nginx["upstream"].server_close()
    request(nginx["https"], "GET", "/w/demo-utrecht/start")
    request(nginx["http"], "GET", "/w/demo-utrecht", tls=False)
    logs = "".join(path.read_text() for path in nginx["folder"].glob("*.log"))
    assert "/w/demo-utrecht" in logs  # the access log is written...
    for revealing in (VISITOR, "geheim", "Mozilla", "herkenbaar"):
        assert revealing not in logs  # ...with nothing of the visitor in it


@needs_nginx
def test_without_any_instance_the_popup_still_shows_where_to_get_help(nginx):
    nginx["upstream"].shutdown()
    nginx["upstream"].server_close()
    status, headers, body = request(nginx["https"], "GET", "/w/demo-utrecht")
    assert status == 502
    assert "De chat is even niet bereikbaar" in body
    assert "tel:08002000" in body and "tel:112" in body
    assert headers["Cache-Control"] == "no-store"


@needs_nginx
def test_a_flood_of_chat_starts_from_one_client_is_turned_away_in_dutch(nginx):
    statuses = [
        request(nginx["https"], "POST", "/w/demo-utrecht/start", body=b"nickname=a")[0]
        for _ in range(6)
    ]
    assert statuses == [200] * 5 + [429]
    status, _, body = request(nginx["https"], "POST", "/w/demo-utrecht/start", body=b"")
    assert (status, "Wacht een paar minuten" in body) == (429, True)
    # Reading the form is not starting a chat: never limited.
    assert request(nginx["https"], "GET", "/w/demo-utrecht/start")[0] == 200


@needs_nginx
def test_a_body_beyond_what_any_form_sends_never_reaches_the_app(nginx):
    status, _, body = request(nginx["https"], "POST", "/w/demo-utrecht/send", b"x" * 200_000)
    assert status == 413
    assert "0800 2000" in body
    assert Recorder.seen == []


@needs_nginx
def test_plain_http_is_sent_to_https(nginx):
    status, headers, _ = request(nginx["http"], "GET", "/w/demo-utrecht?x=1", tls=False)
    assert status == 301
    assert headers["Location"] == "https://chat.example.nl/w/demo-utrecht?x=1"
