"""The Dutch catalogue: complete, reviewed, and covering every string the code shows."""

from pathlib import Path

import pytest
from babel.messages import pofile
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg

from tests.helpers import DEMO_SITE, text_of

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "backend" / "translations" / "nl" / "LC_MESSAGES" / "messages.po"


def read_catalogue():
    with PO.open("rb") as f:
        return pofile.read_po(f, locale="nl")


def entries():
    return [message for message in read_catalogue() if message.id]


def label(message) -> str:
    text = message.id if isinstance(message.id, str) else message.id[0]
    return text[:60]


def test_the_catalogue_is_dutch():
    assert str(read_catalogue().locale) == "nl"
    assert len(entries()) > 50


@pytest.mark.parametrize("message", entries(), ids=label)
def test_every_message_has_a_reviewed_dutch_translation(message):
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    assert all(s.strip() for s in strings), "no Dutch translation"
    assert not message.fuzzy, "marked fuzzy: review the Dutch and remove the flag"


def test_translations_keep_their_placeholders():
    catalogue = read_catalogue()
    problems = [
        f"{label(message)}: {error}" for message, errors in catalogue.check() for error in errors
    ]
    assert problems == []


def code_messages() -> set[str]:
    """Every translatable string in the code and templates, as `make messages` extracts them."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    keywords = {**DEFAULT_KEYWORDS, "_l": None}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_string_in_the_code_is_in_the_catalogue():
    """Otherwise a visitor would see that text in English."""
    in_catalogue = {m.id if isinstance(m.id, str) else m.id[0] for m in entries()}
    missing = sorted(code_messages() - in_catalogue)
    assert missing == [], "run `make messages` and translate these"


def test_pages_are_shown_in_dutch_not_in_the_source_language(client):
    page = text_of(client.get(f"/w/{DEMO_SITE}").text)
    assert "Verberg deze pagina" in page
    assert "Hide this page" not in page
    assert "The chat is open now." not in page
