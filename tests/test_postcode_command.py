"""`flask postcodes rebuild` makes the postcode table from CBS's postcode file: in one go, or
not at all when a municipality has no region, and only telling with --dry-run."""

import pytest

from backend import postcodes, regions
from backend.postcodes import DATA

# As CBS publishes it (pc6hnr20240801_gwb.csv): an address a line, separated by semicolons.
CBS = """PC6;Huisnummer;Buurt2024;Wijk2024;Gemeente2024
9401AA;1;01060101;010601;0106
9401AA;3;01060101;010601;0106
9401AB;2;01060101;010601;0106
9711AA;1;00140101;001401;0014
9711AB;5;00140101;001401;0014
7941AA;1;01190101;011901;0119
7941AB;2;01190101;011901;0119
7941AC;4;01140101;011401;0114
"""
# Assen (GM0106) is in Drenthe (VT02), Groningen (GM0014) in Groningen (VT08); 7941 has two
# addresses in Meppel (GM0119) and one in Emmen (GM0114), both in Drenthe.


@pytest.fixture
def cbs_file(tmp_path):
    path = tmp_path / "pc6hnr.csv"
    path.write_text(CBS, encoding="utf-8")
    return path


def table(app) -> dict[str, str]:
    with app.app_context():
        return postcodes.current()


def test_the_table_is_replaced_by_the_files_postcodes_with_counts_per_region(app, runner, cbs_file):
    result = runner.invoke(args=["postcodes", "rebuild", str(cbs_file)])
    assert result.exit_code == 0, result.output
    assert table(app) == {"9401": "VT02", "9711": "VT08", "7941": "VT02"}
    assert "VT02  Drenthe: 2 postcodes" in result.output
    assert "VT08  Groningen: 1 postcodes" in result.output
    assert "Replaced the postcode table: 3 postcodes" in result.output
    # 7941 lies in two municipalities: it goes with most of its addresses (Meppel's two).
    with app.app_context():
        assert regions.by_postcode("9711").name == "Groningen"
        assert regions.by_postcode("1011") is None


def test_a_dry_run_says_what_it_would_do_and_changes_nothing(app, runner, cbs_file):
    before = table(app)
    result = runner.invoke(args=["postcodes", "rebuild", "--dry-run", str(cbs_file)])
    assert result.exit_code == 0, result.output
    assert "Would replace the postcode table: 3 postcodes" in result.output
    assert "Dry run: nothing was changed." in result.output
    assert table(app) == before
    assert len(before) == 4072


def test_an_unknown_municipality_is_refused_and_nothing_changes(app, runner, cbs_file, tmp_path):
    cbs_file.write_text(CBS + "1234AB;1;99990101;999901;9999\n", encoding="utf-8")
    before = table(app)
    result = runner.invoke(args=["postcodes", "rebuild", str(cbs_file)])
    assert result.exit_code == 1
    assert "These municipalities have no region" in result.output
    assert "GM9999 (1 postcodes)" in result.output
    assert "Nothing was changed." in result.output
    assert table(app) == before


def test_a_mapping_file_of_ones_own_can_be_given(app, runner, cbs_file, tmp_path):
    # Emmen is left out: 7941 goes with Meppel, where most of its addresses are.
    mapping = tmp_path / "gemeenten.csv"
    mapping.write_text(
        "gm_code,gm_naam,vt_code\nGM0106,Assen,VT08\nGM0014,Groningen,VT08\nGM0119,Meppel,VT02\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        args=["postcodes", "rebuild", "--gemeenten", str(mapping), str(cbs_file)]
    )
    assert result.exit_code == 0, result.output
    assert table(app) == {"9401": "VT08", "9711": "VT08", "7941": "VT02"}


def test_a_region_that_is_not_in_the_database_is_refused(app, runner, cbs_file, tmp_path):
    mapping = tmp_path / "gemeenten.csv"
    mapping.write_text(
        "gm_code,vt_code\nGM0106,VT99\nGM0014,VT08\nGM0119,VT02\nGM0114,VT02\n", encoding="utf-8"
    )
    before = table(app)
    result = runner.invoke(
        args=["postcodes", "rebuild", "--gemeenten", str(mapping), str(cbs_file)]
    )
    assert result.exit_code == 1
    assert "These regions are not in the database: VT99." in result.output
    assert table(app) == before


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("PC6;Huisnummer\n9401AA;1\n", "no column for the municipality"),
        ("PC6;Gemeente2024\nABCDEF;0106\n", "line 2: not a postcode and municipality code"),
        ("PC6;Gemeente2024\n", "no postcodes in it"),
    ],
)
def test_a_file_that_is_not_the_cbs_file_is_refused_in_words(app, runner, tmp_path, text, words):
    path = tmp_path / "odd.csv"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(args=["postcodes", "rebuild", str(path)])
    assert result.exit_code == 1
    assert words in result.output
    assert len(table(app)) == 4072


def test_the_shipped_file_rebuilds_the_seeded_table_exactly(app, runner):
    """The shipped table (pc4, gm_code, n_adressen) is a valid input: the same table comes out."""
    before = table(app)
    result = runner.invoke(args=["postcodes", "rebuild", str(DATA / "pc4_gemeente_vt_2024.csv")])
    assert result.exit_code == 0, result.output
    assert "(0 new, 0 gone, 0 in another region than before)" in result.output
    assert table(app) == before
