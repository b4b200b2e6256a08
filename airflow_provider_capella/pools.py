"""The ``capella_api`` pool: one bound on the Capella API calls of all workers together (docs/cluster.md)."""

from __future__ import annotations

from typing import Any

CAPELLA_API_POOL = "capella_api"


def capella_api_pool_policy(task: Any) -> None:
    """Airflow task policy: a Capella task (a subclass too) left in the default pool goes to ``capella_api``.

    Example::

        # $AIRFLOW_HOME/config/airflow_local_settings.py
        from airflow_provider_capella.pools import capella_api_pool_policy as task_policy
    """
    operator_class = getattr(task, "operator_class", None)  # a mapped task: .partial(...).expand(...)
    cls = operator_class if isinstance(operator_class, type) else type(task)
    ours = any(base.__module__.startswith("airflow_provider_capella.") for base in cls.__mro__)
    if ours and task.pool in (None, "default_pool"):
        task.pool = CAPELLA_API_POOL
