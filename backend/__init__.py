"""The Veilig Thuis chat: an app factory wiring extensions and blueprints."""

import secrets

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from backend import (
    clock,
    db,
    deployment,
    errors,
    hub,
    passwords,
    postcode_cli,
    rate_limits,
    security,
    seed,
    settings_changes,
    shared_pages,
    sockets,
    static_files,
    sweeper,
    sweeper_cli,
    worker_cli,
)
from backend.config import ROOT, from_environment
from backend.extensions import babel, csrf, limiter


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, static_folder=None)
    app.config.from_mapping(from_environment())
    app.config.update(
        # The visitor's session lives in an iframe on someone else's site: a partitioned,
        # host-only, secure cookie that vanishes when the browser closes.
        SESSION_COOKIE_NAME="__Host-vtchat",
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="None",
        SESSION_COOKIE_PARTITIONED=True,
        SESSION_COOKIE_PATH="/",
        BABEL_DEFAULT_LOCALE="nl",
        BABEL_DEFAULT_TIMEZONE="Europe/Amsterdam",
        BABEL_TRANSLATION_DIRECTORIES=str(ROOT / "backend" / "translations"),
        WTF_CSRF_TIME_LIMIT=None,  # a chat may last well over an hour
        WTF_CSRF_SSL_STRICT=False,  # cross-site iframe posts carry no same-origin Referer
    )
    if config:
        app.config.update(config)
    if not app.config.get("SECRET_KEY"):
        # Sessions then last as long as this process; `make run` sets a lasting key.
        app.config["SECRET_KEY"] = secrets.token_hex(32)
    app.config.setdefault("SOCK_SERVER_OPTIONS", sockets.server_options(app))

    if app.config["PROXY_HOPS"]:
        hops = app.config["PROXY_HOPS"]
        # wss:// links and the Origin check need the public scheme and host; x_for stays 0.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=0, x_proto=hops, x_host=hops)

    db.init_app(app)
    clock.init_app(app)
    hub.init_app(app)
    settings_changes.init_app(app)
    babel.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    rate_limits.init_app(app)
    sockets.sock.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    seed.init_app(app)
    worker_cli.init_app(app)
    postcode_cli.init_app(app)  # flask postcodes rebuild (backend/data/SOURCES.txt)
    deployment.init_app(app)  # flask check-deployment (deploy/README.md)
    sweeper_cli.init_app(app)  # flask run-sweeper (deploy/systemd/vtchat-sweeper.service)
    passwords.init_app(app)
    sweeper.init_app(app)

    from backend import console, embed, visitor
    from backend.visitor import page_session

    page_session.init_app(app)
    app.register_blueprint(visitor.bp)
    app.register_blueprint(console.bp)
    app.register_blueprint(embed.bp)
    # Before any view: the open-or-closed page shared by first visits (backend/shared_pages.py).
    shared_pages.init_app(app)
    # Last, around everything: the blueprints' static files, hashed, compressed and served
    # by WhiteNoise (backend/static_files.py).
    static_files.init_app(app)
    return app
