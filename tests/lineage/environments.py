"""Environments for the lineage tests: the run's OpenLineage events, and an Airflow without the provider.

Example::

    python = python_without_openlineage()   # this session's packages without the openlineage extra
    events = read_events(home / "openlineage.jsonl")
    task_events(events, "capella_tasking_to_s3.order_products", "COMPLETE")
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

from tests.e2e.local_world import ANSI_CODES, RUN_FINISHED, LocalWorld
from tests.uv_support import REPO, run, uv_command

NO_OPENLINEAGE_VENV = REPO / ".venv-no-openlineage"
DRIVER = Path(__file__).with_name("watch_imports.py")
OPENLINEAGE_DISTRIBUTIONS = ("apache-airflow-providers-openlineage", "openlineage-")


def python_without_openlineage() -> Path:
    """The interpreter of a venv holding exactly this test session's packages (the same Airflow), minus
    the openlineage extra's, plus this project (editable); built once per package set, then reused."""
    uv = uv_command()
    frozen = run(*uv, "pip", "freeze", "--python", sys.executable, "--exclude-editable").splitlines()
    kept = [line for line in frozen if line and not line.lower().startswith(OPENLINEAGE_DISTRIBUTIONS)]
    requirements_text = "\n".join(kept) + "\n"
    airflow = next(line.split("==")[1] for line in kept if line.lower().startswith("apache-airflow=="))
    venv = NO_OPENLINEAGE_VENV.with_name(f"{NO_OPENLINEAGE_VENV.name}-{airflow}")
    python = venv / "bin" / "python"
    stamp = venv / ".requirements-digest"
    digest = hashlib.sha256(requirements_text.encode()).hexdigest()
    if python.exists() and stamp.exists() and stamp.read_text() == digest:
        return python
    run(*uv, "venv", "--quiet", "--clear", "--python", sys.executable, str(venv))
    requirements = venv / "requirements.txt"
    requirements.write_text(requirements_text)
    run(*uv, "pip", "install", "--quiet", "--python", str(python), "--no-deps", "-r", str(requirements))
    run(*uv, "pip", "install", "--quiet", "--python", str(python), "--no-deps", "-e", str(REPO))
    stamp.write_text(digest)
    return python


def read_events(path: Path) -> list[dict[str, Any]]:
    """Every OpenLineage event the file transport appended (one JSON document per line)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def task_events(events: list[dict[str, Any]], job: str, event_type: str) -> list[dict[str, Any]]:
    """The events of one task (``<dag_id>.<task_id>``) of one type (``START``, ``COMPLETE``, ``FAIL``)."""
    return [event for event in events if event["job"]["name"] == job and event["eventType"] == event_type]


def names(datasets: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """``(namespace, name)`` of each dataset, sorted."""
    return sorted((dataset["namespace"], dataset["name"]) for dataset in datasets)


def run_to_end(world: LocalWorld, name: str, command: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run ``command`` in the world's process stack to its end, failing or not; return (exit code, log)."""
    child = world.stack.start(name, command, env=env)
    returncode = child.process.wait(timeout=600)
    log = child.log_path.read_text(errors="replace") if child.log_path else ""
    return returncode, ANSI_CODES.sub("", log)


def finished_states(log: str, dag_id: str) -> list[str]:
    """The final state of each run of ``dag_id`` the CLI's log reports."""
    return [match.group(2) for match in RUN_FINISHED.finditer(log) if match.group(1) == dag_id]


def asset_event_extras(world: LocalWorld) -> dict[str, dict[str, Any]]:
    """``{asset URI: extra}`` of every Asset event in the world's metadata database."""
    query = (
        "SELECT asset.uri, asset_event.extra FROM asset_event JOIN asset ON asset.id = asset_event.asset_id"
    )
    with closing(sqlite3.connect(world.home / "airflow.db")) as connection:
        rows = connection.execute(query).fetchall()
    return {uri: json.loads(extra) if isinstance(extra, str) else extra for uri, extra in rows}
