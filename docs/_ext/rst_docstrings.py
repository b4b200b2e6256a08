"""A Griffe extension that lets mkdocstrings render the package's Sphinx (reST) docstrings as Sphinx would.

Griffe's Sphinx parser ends a ``:param:`` / ``:return:`` field only at the next field, so a paragraph
after the field list (the ``Example::`` block every public class has) would be swallowed into the last
field, and reST markup (``Example::`` literal blocks, ``:class:`` roles) would show as raw text. Before
any docstring is parsed, this extension:

- moves the paragraphs that follow a field list in front of it (reST ends a field list at the first
  unindented line, so this changes nothing a Sphinx reader would see);
- turns a ``Text::`` literal block into ``Text:`` and a fenced Python code block;
- turns ``:class:`~a.b.C``` and the other Python roles into inline code (``C``);
- checks that every ``:param name:`` names a parameter of the signature, unless the signature takes
  ``**kwargs`` (an operator documents the arguments it forwards to its base class); a mismatch is a
  warning, so ``mkdocs build --strict`` fails on it.

Configured in ``mkdocs.yml`` (``plugins.mkdocstrings.handlers.python.options.extensions``).
"""

from __future__ import annotations

import logging
import re
import textwrap
from typing import Any

import griffe

LOG = logging.getLogger("mkdocs.plugins.capella_docstrings")

FIELD = re.compile(
    r"^:(param|parameter|arg|argument|key|keyword|type|raises?|except|exception|returns?|rtype|"
    r"var|ivar|cvar|vartype|yields?|ytype)\b"
)
PARAM = re.compile(r"^:(?:param|parameter|arg|argument|key|keyword)\s+(?:[^:\s]+\s+)?\**(\w+)\s*:")
ROLE = re.compile(r":(?:py:)?(?:class|mod|meth|func|attr|exc|data|obj|const):`~?([^`]+)`")


def _role(match: re.Match[str]) -> str:
    target = match.group(1)
    whole = match.group(0)
    shown = target.rsplit(".", 1)[-1] if "`~" in whole else target
    return f"`{shown}`"


def split_fields(lines: list[str]) -> tuple[list[str], list[str], list[str]]:
    """Split a docstring into the text before its field list, the field list, and the text after it."""
    before: list[str] = []
    fields: list[str] = []
    after: list[str] = []
    state = "before"
    for line in lines:
        if FIELD.match(line):
            state = "fields"
            fields.append(line)
        elif state == "before":
            before.append(line)
        elif state == "fields" and (not line.strip() or line[:1].isspace()):
            fields.append(line)
        else:
            state = "after"
            after.append(line)
    return before, fields, after


def literal_blocks(lines: list[str]) -> list[str]:
    """Turn each reST ``Text::`` + indented block into ``Text:`` + a fenced Python block."""
    out: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        stripped = line.rstrip()
        if not stripped.endswith("::"):
            out.append(line)
            index += 1
            continue
        indent = len(line) - len(line.lstrip())
        block: list[str] = []
        cursor = index + 1
        while cursor < len(lines) and (
            not lines[cursor].strip() or len(lines[cursor]) - len(lines[cursor].lstrip()) > indent
        ):
            block.append(lines[cursor])
            cursor += 1
        if not any(part.strip() for part in block):
            out.append(line)
            index += 1
            continue
        lead = stripped[:-2].rstrip()
        if lead.strip():
            out.append(lead + ":")
        code = textwrap.dedent("\n".join(block)).strip("\n")
        out.extend(["", " " * indent + "```python"])
        out.extend((" " * indent + row) if row else "" for row in code.split("\n"))
        out.extend([" " * indent + "```", ""])
        index = cursor
    return out


def normalise(text: str) -> str:
    """Return the docstring with its field list last, literal blocks fenced and roles as inline code."""
    before, fields, after = split_fields(text.split("\n"))
    while fields and not fields[-1].strip():
        fields.pop()
    prose = literal_blocks([*before, *([""] if after else []), *after])
    while prose and not prose[-1].strip():
        prose.pop()
    joined = "\n".join([*prose, *([""] if fields and prose else []), *fields])
    return ROLE.sub(_role, joined)


def _signature_names(obj: griffe.Object) -> tuple[set[str], bool] | None:
    target: Any = obj
    if obj.is_class:
        target = obj.members.get("__init__")
        if target is None or target.is_alias:
            return None
    if not target.is_function:
        return None
    names = {parameter.name for parameter in target.parameters}
    var_keyword = any(parameter.kind is griffe.ParameterKind.var_keyword for parameter in target.parameters)
    return names, var_keyword


def check_params(obj: griffe.Object, text: str) -> None:
    """Warn about ``:param name:`` entries that name no parameter of the signature."""
    signature = _signature_names(obj)
    if signature is None:
        return
    names, var_keyword = signature
    if var_keyword:
        return
    for line in text.split("\n"):
        found = PARAM.match(line)
        if found and found.group(1) not in names:
            LOG.warning("%s: ':param %s:' is not a parameter of its signature", obj.path, found.group(1))


class RstDocstrings(griffe.Extension):
    """Normalise every docstring of the loaded package before mkdocstrings parses it.

    Example::

        # mkdocs.yml, under plugins > mkdocstrings > handlers > python > options:
        extensions:
          - docs/_ext/rst_docstrings.py
    """

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        self._visit(pkg, set())

    def _visit(self, obj: griffe.Object, seen: set[str]) -> None:
        if obj.path in seen:
            return
        seen.add(obj.path)
        if obj.docstring is not None:
            check_params(obj, obj.docstring.value)
            obj.docstring.value = normalise(obj.docstring.value)
        for member in obj.members.values():
            if not member.is_alias:
                self._visit(member, seen)
