"""Lineage fixtures: the example DAGs run by ``airflow dags test`` against the emulator and moto, with
OpenLineage's file transport writing every event to ``<AIRFLOW_HOME>/openlineage.jsonl``; and the
operator tests' in-process ``dag.test()`` runs (``airflow_run``).

The worlds are those of ``tests/e2e`` (child process groups, stopped whatever happens); the DAGs folder
holds the example DAGs plus ``lineage_dags/``. Marked ``e2e``: they take a few minutes.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from dev.stack import ProcessStack
from tests.e2e.local_world import EXAMPLE_DAGS, LocalWorld, migrate_template_db
from tests.operators.conftest import airflow_run, capella_connection  # noqa: F401  (dag.test() runs)

LINEAGE_DAGS = Path(__file__).with_name("lineage_dags")
EVENTS_FILE = "openlineage.jsonl"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: end-to-end runs of real Airflow processes (slow)")


@pytest.fixture(scope="session")
def lineage_template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A freshly migrated SQLite metadata database, copied into each Airflow home."""
    return migrate_template_db(tmp_path_factory.mktemp("lineage-template-home"))


@pytest.fixture(scope="module")
def lineage_world(
    tmp_path_factory: pytest.TempPathFactory, lineage_template_db: Path
) -> Iterator[LocalWorld]:
    """Emulator + S3 server + an Airflow home whose OpenLineage events go to a file."""
    root = tmp_path_factory.mktemp("lineage")
    home = root / "airflow-home"
    transport = {"type": "file", "log_file_path": str(home / EVENTS_FILE), "append": True}
    with ProcessStack(log_dir=root / "logs") as stack:
        world = LocalWorld.start(
            stack,
            home,
            lineage_template_db,
            AIRFLOW__OPENLINEAGE__TRANSPORT=json.dumps(transport),
            AIRFLOW__OPENLINEAGE__NAMESPACE="capella-lineage-tests",
        )
        world.env["AIRFLOW__CORE__DAGS_FOLDER"] = str(dags_folder(root / "dags"))
        yield world


def dags_folder(folder: Path) -> Path:
    """The example DAGs and the lineage tests' own DAGs, in one folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for source in [*EXAMPLE_DAGS.glob("*.py"), *LINEAGE_DAGS.glob("*.py")]:
        shutil.copyfile(source, folder / source.name)
    return folder
