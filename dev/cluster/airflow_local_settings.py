"""Airflow's local settings for ``make cluster`` and the compose stack: Capella tasks use ``capella_api``.

``make cluster`` copies this file into ``$AIRFLOW_HOME/config/``; docker-compose.yaml mounts it at
``/opt/airflow/config/airflow_local_settings.py``. See :mod:`airflow_provider_capella.pools`.
"""

from airflow_provider_capella.pools import capella_api_pool_policy as task_policy

__all__ = ["task_policy"]
