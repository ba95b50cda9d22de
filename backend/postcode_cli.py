"""`flask postcodes rebuild`: the operator refreshes the postcode table from CBS's file."""

from pathlib import Path

import click
from flask.cli import AppGroup

from backend import postcodes, regions

postcode_cli = AppGroup("postcodes", help="The postcode table: rebuild it from CBS's file.")


def _differences(before: dict[str, str], after: dict[str, str]) -> str:
    added = len(after.keys() - before.keys())
    gone = len(before.keys() - after.keys())
    moved = sum(1 for pc4 in after.keys() & before.keys() if after[pc4] != before[pc4])
    return f"{added} new, {gone} gone, {moved} in another region than before"


@postcode_cli.command("rebuild")
@click.argument("addresses", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--gemeenten",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=postcodes.GEMEENTEN,
    show_default="backend/data/gemeente_vt_cbs2025.csv",
    help="Municipality to region: a CSV with the columns gm_code and vt_code.",
)
@click.option("--dry-run", is_flag=True, help="Say what would change; change nothing.")
def rebuild_command(addresses, gemeenten, dry_run):
    """Replace the postcode table with one made from CBS's postcode file ADDRESSES.

    ADDRESSES is CBS's "postcode huisnummer" file (PC6;Huisnummer;...;Gemeente2024), or a
    file with the columns pc4, gm_code and n_adressen. Nothing changes if a municipality in
    it has no region, or a region is not in the database.
    """
    try:
        table = postcodes.build(
            postcodes.read_addresses(addresses), postcodes.read_gemeenten(gemeenten)
        )
    except postcodes.PostcodeFileError as error:
        raise click.ClickException(str(error)) from None
    if table.unknown:
        listed = ", ".join(f"{code} ({n} postcodes)" for code, n in sorted(table.unknown.items()))
        raise click.ClickException(
            f"These municipalities have no region in {gemeenten}: {listed}. "
            "Give a file that maps them with --gemeenten. Nothing was changed."
        )
    if table.missing_regions:
        raise click.ClickException(
            f"These regions are not in the database: {', '.join(sorted(table.missing_regions))}. "
            "Give a --gemeenten file with the regions as they are now. Nothing was changed."
        )
    names = {region.code: region.name for region in regions.all_regions(include_demo=True)}
    for code, count in sorted(table.per_region().items()):
        click.echo(f"{code}  {names[code]}: {count} postcodes")
    changes = _differences(postcodes.current(), table.regions)
    if dry_run:
        click.echo(f"Would replace the postcode table: {len(table.regions)} postcodes ({changes}).")
        click.echo("Dry run: nothing was changed.")
        return
    postcodes.replace(table)
    click.echo(f"Replaced the postcode table: {len(table.regions)} postcodes ({changes}).")


def init_app(app):
    app.cli.add_command(postcode_cli)
