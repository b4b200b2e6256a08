"""Every Airflow-version difference the provider bridges, in one place (provider-internal).

Airflow 3.2+ has the task-time exceptions and ``conf`` in ``airflow.sdk`` (the old locations warn);
Airflow 3.1 has them only in ``airflow.exceptions`` and ``airflow.configuration``. The provider's modules
import these names from here, never with a ``try``/``except ImportError`` of their own.

Example::

    from airflow_provider_capella._compat import AirflowSkipException, conf

    deferrable = conf.getboolean("operators", "default_deferrable", fallback=False)
"""

from __future__ import annotations

try:
    from airflow.sdk.exceptions import (
        AirflowException,
        AirflowFailException,
        AirflowSensorTimeout,
        AirflowSkipException,
        AirflowTaskTimeout,
    )
except ImportError:  # Airflow 3.1
    from airflow.exceptions import (  # type: ignore[no-redef]
        AirflowException,
        AirflowFailException,
        AirflowSensorTimeout,
        AirflowSkipException,
        AirflowTaskTimeout,
    )

try:
    from airflow.sdk.configuration import conf
except ImportError:  # Airflow 3.1
    from airflow.configuration import conf  # type: ignore[no-redef]

__all__ = [
    "AirflowException",
    "AirflowFailException",
    "AirflowSensorTimeout",
    "AirflowSkipException",
    "AirflowTaskTimeout",
    "conf",
]
