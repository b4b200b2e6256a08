"""Every Airflow-version difference the provider bridges, in one place.

Airflow 3.2+ has the task-time exceptions and ``conf`` in ``airflow.sdk`` (the old locations warn);
Airflow 3.1 has them only in ``airflow.exceptions`` and ``airflow.configuration``. Import these names
from here, never with a ``try``/``except ImportError`` of your own.

Example::

    from airflow_provider_capella._compat import AirflowSkipException, conf

    deferrable = conf.getboolean("operators", "default_deferrable", fallback=False)
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import timedelta

    from airflow.sdk import CronDataIntervalTimetable

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

try:
    from airflow.exceptions import AirflowProviderDeprecationWarning
except ImportError:  # pragma: no cover - present in every supported Airflow
    AirflowProviderDeprecationWarning = DeprecationWarning  # type: ignore[misc,assignment]


def __getattr__(name: str) -> object:
    """Import the heavier bridged names only when asked for (``CronDataIntervalTimetable``)."""
    if name == "CronDataIntervalTimetable":
        try:
            from airflow.sdk import CronDataIntervalTimetable
        except ImportError:  # Airflow 3.1
            from airflow.timetables.interval import CronDataIntervalTimetable  # type: ignore[no-redef,assignment]
        return CronDataIntervalTimetable
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def warn_deprecated(message: str, *, stacklevel: int = 3) -> None:
    """Warn that a provider name is deprecated (``AirflowProviderDeprecationWarning``).

    :param message: what is deprecated and what to use instead.
    :param stacklevel: the frame the warning points at (default: the caller's caller).

    Example::

        warn_deprecated("CapellaHook.download_product is deprecated; use download_products")
    """
    warnings.warn(message, AirflowProviderDeprecationWarning, stacklevel=stacklevel)


__all__ = [
    "AirflowException",
    "AirflowFailException",
    "AirflowProviderDeprecationWarning",
    "AirflowSensorTimeout",
    "AirflowSkipException",
    "AirflowTaskTimeout",
    "CronDataIntervalTimetable",
    "conf",
    "warn_deprecated",
]


def hitl_response_timeout(timeout: timedelta) -> dict[str, timedelta]:
    """Return the keyword argument that bounds a human-in-the-loop wait on this Airflow.

    Newer standard providers give ``HITLOperator`` a ``response_timeout``; the one Airflow 3.1.0 ships
    with (1.9) has none and bounds the wait with ``execution_timeout``.

    :param timeout: how long a person has to answer.
    :return: ``{"response_timeout": timeout}`` or ``{"execution_timeout": timeout}``.

    Example::

        HITLBranchOperator(task_id="approve", options=["Yes", "No"], subject="Approve?",
                           **hitl_response_timeout(timedelta(hours=23)))
    """
    import inspect

    from airflow.providers.standard.operators.hitl import HITLOperator

    if "response_timeout" in inspect.signature(HITLOperator.__init__).parameters:
        return {"response_timeout": timeout}
    return {"execution_timeout": timeout}
