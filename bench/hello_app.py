"""The bare "hello" the status pop-up is measured against: Flask, one route, nothing else.

Served by the same gunicorn settings as the chat (bench/hello_conf.py), so the difference
in requests per second is what the pop-up's page itself costs.
"""

from flask import Flask


def create_app() -> Flask:
    app = Flask(__name__)

    @app.get("/")
    def hello():
        """A few bytes of text."""
        return "hello"

    return app
