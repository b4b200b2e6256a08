"""End-to-end fixtures: the example DAGs run by real Airflow processes against the emulator and moto.

Everything runs in child process groups (``airflow_provider_capella.testing.stack``), which are
stopped when the fixture ends, whatever happened. These tests take minutes in total and are marked
``e2e``; they run in ``make test`` (deselect with ``-m "not e2e"`` while iterating).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from airflow_provider_capella.testing.stack import ProcessStack
from tests.e2e.local_world import LocalWorld, migrate_template_db


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: end-to-end runs of real Airflow processes (slow)")


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A freshly migrated SQLite metadata database, made once and copied into each Airflow home."""
    return migrate_template_db(tmp_path_factory.mktemp("airflow-template-home"))


@pytest.fixture(scope="module")
def local_world(tmp_path_factory: pytest.TempPathFactory, template_db: Path) -> Iterator[LocalWorld]:
    """Emulator + S3 server + an Airflow home for this module; all processes stopped afterwards."""
    root = tmp_path_factory.mktemp("e2e")
    with ProcessStack(log_dir=root / "logs") as stack:
        yield LocalWorld.start(stack, root / "airflow-home", template_db)
