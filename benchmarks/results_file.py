"""``benchmarks/RESULTS.md`` holds one section per benchmark; each run rewrites only its own section.

Example::

    write_section(RESULTS, "triggers", "# 1,000 deferrable triggers\n...")
"""

from __future__ import annotations

import re
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
ORDER = ("downloads", "versus", "triggers")


def write_section(path: Path, name: str, markdown: str) -> None:
    """Replace (or add) the section ``name`` of ``path``, keeping the other benchmarks' sections."""
    sections = read_sections(path)
    sections[name] = markdown.strip()
    names = [known for known in ORDER if known in sections] + sorted(set(sections) - set(ORDER))
    blocks = [f"<!-- section: {known} -->\n{sections[known]}\n<!-- end: {known} -->" for known in names]
    path.write_text("\n\n".join(blocks) + "\n")


def read_sections(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    pattern = re.compile(r"<!-- section: (\S+) -->\n(.*?)\n<!-- end: \1 -->", re.DOTALL)
    return {match.group(1): match.group(2) for match in pattern.finditer(path.read_text())}
