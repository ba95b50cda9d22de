"""Static files, served by WhiteNoise: compressed (gzip, brotli), kept by browsers for a year
under names that carry a hash of their content, and still found under their plain names.

At start each blueprint's static folder is copied under hashed names into STATIC_ROOT, with
a .gz and a .br beside each file, unless that name is there already: a file is written once,
the first time its content is seen, and never again. So a restart hashes a few files and
writes nothing; processes starting together write the same bytes under the same name, each
through a rename of its own temporary file; and a process never finds a file it already
served changed under it. Older hashed files stay, so a page of the previous version that is
still open can load them during a rolling restart.

Templates name a file as they would with url_for: `static_url("widget.static",
filename="widget.css")`. A changed file gets a new URL, so its cache may last forever. A plain
name (the snippet's launcher.css, pasted into other sites) is the same file, kept for a few
minutes and then asked again with its ETag.
"""

import hashlib
import os
import re
import tempfile
from pathlib import Path, PurePosixPath

from flask import Flask, current_app, url_for
from whitenoise import WhiteNoise
from whitenoise.compress import Compressor

YEAR = 365 * 24 * 60 * 60
# A plain name is fresh this long; then the browser asks again and mostly gets a 304. Short,
# so that a new launcher.css reaches every host page within minutes.
PLAIN_MAX_AGE = 300
HASH_LENGTH = 12
HASHED = re.compile(rf"\.([0-9a-f]{{{HASH_LENGTH}}})(?:\.[^./]+)?$")
# Written by this module's own temporary files while they are being filled.
TEMPORARY = ".tmp-"


def hashed_name(relative: str, content: bytes) -> str:
    """`vendor/htmx.min.js` -> `vendor/htmx.min.<12 hex digits of its sha256>.js`."""
    digest = hashlib.sha256(content).hexdigest()[:HASH_LENGTH]
    path = PurePosixPath(relative)
    return str(path.with_name(f"{path.stem}.{digest}{path.suffix}"))


def build(source: Path, target: Path) -> dict[str, str]:
    """Copy `source` into `target` under hashed names, compressed beside; plain -> hashed."""
    names = {}
    for path in sorted(source.rglob("*")):
        if not path.is_file() or path.name.startswith("."):
            continue
        relative = path.relative_to(source).as_posix()
        content = path.read_bytes()
        names[relative] = hashed_name(relative, content)
        written = target / names[relative]
        if not written.exists():
            _write_once(written, content)
    return names


def _write_once(path: Path, content: bytes) -> None:
    """The file and its compressed copies; the file last, so whoever finds it finds them."""
    compressor = Compressor(quiet=True)
    copies = []
    if compressor.should_compress(path.name):
        for suffix, compress in ((".br", compressor.compress_brotli), (".gz", _gzip)):
            smaller = compress(content)
            if compressor.is_compressed_effectively(suffix, str(path), len(content), smaller):
                copies.append((path.with_name(path.name + suffix), smaller))
    path.parent.mkdir(parents=True, exist_ok=True)
    for where, data in [*copies, (path, content)]:
        _write_atomically(where, data)


def _gzip(content: bytes) -> bytes:
    return Compressor.compress_gzip(content)


def _write_atomically(path: Path, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=TEMPORARY)
    try:
        with os.fdopen(handle, "wb") as f:
            f.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class StaticFiles(WhiteNoise):
    """WhiteNoise serving hashed names for a year and plain names (aliases) briefly."""

    def __init__(self, application):
        super().__init__(
            application,
            max_age=PLAIN_MAX_AGE,
            allow_all_origins=False,  # nothing of ours is fetched with CORS
            add_headers_function=self._our_headers,
        )
        self.plain_urls: set[str] = set()

    def add_folder(self, prefix: str, folder: Path, names: dict[str, str]) -> None:
        """Every hashed file in `folder` (older ones too) at `prefix`, and the plain names."""
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.name.startswith(TEMPORARY):
                url = prefix + path.relative_to(folder).as_posix()
                if HASHED.search(url):
                    self.add_file_to_dictionary(url, str(path))
        for plain, hashed in names.items():
            self.plain_urls.add(prefix + plain)
            self.add_file_to_dictionary(prefix + plain, str(folder / hashed))

    def immutable_file_test(self, path, url):
        return url not in self.plain_urls

    def add_cache_headers(self, headers, path, url):
        if self.immutable_file_test(path, url):
            headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
        else:
            headers["Cache-Control"] = f"public, max-age={self.max_age}"

    @staticmethod
    def _our_headers(headers, path, url):
        # What the app's own answers carry (backend/security.py); these never reach Flask.
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "no-referrer"
        # The content's hash, not WhiteNoise's mtime and size: the same on every host, so a
        # browser's If-None-Match gets its 304 from whichever instance answers.
        headers["ETag"] = f'"{HASHED.search(path).group(1)}"'


def static_url(endpoint: str, filename: str) -> str:
    """`url_for("widget.static", filename=...)`, under the file's hashed name (a template
    global); a name that is no file of that folder fails as loudly as url_for would."""
    blueprint = endpoint.removesuffix(".static")
    hashed = current_app.extensions["static_names"][blueprint][filename]
    return url_for(endpoint, filename=hashed)


def init_app(app: Flask) -> None:
    """After the blueprints: their static folders, built into STATIC_ROOT and served."""
    root = Path(app.config["STATIC_ROOT"])
    files = StaticFiles(app.wsgi_app)
    names = {}
    for name, blueprint in app.blueprints.items():
        if not blueprint.has_static_folder:
            continue
        rule = next(app.url_map.iter_rules(f"{name}.static")).rule  # /w/static/<path:filename>
        names[name] = build(Path(blueprint.static_folder), root / name)
        files.add_folder(rule.split("<", 1)[0], root / name, names[name])
    app.wsgi_app = files
    app.extensions["static_names"] = names
    app.add_template_global(static_url)
