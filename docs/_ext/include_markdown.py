"""MkDocs hook: include a Markdown file of the repository into a page, its headings one level down.

A line ``{{ include "benchmarks/RESULTS.md" }}`` in a page is replaced by that file (the path is relative
to ``mkdocs.yml``), every heading outside code blocks demoted by one level, so the file's ``#`` sections
become ``##`` sections of the page and show in its table of contents. A missing file fails the build.
Registered under ``hooks:`` in ``mkdocs.yml``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError

INCLUDE = re.compile(r'^\{\{ include "(?P<path>[^"]+)" \}\}$', re.M)


def demote(text: str) -> str:
    """Return ``text`` with every Markdown heading outside fenced code one level deeper."""
    lines = []
    fenced = False
    for line in text.split("\n"):
        if line.lstrip().startswith("```"):
            fenced = not fenced
        if not fenced and re.match(r"#{1,5} ", line):
            line = "#" + line
        lines.append(line)
    return "\n".join(lines)


def on_page_markdown(markdown: str, *, page: Any, config: Any, files: Any) -> str:
    root = Path(config.config_file_path).parent

    def include(found: re.Match[str]) -> str:
        path = root / found["path"]
        if not path.is_file():
            raise PluginError(f"{page.file.src_path}: cannot include {found['path']}: no such file")
        return demote(path.read_text())

    return INCLUDE.sub(include, markdown)
