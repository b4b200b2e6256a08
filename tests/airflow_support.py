"""Real Airflow runs for tests: a fresh metadata database and ``dag.test()`` on DAG files.

``dag.test()`` needs the DAG serialized in the database; Airflow 3.2+ syncs the DAGs folder itself,
3.1 does not, so :meth:`DagRunner.run` syncs it on every supported version.

Example::

    def test_search(dag_runner, capella_connection):
        dag_runner.write("my_dag", DAG_SOURCE)
        run = dag_runner.run("my_dag", logical_date=datetime(2024, 1, 2, tzinfo=timezone.utc))
        assert run.state == "success"
"""

from __future__ import annotations

import importlib.util
import os
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session")
def airflow_db() -> None:
    """A freshly created metadata database (SQLite under the test AIRFLOW_HOME), once per session."""
    from airflow.utils import db

    db.resetdb()


def sync_dags_folder() -> None:
    """Parse the DAGs folder and write every DAG to the database, as the dag-processor would."""
    from airflow.dag_processing.bundles.manager import DagBundlesManager

    try:
        from airflow.dag_processing.dagbag import DagBag, sync_bag_to_db
    except ImportError:  # Airflow 3.1
        from airflow.models.dagbag import DagBag, sync_bag_to_db  # type: ignore[no-redef]

    manager = DagBundlesManager()
    manager.sync_bundles_to_db()
    for bundle in manager.get_all_dag_bundles():
        if not bundle.is_initialized:
            bundle.initialize()
        bag = DagBag(dag_folder=bundle.path, bundle_path=bundle.path)
        assert not bag.import_errors, bag.import_errors
        sync_bag_to_db(bag, bundle.name, bundle.version)


class DagRunner:
    """Writes DAG files into the test DAGs folder and runs them with ``dag.test()``.

    Example::

        dag_runner.write("search_dag", source)
        run = dag_runner.run("search_dag")
    """

    def __init__(self, dags_folder: Path) -> None:
        self.dags_folder = dags_folder

    def write(self, dag_id: str, source: str) -> Path:
        path = self.dags_folder / f"{dag_id}.py"
        path.write_text(textwrap.dedent(source))
        return path

    def load(self, dag_id: str) -> Any:
        path = self.dags_folder / f"{dag_id}.py"
        module_name = f"test_dags_{dag_id}"
        spec = importlib.util.spec_from_file_location(module_name, path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
        return next(value for value in vars(module).values() if getattr(value, "dag_id", None) == dag_id)

    def run(self, dag_id: str, **test_kwargs: Any) -> Any:
        """Sync the folder, then ``dag.test(**test_kwargs)``; returns the finished DagRun."""
        sync_dags_folder()
        return self.load(dag_id).test(**test_kwargs)

    def task_states(self, dag_run: Any) -> dict[str, str]:
        """``{task_id (with [map_index] when mapped): state}`` of a finished run."""
        from airflow.utils.session import create_session

        with create_session() as session:
            instances = dag_run.get_task_instances(session=session)
            return {
                ti.task_id if ti.map_index < 0 else f"{ti.task_id}[{ti.map_index}]": str(ti.state)
                for ti in instances
            }


@pytest.fixture
def dag_runner(airflow_db: None) -> DagRunner:
    return DagRunner(Path(os.environ["AIRFLOW__CORE__DAGS_FOLDER"]))
