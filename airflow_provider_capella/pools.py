"""The ``capella_api`` pool: one bound on the Capella API calls of all workers together.

Capella rate-limits each API key; a pool caps how many Capella tasks (and so API calls) run at once
across the deployment. Create it once (``airflow pools set capella_api 4 "Capella API calls"``; ``make
cluster`` does), then set ``pool="capella_api"`` per task, or for every DAG with the cluster policy below.
"""

from __future__ import annotations

from typing import Any

CAPELLA_API_POOL = "capella_api"


def capella_api_pool_policy(task: Any) -> None:
    """Airflow task policy: a Capella task (a subclass too) left in the default pool goes to ``capella_api``.

    Airflow calls it for every task when it parses DAG files (``task_policy`` in
    ``airflow_local_settings.py``); the pool must exist, or those tasks wait for it.

    Example::

        # $AIRFLOW_HOME/config/airflow_local_settings.py
        from airflow_provider_capella.pools import capella_api_pool_policy as task_policy
    """
    operator_class = getattr(task, "operator_class", None)  # a mapped task: .partial(...).expand(...)
    cls = operator_class if isinstance(operator_class, type) else type(task)
    ours = any(base.__module__.startswith("airflow_provider_capella.") for base in cls.__mro__)
    if ours and task.pool in (None, "default_pool"):
        task.pool = CAPELLA_API_POOL
