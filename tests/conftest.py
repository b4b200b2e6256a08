"""Shared test configuration.

Airflow reads its settings when first imported, so the isolated AIRFLOW_HOME and DAGs folder are set
here, before any test module imports Airflow. The ``capella_emulator`` fixtures come from the provider's
own pytest plugin; ``airflow_db`` and ``dag_runner`` (real Airflow runs) from :mod:`tests.airflow_support`.
"""

from __future__ import annotations

import os
import tempfile

import pytest

_AIRFLOW_HOME = tempfile.mkdtemp(prefix="capella-airflow-home-")
os.environ.setdefault("AIRFLOW_HOME", _AIRFLOW_HOME)
os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", os.path.join(os.environ["AIRFLOW_HOME"], "dags"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "True")
os.makedirs(os.environ["AIRFLOW__CORE__DAGS_FOLDER"], exist_ok=True)

pytest_plugins = ["tests.airflow_support"]

# Per kind, what a test may take before pytest-timeout stops it (the unit default, 60 s, is in
# pyproject.toml). Each kind's own deadlines (a DAG run's, a cluster's start-up) are shorter than its
# bound here, so a failing test reports that deadline's message, not a timeout's stack dump. Tests that
# run real Airflow in-process (dag.test(), the DagBag, Airflow's metadata database) get their own bound:
# under CI's load their Airflow start-up alone can take tens of seconds.
TIMEOUT_SECONDS = {"cluster": 2400, "e2e": 1200, "slow": 900}
IN_PROCESS_AIRFLOW = ("operators", "sensors", "lineage", "example_dags", "airflow", "compose", "triggers")
IN_PROCESS_AIRFLOW_SECONDS = 300


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("timeout") is not None:
            continue
        kind = next((kind for kind in TIMEOUT_SECONDS if item.get_closest_marker(kind) is not None), None)
        if kind is not None:
            item.add_marker(pytest.mark.timeout(TIMEOUT_SECONDS[kind]))
        elif item.path.parent.name in IN_PROCESS_AIRFLOW:
            item.add_marker(pytest.mark.timeout(IN_PROCESS_AIRFLOW_SECONDS))
