"""DAG integrity: each example DAG file, parsed by Airflow's DagBag in a fresh interpreter of its own,
imports without errors or warnings in under 2 seconds and defines the DAGs the README describes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dev.stack import airflow_environment

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_DAGS = REPO / "example_dags"
PARSE_BUDGET_SECONDS = 2.0
EXPECTED_DAGS = {
    "capella_tasking_to_s3.py": ["capella_tasking_to_s3"],
    "capella_archive_backfill.py": ["capella_archive_backfill"],
    "capella_repeat_monitoring.py": ["capella_new_imagery", "capella_repeat_monitoring"],
    "capella_feasibility_to_tasking.py": ["capella_feasibility_to_tasking"],
    "capella_tasking_with_approval.py": ["capella_tasking_with_approval"],
}

# Runs in the child: Airflow is imported first (not timed), then only the file's parse is timed.
PARSE_ONE_FILE = """
import json, sys, time, warnings
warnings.simplefilter("always")
try:
    from airflow.dag_processing.dagbag import DagBag
except ImportError:  # Airflow 3.1
    from airflow.models.dagbag import DagBag
path = sys.argv[1]
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    started = time.perf_counter()
    bag = DagBag(dag_folder=path)
    seconds = time.perf_counter() - started
messages = [f"{w.category.__name__}: {w.message}" for w in caught]
for found in getattr(bag, "captured_warnings", {}).values():
    messages.extend(str(message) for message in found)
print(json.dumps({
    "dag_ids": sorted(bag.dag_ids),
    "import_errors": {str(k): str(v) for k, v in bag.import_errors.items()},
    "warnings": messages,
    "seconds": seconds,
}))
"""


def parse_in_fresh_interpreter(path: Path, tmp_path: Path) -> dict[str, Any]:
    env = airflow_environment(tmp_path / "airflow-home", EXAMPLE_DAGS)
    done = subprocess.run(
        [sys.executable, "-c", PARSE_ONE_FILE, str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_every_example_dag_file_is_checked() -> None:
    assert sorted(path.name for path in EXAMPLE_DAGS.glob("*.py")) == sorted(EXPECTED_DAGS)


@pytest.mark.parametrize("file_name", sorted(EXPECTED_DAGS))
def test_example_dag_file_parses_cleanly_and_fast(file_name: str, tmp_path: Path) -> None:
    result = parse_in_fresh_interpreter(EXAMPLE_DAGS / file_name, tmp_path)

    assert result["import_errors"] == {}
    assert result["warnings"] == []
    assert result["dag_ids"] == EXPECTED_DAGS[file_name]
    assert result["seconds"] < PARSE_BUDGET_SECONDS, f"{file_name} took {result['seconds']:.2f} s to parse"


SECRET_LIKE = re.compile(r"AKIA[0-9A-Z]{16}|ApiKey\s+\w|password\s*=|api_key\s*=|secret", re.IGNORECASE)


@pytest.mark.parametrize("file_name", sorted(EXPECTED_DAGS))
def test_example_dag_holds_no_credentials(file_name: str) -> None:
    """Credentials come from the ``capella_default`` / ``aws_default`` connections, never from code."""
    source = (EXAMPLE_DAGS / file_name).read_text()

    assert SECRET_LIKE.findall(source) == []
    assert "capella_default" in source
