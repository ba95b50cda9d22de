"""What a host page costs the chat's server, before the launcher opens and after.

Two real gunicorns in one run, measured with the same Chromium: this tree, and the baseline
commit (BENCH_HOST_PAGE_BASELINE, by default the last one before lean host pages) taken from
`git archive`. Without git or that commit, the baseline's figures from issue 8 are printed
as text instead.

1. Bytes to a usable pop-up, cache empty: the pop-up's page, its stylesheets and scripts
   and the launcher's stylesheet, as the server sends them to a client that accepts no
   compression, gzip, or brotli (Chromium takes brotli).
2. A host page view that never opens the launcher: requests that reach the chat's server
   (counted in its access log) and body bytes on the wire, for the first page of the site
   and for the next one, with Chromium's cache as a visitor's.
3. A visitor with an open chat moves to another page of the site: what that costs before
   the launcher opens, and the time from the click on the launcher to the whole history on
   screen (median of BENCH_HOST_PAGE_ROUNDS, default 5).

Figures are printed, never asserted.
"""

import io
import os
import re
import statistics
import subprocess
import tarfile
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from unittest import mock

from playwright.sync_api import sync_playwright

from bench.table import ms, print_table
from e2e import flows, harness
from e2e.harness import BIN, CHROMIUM, CHROMIUM_ARGS, ROOT, VIEWPORT, Server, serve

BASELINE = os.environ.get("BENCH_HOST_PAGE_BASELINE", "7fce49a707679481eef8af298555bb5cf6a52af6")
ROUNDS = int(os.environ.get("BENCH_HOST_PAGE_ROUNDS", "5"))
# What the demo host site asks of the same gunicorn for itself: not the chat's cost.
HOST_PATHS = ("/demo/", "/embed/v1/demo-host", "/favicon.ico")
ISSUE_FIGURES = "66 KB uncompressed, every request revalidated on every view (issue 8)"
ENCODINGS = (("none", "identity"), ("gzip", "gzip"), ("brotli", "br"))


@contextmanager
def baseline_tree(commit: str) -> Iterator[Path | None]:
    """The baseline commit's files in a temporary folder, its catalogue compiled; or None."""
    try:
        archive = subprocess.run(["git", "archive", commit], cwd=ROOT, capture_output=True)
    except FileNotFoundError:  # no git on this machine
        archive = None
    if archive is None or archive.returncode != 0:
        yield None
        return
    with tempfile.TemporaryDirectory() as folder:
        tree = Path(folder)
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(tree, filter="data")
        subprocess.run(
            [str(BIN / "pybabel"), "compile", "--use-fuzzy", "-d", "backend/translations"],
            cwd=tree,
            check=True,
            capture_output=True,
        )
        yield tree


@contextmanager
def running(tree: Path | None) -> Iterator[Server]:
    """gunicorn serving `tree` (None: this one); the harness runs whatever its ROOT holds."""
    swap = mock.patch.object(harness, "ROOT", tree) if tree else nullcontext()
    with tempfile.TemporaryDirectory() as folder, swap, serve(Path(folder)) as server:
        yield server


def fetch(url: str, encoding: str) -> bytes:
    """The body as it came over the wire (still compressed), for one Accept-Encoding."""
    request = urllib.request.Request(url, headers={"Accept-Encoding": encoding})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read()


def popup_bytes(server: Server) -> dict[str, int]:
    """Bytes of everything a usable pop-up needs, per encoding the client accepts."""
    page = fetch(server.widget_url(), "identity").decode()
    parts = re.findall(r'<(?:link rel="stylesheet" href|script src)="([^"]+)"', page)
    host_page = fetch(server.host_url(), "identity").decode()
    # The launcher's stylesheet as the snippet names it (per site since themes; plain before).
    (launcher_css,) = re.findall(r'href="([^"]*/launcher\.css)"', host_page)
    urls = [server.widget_url(), launcher_css]
    urls += [server.chat_base + part for part in parts]
    return {name: sum(len(fetch(url, accepted)) for url in urls) for name, accepted in ENCODINGS}


class Traffic:
    """What one page (its frames too) gets from the chat host, and what its server logs."""

    def __init__(self, page, server: Server):
        self.server, self.requests, self.sockets = server, [], 0
        self.offset = server.log_path.stat().st_size
        page.on("requestfinished", self._finished)
        page.on("websocket", self._socket)

    def _finished(self, request):
        if request.url.startswith(self.server.chat_base):
            self.requests.append(request)

    def _socket(self, _socket):
        self.sockets += 1

    def take(self) -> tuple[int, int, int]:
        """Since the last take: requests the server logged, body bytes received, sockets."""
        time.sleep(0.5)  # gunicorn writes its line just after the answer
        log = self.server.log_path.read_bytes()
        lines, self.offset = log[self.offset :].decode(errors="replace"), len(log)
        paths = re.findall(r'"[A-Z]+ (\S+)"', lines)
        logged = [path for path in paths if not path.startswith(HOST_PATHS)]
        # A response from the cache came over no wire: Chromium counts it as less than none.
        received = sum(max(0, request.sizes()["responseBodySize"]) for request in self.requests)
        sockets, self.requests, self.sockets = self.sockets, [], 0
        return len(logged), received, sockets


