"""Apache Airflow provider for the Capella Space SAR satellite API."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "get_provider_info"]


def get_provider_info() -> dict:
    """Return the provider's registration metadata (see :mod:`.get_provider_info`)."""
    from airflow_provider_capella.get_provider_info import get_provider_info as _info

    return _info()
