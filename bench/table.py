"""Printing figures: one table per benchmark, the measured beside its baseline and goal."""

import math
import statistics


def print_table(title: str, header: list[str], rows: list[list[str]], notes=()) -> None:
    """Columns padded to their widest cell; the first column left, the rest right-aligned."""
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]

    def line(cells):
        first = str(cells[0]).ljust(widths[0])
        rest = (str(cell).rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True))
        return "  " + "   ".join([first, *rest]).rstrip()

    print(f"\n{title}")
    print(line(header))
    print("  " + "-" * (sum(widths) + 3 * (len(widths) - 1)))
    for row in rows:
        print(line(row))
    for note in notes:
        print(f"  {note}")


def ms(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    value = seconds * 1000
    return f"{value:.2f} ms" if value < 10 else f"{value:,.0f} ms"


def percentile(sorted_values: list[float], share: float) -> float | None:
    """The value below which `share` of the (sorted) values lie; nearest rank."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(share * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None
