"""Shared test configuration.

Airflow reads its settings when first imported, so the isolated AIRFLOW_HOME is set here, before any test
module imports Airflow. The ``capella_emulator`` fixtures come from the provider's own pytest plugin.
"""

from __future__ import annotations

import os
import tempfile

_AIRFLOW_HOME = tempfile.mkdtemp(prefix="capella-airflow-home-")
os.environ.setdefault("AIRFLOW_HOME", _AIRFLOW_HOME)
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "True")