def host_page_views(browser, server: Server) -> dict[str, tuple[int, int, int]]:
    """A fresh visitor: the first page, the next page, then the launcher opened."""
    context = browser.new_context(viewport=VIEWPORT, locale="nl-NL")
    page = context.new_page()
    traffic = Traffic(page, server)
    page.goto(server.host_url())
    views = {"first page": traffic.take()}
    page.goto(server.host_url(page="advies"))
    views["next page"] = traffic.take()
    flows.open_popup(page)
    flows.widget_frame(page).wait_for_load_state("load")
    views["launcher opened"] = traffic.take()
    context.close()
    return views


def resumed(browser, server: Server) -> tuple[list, list[float]]:
    """A visitor in a chat moves on ROUNDS times: cost before opening, then click to history."""
    visitor = browser.new_context(viewport=VIEWPORT, locale="nl-NL").new_page()
    worker = browser.new_context(viewport=VIEWPORT, locale="nl-NL").new_page()
    popup = flows.in_conversation(visitor, worker, server, "Bench")
    flows.worker_send(worker, "Hoi, ik ben Sanne. Waar wil je over praten?")
    flows.visitor_send(popup, "Over thuis.")
    last = visitor.frame_locator(flows.IFRAME).locator(".vt-msg-body", has_text="Over thuis.")
    costs, seconds = [], []
    for n in range(ROUNDS):
        traffic = Traffic(visitor, server)
        visitor.goto(server.host_url(page="advies" if n % 2 == 0 else None))
        costs.append(traffic.take())
        started = time.perf_counter()
        visitor.locator(f"{flows.LAUNCHER} > summary").click()
        last.wait_for(state="visible")
        seconds.append(time.perf_counter() - started)
    visitor.context.close()
    worker.context.close()
    return costs, seconds


def measure(browser, tree: Path | None) -> dict:
    with running(tree) as server:
        return {
            "bytes": popup_bytes(server),
            "views": host_page_views(browser, server),
            "resumed": resumed(browser, server),
        }


def kb(count: int) -> str:
    return f"{count / 1000:,.1f} KB"


def cost(figures: tuple[int, int, int]) -> str:
    requests, received, sockets = figures
    socket = f" + {sockets} socket" if sockets else ""
    return f"{requests} req{socket}, {kb(received)}"


def main():
    with (
        baseline_tree(BASELINE) as old_tree,
        sync_playwright() as p,
    ):
        bundled = None if Path(p.chromium.executable_path).exists() else CHROMIUM
        browser = p.chromium.launch(executable_path=bundled, args=CHROMIUM_ARGS)
        now = measure(browser, None)
        before = measure(browser, old_tree) if old_tree else None
        browser.close()

    label = f"before ({BASELINE[:7]})" if before else "before"
    print_table(
        "bench host_page: bytes to a usable pop-up, cache empty (page, CSS, scripts, launcher.css)",
        ["client accepts", label, "now"],
        [
            [name, kb(before["bytes"][name]) if before else "-", kb(now["bytes"][name])]
            for name, _ in ENCODINGS
        ],
        notes=[] if before else [f"before: {ISSUE_FIGURES}"],
    )
    print_table(
        "bench host_page: a host page view, launcher never opened (Chromium, its own cache)",
        ["view", label, "now"],
        [
            [view, cost(before["views"][view]) if before else "-", cost(now["views"][view])]
            for view in ("first page", "next page", "launcher opened")
        ],
        notes=[
            "req: requests that reached the chat's server (its access log); KB: bodies on the "
            "wire (brotli where offered); the launcher's stylesheet stays fresh for 300 s, "
            "then costs one 304",
            *([] if before else [f"before: {ISSUE_FIGURES}"]),
        ],
    )
    rows = []
    for name, figures in (("before", before), ("now", now)):
        if figures:
            costs, seconds = figures["resumed"]
            rows.append(
                [
                    label if name == "before" else name,
                    cost(costs[len(costs) // 2]),
                    ms(statistics.median(seconds)),
                    ms(max(seconds)),
                ]
            )
    print_table(
        f"bench host_page: a visitor in a chat moves to another page ({ROUNDS} times)",
        ["", "cost before opening", "click to history, median", "max"],
        rows,
    )


if __name__ == "__main__":
    main()
