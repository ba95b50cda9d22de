"""The e2e harness: where things are, and the server under test."""

import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # flask and gunicorn of the virtualenv running pytest
SCREENSHOTS = ROOT / "docs" / "screenshots"
ARTIFACTS = ROOT / "e2e" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # A page that a test serves with page.route counts as a public site, and Local Network
    # Access would then refuse its frames to localhost before frame-ancestors is even read.
    "--disable-features=LocalNetworkAccessChecks",
]
TIMEOUT_MS = 10_000
DEMO_SITE = "demo-utrecht"
VIEWPORT = {"width": 1280, "height": 800}


@dataclass(frozen=True)
class Server:
    port: int
    database_url: str
    log_path: Path

    @property
    def chat_base(self) -> str:
        """Where the chat itself lives: the widget, the console, the WebSockets."""
        return f"http://localhost:{self.port}"

    @property
    def host_base(self) -> str:
        """The demo host site: another site than the chat."""
        return f"http://127.0.0.1:{self.port}"

    def widget_url(self, site_key: str = DEMO_SITE) -> str:
        return f"{self.chat_base}/w/{site_key}"

    def host_url(self, site_key: str = DEMO_SITE, page: str | None = None) -> str:
        url = f"{self.host_base}/demo/{site_key}"
        return f"{url}?page={page}" if page else url
