"""Before `make test`: Chromium for the browser tests, installed if it can be, else one stop.

Playwright's own build is used when it is there, else Debian's (/usr/bin/chromium). When
neither is, root installs Debian's package; anyone else gets Playwright's download, and if
that cannot be had either, the one command to run, at once, instead of a page of errors.
"""

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from e2e.harness import CHROMIUM

APT = ["apt-get", "install", "-y", "-qq", "chromium"]
HINT = "sudo apt-get install chromium   (or: .venv/bin/playwright install chromium)"


def playwright_build() -> Path | None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        path = Path(p.chromium.executable_path)
    return path if path.exists() else None


def found() -> bool:
    return Path(CHROMIUM).exists() or playwright_build() is not None


def _run(command: list[str]) -> bool:
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    return subprocess.run(command, env=environment, check=False).returncode == 0


def ensure(
    found: Callable[[], bool] = found,
    is_root: bool | None = None,
    run: Callable[[list[str]], bool] = _run,
) -> int:
    """0 when a Chromium is there (now); else 1, having said what to run."""
    if found():
        return 0
    is_root = os.geteuid() == 0 if is_root is None else is_root
    print("Chromium for the browser tests is missing: installing it.", file=sys.stderr)
    if is_root:
        run(["apt-get", "update", "-qq"])
        installed = run(APT)
    else:
        installed = run([sys.executable, "-m", "playwright", "install", "chromium"])
    if installed and found():
        return 0
    print(
        f"Could not install Chromium. Run this, then `make test` again:\n  {HINT}", file=sys.stderr
    )
    return 1


if __name__ == "__main__":
    sys.exit(ensure())
