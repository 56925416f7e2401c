"""Benchmarks. Each prints a table; none asserts on timing. Run as `python -m bench.<name>`."""

import os


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()


def print_table(headers: list[str], rows: list[list]) -> None:
    """A row shorter than the headers (e.g. [name, "not installed: ..."]) lets its last cell run across the rest."""
    cells = [headers] + [[f"{c:,.1f}" if isinstance(c, float) else f"{c:,}" if isinstance(c, int) else str(c)
                          for c in row] for row in rows]
    full = [row for row in cells if len(row) == len(headers)]
    widths = [max(len(row[i]) for row in full) for i in range(len(headers))]
    for index, row in enumerate(cells):
        if len(row) < len(headers):
            print("  ".join([cell.ljust(width) for cell, width in zip(row[:-1], widths[: len(row) - 1], strict=True)]
                            + [row[-1]]))
            continue
        # Text in the first column reads left to right; numbers line up on the right.
        pairs = enumerate(zip(row, widths, strict=True))
        padded = [cell.ljust(width) if col == 0 else cell.rjust(width) for col, (cell, width) in pairs]
        print("  ".join(padded))
        if index == 0:
            print("  ".join("-" * width for width in widths))
