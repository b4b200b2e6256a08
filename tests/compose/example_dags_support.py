"""What the example DAG files name, read from their source (AST), without importing or running them.

Example::

    example_dag_ids()          # {'capella_tasking_to_s3', 'capella_archive_backfill', ...}
    connection_ids_named()     # {'capella_default', 'aws_default'}
    s3_buckets_named()         # {'capella-imagery'}
    environment_variables_read()  # {'CAPELLA_EXAMPLE_POLL_SECONDS'}
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from tests.compose.compose_support import REPO

EXAMPLE_DAGS = REPO / "example_dags"
_ENV_READERS = {"os.environ.get", "os.getenv", "environ.get", "getenv"}
_S3_URI = re.compile(r"s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?=/|$)")


def example_dag_files() -> list[Path]:
    return sorted(path for path in EXAMPLE_DAGS.glob("*.py") if not path.name.startswith("_"))


def _trees() -> Iterator[ast.Module]:
    for path in example_dag_files():
        yield ast.parse(path.read_text(), filename=str(path))


def _called_name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _string(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _dag_id_of_call(call: ast.Call) -> str | None:
    keyword = next((kw.value for kw in call.keywords if kw.arg == "dag_id"), None)
    return _string(keyword) or (_string(call.args[0]) if call.args else None)


def example_dag_ids() -> set[str]:
    """Ids of ``DAG(...)`` / ``with DAG(...)`` and of ``@dag``-decorated functions (their name by default)."""
    ids: set[str] = set()
    for tree in _trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _called_name(node) == "DAG":
                ids.update(filter(None, [_dag_id_of_call(node)]))
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for decorator in node.decorator_list:
                    if isinstance(decorator, ast.Name) and decorator.id == "dag":
                        ids.add(node.name)
                    elif isinstance(decorator, ast.Call) and _called_name(decorator) == "dag":
                        ids.add(_dag_id_of_call(decorator) or node.name)
    return ids


def _values_named(matches: Callable[[str], bool]) -> set[str]:
    """Constant values given to a keyword argument, dict key (``Param`` defaults included) or function
    parameter whose name ``matches``; Jinja-templated values are skipped (their defaults are in params)."""
    found: set[str | None] = set()
    for tree in _trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg and matches(node.arg):
                found.add(_string(node.value))
            elif isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if matches(_string(key) or ""):
                        found.update([_string(value), _param_default(value)])
            elif isinstance(node, ast.arguments):
                found.update(_string(default) for name, default in _parameter_defaults(node) if matches(name))
    return {value for value in found if value and "{{" not in value}


def connection_ids_named() -> set[str]:
    """Connection ids given to ``*conn_id`` arguments, params and parameter defaults."""
    return _values_named(lambda name: name.endswith("conn_id"))


def _parameter_defaults(arguments: ast.arguments) -> list[tuple[str, ast.expr | None]]:
    positional = [*arguments.posonlyargs, *arguments.args]
    with_defaults = positional[len(positional) - len(arguments.defaults) :]
    pairs = [(arg.arg, default) for arg, default in zip(with_defaults, arguments.defaults, strict=True)]
    return pairs + [(arg.arg, d) for arg, d in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True)]


def _param_default(node: ast.AST) -> str | None:
    """The default of ``Param("aws_default", ...)`` / ``Param(default="aws_default")``."""
    if not (isinstance(node, ast.Call) and _called_name(node) == "Param"):
        return None
    keyword = next((kw.value for kw in node.keywords if kw.arg == "default"), None)
    return _string(keyword) or (_string(node.args[0]) if node.args else None)


def s3_buckets_named() -> set[str]:
    """Buckets of literal ``s3://bucket/...`` URIs and of ``bucket`` arguments and params."""
    buckets = _values_named(lambda name: name == "bucket" or name.endswith("_bucket"))
    for tree in _trees():
        for node in ast.walk(tree):
            buckets.update(_S3_URI.findall(_string(node) or ""))
    return buckets


def environment_variables_read() -> set[str]:
    """Names read with ``os.environ.get(NAME)``, ``os.getenv(NAME)`` or ``os.environ[NAME]``."""
    names: set[str | None] = set()
    for tree in _trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and node.args and ast.unparse(node.func) in _ENV_READERS:
                names.add(_string(node.args[0]))
            elif isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
                names.add(_string(node.slice))
    return {name for name in names if name}
