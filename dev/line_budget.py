"""Fail when the provider package outgrows its line budget (DESIGN.md): ``make lint`` runs this.

The provider stays under 10,000 lines and its download engine under 2,500; every line of every ``.py``
file counts, blank lines and docstrings included, as ``wc -l`` counts them.
"""

from __future__ import annotations

import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "airflow_provider_capella"
BUDGETS = {PACKAGE: 10_000, PACKAGE / "transfer": 2_500}


def lines_under(folder: Path) -> int:
    """Count the lines of every Python file below ``folder``."""
    return sum(len(path.read_bytes().splitlines()) for path in folder.rglob("*.py"))


def main() -> int:
    over = []
    for folder, budget in BUDGETS.items():
        used = lines_under(folder)
        name = folder.relative_to(PACKAGE.parent)
        print(f"{name}: {used:,} of {budget:,} lines")
        if used > budget:
            over.append(f"{name} is {used - budget:,} lines over its budget of {budget:,}")
    for problem in over:
        print(f"error: {problem}: shrink it before adding to it", file=sys.stderr)
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
