"""End-to-end fixtures: the example DAGs run by real Airflow processes against the emulator and moto.

Everything runs in child process groups (``dev.stack``), which are
stopped when the fixture ends, whatever happened. These tests take minutes in total and are marked
``e2e``; they run in ``make test`` (deselect with ``-m "not e2e"`` while iterating).

The tests marked ``cluster`` share ONE ``make cluster`` (PostgreSQL, Redis, CeleryExecutor, two
workers) for the whole session; they run in the newest-Airflow environment only (``make test-lowest``
deselects them: the cluster's extra dependencies are not in the lowest environment).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from dev.stack import ProcessStack
from tests.e2e.local_world import EXAMPLE_DAGS, LocalWorld, migrate_template_db

CLUSTER_DAGS = Path(__file__).with_name("cluster_dags")
CLUSTER_WORKERS = 2
CLUSTER_ASSET_SIZE = 256 * 1024
CLUSTER_EMULATOR_SETTINGS = {"asset_size": CLUSTER_ASSET_SIZE, "tasking_step_seconds": 0.5}
# quick failure detection and retries, so a test that kills a worker sees Airflow react within seconds
CLUSTER_OVERRIDES = {
    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "20",
    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "3",
    "AIRFLOW__CORE__DEFAULT_TASK_RETRY_DELAY": "2",
    "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
    "CAPELLA_EXAMPLE_POLL_SECONDS": "1",
}


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


@pytest.fixture(scope="session")
def cluster_dags(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example DAGs and the cluster tests' own DAGs, linked into one DAGs folder."""
    folder = tmp_path_factory.mktemp("cluster-dags")
    for source in [*EXAMPLE_DAGS.glob("*.py"), *CLUSTER_DAGS.glob("*.py")]:
        (folder / source.name).symlink_to(source)
    return folder


@pytest.fixture(scope="session")
def cluster(cluster_dags: Path) -> Iterator[object]:
    """One ``make cluster`` for every cluster test; afterwards, no process it started is left.

    With ``CAPELLA_E2E_CLUSTER_DIR`` set, the tests use the cluster running from that folder instead
    (started with the DAGs folder and settings below), and leave it running.

    Its folder lives outside pytest's private temporary folder: PostgreSQL runs as an unprivileged
    user (root may not run it), which must be able to enter the folder's parents.
    """
    from tests.e2e.cluster_world import ClusterWorld

    if os.environ.get("CAPELLA_E2E_CLUSTER_DIR"):  # developing tests: a `make cluster` already running
        attached = ClusterWorld.attach(Path(os.environ["CAPELLA_E2E_CLUSTER_DIR"]))
        attached.emulator_control("POST", "/settings", CLUSTER_EMULATOR_SETTINGS)
        yield attached
        return
    root = Path(tempfile.mkdtemp(prefix="capella-cluster-e2e-"))
    root.chmod(0o755)
    world = ClusterWorld.start(root / "cluster", cluster_dags, CLUSTER_WORKERS, CLUSTER_OVERRIDES)
    try:
        world.emulator_control("POST", "/settings", CLUSTER_EMULATOR_SETTINGS)
        yield world
    finally:
        world.stop()
    assert world.launcher.returncode in (0, 128 + 15), world.launcher_log()
    assert not (world.root / "cluster.json").exists(), "cluster.json outlived the cluster"
    assert world.survivors() == [], "processes of the cluster still alive after SIGTERM"
    shutil.rmtree(root, ignore_errors=True)
