"""Shared test configuration.

Airflow reads its settings when first imported, so the isolated AIRFLOW_HOME and DAGs folder are set
here, before any test module imports Airflow. The ``capella_emulator`` fixtures come from the provider's
own pytest plugin; ``airflow_db`` and ``dag_runner`` (real Airflow runs) from :mod:`tests.airflow_support`.
"""

from __future__ import annotations

import os
import tempfile

_AIRFLOW_HOME = tempfile.mkdtemp(prefix="capella-airflow-home-")
os.environ.setdefault("AIRFLOW_HOME", _AIRFLOW_HOME)
os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", os.path.join(os.environ["AIRFLOW_HOME"], "dags"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "True")
os.makedirs(os.environ["AIRFLOW__CORE__DAGS_FOLDER"], exist_ok=True)

pytest_plugins = ["tests.airflow_support"]
