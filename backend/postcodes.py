"""The postcode table from CBS's public files: four digits to a municipality to a region.

CBS publishes every address's six-character postcode with its municipality ("Buurt, wijk en
gemeente ... voor postcode huisnummer", file pc6hnr..._gwb.csv: PC6;Huisnummer;...;
Gemeente2024). A four-digit postcode belongs to the municipality most of its addresses are
in, and so to that municipality's Veilig Thuis region (data/gemeente_vt_cbs2025.csv, or a
file in its columns). See data/SOURCES.txt.
"""

import csv
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete
from sqlmodel import select

from backend import db
from backend.models import Postcode, Region

DATA = Path(__file__).resolve().parent / "data"
GEMEENTEN = DATA / "gemeente_vt_cbs2025.csv"
# Columns, by lower-case header: the postcode (six characters, or four), the municipality
# (CBS: Gemeente2024 as "0363"; ours: gm_code as "GM0363") and, if given, how many addresses
# a row counts for (ours: n_adressen; CBS has a row per address).
POSTCODE_COLUMNS = ("pc6", "pc4", "postcode")
GEMEENTE = re.compile(r"gemeente\d{4}|gm_code|gemeentecode")
WEIGHT_COLUMNS = ("n_adressen",)
PC4 = re.compile(r"[1-9][0-9]{3}")
GM_CODE = re.compile(r"(?:GM)?([0-9]{1,4})", re.IGNORECASE)


class PostcodeFileError(Exception):
    """A file that cannot be read as the postcode or municipality file: says why."""


@dataclass
class Table:
    """The postcode table a file makes, before it replaces the one in the database."""

    regions: dict[str, str]  # pc4 -> region code
    unknown: dict[str, int] = field(default_factory=dict)  # gemeente code -> postcodes
    missing_regions: set[str] = field(default_factory=set)  # region codes not in the database

    def per_region(self) -> Counter:
        return Counter(self.regions.values())


def _reader(path: Path):
    """Rows of a CSV file separated by semicolons (CBS) or commas (ours), header lower-cased."""
    try:
        f = path.open(newline="", encoding="utf-8-sig")
    except OSError as error:
        raise PostcodeFileError(f"{path}: {error.strerror}") from None
    with f:
        first = f.readline()
        delimiter = ";" if first.count(";") > first.count(",") else ","
        header = [name.strip().strip('"').lower() for name in first.strip().split(delimiter)]
        for number, row in enumerate(csv.reader(f, delimiter=delimiter), start=2):
            if row:
                yield number, dict(zip(header, row, strict=False)), header


def _column(header: list[str], path: Path, names=(), pattern=None, what="") -> str | None:
    for name in header:
        if name in names or (pattern is not None and pattern.fullmatch(name)):
            return name
    if what:
        raise PostcodeFileError(f"{path}: no column for {what} (the header is {','.join(header)})")
    return None


def gm_code(value: str) -> str | None:
    """ "363", "0363" or "GM0363" as GM0363; None for anything else."""
    found = GM_CODE.fullmatch(value.strip())
    return f"GM{int(found.group(1)):04d}" if found else None


def read_gemeenten(path: Path = GEMEENTEN) -> dict[str, str]:
    """Municipality code to region code, from a file with the columns gm_code and vt_code."""
    mapping = {}
    for number, row, header in _reader(path):
        if not mapping:
            _column(header, path, ("gm_code",), what="the municipality (gm_code)")
            _column(header, path, ("vt_code",), what="the region (vt_code)")
        code = gm_code(row.get("gm_code", ""))
        if code is None or not row.get("vt_code", "").strip():
            raise PostcodeFileError(f"{path}, line {number}: no municipality or region code")
        mapping[code] = row["vt_code"].strip()
    return mapping


def read_addresses(path: Path) -> Counter:
    """Addresses per (four-digit postcode, municipality code) in a CBS postcode file."""
    counts: Counter = Counter()
    columns = None
    for number, row, header in _reader(path):
        if columns is None:
            columns = (
                _column(header, path, POSTCODE_COLUMNS, what="the postcode (PC6 or pc4)"),
                _column(header, path, pattern=GEMEENTE, what="the municipality (Gemeente2024)"),
                _column(header, path, WEIGHT_COLUMNS),
            )
        postcode, gemeente, weight = columns
        pc4 = row.get(postcode, "").strip().strip('"')[:4]
        code = gm_code(row.get(gemeente, "").strip('"'))
        if not PC4.fullmatch(pc4) or code is None:
            raise PostcodeFileError(
                f"{path}, line {number}: not a postcode and municipality code: "
                f"{row.get(postcode, '')!r}, {row.get(gemeente, '')!r}"
            )
        try:
            counts[pc4, code] += int(row[weight]) if weight else 1
        except ValueError:
            raise PostcodeFileError(f"{path}, line {number}: {weight} is not a number") from None
    if not counts:
        raise PostcodeFileError(f"{path}: no postcodes in it")
    return counts


def build(addresses: Counter, gemeenten: dict[str, str]) -> Table:
    """Each postcode's region: that of the municipality with most of its addresses (on a tie,
    the lowest code). A municipality without a region is counted in `unknown`."""
    best: dict[str, tuple[int, str]] = {}
    for (pc4, code), count in addresses.items():
        kept = best.get(pc4)
        if kept is None or (-count, code) < (-kept[0], kept[1]):
            best[pc4] = (count, code)
    table = Table(regions={})
    unknown: Counter = Counter()
    for pc4, (_count, code) in sorted(best.items()):
        if code in gemeenten:
            table.regions[pc4] = gemeenten[code]
        else:
            unknown[code] += 1
    table.unknown = dict(unknown)
    with db.session() as s:
        known = set(s.exec(select(Region.code)))
    table.missing_regions = set(table.regions.values()) - known
    return table


def current() -> dict[str, str]:
    """The postcode table in the database: pc4 -> region code."""
    with db.session() as s:
        return {pc4: code for pc4, code in s.exec(select(Postcode.pc4, Postcode.region_code))}


def replace(table: Table) -> None:
    """The database's postcode table becomes exactly `table`, in one commit."""
    with db.session() as s:
        s.execute(delete(Postcode))
        s.add_all(Postcode(pc4=pc4, region_code=code) for pc4, code in table.regions.items())
        s.commit()
